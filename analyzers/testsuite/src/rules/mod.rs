//! One rule per file: doc comment, check, fix and tests together, each one line of [`RULES`].

use std::path::Path;

use commerce_diagnostics::{Diagnostic, Rule};

pub mod focused_or_skipped_test;

commerce_diagnostics::rule_registry! {
    /// Every test-suite rule, one line each; [`crate::check_file`] runs them all on each file.
    pub static RULES: [Rule<Check>] = [
        focused_or_skipped_test,
    ];
}

/// A test-suite rule's check: one file (its project-relative path and text) to findings.
pub type Check = fn(&Path, &str) -> Vec<Diagnostic>;
