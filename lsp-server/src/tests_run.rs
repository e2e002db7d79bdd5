//! Test results in the editor: the failures of the last `cargo commerce test` report, and
//! `commerce.runAffectedTests`, which runs the tests the current change can reach. Both become
//! diagnostics at the failing assertion's line (the runner's own `report.sarif` findings).

use std::collections::BTreeMap;
use std::path::PathBuf;

use commerce_diagnostics::Diagnostic;
use commerce_project::Project;
use commerce_runner::report::{self, Report};
use commerce_runner::{CancelToken, Changes, TestRequest, changed, run_tests};
use serde_json::{Value, json};

/// The command that runs the tests the change can reach.
pub const RUN_AFFECTED_TESTS: &str = "commerce.runAffectedTests";

/// Test findings (failures, flaky tests, a blown budget) by project-relative file.
pub type TestFindings = BTreeMap<PathBuf, Vec<Diagnostic>>;

/// What a finished `commerce.runAffectedTests` found.
#[derive(Debug)]
pub struct AffectedTests {
    pub findings: TestFindings,
    /// The command's result for the client: counts, notices and where the report is.
    pub summary: Value,
}

/// The arguments of `commerce.runAffectedTests`: `[{ "base": "<ref>" }]`, all optional.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunArguments {
    /// The ref the change is measured against; the runner's default base when absent.
    pub base: Option<String>,
}

/// The findings of the last report in the workspace's `target/commerce/`, if there is one.
pub fn last_report(project: &Project) -> Option<TestFindings> {
    let workspace = commerce_runner::workspace::Workspace::load(project.root()).ok()?;
    let path = workspace.target_dir.join("commerce").join("report.json");
    let report = report::read(&path).ok()?;
    Some(findings(&report, project))
}

/// Runs the tests the changes since `arguments.base` can reach, as `cargo commerce test
/// --changed` does, and writes the report.
///
/// # Errors
/// The runner's setup errors (no Cargo workspace, git unusable, the build failing), as text
/// for the client.
pub fn run_affected(
    project: &Project,
    arguments: RunArguments,
    cancel: &CancelToken,
) -> Result<AffectedTests, String> {
    let base = arguments
        .base
        .unwrap_or_else(|| changed::default_base(project.root()));
    let request = TestRequest {
        changes: Some(Changes::SinceBase(base)),
        ..TestRequest::default()
    };
    let run = run_tests(project, &request, cancel).map_err(|error| error.to_string())?;
    let counts = run.report.summary;
    let summary = json!({
        "selected": counts.total,
        "passed": counts.passed,
        "failed": counts.failed + counts.timed_out,
        "flaky": counts.flaky,
        "notices": run.notices.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "report": run.report_dir,
    });
    Ok(AffectedTests {
        findings: findings(&run.report, project),
        summary,
    })
}

fn findings(report: &Report, project: &Project) -> TestFindings {
    let (diagnostics, _) = report::sarif_diagnostics(report, project.root());
    let mut by_file = TestFindings::new();
    for diagnostic in diagnostics {
        by_file
            .entry(diagnostic.path.clone())
            .or_default()
            .push(diagnostic);
    }
    by_file
}
