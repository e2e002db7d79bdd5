//! libtest harnesses the runner drives itself, through libtest's JSON events (never its human
//! output): the test binaries of the fallback when cargo-nextest is missing (built once by
//! `cargo test --no-run`), and rustdoc's doctest harness behind `cargo test --doc`. A shard's
//! tests come from libtest's `--list --format terse` and run by `--exact` name; failed tests
//! are re-run the same way. The JSON format is unstable in libtest, so only the harnesses get
//! `RUSTC_BOOTSTRAP=1`, never the test build (for doctests the harness is `cargo test --doc`;
//! the variable does not make cargo rebuild the library).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::cancel::CancelToken;
use crate::error::RunnerError;
use crate::junit::{Attempt, JunitCase, JunitOutcome};
use crate::nextest::{ListedTest, describe, tail};
use crate::process::{self, Ended};
use crate::workspace::{TestKind, Workspace};

/// One libtest harness: a test binary, or rustdoc's doctest harness for one library.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TestBinary {
    pub binary_id: String,
    pub package: String,
    pub kind: TestKind,
    pub target: String,
    pub harness: Harness,
    /// Where cargo test would run it.
    pub cwd: PathBuf,
}

/// The program behind a [`TestBinary`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Harness {
    /// A test executable `cargo test --no-run` built.
    Executable(PathBuf),
    /// rustdoc's, behind `cargo test --doc --package P --`. rustdoc splits test filters at
    /// whitespace and every doctest name holds spaces, so doctests cannot be picked by name:
    /// they run, and re-run, a library at a time.
    Doctests { cargo: PathBuf },
}

impl TestBinary {
    /// Runs the harness with `libtest_args` for libtest itself, its stdout and stderr into
    /// `files`; stopped when `overdue` says a test ran too long.
    fn run(
        &self,
        libtest_args: &[&str],
        env: &[(&str, String)],
        (output, log): (&Path, &Path),
        overdue: &mut dyn FnMut() -> bool,
        cancel: &CancelToken,
    ) -> Result<Ended, RunnerError> {
        let mut command = match &self.harness {
            Harness::Executable(path) => Command::new(path),
            Harness::Doctests { cargo } => {
                let mut command = Command::new(cargo);
                command.args(["test", "--doc", "--package", &self.package, "--"]);
                command
            }
        };
        command
            .args(libtest_args)
            .current_dir(&self.cwd)
            .envs(env.iter().map(|(key, value)| (*key, value)))
            .stdin(Stdio::null())
            .stdout(Stdio::from(create(output)?))
            .stderr(Stdio::from(create(log)?));
        process::run_watched(&mut command, cancel, overdue).map_err(|source| RunnerError::Spawn {
            program: self.program(),
            source,
        })
    }

    /// Whether single tests can be run by their exact names.
    pub(crate) fn selects_by_name(&self) -> bool {
        matches!(self.harness, Harness::Executable(_))
    }

    fn program(&self) -> String {
        match &self.harness {
            Harness::Executable(path) => path.display().to_string(),
            Harness::Doctests { .. } => format!("cargo test --doc --package {}", self.package),
        }
    }
}

/// What the runs found.
#[derive(Debug, Default)]
pub(crate) struct FallbackRun {
    pub listed: Vec<ListedTest>,
    pub cases: Vec<JunitCase>,
    pub interrupted: bool,
}

/// Which tests of a binary run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Slice {
    /// Every test the binary has.
    All,
    /// These, by exact name (a shard's share); the `#[ignore]`d ones are listed as skipped.
    Only {
        names: Vec<String>,
        ignored: Vec<String>,
    },
}

/// A binary's tests, from libtest's `--list --format terse` (`name: test` lines), the
/// listing nextest also reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Listing {
    /// Sorted, like nextest's list.
    pub runnable: Vec<String>,
    pub ignored: Vec<String>,
}

/// Lists a test binary's tests (`#[ignore]`d ones apart).
pub(crate) fn list(
    binary: &TestBinary,
    dir: &Path,
    cancel: &CancelToken,
) -> Result<Listing, RunnerError> {
    let names = |extra: &[&str]| -> Result<Vec<String>, RunnerError> {
        let output = dir.join(format!(
            "list-{}{}.txt",
            file_stem(&binary.binary_id),
            extra.concat()
        ));
        let log = output.with_extension("log");
        let arguments = [&["--list", "--format", "terse"], extra].concat();
        let ended = binary.run(&arguments, &[], (&output, &log), &mut || false, cancel)?;
        if !ended.status().success() {
            return Err(RunnerError::Harness {
                command: format!("{} --list", binary.program()),
                status: describe(ended),
                log: tail(&log),
            });
        }
        let text = fs::read_to_string(&output).map_err(|source| write_error(&output, source))?;
        let mut names: Vec<String> = text
            .lines()
            .filter_map(|line| line.strip_suffix(": test"))
            .map(str::to_owned)
            .collect();
        names.sort();
        Ok(names)
    };
    let all = names(&[])?;
    let ignored = names(&["--ignored"])?;
    let runnable = all
        .into_iter()
        .filter(|name| ignored.binary_search(name).is_err())
        .collect();
    Ok(Listing { runnable, ignored })
}

/// A file name for a binary id (`pkg::bin/name`).
fn file_stem(binary_id: &str) -> String {
    binary_id.replace([':', '/'], "_")
}

/// Builds the tests with `cargo test --no-run` and lists the binaries it made.
pub(crate) fn build(
    cargo: &Path,
    workspace: &Workspace,
    target_flags: &[&str],
    dir: &Path,
    echo: bool,
    cancel: &CancelToken,
) -> Result<Vec<TestBinary>, RunnerError> {
    fs::create_dir_all(dir).map_err(|source| write_error(dir, source))?;
    let messages = dir.join("cargo-test-build.json");
    let log = dir.join("cargo-test-build.log");
    let mut command = Command::new(cargo);
    command
        .args([
            "test",
            "--no-run",
            "--workspace",
            "--message-format",
            "json",
        ])
        .args(target_flags)
        .current_dir(&workspace.root)
        .stdin(Stdio::null())
        .stdout(Stdio::from(create(&messages)?))
        .stderr(if echo {
            Stdio::inherit()
        } else {
            Stdio::from(create(&log)?)
        });
    let ended = spawn(&mut command, cancel)?;
    if !ended.status().success() {
        return Err(RunnerError::CargoTestBuild {
            status: describe(ended),
            log: tail(&log),
        });
    }
    let text = fs::read_to_string(&messages).map_err(|source| write_error(&messages, source))?;
    Ok(parse_artifacts(&text, workspace))
}

#[derive(Deserialize)]
struct Artifact {
    reason: String,
    #[serde(default)]
    target: Option<ArtifactTarget>,
    #[serde(default)]
    executable: Option<PathBuf>,
}

#[derive(Deserialize)]
struct ArtifactTarget {
    name: String,
    kind: Vec<String>,
    src_path: PathBuf,
}

/// The test executables among cargo's `compiler-artifact` messages, matched to workspace
/// members by their source path.
fn parse_artifacts(text: &str, workspace: &Workspace) -> Vec<TestBinary> {
    let mut binaries = Vec::new();
    for line in text.lines() {
        let Ok(artifact) = serde_json::from_str::<Artifact>(line) else {
            continue;
        };
        let (Some(target), Some(executable)) = (artifact.target, artifact.executable) else {
            continue;
        };
        if artifact.reason != "compiler-artifact" {
            continue;
        }
        let relative = target
            .src_path
            .strip_prefix(&workspace.root)
            .unwrap_or(&target.src_path)
            .to_path_buf();
        let Some(member) = workspace.packages.values().find(|member| {
            member
                .targets
                .iter()
                .any(|known| known.src_path == relative && known.name == target.name)
        }) else {
            continue;
        };
        let Some(kind) = target.kind.iter().find_map(|kind| TestKind::parse(kind)) else {
            continue;
        };
        binaries.push(TestBinary {
            binary_id: binary_id(&member.name, kind, &target.name),
            package: member.name.clone(),
            kind,
            target: target.name,
            harness: Harness::Executable(executable),
            cwd: workspace.root.join(&member.dir),
        });
    }
    binaries.sort_by(|a, b| a.binary_id.cmp(&b.binary_id));
    binaries
}

/// nextest's binary id, so reports from either runner compare and merge.
pub(crate) fn binary_id(package: &str, kind: TestKind, target: &str) -> String {
    match kind {
        TestKind::Lib | TestKind::ProcMacro => package.to_owned(),
        TestKind::Test => format!("{package}::{target}"),
        TestKind::Bin | TestKind::Bench | TestKind::Example | TestKind::Doctest => {
            format!("{package}::{}/{target}", kind.as_str())
        }
    }
}

/// Runs each binary's slice with JSON events, then re-runs the failed tests up to `retries`
/// times (a test that passes on a retry is flaky); a test running longer than `timeout` is
/// stopped and timed out. Stops early, keeping what finished, when cancelled.
pub(crate) fn run(
    plan: &[(&TestBinary, Slice)],
    env: &[(&str, String)],
    dir: &Path,
    (retries, timeout): (u32, Option<Duration>),
    cancel: &CancelToken,
) -> Result<FallbackRun, RunnerError> {
    fs::create_dir_all(dir).map_err(|source| write_error(dir, source))?;
    let mut run = FallbackRun::default();
    for (index, (binary, slice)) in plan.iter().enumerate() {
        if cancel.is_cancelled() {
            run.interrupted = true;
            break;
        }
        let mut listed = BTreeMap::new();
        let names = match slice {
            Slice::All => None,
            Slice::Only { names, ignored } => {
                for (name, ignored) in names
                    .iter()
                    .map(|name| (name, false))
                    .chain(ignored.iter().map(|name| (name, true)))
                {
                    listed.insert(name.clone(), listed_test(binary, name, ignored));
                }
                if names.is_empty() {
                    run.listed.extend(listed.into_values());
                    continue;
                }
                Some(names.as_slice())
            }
        };
        let attempt = |number: u32, names: Option<&[String]>| {
            run_once(
                binary,
                names,
                env,
                &dir.join(format!("libtest-{index}-{number}")),
                timeout,
                cancel,
            )
        };
        let mut cases: BTreeMap<String, JunitCase> = BTreeMap::new();
        // The tests the next attempt re-runs: those that failed the last one.
        let mut retry: Option<Vec<String>> = None;
        let mut cancelled = false;
        for number in 1..=retries + 1 {
            let filter = match &retry {
                None => names,
                Some(failed) => binary.selects_by_name().then_some(failed.as_slice()),
            };
            let mut ran = attempt(number, filter)?;
            if let Some(failed) = &retry {
                // A harness that cannot pick the failed tests ran them all: only the failed
                // ones' new results count.
                ran.cases.retain(|case| failed.contains(&case.name));
            }
            listed.append(&mut ran.listed);
            for mut case in ran.cases {
                if let Some(earlier) = cases.remove(&case.name) {
                    case.earlier_failures = earlier.earlier_failures;
                    case.earlier_failures.extend(earlier.failure);
                }
                cases.insert(case.name.clone(), case);
            }
            cancelled = ran.cancelled;
            let failed: Vec<String> = cases
                .values()
                .filter(|case| case.outcome == JunitOutcome::Failed)
                .map(|case| case.name.clone())
                .collect();
            if cancelled || failed.is_empty() || cancel.is_cancelled() {
                break;
            }
            retry = Some(failed);
        }
        run.listed.extend(listed.into_values());
        run.cases.extend(cases.into_values());
        if cancelled {
            run.interrupted = true;
            break;
        }
    }
    Ok(run)
}

/// One run of one harness.
#[derive(Default)]
struct Ran {
    listed: BTreeMap<String, ListedTest>,
    cases: Vec<JunitCase>,
    cancelled: bool,
}

/// Runs `binary` (only the tests `names` says, when given) with libtest's JSON events into
/// `<files>.json` and its stderr into `<files>.log`. A test that runs longer than `timeout`
/// stops the harness and is reported timed out; a test binary then goes on with the tests that
/// had not finished (`<files>-part2.json`, ...), the doctest harness cannot (see
/// [`Harness::Doctests`]).
fn run_once(
    binary: &TestBinary,
    names: Option<&[String]>,
    env: &[(&str, String)],
    files: &Path,
    timeout: Option<Duration>,
    cancel: &CancelToken,
) -> Result<Ran, RunnerError> {
    // libtest's JSON output is unstable: allowed here, for the harness alone (cargo does not
    // rebuild for it).
    let env = [&[("RUSTC_BOOTSTRAP", "1".to_owned())], env].concat();
    let mut ran = Ran::default();
    // Tests an earlier part finished or stopped, which the next part skips.
    let mut done: Vec<String> = Vec::new();
    for part in 1.. {
        let stem = match part {
            1 => files.to_path_buf(),
            _ => PathBuf::from(format!("{}-part{part}", files.display())),
        };
        let (events, log) = (stem.with_extension("json"), stem.with_extension("log"));
        let mut libtest_args = vec![
            "-Z",
            "unstable-options",
            "--format",
            "json",
            "--report-time",
        ];
        if names.is_some() || !done.is_empty() {
            libtest_args.push("--exact");
        }
        libtest_args.extend(names.unwrap_or_default().iter().map(String::as_str));
        for name in &done {
            libtest_args.extend(["--skip", name.as_str()]);
        }
        let mut watchdog = timeout.map(|timeout| Watchdog::new(&events, timeout));
        let ended = binary.run(
            &libtest_args,
            &env,
            (&events, &log),
            &mut || watchdog.as_mut().is_some_and(Watchdog::overdue),
            cancel,
        )?;
        let text = fs::read_to_string(&events).unwrap_or_default();
        if matches!(ended, Ended::Exited(status) if !status.success()) && !started_a_suite(&text) {
            return Err(RunnerError::Harness {
                command: binary.program(),
                status: describe(ended),
                log: tail(&log),
            });
        }
        let (mut listed, cases) = parse_events(&text, binary);
        ran.listed.append(&mut listed);
        ran.cases.extend(cases);
        match (ended, watchdog) {
            (Ended::Overdue(_), Some(watchdog)) => {
                let timeout = watchdog.timeout;
                // A test skipped by name yet running again would stop every part: give up.
                let again = watchdog
                    .overdue_tests()
                    .any(|name| done.iter().any(|d| d == name));
                ran.cases.extend(
                    watchdog
                        .overdue_tests()
                        .filter(|name| !done.iter().any(|d| d == name))
                        .map(|name| timed_out(binary, name, timeout)),
                );
                if again || !binary.selects_by_name() {
                    break;
                }
                done = ran.cases.iter().map(|case| case.name.clone()).collect();
            }
            (Ended::Cancelled(_), _) => {
                ran.cancelled = true;
                break;
            }
            _ => break,
        }
    }
    Ok(ran)
}

/// The result of a test the watchdog stopped, in nextest's shape for a timeout.
fn timed_out(binary: &TestBinary, name: &str, timeout: Duration) -> JunitCase {
    JunitCase {
        binary_id: binary.binary_id.clone(),
        name: name.to_owned(),
        seconds: timeout.as_secs_f64(),
        outcome: JunitOutcome::Failed,
        failure: Some(Attempt {
            kind: "test timeout".to_owned(),
            ..Attempt::default()
        }),
        earlier_failures: Vec::new(),
        stdout: String::new(),
        stderr: String::new(),
    }
}

/// Which tests of a running harness have run past the timeout, from the JSON events it has
/// written so far.
struct Watchdog<'a> {
    events: &'a Path,
    timeout: Duration,
    /// How much of the events file has been read; `unfinished` holds a line still being
    /// written.
    read: u64,
    unfinished: Vec<u8>,
    /// Tests started and not finished, with when they were first seen running.
    running: BTreeMap<String, Instant>,
}

impl<'a> Watchdog<'a> {
    fn new(events: &'a Path, timeout: Duration) -> Self {
        Self {
            events,
            timeout,
            read: 0,
            unfinished: Vec::new(),
            running: BTreeMap::new(),
        }
    }

    /// Reads the new events; whether a test has now run past the timeout.
    fn overdue(&mut self) -> bool {
        self.read_new_events();
        self.overdue_tests().next().is_some()
    }

    fn overdue_tests(&self) -> impl Iterator<Item = &str> {
        self.running
            .iter()
            .filter(|(_, started)| started.elapsed() > self.timeout)
            .map(|(name, _)| name.as_str())
    }

    fn read_new_events(&mut self) {
        let Ok(mut file) = File::open(self.events) else {
            return;
        };
        if file.seek(SeekFrom::Start(self.read)).is_err() {
            return;
        }
        let mut bytes = Vec::new();
        let Ok(count) = file.read_to_end(&mut bytes) else {
            return;
        };
        self.read += count as u64;
        self.unfinished.extend(bytes);
        while let Some(end) = self.unfinished.iter().position(|byte| *byte == b'\n') {
            let line: Vec<u8> = self.unfinished.drain(..=end).collect();
            let Ok(event) = serde_json::from_slice::<Event>(&line) else {
                continue;
            };
            if event.kind != "test" {
                continue;
            }
            if event.event == "started" {
                self.running.insert(event.name, Instant::now());
            } else {
                self.running.remove(&event.name);
            }
        }
    }
}

/// Whether libtest got as far as running tests (a harness that did not, failed to build or
/// start).
fn started_a_suite(events: &str) -> bool {
    events
        .lines()
        .filter_map(|line| serde_json::from_str::<Event>(line).ok())
        .any(|event| event.kind == "suite")
}

fn listed_test(binary: &TestBinary, name: &str, ignored: bool) -> ListedTest {
    ListedTest {
        binary_id: binary.binary_id.clone(),
        package: binary.package.clone(),
        kind: binary.kind,
        name: name.to_owned(),
        ignored,
    }
}

#[derive(Deserialize)]
struct Event {
    #[serde(rename = "type")]
    kind: String,
    event: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    exec_time: Option<f64>,
    #[serde(default)]
    stdout: Option<String>,
}

/// libtest's JSON events of one binary as listed tests and results (in nextest's shapes).
fn parse_events(text: &str, binary: &TestBinary) -> (BTreeMap<String, ListedTest>, Vec<JunitCase>) {
    let mut listed = BTreeMap::new();
    let mut cases = Vec::new();
    for event in text
        .lines()
        .filter_map(|line| serde_json::from_str::<Event>(line).ok())
        .filter(|event| event.kind == "test")
    {
        let ignored = event.event == "ignored";
        listed.insert(
            event.name.clone(),
            listed_test(binary, &event.name, ignored),
        );
        let outcome = match event.event.as_str() {
            "ok" => JunitOutcome::Passed,
            "failed" | "timeout" => JunitOutcome::Failed,
            "ignored" => JunitOutcome::Skipped,
            _ => continue,
        };
        let output = event.stdout.unwrap_or_default();
        cases.push(JunitCase {
            binary_id: binary.binary_id.clone(),
            name: event.name,
            seconds: event.exec_time.unwrap_or(0.0),
            outcome,
            failure: (outcome == JunitOutcome::Failed).then(|| Attempt {
                message: String::new(),
                kind: "test failure".to_owned(),
                text: output.clone(),
                stdout: String::new(),
                stderr: String::new(),
            }),
            earlier_failures: Vec::new(),
            stdout: output,
            stderr: String::new(),
        });
    }
    (listed, cases)
}

fn spawn(command: &mut Command, cancel: &CancelToken) -> Result<Ended, RunnerError> {
    process::run(command, cancel).map_err(|source| RunnerError::Spawn {
        program: "cargo test".to_owned(),
        source,
    })
}

fn create(path: &Path) -> Result<File, RunnerError> {
    File::create(path).map_err(|source| write_error(path, source))
}

fn write_error(path: &Path, source: std::io::Error) -> RunnerError {
    RunnerError::Write {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binary() -> TestBinary {
        TestBinary {
            binary_id: "tiny".to_owned(),
            package: "tiny".to_owned(),
            kind: TestKind::Lib,
            target: "tiny".to_owned(),
            harness: Harness::Executable(PathBuf::from("/bin/true")),
            cwd: PathBuf::from("/"),
        }
    }

    #[test]
    fn libtest_events_become_results() {
        let events = r#"{ "type": "suite", "event": "started", "test_count": 3 }
{ "type": "test", "event": "started", "name": "a" }
{ "type": "test", "name": "a", "event": "ok", "exec_time": 0.25 }
{ "type": "test", "name": "b", "event": "failed", "exec_time": 0.5, "stdout": "thread 'b' panicked at src/lib.rs:3:5:\nboom\n" }
{ "type": "test", "name": "c", "event": "ignored" }
not json at all
{ "type": "suite", "event": "failed", "passed": 1, "failed": 1 }"#;
        let (listed, cases) = parse_events(events, &binary());
        assert_eq!(listed.len(), 3);
        assert!(listed.values().any(|test| test.name == "c" && test.ignored));
        let outcomes: Vec<(&str, JunitOutcome)> = cases
            .iter()
            .map(|case| (case.name.as_str(), case.outcome))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("a", JunitOutcome::Passed),
                ("b", JunitOutcome::Failed),
                ("c", JunitOutcome::Skipped)
            ]
        );
        assert!(
            cases[1]
                .failure
                .as_ref()
                .is_some_and(|f| f.text.contains("boom"))
        );
    }

    #[test]
    fn the_watchdog_follows_the_events_as_they_are_written() {
        use std::io::Write as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("events.json");
        let mut events = File::create(&path).expect("create");
        let mut watchdog = Watchdog::new(&path, Duration::from_millis(30));
        assert!(!watchdog.overdue());
        write!(
            events,
            "{{ \"type\": \"suite\", \"event\": \"started\", \"test_count\": 2 }}\n\
             {{ \"type\": \"test\", \"event\": \"started\", \"name\": \"fast\" }}\n\
             {{ \"type\": \"test\", \"event\": \"started\", \"name\": \"hangs\" }}\n\
             {{ \"type\": \"test\", \"name\": \"fast\", \"event\": \"ok\" }}\n\
             {{ \"type\": \"test\", \"name\": \"half a li"
        )
        .expect("write");
        assert!(!watchdog.overdue(), "not yet past the timeout");
        std::thread::sleep(Duration::from_millis(60));
        assert!(watchdog.overdue());
        assert_eq!(watchdog.overdue_tests().collect::<Vec<_>>(), ["hangs"]);
        writeln!(events, "ne\", \"event\": \"started\" }}").expect("write");
        writeln!(
            events,
            "{{ \"type\": \"test\", \"name\": \"hangs\", \"event\": \"failed\" }}"
        )
        .expect("write");
        // `hangs` ended; the test of the line finished late has only just started.
        assert!(!watchdog.overdue());
        assert_eq!(watchdog.running.keys().collect::<Vec<_>>(), ["half a line"]);
    }

    #[test]
    fn binary_ids_match_nextests() {
        assert_eq!(binary_id("shop", TestKind::Lib, "shop"), "shop");
        assert_eq!(
            binary_id("shop", TestKind::Test, "checkout"),
            "shop::checkout"
        );
        assert_eq!(
            binary_id("shop", TestKind::Bin, "server"),
            "shop::bin/server"
        );
    }
}
