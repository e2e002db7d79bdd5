//! Fixes shared by several rules: `CONCURRENTLY` (and leaving the tool's transaction, which
//! it needs), and `NOT VALID` followed by `VALIDATE CONSTRAINT`.

use commerce_diagnostics::{Applicability, Edit, Fix, TextSize};
use sqlparser::ast::Ident;

use super::MigrationSource;
use crate::layout::Layout;
use crate::sql::ddl::AlterOperation;
use crate::sql::{SqlToken, Statement};

/// sqlx's marker for a migration that runs outside a transaction.
const SQLX_NO_TRANSACTION_LINE: &str = "-- no-transaction\n";

/// Inserts ` words` right after `token`, e.g. ` CONCURRENTLY` after `INDEX`, in lower case
/// when the token is written in lower case.
pub(crate) fn insert_words_after(
    source: &MigrationSource<'_>,
    token: &SqlToken,
    words: &str,
) -> Edit {
    let written = &source.text[token.range.to_usize_range()];
    let words = if written.chars().any(char::is_uppercase) {
        words.to_owned()
    } else {
        words.to_lowercase()
    };
    Edit::insertion(source.path(), token.range.end(), format!(" {words}"))
}

/// How a statement that must run outside a transaction can get there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransactionExit {
    /// It already runs outside one.
    NotNeeded,
    /// A sqlx migration of this one statement: start the file with `-- no-transaction`.
    SqlxMarker,
    /// Only by moving the statement into a migration of its own.
    Manual,
}

/// Whether `statement` runs in a transaction block (the tool's, an explicit `BEGIN`, or the
/// implicit one Postgres opens for a query string of several statements, which is how sqlx
/// and diesel send a migration that opts out of their transaction), and how to leave it.
pub(crate) fn transaction_exit(
    source: &MigrationSource<'_>,
    statement: &Statement,
) -> TransactionExit {
    let alone = source.statements().len() == 1;
    if !source.in_transaction_at(statement) && alone {
        TransactionExit::NotNeeded
    } else if alone && source.migration.layout == Layout::Sqlx && source.file.in_transaction {
        TransactionExit::SqlxMarker
    } else {
        TransactionExit::Manual
    }
}

/// The edit that starts a sqlx file with `-- no-transaction`.
pub(crate) fn sqlx_marker_edit(source: &MigrationSource<'_>) -> Edit {
    Edit::insertion(source.path(), TextSize::new(0), SQLX_NO_TRANSACTION_LINE)
}

/// Adds `CONCURRENTLY` after the `INDEX` token, and takes the file out of its transaction
/// when that is mechanical. Unsafe: a concurrent build that fails leaves an invalid index to
/// drop by hand, and without a transaction a failed migration is not rolled back.
pub(crate) fn concurrently_fix(
    source: &MigrationSource<'_>,
    statement: &Statement,
    index_token: &SqlToken,
) -> Fix {
    let concurrently = insert_words_after(source, index_token, "CONCURRENTLY");
    match transaction_exit(source, statement) {
        TransactionExit::NotNeeded => Fix::unsafe_edit("Add `CONCURRENTLY`", vec![concurrently]),
        TransactionExit::SqlxMarker => Fix::unsafe_edit(
            "Add `CONCURRENTLY` and run this migration outside a transaction (`-- no-transaction`)",
            vec![sqlx_marker_edit(source), concurrently],
        ),
        TransactionExit::Manual => Fix::display_only(
            "Add `CONCURRENTLY`, and move the statement into a migration of its own that runs outside a transaction",
            vec![concurrently],
        ),
    }
}

/// Adds `NOT VALID` to a constraint an `ALTER TABLE` adds, and validates it in a statement of
/// its own right after. `None` for an unnamed constraint: `VALIDATE` needs the name.
///
/// Inside a transaction the `VALIDATE` still runs under the `ACCESS EXCLUSIVE` lock the `ADD`
/// took, so there the fix is display-only: the `VALIDATE` belongs in a later migration.
pub(crate) fn not_valid_fix(
    source: &MigrationSource<'_>,
    statement: &Statement,
    operation: &AlterOperation<'_>,
    name: Option<&Ident>,
) -> Option<Fix> {
    let name = name?;
    let validate = format!(
        ";\nALTER TABLE {} VALIDATE CONSTRAINT {name}",
        operation.table
    );
    let operation_end = operation.range().end();
    let edits = if operation_end == statement.range.end() {
        vec![Edit::insertion(
            source.path(),
            operation_end,
            format!(" NOT VALID{validate}"),
        )]
    } else {
        vec![
            Edit::insertion(source.path(), operation_end, " NOT VALID"),
            Edit::insertion(source.path(), statement.range.end(), validate),
        ]
    };
    let (title, applicability) = if source.in_transaction_at(statement) {
        (
            "Add `NOT VALID` and `VALIDATE CONSTRAINT` (move the VALIDATE into a later migration: in this transaction it still holds the lock)",
            Applicability::DisplayOnly,
        )
    } else {
        (
            "Add `NOT VALID`, then `VALIDATE CONSTRAINT` in a statement of its own",
            Applicability::Unsafe,
        )
    };
    Some(Fix::new(title, applicability, edits))
}
