//! Runs the frontend analysis over a directory, until the CLI has a `graph` command.
//!
//! ```text
//! cargo run --release -p commerce_frontend --example graph -- <dir> [--format F] [--tsconfig P] [--root R]...
//! ```
//!
//! `--format`: `json` (the graph, DESIGN §5), `dot`, `mermaid`, `check` (the diagnostics as
//! JSON), or `summary` (default: timings, counts, every strongly connected component and every
//! unresolved import, as JSON for `bench/frontend`).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use commerce_frontend::{FrontendReport, check_project, display_path};
use commerce_project::{FileSystem, FrontendConfig, OsFs};
use serde_json::json;

// The allocator of `cargo-commerce`, so the bench measures what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Options {
    dir: PathBuf,
    format: String,
    config: FrontendConfig,
}

fn parse_options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut format = "summary".to_owned();
    let mut config = FrontendConfig::default();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--format" => format = value("--format")?,
            "--tsconfig" => config.tsconfig = Some(value("--tsconfig")?),
            "--root" => config.roots.push(value("--root")?),
            other if other.starts_with("--") => return Err(format!("unknown option {other}")),
            other => dir = Some(PathBuf::from(other)),
        }
    }
    let dir = dir.ok_or(
        "usage: graph <dir> [--format json|dot|mermaid|check|summary] [--tsconfig P] [--root R]",
    )?;
    Ok(Options {
        dir: std::path::absolute(&dir).map_err(|error| format!("{}: {error}", dir.display()))?,
        format,
        config,
    })
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let options = parse_options()?;
    let started = Instant::now();
    let listing = OsFs.walk(&options.dir).map_err(|error| error.to_string())?;
    let files: Vec<PathBuf> = listing
        .files
        .iter()
        .filter_map(|path| path.strip_prefix(&options.dir).ok().map(Path::to_path_buf))
        .collect();
    let listed = started.elapsed();
    let report = check_project(Arc::new(OsFs), &options.dir, &files, &options.config);
    let elapsed = started.elapsed();
    let output = match options.format.as_str() {
        "json" => report.graph.to_json().to_string(),
        "dot" => report.graph.to_dot(),
        "mermaid" => report.graph.to_mermaid(),
        "check" => serde_json::to_string(&report.diagnostics).map_err(|error| error.to_string())?,
        "summary" => summary(&report, listed.as_secs_f64(), elapsed.as_secs_f64()).to_string(),
        other => return Err(format!("unknown format {other}")),
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{output}").map_err(|error| error.to_string())
}

fn summary(report: &FrontendReport, listed: f64, elapsed: f64) -> serde_json::Value {
    let components = |runtime_only| -> Vec<Vec<String>> {
        report
            .graph
            .strongly_connected_components(runtime_only)
            .into_iter()
            .map(|component| component.into_iter().map(display_path).collect())
            .collect()
    };
    let mut rules: BTreeMap<&str, usize> = BTreeMap::new();
    for diagnostic in &report.diagnostics {
        *rules.entry(diagnostic.rule.as_str()).or_default() += 1;
    }
    let findings = |rule: &str, key: &str| -> Vec<serde_json::Value> {
        report
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.rule == rule)
            .map(|diagnostic| {
                json!({
                    "file": display_path(&diagnostic.path),
                    key: diagnostic.data.get("specifier").cloned().unwrap_or_else(|| json!(diagnostic.message)),
                })
            })
            .collect()
    };
    json!({
        "files_analyzed": report.files_analyzed,
        "nodes": report.graph.node_count(),
        "edges": report.graph.edges().count(),
        "list_seconds": listed,
        "elapsed_seconds": elapsed,
        "rules": rules,
        "runtime_components": components(true),
        "all_components": components(false),
        "unresolved": findings("frontend/unresolved-import", "specifier"),
        "missing_exports": findings("frontend/missing-export", "message"),
        "skipped": report.skipped.iter().map(|file| display_path(&file.path)).collect::<Vec<_>>(),
    })
}
