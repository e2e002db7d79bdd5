//! `cargo commerce watch`: the affected analyzers and tests on every save, one status line
//! per run.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use commerce_runner::TestRequest;
use commerce_runner::watch::{WatchEvent, WatchOptions, watch};

use super::test::interrupt_token;
use super::{CliError, load_project};
use crate::Exit;
use crate::cli::Cli;
use crate::output;

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The suite from commerce.toml (default: `fast`; `all` runs every test).
    #[arg(long, value_name = "NAME")]
    pub suite: Option<String>,

    /// Exported to every test as COMMERCE_SEED (default: random per run).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Saves closer together than this many milliseconds are one change.
    #[arg(long, value_name = "MS", default_value_t = 300)]
    pub debounce_ms: u64,

    /// Serve /healthz and /metrics (the last run's Prometheus text) on this address, e.g.
    /// 127.0.0.1:9464.
    #[arg(long, value_name = "ADDR")]
    pub serve: Option<SocketAddr>,

    /// Where the report files go (default: target/commerce).
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
}

pub fn run(cli: &Cli, args: &WatchArgs) -> Result<Exit, CliError> {
    let project = load_project(cli)?;
    let options = WatchOptions {
        request: TestRequest {
            suite: args.suite.clone(),
            seed: args.seed,
            report_dir: args.report_dir.clone(),
            ..TestRequest::default()
        },
        debounce: Duration::from_millis(args.debounce_ms),
        serve: args.serve,
    };
    let color = output::use_color(cli.color);
    watch(&project, &options, &interrupt_token(), &mut |event| {
        status(&event, color);
    })?;
    Ok(Exit::Clean)
}

/// One line per event; the analyzers' findings in full, since they point at what was saved.
fn status(event: &WatchEvent, color: bool) {
    match event {
        WatchEvent::Ready { serving } => {
            let serving = serving
                .map(|address| format!("; metrics on http://{address}/metrics"))
                .unwrap_or_default();
            eprintln!("watching for changes (Ctrl-C stops){serving}");
        }
        WatchEvent::Changed { files } => {
            let shown: Vec<String> = files
                .iter()
                .take(3)
                .map(|file| file.display().to_string())
                .collect();
            let more = files.len().saturating_sub(shown.len());
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            eprintln!("changed: {}{more}; running", shown.join(", "));
        }
        WatchEvent::Analyzed(result) => output::print_changed_findings(result, color),
        WatchEvent::Cancelled => eprintln!("cancelled: a newer change came in"),
        WatchEvent::Finished(run) => {
            let report = &run.report;
            let summary = &report.summary;
            let verdict = if report.passed() { "PASS" } else { "FAIL" };
            let note = run
                .notices
                .iter()
                .map(|notice| format!(" ({notice})"))
                .next()
                .unwrap_or_default();
            eprintln!(
                "{verdict}: {} passed, {} failed, {} flaky in {:.1} s{note}",
                summary.passed,
                summary.failing(),
                summary.flaky,
                report.run.elapsed_ms as f64 / 1000.0
            );
            for failure in &report.failures {
                eprintln!(
                    "  {}: {}",
                    failure.test,
                    failure.message.lines().next().unwrap_or_default()
                );
                eprintln!("    replay: {}", failure.replay);
            }
        }
        WatchEvent::Failed(message) => output::warning(message),
    }
}
