//! `commerce_metrics`: the app's Prometheus registry with the commerce metric names, a tower
//! layer timing every request by its route template, and the `/metrics` and `/healthz`
//! handlers. Production code: an app depends on it without the test kit.
//!
//! | Name (as exposed)                        | Kind      | Labels            | Recorded by |
//! |------------------------------------------|-----------|-------------------|-------------|
//! | `api_latency_ms`                         | histogram | `route`           | [`MetricsLayer`] |
//! | `api_error_total`                        | counter   | `route`, `code`   | [`MetricsLayer`] (status ≥ 400) |
//! | `emails_sent_total`                      | counter   | `template`, `actor` | [`Metrics::email_sent`] |
//! | `email_failure_total`                    | counter   | `reason`          | [`Metrics::email_failed`] |
//! | `queue_publish_total`                    | counter   | `topic`           | [`Metrics::queue_published`] |
//! | `retry_total`, `dlq_total`               | counter   |                   | [`Metrics::retried`], [`Metrics::dead_lettered`] |
//! | `db_migration_fail_total`                | counter   |                   | [`Metrics::migration_failed`] |
//! | `constraint_violation_total`             | counter   |                   | [`Metrics::observe_sqlx_error`] |
//! | `frontend_render_fail_total`             | counter   | `route`           | [`Metrics::frontend_render_failed`] |
//!
//! OpenMetrics requires counters to end in `_total`, so `emails_sent` and `email_failure`
//! are exposed as `emails_sent_total` and `email_failure_total`.
//!
//! ```
//! use axum::{Router, routing::get};
//! use commerce_metrics::Metrics;
//! use tower::ServiceExt;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let metrics = Metrics::new();
//! let app: Router = Router::new()
//!     .route("/orders/{id}", get(|| async { "an order" }))
//!     .layer(metrics.layer())
//!     .merge(metrics.routes());
//! let request = http::Request::get("/orders/7").body(axum::body::Body::empty()).unwrap();
//! app.clone().oneshot(request).await.unwrap();
//! metrics.queue_published("orders");
//!
//! let text = metrics.encode();
//! assert!(text.contains(r#"api_latency_ms_count{route="/orders/{id}"} 1"#)); // the template
//! assert!(text.contains(r#"queue_publish_total{topic="orders"} 1"#));
//! assert!(text.ends_with("# EOF\n"));
//! # });
//! ```

use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::Router;
use axum::extract::MatchedPath;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{Request, StatusCode, header};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use sqlx::PgPool;

/// The content type of [`Metrics::encode`]'s text (OpenMetrics), served to a scraper that
/// accepts it (Prometheus does).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The content type of [`Metrics::encode_prometheus`]'s text (Prometheus' text format 0.0.4),
/// served to any other client (curl, `promtool check metrics`).
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds (ms) of `api_latency_ms`'s buckets (the same as `cargo commerce test`'s
/// report); `+Inf` follows.
pub const LATENCY_BUCKETS_MS: [f64; 10] =
    [1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0];

/// The `route` label of a request without axum's `MatchedPath` (the layer used outside a
/// `Router`).
pub const UNMATCHED_ROUTE: &str = "unmatched";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteCode {
    route: String,
    code: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EmailLabels {
    template: String,
    actor: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TopicLabel {
    topic: String,
}

type LatencyFamily = Family<RouteLabel, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS_MS)
}

/// The registry and a handle on every metric; clones share them.
#[derive(Clone, Debug)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    api_latency_ms: LatencyFamily,
    api_error: Family<RouteCode, Counter>,
    emails_sent: Family<EmailLabels, Counter>,
    email_failure: Family<ReasonLabel, Counter>,
    queue_publish: Family<TopicLabel, Counter>,
    retry: Counter,
    dlq: Counter,
    db_migration_fail: Counter,
    constraint_violation: Counter,
    frontend_render_fail: Family<RouteLabel, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry holding every metric of the table above, all at zero.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let api_latency_ms = LatencyFamily::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "api_latency",
            "Time to answer a request, by matched route template",
            Unit::Other("ms".to_owned()),
            api_latency_ms.clone(),
        );
        let api_error = Family::default();
        registry.register(
            "api_error",
            "Responses with a 4xx or 5xx status, by route template and status code",
            Family::clone(&api_error),
        );
        let emails_sent = Family::default();
        registry.register(
            "emails_sent",
            "Emails handed to the mail service, by template and the actor that caused them",
            Family::clone(&emails_sent),
        );
        let email_failure = Family::default();
        registry.register(
            "email_failure",
            "Emails that could not be sent, by reason",
            Family::clone(&email_failure),
        );
        let queue_publish = Family::default();
        registry.register(
            "queue_publish",
            "Messages accepted by the queue, by topic",
            Family::clone(&queue_publish),
        );
        let retry = Counter::default();
        registry.register(
            "retry",
            "Queue deliveries scheduled again after a nack",
            retry.clone(),
        );
        let dlq = Counter::default();
        registry.register(
            "dlq",
            "Queue messages moved to the dead-letter queue",
            dlq.clone(),
        );
        let db_migration_fail = Counter::default();
        registry.register(
            "db_migration_fail",
            "Database migrations that failed to apply",
            db_migration_fail.clone(),
        );
        let constraint_violation = Counter::default();
        registry.register(
            "constraint_violation",
            "Statements the database refused for an integrity constraint (SQLSTATE class 23)",
            constraint_violation.clone(),
        );
        let frontend_render_fail = Family::default();
        registry.register(
            "frontend_render_fail",
            "Server-side renders of a frontend route that failed",
            Family::clone(&frontend_render_fail),
        );
        Self {
            inner: Arc::new(Inner {
                registry,
                api_latency_ms,
                api_error,
                emails_sent,
                email_failure,
                queue_publish,
                retry,
                dlq,
                db_migration_fail,
                constraint_violation,
                frontend_render_fail,
            }),
        }
    }

    /// Every metric as OpenMetrics text ([`CONTENT_TYPE`]), ending with `# EOF`.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail; an encoder error would be a label that does
        // not encode, which the typed label sets above rule out.
        if let Err(error) =
            prometheus_client::encoding::text::encode(&mut text, &self.inner.registry)
        {
            let _ = writeln!(text, "# encoding failed: {error}");
        }
        text
    }

    /// Every metric in Prometheus' text format 0.0.4: [`Metrics::encode`]'s text with each
    /// counter's `# HELP`/`# TYPE` naming its `_total` samples (OpenMetrics names the family
    /// without the suffix, which the 0.0.4 parser reads as a family without samples), and
    /// without the OpenMetrics-only `# UNIT` and `# EOF` lines.
    pub fn encode_prometheus(&self) -> String {
        let open_metrics = self.encode();
        let counters: Vec<&str> = open_metrics
            .lines()
            .filter_map(|line| line.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
            .collect();
        let mut text = String::with_capacity(open_metrics.len());
        for line in open_metrics.lines() {
            if line.starts_with("# UNIT ") || line == "# EOF" {
                continue;
            }
            let renamed = ["# HELP ", "# TYPE "].iter().find_map(|marker| {
                let rest = line.strip_prefix(marker)?;
                let (name, tail) = rest.split_once(' ')?;
                counters
                    .contains(&name)
                    .then(|| format!("{marker}{name}_total {tail}"))
            });
            match renamed {
                Some(renamed) => text.push_str(&renamed),
                None => text.push_str(line),
            }
            text.push('\n');
        }
        text
    }

    /// One request answered on `route` (a template) with `status` after `elapsed_ms`.
    pub fn observe_request(&self, route: &str, status: u16, elapsed_ms: f64) {
        let route = route.to_owned();
        self.inner
            .api_latency_ms
            .get_or_create(&RouteLabel {
                route: route.clone(),
            })
            .observe(elapsed_ms);
        if status >= 400 {
            self.inner
                .api_error
                .get_or_create(&RouteCode {
                    route,
                    code: status,
                })
                .inc();
        }
    }

    /// An email of `template` sent because of `actor` (`user`, `system`, `admin`, …).
    pub fn email_sent(&self, template: &str, actor: &str) {
        self.inner
            .emails_sent
            .get_or_create(&EmailLabels {
                template: template.to_owned(),
                actor: actor.to_owned(),
            })
            .inc();
    }

    /// An email that could not be sent (`bounce`, `smtp_5xx`, `suppressed`, …).
    pub fn email_failed(&self, reason: &str) {
        self.inner
            .email_failure
            .get_or_create(&ReasonLabel {
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// A message the queue accepted on `topic`.
    pub fn queue_published(&self, topic: &str) {
        self.inner
            .queue_publish
            .get_or_create(&TopicLabel {
                topic: topic.to_owned(),
            })
            .inc();
    }

    /// A delivery scheduled again after a nack.
    pub fn retried(&self) {
        self.inner.retry.inc();
    }

    /// A message moved to the dead-letter queue.
    pub fn dead_lettered(&self) {
        self.inner.dlq.inc();
    }

    /// A migration that failed to apply.
    pub fn migration_failed(&self) {
        self.inner.db_migration_fail.inc();
    }

    /// A statement refused for an integrity constraint.
    pub fn constraint_violated(&self) {
        self.inner.constraint_violation.inc();
    }

    /// Counts `error` as a constraint violation when its SQLSTATE is of class 23
    /// (`23505` unique, `23503` foreign key, `23514` check, …); returns whether it was one.
    pub fn observe_sqlx_error(&self, error: &sqlx::Error) -> bool {
        let violation = error
            .as_database_error()
            .and_then(|error| error.code())
            .is_some_and(|code| code.starts_with("23"));
        if violation {
            self.constraint_violated();
        }
        violation
    }

    /// A server-side render of the frontend `route` that failed.
    pub fn frontend_render_failed(&self, route: &str) {
        self.inner
            .frontend_render_fail
            .get_or_create(&RouteLabel {
                route: route.to_owned(),
            })
            .inc();
    }

    /// The layer timing every request of the routes it wraps: add it with `Router::layer`,
    /// so that axum's `MatchedPath` (the route template, `/orders/{id}`) is known.
    pub fn layer(&self) -> MetricsLayer {
        MetricsLayer {
            metrics: self.clone(),
        }
    }

    /// `GET /metrics`, for an app of any state to merge (outside [`Metrics::layer`], so the
    /// scrapes are not counted as API traffic): OpenMetrics when the `Accept` header asks for
    /// it, as Prometheus does, else the 0.0.4 text format.
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let metrics = self.clone();
        Router::new().route(
            "/metrics",
            get(move |headers: http::HeaderMap| {
                let metrics = metrics.clone();
                async move { metrics.scrape(&headers) }
            }),
        )
    }

    /// The answer to a scrape, for an app that declares its own `/metrics` route: OpenMetrics
    /// when `headers`' `Accept` asks for it, else the 0.0.4 text format.
    pub fn scrape(&self, headers: &http::HeaderMap) -> Response {
        let open_metrics = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .any(|value| value.contains("application/openmetrics-text"));
        if open_metrics {
            ([(header::CONTENT_TYPE, CONTENT_TYPE)], self.encode()).into_response()
        } else {
            (
                [(header::CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE)],
                self.encode_prometheus(),
            )
                .into_response()
        }
    }
}

/// `GET /healthz`: `200 {"status":"ok","version":…,"database":"ok"}` when `SELECT 1` answers
/// on `pool`, else `503` with `"status":"unavailable"` and the database's error.
pub fn health_routes<S: Clone + Send + Sync + 'static>(
    pool: PgPool,
    version: &'static str,
) -> Router<S> {
    Router::new().route(
        "/healthz",
        get(move || {
            let pool = pool.clone();
            async move { health(&pool, version).await }
        }),
    )
}

/// The health of the app: whether its database answers, and its version.
pub async fn health(pool: &PgPool, version: &str) -> Response {
    match sqlx::query_scalar::<_, i32>("SELECT 1")
        .fetch_one(pool)
        .await
    {
        Ok(_) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({ "status": "ok", "version": version, "database": "ok" })),
        )
            .into_response(),
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({
                "status": "unavailable", "version": version, "database": error.to_string(),
            })),
        )
            .into_response(),
    }
}

/// The tower layer of [`Metrics::layer`].
#[derive(Clone, Debug)]
pub struct MetricsLayer {
    metrics: Metrics,
}

impl<S> tower::Layer<S> for MetricsLayer {
    type Service = MetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MetricsService {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// The service [`MetricsLayer`] wraps a route in.
#[derive(Clone, Debug)]
pub struct MetricsService<S> {
    inner: S,
    metrics: Metrics,
}

impl<S, B, R> tower::Service<Request<B>> for MetricsService<S>
where
    S: tower::Service<Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<R>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or(UNMATCHED_ROUTE, MatchedPath::as_str)
            .to_owned();
        let metrics = self.metrics.clone();
        let started = Instant::now();
        let future = self.inner.call(request);
        Box::pin(async move {
            let outcome = future.await;
            let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
            // An error from the inner service reaches axum as a 500 (axum's routes are
            // infallible, so this arm is for other stacks).
            let status = outcome
                .as_ref()
                .map_or(500, |response| response.status().as_u16());
            metrics.observe_request(&route, status, elapsed_ms);
            outcome
        })
    }
}
