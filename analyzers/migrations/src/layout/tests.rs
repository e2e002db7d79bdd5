use std::path::{Path, PathBuf};

use commerce_project::MemoryFs;

use super::*;

fn discover_in(files: &[(&str, &str)]) -> Discovery {
    let fs: MemoryFs = files
        .iter()
        .map(|(path, text)| (Path::new("/p").join(path), *text))
        .collect();
    discover(&fs, Path::new("/p"), Path::new("migrations"))
}

fn versions(discovery: &Discovery) -> Vec<&str> {
    discovery
        .migrations
        .iter()
        .map(|migration| migration.version.as_str())
        .collect()
}

#[test]
fn sqlx_files_pair_up_and_down_and_order_by_numeric_version() {
    let discovery = discover_in(&[
        ("migrations/10_later.sql", "SELECT 10;"),
        (
            "migrations/9_earlier.up.sql",
            "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);",
        ),
        ("migrations/9_earlier.down.sql", "DROP INDEX i;"),
        ("migrations/README.md", "not a migration"),
    ]);
    assert_eq!(versions(&discovery), ["9", "10"]);
    let earlier = &discovery.migrations[0];
    assert_eq!(earlier.layout, Layout::Sqlx);
    assert!(earlier.reversible);
    assert!(!earlier.up.in_transaction);
    let down = earlier.down.as_ref().expect("has a down");
    assert!(down.in_transaction);
    assert_eq!(down.path, PathBuf::from("migrations/9_earlier.down.sql"));
    assert!(!discovery.migrations[1].reversible);
    assert_eq!(discovery.problems, []);
}

#[test]
fn diesel_folders_order_by_version_without_dashes_and_read_run_in_transaction() {
    let discovery = discover_in(&[
        ("migrations/2024-01-02-000000_b/up.sql", "SELECT 2;"),
        ("migrations/2024-01-02-000000_b/down.sql", "SELECT -2;"),
        (
            "migrations/2024-01-02-000000_b/metadata.toml",
            "run_in_transaction = false\n",
        ),
        // Sorts before `2024-01-02…` by version, after it by folder name.
        ("migrations/20240101000000_a/up.sql", "SELECT 1;"),
        (
            "migrations/00000000000000_diesel_initial_setup/up.sql",
            "SELECT 0;",
        ),
    ]);
    assert_eq!(
        versions(&discovery),
        ["00000000000000", "20240101000000", "2024-01-02-000000"]
    );
    let b = &discovery.migrations[2];
    assert_eq!(b.layout, Layout::Diesel);
    assert!(!b.up.in_transaction);
    assert!(!b.down.as_ref().expect("has a down").in_transaction);
    assert_eq!(
        b.metadata.as_deref(),
        Some(Path::new("migrations/2024-01-02-000000_b/metadata.toml"))
    );
    assert!(
        discovery.migrations[1].reversible,
        "diesel expects a down.sql"
    );
    assert!(discovery.migrations[1].down.is_none());
}

#[test]
fn files_the_tool_would_skip_or_refuse_are_problems() {
    let discovery = discover_in(&[
        ("migrations/addorders.sql", "SELECT 1;"),
        ("migrations/add_orders.sql", "SELECT 1;"),
        ("migrations/v2_orders.sql", "SELECT 1;"),
        ("migrations/3_lonely.down.sql", "SELECT 1;"),
        ("migrations/4_both.sql", "SELECT 1;"),
        ("migrations/4_both.up.sql", "SELECT 1;"),
        ("migrations/5_a.sql", "SELECT 1;"),
        ("migrations/5_b.sql", "SELECT 1;"),
        ("migrations/6_meta/up.sql", "SELECT 1;"),
        (
            "migrations/6_meta/metadata.toml",
            "run_in_transaction = \"no\"",
        ),
    ]);
    let problems: Vec<_> = discovery
        .problems
        .iter()
        .map(|problem| (problem.path.display().to_string(), problem.message.as_str()))
        .collect();
    assert_eq!(problems.len(), 7, "{problems:#?}");
    let messages = problems
        .iter()
        .map(|(path, message)| format!("{path}: {message}"))
        .collect::<Vec<_>>()
        .join("\n");
    for expected in [
        "migrations/addorders.sql: sqlx skips this file",
        "migrations/add_orders.sql: sqlx cannot run this file: its version `add` is not an integer",
        "migrations/v2_orders.sql: sqlx cannot run this file: its version `v2` is not an integer",
        "migrations/3_lonely.down.sql: this down migration has no up migration",
        "migrations/4_both.sql: two kinds of file share this version",
        "migrations/5_b.sql: version 5 is used twice (also by migrations/5_a.sql)",
        "migrations/6_meta/metadata.toml: `run_in_transaction` must be `true` or `false`",
    ] {
        assert!(
            messages.contains(expected),
            "missing {expected:?} in\n{messages}"
        );
    }
}

#[test]
fn a_missing_directory_has_no_migrations() {
    assert_eq!(discover_in(&[("src/main.rs", "")]), Discovery::default());
}

#[test]
fn lint_from_compares_digit_versions_as_numbers() {
    let discovery = discover_in(&[
        ("migrations/900_a.sql", ""),
        ("migrations/2024-01-01-000000_b/up.sql", ""),
    ]);
    assert!(!discovery.migrations[0].is_at_or_after("1000"));
    assert!(discovery.migrations[0].is_at_or_after("0899"));
    assert!(discovery.migrations[1].is_at_or_after("2024-01-01-000000"));
    assert!(!discovery.migrations[1].is_at_or_after("20240101000001"));
}
