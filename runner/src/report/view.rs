//! What `report.md` and `report.html` show, computed once from a report: both render these
//! rows, section by section, and differ only in markup (the durations a table in one and
//! charts in the other).

use super::{
    AnalysisSummary, Drift, DurationRow, GateResult, Report, RouteResult, RouteStatus, Status,
    Timing,
};

/// Every section of the summary, in the order both renderings show them.
pub(super) struct View<'a> {
    pub verdict: &'static str,
    /// `2 passed`, `1 failed`, `1 timed out`, `1 flaky`, `1 skipped`, and `N not run
    /// (interrupted)` when some did not run.
    pub counts: Vec<String>,
    pub elapsed_s: f64,
    pub suite: &'a str,
    pub seed: u64,
    /// `shard 2/4` for a shard's run.
    pub shard: Option<String>,
    pub gates: &'a [GateResult],
    pub failures: Vec<FailureRow<'a>>,
    /// Test id and the attempt it passed on.
    pub flaky: Vec<(&'a str, u32)>,
    pub over_budget: Option<OverBudget<'a>>,
    /// Per binary, then `*` for every test.
    pub durations: &'a [DurationRow],
    pub slowest: Vec<SlowTest>,
    pub drifts: &'a [Drift],
    pub failing_routes: Vec<&'a RouteResult>,
    pub analysis: Option<&'a AnalysisSummary>,
}

pub(super) struct FailureRow<'a> {
    pub test: &'a str,
    pub classification: &'static str,
    /// `path:line:column`.
    pub location: Option<String>,
    pub message: &'a str,
    pub replay: &'a str,
    /// Captured output, when the test printed anything.
    pub output: Option<&'a str>,
    /// The change's diff inside the test's package.
    pub diff: Option<&'a str>,
}

pub(super) struct OverBudget<'a> {
    pub elapsed_s: f64,
    pub limit_s: f64,
    pub slowest: &'a [Timing],
}

pub(super) struct SlowTest {
    pub timing: Timing,
    pub status: Status,
}

impl<'a> View<'a> {
    /// The view of `report`, with its `slowest` slowest tests.
    pub fn of(report: &'a Report, slowest: usize) -> Self {
        let summary = &report.summary;
        let mut counts: Vec<String> = [
            (summary.passed, "passed"),
            (summary.failed, "failed"),
            (summary.timed_out, "timed out"),
            (summary.flaky, "flaky"),
            (summary.skipped, "skipped"),
        ]
        .iter()
        .map(|(count, label)| format!("{count} {label}"))
        .collect();
        if summary.not_run > 0 {
            counts.push(format!("{} not run (interrupted)", summary.not_run));
        }
        Self {
            verdict: if report.passed() { "PASS" } else { "FAIL" },
            counts,
            elapsed_s: seconds(report.run.elapsed_ms),
            suite: &report.run.suite,
            seed: report.run.seed,
            shard: report.run.shard.map(|shard| format!("shard {shard}")),
            gates: &report.gates,
            failures: report
                .failures
                .iter()
                .map(|failure| FailureRow {
                    test: &failure.test,
                    classification: failure.classification.as_str(),
                    location: failure.location.as_ref().map(|location| {
                        format!("{}:{}:{}", location.path, location.line, location.column)
                    }),
                    message: &failure.message,
                    replay: &failure.replay,
                    output: Some(failure.output.as_str())
                        .filter(|output| !output.trim().is_empty()),
                    diff: failure.diff.as_deref(),
                })
                .collect(),
            flaky: report
                .flaky
                .iter()
                .map(|flaky| (flaky.test.as_str(), flaky.attempts))
                .collect(),
            over_budget: report
                .budget
                .as_ref()
                .filter(|budget| budget.over)
                .map(|budget| OverBudget {
                    elapsed_s: seconds(budget.elapsed_ms),
                    limit_s: seconds(budget.limit_ms),
                    slowest: &budget.slowest,
                }),
            durations: &report.p95,
            slowest: report
                .slowest(slowest)
                .into_iter()
                .map(|timing| SlowTest {
                    status: report
                        .tests
                        .iter()
                        .find(|test| test.id == timing.test)
                        .map_or(Status::Passed, |test| test.status),
                    timing,
                })
                .collect(),
            drifts: &report.drifts,
            failing_routes: report
                .routes
                .iter()
                .flatten()
                .filter(|route| route.status == RouteStatus::Fail)
                .collect(),
            analysis: report.analysis.as_ref(),
        }
    }
}

fn seconds(milliseconds: u64) -> f64 {
    milliseconds as f64 / 1000.0
}
