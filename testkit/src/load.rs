//! Micro-load on the app's `Router` in process: a short fixed-rate burst through
//! [`commerce_load`]'s open-model driver ([`ServiceTarget`], no network), its percentiles
//! measured from each request's intended start, the cold (warmup) phase apart from the warm
//! one, and p95 / error-rate assertions. Under `cargo commerce test` each burst's figures go
//! into the report's `load` section beside the `[load]` scenarios.
//!
//! ```no_run
//! use std::time::Duration;
//! use axum::{Router, routing::get};
//! use commerce_testkit::load::{Burst, burst};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let router = Router::new().route("/products", get(|| async { "[]" }));
//! let report = burst(
//!     &router,
//!     Burst::get("/products")
//!         .rate(500.0)
//!         .duration(Duration::from_secs(2))
//!         .warmup(Duration::from_millis(500)),
//! )
//! .await;
//! report.assert_p95_under(Duration::from_millis(50));
//! report.assert_error_rate_under(0.0);
//! let [_p50, _p90, p95_delta, _p99, _max] = report.cold_delta().expect("it had a warmup");
//! assert!(p95_delta.is_finite());
//! # });
//! ```
//!
//! The driver needs real timers: a test that pauses tokio's clock (`start_paused`) measures
//! nothing. Keep rates and durations small: the burst runs inside the test's time.

use std::time::Duration;

use axum::Router;
/// The scenario types of `cargo commerce load`, for [`Burst::scenario`].
pub use commerce_load::{Scenario, ScenarioReport, Step, Thresholds};
use commerce_load::{ScenarioError, ServiceTarget};

use crate::case::TestCase;

/// What [`Burst::get`] and [`Burst::request`] start from: 200 req/s for 1 s after 0.5 s of
/// warmup, 8 calls in flight at most, a 5 s timeout.
const DEFAULT_RATE: f64 = 200.0;
const DEFAULT_DURATION: Duration = Duration::from_secs(1);
const DEFAULT_WARMUP: Duration = Duration::from_millis(500);

/// One burst to run: a single request, or a whole [`Scenario`] (several steps, captured
/// values, `${rand:…}` draws).
#[derive(Clone, Debug)]
#[must_use]
pub struct Burst {
    /// A bad method, path or template is reported when the burst runs.
    scenario: Result<Scenario, ScenarioError>,
}

impl Burst {
    /// `GET path`, named after it.
    pub fn get(path: &str) -> Self {
        Self::request("GET", path)
    }

    /// `method path`, named `METHOD path`.
    pub fn request(method: &str, path: &str) -> Self {
        let name = format!("{} {path}", method.to_ascii_uppercase());
        let scenario = Step::new(method, path, &[], None, &[]).and_then(|step| {
            let mut scenario = Scenario::endpoint(&name, "/", DEFAULT_RATE)?;
            scenario.steps = vec![step];
            scenario.duration = DEFAULT_DURATION;
            scenario.warmup = DEFAULT_WARMUP;
            Ok(scenario)
        });
        Self { scenario }
    }

    /// A scenario as `cargo commerce load` runs it; its rate, times and thresholds are kept.
    pub fn scenario(scenario: Scenario) -> Self {
        Self {
            scenario: Ok(scenario),
        }
    }

    /// The name in messages and in the report.
    pub fn name(self, name: &str) -> Self {
        self.with(|scenario| scenario.name = name.to_owned())
    }

    /// Requests per second, kept whatever the app does.
    pub fn rate(self, rate: f64) -> Self {
        self.with(|scenario| scenario.rate = rate)
    }

    /// The measured (warm) phase.
    pub fn duration(self, duration: Duration) -> Self {
        self.with(|scenario| scenario.duration = duration)
    }

    /// The cold phase before it, reported apart; zero for none.
    pub fn warmup(self, warmup: Duration) -> Self {
        self.with(|scenario| scenario.warmup = warmup)
    }

    /// Calls in flight at once, like as many connections.
    pub fn connections(self, connections: usize) -> Self {
        self.with(|scenario| scenario.connections = connections)
    }

    /// How long one request may take.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.with(|scenario| scenario.timeout = timeout)
    }

    fn with(mut self, change: impl FnOnce(&mut Scenario)) -> Self {
        if let Ok(scenario) = &mut self.scenario {
            change(scenario);
        }
        self
    }
}

/// Runs `burst` against `router` in process and returns its figures. `${rand:…}` draws are
/// seeded from the test's own generator (`COMMERCE_SEED` and the test's name), so a replay
/// sends the same requests. With `COMMERCE_RUN_DIR` set the figures are also written for the
/// run's report.
///
/// # Panics
/// When the burst is invalid (a bad path, rate or template, a value no step captures): the
/// message says what to write instead.
pub async fn burst(router: &Router, burst: Burst) -> BurstReport {
    let case = TestCase::current();
    let mut scenario = burst
        .scenario
        .unwrap_or_else(|error| panic!("{}: invalid burst: {error}", case.name()));
    if let Err(error) = scenario.validate() {
        panic!(
            "{}: invalid burst `{}`: {error}",
            case.name(),
            scenario.name
        );
    }
    scenario.seed = case.rng().next_u64();
    let target = ServiceTarget::new(router.clone(), scenario.connections);
    let report = commerce_load::run(&scenario, target).await;
    crate::telemetry::load(case.name(), &report);
    BurstReport {
        report,
        test: case.name().to_owned(),
    }
}

/// What a burst measured (warm phase at the top, cold apart), with assertions.
#[derive(Clone, Debug, PartialEq)]
pub struct BurstReport {
    pub report: ScenarioReport,
    /// The test that ran it: its assertions join its entry in the run's report.
    test: String,
}

impl BurstReport {
    /// The warm p95, from each request's intended start.
    pub fn p95(&self) -> Duration {
        millis(self.report.warm.latency_ms.p95)
    }

    /// Warm minus cold per percentile (p50, p90, p95, p99, max, in ms); `None` without a
    /// warmup.
    pub fn cold_delta(&self) -> Option<[f64; 5]> {
        let cold = self.report.cold.as_ref()?;
        Some(commerce_load::delta(
            &self.report.warm.latency_ms,
            &cold.latency_ms,
        ))
    }

    /// # Panics
    /// When the warm p95 is over `limit`, or no request was answered; the message names the
    /// burst, its p95 and the limit, with the driver's table.
    pub fn assert_p95_under(&self, limit: Duration) {
        self.assert_with(|thresholds| thresholds.p95_ms = Some(limit.as_secs_f64() * 1000.0));
    }

    /// # Panics
    /// When more than `share` (0 to 1) of the warm requests failed (a 4xx/5xx, a timeout).
    pub fn assert_error_rate_under(&self, share: f64) {
        self.assert_with(|thresholds| thresholds.error_rate = Some(share));
    }

    /// # Panics
    /// When the scenario's own thresholds ([`Burst::scenario`]) are broken.
    pub fn assert_thresholds(&self) {
        self.assert_with(|_| {});
    }

    fn assert_with(&self, set: impl FnOnce(&mut Thresholds)) {
        let mut report = self.report.clone();
        set(&mut report.thresholds);
        // Written before judging: a failed assertion's threshold is in the report too.
        crate::telemetry::load_thresholds(&self.test, &report.name, &report.thresholds);
        let failures = report.threshold_failures();
        assert!(
            failures.is_empty(),
            "{}\n{}",
            failures.join("\n"),
            commerce_load::render_table(std::slice::from_ref(&report))
        );
    }
}

fn millis(ms: f64) -> Duration {
    Duration::from_secs_f64(ms.max(0.0) / 1000.0)
}
