//! `cargo commerce load` and the micro-load step of `cargo commerce test` end to end, against
//! a small HTTP/1.1 server of our own: this test binary itself, started as the app by
//! `[load] start` (the ignored helper `serve_http_for_load_tests`), or on a thread. The
//! reference shop's catalog, cart and checkout scenarios come with fixtures/shop (#14).

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::thread;
use std::time::Duration;

use commerce_project::testing::copy_tiny_workspace;
use serde_json::Value;

const PORT_ENV: &str = "COMMERCE_LOAD_TEST_PORT";

/// Answers every request on `listener` over keep-alive connections: `/slow` after 40 ms,
/// everything else (`/healthz`, `/products`) at once.
fn serve(listener: &TcpListener) {
    for stream in listener.incoming().flatten() {
        thread::spawn(move || answer_connection(stream));
    }
}

fn answer_connection(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        if request_line.contains(" /slow") {
            thread::sleep(Duration::from_millis(40));
        }
        let response =
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// The app `[load] start` runs in the `cargo commerce test` test below.
#[test]
#[ignore = "a helper, not a test: the HTTP server that the micro-load test starts as its app"]
fn serve_http_for_load_tests() {
    let port = std::env::var(PORT_ENV).expect("started by the micro-load test with a port");
    let listener = TcpListener::bind(format!("127.0.0.1:{port}")).expect("bind the app's port");
    serve(&listener);
}

fn server_on_a_thread() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    thread::spawn(move || serve(&listener));
    url
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn commerce(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-commerce"))
        .args(args)
        .args(["--project", &dir.to_string_lossy()])
        .env("NO_COLOR", "1")
        .output()
        .expect("cargo-commerce runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn one_endpoint_from_flags_prints_the_json_shape_and_thresholds_set_the_exit_code() {
    let url = server_on_a_thread();
    let dir = tempfile::tempdir().expect("tempdir");
    let flags = [
        "--rate",
        "40",
        "--duration",
        "1s",
        "--warmup",
        "500ms",
        "--format",
        "json",
    ];
    let mut args = vec!["load", &url, "--path", "/products"];
    args.extend(flags);
    let output = commerce(dir.path(), &args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    assert_eq!(json["version"], 1);
    let scenario = &json["scenarios"][0];
    assert_eq!(scenario["name"], "/products");
    assert_eq!(scenario["target_rate"], 40.0);
    assert_eq!(scenario["requests"], 40);
    assert_eq!(scenario["cold"]["requests"], 20);
    assert_eq!(scenario["errors"]["total"], 0);
    for key in ["p50", "p90", "p95", "p99", "max"] {
        assert!(scenario["latency_ms"][key].is_number(), "{scenario}");
    }

    let output = commerce(
        dir.path(),
        &[
            "load",
            &url,
            "--path",
            "/slow",
            "--rate",
            "20",
            "--duration",
            "1s",
            "--warmup",
            "0s",
            "--p95-ms",
            "5",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.starts_with("/slow: 20 req/s for 1.0 s (+0.0 s cold), 8 connections\n"),
        "{stdout}"
    );
    assert!(stdout.contains("FAIL /slow: p95 "), "{stdout}");
    assert!(stdout.contains("is over its threshold of 5 ms"), "{stdout}");
}

#[test]
fn bad_targets_exit_with_a_clear_message_and_never_hang() {
    let dir = tempfile::tempdir().expect("tempdir");
    let remote = commerce(dir.path(), &["load", "http://192.0.2.1:80", "--path", "/"]);
    assert_eq!(remote.status.code(), Some(2));
    assert!(
        text(&remote.stderr).contains("Pass --allow-remote"),
        "{}",
        text(&remote.stderr)
    );

    let closed = format!("http://127.0.0.1:{}", free_port());
    let started = std::time::Instant::now();
    let unreachable = commerce(
        dir.path(),
        &[
            "load",
            &closed,
            "--path",
            "/",
            "--rate",
            "20",
            "--duration",
            "1s",
            "--warmup",
            "0s",
        ],
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        unreachable.status.code(),
        Some(1),
        "{}",
        text(&unreachable.stderr)
    );
    let stdout = text(&unreachable.stdout);
    assert!(stdout.contains("errors: 20× connect"), "{stdout}");
    assert!(
        stdout.contains("FAIL /: no request was answered (`GET /`: cannot connect: "),
        "{stdout}"
    );

    let none = commerce(dir.path(), &["load"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(
        text(&none.stderr).contains("has no [load.scenarios.<name>]"),
        "{}",
        text(&none.stderr)
    );
}

/// `cargo commerce test --quiet ARGS`, which must exit with `code`.
fn test_exits(dir: &Path, args: &[&str], code: i32) -> Output {
    let mut all = vec!["test", "--quiet"];
    all.extend(args);
    let output = commerce(dir, &all);
    assert_eq!(
        output.status.code(),
        Some(code),
        "{}\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    output
}

fn write_config(dir: &Path, port: u16, path: &str) {
    let exe = std::env::current_exe().expect("this test binary");
    let config = format!(
        "[suites.fast]\ntags = [\"unit\", \"load\"]\n\n\
         [load]\nstart = \"{PORT_ENV}={port} '{}' --ignored --exact serve_http_for_load_tests\"\n\
         base_url = \"http://127.0.0.1:{port}\"\nready_timeout = \"20s\"\n\n\
         [load.scenarios.catalog]\ntags = [\"load\"]\nrate = 40\nduration = \"1s\"\nwarmup = \"500ms\"\np95_ms = 2000\n\
         requests = [{{ path = \"{path}\" }}]\n",
        exe.display()
    );
    fs::write(dir.join("commerce.toml"), config).expect("write commerce.toml");
}

/// The suite's tagged scenario runs after the tests against the app `[load] start` starts,
/// lands in every report file, and a planted slowdown fails the p95 gate against the
/// first run's report as baseline.
#[test]
fn test_runs_the_tagged_scenarios_against_the_started_app_and_gates_a_slowdown() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tiny_workspace(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures"),
        dir.path(),
    );
    let port = free_port();
    write_config(dir.path(), port, "/products");
    let report_dir = dir.path().join("base");
    test_exits(
        dir.path(),
        &["--report-dir", &report_dir.to_string_lossy()],
        0,
    );
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the app was stopped after the scenarios"
    );
    let report: Value =
        serde_json::from_str(&fs::read_to_string(report_dir.join("report.json")).expect("report"))
            .expect("JSON");
    let catalog = &report["load"]["scenarios"][0];
    assert_eq!(catalog["name"], "catalog", "{}", report["load"]);
    assert_eq!(catalog["requests"], 40);
    assert_eq!(catalog["cold"]["requests"], 20);
    let markdown = fs::read_to_string(report_dir.join("report.md")).expect("report.md");
    assert!(markdown.contains("### Micro-load"), "{markdown}");
    assert!(markdown.contains("| catalog | warm − cold |"), "{markdown}");
    let html = fs::read_to_string(report_dir.join("report.html")).expect("report.html");
    assert!(html.contains("catalog: latency over time (ms)"));
    let prom = fs::read_to_string(report_dir.join("metrics.prom")).expect("metrics.prom");
    assert!(prom.contains(
        "commerce_load_latency_seconds{scenario=\"catalog\",phase=\"warm\",quantile=\"0.95\"}"
    ));

    // The planted slowdown: the same scenario now hits an endpoint that takes 40 ms.
    write_config(dir.path(), port, "/slow");
    let baseline = report_dir.join("report.json");
    let slow = test_exits(
        dir.path(),
        &[
            "--report-dir",
            &dir.path().join("head").to_string_lossy(),
            "--baseline",
            &baseline.to_string_lossy(),
        ],
        1,
    );
    let stdout = text(&slow.stdout);
    assert!(
        stdout.contains("p95 regressed over 10%: load catalog "),
        "{stdout}"
    );
}
