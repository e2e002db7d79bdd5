//! `migrations/destructive-change`: found by the round trip (`cargo commerce migrations verify`).

use commerce_diagnostics::{FixAvailability, Severity, declare_rule};

use super::{Check, Rule};

declare_rule! {
    /// ## What it does
    /// Reports what an up migration loses, read from the difference between the catalogs
    /// before and after it: a table or materialized view dropped, a column dropped from a
    /// table that remains, a constraint removed, enum values removed, a column type narrowed
    /// (`varchar(64)` to `varchar(32)`, `bigint` to `integer`, `numeric` to a smaller
    /// precision) or changed to a type not known to hold every value (`text` to `uuid`).
    ///
    /// ## Why is this bad?
    /// Unlike the static rules, this sees the effect whatever SQL caused it: a `DROP ...
    /// CASCADE` taking a dependent view or constraint along, a function that drops a column,
    /// a type change hidden in a `DO` block.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE customers ALTER COLUMN email TYPE varchar(64);  -- was varchar(255)
    /// ```
    ///
    /// ## Fix safety
    /// No fix: whether the data may go is for a person to decide.
    pub DestructiveChange {
        id: "migrations/destructive-change",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(DestructiveChange::META, Check::Reported);
