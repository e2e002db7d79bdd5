//! Routes in code against the spec on `fixtures/rules/contracts/routes`: an axum app whose
//! routers are split across functions and modules, and a spec that has drifted from it.

use std::path::{Path, PathBuf};

use commerce_contracts::check_project;
use commerce_diagnostics::{Applicability, Diagnostic, LineIndex};
use commerce_project::{ContractsConfig, MemoryFs};

fn fixture_fs(overrides: &[(&str, String)]) -> MemoryFs {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rules/contracts/routes");
    ["openapi.yaml", "src/main.rs", "src/api.rs"]
        .into_iter()
        .map(|name| {
            let text = overrides
                .iter()
                .find(|(path, _)| *path == name)
                .map(|(_, text)| text.clone())
                .unwrap_or_else(|| std::fs::read_to_string(dir.join(name)).expect("fixture"));
            (PathBuf::from("/p").join(name), text)
        })
        .collect()
}

fn config() -> ContractsConfig {
    ContractsConfig {
        specs: vec!["openapi.yaml".to_owned()],
        base: None,
        routes: vec!["src/**/*.rs".to_owned()],
        ..ContractsConfig::default()
    }
}

/// `rule path:line message` for each finding.
fn listed(fs: &MemoryFs, diagnostics: &[Diagnostic]) -> Vec<String> {
    let mut listed: Vec<String> = diagnostics
        .iter()
        .map(|diagnostic| {
            let text = commerce_project::FileSystem::read_to_string(
                fs,
                &Path::new("/p").join(&diagnostic.path),
            )
            .expect("exists");
            let line = LineIndex::new(&text)
                .source_position(diagnostic.range.start())
                .line;
            format!(
                "{} {}:{line} {}",
                diagnostic.rule,
                diagnostic.path.display(),
                diagnostic.message
            )
        })
        .collect();
    listed.sort();
    listed
}

#[test]
fn undocumented_routes_and_unserved_operations_are_reported_where_they_are() {
    let fs = fixture_fs(&[]);
    let diagnostics = check_project(&fs, Path::new("/p"), &config(), None);
    assert_eq!(
        listed(&fs, &diagnostics),
        [
            "contracts/operation-without-route openapi.yaml:26 `DELETE /orders/{orderId}` is in the spec but no route in the code serves it",
            "contracts/route-missing-from-spec src/api.rs:11 `POST /carts` is served here but no OpenAPI spec describes it",
            "contracts/route-missing-from-spec src/api.rs:6 `PATCH /orders/{id}` is served here but no OpenAPI spec describes it",
        ]
    );
    let patch = diagnostics
        .iter()
        .find(|diagnostic| diagnostic.message.starts_with("`PATCH"))
        .expect("the PATCH route");
    assert_eq!(patch.data["method"], "PATCH");
    assert_eq!(patch.data["path"], "/orders/{id}");
    assert_eq!(patch.data["level"], "warning");
}

#[test]
fn the_stub_fixes_describe_the_routes_and_keep_the_spec_valid() {
    let fs = fixture_fs(&[]);
    let diagnostics = check_project(&fs, Path::new("/p"), &config(), None);
    let mut spec = commerce_project::FileSystem::read_to_string(&fs, Path::new("/p/openapi.yaml"))
        .expect("spec");
    let mut edits: Vec<_> = diagnostics
        .iter()
        .filter_map(|diagnostic| diagnostic.fix.as_ref())
        .inspect(|fix| assert_eq!(fix.applicability, Applicability::Unsafe))
        .flat_map(|fix| fix.edits.clone())
        .collect();
    assert_eq!(edits.len(), 2);
    // Apply from the end so earlier offsets stay valid.
    edits.sort_by_key(|edit| std::cmp::Reverse(edit.range.start()));
    for edit in edits {
        assert_eq!(edit.path, Path::new("openapi.yaml"));
        spec.replace_range(edit.range.to_usize_range(), &edit.new_text);
    }
    let fixed = fixture_fs(&[("openapi.yaml", spec.clone())]);
    let after = check_project(&fixed, Path::new("/p"), &config(), None);
    assert_eq!(
        listed(&fixed, &after),
        [
            "contracts/operation-without-route openapi.yaml:26 `DELETE /orders/{orderId}` is in the spec but no route in the code serves it"
        ],
        "{spec}"
    );
    assert!(
        spec.contains("    patch:\n      summary: TODO describe PATCH /orders/{id}"),
        "{spec}"
    );
    assert!(spec.contains("  /carts:\n    post:\n"), "{spec}");
}

#[test]
fn no_routes_configured_means_no_route_findings() {
    let fs = fixture_fs(&[]);
    let config = ContractsConfig {
        routes: Vec::new(),
        ..config()
    };
    assert_eq!(check_project(&fs, Path::new("/p"), &config, None), []);
}
