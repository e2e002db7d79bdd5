//! The static lint: discover the migrations, pick the ones to check, run every rule over each
//! of their files.

use std::path::{Path, PathBuf};

use commerce_diagnostics::{Diagnostic, RuleMeta, TextRange, sort_and_dedup};
use commerce_project::{Dialect, FileSystem, MigrationsConfig};

use crate::layout::{Direction, Migration, discover};
use crate::rules::{self, Check, FileCheck, MigrationSource, RULES};
use crate::sql::{SqlFile, Statement};

/// What the lint looks at besides the migrations directory. The default lints every
/// migration and nothing else.
#[derive(Debug, Clone, Copy, Default)]
pub struct LintScope<'a> {
    /// The files changed against the base ref, relative to the root or absolute: only the
    /// migrations one of whose files is listed are linted.
    pub only: Option<&'a [PathBuf]>,
    /// The base ref (`--base`): listed up files that exist on it with other content are
    /// `applied-migration-edited`, however old they are.
    pub base: Option<&'a str>,
    /// The project's files, relative to the root: the sqlx queries of its Rust files are
    /// checked against what the migrations from `lint_from` on drop
    /// (`code-references-dropped-column`): listed Rust files against all of them, the others
    /// against the listed migrations'.
    pub files: &'a [PathBuf],
}

/// Lints the migrations of `config.dir` under `root`.
///
/// Which migrations: those at or after `config.lint_from` (all when unset); of those, when
/// `scope.only` is given, only the migrations one of whose files is listed. Problems with the
/// directory itself (a file its tool would skip, a down without an up) are reported for the
/// selected paths.
///
/// Never fails: unreadable files, SQL that does not parse and a missing directory become
/// diagnostics or nothing.
pub fn lint(
    fs: &dyn FileSystem,
    root: &Path,
    config: &MigrationsConfig,
    scope: &LintScope<'_>,
) -> Vec<Diagnostic> {
    let dir = migrations_dir(config);
    let discovery = discover(fs, root, &dir);
    let only: Option<Vec<PathBuf>> = scope.only.map(|paths| {
        paths
            .iter()
            .map(|path| path.strip_prefix(root).unwrap_or(path).to_path_buf())
            .collect()
    });
    let is_listed = |path: &Path| {
        only.as_ref()
            .is_none_or(|paths| paths.iter().any(|p| p == path))
    };
    let directory_is_reversible = discovery
        .migrations
        .iter()
        .any(|migration| migration.reversible);

    let mut diagnostics: Vec<Diagnostic> = discovery
        .problems
        .iter()
        .filter(|problem| is_listed(&problem.path))
        .map(rules::invalid_migration::diagnostic)
        .collect();
    for migration in &discovery.migrations {
        if !is_selected(migration, config, only.as_deref()) {
            continue;
        }
        diagnostics.extend(check_migration(
            migration,
            config.dialect,
            directory_is_reversible,
        ));
    }
    let in_lint_range = discovery
        .migrations
        .iter()
        .map(|migration| (migration, is_selected(migration, config, None)));
    let removals = rules::code_references_dropped_column::removals(in_lint_range, config.dialect);
    // The Rust files Cargo builds (see `rust_files`), whoever else listed the rest.
    let rust_files = rust_files(fs, root, scope.files);
    diagnostics.extend(rules::code_references_dropped_column::check(
        fs,
        root,
        &rust_files,
        &removals,
        config.dialect,
        &is_listed,
    ));
    // Every migration builds the schema, whatever `lint_from` says.
    let tenants = rules::query_without_tenant_scope::TenantTables::read(
        &discovery.migrations,
        config.dialect,
    );
    diagnostics.extend(rules::query_without_tenant_scope::check(
        fs,
        root,
        &rust_files,
        &tenants,
        config.dialect,
        &is_listed,
    ));
    if let Some(base) = scope.base {
        let listed = discovery
            .migrations
            .iter()
            .filter(|migration| is_listed(&migration.up.path));
        diagnostics.extend(edited_since(root, base, listed));
    }
    sort_and_dedup(&mut diagnostics);
    diagnostics
}

/// The Rust files of `files` that the project builds: those in the places its root
/// `Cargo.toml` names (every one without a manifest). The inventory of `check --only
/// migrations` lists just those places, so a full check and `--only` read the same files.
fn rust_files(fs: &dyn FileSystem, root: &Path, files: &[PathBuf]) -> Vec<PathBuf> {
    let places = commerce_project::rust_places(fs, root);
    files
        .iter()
        .filter(|path| path.extension().is_some_and(|extension| extension == "rs"))
        .filter(|path| commerce_project::is_in_places(path, places.as_deref()))
        .cloned()
        .collect()
}

/// `applied-migration-edited` over `migrations`, comparing with their texts where this branch
/// forked from `base`.
fn edited_since<'m>(
    root: &Path,
    base: &str,
    migrations: impl Iterator<Item = &'m Migration>,
) -> Vec<Diagnostic> {
    let migrations: Vec<&Migration> = migrations.collect();
    let up_paths: Vec<PathBuf> = migrations
        .iter()
        .map(|migration| migration.up.path.clone())
        .collect();
    // Whoever passes `base` has listed the changed files against it already, so git works
    // and the ref exists; should git still fail, this one rule stays silent.
    let Ok(base_texts) = commerce_project::files_at_fork(root, base, &up_paths) else {
        return Vec::new();
    };
    rules::applied_migration_edited::check(migrations, base, &base_texts)
}

/// Whether `migration` is at or after `lint_from` and, when `only` lists paths (relative to
/// the project root), one of its files is listed.
pub(crate) fn is_selected(
    migration: &Migration,
    config: &MigrationsConfig,
    only: Option<&[PathBuf]>,
) -> bool {
    let after_lint_from = config
        .lint_from
        .as_deref()
        .is_none_or(|version| migration.is_at_or_after(version));
    after_lint_from
        && migration
            .paths()
            .any(|path| only.is_none_or(|paths| paths.iter().any(|listed| listed == path)))
}

/// The migrations directory of `config`, relative to the project root.
pub fn migrations_dir(config: &MigrationsConfig) -> PathBuf {
    let dir = config.dir.trim_start_matches("./");
    PathBuf::from(if dir.is_empty() { "." } else { dir })
}

/// Every rule over every file of one migration.
pub(crate) fn check_migration(
    migration: &Migration,
    dialect: Dialect,
    directory_is_reversible: bool,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for (direction, file) in migration.files() {
        let text = match &file.text {
            Ok(text) => text,
            Err(error) => {
                diagnostics.push(rules::invalid_migration::unreadable(&file.path, error));
                continue;
            }
        };
        let sql = SqlFile::parse(text, dialect);
        let source = MigrationSource::new(
            migration,
            direction,
            file,
            text,
            &sql,
            directory_is_reversible,
        );
        for rule in RULES {
            if let Check::File(check) = &rule.check
                && applies(check, direction, dialect)
            {
                diagnostics.extend((check.check)(&source));
                diagnostics.extend(keyword_scan(&rule.meta, check, &source));
            }
        }
    }
    diagnostics
}

fn applies(check: &FileCheck, direction: Direction, dialect: Dialect) -> bool {
    (direction == Direction::Up || check.checks_down)
        && (dialect == Dialect::Postgres || !check.postgres_only)
}

/// The rule's keyword scan over each statement sqlparser could not read.
fn keyword_scan(
    meta: &RuleMeta,
    check: &FileCheck,
    source: &MigrationSource<'_>,
) -> Vec<Diagnostic> {
    let Some(scan) = check.keyword_scan else {
        return Vec::new();
    };
    source
        .statements()
        .iter()
        .filter(|statement| statement.parsed.is_err())
        .filter_map(|statement: &Statement| scan(statement.tokens()))
        .map(|range: TextRange| {
            let words = &source.text[range.to_usize_range()];
            source
                .diagnostic(
                    meta,
                    range,
                    format!(
                        "`{words}` in a statement that did not parse (found by keyword scan): {}",
                        meta.summary()
                    ),
                )
                .with_help(
                    "this finding comes from keywords alone; see `migrations/unparsable-statement` \
                     for why the statement could not be read",
                )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use commerce_project::MemoryFs;

    use super::*;

    const ROOT: &str = "/shop";

    fn project() -> MemoryFs {
        [
            ("db/migrations/1_old.up.sql", "DROP TABLE carts;"),
            (
                "db/migrations/1_old.down.sql",
                "CREATE TABLE carts (id bigint);",
            ),
            (
                "db/migrations/2_new.up.sql",
                "ALTER TABLE orders DROP COLUMN note;",
            ),
            ("db/migrations/2_new.down.sql", "-- nothing"),
            ("db/migrations/3_lonely.down.sql", "SELECT 1;"),
            ("db/migrations/4_no_down.up.sql", "DROP DATABASE shop;"),
        ]
        .into_iter()
        .map(|(path, text)| (Path::new(ROOT).join(path), text))
        .collect()
    }

    fn config(lint_from: Option<&str>) -> MigrationsConfig {
        MigrationsConfig {
            dir: "./db/migrations".to_owned(),
            lint_from: lint_from.map(str::to_owned),
            ..MigrationsConfig::default()
        }
    }

    fn found(lint_from: Option<&str>, only: Option<&[PathBuf]>) -> Vec<(String, String)> {
        lint(
            &project(),
            Path::new(ROOT),
            &config(lint_from),
            &LintScope {
                only,
                ..LintScope::default()
            },
        )
        .into_iter()
        // Every statement here locks a table without timeouts; that rule has its own tests.
        .filter(|diagnostic| diagnostic.rule != "migrations/require-timeout-settings")
        .map(|diagnostic| {
            assert_eq!(
                diagnostic.data["migration"],
                diagnostic.path.display().to_string()
            );
            (diagnostic.path.display().to_string(), diagnostic.rule)
        })
        .collect()
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(path, rule)| ((*path).to_owned(), (*rule).to_owned()))
            .collect()
    }

    #[test]
    fn every_migration_is_linted_without_lint_from() {
        assert_eq!(
            found(None, None),
            pairs(&[
                ("db/migrations/1_old.up.sql", "migrations/ban-drop-table"),
                (
                    "db/migrations/2_new.down.sql",
                    "migrations/irreversible-down"
                ),
                ("db/migrations/2_new.up.sql", "migrations/ban-drop-column"),
                (
                    "db/migrations/3_lonely.down.sql",
                    "migrations/invalid-migration"
                ),
                (
                    "db/migrations/4_no_down.up.sql",
                    "migrations/missing-down-migration"
                ),
                (
                    "db/migrations/4_no_down.up.sql",
                    "migrations/ban-drop-database"
                ),
            ])
        );
    }

    #[test]
    fn lint_from_skips_older_migrations_and_only_keeps_the_listed_ones() {
        let after_two: Vec<_> = found(Some("2"), None)
            .into_iter()
            .map(|(path, _)| path)
            .collect();
        assert!(
            !after_two.iter().any(|path| path.contains("1_old")),
            "{after_two:?}"
        );
        assert!(after_two.iter().any(|path| path.contains("2_new")));

        let changed = [
            PathBuf::from("db/migrations/2_new.down.sql"),
            Path::new(ROOT).join("db/migrations/1_old.up.sql"),
        ];
        assert_eq!(
            found(None, Some(&changed)),
            pairs(&[
                ("db/migrations/1_old.up.sql", "migrations/ban-drop-table"),
                (
                    "db/migrations/2_new.down.sql",
                    "migrations/irreversible-down"
                ),
                ("db/migrations/2_new.up.sql", "migrations/ban-drop-column"),
            ])
        );
        assert_eq!(
            found(Some("2"), Some(&changed)).len(),
            2,
            "lint_from applies to the changed files too"
        );
    }

    #[test]
    fn a_project_without_migrations_has_no_findings() {
        let fs = MemoryFs::new().with_file("/shop/src/main.rs", "fn main() {}");
        assert_eq!(
            lint(&fs, Path::new(ROOT), &config(None), &LintScope::default()),
            []
        );
    }

    /// The real histories of `../shared/corpus/migrations`: every file is read, none makes the
    /// lint fail, and the findings per rule stay as reviewed (see bench/migrations).
    #[test]
    fn corpus_histories_lint_to_the_reviewed_counts() {
        use std::collections::BTreeMap;
        use std::fmt::Write as _;

        let corpus = commerce_project::testing::corpus("migrations");
        let mut out = String::new();
        for (history, dialect) in [
            ("docs.rs", Dialect::Postgres),
            ("atuin-server-postgres", Dialect::Postgres),
            ("realworld-axum-sqlx", Dialect::Postgres),
            ("atuin-client-sqlite", Dialect::Sqlite),
        ] {
            let config = MigrationsConfig {
                dir: history.to_owned(),
                dialect,
                ..MigrationsConfig::default()
            };
            let found = lint(
                &commerce_project::OsFs,
                &corpus,
                &config,
                &LintScope::default(),
            );
            let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
            for diagnostic in &found {
                *per_rule.entry(diagnostic.rule.as_str()).or_default() += 1;
            }
            let _ = writeln!(out, "== {history}");
            for (rule, count) in per_rule {
                let _ = writeln!(out, "{count:4} {rule}");
            }
        }
        insta::assert_snapshot!("corpus_rule_counts", out);
    }

    #[test]
    fn a_migration_edited_since_the_base_ref_is_reported_however_old() {
        let repo = tempfile::tempdir().expect("tempdir");
        let root = repo.path();
        let write = |path: &str, text: &str| {
            let path = root.join("db/migrations").join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("writes");
        };
        let sh = |script: &str| {
            let status = std::process::Command::new("sh")
                .args(["-c", script])
                .current_dir(root)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .status()
                .expect("sh runs");
            assert!(status.success(), "{script}");
        };
        write("1_orders.sql", "CREATE TABLE orders (id bigint);\n");
        write("2_lines.sql", "CREATE TABLE lines (id bigint);\n");
        sh("git init -q -b main && git add . \
            && git -c user.name=T -c user.email=t@example.invalid commit -qm base \
            && git checkout -qb feature");
        write(
            "1_orders.sql",
            "CREATE TABLE orders (id bigint, note text);\n",
        );
        write("3_new.sql", "CREATE TABLE carts (id bigint);\n");

        let changed = [
            PathBuf::from("db/migrations/1_orders.sql"),
            PathBuf::from("db/migrations/3_new.sql"),
        ];
        let found: Vec<_> = lint(
            &commerce_project::OsFs,
            root,
            &config(Some("3")),
            &LintScope {
                only: Some(&changed),
                base: Some("main"),
                files: &[],
            },
        )
        .into_iter()
        .map(|diagnostic| (diagnostic.path.display().to_string(), diagnostic.rule))
        .collect();
        assert_eq!(
            found,
            pairs(&[(
                "db/migrations/1_orders.sql",
                "migrations/applied-migration-edited"
            )])
        );
    }

    #[test]
    fn a_file_that_is_not_utf8_is_reported_not_fatal() {
        let fs = MemoryFs::new().with_file("/shop/db/migrations/5_bad.sql", vec![0xff, 0xfe, b'x']);
        let found = lint(&fs, Path::new(ROOT), &config(None), &LintScope::default());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule, "migrations/invalid-migration");
        assert!(
            found[0].message.contains("not valid UTF-8"),
            "{}",
            found[0].message
        );
    }
}
