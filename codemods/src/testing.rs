//! Helpers for testing a rule's fix through the real engine (cargo feature `testing`).
//!
//! ```
//! use std::path::Path;
//!
//! use commerce_codemods::FixOptions;
//! use commerce_codemods::testing::fix_text;
//! use commerce_diagnostics::{Diagnostic, Edit, Fix, Severity, TextRange};
//!
//! // A rule flagging `==` and fixing it into `===`.
//! fn eqeqeq(path: &Path, text: &str) -> Vec<Diagnostic> {
//!     text.match_indices(" == ")
//!         .map(|(start, _)| {
//!             let range = TextRange::from_usize_range(start + 1..start + 3);
//!             let fix = Fix::safe("use `===`", vec![Edit::replacement(path, range, "===")]);
//!             Diagnostic::new("demo/eqeqeq", Severity::Warning, path, range, "use ===").with_fix(fix)
//!         })
//!         .collect()
//! }
//!
//! let fixed = fix_text("a.ts", "a == b", &FixOptions::default(), eqeqeq)?;
//! assert_eq!(fixed, "a === b");
//! # Ok::<(), commerce_codemods::FixError>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use commerce_diagnostics::Diagnostic;
use commerce_diagnostics::render::Sources;
use commerce_diagnostics::render::human::{self, HumanOptions};

use crate::engine::{FixHost, FixOptions, fix_all};
use crate::error::FixError;
use crate::outcome::FixOutcome;

/// A [`FixHost`] made of two closures: how to analyse a file, and whether a text parses.
pub struct ClosureHost<A, P> {
    analyze: A,
    parses: P,
}

impl<A, P> ClosureHost<A, P>
where
    A: FnMut(&Path, &str) -> Vec<Diagnostic>,
    P: FnMut(&Path, &str) -> bool,
{
    pub fn new(analyze: A, parses: P) -> Self {
        Self { analyze, parses }
    }
}

impl<A, P> FixHost for ClosureHost<A, P>
where
    A: FnMut(&Path, &str) -> Vec<Diagnostic>,
    P: FnMut(&Path, &str) -> bool,
{
    fn analyze(&mut self, path: &Path, text: &str) -> Vec<Diagnostic> {
        (self.analyze)(path, text)
    }

    fn parses(&mut self, path: &Path, text: &str) -> bool {
        (self.parses)(path, text)
    }
}

impl<A, P> fmt::Debug for ClosureHost<A, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClosureHost").finish_non_exhaustive()
    }
}

/// Analyses one file with `check`, fixes it in passes as `cargo commerce check --fix` would
/// (every text counts as parsing), and returns the fixed text: the input when nothing applied.
pub fn fix_text(
    path: &str,
    text: &str,
    options: &FixOptions,
    mut check: impl FnMut(&Path, &str) -> Vec<Diagnostic>,
) -> Result<String, FixError> {
    let path = PathBuf::from(path);
    let diagnostics = check(&path, text);
    let sources = BTreeMap::from([(path.clone(), text.to_owned())]);
    let mut host = ClosureHost::new(check, |_: &Path, _: &str| true);
    let outcome = fix_all(sources, &diagnostics, &mut host, options)?;
    Ok(outcome
        .files
        .get(&path)
        .map_or_else(|| text.to_owned(), |file| file.fixed.clone()))
}

/// The shared snapshot of one rule on one fixture file: its diagnostics exactly as `cargo
/// commerce check` prints them, then the unified diff of every safe and unsafe fix applied
/// through the real engine.
///
/// # Panics
/// When a fix is rejected by the engine, or leaves the file unparsable by `parses`: both are
/// bugs in the rule, and a snapshot must not hide them.
pub fn rule_snapshot(
    path: &str,
    text: &str,
    mut check: impl FnMut(&Path, &str) -> Vec<Diagnostic>,
    parses: impl FnMut(&Path, &str) -> bool,
) -> String {
    let file = PathBuf::from(path);
    let diagnostics = check(&file, text);
    let sources: Sources = [(file.clone(), text.to_owned())].into_iter().collect();
    let mut snapshot =
        human::render_diagnostics(&diagnostics, &sources, HumanOptions { color: false });
    if diagnostics
        .iter()
        .all(|diagnostic| diagnostic.fix.is_none())
    {
        return snapshot;
    }
    let mut host = ClosureHost::new(check, parses);
    let sources = BTreeMap::from([(file, text.to_owned())]);
    let outcome = fix_for_snapshot(sources, &diagnostics, &mut host);
    snapshot.push_str("--- fixes applied (safe and unsafe) ---\n");
    snapshot.push_str(&outcome.diff());
    snapshot
}

/// Every safe and unsafe fix of `diagnostics` applied through the real engine, for a snapshot.
///
/// # Panics
/// When the engine fails, or a fix is rejected or reverted because it broke parsing: bugs in
/// the rule that a snapshot must not hide.
pub fn fix_for_snapshot(
    sources: BTreeMap<PathBuf, String>,
    diagnostics: &[Diagnostic],
    host: &mut dyn FixHost,
) -> FixOutcome {
    let options = FixOptions {
        unsafe_fixes: true,
        ..FixOptions::default()
    };
    let outcome = fix_all(sources, diagnostics, host, &options)
        .unwrap_or_else(|error| panic!("the fix engine failed: {error}"));
    let reverted: Vec<String> = outcome
        .files
        .values()
        .flat_map(|file| &file.reverted)
        .map(ToString::to_string)
        .collect();
    assert!(
        reverted.is_empty(),
        "fixes broke parsing:\n{}",
        reverted.join("\n")
    );
    let rejected: Vec<String> = outcome.rejected.iter().map(ToString::to_string).collect();
    assert!(
        rejected.is_empty(),
        "invalid fixes:\n{}",
        rejected.join("\n")
    );
    outcome
}

#[cfg(test)]
mod tests {
    use commerce_diagnostics::{Edit, Fix, Severity, TextRange};

    use super::*;

    /// Flags every `var` and fixes it into `let`.
    fn no_var(path: &Path, text: &str) -> Vec<Diagnostic> {
        text.match_indices("var ")
            .map(|(start, _)| {
                let range = TextRange::from_usize_range(start..start + 3);
                Diagnostic::new("demo/no-var", Severity::Warning, path, range, "use let").with_fix(
                    Fix::safe("use `let`", vec![Edit::replacement(path, range, "let")]),
                )
            })
            .collect()
    }

    #[test]
    fn fix_text_applies_the_rule_fixes() {
        let fixed = fix_text("a.js", "var a; var b;", &FixOptions::default(), no_var).unwrap();
        assert_eq!(fixed, "let a; let b;");
    }

    #[test]
    fn fix_text_returns_the_input_when_nothing_applies() {
        let fixed = fix_text("a.js", "let a;", &FixOptions::default(), no_var).unwrap();
        assert_eq!(fixed, "let a;");
    }

    #[test]
    fn rule_snapshot_shows_diagnostics_and_the_fix_diff() {
        let snapshot = rule_snapshot("a.js", "var a = 1;\n", no_var, |_: &Path, _: &str| true);
        insta::assert_snapshot!(snapshot);
    }

    #[test]
    #[should_panic(expected = "fixes broke parsing")]
    fn rule_snapshot_fails_on_a_fix_that_breaks_parsing() {
        rule_snapshot("a.js", "var a = 1;\n", no_var, |_: &Path, text: &str| {
            !text.contains("let")
        });
    }

    #[test]
    fn closure_host_forwards_to_its_closures() {
        let mut host = ClosureHost::new(no_var, |_: &Path, text: &str| !text.contains('('));
        assert_eq!(host.analyze(Path::new("a.js"), "var x;").len(), 1);
        assert!(host.parses(Path::new("a.js"), "x"));
        assert!(!host.parses(Path::new("a.js"), "("));
    }
}
