//! The stubs that need the real Postgres: the audit tables of `stubs::audit` applied as a
//! migration, and the metrics crate's `/healthz` against a live and a dead database.

use std::path::PathBuf;

use commerce_testkit::assert_transitions;
use commerce_testkit::stubs::audit::{AuditOptions, AuditTable, sql, transitions};
use commerce_testkit::stubs::metrics::health_routes;
use commerce_testkit::{Isolation, TestApp, TestDb};

/// A migrations directory holding the audit SQL (the template is keyed by its content).
fn migrations(hash_chain: bool) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(if hash_chain {
        "audit-chain"
    } else {
        "audit-plain"
    });
    std::fs::create_dir_all(&dir).expect("a migrations dir");
    let options = AuditOptions {
        hash_chain,
        ..AuditOptions::default()
    };
    std::fs::write(dir.join("1_audit.sql"), sql(&options)).expect("the migration is written");
    dir
}

/// Records `to_state` for `aggregate_id` in `table`, at a fixed clock time.
async fn record<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    table: &str,
    aggregate_id: &str,
    to_state: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO {table} (aggregate_id, to_state, recorded_at) VALUES ($1, $2, '2026-01-01T00:00:00Z')"
    )))
    .bind(aggregate_id)
    .bind(to_state)
    .execute(executor)
    .await
    .map(drop)
}

fn database_error(error: &sqlx::Error) -> (String, String) {
    let error = error.as_database_error().expect("a database error");
    (
        error
            .code()
            .map(|code| code.into_owned())
            .unwrap_or_default(),
        error.message().to_owned(),
    )
}

#[tokio::test]
async fn transitions_are_sequenced_per_aggregate_and_illegal_ones_refused() {
    let db = TestDb::start(migrations(false)).await;
    let pool = db.pool();
    for state in ["pending", "paid", "shipped"] {
        record(pool, "order_state_audit", "1", state).await.unwrap();
    }
    record(pool, "order_state_audit", "2", "pending")
        .await
        .unwrap();
    assert_transitions!(db, "order", 1, ["pending", "paid", "shipped"]);
    assert_transitions!(db, "order_state_audit", 2, ["pending"]);
    let rows: Vec<(String, i64, Option<String>)> =
        sqlx::query_as("SELECT aggregate_id, seq, from_state FROM order_state_audit ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(
        rows,
        [
            ("1".to_owned(), 1, None),
            ("1".to_owned(), 2, Some("pending".to_owned())),
            ("1".to_owned(), 3, Some("paid".to_owned())),
            ("2".to_owned(), 1, None),
        ]
    );
    // The failing statements run in savepoints: the test's transaction goes on.
    let mut tx = pool.begin().await.unwrap();
    let illegal = record(&mut *tx, "order_state_audit", "2", "shipped")
        .await
        .unwrap_err();
    tx.rollback().await.unwrap();
    assert_eq!(
        database_error(&illegal),
        (
            "23514".to_owned(),
            "illegal transition in order_state_audit: 2 cannot go from pending to shipped (allowed: cancelled, paid)".to_owned()
        )
    );
    let mut tx = pool.begin().await.unwrap();
    let first = record(&mut *tx, "payment_audit", "pi_1", "succeeded")
        .await
        .unwrap_err();
    tx.rollback().await.unwrap();
    assert!(
        database_error(&first).1.contains("pi_1 cannot go from (start) to succeeded (allowed: requires_confirmation, requires_payment_method)"),
        "{first}"
    );
    let mut tx = pool.begin().await.unwrap();
    let explicit_seq = sqlx::query(
        "INSERT INTO email_audit (aggregate_id, seq, to_state, recorded_at) VALUES ('m1', 7, 'queued', '2026-01-01Z')",
    )
    .execute(&mut *tx)
    .await
    .unwrap_err();
    tx.rollback().await.unwrap();
    assert!(
        database_error(&explicit_seq)
            .1
            .contains("email_audit: seq is assigned on insert")
    );

    // An app's own transition, added to the table.
    sqlx::query("INSERT INTO audit_transitions VALUES ('order_state_audit', 'pending', 'on_hold')")
        .execute(pool)
        .await
        .unwrap();
    record(pool, "order_state_audit", "2", "on_hold")
        .await
        .unwrap();
    assert_transitions!(db, "order", 2, ["pending", "on_hold"]);

    let unknown = transitions(pool, "invoice", "1").await.unwrap_err();
    assert!(
        unknown
            .to_string()
            .contains("`invoice` is no audit aggregate")
    );
    let shared = pool.clone();
    let differs = async move {
        assert_transitions!(shared, "order", 1, ["pending", "shipped"]);
    };
    let message = futures_panic_message(differs).await;
    assert_eq!(
        message,
        r#"the order 1 went through ["pending", "paid", "shipped"], expected ["pending", "shipped"]"#
    );
}

/// The message of the panic `future` raises.
async fn futures_panic_message(
    future: impl std::future::Future<Output = ()> + Send + 'static,
) -> String {
    let panic = tokio::spawn(future).await.expect_err("the assertion fails");
    let payload = panic.into_panic();
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn audit_rows_are_never_updated_deleted_or_truncated() {
    let db = TestDb::start_with(migrations(false), Isolation::Database).await;
    let pool = db.pool();
    for table in AuditTable::ALL {
        let first = table.transitions()[0].1;
        record(pool, table.table(), "a1", first).await.unwrap();
        let name = table.table();
        for (operation, statement) in [
            ("UPDATE", format!("UPDATE {name} SET actor = 'mallory'")),
            ("DELETE", format!("DELETE FROM {name}")),
            // Even when no row matches: a statement trigger.
            ("DELETE", format!("DELETE FROM {name} WHERE false")),
            ("TRUNCATE", format!("TRUNCATE {name}")),
        ] {
            let refused = sqlx::query(sqlx::AssertSqlSafe(statement.clone()))
                .execute(pool)
                .await
                .unwrap_err();
            assert_eq!(
                database_error(&refused),
                (
                    "42501".to_owned(),
                    format!("{name} is append-only: {operation} is not allowed")
                ),
                "{statement}"
            );
        }
        let kept: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {name}")))
                .fetch_one(pool)
                .await
                .unwrap();
        assert_eq!(kept, 1, "{name}");
    }
}

#[tokio::test]
async fn the_hash_chain_links_each_aggregate_and_shows_tampering() {
    let db = TestDb::start_with(migrations(true), Isolation::Database).await;
    let pool = db.pool();
    record(pool, "webhook_audit", "evt_1", "received")
        .await
        .unwrap();
    record(pool, "webhook_audit", "evt_1", "failed")
        .await
        .unwrap();
    // Concurrent retries of one aggregate: the per-aggregate lock gives each its own seq.
    let retries: Vec<_> = (0..8)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move { record(&pool, "webhook_audit", "evt_1", "failed").await })
        })
        .collect();
    for retry in retries {
        retry.await.unwrap().unwrap();
    }
    record(pool, "webhook_audit", "evt_1", "processed")
        .await
        .unwrap();
    record(pool, "webhook_audit", "evt_2", "received")
        .await
        .unwrap();
    let seqs: Vec<i64> = sqlx::query_scalar(
        "SELECT seq FROM webhook_audit WHERE aggregate_id = 'evt_1' ORDER BY seq",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(seqs, (1..=11).collect::<Vec<i64>>());
    let unlinked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM webhook_audit a LEFT JOIN webhook_audit p
           ON p.aggregate_id = a.aggregate_id AND p.seq = a.seq - 1
         WHERE a.prev_hash IS DISTINCT FROM p.row_hash OR length(a.row_hash) <> 32",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(unlinked, 0);
    let breaks = || async {
        sqlx::query_as::<_, (String, i64)>(
            "SELECT * FROM commerce_audit_chain_breaks('webhook_audit')",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    };
    assert_eq!(breaks().await, []);

    // Someone with the power to disable the triggers rewrites history: the chain shows where.
    sqlx::raw_sql(
        "ALTER TABLE webhook_audit DISABLE TRIGGER webhook_audit_append_only;
         UPDATE webhook_audit SET to_state = 'ignored' WHERE aggregate_id = 'evt_1' AND seq = 5;
         DELETE FROM webhook_audit WHERE aggregate_id = 'evt_1' AND seq = 9;
         ALTER TABLE webhook_audit ENABLE TRIGGER webhook_audit_append_only;",
    )
    .execute(pool)
    .await
    .unwrap();
    assert_eq!(
        breaks().await,
        [("evt_1".to_owned(), 5), ("evt_1".to_owned(), 10)]
    );
}

#[tokio::test]
async fn healthz_pings_the_database_and_names_the_version() {
    let db = TestDb::start(migrations(false)).await;
    let app = TestApp::new(health_routes(db.pool().clone(), "1.4.2"));
    let response = app.get("/healthz").send().await;
    response.assert_status(200);
    assert_eq!(
        response.json_value(),
        serde_json::json!({ "status": "ok", "version": "1.4.2", "database": "ok" })
    );
    db.pool().close().await;
    let response = app.get("/healthz").send().await;
    response.assert_status(503);
    let body = response.json_value();
    assert_eq!(body["status"], "unavailable");
    assert!(
        body["database"]
            .as_str()
            .unwrap_or_default()
            .contains("closed"),
        "{body}"
    );
}

#[test]
fn the_fixture_applies_the_audit_sql_as_printed() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/testkit-shop/migrations/4_audit.sql");
    let applied = std::fs::read_to_string(&path).expect("the fixture's audit migration");
    let printed = sql(&AuditOptions {
        hash_chain: false,
        tables: vec![AuditTable::OrderState],
    });
    assert!(
        applied == printed,
        "{} differs from the SQL the kit prints: regenerate it with \
         `cargo commerce audit sql --tables order > fixtures/testkit-shop/migrations/4_audit.sql`",
        path.display()
    );
}
