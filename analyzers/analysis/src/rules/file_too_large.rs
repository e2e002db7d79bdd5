use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, TextRange, declare_rule};
use commerce_project::{SkipReason, SkippedFile};

use crate::rules::unreadable_file;

use commerce_diagnostics::Rule;

declare_rule! {
    /// ## What it does
    /// Notes a file that was skipped because it is larger than the inventory's size limit.
    ///
    /// ## Why is this bad?
    /// It is usually not bad: files that large are minified bundles or generated code, which
    /// the analyzers should not read. The note makes the skip visible, so a real source file
    /// that grew past the limit is not silently left unchecked.
    ///
    /// ## Example
    /// ```text
    /// info[commerce/file-too-large]: skipped web/public/vendor.min.js (10.2 MiB, limit 2.0 MiB)
    /// ```
    ///
    /// ## Fix safety
    /// There is no fix. Ignore generated files in `.gitignore`.
    pub FileTooLarge {
        id: "commerce/file-too-large",
        severity: Severity::Info,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::reported(FileTooLarge::META);

/// A diagnostic for each file the inventory skipped.
pub(crate) fn skipped_file_diagnostics(skipped: &[SkippedFile]) -> Vec<Diagnostic> {
    skipped.iter().map(skipped_file_diagnostic).collect()
}

fn skipped_file_diagnostic(skipped: &SkippedFile) -> Diagnostic {
    match &skipped.reason {
        SkipReason::TooLarge { bytes, limit } => Diagnostic::new(
            FileTooLarge::META.id,
            FileTooLarge::META.default_severity,
            &skipped.path,
            TextRange::default(),
            format!(
                "skipped {} ({}, limit {})",
                skipped.path.display(),
                mebibytes(*bytes),
                mebibytes(*limit)
            ),
        )
        .with_help("generated or minified files should be ignored in .gitignore"),
        SkipReason::NotUtf8 => unreadable_file::diagnostic(
            &skipped.path,
            &std::io::Error::new(std::io::ErrorKind::InvalidData, "not valid UTF-8"),
        ),
        SkipReason::Unreadable(message) => {
            unreadable_file::diagnostic(&skipped.path, &std::io::Error::other(message.clone()))
        }
    }
}

fn mebibytes(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
