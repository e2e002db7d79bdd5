//! The main loop: one thread owns the state and reacts to a closed set of events; analyses run
//! on a thread pool against snapshots of document text and come back as events.

mod code_actions;
mod commands;
mod diagnostics;
mod sync;
mod workspace;

use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;

use commerce_analysis::panic_message;
use commerce_runner::CancelToken;
use crossbeam_channel::{Receiver, Sender, select};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{LogMessage, Notification as _, ShowMessage};
use lsp_types::request::{CodeActionRequest, ExecuteCommand, Request as _};
use lsp_types::{ExecuteCommandParams, MessageType, Uri};

use crate::LspError;
use crate::document::Document;
use crate::progress::Progress;
use crate::tests_run::{self, AffectedTests, TestFindings};
use workspace::Workspace;

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

fn invalid_params(id: RequestId, error: &serde_json::Error) -> Response {
    Response::new_err(
        id,
        ErrorCode::InvalidParams as i32,
        format!("invalid params: {error}"),
    )
}
