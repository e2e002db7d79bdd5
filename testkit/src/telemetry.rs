//! Events for the test report. When the runner sets `COMMERCE_RUN_DIR`, the kit appends one
//! JSON object a line to `<dir>/testkit/<pid>.jsonl`: request latencies (route template,
//! status), load bursts, idempotency violations, N+1 findings, and the side-effect log rows a failing test
//! touched. `cargo commerce test` folds them into `report.json` and `metrics.prom`.

use std::io::Write as _;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::case::TestCase;

/// The variable naming the run's directory.
pub const RUN_DIR_VAR: &str = "COMMERCE_RUN_DIR";

fn sink() -> Option<PathBuf> {
    let dir = std::env::var_os(RUN_DIR_VAR)?;
    let dir = PathBuf::from(dir).join("testkit");
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir.join(format!("{}.jsonl", std::process::id())))
}

/// Appends one event; without a run directory, or when it cannot be written, the event is
/// dropped (telemetry never fails a test).
pub fn emit(event: &Value) {
    let Some(path) = sink() else { return };
    let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    else {
        return;
    };
    // One write per line: appends of a line are not interleaved between processes.
    let _ = file.write_all(format!("{event}\n").as_bytes());
}

/// A request's latency.
pub(crate) fn request(test: &str, method: &str, route: &str, status: u16, micros: u128) {
    emit(&json!({
        "kind": "request", "test": test, "method": method, "route": route,
        "status": status, "ms": micros as f64 / 1000.0,
    }));
}

/// A burst's figures (`commerce_testkit::load`), folded into the report's `load` section.
#[cfg(feature = "load")]
pub(crate) fn load(test: &str, report: &commerce_load::ScenarioReport) {
    emit(&json!({
        "kind": "load", "test": test, "attempt": attempt(), "scenario": report,
    }));
}

/// The thresholds a test asserted on one of its bursts (`BurstReport::assert_p95_under`, ...):
/// the report judges the burst by them as it judges a `[load]` scenario's own.
#[cfg(feature = "load")]
pub(crate) fn load_thresholds(test: &str, burst: &str, thresholds: &commerce_load::Thresholds) {
    emit(&json!({
        "kind": "load_thresholds", "test": test, "burst": burst, "attempt": attempt(),
        "thresholds": thresholds,
    }));
}

/// Which run of the test this is: nextest's `NEXTEST_ATTEMPT` (1 for the first, 2 for the first
/// retry); 1 outside nextest. The report keeps a retried test's bursts from its last attempt.
#[cfg(feature = "load")]
fn attempt() -> u64 {
    std::env::var("NEXTEST_ATTEMPT")
        .ok()
        .and_then(|attempt| attempt.parse().ok())
        .unwrap_or(1)
}

/// The side-effect log rows a failing test had read, to link the report to them.
pub(crate) fn failing_test(case: &TestCase, schema: &str, seqs: &[i64]) {
    if seqs.is_empty() {
        return;
    }
    emit(&json!({
        "kind": "failed_test_rows", "test": case.name(), "schema": schema, "log_seqs": seqs,
    }));
}
