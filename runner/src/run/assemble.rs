//! Report assembly: nextest's listing and JUnit cases (or the fallback's) turned into the
//! report's results, failures, replay commands and change.

use std::collections::BTreeMap;
use std::time::Duration;

use commerce_project::ChangedFile;

use super::diff::git_diff;
use super::{Changes, Context, MAX_OUTPUT_BYTES, Outcome, SLOWEST_LISTED};
use crate::changed::{Scope, Selection};
use crate::doctest;
use crate::failure::{self, Location};
use crate::junit::{self, JunitCase, JunitOutcome};
use crate::libtest;
use crate::nextest::ListedTest;
use crate::report::{
    self, Budget, Change, Counts, Failure, Flaky, Report, RunInfo, RunnerKind, Selected, Status,
    TestResult, Tool,
};
use crate::workspace::TestKind;

impl Context<'_> {
    pub(super) fn assemble(
        &self,
        outcome: Outcome,
        started_unix_ms: u64,
        elapsed: Duration,
    ) -> Report {
        let cases: BTreeMap<(String, String), JunitCase> = outcome
            .cases
            .into_iter()
            .map(|case| ((case.binary_id.clone(), case.name.clone()), case))
            .collect();
        let mut tests = Vec::new();
        let mut failures = Vec::new();
        let mut flaky = Vec::new();
        for listed in &outcome.listed {
            let case = cases.get(&(listed.binary_id.clone(), listed.name.clone()));
            let result = self.result(listed, case);
            if let Some(case) = case {
                if result.status.is_failing() {
                    failures.push(self.failure(listed, case, &result));
                } else if result.status == Status::Flaky {
                    flaky.push(Flaky {
                        test: result.id.clone(),
                        attempts: result.attempts,
                        failures: case.earlier_failures.iter().map(attempt_message).collect(),
                    });
                }
            }
            tests.push(result);
        }
        let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        let mut report = Report {
            version: report::REPORT_VERSION,
            tool: Tool::this(),
            run: RunInfo {
                started_unix_ms,
                elapsed_ms,
                runner: outcome.runner.unwrap_or(RunnerKind::None),
                suite: self.suite.name.clone(),
                filterset: self.filterset.map(str::to_owned),
                seed: self.seed,
                retries: self.request.retries,
                shard: self.request.shard,
                interrupted: outcome.interrupted,
                replay: self.replay_run(),
                merged_from: 0,
            },
            summary: Counts::default(),
            tests,
            p95: Vec::new(),
            failures,
            flaky,
            budget: None,
            change: None,
            analysis: None,
            drifts: Vec::new(),
            routes: None,
            testkit: None,
            load: None,
            gates: Vec::new(),
            areas: Vec::new(),
        };
        report.set_areas(&self.project.config().areas);
        report.budget = self.suite.budget.map(|limit| Budget {
            limit_ms: u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
            elapsed_ms,
            over: elapsed > limit,
            slowest: report.slowest(SLOWEST_LISTED),
        });
        report
    }

    pub(super) fn result(&self, listed: &ListedTest, case: Option<&JunitCase>) -> TestResult {
        let (status, duration_ms, attempts) = match case {
            _ if listed.ignored => (Status::Skipped, 0.0, 0),
            None => (Status::NotRun, 0.0, 0),
            Some(case) => {
                let attempts = 1 + u32::try_from(case.earlier_failures.len()).unwrap_or(u32::MAX);
                let status = match case.outcome {
                    JunitOutcome::Skipped => Status::Skipped,
                    JunitOutcome::Passed if case.earlier_failures.is_empty() => Status::Passed,
                    JunitOutcome::Passed => Status::Flaky,
                    JunitOutcome::Failed
                        if case
                            .failure
                            .as_ref()
                            .is_some_and(|failure| failure.kind.contains("timeout")) =>
                    {
                        Status::TimedOut
                    }
                    JunitOutcome::Failed => Status::Failed,
                };
                (status, report::millis(case.seconds), attempts)
            }
        };
        TestResult {
            id: TestResult::id_of(&listed.binary_id, &listed.name),
            binary_id: listed.binary_id.clone(),
            package: listed.package.clone(),
            kind: listed.kind.as_str().to_owned(),
            name: listed.name.clone(),
            status,
            duration_ms,
            attempts,
        }
    }

    pub(super) fn failure(
        &self,
        listed: &ListedTest,
        case: &JunitCase,
        result: &TestResult,
    ) -> Failure {
        let attempt = case.failure.clone().unwrap_or_default();
        let output = [attempt.text.as_str(), &case.stdout, &case.stderr].join("\n");
        let panic = failure::parse_panic(&output);
        let doctest = listed.kind == TestKind::Doctest;
        let compile_error = doctest.then(|| doctest::compile_error(&output)).flatten();
        let classification = if compile_error.is_some() {
            failure::Classification::CompileError
        } else {
            failure::classify(&attempt.kind, panic.as_ref())
        };
        let message = match (compile_error, &panic, result.status) {
            (_, _, Status::TimedOut) => self.timeout_message(),
            (Some(error), _, _) => error,
            (None, Some(panic), _) => panic.message.clone(),
            (None, None, _) if !attempt.kind.is_empty() => attempt.kind.clone(),
            (None, None, _) => "failed without a panic message".to_owned(),
        };
        // rustdoc compiles each example out of place, so its panic lines point into the
        // example, not the file; the doctest's name says where it starts.
        let location = if doctest {
            doctest::location(&listed.name)
        } else {
            panic.as_ref().and_then(|panic| panic.location.clone())
        }
        .map(|location| self.project_relative(location));
        Failure {
            test: result.id.clone(),
            binary_id: listed.binary_id.clone(),
            name: listed.name.clone(),
            classification,
            message,
            location,
            target_path: self.target_path(listed),
            output: truncate_middle(
                &[case.stdout.as_str(), &case.stderr].join("\n"),
                MAX_OUTPUT_BYTES,
            ),
            backtrace: panic.and_then(|panic| panic.backtrace),
            attempts: result.attempts,
            replay: if doctest {
                doctest::replay(&listed.package, self.seed)
            } else {
                self.replay_test(listed)
            },
            diff: None,
            patch: None,
        }
    }

    pub(super) fn timeout_message(&self) -> String {
        match self.request.test_timeout {
            Some(timeout) => format!(
                "timed out: killed after running longer than {:.1} s (--test-timeout)",
                timeout.as_secs_f64()
            ),
            None => "timed out: killed by nextest's slow-timeout (.config/nextest.toml)".to_owned(),
        }
    }

    /// A panic location is relative to the workspace root (rustc's path); reports use the
    /// project root.
    pub(super) fn project_relative(&self, location: Location) -> Location {
        let absolute = self.workspace.root.join(&location.path);
        Location {
            path: self.project.display_path(&absolute),
            ..location
        }
    }

    pub(super) fn target_path(&self, listed: &ListedTest) -> Option<String> {
        let member = self.workspace.packages.get(&listed.package)?;
        let target = member.targets.iter().find(|target| {
            let kind_matches = match listed.kind {
                TestKind::Doctest => matches!(target.kind, TestKind::Lib | TestKind::ProcMacro),
                kind => target.kind == kind,
            };
            kind_matches
                && libtest::binary_id(&member.name, listed.kind, &target.name) == listed.binary_id
        })?;
        Some(
            self.project
                .display_path(&self.workspace.root.join(&target.src_path)),
        )
    }

    /// Runs one test again with the same seed, whatever the suite.
    pub(super) fn replay_test(&self, listed: &ListedTest) -> String {
        format!(
            "cargo commerce test --suite all --seed {} -E 'binary_id(={}) & test(={})'",
            self.seed, listed.binary_id, listed.name
        )
    }

    pub(super) fn replay_run(&self) -> String {
        let mut command = format!("cargo commerce test --seed {}", self.seed);
        if let Some(suite) = &self.request.suite {
            command.push_str(&format!(" --suite {suite}"));
        }
        if let Some(Changes::SinceBase(base)) = &self.request.changes {
            command.push_str(&format!(" --changed --base {base}"));
        }
        if let Some(filterset) = &self.request.filterset {
            command.push_str(&format!(" -E '{filterset}'"));
        }
        if let Some(shard) = self.request.shard {
            command.push_str(&format!(" --shard {shard}"));
        }
        if let Some(timings) = &self.request.shard_timings {
            command.push_str(&format!(" --shard-timings {}", timings.display()));
        }
        if self.request.retries > 0 {
            command.push_str(&format!(" --retries {}", self.request.retries));
        }
        command
    }

    pub(super) fn change(
        &self,
        base: Option<&str>,
        changes: &[ChangedFile],
        selection: Option<&Selection>,
    ) -> Change {
        let diff_base = base.map_or_else(|| "HEAD".to_owned(), str::to_owned);
        let (scope, selected) = match selection {
            None => ("all".to_owned(), Vec::new()),
            Some(selection) => (
                match &selection.scope {
                    Scope::Everything { .. } => "everything",
                    Scope::Tests { .. } => "tests",
                    Scope::Nothing => "nothing",
                }
                .to_owned(),
                selection
                    .describe()
                    .into_iter()
                    .map(|(what, why)| Selected { what, why })
                    .collect(),
            ),
        };
        Change {
            files: changes
                .iter()
                .map(|change| self.project.display_path(&change.path))
                .collect(),
            scope,
            selection: selected,
            diff: git_diff(self.project.root(), &diff_base),
            base: diff_base,
        }
    }
}

pub(super) fn attempt_message(attempt: &junit::Attempt) -> String {
    let output = [attempt.text.as_str(), &attempt.stdout, &attempt.stderr].join("\n");
    failure::parse_panic(&output)
        .map(|panic| panic.message)
        .filter(|message| !message.is_empty())
        .unwrap_or_else(|| attempt.kind.clone())
}

pub(super) fn truncate_end(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let end = text.floor_char_boundary(max);
    format!("{}\n[… cut at {max} bytes]\n", &text[..end])
}

/// Keeps the start (what the test printed first) and the end (the panic) of long output.
pub(super) fn truncate_middle(text: &str, max: usize) -> String {
    let text = text.trim_matches('\n');
    if text.len() <= max {
        return text.to_owned();
    }
    let head = text.floor_char_boundary(max / 2);
    let tail = text.ceil_char_boundary(text.len() - max / 2);
    format!(
        "{}\n[… {} bytes cut …]\n{}",
        &text[..head],
        tail - head,
        &text[tail..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_output_keeps_its_start_and_end() {
        let text = format!("start{}end", "x".repeat(1000));
        let cut = truncate_middle(&text, 100);
        assert!(cut.starts_with("start"));
        assert!(cut.ends_with("end"));
        assert!(cut.len() < 200);
        assert_eq!(truncate_end("short", 10), "short");
    }
}
