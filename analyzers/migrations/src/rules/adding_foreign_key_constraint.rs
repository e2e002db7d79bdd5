//! `migrations/adding-foreign-key-constraint`: a foreign key added to an existing table
//! without `NOT VALID`.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};
use sqlparser::ast::{AlterTableOperation, ColumnOption, TableConstraint};

use super::fixes::not_valid_fix;
use super::{Check, FileCheck, MigrationSource, Rule, shown};
use crate::sql::ddl::alter_operations;

declare_rule! {
    /// ## What it does
    /// Flags a foreign key added to a table the migration did not create, without
    /// `NOT VALID`: `ADD CONSTRAINT … FOREIGN KEY` and `ADD COLUMN … REFERENCES`.
    ///
    /// ## Why is this bad?
    /// Postgres checks every existing row against the referenced table while holding
    /// `SHARE ROW EXCLUSIVE` locks on both tables, blocking writes to each (orders and
    /// customers, say) for the whole scan. Added `NOT VALID`, the constraint applies to new
    /// rows at once; a later `VALIDATE CONSTRAINT` checks the old rows under a lock that lets
    /// writes through.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
    /// -- in a later migration:
    /// ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;
    /// ```
    ///
    /// ## Fix safety
    /// For a named constraint, the fix adds `NOT VALID` and a `VALIDATE CONSTRAINT` statement
    /// after it. Unsafe outside a transaction (a failed validation leaves the constraint
    /// `NOT VALID`); display-only inside one, where the `VALIDATE` would still run under the
    /// lock the `ADD` took and belongs in a later migration.
    pub AddingForeignKeyConstraint {
        id: "migrations/adding-foreign-key-constraint",
        severity: Severity::Warning,
        fix: FixAvailability::Sometimes,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    AddingForeignKeyConstraint::META,
    Check::File(FileCheck {
        postgres_only: true,
        checks_down: false,
        check,
        keyword_scan: None,
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for statement in source.statements() {
        for operation in alter_operations(statement) {
            if source.creates_table(operation.table) {
                continue;
            }
            let (name, fixable) = match operation.operation {
                AlterTableOperation::AddConstraint {
                    constraint: TableConstraint::ForeignKey(foreign_key),
                    not_valid: false,
                } => (foreign_key.name.as_ref(), true),
                AlterTableOperation::AddColumn { column_def, .. }
                    if column_def
                        .options
                        .iter()
                        .any(|option| matches!(option.option, ColumnOption::ForeignKey(_))) =>
                {
                    (None, false)
                }
                _ => continue,
            };
            let mut diagnostic = source
                .diagnostic(
                    &AddingForeignKeyConstraint::META,
                    operation.range(),
                    format!(
                        "adding a foreign key to {} scans it while blocking writes to both tables",
                        shown(operation.table)
                    ),
                )
                .with_help("add it `NOT VALID`, then `VALIDATE CONSTRAINT` in a later migration");
            if fixable && let Some(fix) = not_valid_fix(source, statement, &operation, name) {
                diagnostic = diagnostic.with_fix(fix);
            }
            diagnostics.push(diagnostic);
        }
    }
    diagnostics
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("adding-foreign-key-constraint");
}
