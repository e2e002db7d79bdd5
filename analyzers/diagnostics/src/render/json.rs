//! The stable JSON report of DESIGN §5 (`--format json`), version 1.
//!
//! Built with `json!` rather than `#[derive(Serialize)]` on the model: the model keeps byte
//! ranges, the report promises 1-based character positions, and spelling the shape out here keeps
//! the key order — part of the contract — visible in one place.

use std::path::Path;

use serde_json::{Value, json};

use super::{Sources, Summary, slash_path};
use crate::{Diagnostic, Edit, Fix, Label, SourceRange, TextRange};

/// The version of the report's shape; bumped on any incompatible change.
pub const VERSION: u32 = 1;

pub fn render(diagnostics: &[Diagnostic], sources: &Sources, summary: &Summary) -> Value {
    json!({
        "version": VERSION,
        "diagnostics": diagnostics
            .iter()
            .map(|diagnostic| diagnostic_json(diagnostic, sources))
            .collect::<Vec<_>>(),
        "summary": {
            "errors": summary.errors,
            "warnings": summary.warnings,
            "files": summary.files,
            "elapsed_ms": summary.elapsed_ms,
        },
    })
}

fn diagnostic_json(diagnostic: &Diagnostic, sources: &Sources) -> Value {
    json!({
        "rule": diagnostic.rule,
        "severity": diagnostic.severity.as_str(),
        "message": diagnostic.message,
        "path": slash_path(&diagnostic.path),
        "range": located_range(sources, &diagnostic.path, diagnostic.range),
        "related": diagnostic
            .related
            .iter()
            .map(|label| label_json(label, sources))
            .collect::<Vec<_>>(),
        "help": diagnostic.help,
        "fix": diagnostic.fix.as_ref().map(|fix| fix_json(fix, sources)),
        "data": diagnostic.data,
    })
}

fn label_json(label: &Label, sources: &Sources) -> Value {
    json!({
        "path": slash_path(&label.path),
        "range": located_range(sources, &label.path, label.range),
        "message": label.message,
    })
}

fn fix_json(fix: &Fix, sources: &Sources) -> Value {
    json!({
        "title": fix.title,
        "applicability": fix.applicability.as_str(),
        "edits": fix.edits.iter().map(|edit| edit_json(edit, sources)).collect::<Vec<_>>(),
    })
}

fn edit_json(edit: &Edit, sources: &Sources) -> Value {
    json!({
        "path": slash_path(&edit.path),
        "range": located_range(sources, &edit.path, edit.range),
        "new_text": edit.new_text,
    })
}

fn located_range(sources: &Sources, path: &Path, range: TextRange) -> Value {
    range_json(sources.source_range(path, range))
}

fn range_json(range: SourceRange) -> Value {
    json!({
        "start": { "line": range.start.line, "column": range.start.column },
        "end": { "line": range.end.line, "column": range.end.column },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    fn keys(value: &Value) -> Vec<&str> {
        value
            .as_object()
            .map(|object| object.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    #[test]
    fn report_matches_the_snapshot() {
        let diagnostics = fixtures::diagnostics();
        let summary = fixtures::summary(&diagnostics);
        let report = render(&diagnostics, &fixtures::sources(), &summary);
        insta::assert_json_snapshot!(report);
    }

    #[test]
    fn keys_come_in_the_documented_order() {
        let diagnostics = fixtures::diagnostics();
        let summary = fixtures::summary(&diagnostics);
        let report = render(&diagnostics, &fixtures::sources(), &summary);
        assert_eq!(keys(&report), ["version", "diagnostics", "summary"]);
        assert_eq!(
            keys(&report["summary"]),
            ["errors", "warnings", "files", "elapsed_ms"]
        );
        let with_fix = report["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|diagnostic| !diagnostic["fix"].is_null() && diagnostic["related"][0].is_object())
            .expect("the fixture has a diagnostic with a fix and a related label");
        assert_eq!(
            keys(with_fix),
            [
                "rule", "severity", "message", "path", "range", "related", "help", "fix", "data"
            ]
        );
        assert_eq!(keys(&with_fix["range"]), ["start", "end"]);
        assert_eq!(keys(&with_fix["range"]["start"]), ["line", "column"]);
        assert_eq!(keys(&with_fix["related"][0]), ["path", "range", "message"]);
        assert_eq!(keys(&with_fix["fix"]), ["title", "applicability", "edits"]);
        assert_eq!(
            keys(&with_fix["fix"]["edits"][0]),
            ["path", "range", "new_text"]
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let diagnostics = fixtures::diagnostics();
        let summary = fixtures::summary(&diagnostics);
        let report = render(&diagnostics, &fixtures::sources(), &summary);
        let missing_export = report["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|diagnostic| diagnostic["rule"] == "frontend/missing-export")
            .expect("the fixture has a diagnostic on a line with multi-byte characters");
        // `export const grüße = "Grüße 😀"; export { ` is 41 characters but 48 bytes.
        assert_eq!(
            missing_export["range"],
            json!({ "start": { "line": 1, "column": 42 }, "end": { "line": 1, "column": 48 } })
        );
    }

    #[test]
    fn missing_help_and_fix_are_null_and_unknown_files_start_at_one() {
        let diagnostic = Diagnostic::new(
            "tests/demo",
            crate::Severity::Warning,
            "gone.ts",
            TextRange::new(5.into(), 9.into()),
            "m",
        );
        let report = render(
            std::slice::from_ref(&diagnostic),
            &Sources::new(),
            &Summary::default(),
        );
        let rendered = &report["diagnostics"][0];
        assert_eq!(rendered["help"], Value::Null);
        assert_eq!(rendered["fix"], Value::Null);
        assert_eq!(rendered["data"], json!({}));
        assert_eq!(
            rendered["range"],
            json!({ "start": { "line": 1, "column": 1 }, "end": { "line": 1, "column": 1 } })
        );
    }
}
