//! `migrations/ban-truncate-cascade`: `TRUNCATE … CASCADE`.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};

use super::{Check, FileCheck, MigrationSource, Rule};

declare_rule! {
    /// ## What it does
    /// Flags `TRUNCATE … CASCADE`.
    ///
    /// ## Why is this bad?
    /// `CASCADE` also empties every table with a foreign key to the truncated one, and the
    /// tables referencing those, whatever they are today: truncating a lookup table can wipe
    /// out orders.
    ///
    /// ## Example
    /// ```sql
    /// TRUNCATE shipping_zones CASCADE;
    /// ```
    ///
    /// Use instead: name every table to empty, without `CASCADE`.
    ///
    /// ## Fix safety
    /// No fix.
    pub BanTruncateCascade {
        id: "migrations/ban-truncate-cascade",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    BanTruncateCascade::META,
    Check::File(FileCheck {
        postgres_only: true,
        checks_down: false,
        check,
        // The check reads tokens, so it covers statements that did not parse as well.
        keyword_scan: None,
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    source
        .statements()
        .iter()
        .filter_map(|statement| {
            let tokens = statement.tokens();
            if !tokens.starts_with_words(&["TRUNCATE"]) {
                return None;
            }
            let cascade = tokens.position_top_level(|token| token.is_word("CASCADE"))?;
            Some(
                source
                    .diagnostic(
                        &BanTruncateCascade::META,
                        tokens.get(cascade)?.range,
                        "CASCADE also empties every table that references these, transitively",
                    )
                    .with_help("name every table to empty and drop CASCADE"),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("ban-truncate-cascade");
}
