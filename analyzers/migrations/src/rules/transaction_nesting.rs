//! `migrations/transaction-nesting`: `BEGIN`/`COMMIT` in a migration its tool already wraps
//! in a transaction.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};

use super::{Check, FileCheck, MigrationSource, Rule, is_transaction_end, is_transaction_start};

declare_rule! {
    /// ## What it does
    /// Flags `BEGIN`, `START TRANSACTION`, `COMMIT` and `ROLLBACK` in a migration that its
    /// tool already runs in a transaction (every sqlx migration without `-- no-transaction`,
    /// every diesel migration unless `run_in_transaction = false`).
    ///
    /// ## Why is this bad?
    /// The inner `BEGIN` only warns, but the `COMMIT` commits the tool's transaction early:
    /// the statements after it run outside any transaction, and a failure there leaves a
    /// half-applied migration that the tool believes it rolled back.
    ///
    /// ## Example
    /// ```sql
    /// BEGIN;
    /// ALTER TABLE orders ADD COLUMN note text;
    /// COMMIT;
    /// ```
    ///
    /// Use instead: the statement alone; the tool provides the transaction.
    ///
    /// ## Fix safety
    /// No fix.
    pub TransactionNesting {
        id: "migrations/transaction-nesting",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    TransactionNesting::META,
    Check::File(FileCheck {
        postgres_only: false,
        checks_down: true,
        check,
        keyword_scan: None,
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    if !source.file.in_transaction {
        return Vec::new();
    }
    source
        .statements()
        .iter()
        .filter(|statement| is_transaction_start(statement.tokens()) || is_transaction_end(statement.tokens()))
        .map(|statement| {
            source
                .diagnostic(
                    &TransactionNesting::META,
                    statement.range,
                    "the migration tool already runs this file in a transaction; this statement ends or nests it",
                )
                .with_help("remove it: the tool commits or rolls back the whole migration")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("transaction-nesting");
}
