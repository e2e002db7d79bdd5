//! The findings a test run reports in SARIF (and wherever diagnostics go), one rule per file,
//! each a rule whose doc comment is its documentation.

use commerce_diagnostics::RuleMeta;

pub mod failed;
pub mod flaky;
pub mod over_budget;

pub use failed::TestFailed;
pub use flaky::TestFlaky;
pub use over_budget::SuiteOverBudget;

commerce_diagnostics::rule_registry! {
    /// Every rule of the runner, one line each; each is reported where a run finds it.
    static RULES: [commerce_diagnostics::Rule] = [
        failed,
        flaky,
        over_budget,
    ];
}

/// Every rule of the runner.
pub fn rules() -> Vec<RuleMeta> {
    RULES.iter().map(|rule| rule.meta).collect()
}
