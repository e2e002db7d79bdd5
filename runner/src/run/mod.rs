//! `cargo commerce test`: select, run on nextest (or the cargo test fallback), read the results
//! back, judge the gates and write the report.

mod assemble;
mod diff;
mod fallback;
mod request;

use std::hash::{BuildHasher, RandomState};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use commerce_analysis::Analyzer;
use commerce_project::Project;

pub use request::{Changes, Notice, RunnerChoice, TestRequest, TestRun};

use crate::cancel::CancelToken;
use crate::changed::{self, Scope, Selection};
use crate::depinfo::SourceMap;
use crate::doctest;
use crate::error::RunnerError;
use crate::gates::{self, GateInputs};
use crate::junit::{self, JunitCase};
use crate::libtest::{self, Slice, TestBinary};
use crate::nextest::{self, Invocation, ListedTest};
use crate::process::Ended;
use crate::report::{self, Findings, Report, RunnerKind};
use crate::suite::{self, Suite};
use crate::testkit::KitRun;
use crate::workspace::Workspace;
use diff::attach_diffs;
use fallback::balanced_slice;

/// How many of the slowest tests a budget warning lists.
const SLOWEST_LISTED: usize = 10;
/// Captured output per failure is cut here (the start and the end are kept).
const MAX_OUTPUT_BYTES: usize = 64 * 1024;

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
    let kit_events = kit.as_ref().map(KitRun::summary).unwrap_or_default();
    report.testkit = kit_events.summary;
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
    crate::load::add_bursts(&mut report.load, kit_events.bursts);
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
    fn seeds_vary_between_runs() {
        let seeds: std::collections::BTreeSet<u64> = (0..8).map(|_| random_seed()).collect();
        assert!(seeds.len() > 1);
    }
}
