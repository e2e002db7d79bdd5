//! The analyzers `check --only` can select, and which files and rules each one owns.

use std::path::Path;

use commerce_diagnostics::{Diagnostic, RuleMeta};

/// One family of rules over one kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Analyzer {
    /// TypeScript/JavaScript: import graph, cycles, routes, props.
    Frontend,
    /// OpenAPI specs and the routes in code.
    Contracts,
    /// SQL migrations.
    Migrations,
    /// The test suite itself, in every language.
    Tests,
}

impl Analyzer {
    pub const ALL: [Analyzer; 4] = [
        Analyzer::Frontend,
        Analyzer::Contracts,
        Analyzer::Migrations,
        Analyzer::Tests,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Analyzer::Frontend => "frontend",
            Analyzer::Contracts => "contracts",
            Analyzer::Migrations => "migrations",
            Analyzer::Tests => "tests",
        }
    }

    /// The rules this analyzer runs. Empty for an analyzer that is not built yet.
    pub fn rules(self) -> Vec<RuleMeta> {
        match self {
            Analyzer::Frontend | Analyzer::Contracts | Analyzer::Migrations => Vec::new(),
            Analyzer::Tests => commerce_testsuite::rules(),
        }
    }

    /// True when the analyzer has at least one rule.
    pub fn is_available(self) -> bool {
        !self.rules().is_empty()
    }

    /// Whether this analyzer reads `path` at all.
    pub fn wants(self, path: &Path) -> bool {
        match self {
            Analyzer::Frontend | Analyzer::Contracts | Analyzer::Migrations => false,
            Analyzer::Tests => {
                commerce_frontend::parse::is_frontend_source(path)
                    || path.extension().is_some_and(|extension| extension == "rs")
            }
        }
    }

    /// Runs the analyzer's per-file rules over one file.
    pub fn check_file(self, path: &Path, text: &str) -> Vec<Diagnostic> {
        match self {
            Analyzer::Frontend | Analyzer::Contracts | Analyzer::Migrations => Vec::new(),
            Analyzer::Tests => commerce_testsuite::check_file(path, text),
        }
    }
}

/// The analyzers a request names, or all of them.
pub(crate) fn selected(only: &[Analyzer]) -> Vec<Analyzer> {
    if only.is_empty() {
        Analyzer::ALL.to_vec()
    } else {
        let mut analyzers = only.to_vec();
        analyzers.sort();
        analyzers.dedup();
        analyzers
    }
}
