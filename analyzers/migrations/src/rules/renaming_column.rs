//! `migrations/renaming-column`: `RENAME COLUMN`.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, TextRange, declare_rule};
use sqlparser::ast::AlterTableOperation;

use super::{Check, FileCheck, MigrationSource, Rule, shown};
use crate::sql::TokenSlice;

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE … RENAME COLUMN`.
    ///
    /// ## Why is this bad?
    /// The release still running during the deploy names the old column and fails on every
    /// query of it from the moment the migration commits.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE customers RENAME COLUMN mail TO email;
    /// ```
    ///
    /// Use instead: add the new column, write both, backfill, switch reads, then drop the
    /// old one (or keep a view with the old name while releases overlap).
    ///
    /// ## Fix safety
    /// No fix.
    pub RenamingColumn {
        id: "migrations/renaming-column",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    RenamingColumn::META,
    Check::File(FileCheck {
        postgres_only: false,
        checks_down: false,
        check,
        keyword_scan: Some(keyword_scan),
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    source
        .alterations()
        .filter_map(|operation| match operation.operation {
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => Some(
                source
                    .diagnostic(
                        &RenamingColumn::META,
                        operation.range(),
                        format!(
                            "renaming {} to {} in {} breaks the running release, which still uses the old name",
                            shown(old_column_name),
                            shown(new_column_name),
                            shown(operation.table)
                        ),
                    )
                    .with_help("add the new column and migrate to it over two releases instead"),
            ),
            _ => None,
        })
        .collect()
}

fn keyword_scan(tokens: TokenSlice<'_>) -> Option<TextRange> {
    tokens.words_range(&["RENAME", "COLUMN"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("renaming-column");
}
