//! The exposition as Prometheus reads it: every metric, with real traffic through the layer,
//! accepted by `promtool check metrics` (Prometheus' own parser and linter).

use std::io::Write as _;
use std::process::{Command, Stdio};

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use commerce_metrics::{CONTENT_TYPE, Metrics, PROMETHEUS_CONTENT_TYPE};
use http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

async fn get_path(app: &Router, path: &str) -> (StatusCode, Option<String>, String) {
    get_accepting(app, path, "*/*").await
}

async fn get_accepting(
    app: &Router,
    path: &str,
    accept: &str,
) -> (StatusCode, Option<String>, String) {
    let request = Request::get(path)
        .header(http::header::ACCEPT, accept)
        .body(Body::empty())
        .expect("a request");
    let response = app.clone().oneshot(request).await.expect("axum answers");
    let status = response.status();
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

fn app(metrics: &Metrics) -> Router {
    Router::new()
        .route("/orders/{id}", get(|| async { "an order" }))
        .route(
            "/orders/{id}/refund",
            get(|| async { (StatusCode::CONFLICT, "already refunded") }),
        )
        .layer(metrics.layer())
        .merge(metrics.routes())
}

/// Every metric with a sample, through the layer and the handles.
async fn busy_metrics() -> (Metrics, Router) {
    let metrics = Metrics::new();
    let app = app(&metrics);
    for path in ["/orders/1", "/orders/2", "/orders/3/refund", "/nowhere"] {
        get_path(&app, path).await;
    }
    metrics.email_sent("order_confirmation", "user");
    metrics.email_failed("bounce");
    metrics.queue_published("orders.created");
    metrics.retried();
    metrics.dead_lettered();
    metrics.migration_failed();
    metrics.constraint_violated();
    metrics.frontend_render_failed("/checkout");
    (metrics, app)
}

#[tokio::test]
async fn routes_are_labelled_by_template_and_errors_by_code() {
    let (_, app) = busy_metrics().await;
    // Prometheus' own Accept header.
    let (status, content_type, text) = get_accepting(
        &app,
        "/metrics",
        "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type.as_deref(), Some(CONTENT_TYPE));
    assert!(text.ends_with("# EOF\n"), "{text}");
    for expected in [
        "# TYPE api_latency_ms histogram",
        "# UNIT api_latency_ms ms",
        r#"api_latency_ms_count{route="/orders/{id}"} 2"#,
        r#"api_latency_ms_bucket{le="+Inf",route="/orders/{id}/refund"} 1"#,
        r#"api_error_total{route="/orders/{id}/refund",code="409"} 1"#,
        r#"emails_sent_total{template="order_confirmation",actor="user"} 1"#,
        r#"email_failure_total{reason="bounce"} 1"#,
        r#"queue_publish_total{topic="orders.created"} 1"#,
        "retry_total 1",
        "dlq_total 1",
        "db_migration_fail_total 1",
        "constraint_violation_total 1",
        r#"frontend_render_fail_total{route="/checkout"} 1"#,
    ] {
        assert!(text.contains(expected), "no `{expected}` in:\n{text}");
    }
    // Raw paths never become labels, and the scrape itself is not API traffic.
    assert!(!text.contains("/orders/1\""), "{text}");
    assert!(!text.contains("route=\"/metrics\""), "{text}");
    assert!(
        !text.contains("api_error_total{route=\"/orders/{id}\""),
        "{text}"
    );
}

/// What `curl /metrics` gets: the 0.0.4 text, which `promtool check metrics` parses and lints.
/// Its one lint finding is the name the issue prescribes (`api_latency_ms`: Prometheus'
/// conventions want base units, `api_latency_seconds`); any other finding or a parse error
/// fails.
#[tokio::test]
async fn promtool_accepts_the_exposition() {
    let (_, app) = busy_metrics().await;
    let (status, content_type, text) = get_path(&app, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type.as_deref(), Some(PROMETHEUS_CONTENT_TYPE));
    for expected in [
        "# HELP api_error_total Responses with",
        "# TYPE api_error_total counter",
        "# TYPE retry_total counter",
        "# TYPE api_latency_ms histogram",
    ] {
        assert!(text.contains(expected), "no `{expected}` in:\n{text}");
    }
    assert!(
        !text.contains("# EOF") && !text.contains("# UNIT"),
        "{text}"
    );
    let mut child = match Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(error) => panic!(
            "promtool is not installed ({error}): run `bash scripts/install-deps.sh` \
             (it installs Debian's `prometheus` package, which ships promtool)"
        ),
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("promtool reads the text");
    let output = child.wait_with_output().expect("promtool runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // 0: clean; 3: lint findings only (a parse error exits 1).
    assert!(
        matches!(output.status.code(), Some(0 | 3)),
        "promtool check metrics refused the exposition ({:?}):\n{said}\n---\n{text}",
        output.status
    );
    let findings: Vec<&str> = said
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    assert_eq!(
        findings,
        ["api_latency_ms metric names should not contain abbreviated units"],
        "promtool's lint findings on:\n{text}"
    );
}

#[test]
fn only_integrity_errors_count_as_constraint_violations() {
    let metrics = Metrics::new();
    assert!(!metrics.observe_sqlx_error(&sqlx::Error::RowNotFound));
    assert!(metrics.encode().contains("constraint_violation_total 0"));
}
