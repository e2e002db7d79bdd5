//! `migrations/reup-drift`: found by the round trip (`cargo commerce migrations verify`).

use commerce_diagnostics::{FixAvailability, Severity, declare_rule};

use super::{Check, Rule};

declare_rule! {
    /// ## What it does
    /// Reports an up migration that, applied again after its down migration, produces a
    /// different schema than the first time, listing every difference.
    ///
    /// ## Why is this bad?
    /// The database that went through a rollback and redeploy is no longer the one the
    /// code was tested against: typically a constraint or index that now exists twice under
    /// a generated name, or an object the down left behind that the up only alters.
    ///
    /// ## Example
    /// ```sql
    /// -- up:   ALTER TABLE orders ADD CHECK (total >= 0);
    /// -- down: (nothing): the re-applied up adds a second check, orders_total_check1
    /// ```
    ///
    /// ## Fix safety
    /// No fix.
    pub ReupDrift {
        id: "migrations/reup-drift",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(ReupDrift::META, Check::Reported);
