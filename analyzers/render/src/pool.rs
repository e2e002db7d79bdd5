//! The Node worker pool: long-lived `node` processes running the worker script shipped in the
//! binary ([`WORKER_SCRIPT`]), one JSON job per line on stdin, one JSON answer per line on
//! stdout. A worker that does not answer in time is killed and started again, so one route
//! that hangs or crashes Node never stops the others.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

use serde::Deserialize;

/// The worker, embedded so the tool is one binary.
pub const WORKER_SCRIPT: &str = include_str!("worker.js");

/// How long a fresh worker may take to load before it counts as broken.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A worker's first job also loads the app's packages (React, a UI kit, an SDK): it gets this
/// many times the route timeout, so a cold start on a busy machine is not a hang.
const COLD_START_FACTOR: u32 = 3;

/// A stack frame as V8 reports it (generated positions, 1-based).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct JsFrame {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub function: String,
}

/// A thrown value, described by the worker.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct JsError {
    pub name: String,
    pub message: String,
    pub frames: Vec<JsFrame>,
    /// Where a served module failed to transpile (already a source position).
    pub source: Option<SourcePoint>,
    /// The URL of a blocked `fetch`.
    pub url: Option<String>,
    /// The text stack (Node puts a syntax error's file and line in its first line).
    pub stack: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SourcePoint {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

/// One `console.error` / `console.warn` call during the render.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ConsoleCall {
    pub level: String,
    pub message: String,
    pub frames: Vec<JsFrame>,
    /// React's owner stack at the call (`React.captureOwnerStack()`, React 19.1+): where the
    /// elements being rendered were created.
    #[serde(default)]
    pub owner_stack: Option<String>,
}

/// A `fetch` the worker blocked, with where it was called.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct BlockedFetch {
    pub url: String,
    pub frames: Vec<JsFrame>,
}

/// What the worker answered for one job.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Answer {
    pub ms: u64,
    pub error: Option<JsError>,
    pub console: Vec<ConsoleCall>,
    pub fetches: Vec<BlockedFetch>,
    /// A React Router loader's error (other than a blocked fetch): the route was not rendered.
    pub unloaded: Option<JsError>,
    /// Why the route was not rendered, when the worker saw it could not be (a module only
    /// another runtime provides, a route its app never reached).
    pub skipped: Option<String>,
    /// The route's full path as its router declares it at run time (route objects whose
    /// paths are computed).
    pub path: Option<String>,
}

/// Why a job has no answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JobFailure {
    #[error("did not finish rendering within {0:?}; the worker was stopped")]
    Timeout(Duration),
    #[error("the Node worker exited while rendering ({0})")]
    Crashed(String),
    #[error("the Node worker could not be started: {0}")]
    Start(String),
}

/// A set of workers sharing one copy of the script.
#[derive(Debug)]
pub struct Pool {
    node: PathBuf,
    script: PathBuf,
    _dir: tempfile::TempDir,
    workers: Vec<Mutex<Option<Worker>>>,
    timeout: Duration,
}

impl Pool {
    /// A pool of `size` workers (started on first use) running `node`.
    ///
    /// # Errors
    /// When the script cannot be written to a temporary directory.
    pub fn new(node: &Path, size: usize, timeout: Duration) -> std::io::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("commerce-render-")
            .tempdir()?;
        let script = dir.path().join("worker.cjs");
        std::fs::write(&script, WORKER_SCRIPT)?;
        Ok(Self {
            node: node.to_path_buf(),
            script,
            _dir: dir,
            workers: (0..size.max(1)).map(|_| Mutex::new(None)).collect(),
            timeout,
        })
    }

    pub fn size(&self) -> usize {
        self.workers.len()
    }

    /// Runs `job` (one JSON line) on worker `slot`, starting it when it is not running.
    pub fn run(&self, slot: usize, job: &str) -> Result<Answer, JobFailure> {
        let mut guard = self.workers[slot % self.workers.len()]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if guard.is_none() {
            *guard = Some(
                Worker::start(&self.node, &self.script)
                    .map_err(|error| JobFailure::Start(error.to_string()))?,
            );
        }
        let Some(worker) = guard.as_mut() else {
            return Err(JobFailure::Start("no worker".to_owned()));
        };
        let answer = worker.run(job, self.timeout);
        if answer.is_err() {
            // A worker that hung or died is replaced for the next job.
            *guard = None;
        }
        answer
    }
}

#[derive(Debug)]
struct Worker {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    /// Jobs answered so far.
    answered: usize,
}

impl Worker {
    fn start(node: &Path, script: &Path) -> std::io::Result<Self> {
        let mut child = Command::new(node)
            .arg("--max-old-space-size=2048")
            .arg(script)
            .env("NODE_ENV", "development")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            return Err(std::io::Error::other("no pipes to the worker"));
        };
        let (sender, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut worker = Self {
            child,
            stdin,
            lines,
            answered: 0,
        };
        match worker.lines.recv_timeout(START_TIMEOUT) {
            Ok(line) if line.contains("\"ready\"") => Ok(worker),
            Ok(line) => Err(std::io::Error::other(format!(
                "unexpected first line from the worker: {line}"
            ))),
            Err(_) => Err(std::io::Error::other(format!(
                "the worker did not start ({})",
                worker.exit_status()
            ))),
        }
    }

    fn run(&mut self, job: &str, timeout: Duration) -> Result<Answer, JobFailure> {
        let sent = self
            .stdin
            .write_all(job.as_bytes())
            .and_then(|()| self.stdin.write_all(b"\n"))
            .and_then(|()| self.stdin.flush());
        if sent.is_err() {
            return Err(JobFailure::Crashed(self.exit_status()));
        }
        let allowed = if self.answered == 0 {
            timeout * COLD_START_FACTOR
        } else {
            timeout
        };
        match self.lines.recv_timeout(allowed) {
            Ok(line) => {
                self.answered += 1;
                serde_json::from_str(&line)
                    .map_err(|error| JobFailure::Crashed(format!("unreadable answer: {error}")))
            }
            Err(RecvTimeoutError::Timeout) => Err(JobFailure::Timeout(allowed)),
            Err(RecvTimeoutError::Disconnected) => Err(JobFailure::Crashed(self.exit_status())),
        }
    }

    /// How the process ended, after making sure it has.
    fn exit_status(&mut self) -> String {
        let _ = self.child.kill();
        match self.child.wait() {
            Ok(status) => status.to_string(),
            Err(error) => error.to_string(),
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `node` on `PATH` when it runs and is version 18 or newer, else why not.
pub fn find_node() -> Result<PathBuf, String> {
    let output = Command::new("node")
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("`node` was not found on PATH ({error})"))?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let major: Option<u32> = version
        .strip_prefix('v')
        .and_then(|rest| rest.split('.').next())
        .and_then(|major| major.parse().ok());
    match major {
        Some(major) if major >= 18 => Ok(PathBuf::from("node")),
        _ => Err(format!(
            "`node --version` says `{version}`; the render step needs Node.js 18 or newer"
        )),
    }
}
