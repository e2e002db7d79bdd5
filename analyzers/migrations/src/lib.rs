//! SQL migrations: the sqlx and diesel layouts ([`discover`]), static rules on parsed SQL
//! ([`lint`], [`rules`]), and the round-trip engine that applies, rolls back and re-applies
//! each migration on a real Postgres ([`verify`]).

mod layout;
mod lint;
pub mod rules;
mod sql;
pub mod verify;

use commerce_diagnostics::RuleMeta;

pub use layout::{Direction, Discovery, Layout, LayoutProblem, Migration, MigrationFile, discover};
pub use lint::{LintScope, lint, migrations_dir};
pub use verify::{
    DEFAULT_PROBE_SEED, MigrationTiming, NotEnforced, PostgresServer, ProbeReport, ServerError,
    VerifyError, VerifyOptions, VerifyReport, verify, verify_sqlite,
};

/// The metadata of every rule this crate reports, static and round-trip.
pub fn rules() -> Vec<RuleMeta> {
    let mut rules: Vec<RuleMeta> = rules::RULES.iter().map(|rule| rule.meta).collect();
    rules.push(rules::invalid_migration::InvalidMigration::META);
    rules.push(rules::applied_migration_edited::AppliedMigrationEdited::META);
    rules.push(rules::code_references_dropped_column::CodeReferencesDroppedColumn::META);
    rules.extend(rules::ROUND_TRIP_RULES);
    rules
}
