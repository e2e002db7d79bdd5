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
    DEFAULT_PROBE_SEED, MigrationTiming, NotAppendOnly, NotEnforced, PostgresServer, ProbeReport,
    ServerError, VerifyError, VerifyOptions, VerifyReport, verify, verify_sqlite,
};

/// How much of a SQL text the rules' parser cannot read: 1 when the tokenizer gives up, plus
/// each statement sqlparser does not parse. The fix engine reverts a fix that raises it.
pub fn unparsed_statements(text: &str, dialect: commerce_project::Dialect) -> usize {
    let file = sql::SqlFile::parse(text, dialect);
    usize::from(file.lex_error.is_some())
        + file
            .statements
            .iter()
            .filter(|statement| statement.parsed.is_err())
            .count()
}

/// The metadata of every rule this crate reports, static and round-trip.
pub fn rules() -> Vec<RuleMeta> {
    rules::RULES.iter().map(|rule| rule.meta).collect()
}
