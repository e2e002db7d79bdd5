//! `migrations/require-concurrent-index-creation`: `CREATE INDEX` without `CONCURRENTLY`.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, TextRange, declare_rule};
use sqlparser::ast::Statement as Ast;

use super::fixes::concurrently_fix;
use super::{Check, FileCheck, MigrationSource, Rule, shown};
use crate::sql::TokenSlice;

declare_rule! {
    /// ## What it does
    /// Flags `CREATE [UNIQUE] INDEX` without `CONCURRENTLY` on a table the migration did not
    /// create.
    ///
    /// ## Why is this bad?
    /// A plain index build holds a `SHARE` lock for its whole duration: every insert, update
    /// and delete on the table waits, minutes on a large table. `CONCURRENTLY` builds without
    /// blocking writes. It cannot run inside a transaction block, so the migration must opt
    /// out of its tool's transaction (`-- no-transaction` for sqlx, `run_in_transaction =
    /// false` in diesel's `metadata.toml`) and hold this one statement only.
    ///
    /// ## Example
    /// ```sql
    /// CREATE INDEX orders_customer_idx ON orders (customer_id);
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// -- no-transaction
    /// CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);
    /// ```
    ///
    /// ## Fix safety
    /// The fix adds `CONCURRENTLY`, and for a sqlx migration holding only this statement,
    /// the `-- no-transaction` line too. Unsafe: a concurrent build that fails leaves an
    /// invalid index to drop by hand. Display-only when the statement shares its migration
    /// with others, which must then be split.
    pub RequireConcurrentIndexCreation {
        id: "migrations/require-concurrent-index-creation",
        severity: Severity::Warning,
        fix: FixAvailability::Always,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    RequireConcurrentIndexCreation::META,
    Check::File(FileCheck {
        postgres_only: true,
        checks_down: false,
        check,
        keyword_scan: Some(keyword_scan),
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    source
        .parsed()
        .filter_map(|(statement, parsed)| {
            let Ast::CreateIndex(index) = parsed else {
                return None;
            };
            if index.concurrently || source.creates_table(&index.table_name) {
                return None;
            }
            let tokens = statement.tokens();
            let index_token = tokens.get(create_index_keyword(tokens)?)?;
            Some(
                source
                    .diagnostic(
                        &RequireConcurrentIndexCreation::META,
                        statement.range,
                        format!(
                            "building an index without CONCURRENTLY blocks writes to {} for the whole build",
                            shown(&index.table_name)
                        ),
                    )
                    .with_help(
                        "use CREATE INDEX CONCURRENTLY, alone in a migration that runs outside a transaction",
                    )
                    .with_fix(concurrently_fix(source, statement, index_token)),
            )
        })
        .collect()
}

/// The position of `INDEX` in `CREATE [UNIQUE] INDEX`.
pub(crate) fn create_index_keyword(tokens: TokenSlice<'_>) -> Option<usize> {
    if tokens.starts_with_words(&["CREATE", "INDEX"]) {
        Some(1)
    } else if tokens.starts_with_words(&["CREATE", "UNIQUE", "INDEX"]) {
        Some(2)
    } else {
        None
    }
}

fn keyword_scan(tokens: TokenSlice<'_>) -> Option<TextRange> {
    let index = create_index_keyword(tokens)?;
    (!tokens.words_at(index + 1, &["CONCURRENTLY"])).then(|| tokens.slice(0, index + 1).range())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::{findings, fixture_tests};

    fixture_tests!("require-concurrent-index-creation");

    #[test]
    fn a_lone_statement_in_a_sqlx_transaction_gets_the_no_transaction_marker() {
        let fixed = crate::rules::test_support::apply_fixes(
            "CREATE INDEX i ON orders (customer_id);\n",
            &findings(&RULE, "CREATE INDEX i ON orders (customer_id);\n"),
        );
        assert_eq!(
            fixed,
            "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON orders (customer_id);\n"
        );
    }
}
