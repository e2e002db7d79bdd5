//! `migrations/changing-column-type`: `ALTER COLUMN … TYPE`.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, TextRange, declare_rule};
use sqlparser::ast::{AlterColumnOperation, AlterTableOperation};

use super::{Check, FileCheck, MigrationSource, Rule, shown};
use crate::sql::TokenSlice;

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE … ALTER COLUMN … [SET DATA] TYPE` on a table the migration did not
    /// create.
    ///
    /// ## Why is this bad?
    /// Most type changes rewrite the table and all its indexes under an `ACCESS EXCLUSIVE`
    /// lock, blocking every read and write until done, and the running release may not
    /// understand the new type. Only a few changes (`varchar(n)` to a larger `n` or to
    /// `text`) skip the rewrite, and even those take the lock.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ALTER COLUMN total TYPE numeric(12, 2);
    /// ```
    ///
    /// Use instead: add a new column, write both, backfill in batches, switch reads, then
    /// drop the old column.
    ///
    /// ## Fix safety
    /// No fix.
    pub ChangingColumnType {
        id: "migrations/changing-column-type",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    ChangingColumnType::META,
    Check::File(FileCheck {
        postgres_only: true,
        checks_down: false,
        check,
        keyword_scan: Some(keyword_scan),
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    source
        .alterations_of_existing_tables()
        .filter_map(|operation| match operation.operation {
            AlterTableOperation::AlterColumn {
                column_name,
                op: AlterColumnOperation::SetDataType { .. },
            } => Some(
                source
                    .diagnostic(
                        &ChangingColumnType::META,
                        operation.range(),
                        format!(
                            "changing the type of {} usually rewrites {} and its indexes under an ACCESS EXCLUSIVE lock",
                            shown(column_name),
                            shown(operation.table)
                        ),
                    )
                    .with_help("add a new column, backfill it in batches, switch reads, then drop the old one"),
            ),
            _ => None,
        })
        .collect()
}

fn keyword_scan(tokens: TokenSlice<'_>) -> Option<TextRange> {
    if !tokens.starts_with_words(&["ALTER", "TABLE"]) {
        return None;
    }
    let column = tokens
        .find_words(&["ALTER", "COLUMN"])
        .filter(|at| *at > 0)?;
    let rest = tokens.from(column);
    let kind = rest
        .find_words(&["SET", "DATA", "TYPE"])
        .or_else(|| rest.find_words(&["TYPE"]))?;
    Some(tokens.slice(column, column + kind + 1).range())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("changing-column-type");
}
