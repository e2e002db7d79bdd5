//! `cargo commerce watch`: on every save, the analyzers on the saved files and the tests they
//! can reach. A newer save cancels the running tests (their process group is killed) and
//! starts again with every file saved since. Gitignored files, `.git/`, the target directory
//! and the report directory are not watched; editors' swap and backup files are skipped, and
//! the debouncer folds rename-on-save into one change.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use commerce_analysis::CheckResult;
use commerce_project::{ChangeStatus, ChangedFile, Project};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use notify_debouncer_full::notify::event::ModifyKind;
use notify_debouncer_full::notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, new_debouncer};

use crate::cancel::CancelToken;
use crate::error::RunnerError;
use crate::report::{self, Findings};
use crate::run::{Changes, TestRequest, TestRun, run_tests};
use crate::workspace::Workspace;

/// How often the loop looks at the stop token, the running tests and the server.
const POLL: Duration = Duration::from_millis(50);

/// How to watch.
#[derive(Clone, Debug)]
pub struct WatchOptions {
    /// The run every change starts; its `changes` are replaced by the saved files.
    pub request: TestRequest,
    /// Saves closer together than this are one change.
    pub debounce: Duration,
    /// Serve `/healthz` and `/metrics` (the last run's Prometheus text) here.
    pub serve: Option<SocketAddr>,
}

/// What happened, for the caller's status line.
#[derive(Debug)]
pub enum WatchEvent {
    /// Watching; `serving` is the bound address of `--serve`, if any.
    Ready {
        serving: Option<SocketAddr>,
    },
    /// Files were saved; a run starts for them.
    Changed {
        files: Vec<PathBuf>,
    },
    /// The analyzers' findings on the saved files.
    Analyzed(Box<CheckResult>),
    /// A newer save cancelled the running tests.
    Cancelled,
    Finished(Box<TestRun>),
    /// A run could not start or finish (a build error, a bad config); watching goes on.
    Failed(String),
}

/// Watches `project` until `stop` is cancelled, reporting through `on_event`.
///
/// # Errors
/// When the project cannot be watched (no Cargo workspace, the OS refuses a watcher) or the
/// `--serve` address cannot be bound.
pub fn watch(
    project: &Project,
    options: &WatchOptions,
    stop: &CancelToken,
    on_event: &mut dyn FnMut(WatchEvent),
) -> Result<(), RunnerError> {
    let root = project.root().to_path_buf();
    let workspace = Workspace::load(&root)?;
    let report_dir = options
        .request
        .report_dir
        .clone()
        .unwrap_or_else(|| workspace.target_dir.join("commerce"));
    let filter = PathFilter::new(&root, &[workspace.target_dir.clone(), report_dir.clone()]);
    let metrics = Arc::new(Mutex::new(String::new()));
    let serving = options
        .serve
        .map(|address| serve(address, Arc::clone(&metrics), stop.clone()))
        .transpose()?;

    let (sender, events) = mpsc::channel::<DebounceEventResult>();
    let watch_error = |message: String| RunnerError::Watch {
        path: root.clone(),
        message,
    };
    let mut debouncer = new_debouncer(options.debounce, None, sender)
        .map_err(|error| watch_error(error.to_string()))?;
    debouncer
        .watch(&root, RecursiveMode::Recursive)
        .map_err(|error| watch_error(error.to_string()))?;
    on_event(WatchEvent::Ready { serving });

    let mut running: Option<Running> = None;
    let mut saved: Vec<PathBuf> = Vec::new();
    loop {
        if stop.is_cancelled() {
            if let Some(run) = running.take() {
                run.cancel();
            }
            return Ok(());
        }
        if running.as_ref().is_some_and(Running::is_finished)
            && let Some(run) = running.take()
        {
            let event = run.finish();
            if let WatchEvent::Finished(run) = &event {
                saved.clear();
                if let Ok(mut text) = metrics.lock() {
                    *text = report::render_prometheus(&run.report);
                }
            }
            on_event(event);
        }
        let batch = match events.recv_timeout(POLL) {
            Ok(Ok(batch)) => batch,
            Ok(Err(errors)) => {
                let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
                on_event(WatchEvent::Failed(format!(
                    "watching failed: {}",
                    messages.join("; ")
                )));
                continue;
            }
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        };
        let files = filter.relevant(
            batch
                .iter()
                .filter(|event| changes_content(event.kind))
                .flat_map(|event| event.paths.iter()),
        );
        if files.is_empty() {
            continue;
        }
        if let Some(run) = running.take() {
            run.cancel();
            on_event(WatchEvent::Cancelled);
        }
        // A cancelled run's files are still untested: the new run covers them too.
        for file in files {
            if !saved.contains(&file) {
                saved.push(file);
            }
        }
        on_event(WatchEvent::Changed {
            files: saved.clone(),
        });
        let changes = Changes::Files(changed_files(&root, &saved));
        let summary = match changes.analyze(project, &[]) {
            Ok(result) => {
                let summary = Findings::of(&result);
                on_event(WatchEvent::Analyzed(Box::new(result)));
                Some(summary)
            }
            Err(error) => {
                on_event(WatchEvent::Failed(error.to_string()));
                None
            }
        };
        let request = TestRequest {
            changes: Some(changes),
            report_dir: Some(report_dir.clone()),
            analysis: summary,
            ..options.request.clone()
        };
        running = Some(Running::start(project.clone(), request, stop.child()));
    }
}

/// Whether an event can change what a file holds: reads (cargo and the tests read sources)
/// and metadata-only changes cannot.
fn changes_content(kind: EventKind) -> bool {
    !kind.is_access() && !matches!(kind, EventKind::Modify(ModifyKind::Metadata(_)))
}

/// Tests running on their own thread.
struct Running {
    cancel: CancelToken,
    handle: JoinHandle<Result<TestRun, RunnerError>>,
}

impl Running {
    fn start(project: Project, request: TestRequest, cancel: CancelToken) -> Self {
        let token = cancel.clone();
        let handle = thread::spawn(move || run_tests(&project, &request, &token));
        Self { cancel, handle }
    }

    fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }

    /// Cancels and waits until the run's processes are gone.
    fn cancel(self) {
        self.cancel.cancel();
        let _ = self.handle.join();
    }

    fn finish(self) -> WatchEvent {
        match self.handle.join() {
            Ok(Ok(run)) => WatchEvent::Finished(Box::new(run)),
            Ok(Err(error)) => WatchEvent::Failed(error.to_string()),
            Err(_) => WatchEvent::Failed("the test run stopped on an internal error".to_owned()),
        }
    }
}

/// Saved files as changes: gone files were deleted, the others modified.
fn changed_files(root: &Path, files: &[PathBuf]) -> Vec<ChangedFile> {
    files
        .iter()
        .map(|path| ChangedFile {
            path: path.clone(),
            status: if root.join(path).exists() {
                ChangeStatus::Modified
            } else {
                ChangeStatus::Deleted
            },
        })
        .collect()
}

/// Which changed paths matter: inside the project, outside `.git/`, the target and report
/// directories, not gitignored, not an editor's temporary file.
struct PathFilter {
    root: PathBuf,
    skipped_dirs: Vec<PathBuf>,
    gitignores: Vec<Gitignore>,
}

impl PathFilter {
    fn new(root: &Path, skipped_dirs: &[PathBuf]) -> Self {
        let mut gitignores = Vec::new();
        let walker = ignore::WalkBuilder::new(root).hidden(false).build();
        for entry in walker.flatten() {
            if entry.file_name() == ".gitignore"
                && let Some(dir) = entry.path().parent()
            {
                let mut builder = GitignoreBuilder::new(dir);
                // A malformed line only loses that line.
                let _ = builder.add(entry.path());
                gitignores.extend(builder.build().ok());
            }
        }
        let mut exclude = GitignoreBuilder::new(root);
        let _ = exclude.add(root.join(".git/info/exclude"));
        gitignores.extend(exclude.build().ok());
        let mut skipped_dirs = skipped_dirs.to_vec();
        skipped_dirs.push(root.join(".git"));
        Self {
            root: root.to_path_buf(),
            skipped_dirs,
            gitignores,
        }
    }

    /// The relevant paths, relative to the root, sorted and deduplicated.
    fn relevant<'a>(&self, paths: impl Iterator<Item = &'a PathBuf>) -> Vec<PathBuf> {
        let mut relevant: Vec<PathBuf> = paths
            .filter(|path| self.is_relevant(path))
            .filter_map(|path| path.strip_prefix(&self.root).ok().map(Path::to_path_buf))
            .collect();
        relevant.sort();
        relevant.dedup();
        relevant
    }

    fn is_relevant(&self, path: &Path) -> bool {
        if !path.starts_with(&self.root) || path.is_dir() {
            return false;
        }
        if self.skipped_dirs.iter().any(|dir| path.starts_with(dir)) || is_editor_temporary(path) {
            return false;
        }
        !self.gitignores.iter().any(|gitignore| {
            path.starts_with(gitignore.path())
                && gitignore
                    .matched_path_or_any_parents(path, false)
                    .is_ignore()
        })
    }
}

/// Swap, backup and lock files editors write next to the file being saved.
fn is_editor_temporary(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return false;
    };
    name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.starts_with(".#")
        || name == "4913"
}

/// Serves `/healthz` and `/metrics` until `stop`; returns the bound address.
fn serve(
    address: SocketAddr,
    metrics: Arc<Mutex<String>>,
    stop: CancelToken,
) -> Result<SocketAddr, RunnerError> {
    let error = |source| RunnerError::Serve { address, source };
    let listener = TcpListener::bind(address).map_err(error)?;
    listener.set_nonblocking(true).map_err(error)?;
    let bound = listener.local_addr().map_err(error)?;
    thread::spawn(move || {
        while !stop.is_cancelled() {
            match listener.accept() {
                Ok((stream, _)) => answer(stream, &metrics),
                Err(_) => thread::sleep(POLL),
            }
        }
    });
    Ok(bound)
}

/// One HTTP/1.1 exchange; the connection is closed after the response.
fn answer(stream: TcpStream, metrics: &Mutex<String>) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut request_line = String::new();
    let mut reader = BufReader::new(&stream);
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or_default();
    let (status, content_type, body) = match path {
        "/healthz" => ("200 OK", "text/plain; charset=utf-8", "ok\n".to_owned()),
        "/metrics" => (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            metrics.lock().map(|text| text.clone()).unwrap_or_default(),
        ),
        _ => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "not found\n".to_owned(),
        ),
    };
    let mut stream = &stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitignored_target_git_and_editor_files_are_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::write(root.join(".gitignore"), "*.log\n/generated/\n").expect("write");
        std::fs::create_dir_all(root.join("web")).expect("mkdir");
        std::fs::write(root.join("web/.gitignore"), "dist/\n").expect("write");
        let filter = PathFilter::new(root, &[root.join("target")]);
        let paths: Vec<PathBuf> = [
            "src/lib.rs",
            "debug.log",
            "generated/a.rs",
            "target/debug/x",
            ".git/index",
            "src/.lib.rs.swp",
            "src/lib.rs~",
            "web/dist/app.js",
            "web/src/app.ts",
        ]
        .iter()
        .map(|path| root.join(path))
        .collect();
        assert_eq!(
            filter.relevant(paths.iter()),
            [PathBuf::from("src/lib.rs"), PathBuf::from("web/src/app.ts")]
        );
    }

    #[test]
    fn saved_files_that_are_gone_count_as_deleted() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("kept.rs"), "").expect("write");
        let changes = changed_files(
            dir.path(),
            &[PathBuf::from("kept.rs"), PathBuf::from("gone.rs")],
        );
        assert_eq!(changes[0].status, ChangeStatus::Modified);
        assert_eq!(changes[1].status, ChangeStatus::Deleted);
    }

    #[test]
    fn the_server_answers_health_and_metrics_and_stops() {
        let metrics = Arc::new(Mutex::new(
            "commerce_tests{status=\"passed\"} 3\n".to_owned(),
        ));
        let stop = CancelToken::new();
        let address = serve(
            "127.0.0.1:0".parse().expect("address"),
            metrics,
            stop.clone(),
        )
        .expect("binds");
        let get = |path: &str| {
            let mut stream = TcpStream::connect(address).expect("connects");
            write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").expect("request");
            let mut response = String::new();
            std::io::Read::read_to_string(&mut stream, &mut response).expect("response");
            response
        };
        assert!(get("/healthz").ends_with("\r\n\r\nok\n"));
        let metrics = get("/metrics");
        assert!(metrics.starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4"));
        assert!(metrics.ends_with("commerce_tests{status=\"passed\"} 3\n"));
        assert!(get("/nope").starts_with("HTTP/1.1 404"));
        stop.cancel();
    }
}
