//! The report of one run (or of merged shard runs): the model behind `report.json` and every
//! other file in `target/commerce/`.
//!
//! `report.json` is this model serialised; its shape is documented field by field in
//! `runner/report.schema.json` (JSON Schema) and versioned by [`REPORT_VERSION`], bumped on any
//! incompatible change. Durations are milliseconds as floating-point numbers, test ids are
//! `"<binary id> <test name>"`, paths are relative to the project root with `/` separators.

mod html;
mod junit_xml;
mod load;
mod markdown;
mod prometheus;
mod sarif;
mod terminal;
mod view;
mod write;

use std::collections::BTreeMap;

use commerce_analysis::{CheckResult, Route};
use commerce_diagnostics::{Diagnostic, Severity};
use serde::{Deserialize, Serialize};

use crate::failure::{Classification, Location};
pub use crate::load::LoadSection;
use crate::shard::Shard;

pub use sarif::{diagnostics as sarif_diagnostics, render as render_sarif};
pub use terminal::render as render_terminal;
pub use write::{REPORT_FILES, read, render_html, render_markdown, render_prometheus, write_all};

/// The version of `report.json`'s shape.
pub const REPORT_VERSION: u32 = 1;

/// Everything one run found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub version: u32,
    pub tool: Tool,
    pub run: RunInfo,
    pub summary: Counts,
    /// Every selected test, sorted by id.
    pub tests: Vec<TestResult>,
    /// Duration percentiles per test binary, then one row `*` for all tests.
    pub p95: Vec<DurationRow>,
    pub failures: Vec<Failure>,
    /// Tests that failed and then passed on retry.
    pub flaky: Vec<Flaky>,
    pub budget: Option<Budget>,
    pub change: Option<Change>,
    /// The static analysis of the same run (`cargo commerce check`), if any.
    pub analysis: Option<AnalysisSummary>,
    /// Contract drifts found by the contracts analyzer.
    pub drifts: Vec<Drift>,
    /// The frontend's routes, each rendering or failing, from the same run's analysis; `None`
    /// when the frontend was not analysed (absent in reports written before routes were kept).
    #[serde(default)]
    pub routes: Option<Vec<RouteResult>>,
    /// The micro-load scenarios the suite's tags selected, run after the tests; `None` when
    /// none was (absent in reports written before micro-load).
    #[serde(default)]
    pub load: Option<LoadSection>,
    /// Every gate with PASS/FAIL/SKIP and why, in `[gates]` order.
    pub gates: Vec<GateResult>,
    /// What `commerce_testkit` saw in the tests: latency per route, idempotency violations,
    /// N+1 findings, the log rows failing tests touched. `None` when no test used the kit.
    #[serde(default)]
    pub testkit: Option<crate::testkit::TestkitSummary>,
    /// The `[areas]` of `commerce.toml`, each with the counts of the tests that cover it.
    #[serde(default)]
    pub areas: Vec<AreaRow>,
}

/// One area of the project (`payments and ledger`) and how its tests did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaRow {
    pub name: String,
    /// Test binary ids or test-name prefixes, as configured.
    pub patterns: Vec<String>,
    pub counts: Counts,
}

impl AreaRow {
    /// Tests that failed or timed out.
    pub fn failed(&self) -> usize {
        self.counts.failed + self.counts.timed_out
    }

    /// `✓`, `✗`, or `no tests` when nothing covers the area.
    pub fn verdict(&self) -> &'static str {
        match (self.counts.total, self.failed()) {
            (0, _) => "no tests",
            (_, 0) => "✓",
            _ => "✗",
        }
    }

    fn covers(&self, test: &TestResult) -> bool {
        self.patterns.iter().any(|pattern| {
            test.binary_id == *pattern
                || test.name.starts_with(pattern.as_str())
                || test.id.starts_with(pattern.as_str())
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Tool {
    pub fn this() -> Self {
        Self {
            name: "cargo-commerce".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

/// How the run was made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Milliseconds since the Unix epoch.
    pub started_unix_ms: u64,
    pub elapsed_ms: u64,
    pub runner: RunnerKind,
    pub suite: String,
    /// The nextest filterset the run used; `null` for every test.
    pub filterset: Option<String>,
    /// Exported to every test as `COMMERCE_SEED`.
    pub seed: u64,
    pub retries: u32,
    pub shard: Option<Shard>,
    /// Cancelled (Ctrl-C, or a newer change in watch mode): tests that had not finished are
    /// `not-run`.
    pub interrupted: bool,
    /// The command that runs the same selection with the same seed.
    pub replay: String,
    /// How many shard reports were merged into this one (0 for a single run).
    pub merged_from: u32,
}

/// Which program ran the tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunnerKind {
    Nextest,
    /// The fallback when cargo-nextest is not installed.
    CargoTest,
    /// Nothing ran (nothing affected by the change).
    None,
}

/// How many tests ended how.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub flaky: usize,
    pub timed_out: usize,
    pub skipped: usize,
    pub not_run: usize,
}

impl Counts {
    pub fn of(tests: &[TestResult]) -> Self {
        let mut counts = Counts {
            total: tests.len(),
            ..Counts::default()
        };
        for test in tests {
            *match test.status {
                Status::Passed => &mut counts.passed,
                Status::Failed => &mut counts.failed,
                Status::Flaky => &mut counts.flaky,
                Status::TimedOut => &mut counts.timed_out,
                Status::Skipped => &mut counts.skipped,
                Status::NotRun => &mut counts.not_run,
            } += 1;
        }
        counts
    }

    /// Failed or timed out.
    pub fn failing(&self) -> usize {
        self.failed + self.timed_out
    }
}

/// How one test ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Passed,
    /// Failed, then passed on a retry.
    Flaky,
    Failed,
    /// Killed after the slow timeout.
    TimedOut,
    /// `#[ignore]`d.
    Skipped,
    /// The run was interrupted before the test finished.
    NotRun,
}

impl Status {
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Flaky => "flaky",
            Status::Failed => "failed",
            Status::TimedOut => "timed-out",
            Status::Skipped => "skipped",
            Status::NotRun => "not-run",
        }
    }

    pub const fn is_failing(self) -> bool {
        matches!(self, Status::Failed | Status::TimedOut)
    }
}

/// One test's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// `"<binary id> <test name>"`, unique in a report.
    pub id: String,
    pub binary_id: String,
    pub package: String,
    /// `lib`, `bin`, `test`, `proc-macro`, `bench`, `example`.
    pub kind: String,
    pub name: String,
    pub status: Status,
    /// Of the final attempt.
    pub duration_ms: f64,
    pub attempts: u32,
}

impl TestResult {
    pub fn id_of(binary_id: &str, name: &str) -> String {
        format!("{binary_id} {name}")
    }
}

/// Duration percentiles of one group of tests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DurationRow {
    /// A binary id, or `*` for every test.
    pub group: String,
    pub tests: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    pub total_ms: f64,
}

/// Everything known about one failed test.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub test: String,
    pub binary_id: String,
    pub name: String,
    pub classification: Classification,
    /// The panic message, or what nextest says about a timeout or crash.
    pub message: String,
    /// Where it panicked, relative to the project root.
    pub location: Option<Location>,
    /// The source file of the test's target (its crate root), relative to the project root:
    /// where a failure without a panic location is reported.
    pub target_path: Option<String>,
    /// Captured stdout and stderr of the final attempt.
    pub output: String,
    pub backtrace: Option<String>,
    pub attempts: u32,
    /// Runs this one test again with the same seed.
    pub replay: String,
    /// The part of the change under test inside the failing test's package.
    pub diff: Option<String>,
    /// A proposed fix, when the auto-debug loop has one.
    pub patch: Option<String>,
}

/// A test that needed retries to pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flaky {
    pub test: String,
    pub attempts: u32,
    /// The message of each failed attempt.
    pub failures: Vec<String>,
}

/// The suite's time budget.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    pub limit_ms: u64,
    pub elapsed_ms: u64,
    pub over: bool,
    /// The slowest tests, slowest first (listed whether or not the budget was exceeded).
    pub slowest: Vec<Timing>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    pub test: String,
    pub duration_ms: f64,
}

/// The change the run tested (`--changed`, or the uncommitted work otherwise).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The ref the change is measured against; `HEAD` for uncommitted work.
    pub base: String,
    pub files: Vec<String>,
    /// `everything`, `tests` or `nothing` (for `--changed`); `all` without it.
    pub scope: String,
    /// What runs and why.
    pub selection: Vec<Selected>,
    /// `git diff` of the change, cut at 256 KiB.
    pub diff: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selected {
    pub what: String,
    pub why: String,
}

/// The analyzers' findings of the same run, for the `analyzer` gate.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisSummary {
    pub errors: usize,
    pub warnings: usize,
    /// `rule|path|message` of every error, to tell new errors from old ones.
    pub error_keys: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    pub rule: String,
    pub path: String,
    pub message: String,
    pub breaking: bool,
}

/// Whether one frontend route can render: its module has the export the router needs and
/// reaches no broken module or run-time import cycle (`cargo commerce routes`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteResult {
    /// `/shop/[id]` (Next.js) or `/shop/:id` (React Router).
    pub route: String,
    /// The module that renders it.
    pub file: String,
    /// `page`, `layout`, `handler`, `element`, ...
    pub kind: String,
    pub status: RouteStatus,
    /// Why it fails (its first problem).
    pub reason: Option<String>,
    /// How its render went, when the render step ran (`[frontend.render] enabled`);
    /// absent in reports written before routes were rendered.
    #[serde(default)]
    pub render: Option<RouteRender>,
}

/// One route's render in the run: its status and time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteRender {
    pub status: RouteStatus,
    pub ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouteStatus {
    Ok,
    Fail,
}

impl RouteResult {
    /// The frontend analyzer's routes as the report keeps them.
    pub fn of(routes: &[Route]) -> Vec<Self> {
        routes
            .iter()
            .map(|route| RouteResult {
                route: route.path.clone(),
                file: slash(&route.file),
                kind: serde_json::to_value(route.kind)
                    .ok()
                    .and_then(|kind| kind.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                status: if route.is_ok() {
                    RouteStatus::Ok
                } else {
                    RouteStatus::Fail
                },
                reason: route.problems.first().map(|problem| problem.reason.clone()),
                render: route.render.map(|render| RouteRender {
                    status: if render.ok {
                        RouteStatus::Ok
                    } else {
                        RouteStatus::Fail
                    },
                    ms: render.ms,
                }),
            })
            .collect()
    }

    /// `route (file)`: a route is known across runs by its path and module.
    pub fn key(&self) -> String {
        format!("{} ({})", self.route, self.file)
    }
}

/// What the analyzers of the same run found, as the report keeps it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Findings {
    pub summary: AnalysisSummary,
    pub drifts: Vec<Drift>,
    pub routes: Option<Vec<RouteResult>>,
}

impl Findings {
    pub fn of(result: &CheckResult) -> Self {
        Self {
            summary: AnalysisSummary::of(&result.diagnostics),
            drifts: Drift::from_diagnostics(&result.diagnostics),
            routes: result.routes.as_deref().map(RouteResult::of),
        }
    }
}

/// One gate's verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateResult {
    pub gate: String,
    pub status: GateStatus,
    pub why: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GateStatus {
    Pass,
    Fail,
    /// Nothing to judge (no baseline, or the run did not measure it).
    Skip,
}

impl GateStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            GateStatus::Pass => "PASS",
            GateStatus::Fail => "FAIL",
            GateStatus::Skip => "SKIP",
        }
    }
}

impl AnalysisSummary {
    /// The counts and error keys of an analysis's findings.
    pub fn of(diagnostics: &[Diagnostic]) -> Self {
        let error_keys: Vec<String> = diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity == Severity::Error)
            .map(|diagnostic| {
                format!(
                    "{}|{}|{}",
                    diagnostic.rule,
                    slash(&diagnostic.path),
                    diagnostic.message
                )
            })
            .collect();
        Self {
            errors: error_keys.len(),
            warnings: diagnostics
                .iter()
                .filter(|diagnostic| diagnostic.severity == Severity::Warning)
                .count(),
            error_keys,
        }
    }
}

impl Drift {
    /// The contracts analyzer's findings; errors are breaking changes.
    pub fn from_diagnostics(diagnostics: &[Diagnostic]) -> Vec<Self> {
        diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.rule.starts_with("contracts/"))
            .map(|diagnostic| Drift {
                rule: diagnostic.rule.clone(),
                path: slash(&diagnostic.path),
                message: diagnostic.message.clone(),
                breaking: diagnostic.severity == Severity::Error,
            })
            .collect()
    }
}

fn slash(path: &std::path::Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

impl Report {
    /// Whether every gate passed (or was skipped) and the run was not interrupted.
    pub fn passed(&self) -> bool {
        !self.run.interrupted
            && self
                .gates
                .iter()
                .all(|gate| gate.status != GateStatus::Fail)
    }

    /// Keeps the analyzers' findings of the same run, for the analyzer, contract-drift and
    /// render gates.
    pub fn apply(&mut self, findings: Findings) {
        self.analysis = Some(findings.summary);
        self.drifts = findings.drifts;
        self.routes = findings.routes;
    }

    /// Recomputes everything derived from `tests`: counts and percentiles.
    pub fn refresh_derived(&mut self) {
        self.tests.sort_by(|a, b| a.id.cmp(&b.id));
        self.summary = Counts::of(&self.tests);
        self.p95 = duration_rows(&self.tests);
        for area in &mut self.areas {
            let covered: Vec<TestResult> = self
                .tests
                .iter()
                .filter(|test| area.covers(test))
                .cloned()
                .collect();
            area.counts = Counts::of(&covered);
        }
    }

    /// The area table of `areas` (`[areas]` of `commerce.toml`), counted over the tests.
    pub fn set_areas(&mut self, areas: &BTreeMap<String, Vec<String>>) {
        self.areas = areas
            .iter()
            .map(|(name, patterns)| AreaRow {
                name: name.clone(),
                patterns: patterns.clone(),
                counts: Counts::default(),
            })
            .collect();
        self.refresh_derived();
    }

    /// The slowest tests that ran, slowest first.
    pub fn slowest(&self, count: usize) -> Vec<Timing> {
        let mut ran: Vec<&TestResult> = self
            .tests
            .iter()
            .filter(|test| !matches!(test.status, Status::Skipped | Status::NotRun))
            .collect();
        ran.sort_by(|a, b| b.duration_ms.total_cmp(&a.duration_ms));
        ran.into_iter()
            .take(count)
            .map(|test| Timing {
                test: test.id.clone(),
                duration_ms: test.duration_ms,
            })
            .collect()
    }
}

/// p50/p95/max per binary and overall, over the tests that ran.
pub fn duration_rows(tests: &[TestResult]) -> Vec<DurationRow> {
    let mut groups: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut all = Vec::new();
    for test in tests
        .iter()
        .filter(|test| !matches!(test.status, Status::Skipped | Status::NotRun))
    {
        groups
            .entry(&test.binary_id)
            .or_default()
            .push(test.duration_ms);
        all.push(test.duration_ms);
    }
    let mut rows: Vec<DurationRow> = groups
        .into_iter()
        .map(|(group, durations)| row(group, durations))
        .collect();
    if !all.is_empty() {
        rows.push(row("*", all));
    }
    rows
}

fn row(group: &str, mut durations: Vec<f64>) -> DurationRow {
    durations.sort_by(f64::total_cmp);
    DurationRow {
        group: group.to_owned(),
        tests: durations.len(),
        p50_ms: percentile(&durations, 50.0),
        p95_ms: percentile(&durations, 95.0),
        max_ms: durations.last().copied().unwrap_or(0.0),
        total_ms: durations.iter().sum(),
    }
}

/// The nearest-rank percentile of sorted values (0 for none).
pub fn percentile(sorted: &[f64], percent: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (percent / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Milliseconds rounded to microseconds, so reports do not carry float noise.
pub fn millis(seconds: f64) -> f64 {
    (seconds * 1_000_000.0).round() / 1000.0
}

#[cfg(test)]
pub(crate) mod fixtures;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&values, 95.0), 19.0);
        assert_eq!(percentile(&values, 50.0), 10.0);
        assert_eq!(percentile(&values, 100.0), 20.0);
        assert_eq!(percentile(&[7.0], 95.0), 7.0);
        assert_eq!(percentile(&[], 95.0), 0.0);
    }

    #[test]
    fn rows_per_binary_and_overall_skip_tests_that_did_not_run() {
        let report = fixtures::report();
        let rows = duration_rows(&report.tests);
        let groups: Vec<&str> = rows.iter().map(|row| row.group.as_str()).collect();
        assert_eq!(groups, ["shop", "shop::checkout", "*"]);
        let all = rows.last().expect("overall row");
        assert_eq!(all.tests, 5);
        assert_eq!(all.max_ms, 2003.0);
        assert_eq!(Counts::of(&report.tests).skipped, 1);
    }
}
