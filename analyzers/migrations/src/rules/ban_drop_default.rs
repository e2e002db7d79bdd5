//! `migrations/ban-drop-default`: `ALTER COLUMN … DROP DEFAULT`.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};
use sqlparser::ast::{AlterColumnOperation, AlterTableOperation};

use super::{Check, FileCheck, MigrationSource, Rule, shown};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE … ALTER COLUMN … DROP DEFAULT` on a table the migration did not
    /// create.
    ///
    /// ## Why is this bad?
    /// The release still running during the deploy may insert rows without the column,
    /// relying on the default: once it is gone, those inserts write a null, or fail on a
    /// `NOT NULL` column.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ALTER COLUMN status DROP DEFAULT;
    /// ```
    ///
    /// Use instead: first deploy code that always writes the column, then drop the default.
    ///
    /// ## Fix safety
    /// No fix.
    pub BanDropDefault {
        id: "migrations/ban-drop-default",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    BanDropDefault::META,
    Check::File(FileCheck {
        postgres_only: true,
        checks_down: false,
        check,
        keyword_scan: None,
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    source
        .alterations_of_existing_tables()
        .filter_map(|operation| match operation.operation {
            AlterTableOperation::AlterColumn {
                column_name,
                op: AlterColumnOperation::DropDefault,
            } => Some(
                source
                    .diagnostic(
                        &BanDropDefault::META,
                        operation.range(),
                        format!(
                            "inserts into {} that leave out {} relied on its default",
                            shown(operation.table),
                            shown(column_name)
                        ),
                    )
                    .with_help(
                        "deploy code that always writes the column before dropping its default",
                    ),
            ),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("ban-drop-default");
}
