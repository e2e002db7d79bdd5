//! `migrations/renaming-table`: `ALTER TABLE … RENAME TO`.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, TextRange, declare_rule};
use sqlparser::ast::AlterTableOperation;

use super::{Check, FileCheck, MigrationSource, Rule, shown};
use crate::sql::TokenSlice;

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE … RENAME TO`.
    ///
    /// ## Why is this bad?
    /// The release still running during the deploy queries the old name and fails from the
    /// moment the migration commits.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE basket RENAME TO carts;
    /// ```
    ///
    /// Use instead: rename, and create a view with the old name until no release uses it.
    ///
    /// ## Fix safety
    /// No fix.
    pub RenamingTable {
        id: "migrations/renaming-table",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    RenamingTable::META,
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
        .filter(|operation| matches!(operation.operation, AlterTableOperation::RenameTable { .. }))
        .map(|operation| {
            source
                .diagnostic(
                    &RenamingTable::META,
                    operation.range(),
                    format!(
                        "renaming {} breaks the running release, which still uses the old name",
                        shown(operation.table)
                    ),
                )
                .with_help("keep a view with the old name until no running release uses it")
        })
        .collect()
}

fn keyword_scan(tokens: TokenSlice<'_>) -> Option<TextRange> {
    if tokens.starts_with_words(&["ALTER", "TABLE"]) {
        tokens.words_range(&["RENAME", "TO"])
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("renaming-table");
}
