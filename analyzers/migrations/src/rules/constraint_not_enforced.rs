//! `migrations/constraint-not-enforced`: found by the constraint probes of
//! `cargo commerce migrations verify`.

use commerce_diagnostics::{FixAvailability, Severity, declare_rule};

use super::{Check, Rule};

declare_rule! {
    /// ## What it does
    /// After the round trip, on the final schema with its tables emptied (in a transaction
    /// that is rolled back), inserts one valid row per table (parents first) and then, for
    /// every foreign key, unique, check and not-null constraint, one row that violates it,
    /// each in a savepoint. Reports each constraint Postgres accepted the violating row for,
    /// with the insert. Values are generated from a seed (`--seed`), so a run is
    /// reproducible.
    ///
    /// ## Why is this bad?
    /// The schema says the data is protected and it is not: a foreign key whose table had
    /// its triggers disabled (`ALTER TABLE … DISABLE TRIGGER ALL`) lets orphans in, a rule
    /// or trigger rewriting inserts bypasses a check. Code, reports and later migrations that
    /// trust the constraint are wrong about the rows it let through.
    ///
    /// ## Example
    /// ```sql
    /// CREATE TABLE lines (order_id bigint NOT NULL REFERENCES orders (id));
    /// ALTER TABLE lines DISABLE TRIGGER ALL;  -- to bulk-load, and never enabled again
    /// ```
    ///
    /// ## Fix safety
    /// No fix: what the constraint should guard, and the rows that broke it, are for a
    /// person to look at.
    pub ConstraintNotEnforced {
        id: "migrations/constraint-not-enforced",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(ConstraintNotEnforced::META, Check::Reported);
