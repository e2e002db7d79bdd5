//! `contracts/unparsable-route-file`: a file of `[contracts] routes` that is not valid Rust.

use std::path::Path;

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};

use commerce_diagnostics::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a file named by `[contracts] routes` that could not be read as Rust, at the
    /// token where parsing stopped.
    ///
    /// ## Why is this bad?
    /// The routes of that file are unknown, so every operation they serve would look
    /// unimplemented (`contracts/operation-without-route`) and a route missing from the spec
    /// there would go unnoticed. The finding says why the comparison is incomplete.
    ///
    /// ## Example
    /// ```text
    /// warning[contracts/unparsable-route-file]: src/api.rs is not valid Rust (expected `;`): its routes are not compared with the spec
    /// ```
    ///
    /// ## Fix safety
    /// No fix: make the file compile, or narrow `[contracts] routes` to exclude it.
    pub UnparsableRouteFile {
        id: "contracts/unparsable-route-file",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::reported(UnparsableRouteFile::META);

/// The finding for the route file at `path` (project-relative) that did not parse.
pub fn diagnostic(path: &Path, error: &commerce_rust::ParseError) -> Diagnostic {
    Diagnostic::new(
        UnparsableRouteFile::META.id,
        UnparsableRouteFile::META.default_severity,
        path,
        error.range,
        format!(
            "{} is not valid Rust ({}): its routes are not compared with the spec",
            path.display(),
            error.message
        ),
    )
    .with_help("fix the syntax error, or leave the file out of `[contracts] routes`")
}

/// The finding for a route file that could not be read (not UTF-8, gone, no permission).
pub fn unreadable(path: &Path, error: &std::io::Error) -> Diagnostic {
    Diagnostic::new(
        UnparsableRouteFile::META.id,
        UnparsableRouteFile::META.default_severity,
        path,
        commerce_diagnostics::TextRange::default(),
        format!(
            "cannot read {}: {error}: its routes are not compared with the spec",
            path.display()
        ),
    )
    .with_help("save the file as UTF-8, or leave it out of `[contracts] routes`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_file_the_error_and_what_is_not_checked() {
        let error = commerce_rust::file_routes("fn app( {").expect_err("not Rust");
        let found = diagnostic(Path::new("src/api.rs"), &error);
        assert_eq!(found.rule, "contracts/unparsable-route-file");
        assert!(
            found.message.starts_with("src/api.rs is not valid Rust ("),
            "{}",
            found.message
        );
        assert!(
            found
                .message
                .ends_with("its routes are not compared with the spec")
        );
    }
}
