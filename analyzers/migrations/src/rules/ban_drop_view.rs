//! `migrations/ban-drop-view`: `DROP VIEW` and `DROP MATERIALIZED VIEW`.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, TextRange, declare_rule};
use sqlparser::ast::{ObjectType, Statement};

use super::{Check, FileCheck, MigrationSource, Rule, shown};
use crate::sql::TokenSlice;

declare_rule! {
    /// ## What it does
    /// Flags `DROP VIEW` and `DROP MATERIALIZED VIEW`.
    ///
    /// ## Why is this bad?
    /// Code and reports that query the view fail from the moment the migration commits, and
    /// a materialized view's contents are gone until it is created and refreshed again.
    ///
    /// ## Example
    /// ```sql
    /// DROP VIEW order_totals;
    /// ```
    ///
    /// Use instead: stop using the view in a release first, or replace it in place with
    /// `CREATE OR REPLACE VIEW` when its columns stay compatible.
    ///
    /// ## Fix safety
    /// No fix.
    pub BanDropView {
        id: "migrations/ban-drop-view",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    BanDropView::META,
    Check::File(FileCheck {
        postgres_only: false,
        checks_down: false,
        check,
        keyword_scan: Some(keyword_scan),
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    source
        .parsed()
        .filter_map(|(statement, parsed)| match parsed {
            Statement::Drop {
                object_type: ObjectType::View | ObjectType::MaterializedView,
                names,
                ..
            } => {
                let views: Vec<String> = names.iter().map(shown).collect();
                Some(
                    source
                        .diagnostic(
                            &BanDropView::META,
                            statement.range,
                            format!("dropping view {} breaks every query of it", views.join(", ")),
                        )
                        .with_help("stop using the view in a release first, or replace it with CREATE OR REPLACE VIEW"),
                )
            }
            _ => None,
        })
        .collect()
}

fn keyword_scan(tokens: TokenSlice<'_>) -> Option<TextRange> {
    tokens
        .words_range(&["DROP", "VIEW"])
        .or_else(|| tokens.words_range(&["DROP", "MATERIALIZED", "VIEW"]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("ban-drop-view");
}
