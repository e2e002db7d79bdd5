//! `migrations/unparsable-statement`: a statement sqlparser cannot read.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};

use super::{Check, FileCheck, MigrationSource, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a statement that sqlparser cannot read, and the rest of a file after a quote
    /// or comment that never closes.
    ///
    /// ## Why is this bad?
    /// It is not bad in itself: Postgres accepts more than any parser outside it. But the
    /// rules cannot see inside such a statement, so it is checked only by a keyword scan
    /// (`DROP TABLE`, `DROP COLUMN`, `CREATE INDEX` without `CONCURRENTLY`, …), which knows
    /// less. This information says where the rules were partly blind.
    ///
    /// ## Example
    /// ```sql
    /// CREATE COLLATION case_insensitive (provider = icu, locale = 'und-u-ks-level2');
    /// ```
    ///
    /// ## Fix safety
    /// No fix: the statement may well be right.
    pub UnparsableStatement {
        id: "migrations/unparsable-statement",
        severity: Severity::Info,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    UnparsableStatement::META,
    Check::File(FileCheck {
        postgres_only: false,
        checks_down: true,
        check,
        keyword_scan: None,
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    let statements = source.statements().iter().filter_map(|statement| {
        let error = statement.parsed.as_ref().err()?;
        Some(source.diagnostic(
            &UnparsableStatement::META,
            statement.range,
            format!(
                "sqlparser cannot read this statement ({error}); only a keyword scan checks it"
            ),
        ))
    });
    let lex_error = source.sql.lex_error.iter().map(|error| {
        source.diagnostic(
            &UnparsableStatement::META,
            error.range,
            format!("the SQL cannot be split into tokens from here on ({}); the rest of the file is not checked", error.message),
        )
    });
    statements.chain(lex_error).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::{fixture_tests, pointed_at};

    fixture_tests!("unparsable-statement");

    #[test]
    fn an_unterminated_string_stops_the_split_but_keeps_what_came_before() {
        let text = "DROP TABLE a;\nSELECT 'é never closed;\n";
        assert_eq!(pointed_at(&RULE, text), ["SELECT 'é never closed;\n"]);
        assert_eq!(
            crate::rules::test_support::pointed_at(&crate::rules::ban_drop_table::RULE, text),
            ["DROP TABLE a"]
        );
    }
}
