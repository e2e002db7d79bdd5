//! Rules about the test suite itself, across languages: focused and skipped tests in
//! TypeScript/JavaScript test files, ignored Rust tests without a reason.

use std::path::Path;

use commerce_diagnostics::{Diagnostic, RuleMeta};

pub mod rules;
pub mod test_files;

/// The metadata of every rule this crate implements.
pub fn rules() -> Vec<RuleMeta> {
    rules::RULES.iter().map(|rule| rule.meta).collect()
}

/// Runs every rule of this crate over one file; `path` is relative to the project root and
/// becomes the diagnostics' path. Files no rule reads, and files that do not parse, have no
/// findings.
pub fn check_file(path: &Path, text: &str) -> Vec<Diagnostic> {
    rules::RULES
        .iter()
        .flat_map(|rule| (rule.check)(path, text))
        .collect()
}
