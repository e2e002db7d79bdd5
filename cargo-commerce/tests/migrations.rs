//! `cargo commerce migrations verify` end to end on a real, throwaway Postgres cluster.

use std::process::Command;

use serde_json::Value;

#[test]
fn verify_round_trips_on_postgres_and_reports_a_lossy_down() {
    let project = tempfile::tempdir().expect("temp dir");
    let migrations = project.path().join("migrations");
    std::fs::create_dir_all(&migrations).expect("migrations dir");
    let write = |name: &str, sql: &str| {
        std::fs::write(migrations.join(name), sql).expect("write migration")
    };
    write(
        "20250101000000_orders.up.sql",
        "CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL DEFAULT 'new');\n",
    );
    write("20250101000000_orders.down.sql", "DROP TABLE orders;\n");
    write(
        "20250201000000_drop_status.up.sql",
        "ALTER TABLE orders DROP COLUMN status;\n",
    );
    // Loses the default and NOT NULL: a real down-drift.
    write(
        "20250201000000_drop_status.down.sql",
        "ALTER TABLE orders ADD COLUMN status text;\n",
    );
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-commerce"))
        .args([
            "migrations",
            "verify",
            "--all",
            "--format",
            "json",
            "--project",
        ])
        .arg(project.path())
        .env_remove("DATABASE_URL")
        .output()
        .expect("run cargo-commerce");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    let rules: Vec<&str> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|diagnostic| diagnostic["rule"].as_str())
        .collect();
    assert!(rules.contains(&"migrations/down-drift"), "{json}");
    assert!(rules.contains(&"migrations/destructive-change"), "{json}");
    let drift = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|diagnostic| diagnostic["rule"] == "migrations/down-drift")
        .expect("down-drift");
    assert_eq!(
        drift["path"],
        "migrations/20250201000000_drop_status.down.sql"
    );
    let message = drift["message"].as_str().expect("message");
    assert!(
        message.contains("status") && message.contains("not null"),
        "{message}"
    );
}

/// `check --fix --unsafe-fixes` creates the generated down file, and the query still naming
/// the dropped column is re-checked against the fixed migration (its label follows the drop).
#[test]
fn check_fix_creates_a_down_and_rechecks_queries_against_the_fixed_migration() {
    let project = tempfile::tempdir().expect("temp dir");
    let files = [
        (
            "migrations/1_orders.up.sql",
            "CREATE TABLE orders (id bigint PRIMARY KEY, note text);\n",
        ),
        ("migrations/1_orders.down.sql", "DROP TABLE orders;\n"),
        (
            "migrations/2_lines.up.sql",
            "CREATE TABLE lines (id bigint);\nCREATE INDEX lines_id ON lines (id);\n",
        ),
        (
            "migrations/3_drop_note.up.sql",
            "ALTER TABLE orders DROP COLUMN note;\n",
        ),
        (
            "migrations/3_drop_note.down.sql",
            "ALTER TABLE orders ADD COLUMN note text;\n",
        ),
        (
            "src/orders.rs",
            "fn note() { sqlx::query!(\"SELECT note FROM orders WHERE id = $1\", 1); }\n",
        ),
    ];
    for (path, text) in files {
        let path = project.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::write(path, text).expect("writes");
    }
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-commerce"))
        .args(["check", "--fix", "--unsafe-fixes", "--no-tests"])
        .args(["--only", "migrations", "--format", "json", "--project"])
        .arg(project.path())
        .output()
        .expect("run cargo-commerce");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");

    let down = std::fs::read_to_string(project.path().join("migrations/2_lines.down.sql"))
        .expect("the down is created");
    assert!(
        down.ends_with("DROP INDEX IF EXISTS lines_id;\nDROP TABLE IF EXISTS lines;\n"),
        "{down}"
    );
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    let query = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|diagnostic| diagnostic["rule"] == "migrations/code-references-dropped-column")
        .expect("the query is still reported");
    assert_eq!(query["path"], "src/orders.rs");
    let fixed = std::fs::read_to_string(project.path().join("migrations/3_drop_note.up.sql"))
        .expect("reads");
    let drop_line = fixed
        .lines()
        .position(|line| line.starts_with("ALTER TABLE"))
        .expect("the drop is still there");
    assert!(drop_line > 0, "the timeout fix went first: {fixed}");
    assert_eq!(query["related"][0]["range"]["start"]["line"], drop_line + 1);
}
