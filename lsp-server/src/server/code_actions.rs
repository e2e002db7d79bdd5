//! Code actions: the quick fixes diagnostics carry, and fix-all.

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;

use commerce_analysis::{Analyzer, Document as AnalysisDocument, FixRequest, panic_message};
use commerce_diagnostics::Applicability;
use lsp_server::{ErrorCode, RequestId, Response};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams,
    OptionalVersionedTextDocumentIdentifier, TextDocumentEdit, TextEdit, Uri, WorkspaceEdit,
};

use super::workspace::Workspace;
use super::{Event, FIX_ALL_KIND, Server};
use crate::convert::{self, FixData};
use crate::document::Document;

impl Server {
    /// The quick fixes come with the request's diagnostics; a fix-all needs an analysis, so
    /// it is computed on the pool and answered from there (`None` here).
    pub(super) fn code_actions(
        &self,
        id: RequestId,
        params: &CodeActionParams,
    ) -> Option<Response> {
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
