//! `cargo commerce report merge`: shard reports into one report and one gate verdict.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use commerce_analysis::{Analysis, CheckRequest};
use commerce_project::OsFs;
use commerce_runner::gates::GateInputs;
use commerce_runner::{merge, report};

use super::test::{exit, print_report};
use super::{CliError, load_project};
use crate::Exit;
use crate::cli::{Cli, OutputFormat};
use crate::output;

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: ReportCommand,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Merge report.json files (one per shard) into one report and judge the gates on it.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The report.json files to merge.
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,

    /// Where the merged report files go (default: target/commerce under the project root).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// A previous report.json to gate against.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Fail when a test is flaky.
    #[arg(long)]
    pub flaky_fails: bool,

    /// Also run the analyzers on the project and judge the analyzer, contract-drift and render
    /// gates on their findings (test shards do not analyse).
    #[arg(long)]
    pub analyze: bool,

    /// With --analyze: only the files changed since the merge base with this ref, as
    /// `check --base` (contract drift is measured against it).
    #[arg(long, value_name = "REF", requires = "analyze")]
    pub base: Option<String>,

    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

pub fn run(cli: &Cli, args: &ReportArgs) -> Result<Exit, CliError> {
    match &args.command {
        ReportCommand::Merge(merge_args) => run_merge(cli, merge_args),
    }
}

fn run_merge(cli: &Cli, args: &MergeArgs) -> Result<Exit, CliError> {
    let project = load_project(cli)?;
    let reports = args
        .reports
        .iter()
        .map(|path| report::read(path))
        .collect::<Result<Vec<_>, _>>()?;
    let baseline = args.baseline.as_deref().map(report::read).transpose()?;
    let findings = if args.analyze {
        let request = CheckRequest {
            base: args.base.clone(),
            ..CheckRequest::default()
        };
        let result = Analysis::new(&project)?.check(&project, Arc::new(OsFs), &request)?;
        output::note_unavailable_analyzers(&result.analyzers);
        Some(report::Findings::of(&result))
    } else {
        None
    };
    let merged = merge::merge(
        reports,
        findings,
        GateInputs {
            config: &project.config().gates,
            baseline: baseline.as_ref(),
            flaky_fails: args.flaky_fails,
        },
    )?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| project.root().join("target").join("commerce"));
    report::write_all(&merged, &out, project.root())?;
    print_report(&merged, args.format, &project);
    if args.format == OutputFormat::Human {
        output::note(&format!(
            "merged {} reports into {}",
            args.reports.len(),
            out.display()
        ));
    }
    Ok(exit(&merged))
}
