//! `cargo commerce test`: run a suite (or what a change reaches), report, gate.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use commerce_diagnostics::render::github;
use commerce_runner::report::{self, Report};
use commerce_runner::shard::Shard;
use commerce_runner::{
    CancelToken, Changes, RunnerChoice, TestRequest, TestRun, changed, run_tests,
};

use super::{CliError, load_project};
use crate::Exit;
use crate::cli::{CheckArgs, Cli, OutputFormat};
use crate::output;

#[derive(Debug, Args)]
pub struct TestArgs {
    /// The suite from commerce.toml (default: `fast`; `all` runs every test).
    #[arg(long, value_name = "NAME")]
    pub suite: Option<String>,

    /// Only tests matching this nextest filterset as well, e.g. `test(/^cart::/)`.
    #[arg(short = 'E', long = "filterset", value_name = "EXPR")]
    pub filterset: Option<String>,

    /// Only the tests the changes since the merge base with --base can reach.
    #[arg(long)]
    pub changed: bool,

    /// The base for --changed (default: origin/main, main, origin/master or master, whichever
    /// exists first; else HEAD).
    #[arg(long, value_name = "REF", requires = "changed")]
    pub base: Option<String>,

    /// Also run everything when a file matching this glob changes (with --changed; added to
    /// Cargo.lock, Cargo.toml, build.rs, .config/, .cargo/, commerce.toml, rust-toolchain).
    #[arg(long = "trigger", value_name = "GLOB", requires = "changed")]
    pub triggers: Vec<String>,

    /// Run shard K of N (nextest's `--partition count:K/N`).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,

    /// Balance --shard by the test durations of this earlier report.json instead of by count.
    #[arg(long, value_name = "FILE", requires = "shard")]
    pub shard_timings: Option<PathBuf>,

    /// Exported to every test as COMMERCE_SEED (default: random, printed in the report).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Retry failed tests up to N times; a test that passes on retry is reported as flaky.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retries: u32,

    /// Fail the run when a test is flaky.
    #[arg(long)]
    pub flaky_fails: bool,

    /// Kill a test that runs longer than this (e.g. `30s`, `2m`).
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub test_timeout: Option<Duration>,

    /// A previous report.json (e.g. the base branch's) to gate against.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Where the report files go (default: target/commerce).
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,

    /// Which program runs the tests.
    #[arg(long, value_enum, default_value_t = RunnerArg::Auto)]
    pub runner: RunnerArg,

    /// Hide cargo's and nextest's progress.
    #[arg(short, long)]
    pub quiet: bool,

    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunnerArg {
    Auto,
    Nextest,
    CargoTest,
}

fn duration(text: &str) -> Result<Duration, String> {
    commerce_project::parse_duration(text).map_err(|error| error.to_string())
}

pub fn run(cli: &Cli, args: &TestArgs) -> Result<Exit, CliError> {
    let project = load_project(cli)?;
    let request = TestRequest {
        suite: args.suite.clone(),
        filterset: args.filterset.clone(),
        changes: args.changed.then(|| {
            Changes::SinceBase(
                args.base
                    .clone()
                    .unwrap_or_else(|| changed::default_base(project.root())),
            )
        }),
        triggers: Some(changed::Triggers::defaults_and(&args.triggers)?),
        shard: args.shard,
        shard_timings: args.shard_timings.clone(),
        seed: args.seed,
        retries: args.retries,
        test_timeout: args.test_timeout,
        report_dir: args.report_dir.clone(),
        baseline: args.baseline.clone(),
        flaky_fails: args.flaky_fails,
        runner: match args.runner {
            RunnerArg::Auto => RunnerChoice::Auto,
            RunnerArg::Nextest => RunnerChoice::Nextest,
            RunnerArg::CargoTest => RunnerChoice::CargoTest,
        },
        echo: !args.quiet,
        load: true,
        ..TestRequest::default()
    };
    let run = run_tests(&project, &request, &interrupt_token())?;
    if args.format == OutputFormat::Human
        && let Some(analysis) = &run.analysis
    {
        output::print_changed_findings(analysis, output::use_color(cli.color));
    }
    print_run(&run, args.format, &project);
    Ok(exit(&run.report))
}

/// `check`'s test step: the default suite (only what `--base` changes reach, when given), with
/// the analyzers' findings for the `analyzer`, `contract-drift` and `render` gates, judged
/// against `--baseline`. The human format prints the test summary after the diagnostics;
/// machine formats keep stdout to the one document `check` printed, and the test findings are
/// in the report directory.
pub fn run_fast_pack(
    project: &commerce_project::Project,
    analysis: &commerce_analysis::CheckResult,
    args: &CheckArgs,
) -> Result<Exit, CliError> {
    let format = args.format;
    let human = format == OutputFormat::Human;
    let request = TestRequest {
        changes: args
            .base
            .as_ref()
            .map(|base| Changes::SinceBase(base.clone())),
        baseline: args.baseline.clone(),
        report_dir: args.report_dir.clone(),
        analysis: Some(report::Findings::of(analysis)),
        echo: human,
        load: true,
        ..TestRequest::default()
    };
    let run = match run_tests(project, &request, &interrupt_token()) {
        Err(commerce_runner::RunnerError::NoCargoManifest { .. }) => {
            output::note("no Cargo.toml at the project root: no Rust tests to run");
            return Ok(Exit::Clean);
        }
        other => other?,
    };
    if human {
        println!();
        print_run(&run, format, project);
    } else {
        for notice in &run.notices {
            output::warning(&notice.to_string());
        }
    }
    Ok(exit(&run.report))
}

/// Cancelled by Ctrl-C; without a handler (one is already installed) Ctrl-C still stops
/// everything, only without a partial report.
pub fn interrupt_token() -> CancelToken {
    CancelToken::on_ctrl_c().unwrap_or_else(|error| {
        output::note(&format!("Ctrl-C will not write a partial report: {error}"));
        CancelToken::new()
    })
}

pub fn exit(report: &Report) -> Exit {
    if report.passed() {
        Exit::Clean
    } else {
        Exit::Findings
    }
}

pub fn print_run(run: &TestRun, format: OutputFormat, project: &commerce_project::Project) {
    for notice in &run.notices {
        output::warning(&notice.to_string());
    }
    print_report(&run.report, format, project);
    if format == OutputFormat::Human {
        output::note(&format!(
            "report: {} (and report.json, report.md, junit.xml, report.sarif, metrics.prom)",
            run.report_dir.join("report.html").display()
        ));
    }
}

pub fn print_report(report: &Report, format: OutputFormat, project: &commerce_project::Project) {
    match format {
        OutputFormat::Human => print!("{}", report::render_terminal(report)),
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        ),
        OutputFormat::Sarif => println!(
            "{}",
            serde_json::to_string_pretty(&report::render_sarif(report, project.root()))
                .unwrap_or_default()
        ),
        OutputFormat::Github => {
            let (diagnostics, sources) = report::sarif_diagnostics(report, project.root());
            print!("{}", github::render(&diagnostics, &sources));
        }
    }
}
