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

use crate::engine::{FixHost, FixOptions, fix_all};
use crate::error::FixError;

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
    fn closure_host_forwards_to_its_closures() {
        let mut host = ClosureHost::new(no_var, |_: &Path, text: &str| !text.contains('('));
        assert_eq!(host.analyze(Path::new("a.js"), "var x;").len(), 1);
        assert!(host.parses(Path::new("a.js"), "x"));
        assert!(!host.parses(Path::new("a.js"), "("));
    }
}
