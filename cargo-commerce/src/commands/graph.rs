//! `cargo commerce graph`: the frontend's import graph (DESIGN §5 JSON, Graphviz dot, Mermaid),
//! and `cargo commerce routes`: the frontend's routes with their status.

use std::sync::Arc;
use std::time::Instant;

use clap::{Args, ValueEnum};
use commerce_diagnostics::render::Summary;
use commerce_diagnostics::{Diagnostic, RuleRegistry};
use commerce_project::{FileSystem, OsFs, Project};

use super::contracts::RoutesArgs;
use super::{CliError, load_project};
use crate::cli::{Cli, OutputFormat};
use crate::{Exit, output};

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[arg(long, value_enum, default_value_t = GraphFormat::Json)]
    pub format: GraphFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Json,
    Dot,
    Mermaid,
}

pub fn run(cli: &Cli, args: &GraphArgs) -> Result<Exit, CliError> {
    let (_, report) = frontend_report(cli)?;
    match args.format {
        GraphFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report.graph.to_json()).unwrap_or_default()
        ),
        GraphFormat::Dot => print!("{}", report.graph.to_dot()),
        GraphFormat::Mermaid => print!("{}", report.graph.to_mermaid()),
    }
    Ok(Exit::Clean)
}

/// `cargo commerce routes`: every route with its status (the table, for people), or the route
/// rules' findings in the shared formats; exits 1 on a finding at or above `--fail-on`.
pub fn routes(cli: &Cli, args: &RoutesArgs) -> Result<Exit, CliError> {
    let started = Instant::now();
    let (project, report) = frontend_report(cli)?;
    let diagnostics: Vec<Diagnostic> = report
        .diagnostics
        .into_iter()
        .filter(|diagnostic| diagnostic.rule.starts_with(ROUTE_RULES))
        .collect();
    if args.format == OutputFormat::Human {
        print!("{}", commerce_frontend::routes_table(&report.routes));
    } else {
        let sources = output::sources_for(project.root(), &diagnostics);
        let summary = Summary::of(&diagnostics, sources.len(), started.elapsed());
        let rules = RuleRegistry::new(commerce_frontend::rules());
        output::print_diagnostics(cli, args.format, &diagnostics, &sources, &summary, &rules);
    }
    Ok(output::gate(&diagnostics, args.fail_on))
}

/// The prefix of the rules that judge routes (`frontend/route-missing-default-export`, …).
const ROUTE_RULES: &str = "frontend/route-";

fn frontend_report(cli: &Cli) -> Result<(Project, commerce_frontend::FrontendReport), CliError> {
    let project = load_project(cli)?;
    let fs: Arc<dyn FileSystem> = Arc::new(OsFs);
    let files = commerce_project::inventory(fs.as_ref(), project.root(), &[]).files;
    let report =
        commerce_frontend::check_project(fs, project.root(), &files, &project.config().frontend);
    Ok((project, report))
}
