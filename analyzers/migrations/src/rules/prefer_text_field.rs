//! `migrations/prefer-text-field`: `varchar(n)` columns.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};
use sqlparser::ast::DataType;

use super::column_types::type_findings;
use super::{Check, FileCheck, MigrationSource, Rule};

declare_rule! {
    /// ## What it does
    /// Flags `varchar(n)` and `character varying(n)` columns (with a length limit).
    ///
    /// ## Why is this bad?
    /// In Postgres a length limit is no faster than `text`, and raising it later (product
    /// names, addresses and licence strings always grow) takes an `ACCESS EXCLUSIVE` lock
    /// that blocks every read and write of the table. A `CHECK (char_length(x) <= n)`
    /// constraint limits the length and can be changed without that lock.
    ///
    /// ## Example
    /// ```sql
    /// CREATE TABLE products (name varchar(100) NOT NULL);
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// CREATE TABLE products (name text NOT NULL CHECK (char_length(name) <= 100));
    /// ```
    ///
    /// ## Fix safety
    /// No fix.
    pub PreferTextField {
        id: "migrations/prefer-text-field",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    PreferTextField::META,
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
        &PreferTextField::META,
        |data_type| match data_type {
            DataType::Varchar(Some(_))
            | DataType::CharacterVarying(Some(_))
            | DataType::CharVarying(Some(_)) => Some(
                "a length limit can only be raised later under an ACCESS EXCLUSIVE lock".to_owned(),
            ),
            _ => None,
        },
        "use `text`, with a `CHECK (char_length(…) <= n)` constraint if the limit matters",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("prefer-text-field");
}
