//! `migrations/ban-drop-table`: `DROP TABLE`.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, TextRange, declare_rule};
use sqlparser::ast::{ObjectType, Statement};

use super::{Check, FileCheck, MigrationSource, Rule, shown};
use crate::sql::TokenSlice;

declare_rule! {
    /// ## What it does
    /// Flags `DROP TABLE`.
    ///
    /// ## Why is this bad?
    /// Every row of the table is gone for good, and the application version still running
    /// during the deploy fails on its next query of the table. Retire a table in two
    /// releases: first stop using it, then drop it (after a backup, if the data matters).
    ///
    /// ## Example
    /// ```sql
    /// DROP TABLE carts;
    /// ```
    ///
    /// ## Fix safety
    /// No fix: whether the data may go is for a person to decide.
    pub BanDropTable {
        id: "migrations/ban-drop-table",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    BanDropTable::META,
    Check::File(FileCheck {
        postgres_only: false,
        checks_down: false,
        check,
        keyword_scan: Some(keyword_scan),
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    source
        .parsed()
        .filter_map(|(statement, parsed)| match parsed {
            Statement::Drop {
                object_type: ObjectType::Table,
                names,
                ..
            } => {
                let tables: Vec<String> = names.iter().map(shown).collect();
                Some(
                    source
                        .diagnostic(
                            &BanDropTable::META,
                            statement.range,
                            format!(
                                "dropping table {} deletes every row and breaks code that still queries it",
                                tables.join(", ")
                            ),
                        )
                        .with_help("stop using the table in a release first, then drop it in a later migration"),
                )
            }
            _ => None,
        })
        .collect()
}

fn keyword_scan(tokens: TokenSlice<'_>) -> Option<TextRange> {
    tokens.words_range(&["DROP", "TABLE"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("ban-drop-table");
}
