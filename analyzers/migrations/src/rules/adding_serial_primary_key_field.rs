//! `migrations/adding-serial-primary-key-field`: a primary key added to an existing table
//! without `USING INDEX`.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};
use sqlparser::ast::{ColumnOption, TableConstraint};

use super::{Check, FileCheck, MigrationSource, Rule, shown};

declare_rule! {
    /// ## What it does
    /// Flags `ADD COLUMN … PRIMARY KEY` and `ADD [CONSTRAINT …] PRIMARY KEY (…)` on a table
    /// the migration did not create.
    ///
    /// ## Why is this bad?
    /// Postgres builds the primary key's index (and for a new serial column, fills and
    /// rewrites the table first) under an `ACCESS EXCLUSIVE` lock that blocks every read and
    /// write for the whole build.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE events ADD COLUMN id bigserial PRIMARY KEY;
    /// ```
    ///
    /// Use instead: add and fill the column, build a unique index `CONCURRENTLY`, then
    /// `ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_id_idx;`.
    ///
    /// ## Fix safety
    /// No fix.
    pub AddingSerialPrimaryKeyField {
        id: "migrations/adding-serial-primary-key-field",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    AddingSerialPrimaryKeyField::META,
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
                |constraint| matches!(constraint, TableConstraint::PrimaryKey(_)),
                |option| matches!(option, ColumnOption::PrimaryKey(_)),
            )
        })
        .map(|operation| {
            source
                .diagnostic(
                    &AddingSerialPrimaryKeyField::META,
                    operation.range(),
                    format!(
                        "adding a primary key builds its index while blocking all reads and writes of {}",
                        shown(operation.table)
                    ),
                )
                .with_help(
                    "build a unique index CONCURRENTLY, then `ADD CONSTRAINT … PRIMARY KEY USING INDEX`",
                )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("adding-serial-primary-key-field");
}
