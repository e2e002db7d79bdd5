//! `migrations/prefer-identity`: `serial` columns.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};

use super::column_types::{custom_name, type_findings};
use super::{Check, FileCheck, MigrationSource, Rule};

/// The serial pseudo-types: an integer column, a sequence and a default, made implicitly.
const SERIAL_TYPES: [&str; 6] = [
    "serial",
    "serial4",
    "bigserial",
    "serial8",
    "smallserial",
    "serial2",
];

declare_rule! {
    /// ## What it does
    /// Flags `serial`, `bigserial` and `smallserial` columns.
    ///
    /// ## Why is this bad?
    /// A serial column is an integer with a separately owned sequence and a default: its
    /// permissions, dumps and copies of the table must all remember the sequence, and
    /// inserts may bypass it. An identity column (`GENERATED ALWAYS AS IDENTITY`) is the
    /// standard, self-contained replacement.
    ///
    /// ## Example
    /// ```sql
    /// CREATE TABLE invoices (id bigserial PRIMARY KEY);
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// CREATE TABLE invoices (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
    /// ```
    ///
    /// ## Fix safety
    /// No fix: `ALWAYS` rejects explicit ids that code may be inserting today.
    pub PreferIdentity {
        id: "migrations/prefer-identity",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    PreferIdentity::META,
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
        &PreferIdentity::META,
        |data_type| {
            let name = custom_name(data_type)?;
            SERIAL_TYPES
                .contains(&name.as_str())
                .then(|| "a serial column hides a separately owned sequence and default".to_owned())
        },
        "use an identity column: `bigint GENERATED ALWAYS AS IDENTITY`",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("prefer-identity");
}
