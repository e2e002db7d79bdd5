//! The measuring side of `bench/migrations/run.py`: lints (and optionally round-trips) one
//! migrations directory and prints the findings and timings as one JSON object.
//!
//! ```text
//! cargo run --release -p commerce_migrations --example bench -- ROOT DIR [--repeat N] [--verify]
//! ```
//! `ROOT` is the project root, `DIR` the migrations directory under it. The lint runs `N`
//! times (default 20) and the fastest run is reported, so the figure is the lint's own cost
//! and not the machine's noise.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use commerce_diagnostics::LineIndex;
use commerce_migrations::{LintScope, PostgresServer, VerifyOptions, lint, verify};
use commerce_project::{FileSystem, MigrationsConfig, OsFs};
use serde_json::json;

struct Arguments {
    root: PathBuf,
    dir: String,
    repeat: usize,
    verify: bool,
}

fn arguments() -> Result<Arguments, String> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bench ROOT DIR [--repeat N] [--verify]";
    let root = PathBuf::from(args.next().ok_or(usage)?);
    let dir = args.next().ok_or(usage)?;
    let mut parsed = Arguments {
        root,
        dir,
        repeat: 20,
        verify: false,
    };
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--verify" => parsed.verify = true,
            "--repeat" => {
                parsed.repeat = args
                    .next()
                    .and_then(|count| count.parse().ok())
                    .filter(|count| *count > 0)
                    .ok_or("--repeat takes a positive count")?;
            }
            other => return Err(format!("unknown argument `{other}`; {usage}")),
        }
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let arguments = arguments()?;
    let config = MigrationsConfig {
        dir: arguments.dir.clone(),
        ..MigrationsConfig::default()
    };
    let mut fastest = Duration::MAX;
    let mut diagnostics = Vec::new();
    for _ in 0..arguments.repeat {
        let started = Instant::now();
        diagnostics = lint(&OsFs, &arguments.root, &config, &LintScope::default());
        fastest = fastest.min(started.elapsed());
    }
    let findings: Vec<_> = diagnostics
        .iter()
        .map(|diagnostic| {
            let text = OsFs
                .read_to_string(&arguments.root.join(&diagnostic.path))
                .unwrap_or_default();
            let range = LineIndex::new(&text).source_range(diagnostic.range);
            json!({
                "rule": diagnostic.rule,
                "path": diagnostic.path,
                "line": range.start.line,
                "column": range.start.column,
                "end_line": range.end.line,
                "end_column": range.end.column,
                "message": diagnostic.message,
            })
        })
        .collect();
    let mut report = json!({
        "lint_ms": fastest.as_secs_f64() * 1000.0,
        "lint_runs": arguments.repeat,
        "findings": findings,
    });
    if arguments.verify {
        report["verify"] = round_trip(&arguments, &config)?;
    }
    println!("{report}");
    Ok(())
}

fn round_trip(
    arguments: &Arguments,
    config: &MigrationsConfig,
) -> Result<serde_json::Value, String> {
    let started = Instant::now();
    let server = PostgresServer::from_env().map_err(|error| error.to_string())?;
    let server_ms = started.elapsed().as_secs_f64() * 1000.0;
    let options = VerifyOptions {
        all: true,
        ..VerifyOptions::default()
    };
    let report = verify(&OsFs, &arguments.root, config, &server, &options)
        .map_err(|error| error.to_string())?;
    let millis = |duration: Duration| duration.as_secs_f64() * 1000.0;
    let timings: Vec<_> = report
        .timings
        .iter()
        .map(|timing| {
            json!({
                "migration": timing.migration,
                "up_ms": millis(timing.up),
                "down_ms": timing.down.map(millis),
                "reup_ms": timing.reup.map(millis),
                "total_ms": millis(timing.total),
            })
        })
        .collect();
    let findings: Vec<_> = report
        .diagnostics
        .iter()
        .map(|diagnostic| json!({"rule": diagnostic.rule, "path": diagnostic.path, "message": diagnostic.message}))
        .collect();
    Ok(json!({"server_start_ms": server_ms, "timings": timings, "findings": findings}))
}
