//! `cargo commerce migrations verify` end to end on a real, throwaway Postgres cluster.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// `migrations verify --all --format json` on the project at `root`, on the ephemeral cluster.
fn verify_json(root: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-commerce"))
        .args([
            "migrations",
            "verify",
            "--all",
            "--format",
            "json",
            "--project",
        ])
        .arg(root)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run cargo-commerce")
}

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
    let output = verify_json(project.path());
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

/// Bad setup is one clear message each, and no server is left running: an image tag that
/// names no version, a `postgres` value that is not one, a `DATABASE_URL` that refuses.
#[test]
fn verify_reports_bad_setup_in_one_clear_message() {
    use std::os::unix::fs::PermissionsExt;

    let project = tempfile::tempdir().expect("temp dir");
    let migrations = project.path().join("migrations");
    std::fs::create_dir_all(&migrations).expect("migrations dir");
    std::fs::write(
        migrations.join("20250101000000_orders.sql"),
        "CREATE TABLE orders (id bigint PRIMARY KEY);\n",
    )
    .expect("write migration");
    std::fs::write(
        project.path().join("compose.yaml"),
        "services:\n  db:\n    image: \"postgres:${PG_VERSION}\"\n",
    )
    .expect("write compose file");
    // The throwaway cluster lives under TMPDIR; the cluster user must be able to enter it.
    let scratch = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    let verify = |database_url: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cargo-commerce"));
        command
            .args(["migrations", "verify", "--all", "--project"])
            .arg(project.path())
            .env("TMPDIR", scratch.path());
        match database_url {
            Some(url) => command.env("DATABASE_URL", url),
            None => command.env_remove("DATABASE_URL"),
        };
        let output = command.output().expect("run cargo-commerce");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.code(), stderr)
    };
    let prefixed = |stderr: &str, prefix: &str| -> Vec<String> {
        stderr
            .lines()
            .filter(|line| line.starts_with(prefix))
            .map(str::to_owned)
            .collect()
    };

    let (code, stderr) = verify(None);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        prefixed(&stderr, "warning:"),
        [
            "warning: compose.yaml:3: the image `postgres:${PG_VERSION}` does not say which PostgreSQL \
          major version the project runs (a tag like `postgres:16` does); the round trip cannot tell a \
          migration written for a newer PostgreSQL from a broken one: set `[migrations] postgres = \"16\"` \
          (your version) in commerce.toml"
        ],
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(scratch.path())
        .expect("lists")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name())
        .collect();
    assert!(
        left.is_empty(),
        "the cluster is stopped and deleted: {left:?}"
    );

    let (code, stderr) = verify(Some("postgres://shop@127.0.0.1:1/shop"));
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(
        prefixed(&stderr, "error:"),
        [
            "error: cannot connect to Postgres (database `shop` on the server DATABASE_URL names): \
          error connecting to server: Connection refused (os error 111)"
        ],
        "{stderr}"
    );

    std::fs::write(
        project.path().join("commerce.toml"),
        "[migrations]\npostgres = \"sixteen\"\n",
    )
    .expect("write config");
    let (code, stderr) = verify(None);
    assert_eq!(code, Some(2), "{stderr}");
    let errors = prefixed(&stderr, "error");
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains(
            "invalid value for `postgres` in [migrations]: `sixteen` is not a PostgreSQL version"
        ),
        "{stderr}"
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

/// The migration `audit sql` prints applies on a real cluster, and `migrations verify`'s
/// append-only probe finds its tables hold, except the one whose trigger a later migration
/// disabled.
#[test]
fn audit_sql_applies_and_verify_probes_its_tables() {
    let project = tempfile::tempdir().expect("temp dir");
    let migrations = project.path().join("migrations");
    std::fs::create_dir_all(&migrations).expect("migrations dir");
    let printed = Command::new(env!("CARGO_BIN_EXE_cargo-commerce"))
        .args(["audit", "sql", "--hash-chain"])
        .output()
        .expect("run cargo-commerce");
    assert_eq!(printed.status.code(), Some(0));
    std::fs::write(migrations.join("1_audit.sql"), &printed.stdout).expect("write migration");
    std::fs::write(
        migrations.join("2_backfill.sql"),
        "ALTER TABLE payment_audit DISABLE TRIGGER payment_audit_append_only;\n",
    )
    .expect("write migration");
    let output = verify_json(project.path());
    let json: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&output.stderr)));
    let diagnostics = json["diagnostics"].as_array().expect("diagnostics");
    let from_the_round_trip: Vec<(&str, &str, &str)> = diagnostics
        .iter()
        .filter(|diagnostic| {
            matches!(
                diagnostic["rule"].as_str(),
                Some(
                    "migrations/audit-not-append-only"
                        | "migrations/constraint-not-enforced"
                        | "migrations/up-fails"
                )
            )
        })
        .map(|diagnostic| {
            (
                diagnostic["rule"].as_str().unwrap_or_default(),
                diagnostic["path"].as_str().unwrap_or_default(),
                diagnostic["message"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        from_the_round_trip,
        [
            (
                "migrations/audit-not-append-only",
                "migrations/2_backfill.sql",
                "audit table public.payment_audit accepted a DELETE of a row: `DELETE FROM public.payment_audit WHERE ctid = (SELECT ctid FROM public.payment_audit LIMIT 1)`"
            ),
            (
                "migrations/audit-not-append-only",
                "migrations/2_backfill.sql",
                "audit table public.payment_audit accepted an UPDATE of a row: `UPDATE public.payment_audit SET aggregate_id = aggregate_id WHERE ctid = (SELECT ctid FROM public.payment_audit LIMIT 1)`"
            ),
        ],
        "{json}"
    );
}
