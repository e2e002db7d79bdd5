//! End to end on real cargo-nextest (and the cargo test fallback), over copies of
//! `fixtures/runner/tiny`. Every copy builds into one target directory under the checkout's
//! `target/`, so the fixture is compiled once and reused by every test and every later run. These
//! tests run one at a time (the `commerce-runner-e2e` group in .config/nextest.toml): two of
//! them measure time and one cancels a run.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use commerce_project::Project;
use commerce_project::testing::copy_tiny_workspace;
use commerce_runner::report::{GateStatus, RunnerKind, Status};
use commerce_runner::watch::{WatchEvent, WatchOptions, watch};
use commerce_runner::{
    CancelToken, Changes, Notice, RunnerChoice, RunnerError, TestRequest, run_tests,
};

/// A private copy of the tiny fixture crate.
struct Tiny {
    dir: tempfile::TempDir,
}

impl Tiny {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_tiny_workspace(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures"),
            dir.path(),
        );
        Self { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// How the fixture's tests behave: `fail`, `flaky`, `slow`, `hang`.
    fn behave(&self, words: &str) {
        fs::write(self.root().join("behaviour"), words).expect("write behaviour");
    }

    fn config(&self, toml: &str) {
        fs::write(self.root().join("commerce.toml"), toml).expect("write commerce.toml");
    }

    fn project(&self) -> Project {
        Project::load(self.root()).expect("the copy is a project")
    }

    fn report_dir(&self) -> PathBuf {
        self.root().join("report")
    }

    fn request(&self) -> TestRequest {
        TestRequest {
            seed: Some(7),
            report_dir: Some(self.report_dir()),
            runner: RunnerChoice::Nextest,
            ..TestRequest::default()
        }
    }

    fn git(&self, args: &[&str]) {
        commerce_project::testing::git(self.root(), args);
    }
}

fn status_of(report: &commerce_runner::report::Report, name: &str) -> Option<Status> {
    report
        .tests
        .iter()
        .find(|test| test.name == name)
        .map(|test| test.status)
}

#[test]
fn a_passing_run_exports_the_seed_and_writes_every_report_file() {
    let tiny = Tiny::new();
    tiny.config("[suites.fast]\ntags = [\"unit\"]\nbudget = \"1ms\"\n");
    let run = run_tests(&tiny.project(), &tiny.request(), &CancelToken::new()).expect("runs");
    let report = &run.report;
    assert_eq!(report.run.runner, RunnerKind::Nextest);
    assert_eq!(report.run.seed, 7);
    // The fast suite is the unit tests and the doctest: the integration test is not selected.
    assert_eq!(report.summary.total, 7, "{:#?}", report.tests);
    assert_eq!(report.summary.passed, 7);
    assert_eq!(
        status_of(report, "tests::seed_is_exported"),
        Some(Status::Passed)
    );
    let kinds: Vec<(&str, &str)> = report
        .tests
        .iter()
        .map(|test| (test.binary_id.as_str(), test.kind.as_str()))
        .collect();
    assert_eq!(kinds[0], ("tiny", "lib"));
    assert!(kinds[..6].iter().all(|kind| *kind == ("tiny", "lib")));
    assert_eq!(kinds[6], ("tiny::doctest/tiny", "doctest"));
    assert_eq!(report.p95.last().map(|row| row.group.as_str()), Some("*"));
    let budget = report.budget.as_ref().expect("the suite has a budget");
    assert!(budget.over);
    assert_eq!(budget.slowest.len(), 7);
    assert!(
        run.notices
            .iter()
            .any(|notice| matches!(notice, Notice::OverBudget { .. }))
    );
    assert_eq!(report.gates[0].gate, "test");
    assert_eq!(report.gates[0].status, GateStatus::Pass);
    assert!(report.passed());
    for file in commerce_runner::report::REPORT_FILES {
        assert!(tiny.report_dir().join(file).is_file(), "{file} written");
    }
    let prom = fs::read_to_string(tiny.report_dir().join("metrics.prom")).expect("metrics");
    assert!(prom.contains("commerce_tests{status=\"passed\"} 7"));
}

#[test]
fn failures_are_captured_with_location_output_backtrace_and_replay() {
    let tiny = Tiny::new();
    tiny.behave("fail");
    let project = tiny.project();
    let run = run_tests(&project, &tiny.request(), &CancelToken::new()).expect("runs");
    let report = &run.report;
    assert_eq!(report.summary.failed, 1);
    let failure = &report.failures[0];
    assert_eq!(failure.test, "tiny tests::discount_applies");
    assert!(
        failure.message.contains("discount was not applied"),
        "{}",
        failure.message
    );
    let location = failure.location.as_ref().expect("a panic location");
    assert_eq!(location.path, "src/lib.rs");
    let line = fs::read_to_string(tiny.root().join("src/lib.rs"))
        .expect("source")
        .lines()
        .nth(location.line as usize - 1)
        .map(str::to_owned)
        .unwrap_or_default();
    assert!(
        line.contains("assert_eq!(total(&[1, 2, 3]), expected"),
        "{line}"
    );
    assert!(
        failure.output.contains("computing the discounted total"),
        "{}",
        failure.output
    );
    assert!(
        failure
            .backtrace
            .as_deref()
            .is_some_and(|trace| trace.contains("discount_applies"))
    );
    assert_eq!(
        failure.replay,
        "cargo commerce test --suite all --seed 7 -E 'binary_id(=tiny) & test(=tests::discount_applies)'"
    );
    assert_eq!(report.gates[0].status, GateStatus::Fail);
    let sarif = fs::read_to_string(tiny.report_dir().join("report.sarif")).expect("sarif");
    assert!(sarif.contains("\"ruleId\": \"tests/failed\""));

    // Against a baseline where it already failed, the failure is not new.
    let baseline = tiny.root().join("baseline.json");
    fs::copy(tiny.report_dir().join("report.json"), &baseline).expect("keep the baseline");
    let request = TestRequest {
        baseline: Some(baseline),
        ..tiny.request()
    };
    let again = run_tests(&project, &request, &CancelToken::new()).expect("runs");
    assert_eq!(
        again.report.gates[0].status,
        GateStatus::Pass,
        "{:?}",
        again.report.gates
    );
}

#[test]
fn retries_find_flaky_tests_and_flaky_fails_gates_on_them() {
    let tiny = Tiny::new();
    tiny.behave("flaky");
    let request = TestRequest {
        retries: 1,
        flaky_fails: true,
        ..tiny.request()
    };
    let run = run_tests(&tiny.project(), &request, &CancelToken::new()).expect("runs");
    let report = &run.report;
    assert_eq!(
        status_of(report, "tests::flaky_checkout"),
        Some(Status::Flaky)
    );
    assert_eq!(report.flaky.len(), 1);
    assert_eq!(report.flaky[0].attempts, 2);
    assert_eq!(report.flaky[0].failures, ["first attempt fails"]);
    let flaky_gate = report
        .gates
        .iter()
        .find(|gate| gate.gate == "flaky")
        .expect("flaky gate");
    assert_eq!(flaky_gate.status, GateStatus::Fail);
    assert!(!report.passed());
}

#[test]
fn a_hung_test_is_killed_and_reported_as_timed_out() {
    let tiny = Tiny::new();
    tiny.behave("hang");
    let request = TestRequest {
        test_timeout: Some(Duration::from_secs(2)),
        ..tiny.request()
    };
    let started = Instant::now();
    let run = run_tests(&tiny.project(), &request, &CancelToken::new()).expect("runs");
    assert!(started.elapsed() < Duration::from_secs(60));
    let report = &run.report;
    assert_eq!(
        status_of(report, "tests::slow_inventory_sync"),
        Some(Status::TimedOut)
    );
    assert_eq!(report.summary.timed_out, 1);
    let failure = &report.failures[0];
    assert!(
        failure.message.starts_with("timed out"),
        "{}",
        failure.message
    );
    assert_eq!(failure.target_path.as_deref(), Some("src/lib.rs"));
}

#[test]
fn cancelling_kills_every_test_process_and_still_writes_a_partial_report() {
    let tiny = Tiny::new();
    tiny.behave("hang");
    let cancel = CancelToken::new();
    let canceller = cancel.clone();
    let stopper = thread::spawn(move || {
        thread::sleep(Duration::from_secs(4));
        canceller.cancel();
    });
    let started = Instant::now();
    let run = run_tests(&tiny.project(), &tiny.request(), &cancel).expect("a partial report");
    stopper.join().expect("the stopper ends");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(run.report.run.interrupted);
    assert!(run.notices.contains(&Notice::Interrupted));
    assert_ne!(
        status_of(&run.report, "tests::slow_inventory_sync"),
        Some(Status::Passed)
    );
    assert!(tiny.report_dir().join("report.json").is_file());
    assert_eq!(
        processes_in(tiny.root()),
        Vec::<String>::new(),
        "orphans left running"
    );
}

/// Live processes whose working directory is inside `dir`.
fn processes_in(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let path = entry.path();
        let Ok(cwd) = fs::read_link(path.join("cwd")) else {
            continue;
        };
        let zombie = fs::read_to_string(path.join("stat"))
            .ok()
            .and_then(|stat| {
                stat.rsplit_once(") ")
                    .map(|(_, rest)| rest.starts_with('Z'))
            })
            .unwrap_or(true);
        if cwd.starts_with(dir) && !zombie {
            found.push(fs::read_to_string(path.join("cmdline")).unwrap_or_default());
        }
    }
    found
}

#[test]
fn the_cargo_test_fallback_reports_the_same_tests() {
    let tiny = Tiny::new();
    tiny.behave("fail");
    let request = TestRequest {
        runner: RunnerChoice::CargoTest,
        retries: 2,
        ..tiny.request()
    };
    let run = run_tests(&tiny.project(), &request, &CancelToken::new()).expect("runs");
    let report = &run.report;
    assert_eq!(report.run.runner, RunnerKind::CargoTest);
    assert_eq!(report.summary.total, 7);
    assert_eq!(report.summary.failed, 1);
    assert_eq!(report.failures[0].test, "tiny tests::discount_applies");
    assert_eq!(
        report.failures[0]
            .location
            .as_ref()
            .map(|location| location.path.as_str()),
        Some("src/lib.rs")
    );
    assert_eq!(
        status_of(report, "tests::seed_is_exported"),
        Some(Status::Passed)
    );
    // Retried twice by exact name, failing every time.
    assert_eq!(report.failures[0].attempts, 3);
    assert!(run.notices.is_empty(), "{:?}", run.notices);
}

#[test]
fn the_cargo_test_fallback_times_out_a_hung_test_and_runs_the_others() {
    let tiny = Tiny::new();
    tiny.behave("hang");
    let request = TestRequest {
        runner: RunnerChoice::CargoTest,
        test_timeout: Some(Duration::from_secs(2)),
        ..tiny.request()
    };
    let started = Instant::now();
    let run = run_tests(&tiny.project(), &request, &CancelToken::new()).expect("runs");
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(run.notices.is_empty(), "{:?}", run.notices);
    let report = &run.report;
    assert_eq!(
        status_of(report, "tests::slow_inventory_sync"),
        Some(Status::TimedOut)
    );
    // The five other unit tests and the doctest.
    assert_eq!(report.summary.passed, 6, "{:#?}", report.tests);
    assert_eq!(report.summary.not_run, 0);
    let failure = &report.failures[0];
    assert!(
        failure
            .message
            .starts_with("timed out: killed after running longer than 2.0 s"),
        "{}",
        failure.message
    );
    assert_eq!(
        failure.classification,
        commerce_runner::failure::Classification::Timeout
    );
    // The binary went on without the tests that had finished or timed out.
    assert!(
        tiny.report_dir()
            .join("cargo-test/libtest-0-1-part2.json")
            .is_file()
    );
    assert_eq!(
        processes_in(tiny.root()),
        Vec::<String>::new(),
        "orphans left running"
    );
}

#[test]
fn the_cargo_test_fallback_shards_like_nextest_and_retries_only_the_failed_tests() {
    use commerce_runner::shard::Shard;

    let tiny = Tiny::new();
    tiny.behave("flaky");
    let project = tiny.project();
    let shard_ids = |runner: RunnerChoice, index: u32| -> Vec<String> {
        let request = TestRequest {
            runner,
            shard: Some(Shard { index, total: 2 }),
            ..tiny.request()
        };
        // The flaky test fails on its first attempt only: forget it ran.
        let _ = fs::remove_file(tiny.root().join("flaky-checkout-ran"));
        let run = run_tests(&project, &request, &CancelToken::new()).expect("runs");
        assert!(run.notices.is_empty(), "{:?}", run.notices);
        run.report
            .tests
            .iter()
            .map(|test| test.id.clone())
            .collect()
    };
    let fallback = [
        shard_ids(RunnerChoice::CargoTest, 1),
        shard_ids(RunnerChoice::CargoTest, 2),
    ];
    let nextest = [
        shard_ids(RunnerChoice::Nextest, 1),
        shard_ids(RunnerChoice::Nextest, 2),
    ];
    assert_eq!(fallback, nextest, "the same tests in the same shards");
    assert!(fallback[0].iter().all(|id| !fallback[1].contains(id)));
    assert_eq!(fallback[0].len() + fallback[1].len(), 7, "{fallback:?}");

    let _ = fs::remove_file(tiny.root().join("flaky-checkout-ran"));
    let request = TestRequest {
        runner: RunnerChoice::CargoTest,
        retries: 2,
        flaky_fails: true,
        ..tiny.request()
    };
    let run = run_tests(&project, &request, &CancelToken::new()).expect("runs");
    let report = &run.report;
    assert_eq!(
        status_of(report, "tests::flaky_checkout"),
        Some(Status::Flaky)
    );
    assert_eq!(report.flaky.len(), 1);
    assert_eq!(report.flaky[0].test, "tiny tests::flaky_checkout");
    assert_eq!(report.flaky[0].attempts, 2);
    assert_eq!(report.flaky[0].failures, ["first attempt fails"]);
    assert!(
        report
            .tests
            .iter()
            .filter(|test| test.name != "tests::flaky_checkout")
            .all(|test| test.attempts == 1),
        "{:#?}",
        report.tests
    );
    // The retry ran the failed test alone, by its exact name.
    let retry = fs::read_to_string(tiny.report_dir().join("cargo-test/libtest-0-2.json"))
        .expect("the retry's events");
    let retried: Vec<&str> = retry
        .lines()
        .filter(|line| line.contains("\"event\": \"started\"") && line.contains("\"name\""))
        .collect();
    assert_eq!(retried.len(), 1, "{retry}");
    assert!(retried[0].contains("tests::flaky_checkout"));
    assert_eq!(
        report
            .gates
            .iter()
            .find(|gate| gate.gate == "flaky")
            .map(|gate| gate.status),
        Some(GateStatus::Fail)
    );
}

#[test]
fn doctests_run_with_the_unit_tests_and_a_failing_one_points_at_its_example() {
    let tiny = Tiny::new();
    tiny.behave("doctest-fail");
    let project = tiny.project();
    let run = run_tests(&project, &tiny.request(), &CancelToken::new()).expect("runs");
    let report = &run.report;
    let doctest = report
        .tests
        .iter()
        .find(|test| test.kind == "doctest")
        .expect("the doctest ran");
    assert_eq!(doctest.id, "tiny::doctest/tiny src/lib.rs - total (line 5)");
    assert_eq!(doctest.status, Status::Failed);
    assert_eq!(report.summary.failed, 1);
    let failure = &report.failures[0];
    assert_eq!(failure.test, doctest.id);
    assert!(
        failure.message.contains("the example's total is wrong"),
        "{}",
        failure.message
    );
    assert_eq!(
        failure.classification,
        commerce_runner::failure::Classification::Assertion
    );
    let location = failure.location.as_ref().expect("the example's place");
    assert_eq!((location.path.as_str(), location.line), ("src/lib.rs", 5));
    assert_eq!(failure.target_path.as_deref(), Some("src/lib.rs"));
    assert_eq!(
        failure.replay,
        "COMMERCE_SEED=7 cargo test --doc --package tiny"
    );
    assert_eq!(report.gates[0].status, GateStatus::Fail);
    let junit = fs::read_to_string(tiny.report_dir().join("junit.xml")).expect("junit");
    assert!(junit.contains("src/lib.rs - total (line 5)"), "{junit}");

    // A retry re-runs the library's doctests (rustdoc cannot pick one) and keeps the failed
    // one's new result.
    let retried = TestRequest {
        retries: 1,
        ..tiny.request()
    };
    let run = run_tests(&project, &retried, &CancelToken::new()).expect("runs");
    let failure = &run.report.failures[0];
    assert_eq!(
        failure.test,
        "tiny::doctest/tiny src/lib.rs - total (line 5)"
    );
    assert_eq!(failure.attempts, 2);
    assert!(tiny.report_dir().join("doctest/libtest-0-2.json").is_file());

    // A filterset cannot select doctests: none run, and the run says so.
    let filtered = TestRequest {
        filterset: Some("test(sums_prices)".to_owned()),
        ..tiny.request()
    };
    let run = run_tests(&project, &filtered, &CancelToken::new()).expect("runs");
    assert!(run.notices.contains(&Notice::DoctestsNeedNoFilterset));
    assert_eq!(run.report.summary.total, 1);

    // `doctests = false` turns them off.
    tiny.config("[suites.fast]\ntags = [\"unit\"]\ndoctests = false\n");
    let run = run_tests(&tiny.project(), &tiny.request(), &CancelToken::new()).expect("runs");
    assert!(run.report.tests.iter().all(|test| test.kind != "doctest"));
    assert_eq!(run.report.summary.failed, 0);
}

#[test]
fn changed_runs_only_the_touched_test_target_or_nothing() {
    let tiny = Tiny::new();
    tiny.git(&["init", "--quiet"]);
    fs::write(tiny.root().join(".gitignore"), "/report\n").expect("gitignore");
    // Cargo.lock is committed like in any application; a new one would change everything.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let lock = Command::new(cargo)
        .args(["generate-lockfile", "--offline"])
        .current_dir(tiny.root())
        .status()
        .expect("cargo runs");
    assert!(lock.success());
    tiny.git(&["add", "."]);
    tiny.git(&["commit", "--quiet", "-m", "base"]);
    let request = TestRequest {
        suite: Some("all".to_owned()),
        changes: Some(Changes::SinceBase("HEAD".to_owned())),
        ..tiny.request()
    };
    let nothing = run_tests(&tiny.project(), &request, &CancelToken::new()).expect("runs");
    assert!(nothing.notices.contains(&Notice::NothingAffected {
        base: "HEAD".to_owned()
    }));
    assert_eq!(nothing.report.run.runner, RunnerKind::None);
    assert!(nothing.report.tests.is_empty());

    let test_file = tiny.root().join("tests/checkout.rs");
    let text = fs::read_to_string(&test_file).expect("read");
    fs::write(&test_file, format!("{text}// touched\n")).expect("touch");
    let run = run_tests(&tiny.project(), &request, &CancelToken::new()).expect("runs");
    let names: Vec<&str> = run
        .report
        .tests
        .iter()
        .map(|test| test.id.as_str())
        .collect();
    assert_eq!(names, ["tiny::checkout checkout_totals_the_cart"]);
    let change = run.report.change.as_ref().expect("change info");
    assert_eq!(change.files, ["tests/checkout.rs"]);
    assert!(
        change
            .diff
            .as_deref()
            .is_some_and(|diff| diff.contains("+// touched"))
    );

    // A lock-file change reaches everything, even though cargo rewrites the file it reads.
    let lock = tiny.root().join("Cargo.lock");
    let text = fs::read_to_string(&lock).expect("read");
    fs::write(&lock, format!("{text}# touched\n")).expect("touch");
    let everything = run_tests(&tiny.project(), &request, &CancelToken::new()).expect("runs");
    assert!(everything.notices.contains(&Notice::EverythingAffected {
        trigger: PathBuf::from("Cargo.lock")
    }));
    // Every test: six unit tests, the integration test and the doctest.
    assert_eq!(everything.report.summary.total, 8);
}

#[test]
fn changed_outside_git_says_so() {
    let tiny = Tiny::new();
    let request = TestRequest {
        changes: Some(Changes::SinceBase("main".to_owned())),
        ..tiny.request()
    };
    let error = run_tests(&tiny.project(), &request, &CancelToken::new()).expect_err("no git");
    assert!(matches!(error, RunnerError::Git(_)), "{error}");
    assert!(
        error.to_string().contains("not inside a git repository"),
        "{error}"
    );
}

#[test]
fn a_corrupt_baseline_stops_the_run_before_any_test() {
    let tiny = Tiny::new();
    let baseline = tiny.root().join("baseline.json");
    fs::write(&baseline, "{ \"version\": 1, \"tests\": [").expect("write");
    let request = TestRequest {
        baseline: Some(baseline),
        ..tiny.request()
    };
    let error = run_tests(&tiny.project(), &request, &CancelToken::new()).expect_err("corrupt");
    assert!(error.to_string().contains("baseline.json"), "{error}");
    assert!(!tiny.report_dir().exists());
}

#[test]
fn watch_cancels_a_running_test_on_a_newer_save_and_runs_again() {
    let tiny = Tiny::new();
    let project = tiny.project();
    let options = WatchOptions {
        request: TestRequest {
            echo: false,
            ..tiny.request()
        },
        debounce: Duration::from_millis(200),
        serve: Some("127.0.0.1:0".parse().expect("address")),
    };
    let stop = CancelToken::new();
    let (sender, events) = std::sync::mpsc::channel();
    let watcher = {
        let stop = stop.clone();
        thread::spawn(move || {
            watch(&project, &options, &stop, &mut |event| {
                let _ = sender.send(event);
            })
        })
    };
    let next = |what: &str| {
        events
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no event while waiting for {what}"))
    };
    let WatchEvent::Ready {
        serving: Some(address),
    } = next("ready")
    else {
        panic!("watch starts by saying it is ready and where it serves");
    };
    // First save: the slow test hangs, so this run is still going when the second save comes.
    tiny.behave("hang");
    assert!(matches!(
        next("the first change"),
        WatchEvent::Changed { .. }
    ));
    assert!(matches!(
        next("the first analysis"),
        WatchEvent::Analyzed(_)
    ));
    thread::sleep(Duration::from_secs(3));
    tiny.behave("");
    let mut seen = Vec::new();
    let finished = loop {
        match next("the second run") {
            WatchEvent::Finished(run) => break run,
            WatchEvent::Failed(message) => panic!("a run failed: {message}"),
            other => seen.push(
                format!("{other:?}")
                    .split([' ', '(', '{'])
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            ),
        }
    };
    assert_eq!(seen, ["Cancelled", "Changed", "Analyzed"]);
    assert!(!finished.report.run.interrupted);
    assert_eq!(finished.report.summary.failing(), 0);
    assert_eq!(finished.report.summary.passed, 7);
    let metrics = http_get(address, "/metrics");
    assert!(
        metrics.contains("commerce_tests{status=\"passed\"} 7"),
        "{metrics}"
    );
    assert!(http_get(address, "/healthz").ends_with("ok\n"));
    stop.cancel();
    watcher
        .join()
        .expect("the watcher ends")
        .expect("watching worked");
    assert_eq!(
        processes_in(tiny.root()),
        Vec::<String>::new(),
        "orphans left running"
    );
}

fn http_get(address: std::net::SocketAddr, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).expect("connects");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    response
}

#[test]
fn shards_split_the_tests_by_count_or_by_earlier_durations_and_merge_back() {
    use commerce_runner::gates::GateInputs;
    use commerce_runner::shard::Shard;

    let tiny = Tiny::new();
    tiny.behave("slow");
    let project = tiny.project();
    let whole = run_tests(&project, &tiny.request(), &CancelToken::new()).expect("runs");
    let timings = tiny.root().join("timings.json");
    fs::copy(tiny.report_dir().join("report.json"), &timings).expect("keep the timings");
    let ids = |report: &commerce_runner::report::Report| -> Vec<String> {
        report.tests.iter().map(|test| test.id.clone()).collect()
    };
    for shard_timings in [None, Some(timings)] {
        let mut shards = Vec::new();
        for index in 1..=2 {
            let request = TestRequest {
                shard: Some(Shard { index, total: 2 }),
                shard_timings: shard_timings.clone(),
                ..tiny.request()
            };
            shards.push(
                run_tests(&project, &request, &CancelToken::new())
                    .expect("runs")
                    .report,
            );
        }
        let (first, second) = (ids(&shards[0]), ids(&shards[1]));
        assert!(
            !first.is_empty() && !second.is_empty(),
            "{first:?} {second:?}"
        );
        assert!(
            first.iter().all(|id| !second.contains(id)),
            "{first:?} {second:?}"
        );
        if shard_timings.is_some() {
            // The 300 ms test is alone among its shard's nextest tests: the other five take a
            // few ms together. (The library's doctests go to shard 1 either way.)
            let slow_shard = shards
                .iter()
                .find(|report| {
                    report
                        .tests
                        .iter()
                        .any(|test| test.name == "tests::slow_inventory_sync")
                })
                .expect("some shard runs the slow test");
            let nextest_tests = slow_shard
                .tests
                .iter()
                .filter(|test| test.kind != "doctest")
                .count();
            assert_eq!(nextest_tests, 1, "{:?}", ids(slow_shard));
        }
        let config = project.config().gates.clone();
        let merged = commerce_runner::merge::merge(
            shards,
            None,
            GateInputs {
                config: &config,
                baseline: None,
                flaky_fails: false,
            },
        )
        .expect("merges");
        assert_eq!(ids(&merged), ids(&whole.report));
        assert_eq!(merged.run.merged_from, 2);
    }
}
