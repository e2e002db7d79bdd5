//! `migrations/constraint-not-validated`: found by the round trip (`cargo commerce migrations verify`).

use commerce_diagnostics::{FixAvailability, Severity, declare_rule};

use super::{Check, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a constraint that is still `NOT VALID` once every migration has run: added
    /// `NOT VALID` (the safe way to add it to a large table) and never followed by
    /// `ALTER TABLE … VALIDATE CONSTRAINT`. Read from `pg_constraint.convalidated` after the
    /// round trip, and reported on the migration that adds it.
    ///
    /// ## Why is this bad?
    /// Postgres checks new and updated rows against it, but never the rows that existed
    /// when it was added: orders pointing at deleted customers, negative totals. Code and
    /// reports that trust the constraint are wrong about those rows, and the planner cannot
    /// use it either.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ADD CONSTRAINT orders_customer_fk
    ///     FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
    /// -- and no migration ever runs:
    /// -- ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;
    /// ```
    ///
    /// ## Fix safety
    /// No fix: validating belongs in a migration of its own, after the data is cleaned up.
    pub ConstraintNotValidated {
        id: "migrations/constraint-not-validated",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(ConstraintNotValidated::META, Check::Reported);
