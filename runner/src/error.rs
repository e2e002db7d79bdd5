//! Everything that stops a test run before it can report (the CLI's exit code 2).

use std::io;
use std::path::PathBuf;

use commerce_project::GitError;

/// Why the runner could not run or report. Messages say what is wrong, where, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error(
        "no Cargo workspace at {}: {message}\n  help: run inside a Cargo project, or pass --project DIR",
        dir.display()
    )]
    Metadata { dir: PathBuf, message: String },
    #[error(
        "no Cargo.toml at the project root {}, so there are no Rust tests to run\n  help: pass --project DIR for the directory with the workspace's Cargo.toml",
        dir.display()
    )]
    NoCargoManifest { dir: PathBuf },
    #[error("unknown suite `{name}`; commerce.toml defines: {known}{}", suggestion_help(.suggestion.as_deref()))]
    UnknownSuite {
        name: String,
        known: String,
        suggestion: Option<String>,
    },
    #[error(
        "suite `{suite}` has the tag `{tag}`, which is neither `unit`, `integration`, a nextest filterset (like `test(/^cart::/)`) nor a name prefix (letters, digits and `_`)"
    )]
    InvalidTag { suite: String, tag: String },
    #[error(transparent)]
    Analysis(#[from] commerce_analysis::AnalysisError),
    #[error("{0}\n  help: --changed needs git and a repository with at least one commit")]
    Git(#[from] GitError),
    #[error("cannot run `{program}`: {source}")]
    Spawn {
        program: String,
        #[source]
        source: io::Error,
    },
    #[error("`cargo nextest list` failed ({status}):\n{log}")]
    NextestList { status: String, log: String },
    #[error("`cargo nextest list` printed JSON this version cannot read: {0}")]
    NextestListJson(#[source] serde_json::Error),
    #[error(
        "cargo-nextest wrote no JUnit report ({status}): the build or the test run failed before any test finished{}",
        log_help(.log)
    )]
    NoJunit { status: String, log: String },
    #[error("cannot read the JUnit report {}: {message}", path.display())]
    Junit { path: PathBuf, message: String },
    #[error("`cargo test` could not build the tests ({status}):\n{log}")]
    CargoTestBuild { status: String, log: String },
    #[error(
        "`{command}` stopped ({status}) before running any test{}\n  help: run that command in the workspace to see all of its output",
        log_help(.log)
    )]
    Harness {
        command: String,
        status: String,
        log: String,
    },
    #[error(
        "{what} needs cargo-nextest, which is not installed\n  help: `cargo install --locked cargo-nextest`"
    )]
    NeedsNextest { what: String },
    #[error("cannot read the report {}: {message}\n  help: pass a report.json written by `cargo commerce test`", path.display())]
    Report { path: PathBuf, message: String },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("report merge needs at least one report")]
    NothingToMerge,
    #[error("cannot watch {}: {message}", path.display())]
    Watch { path: PathBuf, message: String },
    #[error(
        "cannot serve metrics on {address}: {source}\n  help: pick a free port, e.g. --serve 127.0.0.1:9464"
    )]
    Serve {
        address: std::net::SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("`{pattern}` is not a valid trigger glob: {message}")]
    InvalidTrigger { pattern: String, message: String },
}

fn suggestion_help(suggestion: Option<&str>) -> String {
    suggestion.map_or_else(String::new, |name| {
        format!("\n  help: did you mean `{name}`?")
    })
}

fn log_help(log: &str) -> String {
    if log.trim().is_empty() {
        "; its output is above".to_owned()
    } else {
        format!(":\n{log}")
    }
}
