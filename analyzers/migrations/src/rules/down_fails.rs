//! `migrations/down-fails`: found by the round trip (`cargo commerce migrations verify`).

use commerce_diagnostics::{FixAvailability, Severity, declare_rule};

use super::{Check, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a down migration that fails when applied right after its up migration,
    /// quoting Postgres' error and pointing at the failing statement.
    ///
    /// ## Why is this bad?
    /// Reverting a bad deploy is exactly when nobody has time to debug the revert. A down
    /// migration that drops objects in the wrong order, or names one the up never created,
    /// turns a rollback into an outage.
    ///
    /// ## Example
    /// ```sql
    /// -- up: CREATE TABLE orders (...); CREATE TABLE order_lines (order_id bigint REFERENCES orders);
    /// DROP TABLE orders; -- fails: order_lines still references it
    /// DROP TABLE order_lines;
    /// ```
    ///
    /// ## Fix safety
    /// No fix.
    pub DownFails {
        id: "migrations/down-fails",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(DownFails::META, Check::Reported);
