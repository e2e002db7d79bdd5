//! `migrations/prefer-bigint-over-smallint`: 16-bit integer columns.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};
use sqlparser::ast::DataType;

use super::column_types::{custom_name, type_findings};
use super::{Check, FileCheck, MigrationSource, Rule};

declare_rule! {
    /// ## What it does
    /// Flags columns of a 16-bit integer type: `smallint`, `int2`, `smallserial`, `serial2`.
    ///
    /// ## Why is this bad?
    /// A 16-bit column runs out at 32,767, which stock levels, quantities and ids reach
    /// sooner than anyone expects, and widening it later rewrites the table under an
    /// exclusive lock.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE products ADD COLUMN stock smallint NOT NULL DEFAULT 0;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// ALTER TABLE products ADD COLUMN stock bigint NOT NULL DEFAULT 0;
    /// ```
    ///
    /// ## Fix safety
    /// No fix: the type of a column is part of the application's contract with the database.
    pub PreferBigintOverSmallint {
        id: "migrations/prefer-bigint-over-smallint",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    PreferBigintOverSmallint::META,
    Check::File(FileCheck {
        postgres_only: true,
        checks_down: false,
        check,
        keyword_scan: None,
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    type_findings(
        source,
        &PreferBigintOverSmallint::META,
        |data_type| {
            let is_small = matches!(data_type, DataType::SmallInt(_) | DataType::Int2(_))
                || custom_name(data_type)
                    .is_some_and(|name| name == "smallserial" || name == "serial2");
            is_small.then(|| "a 16-bit integer runs out at 32,767".to_owned())
        },
        "use `bigint`",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("prefer-bigint-over-smallint");
}
