//! `migrations/require-concurrent-index-deletion`: `DROP INDEX` without `CONCURRENTLY`.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};

use super::fixes::concurrently_fix;
use super::{Check, FileCheck, MigrationSource, Rule};

declare_rule! {
    /// ## What it does
    /// Flags `DROP INDEX` without `CONCURRENTLY`.
    ///
    /// ## Why is this bad?
    /// A plain `DROP INDEX` takes an `ACCESS EXCLUSIVE` lock on the index's table: it waits
    /// behind every running query of the table, and every query that arrives meanwhile waits
    /// behind it. `DROP INDEX CONCURRENTLY` waits without blocking anyone. It cannot run in a
    /// transaction block, so the migration must opt out of its tool's transaction.
    ///
    /// ## Example
    /// ```sql
    /// DROP INDEX orders_customer_idx;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// -- no-transaction
    /// DROP INDEX CONCURRENTLY IF EXISTS orders_customer_idx;
    /// ```
    ///
    /// ## Fix safety
    /// As for `migrations/require-concurrent-index-creation`.
    pub RequireConcurrentIndexDeletion {
        id: "migrations/require-concurrent-index-deletion",
        severity: Severity::Warning,
        fix: FixAvailability::Always,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    RequireConcurrentIndexDeletion::META,
    Check::File(FileCheck {
        postgres_only: true,
        checks_down: false,
        check,
        // The check reads tokens, so it covers statements that did not parse as well.
        keyword_scan: None,
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    source
        .statements()
        .iter()
        .filter_map(|statement| {
            let tokens = statement.tokens();
            if !tokens.starts_with_words(&["DROP", "INDEX"]) || tokens.words_at(2, &["CONCURRENTLY"]) {
                return None;
            }
            let index_token = tokens.get(1)?;
            Some(
                source
                    .diagnostic(
                        &RequireConcurrentIndexDeletion::META,
                        statement.range,
                        "dropping an index without CONCURRENTLY locks its table against every query until done",
                    )
                    .with_help("use DROP INDEX CONCURRENTLY, alone in a migration that runs outside a transaction")
                    .with_fix(concurrently_fix(source, statement, index_token)),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("require-concurrent-index-deletion");
}
