//! `cargo commerce graph`: the frontend's import graph (DESIGN §5 JSON, Graphviz dot, Mermaid),
//! and `cargo commerce routes`: the frontend's routes with their status.

use std::sync::Arc;
use std::time::Instant;

use clap::{Args, ValueEnum};
use commerce_analysis::Analysis;
use commerce_project::{FileSystem, OsFs};

use super::{CliError, load_project};
use crate::cli::{Cli, FailOn, OutputFormat};
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
    let project = load_project(cli)?;
    let graph = commerce_analysis::frontend_graph(&project, Arc::new(OsFs));
    match args.format {
        GraphFormat::Json => {
            let json = serde_json::to_string_pretty(&graph.to_json()).map_err(CliError::Graph)?;
            println!("{json}");
        }
        GraphFormat::Dot => print!("{}", graph.to_dot()),
        GraphFormat::Mermaid => print!("{}", graph.to_mermaid()),
    }
    Ok(Exit::Clean)
}

#[derive(Debug, Args)]
pub struct FrontendRoutesArgs {
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// The lowest severity that fails the run.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    pub fail_on: FailOn,
    /// Render every page inside its layouts on Node with the app's own react-dom/server
    /// (development mode): thrown errors and React's console warnings become findings at the
    /// project line (`frontend/render-error`, `frontend/render-console-error`).
    #[arg(long)]
    pub render: bool,
}

/// `cargo commerce routes`: every route with its status (the table, for people), or the route
/// rules' findings in the shared formats, the JSON one with the route rows beside them; exits 1
/// on a finding at or above `--fail-on`.
pub fn routes(cli: &Cli, args: &FrontendRoutesArgs) -> Result<Exit, CliError> {
    let started = Instant::now();
    let project = load_project(cli)?;
    let analysis = Analysis::new(&project)?;
    let fs: Arc<dyn FileSystem> = Arc::new(OsFs);
    let checked = analysis.frontend_routes(&project, fs, args.render);
    for notice in &checked.notices {
        output::note(notice);
    }
    let findings = &checked.findings;
    if args.format == OutputFormat::Human {
        print!(
            "{}",
            commerce_analysis::frontend::routes_table(&checked.routes)
        );
    } else if args.format == OutputFormat::Json {
        let routes = commerce_analysis::frontend::routes_json(&checked.routes);
        output::print_findings_json_with(
            findings,
            findings.sources.len(),
            started,
            ("routes", routes),
        );
    } else {
        output::print_findings(
            cli,
            args.format,
            &analysis,
            findings,
            findings.sources.len(),
            started,
        );
    }
    Ok(output::gate(&findings.diagnostics, args.fail_on))
}
