use std::path::Path;

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, TextRange, declare_rule};

use commerce_diagnostics::Rule;

declare_rule! {
    /// ## What it does
    /// Flags a `commerce-ignore` comment that does not say why the finding is kept.
    ///
    /// ## Why is this bad?
    /// A suppression without a reason cannot be reviewed: nobody can tell later whether the
    /// finding it hides is still acceptable, so suppressions pile up and the check stops
    /// meaning anything.
    ///
    /// ## Example
    /// ```ts
    /// // commerce-ignore tests/focused-or-skipped-test
    /// it.only("charges the card", () => {});
    /// ```
    ///
    /// Use instead:
    /// ```ts
    /// // commerce-ignore tests/focused-or-skipped-test: bisecting the flaky charge test, see #412
    /// it.only("charges the card", () => {});
    /// ```
    ///
    /// ## Fix safety
    /// There is no fix: only a person can write the reason.
    pub SuppressionWithoutReason {
        id: "commerce/suppression-without-reason",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::reported(SuppressionWithoutReason::META);

pub(crate) fn diagnostic(path: &Path, range: TextRange, rules: &[String]) -> Diagnostic {
    Diagnostic::new(
        SuppressionWithoutReason::META.id,
        SuppressionWithoutReason::META.default_severity,
        path,
        range,
        format!("`commerce-ignore {}` does not say why", rules.join(", ")),
    )
    .with_help("add the reason after a colon: `commerce-ignore <rule>: <why it is acceptable>`")
}
