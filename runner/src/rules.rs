//! The findings a test run reports in SARIF (and wherever diagnostics go), each a rule whose
//! doc comment is its documentation.

use commerce_diagnostics::{FixAvailability, RuleMeta, Severity, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a test that failed, panicked, crashed or timed out in the run, at the place it
    /// panicked (or its crate root when it did not panic).
    ///
    /// ## Why is this bad?
    /// A failing test blocks the merge: the change broke what the test describes, or the test
    /// itself is wrong.
    ///
    /// ## Example
    /// `assertion left == right failed` in `cart::discount_applies` at `src/cart.rs:36:9`.
    ///
    /// ## Fix safety
    /// No fix; the report's replay command runs the test again with the same seed.
    pub TestFailed {
        id: "tests/failed",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

declare_rule! {
    /// ## What it does
    /// Reports a test that failed and then passed when retried (`--retries N`).
    ///
    /// ## Why is this bad?
    /// A flaky test fails merges at random and teaches people to ignore red builds. It usually
    /// depends on timing, ordering, shared state or an unseeded random number.
    ///
    /// ## Example
    /// `checkout::pays` failed on attempt 1 and passed on attempt 2.
    ///
    /// ## Fix safety
    /// No fix. Replay it with the seed in the report; `--flaky-fails` makes flakes fail the gate.
    pub TestFlaky {
        id: "tests/flaky",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

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

/// Every rule of the runner.
pub fn rules() -> Vec<RuleMeta> {
    vec![TestFailed::META, TestFlaky::META, SuiteOverBudget::META]
}
