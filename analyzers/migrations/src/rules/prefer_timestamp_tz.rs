//! `migrations/prefer-timestamp-tz`: `timestamp` without time zone.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};
use sqlparser::ast::{DataType, TimezoneInfo};

use super::column_types::type_findings;
use super::{Check, FileCheck, MigrationSource, Rule};

declare_rule! {
    /// ## What it does
    /// Flags `timestamp` and `timestamp without time zone` columns.
    ///
    /// ## Why is this bad?
    /// A `timestamp` drops the UTC offset it was given: `10:00+02` and `10:00-06` are stored
    /// as the same `10:00`, eight hours apart in reality. Order times, payment captures and
    /// refund deadlines across time zones silently disagree. `timestamptz` stores the
    /// instant.
    ///
    /// (squawk 2 calls this rule `prefer-timestamp-tz`; older squawk called it
    /// `prefer-timestamptz`.)
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN paid_at timestamp;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN paid_at timestamptz;
    /// ```
    ///
    /// ## Fix safety
    /// No fix: code that writes local times would read them back shifted.
    pub PreferTimestampTz {
        id: "migrations/prefer-timestamp-tz",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    PreferTimestampTz::META,
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
        &PreferTimestampTz::META,
        |data_type| match data_type {
            DataType::Timestamp(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => {
                Some("the UTC offset of every value written to it is dropped".to_owned())
            }
            _ => None,
        },
        "use `timestamptz`",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("prefer-timestamp-tz");
}
