//! `migrations/require-timeout-settings`: locking statements without `lock_timeout` and
//! `statement_timeout`.

use commerce_diagnostics::{Diagnostic, Edit, Fix, FixAvailability, Severity, declare_rule};
use sqlparser::ast::{ObjectType, Statement as Ast};

use super::{Check, FileCheck, MigrationSource, Rule};
use crate::sql::Statement;

/// The settings, each with the value the fix proposes.
const SETTINGS: [(&str, &str); 2] = [("lock_timeout", "'1s'"), ("statement_timeout", "'5s'")];

declare_rule! {
    /// ## What it does
    /// Flags the first statement of a migration that takes a table lock others wait on
    /// (`ALTER TABLE`, `CREATE INDEX`, `CREATE`/`DROP TRIGGER`, `DROP TABLE`/`INDEX`/`VIEW`,
    /// `TRUNCATE` on a table the migration did not create) when no `SET lock_timeout` and `SET statement_timeout`
    /// come before it.
    ///
    /// ## Why is this bad?
    /// A statement waiting for a lock (behind a long report query, say) blocks every later
    /// query of the table behind it: one stuck migration takes the shop down. With
    /// `lock_timeout` it gives up and fails instead, and can be retried; `statement_timeout`
    /// bounds the work once it has the lock.
    ///
    /// (squawk 2 reports this as `require-lock-timeout` and `require-statement-timeout`;
    /// here it is one finding naming the missing settings.)
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN note text;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// SET LOCAL lock_timeout = '1s';
    /// SET LOCAL statement_timeout = '5s';
    /// ALTER TABLE orders ADD COLUMN note text;
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix inserts the missing settings (`SET LOCAL` inside a transaction, `SET`
    /// outside) with 1 s and 5 s, which a slow but legitimate migration may exceed.
    pub RequireTimeoutSettings {
        id: "migrations/require-timeout-settings",
        severity: Severity::Warning,
        fix: FixAvailability::Always,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    RequireTimeoutSettings::META,
    Check::File(FileCheck {
        postgres_only: true,
        checks_down: false,
        check,
        keyword_scan: None,
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    let mut set: Vec<&str> = Vec::new();
    for statement in source.statements() {
        if let Some(name) = setting_set_by(statement) {
            set.push(name);
            continue;
        }
        if !takes_contended_lock(source, statement) {
            continue;
        }
        let missing: Vec<(&str, &str)> = SETTINGS
            .into_iter()
            .filter(|(name, _)| !set.contains(name))
            .collect();
        if missing.is_empty() {
            return Vec::new();
        }
        let names: Vec<&str> = missing.iter().map(|(name, _)| *name).collect();
        let set_keyword = if source.in_transaction_at(statement) {
            "SET LOCAL"
        } else {
            "SET"
        };
        let settings: String = missing
            .iter()
            .map(|(name, value)| format!("{set_keyword} {name} = {value};\n"))
            .collect();
        return vec![
            source
                .diagnostic(
                    &RequireTimeoutSettings::META,
                    statement.range,
                    format!(
                        "this statement waits for a lock with no {} set: while it waits, every query of the table queues behind it",
                        names.join(" or ")
                    ),
                )
                .with_help(format!("set {} before the first locking statement", names.join(" and ")))
                .with_fix(Fix::unsafe_edit(
                    format!("Set {} first", names.join(" and ")),
                    vec![Edit::insertion(source.path(), statement.range.start(), settings)],
                )),
        ];
    }
    Vec::new()
}

/// The timeout a `SET [SESSION|LOCAL] name …` statement sets, if it is one of [`SETTINGS`].
fn setting_set_by(statement: &Statement) -> Option<&'static str> {
    let tokens = statement.tokens();
    if !tokens.starts_with_words(&["SET"]) {
        return None;
    }
    let at = if tokens.words_at(1, &["SESSION"]) || tokens.words_at(1, &["LOCAL"]) {
        2
    } else {
        1
    };
    SETTINGS
        .into_iter()
        .map(|(name, _)| name)
        .find(|name| tokens.words_at(at, &[name]))
}

fn takes_contended_lock(source: &MigrationSource<'_>, statement: &Statement) -> bool {
    if let Some(table) = trigger_table(statement) {
        return !source.creates_table_keyed(&table);
    }
    match statement.ast() {
        Some(Ast::AlterTable(alter)) => !source.creates_table(&alter.name),
        Some(Ast::CreateIndex(index)) => !source.creates_table(&index.table_name),
        Some(Ast::Drop { object_type, .. }) => matches!(
            object_type,
            ObjectType::Table | ObjectType::Index | ObjectType::View | ObjectType::MaterializedView
        ),
        Some(Ast::Truncate(_)) => true,
        _ => false,
    }
}

/// The table of `CREATE [OR REPLACE] [CONSTRAINT] TRIGGER … ON table` and `DROP TRIGGER …
/// ON table`, which lock it against writes; read from the tokens, since sqlparser does not
/// read every trigger.
fn trigger_table(statement: &Statement) -> Option<String> {
    let tokens = statement.tokens();
    let is_trigger = [
        ["CREATE", "TRIGGER"].as_slice(),
        &["CREATE", "OR", "REPLACE", "TRIGGER"],
        &["CREATE", "CONSTRAINT", "TRIGGER"],
        &["CREATE", "OR", "REPLACE", "CONSTRAINT", "TRIGGER"],
        &["DROP", "TRIGGER"],
    ]
    .iter()
    .any(|words| tokens.starts_with_words(words));
    if !is_trigger {
        return None;
    }
    let on = tokens.position_top_level(|token| token.is_word("ON"))?;
    tokens.table_key_at(on + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::fixture_tests;

    fixture_tests!("require-timeout-settings");

    #[test]
    fn a_trigger_on_an_existing_table_locks_it_but_one_on_a_new_table_does_not() {
        let existing = "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n\
                        create trigger t after insert on public.\"History\" for each row execute procedure f();\n";
        let found = crate::rules::test_support::pointed_at(&RULE, existing);
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("create trigger t"), "{found:?}");
        let new = "CREATE TABLE \"History\" (id bigint);\nCREATE TRIGGER t AFTER INSERT ON \"History\" FOR EACH ROW EXECUTE FUNCTION f();\n";
        assert_eq!(crate::rules::test_support::findings(&RULE, new), []);
    }
}
