//! `migrations/irreversible-down`: a down migration that does nothing.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, TextRange, declare_rule};

use super::{Check, FileCheck, MigrationSource, Rule};
use crate::layout::Direction;

declare_rule! {
    /// ## What it does
    /// Flags a down migration that changes nothing: empty, only comments, or only queries
    /// (`SELECT 1;`).
    ///
    /// ## Why is this bad?
    /// Reverting runs it and reports success, but the schema keeps everything the up
    /// migration did: the next up fails on objects that already exist, or the application
    /// of the previous release runs against a schema it was never written for. An honest
    /// "cannot be reverted" (a `RAISE EXCEPTION`, or no down file) is better than a silent
    /// one.
    ///
    /// ## Example
    /// ```sql
    /// -- Add down migration script here
    /// ```
    ///
    /// ## Fix safety
    /// No fix: the down migration has to be written.
    pub IrreversibleDown {
        id: "migrations/irreversible-down",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    IrreversibleDown::META,
    Check::File(FileCheck {
        postgres_only: false,
        checks_down: true,
        check,
        keyword_scan: None,
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    let changes_something = source.sql.lex_error.is_some()
        || source
            .statements()
            .iter()
            .any(|statement| !is_query(statement.tokens()));
    if source.direction != Direction::Down || changes_something {
        return Vec::new();
    }
    vec![
        source
            .diagnostic(
                &IrreversibleDown::META,
                TextRange::up_to(source.text),
                "this down migration changes nothing: reverting reports success and leaves the up migration's schema in place",
            )
            .with_help("undo what the up migration does, or make the down fail loudly if it cannot be undone"),
    ]
}

/// `SELECT …`, `VALUES …`, `SHOW …`: statements that change nothing.
fn is_query(tokens: crate::sql::TokenSlice<'_>) -> bool {
    ["SELECT", "VALUES", "SHOW"]
        .iter()
        .any(|word| tokens.starts_with_words(&[word]))
        && tokens.find_words(&["INTO"]).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::{findings_in, migration};
    use commerce_project::Dialect;

    fn down_findings(down: &str) -> Vec<Diagnostic> {
        let mut with_down = migration("CREATE TABLE a (id bigint);");
        if let Some(file) = with_down.down.as_mut() {
            file.text = Ok(down.to_owned());
        }
        findings_in(&RULE, &with_down, Dialect::Postgres)
    }

    #[test]
    fn comments_or_queries_only_are_irreversible() {
        for down in [
            "-- Add down migration script here\n",
            "",
            "/* nothing */ SELECT 1;\n",
        ] {
            let found = down_findings(down);
            assert_eq!(found.len(), 1, "{down:?}");
            assert_eq!(
                found[0].path,
                std::path::Path::new("migrations/20240101000000_test.down.sql")
            );
        }
    }

    #[test]
    fn a_down_that_changes_the_schema_or_data_is_fine() {
        for down in [
            "DROP TABLE a;",
            "SELECT 1 INTO backup;",
            "DO $$ BEGIN RAISE EXCEPTION 'irreversible'; END $$;",
        ] {
            assert_eq!(down_findings(down), [], "{down:?}");
        }
    }
}
