//! Findings and load issues as [`Diagnostic`]s.

use commerce_diagnostics::{Diagnostic, Severity};
use serde_json::Value as Json;

use crate::diff::{Finding, Level};
use crate::load::LoadIssue;
use crate::model::{Loc, Spec};
use crate::rules::INVALID_SPEC;

/// The severity a finding of `level` is reported with.
pub fn severity(level: Level) -> Severity {
    match level {
        Level::Err => Severity::Error,
        Level::Warn => Severity::Warning,
        Level::Info => Severity::Info,
    }
}

/// A finding of the diff of `base` against `head` as a `contracts/<oasdiff-id>` diagnostic in
/// the head spec, with the base location as a related label.
///
/// `data` holds `level` (`error|warning|info`), `method` and `path` (`null` for findings about
/// the spec as a whole) and `id` (the oasdiff id).
pub fn finding_diagnostic(finding: &Finding, base: &Spec, head: &Spec) -> Diagnostic {
    let (path, range) = match (finding.head, finding.base) {
        (Some(loc), _) => (document_path(head, loc), loc.range),
        (None, Some(loc)) => (document_source(base, loc), loc.range),
        (None, None) => (document_path(head, head.root_loc), head.root_loc.range),
    };
    let (method, operation_path) = match &finding.operation {
        Some((method, path)) => (Json::from(method.as_str()), Json::from(path.as_str())),
        None => (Json::Null, Json::Null),
    };
    let mut diagnostic = Diagnostic::new(
        format!("contracts/{}", finding.id),
        severity(finding.level),
        path,
        range,
        finding.message.clone(),
    )
    .with_data("level", finding.level.as_str())
    .with_data("method", method)
    .with_data("path", operation_path)
    .with_data("id", finding.id);
    if let (Some(_), Some(loc)) = (finding.head, finding.base) {
        diagnostic =
            diagnostic.with_related(document_source(base, loc), loc.range, "in the base spec");
    }
    diagnostic
}

/// A load issue as a `contracts/invalid-spec` diagnostic.
pub fn issue_diagnostic(issue: &LoadIssue, spec: &Spec) -> Diagnostic {
    Diagnostic::new(
        INVALID_SPEC,
        issue.severity,
        document_path(spec, issue.loc),
        issue.loc.range,
        issue.message.clone(),
    )
}

fn document_path(spec: &Spec, loc: Loc) -> std::path::PathBuf {
    spec.documents
        .get(loc.doc.0 as usize)
        .map(|document| document.path.clone())
        .unwrap_or_default()
}

/// The base spec's documents are named by their source (`git:REF:path`), so that a report can
/// show them beside the head's file of the same path.
fn document_source(spec: &Spec, loc: Loc) -> std::path::PathBuf {
    spec.documents
        .get(loc.doc.0 as usize)
        .map(|document| std::path::PathBuf::from(&document.source))
        .unwrap_or_default()
}
