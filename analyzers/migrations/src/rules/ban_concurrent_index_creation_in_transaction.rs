//! `migrations/ban-concurrent-index-creation-in-transaction`: `CONCURRENTLY` where Postgres
//! refuses it.

use commerce_diagnostics::{Diagnostic, Fix, FixAvailability, Severity, declare_rule};

use super::fixes::{TransactionExit, sqlx_marker_edit, transaction_exit};
use super::{Check, FileCheck, MigrationSource, Rule};

declare_rule! {
    /// ## What it does
    /// Flags `CREATE INDEX CONCURRENTLY` and `DROP INDEX CONCURRENTLY` in a transaction
    /// block: a migration its tool wraps in a transaction, after an explicit `BEGIN`, or in a
    /// file of several statements. sqlx and diesel send a migration that opts out of their
    /// transaction as one query string, and Postgres runs a query string of several
    /// statements as one implicit transaction.
    ///
    /// ## Why is this bad?
    /// Postgres refuses it: `CREATE INDEX CONCURRENTLY cannot run inside a transaction
    /// block`. The migration fails on every deploy.
    ///
    /// ## Example
    /// ```sql
    /// CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);
    /// ```
    /// in a sqlx migration without `-- no-transaction`.
    ///
    /// Use instead:
    /// ```sql
    /// -- no-transaction
    /// CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);
    /// ```
    ///
    /// ## Fix safety
    /// For a sqlx migration of this one statement, the fix adds `-- no-transaction`. Safe:
    /// the migration cannot succeed as it is, and a single statement is atomic on its own.
    pub BanConcurrentIndexCreationInTransaction {
        id: "migrations/ban-concurrent-index-creation-in-transaction",
        severity: Severity::Error,
        fix: FixAvailability::Sometimes,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    BanConcurrentIndexCreationInTransaction::META,
    Check::File(FileCheck {
        postgres_only: true,
        checks_down: true,
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
            let concurrently = [
                ["CREATE", "INDEX", "CONCURRENTLY"].as_slice(),
                &["CREATE", "UNIQUE", "INDEX", "CONCURRENTLY"],
                &["DROP", "INDEX", "CONCURRENTLY"],
            ]
            .into_iter()
            .find(|words| tokens.starts_with_words(words))?;
            let exit = transaction_exit(source, statement);
            if exit == TransactionExit::NotNeeded {
                return None;
            }
            let keyword = tokens.get(concurrently.len() - 1)?;
            let diagnostic = source
                .diagnostic(
                    &BanConcurrentIndexCreationInTransaction::META,
                    keyword.range,
                    format!(
                        "Postgres refuses `{} … CONCURRENTLY` in a transaction block, and this one runs in one ({})",
                        concurrently[..concurrently.len() - 1].join(" "),
                        why_in_transaction(source, statement)
                    ),
                )
                .with_help("put the statement alone in a migration that runs outside a transaction");
            Some(match exit {
                TransactionExit::SqlxMarker => diagnostic.with_fix(Fix::safe(
                    "Run this migration outside a transaction (`-- no-transaction`)",
                    vec![sqlx_marker_edit(source)],
                )),
                _ => diagnostic,
            })
        })
        .collect()
}

fn why_in_transaction(
    source: &MigrationSource<'_>,
    statement: &crate::sql::Statement,
) -> &'static str {
    if source.file.in_transaction {
        "the migration tool wraps the file in a transaction"
    } else if source.in_transaction_at(statement) {
        "an explicit BEGIN opened it"
    } else {
        "the file has several statements, which Postgres runs as one implicit transaction"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::{findings, fixture_tests};

    fixture_tests!("ban-concurrent-index-creation-in-transaction");

    #[test]
    fn a_no_transaction_file_of_several_statements_is_still_one_transaction() {
        let text = "-- no-transaction\nCREATE INDEX CONCURRENTLY a ON t (x);\nCREATE INDEX CONCURRENTLY b ON t (y);\n";
        let found = findings(&RULE, text);
        assert_eq!(found.len(), 2);
        assert!(
            found[0].message.contains("several statements"),
            "{}",
            found[0].message
        );
        assert!(found.iter().all(|diagnostic| diagnostic.fix.is_none()));
        assert_eq!(
            findings(
                &RULE,
                "-- no-transaction\nCREATE INDEX CONCURRENTLY a ON t (x);\n"
            ),
            []
        );
    }
}
