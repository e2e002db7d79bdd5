//! `migrations/constraint-missing-not-valid`: a check or foreign key added to an existing
//! table without `NOT VALID`, or validated in the transaction that added it.

use std::collections::HashSet;

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};
use sqlparser::ast::{AlterTableOperation, TableConstraint};

use super::fixes::not_valid_fix;
use super::{Check, FileCheck, MigrationSource, Rule, shown};
use crate::sql::ddl::{alter_operations, normalized_ident};

declare_rule! {
    /// ## What it does
    /// Flags a `CHECK` or `FOREIGN KEY` constraint added to a table the migration did not
    /// create without `NOT VALID`, and a `VALIDATE CONSTRAINT` in the same transaction as the
    /// `ADD CONSTRAINT … NOT VALID` it validates.
    ///
    /// ## Why is this bad?
    /// Adding a valid constraint scans the whole table under a lock that blocks writes
    /// (`ACCESS EXCLUSIVE` for a check). `NOT VALID` makes the `ADD` instant; `VALIDATE
    /// CONSTRAINT` then scans under `SHARE UPDATE EXCLUSIVE`, which lets reads and writes
    /// through, but only if it runs in a later transaction: in the same one, the `ADD`'s
    /// strong lock is still held during the scan.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;
    /// -- in a later migration:
    /// ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;
    /// ```
    ///
    /// ## Fix safety
    /// As for `migrations/adding-foreign-key-constraint`: unsafe outside a transaction,
    /// display-only inside one, none for an unnamed constraint.
    pub ConstraintMissingNotValid {
        id: "migrations/constraint-missing-not-valid",
        severity: Severity::Warning,
        fix: FixAvailability::Sometimes,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    ConstraintMissingNotValid::META,
    Check::File(FileCheck {
        postgres_only: true,
        checks_down: false,
        check,
        keyword_scan: None,
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    // Constraints this file added `NOT VALID` (inside a transaction), by name.
    let mut added_not_valid = HashSet::new();
    for statement in source.statements() {
        for operation in alter_operations(statement) {
            match operation.operation {
                AlterTableOperation::AddConstraint {
                    constraint,
                    not_valid,
                } => {
                    let name = match constraint {
                        TableConstraint::Check(check) => check.name.as_ref(),
                        TableConstraint::ForeignKey(foreign_key) => foreign_key.name.as_ref(),
                        _ => continue,
                    };
                    if *not_valid {
                        if source.in_transaction_at(statement) {
                            added_not_valid.extend(name.map(normalized_ident));
                        }
                        continue;
                    }
                    if source.creates_table(operation.table) {
                        continue;
                    }
                    let mut diagnostic = source
                        .diagnostic(
                            &ConstraintMissingNotValid::META,
                            operation.range(),
                            format!(
                                "adding a valid constraint scans all of {} under a lock that blocks writes",
                                shown(operation.table)
                            ),
                        )
                        .with_help("add it `NOT VALID`, then `VALIDATE CONSTRAINT` in a later migration");
                    if let Some(fix) = not_valid_fix(source, statement, &operation, name) {
                        diagnostic = diagnostic.with_fix(fix);
                    }
                    diagnostics.push(diagnostic);
                }
                AlterTableOperation::ValidateConstraint { name }
                    if added_not_valid.contains(&normalized_ident(name)) =>
                {
                    diagnostics.push(
                        source
                            .diagnostic(
                                &ConstraintMissingNotValid::META,
                                operation.range(),
                                format!(
                                    "{} is validated in the transaction that added it, so the scan still holds the ADD's ACCESS EXCLUSIVE lock",
                                    shown(name)
                                ),
                            )
                            .with_help("move the VALIDATE CONSTRAINT into a later migration"),
                    );
                }
                _ => {}
            }
        }
    }
    diagnostics
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("constraint-missing-not-valid");
}
