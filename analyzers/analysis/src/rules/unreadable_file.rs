use std::io;
use std::path::Path;

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, TextRange, declare_rule};

use commerce_diagnostics::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a file the analyzers could not read: not valid UTF-8, or an I/O error.
    ///
    /// ## Why is this bad?
    /// Nothing in the file was checked. Source files in another encoding (Latin-1, UTF-16) are
    /// also a portability hazard for every other tool in the build.
    ///
    /// ## Example
    /// ```text
    /// error[commerce/unreadable-file]: cannot read web/src/legacy.ts: stream did not contain valid UTF-8
    /// ```
    ///
    /// ## Fix safety
    /// There is no automatic fix: re-encode the file as UTF-8 (`iconv -f LATIN1 -t UTF-8`), or
    /// exclude it in `.gitignore` if it is generated.
    pub UnreadableFile {
        id: "commerce/unreadable-file",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::reported(UnreadableFile::META);

pub(crate) fn diagnostic(path: &Path, error: &io::Error) -> Diagnostic {
    let help = if error.kind() == io::ErrorKind::InvalidData {
        "re-encode the file as UTF-8, or ignore it in .gitignore if it is generated"
    } else {
        "check the file's permissions"
    };
    Diagnostic::new(
        UnreadableFile::META.id,
        UnreadableFile::META.default_severity,
        path,
        TextRange::default(),
        format!("cannot read {}: {error}", path.display()),
    )
    .with_help(help)
}

/// Keeps one unreadable-file finding per file: the per-file and the project-level analyzers
/// that both read a file (a binary `.ts`) each fail on it, with the same cause.
pub(crate) fn one_per_file(diagnostics: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::HashSet::new();
    diagnostics.retain(|diagnostic| {
        diagnostic.rule != UnreadableFile::META.id || seen.insert(diagnostic.path.clone())
    });
}
