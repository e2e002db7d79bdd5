//! `migrations/prefer-robust-stmts`: statements a migration outside a transaction cannot
//! re-run after a partial failure.

use commerce_diagnostics::{Diagnostic, Fix, FixAvailability, Severity, declare_rule};
use sqlparser::ast::{AlterTableOperation, Statement as Ast};

use super::fixes::insert_words_after;
use super::{Check, FileCheck, MigrationSource, Rule};
use crate::sql::ddl::alter_operations;
use crate::sql::{SqlToken, Statement};

declare_rule! {
    /// ## What it does
    /// In a migration that runs outside its tool's transaction (`-- no-transaction`,
    /// `run_in_transaction = false`), flags `CREATE TABLE`/`CREATE INDEX`/`ADD COLUMN`
    /// without `IF NOT EXISTS` and `DROP TABLE`/`DROP INDEX`/`DROP COLUMN`/`DROP CONSTRAINT`
    /// without `IF EXISTS`.
    ///
    /// ## Why is this bad?
    /// Without a transaction, a migration that fails halfway (a concurrent index build that
    /// meets a duplicate, a lock timeout) keeps what it did so far, and the tool has not
    /// recorded it as applied. Running it again then fails on the first statement that
    /// already took effect. Migrations inside a transaction are rolled back whole and are
    /// not checked.
    ///
    /// ## Example
    /// ```sql
    /// -- no-transaction
    /// CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// -- no-transaction
    /// CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_idx ON orders (customer_id);
    /// ```
    ///
    /// ## Fix safety
    /// Safe: `IF [NOT] EXISTS` changes nothing when the statement would have succeeded. (An
    /// invalid index left by a failed concurrent build still has to be dropped by hand.)
    pub PreferRobustStmts {
        id: "migrations/prefer-robust-stmts",
        severity: Severity::Warning,
        fix: FixAvailability::Sometimes,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    PreferRobustStmts::META,
    Check::File(FileCheck {
        postgres_only: true,
        checks_down: true,
        check,
        keyword_scan: None,
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for statement in source.statements() {
        if source.in_transaction_at(statement) {
            continue;
        }
        let guards = match statement.ast() {
            Some(parsed) => missing_guards(statement, parsed),
            None => Vec::new(),
        };
        for (anchor, guard) in guards.into_iter().chain(missing_drop_guard(statement)) {
            let diagnostic = source
                .diagnostic(
                    &PreferRobustStmts::META,
                    anchor.map_or(statement.range, |token| token.range),
                    format!(
                        "missing `{guard}`: after a partial failure this migration cannot be re-run"
                    ),
                )
                .with_help(format!("add `{guard}`"));
            diagnostics.push(match anchor {
                Some(token) => diagnostic.with_fix(Fix::safe(
                    format!("Add `{guard}`"),
                    vec![insert_words_after(source, token, guard)],
                )),
                None => diagnostic,
            });
        }
    }
    diagnostics
}

/// The guards a statement lacks, each with the token to insert it after (`None` when it
/// cannot be added mechanically, as for an unnamed index).
fn missing_guards<'a>(
    statement: &'a Statement,
    parsed: &Ast,
) -> Vec<(Option<&'a SqlToken>, &'static str)> {
    let tokens = statement.tokens();
    match parsed {
        Ast::CreateTable(create) if !create.if_not_exists => {
            vec![(
                tokens.find_words(&["TABLE"]).and_then(|at| tokens.get(at)),
                "IF NOT EXISTS",
            )]
        }
        Ast::CreateIndex(index) if !index.if_not_exists => {
            let anchor = index.name.as_ref().and_then(|_| {
                let at = tokens.find_words(&["INDEX"])?;
                let at = if tokens.words_at(at + 1, &["CONCURRENTLY"]) {
                    at + 1
                } else {
                    at
                };
                tokens.get(at)
            });
            vec![(anchor, "IF NOT EXISTS")]
        }
        Ast::AlterTable(_) => alter_operations(statement)
            .into_iter()
            .filter_map(|operation| {
                let guard = match operation.operation {
                    AlterTableOperation::AddColumn {
                        if_not_exists: false,
                        ..
                    } => "IF NOT EXISTS",
                    AlterTableOperation::DropColumn {
                        if_exists: false, ..
                    }
                    | AlterTableOperation::DropConstraint {
                        if_exists: false, ..
                    } => "IF EXISTS",
                    _ => return None,
                };
                let keyword = operation
                    .tokens
                    .position_top_level(|token| {
                        token.is_word("COLUMN") || token.is_word("CONSTRAINT")
                    })
                    .unwrap_or(0);
                Some((operation.tokens.get(keyword), guard))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `DROP TABLE`/`DROP INDEX [CONCURRENTLY]` without `IF EXISTS`, read from the tokens:
/// sqlparser does not know `DROP INDEX CONCURRENTLY`.
fn missing_drop_guard(statement: &Statement) -> Option<(Option<&SqlToken>, &'static str)> {
    let tokens = statement.tokens();
    let kind = if tokens.starts_with_words(&["DROP", "TABLE"]) {
        1
    } else if tokens.starts_with_words(&["DROP", "INDEX", "CONCURRENTLY"]) {
        2
    } else if tokens.starts_with_words(&["DROP", "INDEX"]) {
        1
    } else {
        return None;
    };
    (!tokens.words_at(kind + 1, &["IF", "EXISTS"])).then(|| (tokens.get(kind), "IF EXISTS"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("prefer-robust-stmts");
}
