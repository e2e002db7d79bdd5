//! What a run is asked for and what it gives back: the request, the changes it selects
//! from, the run's outcome and its notices.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use commerce_analysis::{Analysis, AnalysisError, Analyzer, CheckRequest, CheckResult};
use commerce_project::{ChangeStatus, ChangedFile, OsFs, Project};

use crate::changed::{Selection, Triggers};
use crate::report::{Findings, Report};
use crate::shard::Shard;

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
    pub(super) fn diff_base(&self) -> &str {
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
