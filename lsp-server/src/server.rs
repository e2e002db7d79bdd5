//! The main loop: one thread owns the state and reacts to a closed set of events; analyses run
//! on a thread pool against snapshots of document text and come back as events.

use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use commerce_analysis::{
    Analysis, Analyzer, Document as AnalysisDocument, FixRequest, panic_message,
};
use commerce_diagnostics::{Applicability, LineIndex};
use commerce_project::{Config, OsFs, Project};
use crossbeam_channel::{Receiver, Sender, select};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    DidSaveTextDocument, LogMessage, Notification as _, PublishDiagnostics, ShowMessage,
};
use lsp_types::request::{CodeActionRequest, Request as _};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, MessageType,
    OptionalVersionedTextDocumentIdentifier, PublishDiagnosticsParams, TextDocumentEdit, TextEdit,
    Uri, WorkspaceEdit,
};

use crate::LspError;
use crate::convert::{self, FixData, Locator};
use crate::document::Document;
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
    /// The project's files (project-relative), for the analyzers that read the whole project
    /// (the import graph). Re-listed when watched files change.
    files: Vec<PathBuf>,
}

impl Workspace {
    /// The project at `root` with its commerce.toml; the error says what is wrong with it.
    fn load(root: &Path) -> Result<Self, String> {
        let project = Project::discover(root).map_err(|error| error.to_string())?;
        let analysis = Analysis::new(&project).map_err(|error| error.to_string())?;
        Ok(Self::of(project, analysis))
    }

    /// The project's files, with `path` among them (an unsaved new file joins them).
    fn files_with(&self, path: &Path) -> Vec<PathBuf> {
        let mut files = self.files.clone();
        if let Err(index) = files.binary_search_by(|file| file.as_path().cmp(path)) {
            files.insert(index, path.to_path_buf());
        }
        files
    }

    fn of(project: Project, analysis: Analysis) -> Self {
        let files = commerce_project::inventory(&OsFs, project.root(), &[]).files;
        Self {
            project,
            analysis,
            files,
        }
    }

    /// The project at `root` with the default configuration.
    fn with_defaults(root: &Path) -> Self {
        let project = Project::new(root, Config::default());
        let analysis = Analysis::new(&project)
            .expect("the default configuration names no rules, so it is always valid");
        Self::of(project, analysis)
    }
}

pub(crate) struct Server {
    connection: Connection,
    root: PathBuf,
    workspace: Arc<Workspace>,
    settings: Settings,
    documents: HashMap<Uri, Document>,
    pool: rayon::ThreadPool,
    analyzed_sender: Sender<Event>,
    analyzed: Receiver<Event>,
}

impl Server {
    pub(crate) fn new(
        connection: Connection,
        root: PathBuf,
        settings: Settings,
    ) -> Result<Self, LspError> {
        let (analyzed_sender, analyzed) = crossbeam_channel::unbounded();
        let pool = rayon::ThreadPoolBuilder::new()
            .thread_name(|index| format!("commerce-lsp-{index}"))
            .build()
            .map_err(|error| LspError::ThreadPool(error.to_string()))?;
        let mut server = Self {
            connection,
            workspace: Arc::new(Workspace::with_defaults(&root)),
            root,
            settings,
            documents: HashMap::new(),
            pool,
            analyzed_sender,
            analyzed,
        };
        server.load_project();
        Ok(server)
    }

    /// (Re)reads commerce.toml. A broken configuration is shown to the user and the defaults
    /// are used, so the editor keeps its diagnostics.
    fn load_project(&mut self) {
        self.workspace = Arc::new(Workspace::load(&self.root).unwrap_or_else(|message| {
            self.show_message(MessageType::ERROR, format!("cargo commerce: {message}"));
            Workspace::with_defaults(&self.root)
        }));
    }

    pub(crate) fn main_loop(mut self) -> Result<(), LspError> {
        loop {
            let event = select! {
                recv(self.connection.receiver) -> message => match message {
                    Ok(message) => Event::Client(message),
                    // The client went away without `exit`: nothing left to serve.
                    Err(_) => return Ok(()),
                },
                recv(self.analyzed) -> event => event.map_err(|_| LspError::ChannelClosed)?,
            };
            match event {
                Event::Client(Message::Request(request)) => {
                    if self.connection.handle_shutdown(&request)? {
                        return Ok(());
                    }
                    self.on_request(request);
                }
                Event::Client(Message::Notification(notification)) => {
                    self.on_notification(notification);
                }
                Event::Client(Message::Response(_)) => {}
                Event::Analyzed {
                    uri,
                    version,
                    diagnostics,
                } => self.publish_if_current(uri, version, diagnostics),
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
                Response::new_err(
                    id.clone(),
                    ErrorCode::InternalError as i32,
                    format!("internal error in cargo commerce while handling {method}: {message}"),
                )
            });
        self.send(Message::Response(response));
    }

    fn handle_request(&mut self, request: Request) -> Response {
        match request.method.as_str() {
            CodeActionRequest::METHOD => match serde_json::from_value(request.params) {
                Ok(params) => {
                    let actions = self.code_actions(&params);
                    Response::new_ok(request.id, actions)
                }
                Err(error) => invalid_params(request.id, &error),
            },
            _ => Response::new_err(
                request.id,
                ErrorCode::MethodNotFound as i32,
                format!("cargo commerce does not handle {}", request.method),
            ),
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

    fn handle_notification(&mut self, notification: Notification) -> Result<(), serde_json::Error> {
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let params: lsp_types::DidOpenTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                let document = params.text_document;
                self.documents.insert(
                    document.uri.clone(),
                    Document::new(document.version, document.text),
                );
                self.schedule(&document.uri);
            }
            DidChangeTextDocument::METHOD => {
                let params: lsp_types::DidChangeTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                let uri = params.text_document.uri;
                let Some(document) = self.documents.get_mut(&uri) else {
                    self.log(
                        MessageType::WARNING,
                        format!("didChange for {} which is not open; ignored", uri.as_str()),
                    );
                    return Ok(());
                };
                document.apply_changes(params.text_document.version, params.content_changes);
                self.schedule(&uri);
            }
            DidSaveTextDocument::METHOD => {
                let params: lsp_types::DidSaveTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                let uri = params.text_document.uri;
                if let (Some(text), Some(document)) = (params.text, self.documents.get_mut(&uri)) {
                    *document = Document::new(document.version, text);
                }
                if path_from_uri(&uri)
                    .is_some_and(|path| path.ends_with(commerce_project::CONFIG_FILE_NAME))
                {
                    self.reload();
                } else {
                    self.schedule(&uri);
                }
            }
            DidCloseTextDocument::METHOD => {
                let params: lsp_types::DidCloseTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                let uri = params.text_document.uri;
                self.documents.remove(&uri);
                self.publish(uri, None, Vec::new());
            }
            DidChangeWatchedFiles::METHOD => {
                let params: lsp_types::DidChangeWatchedFilesParams =
                    serde_json::from_value(notification.params)?;
                let relists = params.changes.iter().any(|change| {
                    change.typ != lsp_types::FileChangeType::CHANGED
                        || path_from_uri(&change.uri)
                            .is_some_and(|path| path.ends_with(commerce_project::CONFIG_FILE_NAME))
                });
                if relists {
                    // A new or deleted file, or commerce.toml: re-read the project.
                    self.reload();
                } else {
                    // Open documents may depend on the changed files (imports, specs).
                    self.schedule_all();
                }
            }
            _ => {}
        }
        Ok(())
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

    /// Analyses a snapshot of the document on the pool; the result is published only if the
    /// document has not changed meanwhile.
    fn schedule(&self, uri: &Uri) {
        let Some(document) = self.documents.get(uri) else {
            return;
        };
        let snapshot = document.clone();
        let uri = uri.clone();
        let workspace = Arc::clone(&self.workspace);
        let sender = self.analyzed_sender.clone();
        let docs_url = self.settings.rule_docs_url.clone();
        self.pool.spawn(move || {
            let diagnostics = analyze(&workspace, &uri, &snapshot, docs_url.as_deref());
            // The loop may have stopped; then nobody wants the result.
            let _ = sender.send(Event::Analyzed {
                uri,
                version: snapshot.version,
                diagnostics,
            });
        });
    }

    fn publish_if_current(&self, uri: Uri, version: i32, diagnostics: Vec<lsp_types::Diagnostic>) {
        if self
            .documents
            .get(&uri)
            .is_some_and(|document| document.version == version)
        {
            self.publish(uri, Some(version), diagnostics);
        }
    }

    fn publish(&self, uri: Uri, version: Option<i32>, diagnostics: Vec<lsp_types::Diagnostic>) {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        self.send(Message::Notification(Notification::new(
            PublishDiagnostics::METHOD.to_owned(),
            params,
        )));
    }

    fn code_actions(&self, params: &CodeActionParams) -> Vec<CodeActionOrCommand> {
        let uri = &params.text_document.uri;
        let Some(document) = self.documents.get(uri) else {
            return Vec::new();
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
        let fix_all = CodeActionKind::new(FIX_ALL_KIND);
        if wants(&fix_all)
            && let Some(action) = self.fix_all_action(uri, document, fix_all)
        {
            actions.push(CodeActionOrCommand::CodeAction(action));
        }
        actions
    }

    /// Every safe fix of the document, applied by the engine in passes, as one edit.
    fn fix_all_action(
        &self,
        uri: &Uri,
        document: &Document,
        kind: CodeActionKind,
    ) -> Option<CodeAction> {
        let workspace = &self.workspace;
        let path = convert::relative_path(workspace.project.root(), &path_from_uri(uri)?);
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
                Arc::new(OsFs),
                current,
                FixRequest::default(),
            )
            .ok()
            .flatten()?;
        let edit = minimal_edit(document, &fixed);
        Some(CodeAction {
            title: "Fix all auto-fixable problems (cargo commerce)".to_owned(),
            kind: Some(kind),
            edit: Some(versioned_edit(
                &[],
                vec![(uri.clone(), Some(document.version), vec![edit])],
            )),
            ..CodeAction::default()
        })
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

fn analyze(
    workspace: &Workspace,
    uri: &Uri,
    document: &Document,
    docs_url: Option<&str>,
) -> Vec<lsp_types::Diagnostic> {
    let Some(absolute) = path_from_uri(uri) else {
        return Vec::new();
    };
    let root = workspace.project.root();
    let path = convert::relative_path(root, &absolute);
    // The whole import graph is re-built for each analysis (incremental graph updates are still
    // to come).
    let files = workspace.files_with(&path);
    let current = AnalysisDocument {
        path: &path,
        text: &document.text,
        project_files: Some(&files),
    };
    let diagnostics = workspace.analysis.check_document(
        &workspace.project,
        Arc::new(OsFs),
        current,
        &Analyzer::ALL,
    );
    let other = |relative: &Path| {
        let absolute = root.join(relative);
        let text = std::fs::read_to_string(&absolute).ok()?;
        Some((convert::uri_of(root, relative)?, LineIndex::new(&text)))
    };
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
    diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.path == path)
        .map(|diagnostic| convert::to_lsp(diagnostic, &locator))
        .collect()
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
