//! `tests/failed`: reported by a test run.

use commerce_diagnostics::{FixAvailability, Rule, Severity, declare_rule};

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

pub(crate) const RULE: Rule = Rule::reported(TestFailed::META);
