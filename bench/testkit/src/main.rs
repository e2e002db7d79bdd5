//! Drives tests/setup.rs: copies a migration history, starts one ephemeral Postgres for both
//! sides, runs the test binary one test at a time under libtest's JSON output with
//! `--report-time` (all tests in one process, then the transaction mode and `#[sqlx::test]`
//! again with one process per test), and prints p50/p95 of each mode's per-test time and the
//! ratios.
//!
//! `cargo run --release -- <migrations dir> [mode]` (see README.md).

#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let source = PathBuf::from(std::env::args().nth(1).expect("usage: testkit_bench <migrations dir> [mode]"));
    // Only the modes whose name starts with this (`transaction`, `sqlx_test`, ...).
    let only = std::env::args().nth(2).unwrap_or_default();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scratch = root.join(".scratch/migrations");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let mut files = 0;
    for entry in std::fs::read_dir(&source).expect("the migrations dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|ext| ext == "sql") {
            std::fs::copy(&path, scratch.join(path.file_name().expect("name"))).expect("copies");
            files += 1;
        }
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let built = Command::new(&cargo)
        .args(["test", "--release", "--test", "setup", "--no-run", "--message-format", "json"])
        .current_dir(root)
        .output()
        .expect("cargo test --no-run");
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let binary = String::from_utf8_lossy(&built.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["target"]["kind"][0] == "test")
        .find_map(|message| message["executable"].as_str().map(str::to_owned))
        .expect("the test binary");

    let binaries = commerce_pg::Binaries::find().unwrap_or_else(|error| panic!("{error}"));
    let cluster = commerce_pg::Cluster::start(&binaries).unwrap_or_else(|error| panic!("{error}"));
    let url = cluster.url("postgres");
    let mut times: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut failed = Vec::new();
    // Every test in one process, as `cargo test` runs them: the process's first test pays for
    // finding the server and the migrations; the others reuse what it found.
    for (name, time) in run(&binary, &url, &[only.as_str()], &mut failed) {
        times.entry(name.split("::").next().unwrap_or_default().to_owned()).or_default().push(time);
    }
    // One process per test, as nextest runs them: every test pays the process's first setup.
    let names = String::from_utf8_lossy(
        &Command::new(&binary).args(["--list", "--format", "terse"]).output().expect("lists the tests").stdout,
    )
    .into_owned();
    for name in names.lines().filter_map(|line| line.strip_suffix(": test")) {
        let mode = name.split("::").next().unwrap_or_default();
        if !(mode == "transaction" || mode == "sqlx_test") || !mode.starts_with(&only) {
            continue;
        }
        for (_, time) in run(&binary, &url, &["--exact", name], &mut failed) {
            times.entry(format!("{mode} (process per test)")).or_default().push(time);
        }
    }
    drop(cluster);
    assert!(failed.is_empty(), "failed tests:\n{}", failed.join("\n"));

    println!("{} ({files} up migrations), per-test time, one test at a time:", source.display());
    println!("| mode | tests | p50 ms | p95 ms | max ms |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    let mut percentiles = BTreeMap::new();
    for (mode, samples) in &mut times {
        samples.sort_by(f64::total_cmp);
        let at = |q: f64| samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1];
        println!("| {mode} | {} | {:.2} | {:.2} | {:.2} |", samples.len(), at(0.5), at(0.95), samples[samples.len() - 1]);
        percentiles.insert(mode.clone(), (at(0.5), at(0.95)));
    }
    for (mode, (p50, p95)) in &percentiles {
        let peer = if mode.ends_with("(process per test)") { "sqlx_test (process per test)" } else { "sqlx_test" };
        if let Some((sqlx50, sqlx95)) = percentiles.get(peer).copied()
            && !mode.starts_with("sqlx_test")
        {
            println!("{mode}: {:.1}x faster than {peer} at p50, {:.1}x at p95", sqlx50 / p50, sqlx95 / p95);
        }
    }
}

/// Runs the test binary with `filter` (one test at a time) and returns each passing test's
/// name and time in ms; failures go to `failed`.
fn run(binary: &str, url: &str, filter: &[&str], failed: &mut Vec<String>) -> Vec<(String, f64)> {
    let output = Command::new(binary)
        .args(filter)
        .args(["--test-threads", "1", "-Z", "unstable-options", "--format", "json", "--report-time"])
        .env("RUSTC_BOOTSTRAP", "1")
        .env("DATABASE_URL", url)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .output()
        .expect("runs the tests");
    let mut times = Vec::new();
    for event in String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|event| event["type"] == "test")
    {
        let name = event["name"].as_str().unwrap_or_default();
        match event["event"].as_str() {
            Some("ok") => times.push((name.to_owned(), event["exec_time"].as_f64().unwrap_or_default() * 1000.0)),
            Some("failed") => failed.push(format!("{name}: {}", event["stdout"])),
            _ => {}
        }
    }
    times
}
