//! The fallback when cargo-nextest is missing: `cargo test --no-run` builds the test binaries,
//! then each runs with libtest's JSON event output (never its human output). The JSON format
//! is unstable in libtest, so only the test binaries get `RUSTC_BOOTSTRAP=1`, never the build.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

use crate::cancel::CancelToken;
use crate::error::RunnerError;
use crate::junit::{Attempt, JunitCase, JunitOutcome};
use crate::nextest::{ListedTest, describe, tail};
use crate::process::{self, Ended};
use crate::workspace::{TestKind, Workspace};

/// One built test binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TestBinary {
    pub binary_id: String,
    pub package: String,
    pub kind: TestKind,
    pub target: String,
    pub executable: PathBuf,
    /// Where cargo test would run it: the package's directory.
    pub cwd: PathBuf,
}

/// What the fallback run found.
#[derive(Debug, Default)]
pub(crate) struct FallbackRun {
    pub listed: Vec<ListedTest>,
    pub cases: Vec<JunitCase>,
    pub interrupted: bool,
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
            executable,
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
        TestKind::Bin | TestKind::Bench | TestKind::Example => {
            format!("{package}::{}/{target}", kind.as_str())
        }
    }
}

/// Runs every binary with JSON events; stops early, keeping what finished, when cancelled.
pub(crate) fn run(
    binaries: &[TestBinary],
    env: &[(&str, String)],
    dir: &Path,
    cancel: &CancelToken,
) -> Result<FallbackRun, RunnerError> {
    let mut run = FallbackRun::default();
    for (index, binary) in binaries.iter().enumerate() {
        if cancel.is_cancelled() {
            run.interrupted = true;
            break;
        }
        let events = dir.join(format!("libtest-{index}.json"));
        let mut command = Command::new(&binary.executable);
        command
            .args([
                "-Z",
                "unstable-options",
                "--format",
                "json",
                "--report-time",
            ])
            .env("RUSTC_BOOTSTRAP", "1")
            .envs(env.iter().map(|(key, value)| (*key, value)))
            .current_dir(&binary.cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::from(create(&events)?))
            .stderr(Stdio::null());
        let ended = process::run(&mut command, cancel).map_err(|source| RunnerError::Spawn {
            program: binary.executable.display().to_string(),
            source,
        })?;
        let text = fs::read_to_string(&events).unwrap_or_default();
        let (listed, cases) = parse_events(&text, binary);
        run.listed.extend(listed);
        run.cases.extend(cases);
        if matches!(ended, Ended::Cancelled(_)) {
            run.interrupted = true;
            break;
        }
    }
    Ok(run)
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
fn parse_events(text: &str, binary: &TestBinary) -> (Vec<ListedTest>, Vec<JunitCase>) {
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
            ListedTest {
                binary_id: binary.binary_id.clone(),
                package: binary.package.clone(),
                kind: binary.kind,
                name: event.name.clone(),
                ignored,
            },
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
    (listed.into_values().collect(), cases)
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
            executable: PathBuf::from("/bin/true"),
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
        assert!(listed.iter().any(|test| test.name == "c" && test.ignored));
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
