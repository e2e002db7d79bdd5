//! `migrations/prefer-bigint-over-int`: 32-bit integer columns.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};
use sqlparser::ast::DataType;

use super::column_types::{custom_name, type_findings};
use super::{Check, FileCheck, MigrationSource, Rule};

declare_rule! {
    /// ## What it does
    /// Flags columns of a 32-bit integer type: `int`, `integer`, `int4`, `serial`, `serial4`.
    ///
    /// ## Why is this bad?
    /// A 32-bit id or counter runs out at 2,147,483,647. Order lines, events and ledger
    /// entries of a growing shop get there, and widening the column later rewrites the whole
    /// table under an exclusive lock. `bigint` costs four bytes more per row.
    ///
    /// ## Example
    /// ```sql
    /// CREATE TABLE order_lines (id serial PRIMARY KEY, quantity int NOT NULL);
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// CREATE TABLE order_lines (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, quantity bigint NOT NULL);
    /// ```
    ///
    /// ## Fix safety
    /// No fix: the type of a column is part of the application's contract with the database.
    pub PreferBigintOverInt {
        id: "migrations/prefer-bigint-over-int",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    PreferBigintOverInt::META,
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
        &PreferBigintOverInt::META,
        |data_type| {
            let is_int = matches!(
                data_type,
                DataType::Int(_) | DataType::Integer(_) | DataType::Int4(_)
            ) || custom_name(data_type)
                .is_some_and(|name| name == "serial" || name == "serial4");
            is_int.then(|| "a 32-bit integer runs out at 2,147,483,647".to_owned())
        },
        "use `bigint` (or `bigint GENERATED ALWAYS AS IDENTITY` for ids)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("prefer-bigint-over-int");
}
