//! `migrations/audit-not-append-only`: found by the append-only probes of
//! `cargo commerce migrations verify`.

use commerce_diagnostics::{FixAvailability, Severity, declare_rule};

use super::{Check, Rule};

declare_rule! {
    /// ## What it does
    /// After the round trip, on the final schema (in a transaction that is rolled back), takes
    /// every audit table — named `*_audit`, or whose comment carries `commerce:append-only`
    /// (as the tables of `cargo commerce audit sql` do) — makes sure it holds a row (one the
    /// constraint probes inserted, else one inserted with user triggers off), and tries an
    /// `UPDATE` and a `DELETE` of that row, each in a savepoint. Reports each statement the
    /// table accepted.
    ///
    /// ## Why is this bad?
    /// An audit trail that can be rewritten proves nothing: a refund recorded as never
    /// issued, an order state quietly changed, a webhook marked processed after the fact.
    /// Append-only is a property of the database (triggers, rules, revoked privileges), and
    /// a migration that drops or disables the trigger, or an audit table created without
    /// one, loses it silently.
    ///
    /// ## Example
    /// ```sql
    /// CREATE TABLE payment_audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ///                             payment_id text NOT NULL, status text NOT NULL);
    /// -- nothing stops `UPDATE payment_audit SET status = 'succeeded'`
    /// ```
    ///
    /// ## Fix safety
    /// No fix: apply the SQL of `cargo commerce audit sql`, or add triggers that raise on
    /// `UPDATE`, `DELETE` and `TRUNCATE`; which rows already changed is for a person to
    /// check.
    pub AuditNotAppendOnly {
        id: "migrations/audit-not-append-only",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(AuditNotAppendOnly::META, Check::Reported);
