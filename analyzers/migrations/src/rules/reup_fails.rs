//! `migrations/reup-fails`: found by the round trip (`cargo commerce migrations verify`).

use commerce_diagnostics::{FixAvailability, Severity, declare_rule};

use super::{Check, Rule};

declare_rule! {
    /// ## What it does
    /// Reports an up migration that fails when applied again after its down migration.
    ///
    /// ## Why is this bad?
    /// Roll back, fix forward, deploy again: the second deploy fails, usually because the
    /// down migration left something behind that the up creates (a type, a function, an
    /// index without `IF NOT EXISTS`).
    ///
    /// ## Example
    /// ```sql
    /// -- up:   CREATE TYPE status AS ENUM ('new'); CREATE TABLE orders (status status);
    /// -- down: DROP TABLE orders;  -- the type is left behind, so the next up fails
    /// ```
    ///
    /// ## Fix safety
    /// No fix.
    pub ReupFails {
        id: "migrations/reup-fails",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(ReupFails::META, Check::Reported);
