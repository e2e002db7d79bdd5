//! `migrations/adding-required-field`: `ADD COLUMN … NOT NULL` without a default.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};
use sqlparser::ast::ColumnOption;

use super::column_types::custom_name;
use super::{Check, FileCheck, MigrationSource, Rule, shown};
use crate::sql::ddl::column_definitions;

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE … ADD COLUMN … NOT NULL` without a `DEFAULT` (nor an identity,
    /// generated or serial column, which fill themselves), on a table the migration did not
    /// create.
    ///
    /// ## Why is this bad?
    /// Postgres must put a value in every existing row, has none, and fails the migration as
    /// soon as the table has a row: it passes on an empty development database and breaks
    /// the deploy. The application version still running during the deploy also cannot
    /// insert rows, because it does not know the column.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN channel text NOT NULL;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN channel text NOT NULL DEFAULT 'web';
    /// ```
    ///
    /// ## Fix safety
    /// No fix: the right default is for a person to choose.
    pub AddingRequiredField {
        id: "migrations/adding-required-field",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    AddingRequiredField::META,
    Check::File(FileCheck {
        postgres_only: false,
        checks_down: false,
        check,
        keyword_scan: None,
    }),
);

/// Column types that fill every existing row themselves.
const SELF_FILLING_TYPES: [&str; 6] = [
    "serial",
    "serial4",
    "bigserial",
    "serial8",
    "smallserial",
    "serial2",
];

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    source
        .statements()
        .iter()
        .flat_map(column_definitions)
        .filter(|fact| fact.added && !source.creates_table(fact.table))
        .filter(|fact| {
            let mut not_null = false;
            let mut fills_itself = custom_name(fact.data_type())
                .is_some_and(|name| SELF_FILLING_TYPES.contains(&name.as_str()));
            for option in fact.options() {
                match option {
                    ColumnOption::NotNull | ColumnOption::PrimaryKey(_) => not_null = true,
                    ColumnOption::Default(_)
                    | ColumnOption::Generated { .. }
                    | ColumnOption::Identity(_) => fills_itself = true,
                    _ => {}
                }
            }
            not_null && !fills_itself
        })
        .map(|fact| {
            source
                .diagnostic(
                    &AddingRequiredField::META,
                    fact.tokens.range(),
                    format!(
                        "adding NOT NULL column {} to {} without a default fails as soon as the table has a row",
                        shown(&fact.column.name),
                        shown(fact.table)
                    ),
                )
                .with_help("give the column a DEFAULT, or add it nullable, backfill it, then set NOT NULL")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("adding-required-field");
}
