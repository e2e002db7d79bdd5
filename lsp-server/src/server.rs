//! The main loop: one thread owns the state and reacts to a closed set of events; analyses run
//! on a thread pool against snapshots of document text and come back as events.

use std::collections::{BTreeSet, HashMap};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use commerce_analysis::{
    Analysis, Analyzer, Document as AnalysisDocument, FixRequest, LiveProject, panic_message,
};
use commerce_diagnostics::{Applicability, LineIndex};
use commerce_project::{Config, OsFs, Project};
use commerce_runner::CancelToken;
use crossbeam_channel::{Receiver, Sender, select};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    DidSaveTextDocument, LogMessage, Notification as _, PublishDiagnostics, ShowMessage,
};
use lsp_types::request::{CodeActionRequest, ExecuteCommand, Request as _};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, ExecuteCommandParams,
    MessageType, OptionalVersionedTextDocumentIdentifier, PublishDiagnosticsParams,
    TextDocumentEdit, TextEdit, Uri, WorkspaceEdit,
};

use crate::LspError;
use crate::convert::{self, FixData, Locator};
use crate::document::Document;
use crate::progress::Progress;
use crate::tests_run::{self, AffectedTests, RUN_AFFECTED_TESTS, RunArguments, TestFindings};
use crate::uri::path_from_uri;

/// The code action kind of "fix everything fixable in this file".
pub const FIX_ALL_KIND: &str = "source.fixAll.commerce";

/// Everything the main loop reacts to.
#[derive(Debug)]
enum Event {
    /// A message from the client.
    Client(Message),
    /// An analysis finished on the pool.
    Analyzed {
        uri: Uri,
        version: i32,
        diagnostics: Vec<lsp_types::Diagnostic>,
        /// Other files whose findings changed with this analysis.
        also_changed: Vec<PathBuf>,
    },
    /// The last report's test findings were read at startup.
    LastReport(TestFindings),
    /// A response computed on the pool (a fix-all code action); `analyzed` is the document
    /// whose analysis it ran, and `also_changed` the other files whose findings that changed.
    Answered {
        response: Response,
        analyzed: Uri,
        also_changed: Vec<PathBuf>,
    },
    /// A `commerce.runAffectedTests` run ended.
    TestsRan {
        request: RequestId,
        outcome: Result<AffectedTests, String>,
    },
}

/// Server settings from the client's `initializationOptions`.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// A URL with `{rule}` where the rule id goes, for each diagnostic's docs link.
    pub rule_docs_url: Option<String>,
    /// Whether the client applies workspace edits that create files (its
    /// `workspace.workspaceEdit.resourceOperations` has `create`); from its capabilities.
    #[serde(skip)]
    pub creates_files: bool,
}

/// The project and the analysis configured for it, replaced whole when commerce.toml changes.
#[derive(Debug)]
struct Workspace {
    project: Project,
    analysis: Analysis,
    /// The open buffers over the disk, and the frontend index kept between analyses.
    live: LiveProject,
}

impl Workspace {
    /// The project at `root` with its commerce.toml; the error says what is wrong with it.
    fn load(root: &Path) -> Result<Self, String> {
        let project = Project::discover(root).map_err(|error| error.to_string())?;
        let analysis = Analysis::new(&project).map_err(|error| error.to_string())?;
        Ok(Self::of(project, analysis))
    }

    fn of(project: Project, analysis: Analysis) -> Self {
        let live = LiveProject::new(&project, Arc::new(OsFs));
        Self {
            project,
            analysis,
            live,
        }
    }

    /// The project at `root` with the default configuration.
    fn with_defaults(root: &Path) -> Self {
        let project = Project::new(root, Config::default());
        let analysis = Analysis::new(&project)
            .expect("the default configuration names no rules, so it is always valid");
        Self::of(project, analysis)
    }

    /// The project-relative path of a document.
    fn relative(&self, uri: &Uri) -> Option<PathBuf> {
        Some(convert::relative_path(
            self.project.root(),
            &path_from_uri(uri)?,
        ))
    }

    /// The project's files, with `path` among them (an unsaved new file joins them).
    fn files_with(&self, path: &Path) -> Vec<PathBuf> {
        let mut files = self.live.files();
        if let Err(index) = files.binary_search_by(|file| file.as_path().cmp(path)) {
            files.insert(index, path.to_path_buf());
        }
        files
    }
}

/// The progress token of the first indexing.
const INDEXING: &str = "commerce/indexing";
/// The progress token of a test run.
const TESTING: &str = "commerce/tests";

pub(crate) struct Server {
    connection: Connection,
    root: PathBuf,
    workspace: Arc<Workspace>,
    settings: Settings,
    documents: HashMap<Uri, Document>,
    /// What was last published per file, so an unchanged list is not sent again.
    published: HashMap<Uri, (Option<i32>, Vec<lsp_types::Diagnostic>)>,
    /// The last test run's findings (or the last report's, until a run ends).
    tests: Arc<TestFindings>,
    /// Cancels the test run under way, if any.
    test_run: Option<CancelToken>,
    progress: Progress,
    pool: rayon::ThreadPool,
    events_sender: Sender<Event>,
    events: Receiver<Event>,
}

impl Server {
    pub(crate) fn new(
        connection: Connection,
        root: PathBuf,
        settings: Settings,
        progress_supported: bool,
    ) -> Result<Self, LspError> {
        let (events_sender, events) = crossbeam_channel::unbounded();
        let pool = rayon::ThreadPoolBuilder::new()
            .thread_name(|index| format!("commerce-lsp-{index}"))
            .build()
            .map_err(|error| LspError::ThreadPool(error.to_string()))?;
        let mut server = Self {
            progress: Progress::new(connection.sender.clone(), progress_supported),
            connection,
            workspace: Arc::new(Workspace::with_defaults(&root)),
            root,
            settings,
            documents: HashMap::new(),
            published: HashMap::new(),
            tests: Arc::default(),
            test_run: None,
            pool,
            events_sender,
            events,
        };
        server.load_project();
        server.read_last_report();
        Ok(server)
    }

    /// (Re)reads commerce.toml. A broken configuration is shown to the user and the defaults
    /// are used, so the editor keeps its diagnostics.
    fn load_project(&mut self) {
        let workspace = Workspace::load(&self.root).unwrap_or_else(|message| {
            self.show_message(MessageType::ERROR, format!("cargo commerce: {message}"));
            Workspace::with_defaults(&self.root)
        });
        for (uri, document) in &self.documents {
            if let Some(path) = workspace.relative(uri) {
                workspace
                    .live
                    .set_text(&workspace.project, &path, &document.text);
            }
        }
        self.workspace = Arc::new(workspace);
    }

    /// Reads the last test report on the pool (finding it runs `cargo metadata`).
    fn read_last_report(&self) {
        let workspace = Arc::clone(&self.workspace);
        let sender = self.events_sender.clone();
        self.pool.spawn(move || {
            if let Some(findings) = tests_run::last_report(&workspace.project) {
                let _ = sender.send(Event::LastReport(findings));
            }
        });
    }

    pub(crate) fn main_loop(mut self) -> Result<(), LspError> {
        loop {
            let event = select! {
                recv(self.connection.receiver) -> message => match message {
                    Ok(message) => Event::Client(message),
                    // The client went away without `exit`: nothing left to serve.
                    Err(_) => return Ok(()),
                },
                recv(self.events) -> event => event.map_err(|_| LspError::ChannelClosed)?,
            };
            match event {
                Event::Client(Message::Request(request)) => {
                    if self.connection.handle_shutdown(&request)? {
                        if let Some(run) = self.test_run.take() {
                            run.cancel();
                        }
                        return Ok(());
                    }
                    self.on_request(request);
                }
                Event::Client(Message::Notification(notification)) => {
                    self.on_notification(notification);
                }
                // Answers to our `window/workDoneProgress/create` requests.
                Event::Client(Message::Response(_)) => {}
                Event::Analyzed {
                    uri,
                    version,
                    diagnostics,
                    also_changed,
                } => {
                    if !self.workspace.live.needs_indexing() {
                        self.progress.end(INDEXING, "indexed");
                    }
                    self.publish_if_current(uri.clone(), version, diagnostics);
                    self.reanalyze_open(&also_changed, &uri);
                }
                Event::Answered {
                    response,
                    analyzed,
                    also_changed,
                } => {
                    self.send(Message::Response(response));
                    self.reanalyze_open(&also_changed, &analyzed);
                }
                Event::LastReport(findings) => self.show_test_findings(findings),
                Event::TestsRan { request, outcome } => self.tests_ran(request, outcome),
            }
        }
    }

    fn on_request(&mut self, request: Request) {
        let id = request.id.clone();
        let method = request.method.clone();
        let response = panic::catch_unwind(AssertUnwindSafe(|| self.handle_request(request)))
            .unwrap_or_else(|payload| {
                let message = panic_message(payload.as_ref());
                self.log(MessageType::ERROR, format!("{method} panicked: {message}"));
                Some(Response::new_err(
                    id.clone(),
                    ErrorCode::InternalError as i32,
                    format!("internal error in cargo commerce while handling {method}: {message}"),
                ))
            });
        if let Some(response) = response {
            self.send(Message::Response(response));
        }
    }

    /// The response, or `None` when it comes later (a test run answers when it ends).
    fn handle_request(&mut self, request: Request) -> Option<Response> {
        match request.method.as_str() {
            CodeActionRequest::METHOD => match serde_json::from_value(request.params) {
                Ok(params) => self.code_actions(request.id, &params),
                Err(error) => Some(invalid_params(request.id, &error)),
            },
            ExecuteCommand::METHOD => {
                match serde_json::from_value::<ExecuteCommandParams>(request.params) {
                    Ok(params) => self.execute_command(request.id, params),
                    Err(error) => Some(invalid_params(request.id, &error)),
                }
            }
            _ => Some(Response::new_err(
                request.id,
                ErrorCode::MethodNotFound as i32,
                format!("cargo commerce does not handle {}", request.method),
            )),
        }
    }

    fn execute_command(&mut self, id: RequestId, params: ExecuteCommandParams) -> Option<Response> {
        if params.command != RUN_AFFECTED_TESTS {
            return Some(Response::new_err(
                id,
                ErrorCode::InvalidParams as i32,
                format!(
                    "cargo commerce has no command `{}`; it has `{RUN_AFFECTED_TESTS}`",
                    params.command
                ),
            ));
        }
        let arguments = match params.arguments.into_iter().next() {
            Some(value) => match serde_json::from_value::<RunArguments>(value) {
                Ok(arguments) => arguments,
                Err(error) => return Some(invalid_params(id, &error)),
            },
            None => RunArguments::default(),
        };
        self.run_affected_tests(id, arguments);
        None
    }

    /// Runs the affected tests on a thread of its own (a run takes minutes, the pool is for
    /// analyses); a newer run cancels the one under way.
    fn run_affected_tests(&mut self, request: RequestId, arguments: RunArguments) {
        if let Some(previous) = self.test_run.take() {
            previous.cancel();
        }
        let cancel = CancelToken::new();
        self.test_run = Some(cancel.clone());
        self.progress
            .begin(TESTING, "cargo commerce: running the affected tests");
        let workspace = Arc::clone(&self.workspace);
        let sender = self.events_sender.clone();
        let spawned = std::thread::Builder::new()
            .name("commerce-tests".to_owned())
            .spawn(move || {
                let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
                    tests_run::run_affected(&workspace.project, arguments, &cancel)
                }))
                .unwrap_or_else(|payload| {
                    Err(format!(
                        "the test run crashed: {}",
                        panic_message(payload.as_ref())
                    ))
                });
                let _ = sender.send(Event::TestsRan { request, outcome });
            });
        if let Err(error) = spawned {
            self.log(
                MessageType::ERROR,
                format!("cannot start the test run: {error}"),
            );
        }
    }

    fn tests_ran(&mut self, request: RequestId, outcome: Result<AffectedTests, String>) {
        self.test_run = None;
        self.progress.end(TESTING, "done");
        let response = match outcome {
            Ok(AffectedTests { findings, summary }) => {
                self.show_test_findings(findings);
                Response::new_ok(request, summary)
            }
            Err(message) => Response::new_err(request, ErrorCode::RequestFailed as i32, message),
        };
        self.send(Message::Response(response));
    }

    /// Shows `findings` instead of the previous test findings: open documents are analysed
    /// again (their findings merge), files that are not open get theirs published directly.
    fn show_test_findings(&mut self, findings: TestFindings) {
        let previous = std::mem::replace(&mut self.tests, Arc::new(findings));
        let root = self.workspace.project.root().to_path_buf();
        let open: HashMap<PathBuf, Uri> = self
            .documents
            .keys()
            .filter_map(|uri| Some((self.workspace.relative(uri)?, uri.clone())))
            .collect();
        let files: BTreeSet<PathBuf> = previous.keys().chain(self.tests.keys()).cloned().collect();
        for path in &files {
            match open.get(path) {
                Some(uri) => self.schedule(uri),
                None => {
                    let Some(uri) = convert::uri_of(&root, path) else {
                        continue;
                    };
                    let diagnostics = self.closed_file_findings(path);
                    self.publish(uri, None, diagnostics);
                }
            }
        }
    }

    /// The test findings in a file that is not open, located in its text on disk.
    fn closed_file_findings(&self, path: &Path) -> Vec<lsp_types::Diagnostic> {
        let Some(found) = self.tests.get(path) else {
            return Vec::new();
        };
        let workspace = &*self.workspace;
        let root = workspace.project.root();
        let Some(uri) = convert::uri_of(root, path) else {
            return Vec::new();
        };
        let text = std::fs::read_to_string(root.join(path)).unwrap_or_default();
        let index = LineIndex::new(&text);
        let other = |relative: &Path| other_file(workspace, relative);
        // Test findings carry no fixes, so no file is ever created from them.
        let missing = |_: &Path| None;
        let locator = Locator {
            document_path: path,
            document_uri: &uri,
            document_index: &index,
            version: 0,
            other: &other,
            missing: &missing,
            docs_url: self.settings.rule_docs_url.as_deref(),
        };
        found
            .iter()
            .map(|diagnostic| convert::to_lsp(diagnostic, &locator))
            .collect()
    }

    fn on_notification(&mut self, notification: Notification) {
        let method = notification.method.clone();
        let handled =
            panic::catch_unwind(AssertUnwindSafe(|| self.handle_notification(notification)));
        match handled {
            Ok(Ok(())) => {}
            Ok(Err(error)) => self.log(MessageType::WARNING, format!("ignored {method}: {error}")),
            Err(payload) => {
                let message = panic_message(payload.as_ref());
                self.log(MessageType::ERROR, format!("{method} panicked: {message}"));
            }
        }
    }

    fn handle_notification(&mut self, notification: Notification) -> Result<(), serde_json::Error> {
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let params: lsp_types::DidOpenTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                let document = params.text_document;
                self.set_document(
                    &document.uri,
                    Document::new(document.version, document.text),
                );
                self.schedule(&document.uri);
            }
            DidChangeTextDocument::METHOD => {
                let params: lsp_types::DidChangeTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                let uri = params.text_document.uri;
                let Some(mut document) = self.documents.remove(&uri) else {
                    self.log(
                        MessageType::WARNING,
                        format!("didChange for {} which is not open; ignored", uri.as_str()),
                    );
                    return Ok(());
                };
                document.apply_changes(params.text_document.version, params.content_changes);
                self.set_document(&uri, document);
                self.schedule(&uri);
            }
            DidSaveTextDocument::METHOD => {
                let params: lsp_types::DidSaveTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                let uri = params.text_document.uri;
                if path_from_uri(&uri)
                    .is_some_and(|path| path.ends_with(commerce_project::CONFIG_FILE_NAME))
                {
                    self.reload();
                    return Ok(());
                }
                // The buffer was analysed when it changed; a save that carries a different
                // text (the client's `includeText`) is analysed again.
                let saved = params.text.and_then(|text| {
                    let document = self.documents.get(&uri)?;
                    (document.text != text).then(|| Document::new(document.version, text))
                });
                if let Some(document) = saved {
                    self.set_document(&uri, document);
                    self.schedule(&uri);
                }
            }
            DidCloseTextDocument::METHOD => {
                let params: lsp_types::DidCloseTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                let uri = params.text_document.uri;
                self.documents.remove(&uri);
                if let Some(path) = self.workspace.relative(&uri) {
                    self.workspace.live.close(&self.workspace.project, &path);
                }
                let diagnostics = self
                    .workspace
                    .relative(&uri)
                    .map(|path| self.closed_file_findings(&path))
                    .unwrap_or_default();
                self.publish(uri, None, diagnostics);
                // Without the buffer, the files importing it see the disk's text again.
                self.schedule_all();
            }
            DidChangeWatchedFiles::METHOD => {
                let params: lsp_types::DidChangeWatchedFilesParams =
                    serde_json::from_value(notification.params)?;
                let configuration_changed = params.changes.iter().any(|change| {
                    path_from_uri(&change.uri)
                        .is_some_and(|path| path.ends_with(commerce_project::CONFIG_FILE_NAME))
                });
                if configuration_changed {
                    self.reload();
                    return Ok(());
                }
                // The live project takes note; the next analysis, on the pool, lists the
                // files again (created or deleted) and updates the index.
                for change in &params.changes {
                    if let Some(path) = self.workspace.relative(&change.uri) {
                        if change.typ == lsp_types::FileChangeType::CHANGED {
                            self.workspace.live.changed_on_disk(&path);
                        } else {
                            self.workspace.live.created_or_deleted_on_disk(&path);
                        }
                    }
                }
                // Open documents may depend on the changed files (imports, specs).
                self.schedule_all();
            }
            _ => {}
        }
        Ok(())
    }

    /// Keeps `document` as the text of `uri`, for the analyses too.
    fn set_document(&mut self, uri: &Uri, document: Document) {
        if let Some(path) = self.workspace.relative(uri) {
            self.workspace
                .live
                .set_text(&self.workspace.project, &path, &document.text);
        }
        self.documents.insert(uri.clone(), document);
    }

    fn reload(&mut self) {
        self.load_project();
        self.schedule_all();
    }

    fn schedule_all(&self) {
        let uris: Vec<Uri> = self.documents.keys().cloned().collect();
        for uri in &uris {
            self.schedule(uri);
        }
    }

    /// Analyses the open documents among `paths` again (not `except`, just analysed).
    fn reanalyze_open(&self, paths: &[PathBuf], except: &Uri) {
        if paths.is_empty() {
            return;
        }
        for uri in self.documents.keys().filter(|uri| *uri != except) {
            if self
                .workspace
                .relative(uri)
                .is_some_and(|path| paths.binary_search(&path).is_ok())
            {
                self.schedule(uri);
            }
        }
    }

    /// Analyses a snapshot of the document on the pool; the result is published only if the
    /// document has not changed meanwhile, and the analysis is skipped if it changed before
    /// the analysis started.
    fn schedule(&self, uri: &Uri) {
        let Some(document) = self.documents.get(uri) else {
            return;
        };
        if self.workspace.live.needs_indexing() {
            self.progress
                .begin(INDEXING, "cargo commerce: indexing the project");
        }
        let snapshot = document.clone();
        let uri = uri.clone();
        let workspace = Arc::clone(&self.workspace);
        let tests = Arc::clone(&self.tests);
        let sender = self.events_sender.clone();
        let docs_url = self.settings.rule_docs_url.clone();
        self.pool.spawn(move || {
            if snapshot.is_outdated() {
                return;
            }
            let (diagnostics, also_changed) =
                analyze(&workspace, &tests, &uri, &snapshot, docs_url.as_deref());
            // The loop may have stopped; then nobody wants the result.
            let _ = sender.send(Event::Analyzed {
                uri,
                version: snapshot.version,
                diagnostics,
                also_changed,
            });
        });
    }

    fn publish_if_current(
        &mut self,
        uri: Uri,
        version: i32,
        diagnostics: Vec<lsp_types::Diagnostic>,
    ) {
        if self
            .documents
            .get(&uri)
            .is_some_and(|document| document.version == version)
        {
            self.publish(uri, Some(version), diagnostics);
        }
    }

    /// Publishes the diagnostics of `uri`, unless they are what was last published for it.
    fn publish(&mut self, uri: Uri, version: Option<i32>, diagnostics: Vec<lsp_types::Diagnostic>) {
        let published = (version, diagnostics);
        if self.published.get(&uri) == Some(&published) {
            return;
        }
        let params = PublishDiagnosticsParams {
            uri: uri.clone(),
            diagnostics: published.1.clone(),
            version,
        };
        self.published.insert(uri, published);
        self.send(Message::Notification(Notification::new(
            PublishDiagnostics::METHOD.to_owned(),
            params,
        )));
    }

    /// The quick fixes come with the request's diagnostics; a fix-all needs an analysis, so
    /// it is computed on the pool and answered from there (`None` here).
    fn code_actions(&self, id: RequestId, params: &CodeActionParams) -> Option<Response> {
        let uri = &params.text_document.uri;
        let Some(document) = self.documents.get(uri) else {
            return Some(Response::new_ok(id, Vec::<CodeActionOrCommand>::new()));
        };
        let wants = |kind: &CodeActionKind| {
            params.context.only.as_ref().is_none_or(|only| {
                only.iter()
                    .any(|wanted| kind.as_str().starts_with(wanted.as_str()))
            })
        };
        let mut actions = Vec::new();
        if wants(&CodeActionKind::QUICKFIX) {
            for diagnostic in &params.context.diagnostics {
                if let Some(action) =
                    quick_fix(uri, document, diagnostic, self.settings.creates_files)
                {
                    actions.push(CodeActionOrCommand::CodeAction(action));
                }
            }
        }
        if !wants(&CodeActionKind::new(FIX_ALL_KIND)) {
            return Some(Response::new_ok(id, actions));
        }
        let workspace = Arc::clone(&self.workspace);
        let snapshot = document.clone();
        let uri = uri.clone();
        let sender = self.events_sender.clone();
        self.pool.spawn(move || {
            let fixed = panic::catch_unwind(AssertUnwindSafe(|| {
                fix_all_action(&workspace, &uri, &snapshot)
            }));
            let (response, also_changed) = match fixed {
                Ok((action, also_changed)) => {
                    actions.extend(action.map(CodeActionOrCommand::CodeAction));
                    (Response::new_ok(id, actions), also_changed)
                }
                Err(payload) => (
                    Response::new_err(
                        id,
                        ErrorCode::InternalError as i32,
                        format!(
                            "internal error in cargo commerce while fixing all: {}",
                            panic_message(payload.as_ref())
                        ),
                    ),
                    Vec::new(),
                ),
            };
            let _ = sender.send(Event::Answered {
                response,
                analyzed: uri,
                also_changed,
            });
        });
        None
    }

    fn send(&self, message: Message) {
        // A closed connection ends the main loop on its next receive.
        let _ = self.connection.sender.send(message);
    }

    fn log(&self, typ: MessageType, message: String) {
        self.send(Message::Notification(Notification::new(
            LogMessage::METHOD.to_owned(),
            lsp_types::LogMessageParams { typ, message },
        )));
    }

    fn show_message(&self, typ: MessageType, message: String) {
        self.send(Message::Notification(Notification::new(
            ShowMessage::METHOD.to_owned(),
            lsp_types::ShowMessageParams { typ, message },
        )));
    }
}

/// The diagnostics of one document: what the analyzers find in its current text, and the
/// last test run's findings in it. Also returns the other files whose findings changed.
fn analyze(
    workspace: &Workspace,
    tests: &TestFindings,
    uri: &Uri,
    document: &Document,
    docs_url: Option<&str>,
) -> (Vec<lsp_types::Diagnostic>, Vec<PathBuf>) {
    let Some(path) = workspace.relative(uri) else {
        return (Vec::new(), Vec::new());
    };
    let root = workspace.project.root();
    let check =
        workspace
            .analysis
            .check_live(&workspace.project, &workspace.live, &path, &Analyzer::ALL);
    let other = |relative: &Path| other_file(workspace, relative);
    let missing = |relative: &Path| {
        let exists = std::fs::symlink_metadata(root.join(relative)).is_ok();
        convert::uri_of(root, relative).filter(|_| !exists)
    };
    let locator = Locator {
        document_path: &path,
        document_uri: uri,
        document_index: &document.index,
        version: document.version,
        other: &other,
        missing: &missing,
        docs_url,
    };
    let diagnostics = check
        .diagnostics
        .iter()
        .chain(tests.get(&path).into_iter().flatten())
        .map(|diagnostic| convert::to_lsp(diagnostic, &locator))
        .collect();
    (diagnostics, check.also_changed)
}

/// The URI and line index of another project file (its open buffer, or the disk).
fn other_file(workspace: &Workspace, relative: &Path) -> Option<(Uri, LineIndex)> {
    let root = workspace.project.root();
    let text = workspace
        .live
        .fs()
        .read_to_string(&root.join(relative))
        .ok()?;
    Some((convert::uri_of(root, relative)?, LineIndex::new(&text)))
}

/// Every safe fix of the document, applied by the engine in passes, as one edit; and the
/// other files whose findings the analysis it ran found changed.
fn fix_all_action(
    workspace: &Workspace,
    uri: &Uri,
    document: &Document,
) -> (Option<CodeAction>, Vec<PathBuf>) {
    let Some(path) = workspace.relative(uri) else {
        return (None, Vec::new());
    };
    // Most saves have nothing to fix: the live index says so in milliseconds, where the fix
    // engine re-analyses the whole project.
    let found =
        workspace
            .analysis
            .check_live(&workspace.project, &workspace.live, &path, &Analyzer::ALL);
    let has_safe_fix = found.diagnostics.iter().any(|diagnostic| {
        diagnostic
            .fix
            .as_ref()
            .is_some_and(|fix| fix.applicability == Applicability::Safe)
    });
    if !has_safe_fix {
        return (None, found.also_changed);
    }
    let files = workspace.files_with(&path);
    let current = AnalysisDocument {
        path: &path,
        text: &document.text,
        project_files: Some(&files),
    };
    let fixed = workspace
        .analysis
        .fix_text(
            &workspace.project,
            workspace.live.fs(),
            current,
            FixRequest::default(),
        )
        .ok()
        .flatten();
    let action = fixed.map(|fixed| CodeAction {
        title: "Fix all auto-fixable problems (cargo commerce)".to_owned(),
        kind: Some(CodeActionKind::new(FIX_ALL_KIND)),
        edit: Some(versioned_edit(
            &[],
            vec![(
                uri.clone(),
                Some(document.version),
                vec![minimal_edit(document, &fixed)],
            )],
        )),
        ..CodeAction::default()
    });
    (action, found.also_changed)
}

/// The quick fix a diagnostic of ours carries, if it is for the current document version (and,
/// when it creates a file, if the client can).
fn quick_fix(
    uri: &Uri,
    document: &Document,
    diagnostic: &lsp_types::Diagnostic,
    creates_files: bool,
) -> Option<CodeAction> {
    // Some clients (Neovim 0.7) echo `data` but drop `source`: only a foreign source rules out.
    if diagnostic
        .source
        .as_deref()
        .is_some_and(|source| source != convert::SOURCE)
    {
        return None;
    }
    let fix: FixData = serde_json::from_value(diagnostic.data.clone()?).ok()?;
    if fix.version != document.version || fix.applicability == Applicability::DisplayOnly {
        return None;
    }
    let created: Vec<Uri> = fix
        .edits
        .iter()
        .filter(|edit| edit.create)
        .map(|edit| edit.uri.clone())
        .collect();
    if !created.is_empty() && !creates_files {
        return None;
    }
    let mut by_uri: Vec<(Uri, Option<i32>, Vec<TextEdit>)> = Vec::new();
    for edit in &fix.edits {
        match by_uri.iter_mut().find(|(target, _, _)| *target == edit.uri) {
            Some((_, _, edits)) => edits.push(edit.text_edit()),
            None => {
                let version = (edit.uri == *uri).then_some(document.version);
                by_uri.push((edit.uri.clone(), version, vec![edit.text_edit()]));
            }
        }
    }
    let safe = fix.applicability == Applicability::Safe;
    Some(CodeAction {
        title: if safe {
            format!("Fix: {}", fix.title)
        } else {
            format!("Fix (unsafe): {}", fix.title)
        },
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(versioned_edit(&created, by_uri)),
        is_preferred: Some(safe),
        ..CodeAction::default()
    })
}

/// The edits of each file, after creating the `created` files (never over an existing one).
fn versioned_edit(created: &[Uri], files: Vec<(Uri, Option<i32>, Vec<TextEdit>)>) -> WorkspaceEdit {
    let edits: Vec<TextDocumentEdit> = files
        .into_iter()
        .map(|(uri, version, edits)| TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier { uri, version },
            edits: edits.into_iter().map(lsp_types::OneOf::Left).collect(),
        })
        .collect();
    let document_changes = if created.is_empty() {
        lsp_types::DocumentChanges::Edits(edits)
    } else {
        let creations = created.iter().map(|uri| {
            lsp_types::DocumentChangeOperation::Op(lsp_types::ResourceOp::Create(
                lsp_types::CreateFile {
                    uri: uri.clone(),
                    options: Some(lsp_types::CreateFileOptions {
                        overwrite: Some(false),
                        ignore_if_exists: Some(false),
                    }),
                    annotation_id: None,
                },
            ))
        });
        let edits = edits
            .into_iter()
            .map(lsp_types::DocumentChangeOperation::Edit);
        lsp_types::DocumentChanges::Operations(creations.chain(edits).collect())
    };
    WorkspaceEdit {
        document_changes: Some(document_changes),
        ..WorkspaceEdit::default()
    }
}

/// One edit replacing only the part of the document that differs from `fixed`.
fn minimal_edit(document: &Document, fixed: &str) -> TextEdit {
    let old = document.text.as_str();
    let prefix = old
        .char_indices()
        .zip(fixed.chars())
        .find(|((_, a), b)| a != b)
        .map_or(old.len().min(fixed.len()), |((index, _), _)| index);
    let suffix = old[prefix..]
        .chars()
        .rev()
        .zip(fixed[prefix..].chars().rev())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a.len_utf8())
        .sum::<usize>();
    let range = commerce_diagnostics::TextRange::from_usize_range(prefix..old.len() - suffix);
    TextEdit::new(
        document.lsp_range(range),
        fixed[prefix..fixed.len() - suffix].to_owned(),
    )
}

fn invalid_params(id: RequestId, error: &serde_json::Error) -> Response {
    Response::new_err(
        id,
        ErrorCode::InvalidParams as i32,
        format!("invalid params: {error}"),
    )
}
