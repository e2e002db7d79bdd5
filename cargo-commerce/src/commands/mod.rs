pub mod audit;
pub mod check;
pub mod contracts;
pub mod graph;
pub mod init;
pub mod load;
pub mod lsp;
pub mod migrations;
pub mod report;
pub mod rules;
pub mod stub;
pub mod test;
pub mod watch;

use std::path::PathBuf;

/// Everything that stops a command before it can report findings (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Project(#[from] commerce_project::ProjectError),
    #[error(transparent)]
    Analysis(#[from] commerce_analysis::AnalysisError),
    #[error(transparent)]
    Fix(#[from] commerce_codemods::FixError),
    #[error("unknown rule `{rule}`{}", match .suggestion { Some(s) => format!("\n  help: did you mean `{s}`?"), None => "\n  help: `cargo commerce rules` lists every rule".to_owned() })]
    UnknownRule {
        rule: String,
        suggestion: Option<&'static str>,
    },
    #[error("{path} already exists\n  help: pass --force to overwrite it")]
    ConfigExists { path: PathBuf },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Lsp(#[from] commerce_lsp::LspError),
    #[error(transparent)]
    Verify(#[from] commerce_analysis::migrations::VerifyError),
    #[error(transparent)]
    Contracts(#[from] commerce_analysis::contracts::LoadError),
    /// A contract test that cannot start (a bad base URL, a missing token variable).
    #[error("{0}")]
    ContractsSetup(String),
    #[error(transparent)]
    Runner(#[from] commerce_runner::RunnerError),
    #[error(transparent)]
    Load(#[from] commerce_runner::load::LoadError),
    #[error(transparent)]
    MailStub(#[from] commerce_testkit::stubs::mail::BindError),
    /// A stub that cannot start (its address taken, a bad seed) or watch for signals.
    #[error("{0}")]
    Stub(String),
    #[error("cannot determine the current directory: {0}")]
    CurrentDir(#[source] std::io::Error),
    #[error("cannot write the graph as JSON: {0}")]
    Graph(#[source] serde_json::Error),
}

/// The project named by `--project`, or found from the current directory.
pub fn load_project(cli: &crate::cli::Cli) -> Result<commerce_project::Project, CliError> {
    let project = match &cli.project {
        Some(dir) => commerce_project::Project::load(dir)?,
        None => {
            let cwd = std::env::current_dir().map_err(CliError::CurrentDir)?;
            commerce_project::Project::discover(&cwd)?
        }
    };
    Ok(project)
}
