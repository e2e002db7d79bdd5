//! Rules about the test suite itself, across languages: focused and skipped tests in
//! TypeScript/JavaScript test files, ignored Rust tests without a reason.

use std::path::Path;

use commerce_diagnostics::{Diagnostic, RuleMeta};

pub mod rules;
pub mod test_files;

use rules::focused_or_skipped_test::{self, FocusedOrSkippedTest};

/// The metadata of every rule this crate implements.
pub fn rules() -> Vec<RuleMeta> {
    vec![FocusedOrSkippedTest::META]
}

/// Runs every rule of this crate over one file; `path` is relative to the project root and
/// becomes the diagnostics' path. Files no rule reads, and files that do not parse, have no
/// findings.
pub fn check_file(path: &Path, text: &str) -> Vec<Diagnostic> {
    focused_or_skipped_test::check(path, text)
}
