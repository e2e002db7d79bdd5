//! `migrations/disallowed-unique-constraint`: a unique constraint added to an existing table
//! without `USING INDEX`.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};
use sqlparser::ast::{ColumnOption, TableConstraint};

use super::{Check, FileCheck, MigrationSource, Rule, shown};

declare_rule! {
    /// ## What it does
    /// Flags `ADD CONSTRAINT … UNIQUE (…)` and `ADD COLUMN … UNIQUE` on a table the
    /// migration did not create.
    ///
    /// ## Why is this bad?
    /// Postgres builds the unique index inside the `ALTER TABLE`, holding an `ACCESS
    /// EXCLUSIVE` lock that blocks every read and write for the whole build. Building the
    /// index `CONCURRENTLY` first and then attaching it with `UNIQUE USING INDEX` takes that
    /// lock only for an instant.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE (email);
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// CREATE UNIQUE INDEX CONCURRENTLY customers_email_idx ON customers (email);
    /// ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE USING INDEX customers_email_idx;
    /// ```
    ///
    /// ## Fix safety
    /// No fix: the index build belongs in a migration that runs outside a transaction.
    pub DisallowedUniqueConstraint {
        id: "migrations/disallowed-unique-constraint",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    DisallowedUniqueConstraint::META,
    Check::File(FileCheck {
        postgres_only: true,
        checks_down: false,
        check,
        keyword_scan: None,
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    source
        .alterations_of_existing_tables()
        .filter(|operation| {
            operation.adds_constraint(
                |constraint| matches!(constraint, TableConstraint::Unique(_)),
                |option| matches!(option, ColumnOption::Unique(_)),
            )
        })
        .map(|operation| {
            source
                .diagnostic(
                    &DisallowedUniqueConstraint::META,
                    operation.range(),
                    format!(
                        "adding a unique constraint builds its index while blocking all reads and writes of {}",
                        shown(operation.table)
                    ),
                )
                .with_help(
                    "create the unique index CONCURRENTLY first, then `ADD CONSTRAINT … UNIQUE USING INDEX`",
                )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("disallowed-unique-constraint");
}
