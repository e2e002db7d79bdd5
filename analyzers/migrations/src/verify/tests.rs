//! Round trips on a real Postgres: an ephemeral cluster from the machine's binaries. Each
//! test starts its own cluster and stops it on drop; without the binaries the tests fail with
//! the install hint, unless `COMMERCE_TEST_SKIP_POSTGRES=1` opts out explicitly.
//! `DATABASE_URL` is tested by pointing it at such a cluster.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use commerce_project::{MemoryFs, MigrationsConfig, OsFs};

use super::*;

/// An ephemeral cluster for one test, or `None` when Postgres is not installed and the run
/// opted out (`COMMERCE_TEST_SKIP_POSTGRES=1`). Never `DATABASE_URL`'s server: some tests
/// create roles and databases.
fn server() -> Option<PostgresServer> {
    match PostgresServer::ephemeral() {
        Ok(server) => Some(server),
        Err(error @ ServerError::Cluster(commerce_pg::ClusterError::NotInstalled { .. }))
            if server::postgres_opted_out(&error) =>
        {
            None
        }
        Err(error) => panic!("cannot start Postgres: {error}"),
    }
}

/// Each finding's rule and file.
fn rules_and_paths(diagnostics: &[Diagnostic]) -> Vec<(&str, String)> {
    diagnostics
        .iter()
        .map(|diagnostic| {
            (
                diagnostic.rule.as_str(),
                diagnostic.path.display().to_string(),
            )
        })
        .collect()
}

fn config() -> MigrationsConfig {
    MigrationsConfig::default()
}

fn all() -> VerifyOptions {
    VerifyOptions {
        all: true,
        ..VerifyOptions::default()
    }
}

/// `rule path:line:col message`, one finding a line.
fn listing(fs: &dyn FileSystem, root: &Path, report: &VerifyReport) -> String {
    let mut out = String::new();
    for diagnostic in &report.diagnostics {
        let text = fs
            .read_to_string(&root.join(&diagnostic.path))
            .unwrap_or_default();
        let position =
            commerce_diagnostics::LineIndex::new(&text).source_position(diagnostic.range.start());
        let _ = writeln!(
            out,
            "{} {}:{}:{} {}",
            diagnostic.rule,
            diagnostic.path.display(),
            position.line,
            position.column,
            diagnostic.message
        );
    }
    out
}

fn project(files: &[(&str, &str)]) -> MemoryFs {
    files
        .iter()
        .map(|(path, text)| (Path::new("/p/migrations").join(path), *text))
        .collect()
}

#[test]
fn a_history_with_every_kind_of_finding() {
    let Some(server) = server() else { return };
    let fs = project(&[
        (
            "1_orders.up.sql",
            "CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL DEFAULT 'new', total numeric(12,2), note text);",
        ),
        ("1_orders.down.sql", "DROP TABLE orders;"),
        // The down forgets the previous default.
        (
            "2_status_default.up.sql",
            "ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'open';",
        ),
        (
            "2_status_default.down.sql",
            "ALTER TABLE orders ALTER COLUMN status DROP DEFAULT;",
        ),
        // The down names a table that does not exist.
        (
            "3_lines.up.sql",
            "CREATE TABLE lines (order_id bigint REFERENCES orders (id));",
        ),
        (
            "3_lines.down.sql",
            "-- drops the wrong table\nDROP TABLE line_items;",
        ),
        // The down leaves the type behind, so the second up fails.
        (
            "4_channel.up.sql",
            "CREATE TYPE channel AS ENUM ('web', 'shop');\nALTER TABLE orders ADD COLUMN channel channel;",
        ),
        (
            "4_channel.down.sql",
            "ALTER TABLE orders DROP COLUMN channel;",
        ),
        // The down does nothing, so the second up adds a second check.
        (
            "5_total_check.up.sql",
            "ALTER TABLE orders ADD CHECK (total >= 0);",
        ),
        ("5_total_check.down.sql", "SELECT 1;"),
        // Loses a column and narrows a type; the down restores both (column order differs).
        (
            "6_trim.up.sql",
            "ALTER TABLE orders DROP COLUMN note;\nALTER TABLE orders ALTER COLUMN total TYPE numeric(8,2);",
        ),
        (
            "6_trim.down.sql",
            "ALTER TABLE orders ADD COLUMN note text;\nALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2);",
        ),
        // Function bodies that differ only in whitespace are the same function.
        (
            "7_fn.up.sql",
            "CREATE FUNCTION one() RETURNS int LANGUAGE sql AS $$ select 1 $$;",
        ),
        ("7_fn.down.sql", "DROP FUNCTION one();"),
        (
            "8_fn_reformat.up.sql",
            "CREATE OR REPLACE FUNCTION one() RETURNS int LANGUAGE sql AS $$\n    select\n        1\n$$;",
        ),
        (
            "8_fn_reformat.down.sql",
            "CREATE OR REPLACE FUNCTION one() RETURNS int LANGUAGE sql AS $$ select 1 $$;",
        ),
        // sqlx sends this as one query string: Postgres runs it as one transaction block.
        (
            "9_indexes.up.sql",
            "-- no-transaction\nCREATE INDEX CONCURRENTLY orders_status ON orders (status);\nCREATE INDEX CONCURRENTLY orders_total ON orders (total);",
        ),
        (
            "9_indexes.down.sql",
            "DROP INDEX orders_status;\nDROP INDEX orders_total;",
        ),
        ("10_never_reached.up.sql", "DROP TABLE orders;"),
        ("10_never_reached.down.sql", "SELECT 1;"),
    ]);
    let report = verify(&fs, Path::new("/p"), &config(), &server, &all()).expect("runs");
    insta::assert_snapshot!(
        "every_kind_of_finding",
        listing(&fs, Path::new("/p"), &report)
    );
    let checked: Vec<_> = report
        .timings
        .iter()
        .map(|timing| timing.migration.display().to_string())
        .collect();
    assert_eq!(
        checked.len(),
        9,
        "the history stops at the failing up: {checked:?}"
    );
    assert!(report.timings.iter().all(|timing| timing.checked));
}

/// Views and defaults of `'now'::timestamp`, `timestamp 'now'` and `'today'::date` are
/// stored with the clock's value at creation: recreating them is no drift, but a down that
/// really changes such a view is, and the finding shows what changed.
#[test]
fn creation_time_literals_are_no_drift_but_real_changes_are() {
    let Some(server) = server() else { return };
    let recent = |interval: &str| {
        format!(
            "CREATE VIEW recent_orders AS SELECT id, created_at FROM orders \
             WHERE created_at > 'now'::timestamp - interval '{interval}' AND created_at < timestamp 'now' \
             AND created_at::date <> 'today'::date;"
        )
    };
    let with_note =
        |interval: &str| recent(interval).replace("created_at FROM", "created_at, note FROM");
    let fs = project(&[
        (
            "1_orders.up.sql",
            "CREATE TABLE orders (id bigint PRIMARY KEY, created_at timestamp NOT NULL DEFAULT 'now', note text);",
        ),
        ("1_orders.down.sql", "DROP TABLE orders;"),
        ("2_recent.up.sql", &recent("1 day")),
        ("2_recent.down.sql", "DROP VIEW recent_orders;"),
        // Rebuilds the view; the down rebuilds the previous one exactly.
        (
            "3_recent_note.up.sql",
            &format!("DROP VIEW recent_orders;\n{}", with_note("1 day")),
        ),
        (
            "3_recent_note.down.sql",
            &format!("DROP VIEW recent_orders;\n{}", recent("1 day")),
        ),
        // The down brings back a view of two days, not one.
        (
            "4_recent_week.up.sql",
            &format!("DROP VIEW recent_orders;\n{}", with_note("7 days")),
        ),
        (
            "4_recent_week.down.sql",
            &format!("DROP VIEW recent_orders;\n{}", with_note("2 days")),
        ),
    ]);
    let report = verify(&fs, Path::new("/p"), &config(), &server, &all()).expect("runs");
    assert_eq!(
        report.diagnostics.len(),
        1,
        "{}",
        listing(&fs, Path::new("/p"), &report)
    );
    let finding = &report.diagnostics[0];
    assert_eq!(finding.rule, "migrations/down-drift");
    assert_eq!(finding.path, Path::new("migrations/4_recent_week.down.sql"));
    assert_eq!(
        finding.message,
        "the down migration does not restore the schema from before the up migration: \
         view public.recent_orders: definition differs: … (orders.created_at > ('now'::timestamp \
         without time zone - [-'1 day'-]{+'2 days'+}::interval)) AND (orders.created_at < 'now':: …"
    );
    let change = &finding.data["changes"][0];
    assert_eq!(change["object"], "view public.recent_orders");
    assert_eq!(change["attribute"], "definition");
    // The whole definitions, the run's clock written as the keywords that read it.
    assert_eq!(
        change["expected"],
        "SELECT orders.id, orders.created_at, orders.note FROM orders WHERE \
         ((orders.created_at > ('now'::timestamp without time zone - '1 day'::interval)) AND \
         (orders.created_at < 'now'::timestamp without time zone) AND ((orders.created_at)::date <> 'today'::date));"
    );
    assert_eq!(
        change["actual"],
        change["expected"]
            .as_str()
            .unwrap_or_default()
            .replace("'1 day'", "'2 days'")
    );
}

/// On a server older than the project's PostgreSQL, a migration written for the newer one is
/// one finding, and the history stops there: nothing after it is reported.
#[test]
fn a_migration_for_a_newer_postgres_is_one_finding_and_stops_the_history() {
    let Some(server) = server() else { return };
    let major = server_major(&server);
    let history = [
        (
            "migrations/1_orders.up.sql",
            "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);",
        ),
        ("migrations/1_orders.down.sql", "DROP TABLE orders;"),
        // A subquery in FROM without an alias: PostgreSQL 16.
        (
            "migrations/2_totals.up.sql",
            "CREATE VIEW totals AS SELECT * FROM (SELECT id, total FROM orders);",
        ),
        ("migrations/2_totals.down.sql", "DROP VIEW totals;"),
        // Fails too once 2 has not applied: no cascade of findings.
        (
            "migrations/3_big_totals.up.sql",
            "CREATE VIEW big_totals AS SELECT id FROM totals WHERE total > 100;",
        ),
        ("migrations/3_big_totals.down.sql", "DROP VIEW big_totals;"),
    ];
    let configured = MigrationsConfig {
        postgres: Some(16),
        ..config()
    };
    let fs: MemoryFs = history
        .iter()
        .map(|(path, text)| (Path::new("/p").join(path), *text))
        .collect();
    let report = verify(&fs, Path::new("/p"), &configured, &server, &all()).expect("runs");
    if major >= 16 {
        assert_eq!(
            report.diagnostics,
            [],
            "PostgreSQL {major} runs the history"
        );
        return;
    }
    assert_eq!(
        listing(&fs, Path::new("/p"), &report),
        format!(
            "migrations/needs-newer-postgres migrations/2_totals.up.sql:1:1 this migration needs PostgreSQL ≥ 16 \
             (the project targets it: commerce.toml); the throwaway cluster is PostgreSQL {}, where it fails: \
             ERROR: subquery in FROM must have an alias\n",
            report.server_version.as_deref().unwrap_or_default()
        )
    );
    assert_eq!(
        report.timings.len(),
        2,
        "the history stops at the failing up"
    );
    assert_eq!(
        report.diagnostics[0].help.as_deref(),
        Some(
            "set DATABASE_URL to a PostgreSQL 16 server: this migration and the ones after it were not verified"
        )
    );

    // Without `postgres`, the image of the compose file says it; a down written for
    // PostgreSQL 18 (a named NOT NULL constraint) stops the history as well.
    let mut with_compose: Vec<(&str, &str)> = history[..2].to_vec();
    with_compose.extend([
        (
            "docker-compose.yml",
            "services:\n  db:\n    image: postgis/postgis:18-3.6\n",
        ),
        (
            "migrations/2_note.up.sql",
            "ALTER TABLE orders ADD COLUMN note text NOT NULL DEFAULT '';",
        ),
        (
            "migrations/2_note.down.sql",
            "ALTER TABLE orders DROP CONSTRAINT orders_note_not_null;\nALTER TABLE orders DROP COLUMN note;",
        ),
        ("migrations/3_later.up.sql", "SELECT 1;"),
    ]);
    let fs: MemoryFs = with_compose
        .iter()
        .map(|(path, text)| (Path::new("/p").join(path), *text))
        .collect();
    let report = verify(&fs, Path::new("/p"), &config(), &server, &all()).expect("runs");
    let found = rules_and_paths(&report.diagnostics);
    assert_eq!(
        found,
        [(
            "migrations/needs-newer-postgres",
            "migrations/2_note.down.sql".to_owned()
        )]
    );
    assert!(
        report.diagnostics[0]
            .message
            .contains("(the project targets it: docker-compose.yml:3 (postgis/postgis:18-3.6))"),
        "{}",
        report.diagnostics[0].message
    );
    assert_eq!(report.timings.len(), 2);

    // What fails on every version is an ordinary finding, and the history goes on.
    let fs = project(&[
        ("1_a.up.sql", "CREATE TABLE a (id bigint);"),
        ("1_a.down.sql", "DROP TABLE b;"),
        ("2_b.up.sql", "CREATE TABLE b (id bigint);"),
    ]);
    let report = verify(&fs, Path::new("/p"), &configured, &server, &all()).expect("runs");
    let rules: Vec<&str> = report
        .diagnostics
        .iter()
        .map(|diagnostic| diagnostic.rule.as_str())
        .collect();
    assert_eq!(rules, ["migrations/down-fails"]);
    assert_eq!(report.timings.len(), 2);
}

/// The server's major version.
fn server_major(server: &PostgresServer) -> u32 {
    let mut client = server
        .connect(
            server.admin_database(),
            Duration::from_secs(30),
            Duration::from_secs(30),
        )
        .expect("connects");
    target::ServerVersion::read(&mut client)
        .expect("reads the version")
        .major()
}

#[test]
fn a_server_that_refuses_the_connection_is_one_clear_error() {
    // Port 1 on the loopback: nothing listens there.
    let refusing =
        PostgresServer::existing("host=127.0.0.1 port=1 user=shop dbname=shop").expect("valid url");
    let fs = project(&[("1_a.sql", "CREATE TABLE a (id bigint);")]);
    let error = verify(&fs, Path::new("/p"), &config(), &refusing, &all()).expect_err("refused");
    assert!(
        matches!(error, VerifyError::Server(ServerError::Connect { .. })),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with(
            "cannot connect to Postgres (database `shop` on the server DATABASE_URL names)"
        ),
        "{message}"
    );
    assert!(message.contains("refused"), "{message}");
}

/// The down `missing-down-migration` generates undoes its up exactly.
#[test]
fn a_generated_down_migration_round_trips_cleanly() {
    let Some(server) = server() else { return };
    let up = "CREATE EXTENSION IF NOT EXISTS pg_trgm;\n\
              CREATE TYPE status AS ENUM ('new', 'paid');\n\
              CREATE TABLE orders (id bigint PRIMARY KEY, status status NOT NULL);\n\
              CREATE INDEX orders_status_idx ON orders (status);\n\
              ALTER TABLE orders ADD COLUMN note text, ADD COLUMN vip boolean DEFAULT false;";
    let without_down = project(&[("1_orders.up.sql", up)]);
    let found = crate::lint(
        &without_down,
        Path::new("/p"),
        &config(),
        &crate::LintScope::default(),
    );
    let generated = found
        .iter()
        .find(|diagnostic| diagnostic.rule == "migrations/missing-down-migration")
        .and_then(|diagnostic| diagnostic.fix.as_ref())
        .map(|fix| &fix.edits[0])
        .expect("a generated down");
    assert_eq!(generated.path, Path::new("migrations/1_orders.down.sql"));
    let fs = project(&[
        ("1_orders.up.sql", up),
        ("1_orders.down.sql", &generated.new_text),
    ]);
    let report = verify(&fs, Path::new("/p"), &config(), &server, &all()).expect("runs");
    assert_eq!(report.diagnostics, [], "{}", generated.new_text);
    assert!(report.timings[0].down.is_some() && report.timings[0].reup.is_some());
}

#[test]
fn a_constraint_left_not_valid_is_reported_on_the_migration_that_added_it() {
    let Some(server) = server() else { return };
    let fs = project(&[
        (
            "1_orders.sql",
            "CREATE TABLE customers (id bigint PRIMARY KEY);\nCREATE TABLE orders (customer_id bigint, total numeric);",
        ),
        (
            "2_fk.sql",
            "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;",
        ),
        (
            "3_check.sql",
            "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;",
        ),
        (
            "4_validate.sql",
            "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;",
        ),
    ]);
    let report = verify(&fs, Path::new("/p"), &config(), &server, &all()).expect("runs");
    let found = rules_and_paths(&report.diagnostics);
    assert_eq!(
        found,
        [(
            "migrations/constraint-not-validated",
            "migrations/2_fk.sql".to_owned()
        )]
    );
    assert!(
        report.diagnostics[0].message.starts_with("constraint public.orders.orders_customer_fk (FOREIGN KEY (customer_id) REFERENCES customers(id) NOT VALID) is still NOT VALID"),
        "{}",
        report.diagnostics[0].message
    );
}

#[test]
fn constraint_probes_find_a_foreign_key_whose_triggers_are_disabled() {
    let Some(server) = server() else { return };
    let fs = project(&[
        (
            "1_orders.sql",
            "CREATE TYPE status AS ENUM ('new', 'paid');\n\
             CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email varchar(40) NOT NULL UNIQUE);\n\
             CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id) DEFERRABLE INITIALLY DEFERRED, \
               status status NOT NULL DEFAULT 'new', channel text CHECK (channel IN ('web', 'shop')), total numeric(8,2) CHECK (total >= 0), \
               parent_id bigint REFERENCES orders (id));\n\
             INSERT INTO customers (email) VALUES ('seed@example.com');",
        ),
        (
            "2_lines.sql",
            "CREATE TABLE lines (order_id bigint NOT NULL REFERENCES orders (id), quantity int NOT NULL CHECK (quantity > 0));\n\
             ALTER TABLE lines DISABLE TRIGGER ALL;",
        ),
    ]);
    let report = verify(&fs, Path::new("/p"), &config(), &server, &all()).expect("runs");
    let found: Vec<(&str, &str)> = report
        .diagnostics
        .iter()
        .map(|diagnostic| {
            (
                diagnostic.rule.as_str(),
                diagnostic.data["object"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        found,
        [(
            "migrations/constraint-not-enforced",
            "public.lines.lines_order_id_fkey"
        )],
        "{:#?}",
        report.diagnostics
    );
    assert_eq!(
        report.diagnostics[0].path,
        Path::new("migrations/2_lines.sql")
    );
    let probes = &report.probes;
    // 9 constraints (3 primary keys, 1 unique, 3 foreign keys, the deferred one included,
    // 2 checks) and 7 not-null columns: all held but the key of `lines`.
    assert_eq!(
        (probes.probed, probes.held, probes.inconclusive),
        (16, 15, 0),
        "{probes:#?}"
    );

    let again = verify(&fs, Path::new("/p"), &config(), &server, &all()).expect("runs");
    assert_eq!(
        again.probes.not_enforced, report.probes.not_enforced,
        "the same seed, the same inserts"
    );
    assert_eq!(
        (again.probes.probed, again.probes.held),
        (probes.probed, probes.held)
    );
}

/// A strict multi-tenant schema (regular-expression and membership checks, a non-empty
/// array, composite keys through `tenant_id`, a self-reference, cross-column checks): every
/// table gets valid rows, so every constraint is probed and holds.
#[test]
fn constraint_probes_fill_strict_tenant_schemas() {
    let Some(server) = server() else { return };
    let fs = project(&[(
        "1_shop.sql",
        "CREATE TABLE tenants (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
           slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'), \
           code char(3) NOT NULL CHECK (code ~ '^[A-Z]{3}$'), currencies text[] NOT NULL CHECK (cardinality(currencies) > 0), \
           CHECK (code = ANY (currencies)));\n\
         CREATE TABLE users (tenant_id bigint NOT NULL REFERENCES tenants (id), id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
           email text NOT NULL CHECK (email = lower(email) AND position('@' IN email) > 1), UNIQUE (tenant_id, id), UNIQUE (tenant_id, email));\n\
         CREATE TABLE categories (tenant_id bigint NOT NULL REFERENCES tenants (id), id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
           parent_id bigint, UNIQUE (tenant_id, id), FOREIGN KEY (tenant_id, parent_id) REFERENCES categories (tenant_id, id));\n\
         CREATE TABLE carts (tenant_id bigint NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id bigint NOT NULL, \
           UNIQUE (tenant_id, user_id), FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id));\n\
         CREATE TABLE stock (tenant_id bigint NOT NULL REFERENCES tenants (id), sku text PRIMARY KEY, \
           on_hand int NOT NULL CHECK (on_hand >= 0), reserved int NOT NULL CHECK (reserved >= 0), CHECK (reserved <= on_hand));",
    )]);
    let report = verify(&fs, Path::new("/p"), &config(), &server, &all()).expect("runs");
    assert_eq!(report.diagnostics, [], "{:#?}", report.probes);
    let probes = &report.probes;
    assert_eq!(probes.inconclusive, 0, "{probes:#?}");
    assert_eq!(probes.held, probes.probed, "{probes:#?}");
}

/// Schemas the probes cannot fill every table of still give no false finding.
#[test]
fn constraint_probes_on_unusual_schemas_report_nothing_false() {
    let Some(server) = server() else { return };
    let fs = project(&[(
        "1_odd.sql",
        "CREATE SCHEMA \"Shop\";\n\
         CREATE DOMAIN positive AS integer CHECK (VALUE > 0);\n\
         CREATE TABLE \"Shop\".\"Orders\" (\"Id\" int PRIMARY KEY, qty positive NOT NULL, \
           doubled int GENERATED ALWAYS AS (qty * 2) STORED, tags text[] NOT NULL DEFAULT '{}', \
           during tsrange, EXCLUDE USING gist (during WITH &&));\n\
         CREATE TABLE empty_row ();\n\
         CREATE TABLE events (at date NOT NULL, kind text NOT NULL CHECK (length(kind) BETWEEN 2 AND 3)) PARTITION BY RANGE (at);\n\
         CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n\
         CREATE TABLE points (p point NOT NULL, c circle);\n\
         CREATE VIEW order_ids AS SELECT \"Id\" FROM \"Shop\".\"Orders\";",
    )]);
    let report = verify(&fs, Path::new("/p"), &config(), &server, &all()).expect("runs");
    assert_eq!(report.diagnostics, [], "{:#?}", report.probes);
    let probes = &report.probes;
    assert!(probes.probed > 0 && probes.held > 0, "{probes:#?}");
    assert!(probes.not_enforced.is_empty());
}

#[test]
fn only_selected_migrations_are_round_tripped_but_all_are_applied() {
    let Some(server) = server() else { return };
    let fs = project(&[
        ("1_a.up.sql", "CREATE TABLE a (id bigint);"),
        ("1_a.down.sql", "SELECT 1;"),
        ("2_b.up.sql", "ALTER TABLE a ADD COLUMN b text;"),
        ("2_b.down.sql", "ALTER TABLE a DROP COLUMN b;"),
    ]);
    let options = VerifyOptions {
        only: Some(vec![PathBuf::from("migrations/2_b.up.sql")]),
        ..VerifyOptions::default()
    };
    let report = verify(&fs, Path::new("/p"), &config(), &server, &options).expect("runs");
    assert_eq!(report.diagnostics, [], "1_a's empty down is not checked");
    let checked: Vec<bool> = report.timings.iter().map(|timing| timing.checked).collect();
    assert_eq!(checked, [false, true]);
    assert!(report.timings[1].down.is_some() && report.timings[1].reup.is_some());
}

#[test]
fn a_migration_that_hangs_is_stopped_by_the_timeouts() {
    let Some(server) = server() else { return };
    // Another session holds the role's catalog row, as a long transaction in production
    // holds a table: the migration's ALTER ROLE waits for it.
    let mut admin = server
        .connect(
            server.admin_database(),
            Duration::from_secs(30),
            Duration::from_secs(30),
        )
        .expect("connects");
    admin.batch_execute("CREATE ROLE shopper").expect("role");
    let mut holder = server
        .connect(
            server.admin_database(),
            Duration::from_secs(30),
            Duration::from_secs(30),
        )
        .expect("connects");
    let mut blocking = holder.transaction().expect("begins");
    blocking
        .batch_execute("ALTER ROLE shopper CONNECTION LIMIT 5")
        .expect("locks the row");

    let fs = project(&[
        ("1_role.sql", "ALTER ROLE shopper CONNECTION LIMIT 6;"),
        ("2_slow.sql", "SELECT pg_sleep(30);"),
    ]);
    let options = VerifyOptions {
        all: true,
        statement_timeout: Duration::from_secs(2),
        lock_timeout: Duration::from_millis(300),
        ..VerifyOptions::default()
    };
    let started = std::time::Instant::now();
    let report = verify(&fs, Path::new("/p"), &config(), &server, &options).expect("runs");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(report.diagnostics.len(), 1, "{:#?}", report.diagnostics);
    let finding = &report.diagnostics[0];
    assert_eq!(finding.rule, "migrations/up-fails");
    assert_eq!(finding.data["sqlstate"], "55P03");
    assert!(
        finding
            .message
            .contains("canceling statement due to lock timeout"),
        "{}",
        finding.message
    );
    assert!(
        finding.message.contains("hangs on a lock or runs too long"),
        "{}",
        finding.message
    );
    blocking.rollback().expect("rolls back");

    let slow = project(&[("2_slow.sql", "SELECT pg_sleep(30);")]);
    let report = verify(&slow, Path::new("/p"), &config(), &server, &options).expect("runs");
    assert_eq!(
        report.diagnostics[0].data["sqlstate"], "57014",
        "{:#?}",
        report.diagnostics
    );
}

#[test]
fn an_existing_dirty_database_is_left_alone_and_no_scratch_database_is_left_behind() {
    let Some(cluster) = server() else { return };
    let mut admin = cluster
        .connect(
            cluster.admin_database(),
            Duration::from_secs(30),
            Duration::from_secs(30),
        )
        .expect("connects");
    admin
        .batch_execute("CREATE DATABASE shop_dev")
        .expect("creates");
    let mut dev = cluster
        .connect("shop_dev", Duration::from_secs(30), Duration::from_secs(30))
        .expect("connects");
    dev.batch_execute("CREATE TABLE orders (id bigint); INSERT INTO orders VALUES (1);")
        .expect("dirties");
    drop(dev);
    // A dirty template1 must not leak into the history either.
    let mut template = cluster
        .connect(
            "template1",
            Duration::from_secs(30),
            Duration::from_secs(30),
        )
        .expect("connects");
    template
        .batch_execute("CREATE TABLE stray (id bigint)")
        .expect("dirties");
    drop(template);

    let existing =
        PostgresServer::existing(&cluster.connection_string("shop_dev")).expect("valid url");
    assert!(!existing.is_ephemeral());
    let fs = project(&[
        ("1_orders.up.sql", "CREATE TABLE orders (id bigint);"),
        ("1_orders.down.sql", "DROP TABLE orders;"),
    ]);
    let report = verify(&fs, Path::new("/p"), &config(), &existing, &all()).expect("runs");
    assert_eq!(report.diagnostics, []);

    let rows = admin
        .query(
            "SELECT datname::text FROM pg_database WHERE datname LIKE 'commerce_verify%'",
            &[],
        )
        .expect("lists");
    assert!(rows.is_empty(), "scratch databases left behind");
    let count: i64 = cluster
        .connect("shop_dev", Duration::from_secs(30), Duration::from_secs(30))
        .expect("connects")
        .query_one("SELECT count(*) FROM orders", &[])
        .expect("counts")
        .get(0);
    assert_eq!(count, 1);
}

#[test]
fn a_postgres_server_refuses_a_sqlite_history() {
    let sqlite = MigrationsConfig {
        dialect: Dialect::Sqlite,
        ..MigrationsConfig::default()
    };
    let fs = project(&[("1_a.sql", "CREATE TABLE a (id integer);")]);
    let server = PostgresServer::existing("host=/nonexistent user=nobody").expect("valid url");
    let error = verify(&fs, Path::new("/p"), &sqlite, &server, &all()).expect_err("refused");
    assert!(matches!(error, VerifyError::UnsupportedDialect));
}

#[test]
fn a_sqlite_history_round_trips_in_memory() {
    let sqlite = MigrationsConfig {
        dialect: Dialect::Sqlite,
        ..MigrationsConfig::default()
    };
    let fs = project(&[
        (
            "1_orders.up.sql",
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT NOT NULL DEFAULT 'new', note TEXT);\n\
             CREATE INDEX orders_status ON orders (status);",
        ),
        ("1_orders.down.sql", "DROP TABLE orders;"),
        // The down drops the index and leaves the table behind.
        (
            "2_lines.up.sql",
            "CREATE TABLE lines (order_id INTEGER REFERENCES orders (id) ON DELETE CASCADE);\n\
             CREATE INDEX lines_order ON lines (order_id);",
        ),
        ("2_lines.down.sql", "DROP INDEX lines_order;"),
        // Loses a column; the down brings it back with another type.
        ("3_drop_note.up.sql", "ALTER TABLE orders DROP COLUMN note;"),
        (
            "3_drop_note.down.sql",
            "ALTER TABLE orders ADD COLUMN note INTEGER;",
        ),
        // The down fails: there is no such table.
        ("4_tags.up.sql", "CREATE TABLE tags (name TEXT);"),
        ("4_tags.down.sql", "DROP TABLE tag;"),
        // Never ends: stopped by the statement timeout.
        (
            "5_forever.up.sql",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n;",
        ),
    ]);
    let options = VerifyOptions {
        statement_timeout: Duration::from_millis(500),
        ..all()
    };
    let started = std::time::Instant::now();
    let report = verify_sqlite(&fs, Path::new("/p"), &sqlite, &options).expect("runs");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    insta::assert_snapshot!("sqlite", listing(&fs, Path::new("/p"), &report));
    assert_eq!(report.timings.len(), 5);
}

/// The real histories of `../shared/corpus/migrations`, every migration round-tripped.
#[test]
fn corpus_histories() {
    let Some(server) = server() else { return };
    let corpus = commerce_project::testing::corpus("migrations");
    let mut out = String::new();
    for history in ["docs.rs", "atuin-server-postgres", "realworld-axum-sqlx"] {
        let config = MigrationsConfig {
            dir: history.to_owned(),
            ..MigrationsConfig::default()
        };
        let report = verify(&OsFs, &corpus, &config, &server, &all()).expect("runs");
        let _ = writeln!(out, "== {history}: {} migrations", report.timings.len());
        out.push_str(&listing(&OsFs, &corpus, &report));
    }
    insta::assert_snapshot!("corpus", out);
}

/// The SQLite history of the corpus, on the in-memory database.
#[test]
fn corpus_sqlite_history() {
    let corpus = commerce_project::testing::corpus("migrations");
    let config = MigrationsConfig {
        dir: "atuin-client-sqlite".to_owned(),
        dialect: Dialect::Sqlite,
        ..MigrationsConfig::default()
    };
    let report = verify_sqlite(&OsFs, &corpus, &config, &all()).expect("runs");
    let mut out = format!(
        "== atuin-client-sqlite: {} migrations\n",
        report.timings.len()
    );
    out.push_str(&listing(&OsFs, &corpus, &report));
    insta::assert_snapshot!("corpus_sqlite", out);
}

/// Audit tables: one whose triggers refuse both changes holds; one without triggers, one
/// refusing only UPDATE (row trigger), and one whose trigger a later migration disabled are
/// reported, each on the migration to look at. The refusing tables' insert triggers reject the
/// generated rows, so the probe inserts with user triggers off.
#[test]
fn append_only_probes_find_audit_tables_whose_rows_can_change() {
    let Some(server) = server() else { return };
    let fs = project(&[
        (
            "1_audit.sql",
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ \
               BEGIN RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP; END $$;\n\
             CREATE FUNCTION numbered() RETURNS trigger LANGUAGE plpgsql AS $$ \
               BEGIN IF NEW.seq IS NOT NULL THEN RAISE EXCEPTION 'seq is assigned'; END IF; \
               NEW.seq := 1; RETURN NEW; END $$;\n\
             CREATE TABLE order_state_audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
               seq bigint NOT NULL, to_state text NOT NULL);\n\
             CREATE TRIGGER numbered BEFORE INSERT ON order_state_audit FOR EACH ROW EXECUTE FUNCTION numbered();\n\
             CREATE TRIGGER refuse BEFORE UPDATE OR DELETE OR TRUNCATE ON order_state_audit \
               FOR EACH STATEMENT EXECUTE FUNCTION refuse();\n\
             CREATE TABLE payment_audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, status text NOT NULL);\n\
             CREATE TABLE ledger (id bigserial PRIMARY KEY, seq bigint NOT NULL, entry text NOT NULL);\n\
             COMMENT ON TABLE ledger IS 'commerce:append-only: the ledger';\n\
             CREATE TRIGGER numbered BEFORE INSERT ON ledger FOR EACH ROW EXECUTE FUNCTION numbered();\n\
             CREATE TRIGGER refuse BEFORE UPDATE ON ledger FOR EACH ROW EXECUTE FUNCTION refuse();\n\
             CREATE TABLE email_audit (id bigserial PRIMARY KEY, state text NOT NULL);\n\
             CREATE TRIGGER refuse BEFORE UPDATE OR DELETE ON email_audit FOR EACH ROW EXECUTE FUNCTION refuse();\n\
             CREATE TABLE audit_log_settings (key text PRIMARY KEY);",
        ),
        (
            "2_bulk_fix.sql",
            "ALTER TABLE email_audit DISABLE TRIGGER refuse;",
        ),
    ]);
    let report = verify(&fs, Path::new("/p"), &config(), &server, &all()).expect("runs");
    let found: Vec<(&str, &str, &str, String)> = report
        .diagnostics
        .iter()
        .map(|diagnostic| {
            (
                diagnostic.rule.as_str(),
                diagnostic.data["object"].as_str().unwrap_or(""),
                diagnostic.data["statement"]
                    .as_str()
                    .map_or("", |s| &s[..6]),
                crate::rules::display_path(&diagnostic.path),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "migrations/audit-not-append-only",
                "public.ledger",
                "DELETE",
                "migrations/1_audit.sql".to_owned()
            ),
            (
                "migrations/audit-not-append-only",
                "public.payment_audit",
                "DELETE",
                "migrations/1_audit.sql".to_owned()
            ),
            (
                "migrations/audit-not-append-only",
                "public.payment_audit",
                "UPDATE",
                "migrations/1_audit.sql".to_owned()
            ),
            (
                "migrations/audit-not-append-only",
                "public.email_audit",
                "DELETE",
                "migrations/2_bulk_fix.sql".to_owned()
            ),
            (
                "migrations/audit-not-append-only",
                "public.email_audit",
                "UPDATE",
                "migrations/2_bulk_fix.sql".to_owned()
            ),
        ],
        "{:#?}",
        report.diagnostics
    );
    assert_eq!(
        report.diagnostics[0].message,
        "audit table public.ledger accepted a DELETE of a row: `DELETE FROM public.ledger WHERE ctid = (SELECT ctid FROM public.ledger LIMIT 1)`"
    );
    // `audit_log_settings` is no audit table; the four others were probed.
    assert_eq!(report.probes.audit_tables, 4, "{:#?}", report.probes);
}
