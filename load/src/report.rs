//! What a run measured, in the shape `cargo commerce load --format json` prints and
//! `report.json` keeps (`{"version":1,"scenarios":[…]}`), and its terminal table.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::scenario::Thresholds;

/// The version of the `--format json` shape.
pub const LOAD_VERSION: u32 = 1;

/// Every scenario of one `cargo commerce load`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    pub version: u32,
    pub scenarios: Vec<ScenarioReport>,
}

impl LoadReport {
    pub fn new(scenarios: Vec<ScenarioReport>) -> Self {
        Self {
            version: LOAD_VERSION,
            scenarios,
        }
    }
}

/// One scenario's figures: the warm phase at the top level, the cold phase apart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioReport {
    pub name: String,
    /// Requests per second asked for.
    pub target_rate: f64,
    #[serde(flatten)]
    pub warm: PhaseReport,
    /// The first burst after the start (or the flush); `null` without a warmup.
    pub cold: Option<PhaseReport>,
    pub duration_ms: f64,
    pub warmup_ms: f64,
    pub connections: usize,
    pub thresholds: Thresholds,
    /// Whether the driver kept the schedule.
    pub driver: DriverReport,
    /// Latency over time, one point per window, both phases.
    pub timeline: Vec<TimelinePoint>,
    /// What went wrong, each distinct message once with how often.
    pub problems: Vec<Problem>,
}

/// The figures of one phase.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseReport {
    /// Responses per second over the phase (any status).
    pub achieved_rate: f64,
    /// Requests attempted: responses plus requests that got none.
    pub requests: u64,
    pub errors: Errors,
    /// From each request's intended start (coordinated-omission correct).
    pub latency_ms: Percentiles,
    /// From when a connection took the request: what a closed-loop tool would report.
    pub service_ms: Percentiles,
}

/// Failed requests by status (4xx/5xx responses) and by kind (no response).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Errors {
    pub total: u64,
    /// `total / requests`; 0 without requests.
    pub rate: f64,
    pub by_status: BTreeMap<String, u64>,
    /// `connect`, `timeout`, `closed`, `other`, `missing-value`.
    pub by_kind: BTreeMap<String, u64>,
    /// Scheduled requests that were never sent: their iteration stopped at an earlier error,
    /// or the run hit its hard deadline first.
    pub not_sent: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Percentiles {
    fn values(&self) -> [f64; 5] {
        [self.p50, self.p90, self.p95, self.p99, self.max]
    }
}

/// How far behind its own schedule the driver was: the delay it added that was not the
/// server's (waiting on the server, or on a busy connection, is not counted).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DriverReport {
    /// The driver could not keep the rate: its figures include its own delay.
    pub saturated: bool,
    /// Requests started more than the late limit after they were due, in percent.
    pub late_pct: f64,
    pub lag_p99_ms: f64,
    pub lag_max_ms: f64,
    /// Said when saturated.
    pub message: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TimelinePoint {
    /// Window start, from the first scheduled request.
    pub t_ms: f64,
    pub requests: u64,
    pub errors: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub message: String,
    pub count: u64,
}

impl ScenarioReport {
    /// The thresholds this scenario breaks, each as a sentence.
    pub fn threshold_failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        let unanswered: u64 = self
            .warm
            .errors
            .by_kind
            .iter()
            .filter(|(kind, _)| *kind != "missing-value")
            .map(|(_, count)| count)
            .sum();
        if unanswered >= self.warm.requests {
            failures.push(format!(
                "{}: no request was answered{}",
                self.name,
                self.problems
                    .first()
                    .map(|problem| format!(" ({})", problem.message))
                    .unwrap_or_default()
            ));
            return failures;
        }
        if let Some(limit) = self.thresholds.p95_ms
            && self.warm.latency_ms.p95 > limit
        {
            failures.push(format!(
                "{}: p95 {:.1} ms is over its threshold of {limit} ms",
                self.name, self.warm.latency_ms.p95
            ));
        }
        if let Some(limit) = self.thresholds.error_rate
            && self.warm.errors.rate > limit
        {
            failures.push(format!(
                "{}: error rate {:.2}% is over its threshold of {:.2}%",
                self.name,
                self.warm.errors.rate * 100.0,
                limit * 100.0
            ));
        }
        failures
    }
}

/// The terminal table: one block per scenario with the warm and cold percentiles, their delta,
/// rates, errors, and what the driver and the thresholds say.
pub fn render_table(scenarios: &[ScenarioReport]) -> String {
    let mut out = String::new();
    for scenario in scenarios {
        let _ = writeln!(
            out,
            "{}: {} req/s for {:.1} s (+{:.1} s cold), {} connection{}",
            scenario.name,
            trim(scenario.target_rate),
            scenario.duration_ms / 1000.0,
            scenario.warmup_ms / 1000.0,
            scenario.connections,
            if scenario.connections == 1 { "" } else { "s" }
        );
        let _ = writeln!(
            out,
            "  {:<6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>9} {:>7}",
            "ms", "p50", "p90", "p95", "p99", "max", "req/s", "requests", "errors"
        );
        let mut row = |label: &str, phase: &PhaseReport| {
            let [p50, p90, p95, p99, max] = phase.latency_ms.values();
            let _ = writeln!(
                out,
                "  {label:<6} {p50:>9.2} {p90:>9.2} {p95:>9.2} {p99:>9.2} {max:>9.2} {:>10.1} {:>9} {:>7}",
                phase.achieved_rate, phase.requests, phase.errors.total
            );
        };
        row("warm", &scenario.warm);
        if let Some(cold) = &scenario.cold {
            row("cold", cold);
            let deltas = delta(&scenario.warm.latency_ms, &cold.latency_ms);
            let _ = write!(out, "  {:<6}", "delta");
            for value in deltas {
                let _ = write!(out, " {value:>+9.2}");
            }
            out.push_str("  (warm - cold)\n");
        }
        let errors = &scenario.warm.errors;
        if errors.total > 0 || errors.not_sent > 0 {
            let mut parts: Vec<String> = errors
                .by_status
                .iter()
                .map(|(status, count)| format!("{count}× status {status}"))
                .collect();
            parts.extend(
                errors
                    .by_kind
                    .iter()
                    .map(|(kind, count)| format!("{count}× {kind}")),
            );
            if errors.not_sent > 0 {
                parts.push(format!("{} not sent", errors.not_sent));
            }
            let _ = writeln!(out, "  errors: {}", parts.join(", "));
        }
        for problem in &scenario.problems {
            let _ = writeln!(out, "  problem ({}×): {}", problem.count, problem.message);
        }
        if let Some(message) = &scenario.driver.message {
            let _ = writeln!(out, "  driver: {message}");
        }
        for failure in scenario.threshold_failures() {
            let _ = writeln!(out, "  FAIL {failure}");
        }
    }
    out
}

/// Warm minus cold, per percentile (p50, p90, p95, p99, max).
pub fn delta(warm: &Percentiles, cold: &Percentiles) -> [f64; 5] {
    let (warm, cold) = (warm.values(), cold.values());
    std::array::from_fn(|at| warm[at] - cold[at])
}

fn trim(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}
