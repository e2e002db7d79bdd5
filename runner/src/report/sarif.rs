//! `report.sarif`: failures, flakes and a blown budget as diagnostics, rendered by the same
//! SARIF renderer as `check --format sarif`.

use std::path::{Path, PathBuf};

use commerce_diagnostics::render::Sources;
use commerce_diagnostics::render::sarif::{self, ToolInfo};
use commerce_diagnostics::{
    Diagnostic, LineIndex, RuleRegistry, Severity, SourcePosition, TextRange, TextSize,
};
use serde_json::Value;

use super::Report;
use crate::rules::{SuiteOverBudget, TestFailed, TestFlaky, rules};

/// `report.sarif`: the report's findings in SARIF 2.1.0.
pub fn render(report: &Report, project_root: &Path) -> Value {
    let (diagnostics, sources) = diagnostics(report, project_root);
    let mut known = commerce_analysis::all_rules();
    known.extend(rules());
    let tool = ToolInfo {
        name: report.tool.name.clone(),
        version: report.tool.version.clone(),
        information_uri: None,
    };
    sarif::render(&diagnostics, &sources, &RuleRegistry::new(known), &tool)
}

/// The report's findings as diagnostics, with the text of every file they point into (read
/// from `project_root`; a file that cannot be read is reported at its start).
pub fn diagnostics(report: &Report, project_root: &Path) -> (Vec<Diagnostic>, Sources) {
    let mut sources = Sources::new();
    let mut diagnostics = Vec::new();
    for failure in &report.failures {
        let (path, position) = match &failure.location {
            Some(location) => (
                location.path.clone(),
                Some(SourcePosition {
                    line: location.line,
                    column: location.column,
                }),
            ),
            None => (
                failure
                    .target_path
                    .clone()
                    .unwrap_or_else(|| "Cargo.toml".to_owned()),
                None,
            ),
        };
        let range = locate(&mut sources, project_root, &path, position);
        let first_line = failure.message.lines().next().unwrap_or_default();
        diagnostics.push(
            Diagnostic::new(
                TestFailed::META.id,
                Severity::Error,
                &path,
                range,
                format!("test `{}` failed: {first_line}", failure.test),
            )
            .with_help(format!("replay: {}", failure.replay))
            .with_data("test", failure.test.as_str())
            .with_data(
                "classification",
                Value::from(failure.classification.as_str()),
            ),
        );
    }
    for flaky in &report.flaky {
        diagnostics.push(
            Diagnostic::new(
                TestFlaky::META.id,
                Severity::Warning,
                "Cargo.toml",
                TextRange::default(),
                format!(
                    "test `{}` is flaky: it passed on attempt {}",
                    flaky.test, flaky.attempts
                ),
            )
            .with_data("test", flaky.test.as_str()),
        );
    }
    if let Some(budget) = report.budget.as_ref().filter(|budget| budget.over) {
        let slowest: Vec<String> = budget
            .slowest
            .iter()
            .take(5)
            .map(|timing| format!("{} ({:.0} ms)", timing.test, timing.duration_ms))
            .collect();
        diagnostics.push(
            Diagnostic::new(
                SuiteOverBudget::META.id,
                Severity::Warning,
                "commerce.toml",
                TextRange::default(),
                format!(
                    "suite `{}` took {:.1} s, over its budget of {:.1} s",
                    report.run.suite,
                    budget.elapsed_ms as f64 / 1000.0,
                    budget.limit_ms as f64 / 1000.0
                ),
            )
            .with_help(format!("slowest: {}", slowest.join(", "))),
        );
    }
    (diagnostics, sources)
}

/// The byte range of `position` (the rest of its line) in `path`, loading the file into
/// `sources`; the file start when the file or the position is unknown.
fn locate(
    sources: &mut Sources,
    project_root: &Path,
    path: &str,
    position: Option<SourcePosition>,
) -> TextRange {
    let relative = PathBuf::from(path);
    if sources.get(&relative).is_none() {
        match std::fs::read_to_string(project_root.join(&relative)) {
            Ok(text) => sources.insert(relative.clone(), text),
            Err(_) => return TextRange::default(),
        }
    }
    let (Some(file), Some(position)) = (sources.get(&relative), position) else {
        return TextRange::default();
    };
    let index = LineIndex::new(&file.text);
    let line = position
        .line
        .checked_sub(1)
        .and_then(|line| index.line_range(line));
    match (index.offset_of(position), line) {
        (Some(start), Some(line)) => {
            let content = file.text[line.to_usize_range()].trim_end_matches(['\n', '\r']);
            let end = line.start() + TextSize::of(content);
            TextRange::new(start, end.max(start))
        }
        _ => TextRange::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn failures_point_at_the_panic_and_validate_as_sarif() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("src")).expect("mkdir");
        std::fs::write(
            dir.path().join("src/cart.rs"),
            "fn f() {\n    assert_eq!(1, 2);\n}\n",
        )
        .expect("write");
        let sarif = render(&fixtures::report(), dir.path());
        let results = sarif["runs"][0]["results"].as_array().expect("results");
        let rules: Vec<&str> = results
            .iter()
            .filter_map(|result| result["ruleId"].as_str())
            .collect();
        assert_eq!(
            rules,
            [
                "tests/failed",
                "tests/failed",
                "tests/flaky",
                "tests/over-budget"
            ]
        );
        let region = &results[0]["locations"][0]["physicalLocation"]["region"];
        // From the panic's column to the end of that line: `assert_eq!(1, 2);`.
        assert_eq!(region["startLine"], 2);
        assert_eq!(region["startColumn"], 5);
        assert_eq!(region["endLine"], 2);
        assert_eq!(region["endColumn"], 22);
        assert_eq!(
            results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "src/lib.rs"
        );
        // The official schema's Rust model accepts it.
        let parsed: Result<serde_sarif::sarif::Sarif, _> = serde_json::from_value(sarif);
        assert!(parsed.is_ok(), "{parsed:?}");
    }
}
