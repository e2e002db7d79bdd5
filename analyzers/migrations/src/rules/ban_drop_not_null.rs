//! `migrations/ban-drop-not-null`: `ALTER COLUMN … DROP NOT NULL`.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};
use sqlparser::ast::{AlterColumnOperation, AlterTableOperation};

use super::{Check, FileCheck, MigrationSource, Rule, shown};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE … ALTER COLUMN … DROP NOT NULL`.
    ///
    /// ## Why is this bad?
    /// Code that reads the column assumes a value is always there. Once nulls can be
    /// written, the running release (and every consumer of the data: reports, exports,
    /// the ledger) meets a null it was never written for.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ALTER COLUMN customer_id DROP NOT NULL;
    /// ```
    ///
    /// ## Fix safety
    /// No fix.
    pub BanDropNotNull {
        id: "migrations/ban-drop-not-null",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    BanDropNotNull::META,
    Check::File(FileCheck {
        postgres_only: true,
        checks_down: false,
        check,
        keyword_scan: None,
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    source
        .alterations()
        .filter_map(|operation| match operation.operation {
            AlterTableOperation::AlterColumn {
                column_name,
                op: AlterColumnOperation::DropNotNull,
            } => Some(
                source
                    .diagnostic(
                        &BanDropNotNull::META,
                        operation.range(),
                        format!(
                            "dropping NOT NULL lets nulls into {} of {}, which readers do not expect",
                            shown(column_name),
                            shown(operation.table)
                        ),
                    )
                    .with_help("make sure every reader of the column handles a null first"),
            ),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("ban-drop-not-null");
}
