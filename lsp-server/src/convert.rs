//! Our diagnostics and fixes in LSP terms: UTF-16 ranges, URIs, fixes carried in `data`.

use std::path::{Path, PathBuf};

use commerce_diagnostics::{Applicability, Diagnostic, LineIndex, Severity};
use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Range, TextEdit, Uri,
};
use serde::{Deserialize, Serialize};

use crate::document::lsp_range;
use crate::uri::uri_from_path;

/// What the LSP `source` field says for every diagnostic of ours.
pub const SOURCE: &str = "commerce";

/// A fix as carried in `diagnostic.data`, already in LSP coordinates, so a code action needs no
/// server state (as ruff does).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FixData {
    pub title: String,
    pub applicability: Applicability,
    /// The document version the edits were computed against.
    pub version: i32,
    pub edits: Vec<FixEdit>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FixEdit {
    pub uri: Uri,
    pub range: Range,
    pub new_text: String,
    /// The edit creates the file: it does not exist yet.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create: bool,
}

impl FixEdit {
    pub fn text_edit(&self) -> TextEdit {
        TextEdit::new(self.range, self.new_text.clone())
    }
}

/// Where diagnostics of one document can point: the document itself (its text may be unsaved)
/// and other files of the project, read on demand.
pub struct Locator<'a> {
    pub document_path: &'a Path,
    pub document_uri: &'a Uri,
    pub document_index: &'a LineIndex,
    pub version: i32,
    /// Line index and URI of another project file (relative path).
    pub other: &'a dyn Fn(&Path) -> Option<(Uri, LineIndex)>,
    /// The URI of a project file (relative path) that does not exist, for a fix creating it.
    pub missing: &'a dyn Fn(&Path) -> Option<Uri>,
    /// `{rule}` is replaced by the rule id; no link when `None`.
    pub docs_url: Option<&'a str>,
}

impl Locator<'_> {
    fn locate(&self, path: &Path, range: commerce_diagnostics::TextRange) -> Option<(Uri, Range)> {
        if path == self.document_path {
            return Some((
                self.document_uri.clone(),
                lsp_range(self.document_index, range),
            ));
        }
        let (uri, index) = (self.other)(path)?;
        Some((uri, lsp_range(&index, range)))
    }
}

pub fn to_lsp(diagnostic: &Diagnostic, locator: &Locator<'_>) -> lsp_types::Diagnostic {
    let range = lsp_range(locator.document_index, diagnostic.range);
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .related
        .iter()
        .filter_map(|label| {
            let (uri, range) = locator.locate(&label.path, label.range)?;
            Some(DiagnosticRelatedInformation {
                location: Location::new(uri, range),
                message: label.message.clone(),
            })
        })
        .collect();
    let fix = diagnostic.fix.as_ref().and_then(|fix| {
        let edits = fix
            .edits
            .iter()
            .map(|edit| {
                if let Some((uri, range)) = locator.locate(&edit.path, edit.range) {
                    return Some(FixEdit {
                        uri,
                        range,
                        new_text: edit.new_text.clone(),
                        create: false,
                    });
                }
                let uri = (locator.missing)(&edit.path).filter(|_| edit.can_create())?;
                Some(FixEdit {
                    uri,
                    range: Range::default(),
                    new_text: edit.new_text.clone(),
                    create: true,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(FixData {
            title: fix.title.clone(),
            applicability: fix.applicability,
            version: locator.version,
            edits,
        })
    });
    let message = match &diagnostic.help {
        Some(help) => format!("{}\nhelp: {help}", diagnostic.message),
        None => diagnostic.message.clone(),
    };
    lsp_types::Diagnostic {
        range,
        severity: Some(severity(diagnostic.severity)),
        code: Some(NumberOrString::String(diagnostic.rule.clone())),
        code_description: locator
            .docs_url
            .and_then(|template| template.replace("{rule}", &diagnostic.rule).parse().ok())
            .map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_owned()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: fix.and_then(|fix| serde_json::to_value(fix).ok()),
    }
}

fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
    }
}

/// The project-relative path analysis uses for `path` (absolute paths outside the root stay
/// absolute).
pub fn relative_path(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root)
        .map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
}

/// The URI of a project-relative path.
pub fn uri_of(root: &Path, relative: &Path) -> Option<Uri> {
    uri_from_path(&root.join(relative))
}
