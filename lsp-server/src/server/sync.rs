//! Document synchronisation: opened, changed, saved and closed buffers, and files changed
//! on disk.

use lsp_server::Notification;
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    DidSaveTextDocument, Notification as _,
};
use lsp_types::{MessageType, Uri};

use super::Server;
use crate::document::Document;
use crate::uri::path_from_uri;

impl Server {
    pub(super) fn handle_notification(
        &mut self,
        notification: Notification,
    ) -> Result<(), serde_json::Error> {
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
    pub(super) fn set_document(&mut self, uri: &Uri, document: Document) {
        if let Some(path) = self.workspace.relative(uri) {
            self.workspace
                .live
                .set_text(&self.workspace.project, &path, &document.text);
        }
        self.documents.insert(uri.clone(), document);
    }

    pub(super) fn reload(&mut self) {
        self.load_project();
        self.schedule_all();
    }
}
