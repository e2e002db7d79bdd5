//! `migrations/down-drift`: found by the round trip (`cargo commerce migrations verify`).

use commerce_diagnostics::{FixAvailability, Severity, declare_rule};

use super::{Check, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a down migration that succeeds but does not restore the schema from before
    /// its up migration, listing every difference read from the catalogs: tables, columns
    /// (type, nullability, default, identity, collation), constraints, indexes, triggers,
    /// functions, enums, extensions, views, sequences, policies. Column order, whitespace in
    /// function bodies and the literals PostgreSQL folds from the clock when a view or default
    /// is created (`'now'::timestamp`) are not differences. A changed definition is shown as
    /// a token diff; the full texts are in the finding's data.
    ///
    /// ## Why is this bad?
    /// After a rollback, the previous release runs against a schema it was never tested
    /// with: a lost default makes its inserts fail, a lost `NOT NULL` or constraint lets bad
    /// data in, a leftover object makes the next deploy's up migration fail.
    ///
    /// ## Example
    /// ```sql
    /// -- up:   ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new';
    /// -- down: (nothing about the default)
    /// ```
    ///
    /// ## Fix safety
    /// No fix.
    pub DownDrift {
        id: "migrations/down-drift",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(DownDrift::META, Check::Reported);
