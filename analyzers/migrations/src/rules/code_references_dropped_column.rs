//! `migrations/code-references-dropped-column`: a sqlx query in the Rust code names a column or
//! table that a migration drops or renames.

use std::path::{Path, PathBuf};

use commerce_diagnostics::{
    Diagnostic, FixAvailability, Severity, TextRange, declare_rule, sort_and_dedup,
};
use commerce_project::{Dialect, FileSystem};
use commerce_rust::SqlxQuery;
use sqlparser::ast::{self, AlterTableOperation, ObjectType, RenameTableNameKind};

use super::{Check, Rule};
use super::{display_path, file_queries, shown};
use crate::layout::Migration;
use crate::sql::ddl::{alter_operations, normalized_ident, table_key};
use crate::sql::query_names::QueryNames;
use crate::sql::{SqlFile, Statement};

declare_rule! {
    /// ## What it does
    /// Flags a sqlx query string in the Rust code (`sqlx::query!("..")`, `query_as!(T, "..")`,
    /// `query_scalar!`, `sqlx::query("..")`, `query_as::<_, T>("..")`, raw strings too) that
    /// names a column or a table which a linted migration drops or renames, unless a later
    /// migration brings the name back. A column counts only where the query can mean that
    /// table's column: qualified by the table or its alias, or unqualified in a query that
    /// uses the table (or whose tables could not be told).
    ///
    /// ## Why is this bad?
    /// The query fails at run time as soon as the migration commits (`column "note" does
    /// not exist`), and with `query!` the next build fails too, against the migrated
    /// database. During a deploy the old release still runs these queries against the new
    /// schema.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders DROP COLUMN note;
    /// ```
    /// while `src/orders.rs` still runs
    /// `sqlx::query!("SELECT id, note FROM orders WHERE id = $1", id)`.
    ///
    /// Use instead: release the code that no longer reads `note` first, and drop the column
    /// in a later migration (expand/contract).
    ///
    /// ## Fix safety
    /// No fix: the code has to stop using the column, which is for a person to write.
    pub CodeReferencesDroppedColumn {
        id: "migrations/code-references-dropped-column",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(CodeReferencesDroppedColumn::META, Check::Reported);

/// A table or a column that a linted migration takes away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Removal {
    /// The table's name key (see `ddl::table_key`).
    pub table: String,
    /// The column's name key; `None` when the whole table goes.
    pub column: Option<String>,
    pub renamed_to: Option<String>,
    /// The up file that removes it, relative to the project root.
    pub migration: PathBuf,
    /// The statement or `ALTER TABLE` operation that removes it.
    pub range: TextRange,
}

/// What the linted migrations take away and no later migration brings back. `migrations`
/// are in the order they run, each with whether it is linted (at or after `lint_from`).
pub(crate) fn removals<'m>(
    migrations: impl IntoIterator<Item = (&'m Migration, bool)>,
    dialect: Dialect,
) -> Vec<Removal> {
    let mut removed: Vec<Removal> = Vec::new();
    for (migration, linted) in migrations {
        let Ok(text) = &migration.up.text else {
            continue;
        };
        for statement in &SqlFile::parse(text, dialect).statements {
            for change in name_changes(statement) {
                // A name given (back) by any later migration exists again.
                if let Some((table, column)) = &change.gives {
                    removed.retain(|removal| {
                        removal.table != *table
                            || (column.is_some() && removal.column.as_ref() != column.as_ref())
                    });
                }
                if linted && let Some(removal) = change.takes {
                    removed.push(Removal {
                        migration: migration.up.path.clone(),
                        ..removal
                    });
                }
            }
        }
    }
    removed
}

/// One statement's effect on names: what it takes away, and the table (and column) it gives.
struct NameChange {
    takes: Option<Removal>,
    gives: Option<(String, Option<String>)>,
}

fn name_changes(statement: &Statement) -> Vec<NameChange> {
    let removal = |table: String, column: Option<String>, renamed_to, range| Removal {
        table,
        column,
        renamed_to,
        migration: PathBuf::new(),
        range,
    };
    match statement.ast() {
        Some(ast::Statement::Drop {
            object_type: ObjectType::Table,
            names,
            ..
        }) => names
            .iter()
            .map(|name| NameChange {
                takes: Some(removal(table_key(name), None, None, statement.range)),
                gives: None,
            })
            .collect(),
        Some(ast::Statement::CreateTable(create)) => vec![NameChange {
            takes: None,
            gives: Some((table_key(&create.name), None)),
        }],
        Some(ast::Statement::AlterTable(_)) => alter_operations(statement)
            .into_iter()
            .flat_map(|operation| {
                let table = table_key(operation.table);
                let range = operation.range();
                match operation.operation {
                    AlterTableOperation::DropColumn { column_names, .. } => column_names
                        .iter()
                        .map(|column| NameChange {
                            takes: Some(removal(
                                table.clone(),
                                Some(normalized_ident(column)),
                                None,
                                range,
                            )),
                            gives: None,
                        })
                        .collect(),
                    AlterTableOperation::RenameColumn {
                        old_column_name,
                        new_column_name,
                    } => vec![NameChange {
                        takes: Some(removal(
                            table.clone(),
                            Some(normalized_ident(old_column_name)),
                            Some(normalized_ident(new_column_name)),
                            range,
                        )),
                        gives: Some((table, Some(normalized_ident(new_column_name)))),
                    }],
                    AlterTableOperation::RenameTable {
                        table_name: RenameTableNameKind::To(name) | RenameTableNameKind::As(name),
                    } => vec![NameChange {
                        takes: Some(removal(table, None, Some(table_key(name)), range)),
                        gives: Some((table_key(name), None)),
                    }],
                    AlterTableOperation::AddColumn { column_def, .. } => vec![NameChange {
                        takes: None,
                        gives: Some((table, Some(normalized_ident(&column_def.name)))),
                    }],
                    _ => Vec::new(),
                }
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The sqlx queries of the Rust `files` (relative to `root`) that name one of
/// `removals`. With `listed` (the changed files), a file is checked against the removals of
/// listed migrations, and a listed file against every removal: a new query naming a column
/// an older migration dropped fails as surely. A Rust file that does not parse is another
/// rule's business and is skipped.
pub(crate) fn check(
    fs: &dyn FileSystem,
    root: &Path,
    files: &[PathBuf],
    removals: &[Removal],
    dialect: Dialect,
    listed: &dyn Fn(&Path) -> bool,
) -> Vec<Diagnostic> {
    let from_listed: Vec<Removal> = removals
        .iter()
        .filter(|removal| listed(&removal.migration))
        .cloned()
        .collect();
    let mut diagnostics = Vec::new();
    for path in files {
        let removals = if listed(path) { removals } else { &from_listed };
        if removals.is_empty() {
            continue;
        }
        for query in &file_queries(fs, root, path) {
            diagnostics.extend(query_findings(path, query, removals, dialect));
        }
    }
    sort_and_dedup(&mut diagnostics);
    diagnostics
}

fn query_findings(
    path: &Path,
    query: &SqlxQuery,
    removals: &[Removal],
    dialect: Dialect,
) -> Vec<Diagnostic> {
    let sql = SqlFile::parse(&query.sql, dialect);
    let mut found = Vec::new();
    for statement in &sql.statements {
        let names = QueryNames::read(statement.tokens());
        for removal in removals {
            let mention = match &removal.column {
                None => names
                    .tables
                    .iter()
                    .find(|(table, _)| *table == removal.table)
                    .map(|(_, range)| *range),
                Some(column) => names
                    .columns
                    .iter()
                    .find(|mention| names.may_name(mention, &removal.table, column))
                    .map(|mention| mention.range),
            };
            if let Some(range) = mention {
                let range = query.range_of(range.to_usize_range());
                found.push(diagnostic(path, range, removal));
            }
        }
    }
    found
}

fn diagnostic(path: &Path, range: TextRange, removal: &Removal) -> Diagnostic {
    let object = match &removal.column {
        Some(column) => format!("column {} of {}", shown(column), shown(&removal.table)),
        None => format!("table {}", shown(&removal.table)),
    };
    let (what, label) = match &removal.renamed_to {
        Some(new_name) => (format!("renames to {}", shown(new_name)), "renamed here"),
        None => ("drops".to_owned(), "dropped here"),
    };
    let migration = display_path(&removal.migration);
    let meta = CodeReferencesDroppedColumn::META;
    Diagnostic::new(
        meta.id,
        meta.default_severity,
        path,
        range,
        format!(
            "this query names {object}, which `{migration}` {what}: it fails once that migration runs"
        ),
    )
    .with_related(&removal.migration, removal.range, label)
    .with_data("migration", migration)
    .with_help(
        "release code that no longer uses it before the migration runs (expand/contract), or update the query",
    )
}

#[cfg(test)]
mod tests {
    use commerce_project::MemoryFs;

    use super::*;
    use crate::rules::test_support::{fixture, migration, snapshot_listing};

    const RUST_PATH: &str = "src/orders.rs";

    fn found(migration_sql: &str, rust: &str) -> Vec<Diagnostic> {
        let migration = migration(migration_sql);
        let removals = removals([(&migration, true)], Dialect::Postgres);
        let fs = MemoryFs::new().with_file(Path::new("/p").join(RUST_PATH), rust);
        check(
            &fs,
            Path::new("/p"),
            &[PathBuf::from(RUST_PATH)],
            &removals,
            Dialect::Postgres,
            &|_| true,
        )
    }

    #[test]
    fn invalid_fixture_matches_its_snapshot() {
        let (_, sql) = fixture!("code-references-dropped-column", "migration.sql");
        let (_, rust) = fixture!("code-references-dropped-column", "invalid.rs");
        let diagnostics = found(sql, rust);
        assert!(diagnostics.iter().all(|diagnostic| {
            diagnostic.related[0]
                .path
                .ends_with("20240101000000_test.up.sql")
        }));
        insta::assert_snapshot!("invalid", snapshot_listing(rust, &diagnostics));
    }

    #[test]
    fn valid_fixture_has_no_findings() {
        let (_, sql) = fixture!("code-references-dropped-column", "migration.sql");
        let (_, rust) = fixture!("code-references-dropped-column", "valid.rs");
        assert_eq!(found(sql, rust), []);
    }

    #[test]
    fn listed_files_meet_every_removal_and_others_those_of_listed_migrations() {
        let dropping = migration("ALTER TABLE orders DROP COLUMN note;");
        let removed = removals([(&dropping, true)], Dialect::Postgres);
        let fs = MemoryFs::new()
            .with_file(
                "/p/src/a.rs",
                r#"fn a() { sqlx::query!("SELECT note FROM orders"); }"#,
            )
            .with_file(
                "/p/src/b.rs",
                r#"fn b() { sqlx::query!("SELECT note FROM orders"); }"#,
            );
        let files = [PathBuf::from("src/a.rs"), PathBuf::from("src/b.rs")];
        let found_where = |listed: &dyn Fn(&Path) -> bool| -> Vec<PathBuf> {
            check(
                &fs,
                Path::new("/p"),
                &files,
                &removed,
                Dialect::Postgres,
                listed,
            )
            .into_iter()
            .map(|diagnostic| diagnostic.path)
            .collect()
        };
        assert_eq!(
            found_where(&|path| path == Path::new("src/b.rs")),
            [PathBuf::from("src/b.rs")]
        );
        assert_eq!(found_where(&|path| path == dropping.up.path), files);
        assert_eq!(found_where(&|_| false), Vec::<PathBuf>::new());
    }

    proptest::proptest! {
        /// Whatever the migration and the query, reading them never panics and every
        /// finding points inside the Rust file on character boundaries.
        #[test]
        fn never_panics_and_points_inside_the_file(
            migration_sql in "(ALTER TABLE orders (DROP|RENAME) (COLUMN )?[a-z\"€]{1,4}( TO x)?;|DROP TABLE [a-z]{1,3};|[a-z ,.();'\"]{0,20}){1,4}",
            query in "[a-zA-Z .,()*=$'\"€😀\\\\]{0,60}",
        ) {
            let rust = format!("fn f() {{ sqlx::query!(r#\"{query}\"#); sqlx::query({query:?}); }}");
            for diagnostic in found(&migration_sql, &rust) {
                let range = diagnostic.range.to_usize_range();
                proptest::prop_assert!(rust.get(range).is_some(), "{diagnostic:?}");
            }
        }
    }

    #[test]
    fn a_name_a_later_migration_brings_back_is_not_removed() {
        let dropping = migration("ALTER TABLE orders DROP COLUMN note; DROP TABLE carts;");
        let mut restoring =
            migration("ALTER TABLE orders ADD COLUMN note text; CREATE TABLE carts (id bigint);");
        restoring.version = "20240102000000".to_owned();
        let removed = removals([(&dropping, true), (&restoring, false)], Dialect::Postgres);
        assert_eq!(removed, []);
        let removed = removals([(&restoring, false), (&dropping, true)], Dialect::Postgres);
        assert_eq!(removed.len(), 2);
        let not_linted = removals([(&dropping, false)], Dialect::Postgres);
        assert_eq!(not_linted, []);
    }
}
