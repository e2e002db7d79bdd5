//! cargo-nextest, driven through its machine interfaces only: `cargo nextest list
//! --message-format json` for what will run, a generated tool config whose profile writes
//! JUnit XML for what happened.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::Deserialize;

use crate::cancel::CancelToken;
use crate::error::RunnerError;
use crate::process::{self, Ended};
use crate::shard::Shard;
use crate::workspace::TestKind;

/// The tool name nextest knows our configuration by, and our profile in it.
const TOOL: &str = "commerce";
pub(crate) const PROFILE: &str = "commerce:run";

/// Whether `cargo nextest` can run: an executable `cargo-nextest` where cargo looks for
/// subcommands (`PATH`, then `$CARGO_HOME/bin`). A lookup, not `cargo nextest --version`: it is
/// on the path of every run, and starting cargo costs tens of milliseconds.
pub fn is_installed() -> bool {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")));
    on_search_path(
        "cargo-nextest",
        std::env::var_os("PATH"),
        cargo_home.map(|home| home.join("bin")),
    )
}

fn on_search_path(name: &str, path: Option<std::ffi::OsString>, extra: Option<PathBuf>) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.iter()
        .flat_map(std::env::split_paths)
        .chain(extra)
        .any(|dir| {
            fs::metadata(dir.join(name))
                .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        })
}

/// What nextest will run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestList {
    pub tests: Vec<ListedTest>,
}

/// One test nextest listed for the run.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ListedTest {
    /// nextest's binary id: `pkg` for a library, `pkg::bin/name`, `pkg::test_target`.
    pub binary_id: String,
    pub package: String,
    pub kind: TestKind,
    pub name: String,
    /// `#[ignore]`d tests are listed but not run.
    pub ignored: bool,
}

/// Where the run's files go and how nextest is invoked.
#[derive(Clone, Debug)]
pub(crate) struct Invocation<'a> {
    pub cargo: &'a Path,
    pub workspace_root: &'a Path,
    /// `cargo metadata`'s JSON: with the binaries list it lets nextest skip cargo after the
    /// one build.
    pub cargo_metadata: &'a str,
    /// `<report dir>/nextest`: the tool config, list output, logs and nextest's store.
    pub dir: PathBuf,
    pub filterset: Option<&'a str>,
    pub shard: Option<Shard>,
    /// Show cargo's and nextest's progress on our stderr (else it goes to a log file).
    pub echo: bool,
}

impl Invocation<'_> {
    /// `cargo nextest SUBCOMMAND` over the binaries [`Invocation::build`] made, so neither the
    /// listing nor the run starts cargo again.
    fn command(&self, subcommand: &str) -> Command {
        let mut command = Command::new(self.cargo);
        command
            .args(["nextest", subcommand])
            .arg("--binaries-metadata")
            .arg(self.binaries_path())
            .arg("--cargo-metadata")
            .arg(self.cargo_metadata_path())
            .current_dir(self.workspace_root)
            .stdin(Stdio::null());
        self.use_our_profile(&mut command);
        if let Some(filterset) = self.filterset {
            command.args(["-E", filterset]);
        }
        if let Some(shard) = self.shard {
            command.arg("--partition").arg(shard.partition());
        }
        command
    }

    /// Our generated profile, always named explicitly: a `NEXTEST_PROFILE` inherited from the
    /// environment (set when `cargo commerce` itself runs under nextest) would name a profile
    /// the project under test does not have.
    fn use_our_profile(&self, command: &mut Command) {
        command
            .arg("--tool-config-file")
            .arg(format!(
                "{TOOL}:{}",
                self.dir.join("tool-config.toml").display()
            ))
            .args(["--profile", PROFILE]);
    }

    fn log_path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn binaries_path(&self) -> PathBuf {
        self.dir.join("binaries.json")
    }

    fn cargo_metadata_path(&self) -> PathBuf {
        self.dir.join("cargo-metadata.json")
    }

    /// Builds every test binary of the workspace once (`cargo nextest list --list-type
    /// binaries-only`) and keeps what nextest needs to reuse the build.
    fn build(&self, cancel: &CancelToken) -> Result<(), RunnerError> {
        let metadata = self.cargo_metadata_path();
        fs::write(&metadata, self.cargo_metadata)
            .map_err(|source| write_error(&metadata, source))?;
        let log = self.log_path("build.log");
        let mut command = Command::new(self.cargo);
        command
            .args([
                "nextest",
                "list",
                "--workspace",
                "--list-type",
                "binaries-only",
            ])
            .args(["--message-format", "json"])
            .current_dir(self.workspace_root)
            .stdin(Stdio::null())
            .stdout(Stdio::from(create(&self.binaries_path())?))
            .stderr(self.stderr(&log)?);
        self.use_our_profile(&mut command);
        let ended = spawn(&mut command, cancel)?;
        if ended.status().success() {
            Ok(())
        } else {
            Err(RunnerError::NextestList {
                status: describe(ended),
                log: tail(&log),
            })
        }
    }

    /// Progress to our stderr, or into `log` for error messages.
    fn stderr(&self, log: &Path) -> Result<Stdio, RunnerError> {
        if self.echo {
            Ok(Stdio::inherit())
        } else {
            Ok(Stdio::from(create(log)?))
        }
    }

    pub(crate) fn junit_path(&self) -> PathBuf {
        self.dir.join("store").join(PROFILE).join("junit.xml")
    }

    /// Writes the tool config: our profile adds JUnit output and never stops at the first
    /// failure; everything else comes from the repository's own `.config/nextest.toml`.
    pub(crate) fn write_config(&self, slow_timeout: Option<Duration>) -> Result<(), RunnerError> {
        fs::create_dir_all(&self.dir).map_err(|source| write_error(&self.dir, source))?;
        let store = toml_string(&self.dir.join("store").to_string_lossy());
        let mut config = format!(
            "# Written by cargo commerce for each run; edit .config/nextest.toml instead.\n\
             [store]\ndir = {store}\n\n\
             [profile.\"{PROFILE}\"]\nfail-fast = false\n"
        );
        if let Some(timeout) = slow_timeout {
            // nextest warns at every period and kills the test after two of them.
            let period = (timeout / 2).max(Duration::from_millis(500));
            config.push_str(&format!(
                "slow-timeout = {{ period = \"{}ms\", terminate-after = 2 }}\n",
                period.as_millis()
            ));
        }
        config.push_str(&format!(
            "\n[profile.\"{PROFILE}\".junit]\npath = \"junit.xml\"\nstore-success-output = false\nstore-failure-output = true\n"
        ));
        let path = self.dir.join("tool-config.toml");
        fs::write(&path, config).map_err(|source| write_error(&path, source))?;
        // A JUnit file from an earlier run must never pass for this one's.
        let junit = self.junit_path();
        if junit.exists() {
            fs::remove_file(&junit).map_err(|source| write_error(&junit, source))?;
        }
        Ok(())
    }

    /// Builds the tests, then `cargo nextest list --message-format json` lists the selection.
    pub(crate) fn list(&self, cancel: &CancelToken) -> Result<TestList, RunnerError> {
        self.build(cancel)?;
        let output = self.log_path("list.json");
        let log = self.log_path("list.log");
        let mut command = self.command("list");
        command
            .args(["--message-format", "json"])
            .stdout(Stdio::from(create(&output)?))
            .stderr(self.stderr(&log)?);
        let ended = spawn(&mut command, cancel)?;
        if !ended.status().success() {
            return Err(RunnerError::NextestList {
                status: describe(ended),
                log: tail(&log),
            });
        }
        let json = fs::read_to_string(&output).map_err(|source| RunnerError::Report {
            path: output.clone(),
            message: source.to_string(),
        })?;
        parse_list(&json)
    }

    /// `cargo nextest run`; the results are in [`Invocation::junit_path`] afterwards.
    pub(crate) fn run(
        &self,
        env: &[(&str, String)],
        retries: u32,
        cancel: &CancelToken,
    ) -> Result<Ended, RunnerError> {
        let log = self.log_path("run.log");
        let mut command = self.command("run");
        command
            .args(["--no-fail-fast", "--retries", &retries.to_string()])
            .envs(env.iter().map(|(key, value)| (*key, value)))
            .stdout(if self.echo {
                // Our stdout may be a machine-readable report: nextest's goes to stderr.
                stderr_copy()
            } else {
                Stdio::null()
            })
            .stderr(self.stderr(&log)?);
        let ended = spawn(&mut command, cancel)?;
        if !self.junit_path().exists() {
            return Err(RunnerError::NoJunit {
                status: describe(ended),
                log: tail(&log),
            });
        }
        Ok(ended)
    }
}

/// Our stderr, shared with a child as its stdout; nothing when it cannot be duplicated.
fn stderr_copy() -> Stdio {
    use std::os::fd::AsFd;
    std::io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .map_or_else(|_| Stdio::null(), Stdio::from)
}

fn spawn(command: &mut Command, cancel: &CancelToken) -> Result<Ended, RunnerError> {
    process::run(command, cancel).map_err(|source| RunnerError::Spawn {
        program: "cargo nextest".to_owned(),
        source,
    })
}

/// `cargo nextest list --message-format json`, reduced to what the runner uses.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct ListJson {
    rust_suites: BTreeMap<String, SuiteJson>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct SuiteJson {
    package_name: String,
    kind: String,
    testcases: BTreeMap<String, CaseJson>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct CaseJson {
    ignored: bool,
    filter_match: FilterMatch,
}

#[derive(Debug, Deserialize)]
struct FilterMatch {
    status: String,
    #[serde(default)]
    reason: Option<String>,
}

/// The tests the filter selects, plus the `#[ignore]`d ones it would select (reported as
/// skipped).
pub(crate) fn parse_list(json: &str) -> Result<TestList, RunnerError> {
    let list: ListJson = serde_json::from_str(json).map_err(RunnerError::NextestListJson)?;
    let mut tests = Vec::new();
    for (binary_id, suite) in list.rust_suites {
        let Some(kind) = TestKind::parse(&suite.kind) else {
            continue;
        };
        for (name, case) in suite.testcases {
            let selected = case.filter_match.status == "matches";
            let ignored_only =
                case.ignored && case.filter_match.reason.as_deref() == Some("ignored");
            if selected || ignored_only {
                tests.push(ListedTest {
                    binary_id: binary_id.clone(),
                    package: suite.package_name.clone(),
                    kind,
                    name,
                    ignored: !selected,
                });
            }
        }
    }
    tests.sort();
    Ok(TestList { tests })
}

fn create(path: &Path) -> Result<File, RunnerError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|source| write_error(parent, source))?;
    }
    File::create(path).map_err(|source| write_error(path, source))
}

fn write_error(path: &Path, source: std::io::Error) -> RunnerError {
    RunnerError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

pub(crate) fn describe(ended: Ended) -> String {
    let status = ended.status();
    let exit = match status.code() {
        Some(code) => format!("exit code {code}"),
        None => format!("{status}"),
    };
    match ended {
        Ended::Exited(_) => exit,
        Ended::Cancelled(_) => format!("cancelled, {exit}"),
        Ended::Overdue(_) => format!("stopped after a test timed out, {exit}"),
    }
}

/// The last lines of a log, for an error message; empty when the log was shown live.
pub(crate) fn tail(log: &Path) -> String {
    const LINES: usize = 40;
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(LINES)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_keeps_matching_tests_and_ignored_ones_as_skipped() {
        let json = r#"{
          "rust-build-meta": {},
          "test-count": 3,
          "rust-suites": {
            "shop": { "package-name": "shop", "binary-id": "shop", "kind": "lib",
              "testcases": {
                "cart::sums": { "kind": "test", "ignored": false, "filter-match": { "status": "matches" } },
                "cart::slow": { "kind": "test", "ignored": true, "filter-match": { "status": "mismatch", "reason": "ignored" } },
                "cart::other": { "kind": "test", "ignored": false, "filter-match": { "status": "mismatch", "reason": "expression" } }
              } },
            "shop::checkout": { "package-name": "shop", "binary-id": "shop::checkout", "kind": "test",
              "testcases": {
                "pays": { "kind": "test", "ignored": false, "filter-match": { "status": "matches" } }
              } },
            "shop::build-script-build": { "package-name": "shop", "kind": "custom-build", "testcases": {} }
          }
        }"#;
        let list = parse_list(json).expect("valid list");
        let summary: Vec<(&str, &str, TestKind, bool)> = list
            .tests
            .iter()
            .map(|test| {
                (
                    test.binary_id.as_str(),
                    test.name.as_str(),
                    test.kind,
                    test.ignored,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("shop", "cart::slow", TestKind::Lib, true),
                ("shop", "cart::sums", TestKind::Lib, false),
                ("shop::checkout", "pays", TestKind::Test, false),
            ]
        );
    }

    #[test]
    fn unreadable_list_output_is_an_error_not_a_panic() {
        assert!(matches!(
            parse_list("{ not json"),
            Err(RunnerError::NextestListJson(_))
        ));
    }

    #[test]
    fn nextest_is_found_as_an_executable_on_the_search_path() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let (bin, home_bin) = (dir.path().join("bin"), dir.path().join("home/bin"));
        fs::create_dir_all(&bin).expect("mkdir");
        fs::create_dir_all(&home_bin).expect("mkdir");
        let path = Some(bin.clone().into_os_string());
        assert!(!on_search_path(
            "cargo-nextest",
            path.clone(),
            Some(home_bin.clone())
        ));
        let program = home_bin.join("cargo-nextest");
        fs::write(&program, "#!/bin/sh\n").expect("write");
        assert!(
            !on_search_path("cargo-nextest", path.clone(), Some(home_bin.clone())),
            "not executable"
        );
        fs::set_permissions(&program, fs::Permissions::from_mode(0o755)).expect("chmod");
        assert!(on_search_path(
            "cargo-nextest",
            path.clone(),
            Some(home_bin)
        ));
        assert!(!on_search_path("cargo-nextest", path, None));
    }
}
