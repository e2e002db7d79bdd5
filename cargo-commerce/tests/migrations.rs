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
