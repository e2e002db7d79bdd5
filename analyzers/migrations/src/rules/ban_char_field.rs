//! `migrations/ban-char-field`: `char(n)` columns.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};
use sqlparser::ast::DataType;

use super::column_types::{custom_name, type_findings};
use super::{Check, FileCheck, MigrationSource, Rule};

declare_rule! {
    /// ## What it does
    /// Flags `char`, `char(n)`, `character(n)` and `bpchar` columns.
    ///
    /// ## Why is this bad?
    /// `char(n)` pads every value with spaces to `n` characters, compares ignoring them, and
    /// is no faster than `text` in Postgres. Codes that look fixed-width (currency, country)
    /// still end up compared against unpadded strings from the application.
    ///
    /// ## Example
    /// ```sql
    /// CREATE TABLE prices (currency char(3) NOT NULL);
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// CREATE TABLE prices (currency text NOT NULL CHECK (char_length(currency) = 3));
    /// ```
    ///
    /// ## Fix safety
    /// No fix.
    pub BanCharField {
        id: "migrations/ban-char-field",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    BanCharField::META,
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
        &BanCharField::META,
        |data_type| {
            let is_char = matches!(data_type, DataType::Char(_) | DataType::Character(_))
                || custom_name(data_type).is_some_and(|name| name == "bpchar");
            is_char.then(|| "values are padded with spaces and compared ignoring them".to_owned())
        },
        "use `text` (or `varchar`), with a `CHECK` constraint if the length matters",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("ban-char-field");
}
