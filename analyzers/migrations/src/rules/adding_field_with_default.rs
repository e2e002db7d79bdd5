//! `migrations/adding-field-with-default`: `ADD COLUMN` whose default or generation rewrites
//! the table.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};
use sqlparser::ast::{ColumnOption, Expr};

use super::column_types::custom_name;
use super::{Check, FileCheck, MigrationSource, Rule, shown};
use crate::sql::ddl::{ColumnFact, column_definitions};

/// Functions Postgres evaluates once per statement at most (stable or immutable): a default
/// calling only these is stored once in the catalog instead of rewriting the table.
const NON_VOLATILE_FUNCTIONS: [&str; 16] = [
    "now",
    "current_timestamp",
    "current_date",
    "current_time",
    "localtimestamp",
    "localtime",
    "transaction_timestamp",
    "statement_timestamp",
    "current_user",
    "current_schema",
    "session_user",
    "lower",
    "upper",
    "to_jsonb",
    "jsonb_build_object",
    "make_interval",
];

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE … ADD COLUMN` on an existing table whose value Postgres has to
    /// compute row by row: a `DEFAULT` calling a volatile (or unknown) function such as
    /// `gen_random_uuid()` or `clock_timestamp()`, a serial type, an identity column, or a
    /// stored generated column.
    ///
    /// ## Why is this bad?
    /// Since Postgres 11 a constant default (`DEFAULT 0`, `DEFAULT now()`) is stored once in
    /// the catalog and the column is added instantly. A per-row value instead rewrites the
    /// whole table and its indexes under an `ACCESS EXCLUSIVE` lock, blocking every read and
    /// write until done.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid();
    /// ```
    ///
    /// Use instead: add the column without the default, set the default for new rows,
    /// backfill existing rows in batches, then add the `NOT NULL` constraint.
    ///
    /// ## Fix safety
    /// No fix.
    pub AddingFieldWithDefault {
        id: "migrations/adding-field-with-default",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    AddingFieldWithDefault::META,
    Check::File(FileCheck {
        postgres_only: true,
        checks_down: false,
        check,
        keyword_scan: None,
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    source
        .statements()
        .iter()
        .flat_map(column_definitions)
        .filter(|fact| fact.added && !source.creates_table(fact.table))
        .filter_map(|fact| {
            let (range, reason) = rewrite_reason(&fact)?;
            Some(
                source
                    .diagnostic(
                        &AddingFieldWithDefault::META,
                        range,
                        format!(
                            "adding {} to {} rewrites the table under an ACCESS EXCLUSIVE lock: {reason}",
                            shown(&fact.column.name),
                            shown(fact.table)
                        ),
                    )
                    .with_help(
                        "add the column without it, then set the default and backfill existing rows in batches",
                    ),
            )
        })
        .collect()
}

/// Where and why adding this column computes a value for every existing row.
fn rewrite_reason(fact: &ColumnFact<'_>) -> Option<(commerce_diagnostics::TextRange, String)> {
    if let Some(name) = custom_name(fact.data_type())
        && name.contains("serial")
    {
        return Some((
            fact.type_range(),
            format!("`{name}` fills every row from a sequence"),
        ));
    }
    fact.options().find_map(|option| match option {
        ColumnOption::Default(expr) => {
            let function = volatile_call(expr)?;
            Some((
                fact.option_range("DEFAULT")?,
                format!(
                    "`{function}` is volatile (or not known to be stable), so it runs once per row"
                ),
            ))
        }
        ColumnOption::Generated {
            generation_expr, ..
        } => Some((
            fact.option_range("GENERATED")?,
            if generation_expr.is_some() {
                "a stored generated column is computed for every row".to_owned()
            } else {
                "an identity column numbers every row".to_owned()
            },
        )),
        ColumnOption::Identity(_) => Some((
            fact.tokens.range(),
            "an identity column numbers every row".to_owned(),
        )),
        _ => None,
    })
}

/// The first function in `expr` not known to be stable or immutable.
fn volatile_call(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Function(function) => {
            let name = function.name.to_string().to_lowercase();
            let bare = name.rsplit('.').next().unwrap_or(&name);
            (!NON_VOLATILE_FUNCTIONS.contains(&bare)).then(|| format!("{name}()"))
        }
        Expr::Cast { expr, .. } | Expr::Nested(expr) | Expr::UnaryOp { expr, .. } => {
            volatile_call(expr)
        }
        Expr::BinaryOp { left, right, .. } => volatile_call(left).or_else(|| volatile_call(right)),
        Expr::Array(array) => array.elem.iter().find_map(volatile_call),
        Expr::Subquery(_) => Some("(subquery)".to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("adding-field-with-default");
}
