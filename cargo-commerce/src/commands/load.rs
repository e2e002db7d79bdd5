//! `cargo commerce load`: short fixed-rate bursts against the app (the configured
//! `[load.scenarios.<name>]`, or one endpoint from flags), their percentiles and thresholds.

use std::time::Duration;

use clap::Args;
use commerce_load::{LoadReport, render_table};
use commerce_runner::load::{Endpoint, LoadRequest, run_load};

use super::test::interrupt_token;
use super::{CliError, load_project};
use crate::Exit;
use crate::cli::{Cli, ListFormat};
use crate::output;

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// The app's base URL (default: `[load] base_url`, else http://127.0.0.1:3000). Loopback
    /// only unless --allow-remote.
    pub url: Option<String>,

    /// Load this one endpoint instead of the configured scenarios.
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,

    /// The endpoint's method.
    #[arg(long, default_value = "GET", requires = "path")]
    pub method: String,

    /// Requests per second (default 50).
    #[arg(long, requires = "path")]
    pub rate: Option<f64>,

    /// How long to measure (default 5s).
    #[arg(long, value_name = "DURATION", value_parser = duration, requires = "path")]
    pub duration: Option<Duration>,

    /// The cold burst before it, reported apart (default 1s; 0s for none).
    #[arg(long, value_name = "DURATION", value_parser = duration, requires = "path")]
    pub warmup: Option<Duration>,

    /// Keep-alive connections (default 8).
    #[arg(long, requires = "path")]
    pub connections: Option<u32>,

    /// Fail (exit 1) when the warm p95 is over this many milliseconds.
    #[arg(long, value_name = "MS", requires = "path")]
    pub p95_ms: Option<f64>,

    /// A configured scenario to run (repeatable; default: every one).
    #[arg(long = "scenario", value_name = "NAME", conflicts_with = "path")]
    pub scenarios: Vec<String>,

    /// Start the app with `[load] start` first (ready when `[load] healthz` answers) and
    /// stop it after.
    #[arg(long)]
    pub start: bool,

    /// Allow a base URL that is not a loopback address.
    #[arg(long)]
    pub allow_remote: bool,

    /// Seeds `${rand:…}` in request templates.
    #[arg(long)]
    pub seed: Option<u64>,

    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

fn duration(text: &str) -> Result<Duration, String> {
    commerce_project::parse_duration(text).map_err(|error| error.to_string())
}

pub fn run(cli: &Cli, args: &LoadArgs) -> Result<Exit, CliError> {
    let project = load_project(cli)?;
    let request = LoadRequest {
        base_url: args.url.clone(),
        scenarios: args.scenarios.clone(),
        endpoint: args.path.as_ref().map(|path| Endpoint {
            method: args.method.clone(),
            path: path.clone(),
            rate: args.rate,
            duration: args.duration,
            warmup: args.warmup,
            connections: args.connections,
            p95_ms: args.p95_ms,
        }),
        allow_remote: args.allow_remote,
        start: args.start,
        seed: args.seed,
        log_dir: None,
    };
    let scenarios = run_load(
        &project.config().load,
        project.root(),
        &request,
        &interrupt_token(),
    )?;
    let failed = scenarios
        .iter()
        .any(|scenario| !scenario.threshold_failures().is_empty());
    match args.format {
        ListFormat::Human => print!("{}", render_table(&scenarios)),
        ListFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&LoadReport::new(scenarios)).unwrap_or_default()
        ),
    }
    if failed {
        output::note("a load scenario is over its thresholds (or measured nothing)");
        Ok(Exit::Findings)
    } else {
        Ok(Exit::Clean)
    }
}
