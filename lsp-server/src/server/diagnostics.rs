//! Analyses on the pool and the diagnostics they publish.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use commerce_analysis::Analyzer;
use commerce_diagnostics::LineIndex;
use lsp_server::{Message, Notification};
use lsp_types::notification::{Notification as _, PublishDiagnostics};
use lsp_types::{PublishDiagnosticsParams, Uri};

use super::workspace::Workspace;
use super::{Event, INDEXING, Server};
use crate::convert::{self, Locator};
use crate::document::Document;
use crate::tests_run::TestFindings;

impl Server {
    /// The test findings in a file that is not open, located in its text on disk.
    pub(super) fn closed_file_findings(&self, path: &Path) -> Vec<lsp_types::Diagnostic> {
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

    pub(super) fn schedule_all(&self) {
        let uris: Vec<Uri> = self.documents.keys().cloned().collect();
        for uri in &uris {
            self.schedule(uri);
        }
    }

    /// Analyses the open documents among `paths` again (not `except`, just analysed).
    pub(super) fn reanalyze_open(&self, paths: &[PathBuf], except: &Uri) {
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
    pub(super) fn schedule(&self, uri: &Uri) {
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

    pub(super) fn publish_if_current(
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
    pub(super) fn publish(
        &mut self,
        uri: Uri,
        version: Option<i32>,
        diagnostics: Vec<lsp_types::Diagnostic>,
    ) {
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
