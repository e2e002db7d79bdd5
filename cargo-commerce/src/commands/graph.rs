//! `cargo commerce graph`: the frontend's import graph (DESIGN §5 JSON, Graphviz dot, Mermaid),
//! and `cargo commerce routes`: the frontend's routes with their status.

use std::sync::Arc;

use clap::{Args, ValueEnum};
use commerce_project::{FileSystem, OsFs};

use super::{CliError, load_project};
use crate::Exit;
use crate::cli::Cli;

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
    let report = frontend_report(cli)?;
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

/// `cargo commerce routes`: every route with its status; exits 1 when one fails.
pub fn routes(cli: &Cli) -> Result<Exit, CliError> {
    let report = frontend_report(cli)?;
    print!("{}", commerce_frontend::routes_table(&report.routes));
    Ok(
        if report.routes.iter().all(commerce_frontend::Route::is_ok) {
            Exit::Clean
        } else {
            Exit::Findings
        },
    )
}

fn frontend_report(cli: &Cli) -> Result<commerce_frontend::FrontendReport, CliError> {
    let project = load_project(cli)?;
    let fs: Arc<dyn FileSystem> = Arc::new(OsFs);
    let files = commerce_project::inventory(fs.as_ref(), project.root(), &[]).files;
    Ok(commerce_frontend::check_project(
        fs,
        project.root(),
        &files,
        &project.config().frontend,
    ))
}
