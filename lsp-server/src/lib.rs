//! The language server behind `cargo commerce lsp`: the only crate that knows LSP/JSON-RPC.
//!
//! It speaks LSP over rust-analyzer's `lsp-server` crate with an explicit main loop over a
//! closed event enum (client messages, finished analyses), runs analyses on a thread pool
//! against snapshots of the open documents, and answers every request under `catch_unwind`.
//! Quick fixes travel in `diagnostic.data` (as ruff does), so code actions need no state.

mod convert;
mod document;
mod progress;
mod server;
mod tests_run;
mod uri;

use std::path::PathBuf;

use lsp_server::{Connection, ProtocolError};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, ExecuteCommandOptions,
    InitializeParams, SaveOptions, ServerCapabilities, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextDocumentSyncSaveOptions,
};

pub use convert::{FixData, FixEdit};
pub use server::{FIX_ALL_KIND, Settings};
pub use tests_run::RUN_AFFECTED_TESTS;
pub use uri::{path_from_uri, uri_from_path};

/// Why the server stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum LspError {
    #[error("LSP protocol error: {0}")]
    Protocol(#[from] ProtocolError),
    #[error("the initialize request has invalid params: {0}")]
    InitializeParams(#[source] serde_json::Error),
    #[error("cannot start the analysis thread pool: {0}")]
    ThreadPool(String),
    #[error("an internal channel closed unexpectedly")]
    ChannelClosed,
    #[error("the stdio threads failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves one client over stdin/stdout until it exits.
pub fn run_stdio() -> Result<(), LspError> {
    let (connection, io_threads) = Connection::stdio();
    run(connection)?;
    io_threads.join()?;
    Ok(())
}

/// Serves one client over `connection` (stdio, a socket, or `Connection::memory` in tests):
/// the initialize handshake, then the main loop until `shutdown` + `exit`.
pub fn run(connection: Connection) -> Result<(), LspError> {
    let (id, params) = connection.initialize_start()?;
    let params: InitializeParams =
        serde_json::from_value(params).map_err(LspError::InitializeParams)?;
    let root = workspace_root(&params);
    let progress_supported = params
        .capabilities
        .window
        .as_ref()
        .and_then(|window| window.work_done_progress)
        .unwrap_or(false);
    let mut settings: Settings = params
        .initialization_options
        .clone()
        .and_then(|options| serde_json::from_value(options).ok())
        .unwrap_or_default();
    settings.creates_files = client_creates_files(&params);
    let result = serde_json::json!({
        "capabilities": capabilities(),
        "serverInfo": { "name": "cargo-commerce", "version": env!("CARGO_PKG_VERSION") },
    });
    connection.initialize_finish(id, result)?;
    server::Server::new(connection, root, settings, progress_supported)?.main_loop()
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..TextDocumentSyncOptions::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::new(FIX_ALL_KIND),
            ]),
            ..CodeActionOptions::default()
        })),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![RUN_AFFECTED_TESTS.to_owned()],
            ..ExecuteCommandOptions::default()
        }),
        ..ServerCapabilities::default()
    }
}

/// Whether the client applies `CreateFile` operations in workspace edits.
fn client_creates_files(params: &InitializeParams) -> bool {
    let Some(edit) = params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|workspace| workspace.workspace_edit.as_ref())
    else {
        return false;
    };
    edit.document_changes == Some(true)
        && edit
            .resource_operations
            .as_ref()
            .is_some_and(|kinds| kinds.contains(&lsp_types::ResourceOperationKind::Create))
}

/// The first workspace folder, else the (deprecated) root URI, else the current directory.
#[allow(deprecated)]
fn workspace_root(params: &InitializeParams) -> PathBuf {
    params
        .workspace_folders
        .as_ref()
        .and_then(|folders| folders.first())
        .and_then(|folder| path_from_uri(&folder.uri))
        .or_else(|| params.root_uri.as_ref().and_then(path_from_uri))
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."))
}
