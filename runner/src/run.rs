//! `cargo commerce test`: select, run on nextest (or the cargo test fallback), read the results
//! back, judge the gates and write the report.

use std::collections::BTreeMap;
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use std::sync::Arc;

use commerce_analysis::{Analysis, AnalysisError, Analyzer, CheckRequest, CheckResult};
use commerce_project::{ChangeStatus, ChangedFile, OsFs, Project};

use crate::cancel::CancelToken;
use crate::changed::{self, Scope, Selection, Triggers};
use crate::depinfo::SourceMap;
use crate::doctest;
use crate::error::RunnerError;
use crate::failure::{self, Location};
use crate::gates::{self, GateInputs};
use crate::junit::{self, JunitCase, JunitOutcome};
use crate::libtest::{self, Slice, TestBinary};
use crate::nextest::{self, Invocation, ListedTest};
use crate::process::Ended;
use crate::report::{
    self, Budget, Change, Counts, Failure, Findings, Flaky, Report, RunInfo, RunnerKind, Selected,
    Status, TestResult, Tool,
};
use crate::shard::Shard;
use crate::suite::{self, Suite};
use crate::testkit::KitRun;
use crate::workspace::{TestKind, Workspace};

/// How many of the slowest tests a budget warning lists.
const SLOWEST_LISTED: usize = 10;
/// The change's diff is cut here: a report is read by people and uploaded as an artifact.
const MAX_DIFF_BYTES: usize = 256 * 1024;
/// Captured output per failure is cut here (the start and the end are kept).
const MAX_OUTPUT_BYTES: usize = 64 * 1024;

/// Which program runs the tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RunnerChoice {
    /// cargo-nextest when installed, else the cargo test fallback (with a notice).
    #[default]
    Auto,
    Nextest,
    CargoTest,
}

/// What to run and how.
#[derive(Clone, Debug, Default)]
pub struct TestRequest {
    /// A `[suites.<name>]`; `None` is the default (`fast`), `all` is every test.
    pub suite: Option<String>,
    /// An extra nextest filterset, intersected with the suite's.
    pub filterset: Option<String>,
    /// Only the tests these changes can reach (`--changed`, or the saves `watch` saw).
    pub changes: Option<Changes>,
    pub shard: Option<Shard>,
    /// Balance `shard` by the test durations of this earlier `report.json` instead of by
    /// test count.
    pub shard_timings: Option<PathBuf>,
    /// Exported as `COMMERCE_SEED`; random when `None`.
    pub seed: Option<u64>,
    pub retries: u32,
    /// Kill a test that runs longer than this (nextest's slow-timeout).
    pub test_timeout: Option<Duration>,
    /// Default: `<cargo target dir>/commerce`.
    pub report_dir: Option<PathBuf>,
    /// A previous `report.json` to gate against.
    pub baseline: Option<PathBuf>,
    pub flaky_fails: bool,
    pub runner: RunnerChoice,
    /// Show cargo's and nextest's progress on stderr.
    pub echo: bool,
    /// The static analysis of the same run (`check`, `watch`), for the analyzer, contract-drift
    /// and render gates.
    pub analysis: Option<Findings>,
    /// Global triggers for `--changed`; [`changed::DEFAULT_TRIGGERS`] when `None`.
    pub triggers: Option<Triggers>,
    /// The `cargo` to run; `$CARGO` or `cargo` when `None`.
    pub cargo: Option<PathBuf>,
    /// After the tests, run the `[load.scenarios]` tagged for the suite (`test` and `check`;
    /// not `watch`, where every save would start the app).
    pub load: bool,
}

/// Where the changes `--changed` selects by come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Changes {
    /// git: the working tree (plus untracked files) against the merge base with this ref.
    SinceBase(String),
    /// These files, relative to the project root (what `watch` saw saved).
    Files(Vec<ChangedFile>),
}

impl Changes {
    /// The analyzers `only` (every one when empty) on these changes, as `check --base` and
    /// `watch` run them: the files changed since the base, or the saved files that still exist.
    ///
    /// # Errors
    /// A `commerce.toml` naming an unknown rule, or git failing on the base.
    pub fn analyze(
        &self,
        project: &Project,
        only: &[Analyzer],
    ) -> Result<CheckResult, AnalysisError> {
        let request = match self {
            Changes::SinceBase(base) => CheckRequest {
                base: Some(base.clone()),
                only: only.to_vec(),
                ..CheckRequest::default()
            },
            Changes::Files(files) => CheckRequest {
                paths: files
                    .iter()
                    .filter(|file| file.status != ChangeStatus::Deleted)
                    .filter(|file| project.root().join(&file.path).is_file())
                    .map(|file| file.path.clone())
                    .collect(),
                only: only.to_vec(),
                ..CheckRequest::default()
            },
        };
        Analysis::new(project)?.check(project, Arc::new(OsFs), &request)
    }

    /// The ref the change's diff is taken against.
    fn diff_base(&self) -> &str {
        match self {
            Changes::SinceBase(base) => base,
            Changes::Files(_) => "HEAD",
        }
    }
}

/// What a run produced.
#[derive(Debug)]
pub struct TestRun {
    pub report: Report,
    /// The report files, in [`report::REPORT_FILES`] order.
    pub written: Vec<PathBuf>,
    pub report_dir: PathBuf,
    pub notices: Vec<Notice>,
    /// The `--changed` selection, if any.
    pub selection: Option<Selection>,
    /// The analyzers' findings on the changed files they read, when the run analysed them
    /// itself (a `--changed` run; `check` and `watch` analyse before testing).
    pub analysis: Option<CheckResult>,
}

/// Things the user should hear about, which do not stop the run.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    NextestMissing,
    /// No test can reach the changes (since `base`, or the saved files).
    NothingAffected {
        base: String,
    },
    EverythingAffected {
        trigger: PathBuf,
    },
    NoTestsSelected,
    /// Changed files other than the packages' Rust sources went to the analyzers that read
    /// them.
    RoutedToAnalyzers {
        files: Vec<(&'static str, Vec<PathBuf>)>,
    },
    /// The suite has doctests, but a filterset (`-E`) cannot select them, so none ran.
    DoctestsNeedNoFilterset,
    OverBudget {
        elapsed: Duration,
        budget: Duration,
    },
    Interrupted,
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::NextestMissing => f.write_str(
                "cargo-nextest is not installed; running the tests with `cargo test` instead (install it with `cargo install --locked cargo-nextest`)",
            ),
            Notice::NothingAffected { base } => write!(
                f,
                "nothing affected: no test can reach the changes since `{base}`, so none ran"
            ),
            Notice::EverythingAffected { trigger } => write!(
                f,
                "{} changed, which can affect every test: running them all",
                trigger.display()
            ),
            Notice::NoTestsSelected => f.write_str("no test matches the selection"),
            Notice::RoutedToAnalyzers { files } => {
                let routed: Vec<String> = files
                    .iter()
                    .map(|(analyzer, files)| {
                        let files: Vec<String> =
                            files.iter().map(|file| file.display().to_string()).collect();
                        format!("{analyzer} ({})", files.join(", "))
                    })
                    .collect();
                write!(
                    f,
                    "changed files other than Rust sources went to their analyzers: {}; the findings are in the report",
                    routed.join("; ")
                )
            }
            Notice::DoctestsNeedNoFilterset => f.write_str(
                "doctests did not run: a filterset (-E) cannot select them (run without -E, or `cargo test --doc`)",
            ),
            Notice::OverBudget { elapsed, budget } => write!(
                f,
                "the suite took {:.1} s, over its budget of {:.1} s; the slowest tests are in the report",
                elapsed.as_secs_f64(),
                budget.as_secs_f64()
            ),
            Notice::Interrupted => f.write_str(
                "interrupted: the report holds the tests that finished; the others are marked not-run",
            ),
        }
    }
}

/// Runs the tests `request` selects in `project` and writes the report.
///
/// # Errors
/// Setup problems: no Cargo workspace, unknown suite, git unusable for `--changed`, a corrupt
/// baseline, nextest or the build failing before any test ran, an unwritable report dir.
/// Failing tests are not errors: they are in the report.
pub fn run_tests(
    project: &Project,
    request: &TestRequest,
    cancel: &CancelToken,
) -> Result<TestRun, RunnerError> {
    let started = Instant::now();
    let started_unix_ms = unix_ms();
    let seed = request.seed.unwrap_or_else(random_seed);
    // A corrupt baseline must stop the run before minutes of tests, not after.
    let baseline = request.baseline.as_deref().map(report::read).transpose()?;
    let timings = match (request.shard, &request.shard_timings) {
        (Some(_), Some(path)) => Some(report::read(path)?),
        _ => None,
    };
    // Before `cargo metadata`, which may rewrite Cargo.lock and so hide a change to it.
    let changes = match &request.changes {
        Some(Changes::SinceBase(base)) => commerce_project::changed_files(project.root(), base)?,
        Some(Changes::Files(files)) => files.clone(),
        None => Vec::new(),
    };
    let workspace = Workspace::load(project.root())?;
    let suite = suite::resolve(project.config(), request.suite.as_deref())?;
    let report_dir = request
        .report_dir
        .clone()
        .unwrap_or_else(|| workspace.target_dir.join("commerce"));
    let cargo = request.cargo.clone().unwrap_or_else(cargo_program);
    let mut notices = Vec::new();
    // One Postgres for every test process of the run; stopped when `kit` drops.
    let kit = KitRun::start(&workspace, &report_dir);

    let selection = match &request.changes {
        Some(source) => {
            let base = source.diff_base().to_owned();
            let triggers = request.triggers.clone().unwrap_or_default();
            let sources = SourceMap::read(&workspace);
            let selection =
                changed::select(&workspace, project.root(), &changes, &triggers, &sources);
            match &selection.scope {
                Scope::Nothing => notices.push(Notice::NothingAffected { base }),
                Scope::Everything { trigger } => notices.push(Notice::EverythingAffected {
                    trigger: trigger.clone(),
                }),
                Scope::Tests { .. } => {}
            }
            Some(selection)
        }
        None => None,
    };
    let routed = match (&request.changes, &selection) {
        (Some(source), Some(selection))
            if request.analysis.is_none() && !selection.analyzer_files.is_empty() =>
        {
            notices.push(Notice::RoutedToAnalyzers {
                files: selection
                    .analyzer_files
                    .iter()
                    .map(|(analyzer, files)| (analyzer.name(), files.clone()))
                    .collect(),
            });
            let analyzers: Vec<Analyzer> = selection.analyzer_files.keys().copied().collect();
            Some(source.analyze(project, &analyzers)?)
        }
        _ => None,
    };
    let filterset = combine(&[
        suite.filterset.as_deref(),
        selection.as_ref().and_then(Selection::filterset).as_deref(),
        request.filterset.as_deref(),
    ]);

    let context = Context {
        project,
        workspace: &workspace,
        request,
        suite: &suite,
        filterset: filterset.as_deref(),
        seed,
        report_dir: &report_dir,
        cargo: &cargo,
        cancel,
        timings: timings.as_ref(),
        kit: kit.as_ref(),
    };
    let outcome = if selection
        .as_ref()
        .is_some_and(|selection| selection.scope == Scope::Nothing)
    {
        Outcome::default()
    } else {
        context.execute(selection.as_ref(), &mut notices)?
    };
    let outcome_interrupted = outcome.interrupted;
    if outcome_interrupted {
        notices.push(Notice::Interrupted);
    }

    let elapsed = started.elapsed();
    let mut report = context.assemble(outcome, started_unix_ms, elapsed);
    report.testkit = kit.as_ref().and_then(KitRun::summary);
    if report.tests.is_empty()
        && !notices
            .iter()
            .any(|n| matches!(n, Notice::NothingAffected { .. }))
    {
        notices.push(Notice::NoTestsSelected);
    }
    if let Some(budget) = report.budget.as_ref().filter(|budget| budget.over) {
        notices.push(Notice::OverBudget {
            elapsed: Duration::from_millis(budget.elapsed_ms),
            budget: Duration::from_millis(budget.limit_ms),
        });
    }
    report.change = Some(context.change(
        request.changes.as_ref().map(Changes::diff_base),
        &changes,
        selection.as_ref(),
    ));
    attach_diffs(&mut report, &workspace, project.root());
    if let Some(findings) = request
        .analysis
        .clone()
        .or_else(|| routed.as_ref().map(Findings::of))
    {
        report.apply(findings);
    }
    // After the tests, on one shard only: load figures from several shards would be the
    // same scenarios run several times.
    let nothing_affected = selection
        .as_ref()
        .is_some_and(|selection| selection.scope == Scope::Nothing);
    if request.load
        && !outcome_interrupted
        && !nothing_affected
        && request.shard.is_none_or(|shard| shard.index == 1)
    {
        let tags = project
            .config()
            .suites
            .get(&suite.name)
            .map(|suite| suite.tags.as_slice());
        report.load = crate::load::after_tests(
            &project.config().load,
            project.root(),
            tags,
            seed,
            &report_dir,
            cancel,
        );
    }
    report.gates = gates::evaluate(
        &report,
        GateInputs {
            config: &project.config().gates,
            baseline: baseline.as_ref(),
            flaky_fails: request.flaky_fails,
        },
    );
    let written = report::write_all(&report, &report_dir, project.root())?;
    Ok(TestRun {
        report,
        written,
        report_dir,
        notices,
        selection,
        analysis: routed,
    })
}

/// What the runner gives back, in nextest's shapes whichever runner ran.
#[derive(Debug, Default)]
struct Outcome {
    runner: Option<RunnerKind>,
    listed: Vec<ListedTest>,
    cases: Vec<JunitCase>,
    interrupted: bool,
}

/// Everything one run shares.
struct Context<'a> {
    project: &'a Project,
    workspace: &'a Workspace,
    request: &'a TestRequest,
    suite: &'a Suite,
    filterset: Option<&'a str>,
    seed: u64,
    report_dir: &'a Path,
    cargo: &'a Path,
    cancel: &'a CancelToken,
    /// Durations to balance the shard by.
    timings: Option<&'a Report>,
    kit: Option<&'a KitRun>,
}

impl Context<'_> {
    fn execute(
        &self,
        selection: Option<&Selection>,
        notices: &mut Vec<Notice>,
    ) -> Result<Outcome, RunnerError> {
        let use_nextest = match self.request.runner {
            RunnerChoice::Nextest => true,
            RunnerChoice::CargoTest => false,
            RunnerChoice::Auto => {
                let installed = nextest::is_installed();
                if !installed {
                    notices.push(Notice::NextestMissing);
                }
                installed
            }
        };
        let mut outcome = if use_nextest {
            self.run_nextest()?
        } else {
            self.run_cargo_test(selection)?
        };
        if !outcome.interrupted {
            self.run_doctests(selection, &mut outcome, notices)?;
        }
        Ok(outcome)
    }

    /// The doctests of the selected libraries (`cargo test --doc`; nextest cannot run them),
    /// added to `outcome` like any other test.
    fn run_doctests(
        &self,
        selection: Option<&Selection>,
        outcome: &mut Outcome,
        notices: &mut Vec<Notice>,
    ) -> Result<(), RunnerError> {
        if !self.suite.doctests {
            return Ok(());
        }
        if self.request.filterset.is_some() {
            notices.push(Notice::DoctestsNeedNoFilterset);
            return Ok(());
        }
        let members = self.workspace.packages.values().filter(|member| {
            selection.is_none_or(|selection| selection.reaches_package(&member.name))
        });
        let mut harnesses = doctest::harnesses(self.cargo, self.workspace, members);
        if let Some(shard) = self.request.shard {
            harnesses = doctest::shard_slice(harnesses, shard);
        }
        let plan: Vec<(&TestBinary, Slice)> = harnesses
            .iter()
            .map(|harness| (harness, Slice::All))
            .collect();
        let run = libtest::run(
            &plan,
            &self.env(),
            &self.report_dir.join("doctest"),
            (self.request.retries, self.request.test_timeout),
            self.cancel,
        )?;
        outcome.listed.extend(run.listed);
        outcome.cases.extend(run.cases);
        outcome.interrupted |= run.interrupted;
        Ok(())
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![("COMMERCE_SEED", self.seed.to_string())];
        env.extend(self.kit.map(KitRun::env).unwrap_or_default());
        // Failure capture wants backtraces; a user's own setting wins.
        if std::env::var_os("RUST_BACKTRACE").is_none() {
            env.push(("RUST_BACKTRACE", "1".to_owned()));
        }
        env
    }

    fn run_nextest(&self) -> Result<Outcome, RunnerError> {
        let balanced = self.request.shard.zip(self.timings);
        let invocation = Invocation {
            cargo: self.cargo,
            workspace_root: &self.workspace.root,
            cargo_metadata: &self.workspace.metadata_json,
            dir: self.report_dir.join("nextest"),
            filterset: self.filterset,
            // A balanced shard lists every test and picks its own slice.
            shard: if balanced.is_some() {
                None
            } else {
                self.request.shard
            },
            echo: self.request.echo,
        };
        invocation.write_config(self.request.test_timeout)?;
        let list = match invocation.list(self.cancel) {
            Err(_) if self.cancel.is_cancelled() => {
                return Ok(Outcome {
                    runner: Some(RunnerKind::Nextest),
                    interrupted: true,
                    ..Outcome::default()
                });
            }
            other => other?,
        };
        let (listed, slice_filterset) = match balanced {
            Some((shard, timings)) => balanced_slice(list.tests, shard, timings),
            None => (list.tests, None),
        };
        let list = nextest::TestList { tests: listed };
        let filterset = combine(&[self.filterset, slice_filterset.as_deref()]);
        let invocation = Invocation {
            filterset: filterset.as_deref(),
            ..invocation
        };
        if list.tests.iter().all(|test| test.ignored) {
            return Ok(Outcome {
                runner: Some(RunnerKind::Nextest),
                listed: list.tests,
                ..Outcome::default()
            });
        }
        let ended = match invocation.run(&self.env(), self.request.retries, self.cancel) {
            Err(RunnerError::NoJunit { .. }) if self.cancel.is_cancelled() => None,
            other => Some(other?),
        };
        let cases = if ended.is_some() {
            junit::read(&invocation.junit_path())?
        } else {
            Vec::new()
        };
        Ok(Outcome {
            runner: Some(RunnerKind::Nextest),
            listed: list.tests,
            cases,
            interrupted: ended.is_none_or(|ended| matches!(ended, Ended::Cancelled(_))),
        })
    }

    fn run_cargo_test(&self, selection: Option<&Selection>) -> Result<Outcome, RunnerError> {
        let Some(targets) = &self.suite.cargo_test_targets else {
            return Err(RunnerError::NeedsNextest {
                what: format!(
                    "suite `{}` (its tags are filtersets or name prefixes)",
                    self.suite.name
                ),
            });
        };
        if self.request.filterset.is_some() {
            return Err(RunnerError::NeedsNextest {
                what: "a filterset (-E)".to_owned(),
            });
        }
        let dir = self.report_dir.join("cargo-test");
        let binaries = libtest::build(
            self.cargo,
            self.workspace,
            targets,
            &dir,
            self.request.echo,
            self.cancel,
        )?;
        let binaries: Vec<_> = binaries
            .into_iter()
            .filter(|binary| selection.is_none_or(|selection| selects(selection, binary)))
            .collect();
        let plan = match self.request.shard {
            None => binaries.iter().map(|binary| (binary, Slice::All)).collect(),
            Some(shard) => match self.fallback_shard(&binaries, shard, &dir) {
                Err(_) if self.cancel.is_cancelled() => {
                    return Ok(Outcome {
                        runner: Some(RunnerKind::CargoTest),
                        interrupted: true,
                        ..Outcome::default()
                    });
                }
                other => other?,
            },
        };
        let run = libtest::run(
            &plan,
            &self.env(),
            &dir,
            (self.request.retries, self.request.test_timeout),
            self.cancel,
        )?;
        Ok(Outcome {
            runner: Some(RunnerKind::CargoTest),
            listed: run.listed,
            cases: run.cases,
            interrupted: run.interrupted,
        })
    }

    /// This shard's tests of each binary, from libtest's listing: nextest's `count:K/N`
    /// partition, or balanced by the durations of `--shard-timings`.
    fn fallback_shard<'b>(
        &self,
        binaries: &'b [TestBinary],
        shard: Shard,
        dir: &Path,
    ) -> Result<Vec<(&'b TestBinary, Slice)>, RunnerError> {
        let listings = binaries
            .iter()
            .map(|binary| libtest::list(binary, dir, self.cancel))
            .collect::<Result<Vec<_>, _>>()?;
        let mine: Vec<Vec<String>> = match self.timings {
            None => listings
                .iter()
                .map(|listing| crate::shard::count_slice(&listing.runnable, shard))
                .collect(),
            Some(timings) => {
                let ids: Vec<String> = binaries
                    .iter()
                    .zip(&listings)
                    .flat_map(|(binary, listing)| {
                        listing
                            .runnable
                            .iter()
                            .map(|name| TestResult::id_of(&binary.binary_id, name))
                    })
                    .collect();
                let mut share = balanced_share(&ids, shard, timings).into_iter();
                listings
                    .iter()
                    .map(|listing| {
                        listing
                            .runnable
                            .iter()
                            .filter(|_| share.next().unwrap_or(false))
                            .cloned()
                            .collect()
                    })
                    .collect()
            }
        };
        Ok(binaries
            .iter()
            .zip(listings)
            .zip(mine)
            .map(|((binary, listing), names)| {
                (
                    binary,
                    Slice::Only {
                        names,
                        ignored: listing.ignored,
                    },
                )
            })
            .collect())
    }

    fn assemble(&self, outcome: Outcome, started_unix_ms: u64, elapsed: Duration) -> Report {
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
        };
        report.refresh_derived();
        report.budget = self.suite.budget.map(|limit| Budget {
            limit_ms: u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
            elapsed_ms,
            over: elapsed > limit,
            slowest: report.slowest(SLOWEST_LISTED),
        });
        report
    }

    fn result(&self, listed: &ListedTest, case: Option<&JunitCase>) -> TestResult {
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

    fn failure(&self, listed: &ListedTest, case: &JunitCase, result: &TestResult) -> Failure {
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

    fn timeout_message(&self) -> String {
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
    fn project_relative(&self, location: Location) -> Location {
        let absolute = self.workspace.root.join(&location.path);
        Location {
            path: self.project.display_path(&absolute),
            ..location
        }
    }

    fn target_path(&self, listed: &ListedTest) -> Option<String> {
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
    fn replay_test(&self, listed: &ListedTest) -> String {
        format!(
            "cargo commerce test --suite all --seed {} -E 'binary_id(={}) & test(={})'",
            self.seed, listed.binary_id, listed.name
        )
    }

    fn replay_run(&self) -> String {
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

    fn change(
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

/// This shard's tests when shards are balanced by `timings`, with the filterset that runs
/// exactly them (`None` when the slice is empty: nothing runs).
fn balanced_slice(
    tests: Vec<ListedTest>,
    shard: Shard,
    timings: &Report,
) -> (Vec<ListedTest>, Option<String>) {
    let ids: Vec<String> = tests
        .iter()
        .map(|test| TestResult::id_of(&test.binary_id, &test.name))
        .collect();
    let mine: Vec<ListedTest> = tests
        .into_iter()
        .zip(balanced_share(&ids, shard, timings))
        .filter(|(_, mine)| *mine)
        .map(|(test, _)| test)
        .collect();
    let mut by_binary: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for test in mine.iter().filter(|test| !test.ignored) {
        by_binary
            .entry(&test.binary_id)
            .or_default()
            .push(format!("test(={})", test.name));
    }
    let filterset = (!by_binary.is_empty()).then(|| {
        by_binary
            .iter()
            .map(|(binary, tests)| format!("(binary_id(={binary}) & ({}))", tests.join(" | ")))
            .collect::<Vec<_>>()
            .join(" | ")
    });
    (mine, filterset)
}

/// Which of the tests `ids` are this shard's when shards are balanced by the durations of
/// `timings`.
fn balanced_share(ids: &[String], shard: Shard, timings: &Report) -> Vec<bool> {
    let durations: BTreeMap<&str, f64> = timings
        .tests
        .iter()
        .filter(|test| !matches!(test.status, Status::Skipped | Status::NotRun))
        .map(|test| (test.id.as_str(), test.duration_ms))
        .collect();
    let keyed: Vec<(&str, Option<f64>)> = ids
        .iter()
        .map(|id| (id.as_str(), durations.get(id.as_str()).copied()))
        .collect();
    crate::shard::balance(&keyed, shard.total)
        .into_iter()
        .map(|assigned| assigned + 1 == shard.index)
        .collect()
}

/// Whether the fallback runs `binary` for a `--changed` selection.
fn selects(selection: &Selection, binary: &libtest::TestBinary) -> bool {
    match &selection.scope {
        Scope::Everything { .. } => true,
        Scope::Nothing => false,
        Scope::Tests { packages, targets } => {
            packages.contains_key(&binary.package)
                || targets.iter().any(|target| {
                    target.package == binary.package
                        && target.kind == binary.kind
                        && target.target == binary.target
                })
        }
    }
}

fn attempt_message(attempt: &junit::Attempt) -> String {
    let output = [attempt.text.as_str(), &attempt.stdout, &attempt.stderr].join("\n");
    failure::parse_panic(&output)
        .map(|panic| panic.message)
        .filter(|message| !message.is_empty())
        .unwrap_or_else(|| attempt.kind.clone())
}

/// Each failure gets the part of the change's diff inside its test's package.
fn attach_diffs(report: &mut Report, workspace: &Workspace, project_root: &Path) {
    let Some(diff) = report
        .change
        .as_ref()
        .and_then(|change| change.diff.clone())
    else {
        return;
    };
    let packages: BTreeMap<&str, &str> = report
        .tests
        .iter()
        .map(|test| (test.id.as_str(), test.package.as_str()))
        .collect();
    for failure in &mut report.failures {
        let Some(member) = packages
            .get(failure.test.as_str())
            .and_then(|package| workspace.packages.get(*package))
        else {
            continue;
        };
        let absolute = workspace.root.join(&member.dir);
        let prefix = absolute
            .strip_prefix(project_root)
            .unwrap_or(&absolute)
            .to_string_lossy()
            .replace('\\', "/");
        let sections: Vec<&str> = diff_sections(&diff)
            .filter(|(path, _)| prefix.is_empty() || path.starts_with(&format!("{prefix}/")))
            .map(|(_, section)| section)
            .collect();
        if !sections.is_empty() {
            failure.diff = Some(sections.concat());
        }
    }
}

/// `git diff` output split per file: (path, the file's section).
fn diff_sections(diff: &str) -> impl Iterator<Item = (&str, &str)> {
    let starts: Vec<usize> = diff
        .match_indices("diff --git a/")
        .map(|(index, _)| index)
        .filter(|index| *index == 0 || diff.as_bytes()[index - 1] == b'\n')
        .collect();
    let ends: Vec<usize> = starts.iter().skip(1).copied().chain([diff.len()]).collect();
    starts.into_iter().zip(ends).map(move |(start, end)| {
        let section = &diff[start..end];
        let path = section["diff --git a/".len()..]
            .split(" b/")
            .next()
            .unwrap_or_default();
        (path, section)
    })
}

/// The change under test: the working tree against `base` (its merge base with HEAD); `None`
/// outside git.
fn git_diff(root: &Path, base: &str) -> Option<String> {
    let diff = commerce_project::diff_since_fork(root, base).ok()?;
    Some(truncate_end(&diff, MAX_DIFF_BYTES))
}

/// Filtersets joined with `&`, each in parentheses; `None` when there is none.
fn combine(parts: &[Option<&str>]) -> Option<String> {
    let parts: Vec<String> = parts
        .iter()
        .flatten()
        .map(|part| format!("({part})"))
        .collect();
    match parts.len() {
        0 => None,
        1 => parts
            .into_iter()
            .next()
            .map(|part| part[1..part.len() - 1].to_owned()),
        _ => Some(parts.join(" & ")),
    }
}

fn truncate_end(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let end = text.floor_char_boundary(max);
    format!("{}\n[… cut at {max} bytes]\n", &text[..end])
}

/// Keeps the start (what the test printed first) and the end (the panic) of long output.
fn truncate_middle(text: &str, max: usize) -> String {
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

fn cargo_program() -> PathBuf {
    std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from)
}

/// A seed that differs per run: std's randomly keyed hasher over the clock.
fn random_seed() -> u64 {
    RandomState::new().hash_one(SystemTime::now()) % 1_000_000_000
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filtersets_combine_with_and() {
        assert_eq!(combine(&[None, None]), None);
        assert_eq!(
            combine(&[Some("kind(lib) | kind(bin)"), None]).as_deref(),
            Some("kind(lib) | kind(bin)")
        );
        assert_eq!(
            combine(&[Some("kind(lib) | kind(bin)"), Some("package(=a)")]).as_deref(),
            Some("(kind(lib) | kind(bin)) & (package(=a))")
        );
    }

    #[test]
    fn diffs_split_per_file() {
        let diff = "diff --git a/crates/a/src/lib.rs b/crates/a/src/lib.rs\n-a\n+b\ndiff --git a/README.md b/README.md\n+x\n";
        let sections: Vec<(&str, &str)> = diff_sections(diff).collect();
        assert_eq!(sections.len(), 2);
        assert_eq!(sections[0].0, "crates/a/src/lib.rs");
        assert_eq!(
            sections[1],
            ("README.md", "diff --git a/README.md b/README.md\n+x\n")
        );
    }

    #[test]
    fn long_output_keeps_its_start_and_end() {
        let text = format!("start{}end", "x".repeat(1000));
        let cut = truncate_middle(&text, 100);
        assert!(cut.starts_with("start"));
        assert!(cut.ends_with("end"));
        assert!(cut.len() < 200);
        assert_eq!(truncate_end("short", 10), "short");
    }

    #[test]
    fn seeds_vary_between_runs() {
        let seeds: std::collections::BTreeSet<u64> = (0..8).map(|_| random_seed()).collect();
        assert!(seeds.len() > 1);
    }
}
