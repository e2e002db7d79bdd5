//! `tests/over-budget`: reported by a test run.

use commerce_diagnostics::{FixAvailability, Rule, Severity, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a suite run that took longer than the suite's `budget` in `commerce.toml`,
    /// listing the slowest tests.
    ///
    /// ## Why is this bad?
    /// The fast pack is only run on every save and every push while it stays fast.
    ///
    /// ## Example
    /// `[suites.fast] budget = "60s"` and the run took 75 s.
    ///
    /// ## Fix safety
    /// No fix: speed up the slowest tests, or move them to a slower suite.
    pub SuiteOverBudget {
        id: "tests/over-budget",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::reported(SuiteOverBudget::META);
