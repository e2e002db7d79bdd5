//! `migrations/up-fails`: found by the round trip (`cargo commerce migrations verify`).

use commerce_diagnostics::{FixAvailability, Severity, declare_rule};

use super::{Check, Rule};

declare_rule! {
    /// ## What it does
    /// Reports an up migration that fails when applied, in order, to a fresh database at the
    /// previous migration's schema, quoting Postgres' error and pointing at the failing
    /// statement. A statement stopped by `statement_timeout` or `lock_timeout` is reported
    /// as such. Found by the round trip, which stops the history there: later migrations
    /// are not verified.
    ///
    /// ## Why is this bad?
    /// The deploy that runs it fails. Typical causes: a missing extension, an object an
    /// earlier migration never created, `CONCURRENTLY` in a transaction block.
    ///
    /// ## Example
    /// ```sql
    /// CREATE INDEX orders_search ON orders USING gin (note gin_trgm_ops); -- pg_trgm not created
    /// ```
    ///
    /// ## Fix safety
    /// No fix.
    pub UpFails {
        id: "migrations/up-fails",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(UpFails::META, Check::Reported);
