//! `cargo commerce test`, `report merge` and `check`'s test pack end to end: exit codes, stdout formats, and the
//! report files, on copies of fixtures/runner/tiny that share one build under the system temp
//! dir (these tests are in the `commerce-runner-e2e` group of .config/nextest.toml).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use commerce_project::testing::{copy_tiny_workspace, git};
use serde_json::Value;

/// A copy of the tiny fixture crate with its build directory shared across copies.
fn tiny(behaviour: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tiny_workspace(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures"),
        dir.path(),
    );
    fs::write(dir.path().join("behaviour"), behaviour).expect("behaviour");
    dir
}

fn commerce(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-commerce"))
        .args(args)
        .args(["--project", &dir.to_string_lossy()])
        .env("NO_COLOR", "1")
        .output()
        .expect("cargo-commerce runs")
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not JSON ({error}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn a_failing_test_exits_1_with_its_replay_command_and_json_stays_clean() {
    let dir = tiny("fail");
    let report_dir = dir.path().join("report");
    let report_dir = report_dir.to_string_lossy();
    let human = commerce(
        dir.path(),
        &["test", "--seed", "5", "--report-dir", &report_dir],
    );
    assert_eq!(human.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&human.stdout);
    assert!(
        stdout.contains("tiny tests::discount_applies (assertion) at src/lib.rs:"),
        "{stdout}"
    );
    assert!(stdout.contains("replay: cargo commerce test --suite all --seed 5 -E"));
    assert!(stdout.ends_with("6 passed, 1 failed\n"), "{stdout}");

    let json = commerce(
        dir.path(),
        &[
            "test",
            "--seed",
            "5",
            "--format",
            "json",
            "--report-dir",
            &report_dir,
        ],
    );
    assert_eq!(json.status.code(), Some(1));
    let report = stdout_json(&json);
    assert_eq!(report["version"], 1);
    assert_eq!(report["summary"]["failed"], 1);
    assert_eq!(report["run"]["seed"], 5);

    let sarif = commerce(
        dir.path(),
        &[
            "test",
            "--seed",
            "5",
            "--format",
            "sarif",
            "--report-dir",
            &report_dir,
        ],
    );
    let sarif = stdout_json(&sarif);
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "tests/failed");
}

#[test]
fn a_passing_run_exits_0_and_setup_errors_exit_2() {
    let dir = tiny("");
    let report_dir = dir.path().join("report");
    let report_dir = report_dir.to_string_lossy();
    let passing = commerce(
        dir.path(),
        &["test", "--quiet", "--report-dir", &report_dir],
    );
    assert_eq!(
        passing.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&passing.stderr)
    );

    let no_git = commerce(dir.path(), &["test", "--changed", "--base", "main"]);
    assert_eq!(no_git.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&no_git.stderr);
    assert!(
        stderr.contains("is not inside a git repository"),
        "{stderr}"
    );

    let unknown_suite = commerce(dir.path(), &["test", "--suite", "fsat"]);
    assert_eq!(unknown_suite.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown_suite.stderr).contains("did you mean `fast`?"));

    let bad_shard = commerce(dir.path(), &["test", "--shard", "3/2"]);
    assert_eq!(bad_shard.status.code(), Some(2));
}

#[test]
fn shard_reports_merge_into_one_gated_report() {
    let dir = tiny("fail");
    let mut reports = Vec::new();
    for shard in ["1/2", "2/2"] {
        let report_dir = dir.path().join(format!("shard-{}", &shard[..1]));
        let run = commerce(
            dir.path(),
            &[
                "test",
                "--quiet",
                "--shard",
                shard,
                "--report-dir",
                &report_dir.to_string_lossy(),
            ],
        );
        assert!(
            matches!(run.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        reports.push(
            report_dir
                .join("report.json")
                .to_string_lossy()
                .into_owned(),
        );
    }
    let out = dir.path().join("merged");
    let mut args = vec!["report", "merge", "--format", "json", "--out"];
    let out_arg = out.to_string_lossy().into_owned();
    args.push(&out_arg);
    args.extend(reports.iter().map(String::as_str));
    let merged = commerce(dir.path(), &args);
    assert_eq!(
        merged.status.code(),
        Some(1),
        "the failure in one shard fails the merged gate"
    );
    let report = stdout_json(&merged);
    assert_eq!(report["summary"]["total"], 7);
    assert_eq!(report["run"]["merged_from"], 2);
    assert!(out.join("report.html").is_file());
    assert_eq!(report["analysis"], Value::Null);

    // With --analyze the merge runs the analyzers the shards did not, for their gates.
    let mut analysed_args = args.clone();
    analysed_args.push("--analyze");
    let analysed = stdout_json(&commerce(dir.path(), &analysed_args));
    assert_eq!(analysed["analysis"]["errors"], 0);
    let analyzer_gate = analysed["gates"]
        .as_array()
        .expect("gates")
        .iter()
        .find(|gate| gate["gate"] == "analyzer")
        .expect("the analyzer gate")
        .clone();
    assert_eq!(analyzer_gate["status"], "pass", "{analyzer_gate}");

    let corrupt = dir.path().join("corrupt.json");
    fs::write(&corrupt, "not json").expect("write");
    let failed = commerce(dir.path(), &["report", "merge", &corrupt.to_string_lossy()]);
    assert_eq!(failed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&failed.stderr).contains("corrupt.json"));
}

/// `cargo-commerce` with a `PATH` (and cargo home) that has the toolchain (cargo, rustc,
/// rustdoc) and the system's programs but no cargo-nextest.
fn commerce_without_nextest(dir: &Path, args: &[&str]) -> Output {
    let cargo = PathBuf::from(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    let mut path: Vec<PathBuf> = cargo.parent().map(Path::to_path_buf).into_iter().collect();
    path.extend(["/usr/bin", "/bin"].map(PathBuf::from));
    let path = std::env::join_paths(&path).expect("a PATH");
    let empty_home = dir.join("cargo-home-without-nextest");
    fs::create_dir_all(empty_home.join("bin")).expect("mkdir");
    for bin in std::env::split_paths(&path) {
        assert!(
            !bin.join("cargo-nextest").exists(),
            "{} holds cargo-nextest: the test cannot hide it",
            bin.display()
        );
    }
    Command::new(env!("CARGO_BIN_EXE_cargo-commerce"))
        .args(args)
        .args(["--project", &dir.to_string_lossy()])
        .env("NO_COLOR", "1")
        .env("PATH", path)
        .env("CARGO_HOME", &empty_home)
        .env("CARGO", &cargo)
        .output()
        .expect("cargo-commerce runs")
}

#[test]
fn without_nextest_the_cargo_test_fallback_shards_and_retries() {
    let dir = tiny("flaky");
    let mut ids = Vec::new();
    for shard in ["1/2", "2/2"] {
        let _ = fs::remove_file(dir.path().join("flaky-checkout-ran"));
        let report_dir = dir.path().join(format!("shard-{}", &shard[..1]));
        let run = commerce_without_nextest(
            dir.path(),
            &[
                "test",
                "--quiet",
                "--format",
                "json",
                "--shard",
                shard,
                "--retries",
                "1",
                "--report-dir",
                &report_dir.to_string_lossy(),
            ],
        );
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(0), "{stderr}");
        assert!(
            stderr.contains("cargo-nextest is not installed; running the tests with `cargo test`"),
            "{stderr}"
        );
        assert!(!stderr.contains("ignores"), "{stderr}");
        let report = stdout_json(&run);
        assert_eq!(report["run"]["runner"], "cargo-test");
        assert_eq!(
            report["run"]["shard"]["index"],
            shard[..1].parse::<u32>().expect("K")
        );
        for test in report["tests"].as_array().expect("tests") {
            ids.push(test["id"].as_str().expect("an id").to_owned());
            if test["name"] == "tests::flaky_checkout" {
                assert_eq!(test["status"], "flaky");
                assert_eq!(report["flaky"][0]["attempts"], 2);
            }
        }
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "no test in both shards: {ids:?}");
    assert_eq!(ids.len(), 7, "every test of the fast suite once: {ids:?}");
    assert!(ids.contains(&"tiny tests::flaky_checkout".to_owned()));
}

#[test]
fn changed_sends_migrations_and_specs_to_their_analyzers_and_gates_on_their_errors() {
    let dir = tiny("");
    fs::write(dir.path().join(".gitignore"), "/report\n/behaviour\n").expect("gitignore");
    fs::write(
        dir.path().join("commerce.toml"),
        "[contracts]\nspecs = [\"openapi/*.yaml\"]\n",
    )
    .expect("config");
    let spec = "openapi: 3.0.3\ninfo: { title: shop, version: \"1\" }\npaths:\n  /orders:\n    get:\n      responses:\n        \"200\": { description: ok }\n";
    fs::create_dir_all(dir.path().join("openapi")).expect("mkdir");
    fs::write(dir.path().join("openapi/shop.yaml"), spec).expect("spec");
    git(dir.path(), &["init", "--quiet"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "--quiet", "-m", "base"]);
    let migration = "migrations/20250101000000_drop_orders.sql";
    fs::create_dir_all(dir.path().join("migrations")).expect("mkdir");
    fs::write(dir.path().join(migration), "DROP TABLE orders;\n").expect("write");
    // The spec loses its only operation: breaking drift against the base.
    fs::write(
        dir.path().join("openapi/shop.yaml"),
        "openapi: 3.0.3\ninfo: { title: shop, version: \"1\" }\npaths: {}\n",
    )
    .expect("spec");
    let report_dir = dir.path().join("report");
    let run = commerce(
        dir.path(),
        &[
            "test",
            "--quiet",
            "--changed",
            "--base",
            "HEAD",
            "--report-dir",
            &report_dir.to_string_lossy(),
        ],
    );
    let (stdout, stderr) = (
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr),
    );
    assert_eq!(run.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!(
            "changed files other than Rust sources went to their analyzers: contracts (openapi/shop.yaml); migrations ({migration})"
        )),
        "{stderr}"
    );
    assert!(stdout.contains("migrations/ban-drop-table"), "{stdout}");
    assert!(stdout.contains("FAIL  analyzer"), "{stdout}");
    assert!(stdout.contains("FAIL  contract-drift"), "{stdout}");
    let report: Value = serde_json::from_str(
        &fs::read_to_string(report_dir.join("report.json")).expect("a report"),
    )
    .expect("JSON");
    let keys = report["analysis"]["error_keys"].as_array().expect("keys");
    assert!(
        keys.iter().any(|key| {
            key.as_str().is_some_and(|key| {
                key.starts_with(&format!("migrations/ban-drop-table|{migration}|"))
            })
        }),
        "{keys:?}"
    );
    let drifts = report["drifts"].as_array().expect("drifts");
    assert!(
        drifts
            .iter()
            .any(|drift| drift["path"] == "openapi/shop.yaml" && drift["breaking"] == true),
        "{drifts:?}"
    );
    // The package's own tests still ran: the files are in its directory.
    assert_eq!(report["summary"]["failed"], 0);
    assert!(report["summary"]["passed"].as_u64().unwrap_or(0) > 0);
}

#[test]
fn the_render_gate_fails_on_a_route_that_rendered_on_the_baseline() {
    let dir = tiny("");
    fs::write(
        dir.path().join(".gitignore"),
        "/report*\n/behaviour\n/baseline.json\n",
    )
    .expect("gitignore");
    fs::write(
        dir.path().join("commerce.toml"),
        "[frontend]\nroots = [\"web\"]\nroutes = \"web/app\"\n",
    )
    .expect("config");
    let page = |path: &str, text: &str| {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        fs::write(path, text).expect("page");
    };
    page(
        "web/app/page.tsx",
        "export default function Home() { return null; }\n",
    );
    page(
        "web/app/shop/page.tsx",
        "export default function Shop() { return null; }\n",
    );
    git(dir.path(), &["init", "--quiet"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "--quiet", "-m", "base"]);
    let test_changed = |report_dir: &str, baseline: Option<&Path>| {
        let report_dir = dir.path().join(report_dir);
        let mut args = vec![
            "test".to_owned(),
            "--quiet".to_owned(),
            "--changed".to_owned(),
            "--base".to_owned(),
            "HEAD".to_owned(),
            "--report-dir".to_owned(),
            report_dir.to_string_lossy().into_owned(),
        ];
        if let Some(baseline) = baseline {
            args.extend([
                "--baseline".to_owned(),
                baseline.to_string_lossy().into_owned(),
            ]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = commerce(dir.path(), &args);
        let report: Value = serde_json::from_str(
            &fs::read_to_string(report_dir.join("report.json")).expect("a report"),
        )
        .expect("JSON");
        (output, report)
    };
    let render = |report: &Value| -> (String, String) {
        let gate = report["gates"]
            .as_array()
            .expect("gates")
            .iter()
            .find(|gate| gate["gate"] == "render")
            .expect("the render gate")
            .clone();
        (
            gate["status"].as_str().unwrap_or_default().to_owned(),
            gate["why"].as_str().unwrap_or_default().to_owned(),
        )
    };

    // The base branch: a frontend change, both routes render.
    page(
        "web/app/page.tsx",
        "// home\nexport default function Home() { return null; }\n",
    );
    let (output, baseline) = test_changed("report-base", None);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        render(&baseline),
        ("pass".to_owned(), "2 routes render".to_owned())
    );
    let routes = baseline["routes"].as_array().expect("routes recorded");
    assert_eq!(routes.len(), 2);
    assert!(
        routes.iter().all(|route| route["status"] == "ok"),
        "{routes:?}"
    );
    let baseline_file = dir.path().join("baseline.json");
    fs::copy(dir.path().join("report-base/report.json"), &baseline_file).expect("baseline");

    // The change: the shop page loses its default export.
    page(
        "web/app/shop/page.tsx",
        "export function Shop() { return null; }\n",
    );
    let (output, report) = test_changed("report-head", Some(&baseline_file));
    assert_eq!(output.status.code(), Some(1));
    let (status, why) = render(&report);
    assert_eq!(status, "fail");
    assert_eq!(
        why,
        "1 new render failure (routes that rendered or did not exist on the baseline): /shop (web/app/shop/page.tsx): the module has no default export"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("FAIL  render"), "{stdout}");

    // `check` judges the same gate against the same baseline, with the whole frontend analysed.
    let check_dir = dir.path().join("report-check");
    let check = commerce(
        dir.path(),
        &[
            "check",
            "--baseline",
            &baseline_file.to_string_lossy(),
            "--report-dir",
            &check_dir.to_string_lossy(),
        ],
    );
    assert_eq!(check.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(
        stdout.contains("FAIL  render          1 new render failure"),
        "{stdout}"
    );
    assert!(check_dir.join("report.json").is_file());

    // Against itself as the baseline, the failure is not new.
    let (_, again) = test_changed(
        "report-again",
        Some(&dir.path().join("report-head/report.json")),
    );
    assert_eq!(render(&again).0, "pass");
    assert!(
        render(&again).1.starts_with("no new render failures"),
        "{:?}",
        render(&again)
    );
}

#[test]
fn check_runs_the_fast_pack_after_the_analyzers_and_fails_on_a_failing_test() {
    let dir = tiny("fail");
    let check = commerce(dir.path(), &["check"]);
    assert_eq!(
        check.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(
        stdout.contains("No problems found") || stdout.contains("Found"),
        "{stdout}"
    );
    assert!(
        stdout.contains("tiny tests::discount_applies (assertion)"),
        "{stdout}"
    );
    assert!(stdout.contains("PASS  analyzer"), "{stdout}");

    // Machine formats keep stdout to check's one document.
    let json = commerce(dir.path(), &["check", "--format", "json"]);
    assert_eq!(json.status.code(), Some(1));
    assert!(stdout_json(&json)["diagnostics"].is_array());

    let static_only = commerce(dir.path(), &["check", "--no-tests"]);
    assert_eq!(static_only.status.code(), Some(0));
}

#[test]
fn check_without_a_cargo_manifest_says_there_are_no_tests() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("commerce.toml"), "").expect("config");
    let check = commerce(dir.path(), &["check"]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(String::from_utf8_lossy(&check.stderr).contains("no Cargo.toml at the project root"));
}

#[test]
fn ctrl_c_stops_the_tests_and_still_writes_a_partial_report() {
    let dir = tiny("hang");
    let report_dir = dir.path().join("report");
    let child = Command::new(env!("CARGO_BIN_EXE_cargo-commerce"))
        .args([
            "test",
            "--quiet",
            "--report-dir",
            &report_dir.to_string_lossy(),
        ])
        .args(["--project", &dir.path().to_string_lossy()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("cargo-commerce starts");
    // Wait until the hanging test runs: nextest has written its tool config and list by then.
    let list = report_dir.join("nextest/list.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while fs::metadata(&list).map_or(true, |meta| meta.len() == 0) {
        assert!(
            std::time::Instant::now() < deadline,
            "the run never listed its tests"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_secs(1));
    let signal = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(signal.success());
    let output = child.wait_with_output().expect("cargo-commerce ends");
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("interrupted"));
    let report: Value = serde_json::from_str(
        &fs::read_to_string(report_dir.join("report.json")).expect("a report"),
    )
    .expect("JSON");
    assert_eq!(report["run"]["interrupted"], true);
}
