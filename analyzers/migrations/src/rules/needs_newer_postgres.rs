//! `migrations/needs-newer-postgres`: found by the round trip (`cargo commerce migrations verify`).

use commerce_diagnostics::{FixAvailability, Severity, declare_rule};

use super::{Check, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a migration that fails on a server older than the PostgreSQL the project
    /// targets: `[migrations] postgres = "16"`, else the major version in the tag of a
    /// PostgreSQL image in a compose file or CI workflow (`postgres:16`,
    /// `postgis/postgis:16-3.4`, `pgvector/pgvector:pg16`). One finding, quoting the server's
    /// error; the round trip stops there instead of reporting the rest of the history as
    /// failures it cannot judge.
    ///
    /// ## Why is this bad?
    /// Nothing may be wrong with the migration: syntax newer than the server (a subquery in
    /// `FROM` without an alias needs PostgreSQL 16, a named `NOT NULL` constraint 18) fails
    /// there. But the migrations from this one on were not verified.
    ///
    /// ## Example
    /// ```sql
    /// -- [migrations] postgres = "16", verified on the machine's PostgreSQL 15:
    /// CREATE VIEW order_totals AS SELECT * FROM (SELECT order_id, sum(total) FROM lines GROUP BY 1);
    /// ```
    ///
    /// ## Fix safety
    /// No fix: set `DATABASE_URL` to a server of the targeted version.
    pub NeedsNewerPostgres {
        id: "migrations/needs-newer-postgres",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(NeedsNewerPostgres::META, Check::Reported);
