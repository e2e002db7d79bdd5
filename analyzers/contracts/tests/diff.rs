//! The diff end to end on `fixtures/rules/contracts/diff`: an order API whose response schema
//! moved into `components` (not a change) while a few things really changed. Every finding
//! points at the exact line of the changed element in the head spec.

use std::path::{Path, PathBuf};

use commerce_contracts::load::DEFAULT_MAX_SPEC_BYTES;
use commerce_contracts::{SourceReader, SpecSource, diff_sources};
use commerce_diagnostics::{LineIndex, Severity};
use commerce_project::OsFs;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rules/contracts/diff")
}

#[test]
fn findings_have_oasdiff_ids_levels_and_head_lines() {
    let root = fixtures();
    let reader = SourceReader {
        fs: &OsFs,
        root: &root,
        max_bytes: DEFAULT_MAX_SPEC_BYTES,
    };
    let (_, head, diagnostics) = diff_sources(
        &reader,
        &SpecSource::parse("base.yaml"),
        &SpecSource::parse("head.yaml"),
    )
    .expect("both load");
    let head_text = &head.spec.documents[0].text;
    let index = LineIndex::new(head_text);
    let found: Vec<(String, u32, &str, &str)> = diagnostics
        .iter()
        .map(|diagnostic| {
            assert_eq!(diagnostic.path, Path::new("head.yaml"));
            let line = index.source_position(diagnostic.range.start()).line;
            let data = |key: &str| diagnostic.data[key].as_str().unwrap_or("-").to_owned();
            (
                diagnostic.rule.clone(),
                line,
                diagnostic.severity.as_str(),
                match data("level").as_str() {
                    "error" => "error",
                    "warning" => "warning",
                    _ => "info",
                },
            )
        })
        .collect();
    let expected = [
        (
            "contracts/new-required-request-parameter",
            14,
            "error",
            "error",
        ),
        (
            "contracts/response-optional-property-removed",
            44,
            "warning",
            "warning",
        ),
        (
            "contracts/response-property-enum-value-added",
            49,
            "warning",
            "warning",
        ),
        (
            "contracts/request-property-became-required",
            36,
            "error",
            "error",
        ),
        (
            "contracts/request-property-max-length-decreased",
            37,
            "error",
            "error",
        ),
    ];
    let mut found_sorted = found.clone();
    found_sorted.sort();
    let mut expected: Vec<(String, u32, &str, &str)> = expected
        .iter()
        .map(|(rule, line, severity, level)| ((*rule).to_owned(), *line, *severity, *level))
        .collect();
    expected.sort();
    assert_eq!(found_sorted, expected);

    let removed = diagnostics
        .iter()
        .find(|diagnostic| diagnostic.rule == "contracts/response-optional-property-removed")
        .expect("the removal");
    assert_eq!(removed.data["method"], "GET");
    assert_eq!(removed.data["path"], "/orders/{orderId}");
    assert_eq!(
        removed.message,
        "Response optional property removed: `coupon` in response 200 `application/json` (GET /orders/{orderId})"
    );
    assert_eq!(removed.related[0].path, Path::new("base.yaml"));
    assert_eq!(removed.severity, Severity::Warning);
}
