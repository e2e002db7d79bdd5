//! `migrations/adding-not-nullable-field`: `ALTER COLUMN … SET NOT NULL`.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};
use sqlparser::ast::{AlterColumnOperation, AlterTableOperation};

use super::{Check, FileCheck, MigrationSource, Rule, shown};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE … ALTER COLUMN … SET NOT NULL` on a table the migration did not
    /// create.
    ///
    /// ## Why is this bad?
    /// Postgres scans the whole table to prove there is no null, holding an `ACCESS
    /// EXCLUSIVE` lock that blocks every read and write of the table meanwhile: on a large
    /// orders table that is an outage. Since Postgres 12 a validated `CHECK (col IS NOT
    /// NULL)` constraint lets `SET NOT NULL` skip the scan.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// ALTER TABLE orders ADD CONSTRAINT orders_customer_id_not_null CHECK (customer_id IS NOT NULL) NOT VALID;
    /// -- in a later migration:
    /// ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_not_null;
    /// ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;
    /// ```
    ///
    /// ## Fix safety
    /// No fix: the steps belong in separate migrations.
    pub AddingNotNullableField {
        id: "migrations/adding-not-nullable-field",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    AddingNotNullableField::META,
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
                op: AlterColumnOperation::SetNotNull,
            } => Some(
                source
                    .diagnostic(
                        &AddingNotNullableField::META,
                        operation.range(),
                        format!(
                            "SET NOT NULL on {} scans all of {} under an ACCESS EXCLUSIVE lock",
                            shown(column_name),
                            shown(operation.table)
                        ),
                    )
                    .with_help(
                        "add `CHECK (col IS NOT NULL) NOT VALID`, validate it in a later migration, then SET NOT NULL",
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

    fixture_tests!("adding-not-nullable-field");
}
