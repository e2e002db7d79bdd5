//! `tests/flaky`: reported by a test run.

use commerce_diagnostics::{FixAvailability, Rule, Severity, declare_rule};

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

pub(crate) const RULE: Rule = Rule::reported(TestFlaky::META);
