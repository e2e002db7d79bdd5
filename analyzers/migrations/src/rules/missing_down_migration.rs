//! `migrations/missing-down-migration`: a migration that cannot be reverted.

use commerce_diagnostics::{
    Diagnostic, Edit, Fix, FixAvailability, Severity, TextRange, TextSize, declare_rule,
};
use sqlparser::ast::{self, AlterTableOperation, ObjectName};

use super::{Check, FileCheck, MigrationSource, Rule, is_transaction_end, is_transaction_start};
use crate::layout::{Direction, Layout};
use crate::sql::Statement;
use crate::sql::ddl::alter_operations;

declare_rule! {
    /// ## What it does
    /// Flags a migration without a down file when its layout expects one: an `.up.sql`
    /// without its `.down.sql`, a diesel folder without `down.sql`, or a plain sqlx `.sql`
    /// file in a directory whose other migrations are reversible.
    ///
    /// ## Why is this bad?
    /// A migration that cannot be reverted turns a bad deploy into a restore from backup,
    /// and `cargo commerce migrations verify` cannot check that the schema survives a
    /// rollback. (A directory of plain sqlx `.sql` files is forward-only by design and is
    /// not flagged.)
    ///
    /// ## Example
    /// `migrations/20240101120000_add_orders.up.sql` without
    /// `migrations/20240101120000_add_orders.down.sql`.
    ///
    /// ## Fix safety
    /// When every statement of the up migration can be undone mechanically (`CREATE TABLE`,
    /// `CREATE INDEX`, `ALTER TABLE … ADD COLUMN`, `CREATE TYPE`, `CREATE EXTENSION`; `SET`
    /// and transaction control need no undoing), the fix creates the down file with their
    /// inverses in reverse order (`DROP … IF EXISTS`). It is unsafe: reverting runs those
    /// drops, and the data in the dropped tables and columns goes with them. A plain sqlx
    /// `.sql` file gets no fix: it would first have to become an `.up.sql`.
    pub MissingDownMigration {
        id: "migrations/missing-down-migration",
        severity: Severity::Warning,
        fix: FixAvailability::Sometimes,
    }
}

pub(crate) const RULE: Rule = Rule::new(
    MissingDownMigration::META,
    Check::File(FileCheck {
        postgres_only: false,
        checks_down: false,
        check,
        keyword_scan: None,
    }),
);

fn check(source: &MigrationSource<'_>) -> Vec<Diagnostic> {
    let migration = source.migration;
    let expects_down = migration.reversible || source.directory_is_reversible;
    if source.direction != Direction::Up || migration.down.is_some() || !expects_down {
        return Vec::new();
    }
    let expected = match migration.layout {
        Layout::Sqlx => format!("{}_{}.down.sql", migration.version, migration.name),
        Layout::Diesel => "down.sql".to_owned(),
    };
    let diagnostic = source
        .diagnostic(
            &MissingDownMigration::META,
            TextRange::empty(TextSize::new(0)),
            format!(
                "this migration has no `{expected}`: it cannot be reverted or round-trip checked"
            ),
        )
        .with_help(format!(
            "write `{expected}` undoing what this migration does"
        ));
    let down_path = source.path().with_file_name(&expected);
    let generated = migration
        .reversible
        .then(|| generated_down(source))
        .flatten();
    vec![match generated {
        Some(text) => diagnostic.with_fix(Fix::unsafe_edit(
            format!("Create `{expected}` undoing each statement in reverse order"),
            vec![Edit::new_file(down_path, text)],
        )),
        None => diagnostic,
    }]
}

/// The text of a down migration undoing `source`, or `None` when a statement cannot be
/// undone mechanically (or could not be read).
fn generated_down(source: &MigrationSource<'_>) -> Option<String> {
    if source.sql.lex_error.is_some() {
        return None;
    }
    let mut undone = source
        .statements()
        .iter()
        .map(inverse)
        .collect::<Option<Vec<_>>>()?;
    undone.reverse();
    let inverses: Vec<String> = undone.into_iter().flatten().collect();
    if inverses.is_empty() {
        return None;
    }
    Some(format!(
        "-- Generated from `{}`: its statements undone in reverse order.\n{}\n",
        source.path().file_name()?.to_string_lossy(),
        inverses.join("\n")
    ))
}

/// The statements undoing `statement`, in the order they run; `None` when it cannot be
/// undone mechanically.
fn inverse(statement: &Statement) -> Option<Vec<String>> {
    let tokens = statement.tokens();
    if tokens.starts_with_words(&["SET"])
        || is_transaction_start(tokens)
        || is_transaction_end(tokens)
    {
        return Some(Vec::new());
    }
    let undo = match statement.ast()? {
        ast::Statement::CreateTable(create) => format!("DROP TABLE IF EXISTS {};", create.name),
        ast::Statement::CreateIndex(create) => format!(
            "DROP INDEX IF EXISTS {};",
            index_in_tables_schema(create.name.as_ref()?, &create.table_name)
        ),
        ast::Statement::CreateType { name, .. } => format!("DROP TYPE IF EXISTS {name};"),
        ast::Statement::CreateExtension(create) => {
            format!("DROP EXTENSION IF EXISTS {};", create.name)
        }
        ast::Statement::AlterTable(_) => {
            return alter_operations(statement)
                .iter()
                .map(|operation| match operation.operation {
                    AlterTableOperation::AddColumn { column_def, .. } => Some(format!(
                        "ALTER TABLE {} DROP COLUMN IF EXISTS {};",
                        operation.table, column_def.name
                    )),
                    _ => None,
                })
                .rev()
                .collect();
        }
        _ => return None,
    };
    Some(vec![undo])
}

/// An index lives in its table's schema: `shop.orders_idx` for an unqualified index name on
/// `shop.orders`.
fn index_in_tables_schema(index: &ObjectName, table: &ObjectName) -> String {
    match table.0.split_last() {
        Some((_, schema)) if index.0.len() == 1 && !schema.is_empty() => {
            let schema: Vec<String> = schema.iter().map(ToString::to_string).collect();
            format!("{}.{index}", schema.join("."))
        }
        _ => index.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::{findings_in, fixture, migration, snapshot_listing};
    use commerce_project::Dialect;

    #[test]
    fn an_up_without_its_down_is_reported_and_a_pair_is_not() {
        let mut lonely = migration("CREATE TABLE a (id bigint);");
        assert_eq!(findings_in(&RULE, &lonely, Dialect::Postgres), []);
        lonely.down = None;
        let found = findings_in(&RULE, &lonely, Dialect::Postgres);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "this migration has no `20240101000000_test.down.sql`: it cannot be reverted or round-trip checked"
        );
        assert_eq!(
            found[0].data["migration"],
            "migrations/20240101000000_test.up.sql"
        );
    }

    /// The lone up file of `fixture` and the findings on it.
    fn lonely(text: &str) -> Vec<Diagnostic> {
        let mut lonely = migration(text);
        lonely.down = None;
        findings_in(&RULE, &lonely, Dialect::Postgres)
    }

    #[test]
    fn an_invertible_up_gets_a_generated_down() {
        let (_, text) = fixture!("missing-down-migration", "invertible.sql");
        insta::assert_snapshot!("invertible", snapshot_listing(text, &lonely(text)));
    }

    #[test]
    fn an_up_with_a_statement_that_cannot_be_undone_gets_no_fix() {
        let (_, text) = fixture!("missing-down-migration", "not_invertible.sql");
        let found = lonely(text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].fix, None);
        for text in [
            "",
            "CREATE INDEX ON orders (id);",
            "CREATE TABLE a (id bigint",
        ] {
            assert_eq!(lonely(text)[0].fix, None, "{text:?}");
        }
    }

    #[test]
    fn diesel_gets_its_down_beside_the_up_and_forward_only_files_get_none() {
        let mut diesel = migration("CREATE TABLE a (id bigint);");
        diesel.down = None;
        diesel.layout = Layout::Diesel;
        diesel.up.path = "migrations/2024-01-01-000000_a/up.sql".into();
        let found = findings_in(&RULE, &diesel, Dialect::Postgres);
        let edit = &found[0].fix.as_ref().expect("a fix").edits[0];
        assert_eq!(
            edit.path,
            std::path::Path::new("migrations/2024-01-01-000000_a/down.sql")
        );

        let mut forward = migration("CREATE TABLE a (id bigint);");
        forward.down = None;
        forward.reversible = false;
        let found = crate::lint::check_migration(&forward, Dialect::Postgres, true);
        let missing = found
            .iter()
            .find(|d| d.rule == RULE.meta.id)
            .expect("reported");
        assert_eq!(missing.fix, None);
    }

    #[test]
    fn a_forward_only_file_is_reported_only_among_reversible_ones() {
        let mut forward = migration("CREATE TABLE a (id bigint);");
        forward.down = None;
        forward.reversible = false;
        let among_reversible = crate::lint::check_migration(&forward, Dialect::Postgres, true);
        let alone = crate::lint::check_migration(&forward, Dialect::Postgres, false);
        let count = |found: &[Diagnostic]| found.iter().filter(|d| d.rule == RULE.meta.id).count();
        assert_eq!((count(&among_reversible), count(&alone)), (1, 0));
    }
}
