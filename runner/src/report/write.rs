//! Reading `report.json` back (baselines, shard reports) and writing every report file.

use std::fs;
use std::path::{Path, PathBuf};

use super::{REPORT_VERSION, Report, html, junit_xml, markdown, prometheus, sarif};
use crate::error::RunnerError;

/// The files [`write_all`] writes into the report directory.
pub const REPORT_FILES: [&str; 6] = [
    "report.json",
    "junit.xml",
    "report.md",
    "report.sarif",
    "metrics.prom",
    "report.html",
];

/// Reads a `report.json`.
///
/// # Errors
/// [`RunnerError::Report`] when the file is missing, not JSON of this shape (with line and
/// column), or written by a newer, incompatible version.
pub fn read(path: &Path) -> Result<Report, RunnerError> {
    let error = |message: String| RunnerError::Report {
        path: path.to_path_buf(),
        message,
    };
    let text = fs::read_to_string(path).map_err(|source| error(source.to_string()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|source| error(format!("not JSON: {source}")))?;
    match value.get("version").and_then(serde_json::Value::as_u64) {
        Some(version) if version == u64::from(REPORT_VERSION) => {}
        Some(version) => {
            return Err(error(format!(
                "report version {version}, but this cargo-commerce reads version {REPORT_VERSION}"
            )));
        }
        None => {
            return Err(error(
                "no `version` field: not a cargo commerce report".to_owned(),
            ));
        }
    }
    serde_json::from_value(value).map_err(|source| error(format!("not a report: {source}")))
}

/// Writes every file of [`REPORT_FILES`] into `dir`; `project_root` is where the SARIF
/// locations' files are read from. Returns the paths written.
///
/// # Errors
/// [`RunnerError::Write`] for the first file that cannot be written.
pub fn write_all(
    report: &Report,
    dir: &Path,
    project_root: &Path,
) -> Result<Vec<PathBuf>, RunnerError> {
    fs::create_dir_all(dir).map_err(|source| RunnerError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let json = serde_json::to_string_pretty(report).unwrap_or_else(|_| "{}".to_owned());
    let sarif = sarif::render(report, project_root);
    let contents = [
        json,
        junit_xml::render(report),
        markdown::render(report),
        serde_json::to_string_pretty(&sarif).unwrap_or_else(|_| "{}".to_owned()),
        prometheus::render(report),
        html::render(report),
    ];
    let mut written = Vec::new();
    for (name, text) in REPORT_FILES.iter().zip(contents) {
        let path = dir.join(name);
        write_atomically(&path, &text)?;
        written.push(path);
    }
    Ok(written)
}

/// Through a temporary file and a rename, so a reader (CI, a dashboard, watch's `/metrics`)
/// never sees half a report.
fn write_atomically(path: &Path, text: &str) -> Result<(), RunnerError> {
    let error = |source| RunnerError::Write {
        path: path.to_path_buf(),
        source,
    };
    let temporary = path.with_extension("tmp");
    fs::write(&temporary, text).map_err(error)?;
    fs::rename(&temporary, path).map_err(error)
}

pub fn render_markdown(report: &Report) -> String {
    markdown::render(report)
}

pub fn render_html(report: &Report) -> String {
    html::render(report)
}

pub fn render_prometheus(report: &Report) -> String {
    prometheus::render(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{RouteRender, RouteResult, RouteStatus, fixtures};

    #[test]
    fn a_written_report_reads_back_equal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let report = fixtures::report();
        let written = write_all(&report, dir.path(), dir.path()).expect("written");
        assert_eq!(written.len(), REPORT_FILES.len());
        let back = read(&dir.path().join("report.json")).expect("reads back");
        assert_eq!(back, report);
    }

    #[test]
    fn a_report_written_before_routes_were_kept_reads_back_without_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut json = serde_json::to_value(fixtures::report()).expect("serialises");
        json.as_object_mut().expect("an object").remove("routes");
        let path = dir.path().join("old.json");
        fs::write(&path, json.to_string()).expect("write");
        assert_eq!(read(&path).expect("reads").routes, None);
    }

    #[test]
    fn corrupt_and_foreign_reports_are_named_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cases = [
            ("{ truncated", "not JSON"),
            ("{\"diagnostics\": []}", "no `version` field"),
            ("{\"version\": 99}", "report version 99"),
            ("{\"version\": 1, \"tests\": 3}", "not a report"),
        ];
        for (text, expected) in cases {
            let path = dir.path().join("report.json");
            fs::write(&path, text).expect("write");
            let error = read(&path).expect_err(text).to_string();
            assert!(error.contains(expected), "{error}");
            assert!(error.contains("help: pass a report.json"), "{error}");
        }
        let missing = read(&dir.path().join("missing.json")).expect_err("missing");
        assert!(matches!(missing, RunnerError::Report { .. }));
    }

    #[test]
    fn the_json_matches_the_documented_schema() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../report.schema.json")).expect("schema is JSON");
        let validator = jsonschema::validator_for(&schema).expect("a valid schema");
        let mut report = fixtures::report();
        report.routes = Some(vec![RouteResult {
            route: "/shop/[id]".to_owned(),
            file: "web/app/shop/[id]/page.tsx".to_owned(),
            kind: "page".to_owned(),
            status: RouteStatus::Fail,
            reason: Some("the module has no default export".to_owned()),
            render: Some(RouteRender {
                status: RouteStatus::Fail,
                ms: 12,
            }),
        }]);
        report.load = Some(fixtures::load_section());
        let report = serde_json::to_value(report).expect("serialises");
        let errors: Vec<String> = validator
            .iter_errors(&report)
            .map(|error| format!("{} at {}", error, error.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        let mut broken = report;
        broken["summary"]["passed"] = serde_json::json!("three");
        assert!(!validator.is_valid(&broken));
    }
}
