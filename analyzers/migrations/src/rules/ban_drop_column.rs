//! `migrations/ban-drop-column`: `ALTER TABLE … DROP COLUMN`.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, TextRange, declare_rule};
use sqlparser::ast::AlterTableOperation;

use super::{Check, FileCheck, MigrationSource, Rule, shown};
use crate::sql::TokenSlice;

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE … DROP COLUMN`.
    ///
    /// ## Why is this bad?
    /// The column's data is gone for good, and the application version still running during
    /// the deploy (and any query that names the column, `SELECT *` with a fixed row type
    /// included) fails as soon as the migration commits. Drop a column in two releases:
    /// first stop reading and writing it, then drop it.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders DROP COLUMN legacy_total;
    /// ```
    ///
    /// Use instead: deploy code that no longer uses `legacy_total`, and drop it in a later
    /// migration once no running version reads it.
    ///
    /// ## Fix safety
    /// No fix: whether the data may go is for a person to decide.
    pub BanDropColumn {
        id: "migrations/ban-drop-column",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    BanDropColumn::META,
    Check::File(FileCheck {
        postgres_only: false,
        checks_down: false,
        check,
        keyword_scan: Some(keyword_scan),
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    source
        .alterations()
        .filter_map(|operation| match operation.operation {
            AlterTableOperation::DropColumn { column_names, .. } => {
                let columns: Vec<String> = column_names.iter().map(shown).collect();
                Some(
                    source
                        .diagnostic(
                            &BanDropColumn::META,
                            operation.range(),
                            format!(
                                "dropping column {} of {} deletes its data and breaks code that still reads it",
                                columns.join(", "),
                                shown(operation.table)
                            ),
                        )
                        .with_help(
                            "stop using the column in a release first, then drop it in a later migration",
                        ),
                )
            }
            _ => None,
        })
        .collect()
}

fn keyword_scan(tokens: TokenSlice<'_>) -> Option<TextRange> {
    tokens.words_range(&["DROP", "COLUMN"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::{fixture_tests, pointed_at};

    fixture_tests!("ban-drop-column");

    #[test]
    fn a_statement_that_does_not_parse_is_still_scanned_for_the_keywords() {
        let text = "ALTER TABLE orders DROP COLUMN total, WOBBLE note;";
        let found = crate::rules::test_support::findings(&RULE, text);
        assert_eq!(found.len(), 1);
        assert_eq!(&text[found[0].range.to_usize_range()], "DROP COLUMN");
        assert!(
            found[0].message.contains("found by keyword scan"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn points_at_each_operation_of_a_multi_operation_alter() {
        let text = "ALTER TABLE \"commandes\" ADD COLUMN note text, DROP COLUMN \"prix_€\" CASCADE, DROP total;";
        assert_eq!(
            pointed_at(&RULE, text),
            ["DROP COLUMN \"prix_€\" CASCADE", "DROP total"]
        );
    }
}
