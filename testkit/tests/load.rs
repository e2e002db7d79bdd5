//! Bursts on an in-process router: the p95 assertion passes on a fast route and fails, naming
//! the route, its p95 and the limit, on a route with a planted sleep. Margins are wide (the
//! machine is shared): the planted sleep is far above the limit, the fast route far below.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use commerce_testkit::load::{Burst, BurstReport, Scenario, Step, Thresholds, burst};

/// Far above the limit the slow route is held to.
const PLANTED: Duration = Duration::from_millis(200);
const LIMIT: Duration = Duration::from_millis(100);

fn router() -> Router {
    Router::new()
        .route("/fast", get(|| async { "ok" }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(PLANTED).await;
                "late"
            }),
        )
        .route(
            "/items",
            post(|| async { axum::Json(serde_json::json!({ "id": 7 })) }),
        )
        .route(
            "/items/{id}",
            get(
                |axum::extract::Path(id): axum::extract::Path<u64>| async move {
                    if id == 7 { "item" } else { "wrong id" }
                },
            ),
        )
}

fn short(burst: Burst) -> Burst {
    burst
        .rate(50.0)
        .duration(Duration::from_secs(1))
        .warmup(Duration::from_millis(300))
        .connections(32)
}

#[tokio::test]
async fn the_p95_assertion_passes_on_a_fast_route_and_names_the_slow_one() {
    let router = router();
    let fast = burst(&router, short(Burst::get("/fast"))).await;
    assert_eq!(fast.report.name, "GET /fast");
    assert_eq!(fast.report.warm.requests, 50, "{:?}", fast.report);
    assert!(fast.report.cold.is_some(), "the warmup is reported apart");
    assert!(fast.cold_delta().is_some());
    fast.assert_p95_under(LIMIT);
    fast.assert_error_rate_under(0.0);

    let slow = burst(&router, short(Burst::get("/slow"))).await;
    assert!(slow.p95() >= PLANTED, "{:?}", slow.p95());
    let message = panic_of(&slow, |report| report.assert_p95_under(LIMIT));
    assert!(
        message.starts_with("GET /slow: p95 ")
            && message.contains("ms is over its threshold of 100 ms"),
        "{message}"
    );
    // The driver's table follows, with the warm and cold rows.
    assert!(
        message.contains("warm") && message.contains("cold"),
        "{message}"
    );
}

#[tokio::test]
async fn a_scenario_runs_its_steps_with_captured_values_and_its_own_thresholds() {
    let mut scenario = Scenario::endpoint("create then read", "/", 40.0).expect("scenario");
    scenario.steps = vec![
        Step::new(
            "POST",
            "/items",
            &[],
            Some("{}"),
            &[("id".to_owned(), "/id".to_owned())],
        )
        .expect("step"),
        Step::new("GET", "/items/${id}", &[], None, &[]).expect("step"),
    ];
    scenario.thresholds = Thresholds {
        p95_ms: Some(LIMIT.as_secs_f64() * 1000.0),
        error_rate: Some(0.0),
    };
    let report = burst(&router(), short(Burst::scenario(scenario)).rate(40.0)).await;
    assert_eq!(report.report.name, "create then read");
    assert_eq!(report.report.warm.errors.total, 0, "{:?}", report.report);
    report.assert_thresholds();

    // The same scenario held to a threshold the planted sleep breaks.
    let mut slow = Scenario::endpoint("slow", "/slow", 40.0).expect("scenario");
    slow.thresholds.p95_ms = Some(LIMIT.as_secs_f64() * 1000.0);
    let slow = burst(&router(), short(Burst::scenario(slow))).await;
    let message = panic_of(&slow, BurstReport::assert_thresholds);
    assert!(message.starts_with("slow: p95 "), "{message}");
}

#[tokio::test]
async fn an_invalid_burst_says_what_to_write() {
    let task = tokio::spawn(async { burst(&router(), Burst::get("no-slash")).await });
    let panic = task.await.expect_err("the burst panics").into_panic();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("invalid burst")
            && message.contains("path `no-slash` must start with `/`"),
        "{message}"
    );
}

/// The panic message of an assertion on `report`.
fn panic_of(report: &BurstReport, assert: impl FnOnce(&BurstReport)) -> String {
    let payload = std::panic::catch_unwind(AssertUnwindSafe(|| assert(report)))
        .expect_err("the assertion fails");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

/// Run by [`asserted_thresholds_are_written_for_the_report`] in a child process, with a run
/// directory and a retry's attempt number set.
#[tokio::test]
#[ignore = "a helper: asserted_thresholds_are_written_for_the_report runs it with COMMERCE_RUN_DIR set"]
async fn helper_a_burst_with_asserted_thresholds() {
    let fast = burst(&router(), short(Burst::get("/fast"))).await;
    fast.assert_p95_under(LIMIT);
    fast.assert_error_rate_under(0.5);
}

/// A threshold asserted in a test is written beside the burst's figures, with nextest's attempt
/// number, so the report judges the burst by it and keeps a retried test's last attempt.
#[test]
fn asserted_thresholds_are_written_for_the_report() {
    let dir = std::env::temp_dir().join(format!("kit-thresholds-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let output = std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "--exact",
            "helper_a_burst_with_asserted_thresholds",
            "--ignored",
        ])
        .env("COMMERCE_RUN_DIR", &dir)
        .env("NEXTEST_ATTEMPT", "2")
        .output()
        .expect("the test binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let mut events = Vec::new();
    for entry in std::fs::read_dir(dir.join("testkit")).expect("the kit wrote events") {
        let text = std::fs::read_to_string(entry.expect("an entry").path()).expect("readable");
        events.extend(
            text.lines()
                .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("JSON")),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    let shape: Vec<(String, String, u64, serde_json::Value)> = events
        .iter()
        .map(|event| {
            (
                event["kind"].as_str().unwrap_or_default().to_owned(),
                event["test"].as_str().unwrap_or_default().to_owned(),
                event["attempt"].as_u64().unwrap_or_default(),
                event["thresholds"].clone(),
            )
        })
        .collect();
    let test = "helper_a_burst_with_asserted_thresholds".to_owned();
    assert_eq!(
        shape,
        [
            ("load".to_owned(), test.clone(), 2, serde_json::Value::Null),
            (
                "load_thresholds".to_owned(),
                test.clone(),
                2,
                serde_json::json!({ "p95_ms": 100.0, "error_rate": null })
            ),
            (
                "load_thresholds".to_owned(),
                test,
                2,
                serde_json::json!({ "p95_ms": null, "error_rate": 0.5 })
            ),
        ]
    );
    assert!(
        events[1..]
            .iter()
            .all(|event| event["burst"] == "GET /fast")
    );
}
