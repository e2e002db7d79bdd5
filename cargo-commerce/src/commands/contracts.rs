//! `cargo commerce contracts diff BASE HEAD`: the breaking changes between two versions of an
//! OpenAPI description, as oasdiff's checks; `cargo commerce contracts routes`: the axum routes of the
//! code against the project's specs.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use commerce_analysis::Analysis;
use commerce_analysis::contracts::{
    DEFAULT_MAX_SPEC_BYTES, HttpExchange, HttpOptions, Level, SourceReader, SpecSource, TestFlags,
    TestTarget,
};
use commerce_diagnostics::{Diagnostic, Severity};
use commerce_project::OsFs;

use super::{CliError, load_project};
use crate::Exit;
use crate::cli::{Cli, FailOn, OutputFormat};
use crate::output;

#[derive(Debug, Args)]
pub struct ContractsArgs {
    #[command(subcommand)]
    pub command: ContractsCommand,
}

#[derive(Debug, Subcommand)]
pub enum ContractsCommand {
    /// Compare two versions of an OpenAPI spec and report what changed, by oasdiff's checks.
    Diff(DiffArgs),
    /// Call every operation of a spec on a running service (valid requests from its examples
    /// and schemas, and invalid ones it must refuse with a declared 4xx) and check the responses.
    Test(TestArgs),
    /// The axum routes of the code (`[contracts] routes`) against the specs of commerce.toml.
    Routes(RoutesArgs),
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// The spec: a path, or `git:REF:path`.
    #[arg(long)]
    pub spec: String,
    /// Where the service listens, e.g. `http://127.0.0.1:3000` or
    /// `https://staging.example.com/api`; default: `test_base_url` under [contracts] in
    /// commerce.toml.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// A PEM file of the CA certificates that verify an https service, in place of the
    /// system's roots (which also read SSL_CERT_FILE and SSL_CERT_DIR).
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// A header sent with every request, `Name: value` (repeatable); overrides the
    /// `test_headers` entry of the same name.
    #[arg(long = "header", value_name = "HEADER", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,
    /// Send `Authorization: Bearer <token>` with the token read from this environment variable;
    /// default: `test_bearer_env` under [contracts].
    #[arg(long, value_name = "VAR")]
    pub bearer_env: Option<String>,
    /// Seconds to wait for each response.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .filter(|(name, _)| !name.trim().is_empty())
        .ok_or_else(|| format!("`{text}` is not a header; write it as `Name: value`"))?;
    Ok((name.trim().to_owned(), value.trim().to_owned()))
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old spec: a path, or `git:REF:path` (e.g. `git:origin/main:openapi.yaml`).
    pub base: String,
    /// The new spec: a path, or `git:REF:path`.
    pub head: String,
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// The lowest oasdiff level that fails the run: ERR (breaking), WARN or INFO.
    #[arg(long, value_name = "LEVEL", default_value = "ERR", value_parser = parse_level)]
    pub fail_on: Level,
}

#[derive(Debug, Args)]
pub struct RoutesArgs {
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// The lowest severity that fails the run.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    pub fail_on: FailOn,
}

fn parse_level(text: &str) -> Result<Level, String> {
    Level::parse(text).ok_or_else(|| format!("`{text}` is not a level; use ERR, WARN or INFO"))
}

pub fn run(cli: &Cli, args: &ContractsArgs) -> Result<Exit, CliError> {
    match &args.command {
        ContractsCommand::Diff(diff) => run_diff(cli, diff),
        ContractsCommand::Test(test) => run_test(cli, test),
        ContractsCommand::Routes(routes) => run_routes(cli, routes),
    }
}

fn run_test(cli: &Cli, args: &TestArgs) -> Result<Exit, CliError> {
    let started = Instant::now();
    let project = load_project(cli)?;
    let analysis = Analysis::new(&project)?;
    let flags = TestFlags {
        base_url: args.base_url.clone(),
        headers: args.headers.clone(),
        bearer_env: args.bearer_env.clone(),
    };
    let target = TestTarget::resolve(&project.config().contracts, flags, &|variable| {
        std::env::var(variable).ok()
    })
    .map_err(|error| CliError::ContractsSetup(error.to_string()))?;
    // The spec is named from where the command runs, as in `contracts diff`.
    let root = match &cli.project {
        Some(dir) => dir.clone(),
        None => std::env::current_dir().map_err(CliError::CurrentDir)?,
    };
    let reader = SourceReader {
        fs: &OsFs,
        root: &root,
        max_bytes: DEFAULT_MAX_SPEC_BYTES,
    };
    let loaded = commerce_analysis::contracts::load(&reader, &SpecSource::parse(&args.spec))?;
    let http = HttpOptions {
        timeout: Duration::from_secs(args.timeout),
        // Named from where the command runs, like the spec.
        ca_file: args.cacert.as_ref().map(|path| root.join(path)),
    };
    let mut exchange = HttpExchange::new(&target.base_url, &http)
        .map_err(|error| CliError::ContractsSetup(error.to_string()))?;
    let tested = analysis.contract_test(&loaded, &mut exchange, &target.options);
    if args.format == OutputFormat::Human {
        output::note(&format!(
            "{} request(s) sent to {}",
            tested.requests, target.base_url
        ));
    }
    let documents = loaded.spec.documents.len();
    output::print_findings(
        cli,
        args.format,
        &analysis,
        &tested.findings,
        documents,
        started,
    );
    Ok(if tested.findings.diagnostics.is_empty() {
        Exit::Clean
    } else {
        Exit::Findings
    })
}

fn run_diff(cli: &Cli, args: &DiffArgs) -> Result<Exit, CliError> {
    let started = Instant::now();
    let root = match &cli.project {
        Some(dir) => dir.clone(),
        None => std::env::current_dir().map_err(CliError::CurrentDir)?,
    };
    // `[rules]` and suppressions of the project the command runs in, as for `check`.
    let analysis = Analysis::new(&commerce_project::Project::discover(&root)?)?;
    let reader = SourceReader {
        fs: &OsFs,
        root: &root,
        max_bytes: DEFAULT_MAX_SPEC_BYTES,
    };
    let diffed = analysis.contracts_diff(
        &reader,
        &SpecSource::parse(&args.base),
        &SpecSource::parse(&args.head),
    )?;
    output::print_findings(
        cli,
        args.format,
        &analysis,
        &diffed.findings,
        diffed.documents,
        started,
    );
    let failing = diffed
        .findings
        .diagnostics
        .iter()
        .any(|diagnostic| level_of(diagnostic) >= args.fail_on);
    Ok(if failing { Exit::Findings } else { Exit::Clean })
}

/// `cargo commerce contracts routes`: the routes `[contracts] routes` serves, against
/// `[contracts] specs`.
fn run_routes(cli: &Cli, args: &RoutesArgs) -> Result<Exit, CliError> {
    let started = Instant::now();
    let project = load_project(cli)?;
    let analysis = Analysis::new(&project)?;
    let config = &project.config().contracts;
    if config.routes.is_empty() || config.specs.is_empty() {
        output::note(
            "set `specs` and `routes` under [contracts] in commerce.toml to compare routes with the spec",
        );
    }
    let checked = analysis.contracts_routes(&project, &OsFs);
    if args.format == OutputFormat::Human {
        output::note(&format!("{} route(s) found in code", checked.routes.len()));
    }
    let files = checked.findings.sources.len();
    output::print_findings(
        cli,
        args.format,
        &analysis,
        &checked.findings,
        files,
        started,
    );
    Ok(output::gate(&checked.findings.diagnostics, args.fail_on))
}

/// A finding's oasdiff level (`data.level`); a spec problem's (`contracts/invalid-spec`)
/// follows its severity.
fn level_of(diagnostic: &Diagnostic) -> Level {
    let written = diagnostic
        .data
        .get("level")
        .and_then(serde_json::Value::as_str)
        .and_then(Level::parse);
    written.unwrap_or(match diagnostic.severity {
        Severity::Error => Level::Err,
        Severity::Warning => Level::Warn,
        Severity::Info => Level::Info,
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use commerce_diagnostics::TextRange;

    use super::*;
    use crate::cli::Command;

    fn diff_args(args: &[&str]) -> DiffArgs {
        let cli = Cli::parse_from(["cargo-commerce", "contracts", "diff"].iter().chain(args));
        let Command::Contracts(ContractsArgs {
            command: ContractsCommand::Diff(diff),
        }) = cli.command
        else {
            panic!("expected contracts diff");
        };
        diff
    }

    #[test]
    fn diff_takes_two_sources_a_format_and_an_oasdiff_level() {
        let args = diff_args(&[
            "git:origin/main:openapi.yaml",
            "openapi.yaml",
            "--fail-on",
            "WARN",
            "--format",
            "json",
        ]);
        assert_eq!(args.base, "git:origin/main:openapi.yaml");
        assert_eq!(args.head, "openapi.yaml");
        assert_eq!(args.fail_on, Level::Warn);
        assert_eq!(args.format, OutputFormat::Json);
        assert_eq!(diff_args(&["a", "b"]).fail_on, Level::Err);
        assert_eq!(
            diff_args(&["a", "b", "--fail-on", "info"]).fail_on,
            Level::Info
        );
        let error = Cli::try_parse_from([
            "cargo-commerce",
            "contracts",
            "diff",
            "a",
            "b",
            "--fail-on",
            "LOUD",
        ])
        .expect_err("not a level");
        assert!(
            error.to_string().contains("use ERR, WARN or INFO"),
            "{error}"
        );
    }

    #[test]
    fn test_headers_are_name_value_pairs() {
        assert_eq!(
            parse_header("X-Api-Key:  k1 "),
            Ok(("X-Api-Key".to_owned(), "k1".to_owned()))
        );
        assert!(parse_header("no colon").is_err());
        assert!(parse_header(": value").is_err());
    }

    #[test]
    fn the_gate_reads_oasdiff_levels_and_falls_back_to_severity() {
        let finding = Diagnostic::new(
            "contracts/response-optional-property-removed",
            Severity::Warning,
            "openapi.yaml",
            TextRange::default(),
            "m",
        )
        .with_data("level", "warning");
        assert_eq!(level_of(&finding), Level::Warn);
        let spec_problem = Diagnostic::new(
            "contracts/invalid-spec",
            Severity::Error,
            "openapi.yaml",
            TextRange::default(),
            "m",
        );
        assert_eq!(level_of(&spec_problem), Level::Err);
    }
}
