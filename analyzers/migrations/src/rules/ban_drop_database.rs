//! `migrations/ban-drop-database`: `DROP DATABASE`.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, TextRange, declare_rule};
use sqlparser::ast::{ObjectType, Statement};

use super::{Check, FileCheck, MigrationSource, Rule};
use crate::sql::TokenSlice;

declare_rule! {
    /// ## What it does
    /// Flags `DROP DATABASE`.
    ///
    /// ## Why is this bad?
    /// A migration runs against production: dropping a database there deletes everything in
    /// it. No migration should ever do this; a test fixture that needs it belongs in the
    /// test kit.
    ///
    /// ## Example
    /// ```sql
    /// DROP DATABASE shop;
    /// ```
    ///
    /// ## Fix safety
    /// No fix.
    pub BanDropDatabase {
        id: "migrations/ban-drop-database",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    BanDropDatabase::META,
    Check::File(FileCheck {
        postgres_only: false,
        checks_down: true,
        check,
        keyword_scan: Some(keyword_scan),
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    source
        .parsed()
        .filter(|(_, parsed)| {
            matches!(
                parsed,
                Statement::Drop {
                    object_type: ObjectType::Database,
                    ..
                }
            )
        })
        .map(|(statement, _)| {
            source.diagnostic(
                &BanDropDatabase::META,
                statement.range,
                "a migration must never drop a database: it deletes everything in it",
            )
        })
        .collect()
}

fn keyword_scan(tokens: TokenSlice<'_>) -> Option<TextRange> {
    tokens.words_range(&["DROP", "DATABASE"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("ban-drop-database");
}
