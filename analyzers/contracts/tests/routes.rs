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
    let diagnostics = checked(&fs, &config());
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
    let diagnostics = checked(&fs, &config());
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
    let after = checked(&fixed, &config());
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
    assert_eq!(checked(&fs, &config), []);
}

fn project(files: &[(&str, &str)]) -> MemoryFs {
    files
        .iter()
        .map(|(path, text)| (PathBuf::from("/p").join(path), (*text).to_owned()))
        .collect()
}

const SERVED_UNDER_API: &str = r#"
use axum::{Router, routing::get};

pub fn app() -> Router {
    Router::new().nest("/api", api()).route("/health", get(health))
}

fn api() -> Router {
    Router::new()
        .route("/articles/:slug/comments/:comment_id", get(comment).delete(remove))
        .merge(users())
}

fn users() -> Router {
    Router::new().route("/users/{user_id}", get(user)).route("/v2/carts", get(carts))
}
"#;

/// A spec served under `/api` (a variable with a default), a path item served at the root by
/// its own `servers`, an operation with its own base path, and parameters named differently
/// in code: everything matches, nothing is reported.
#[test]
fn servers_base_paths_and_positional_parameters_match_the_code() {
    let spec = r#"openapi: 3.0.3
info: { title: Shop, version: "1" }
servers:
  - url: https://{region}.shop.example/{base}
    variables:
      region: { default: eu }
      base: { default: api }
paths:
  /articles/{id}/comments/{commentId}:
    get: { responses: { "200": { description: ok } } }
    delete: { responses: { "204": { description: gone } } }
  /users/{id}:
    get: { responses: { "200": { description: ok } } }
  /carts:
    get:
      servers: [{ url: /api/v2 }]
      responses: { "200": { description: ok } }
  /health:
    servers: [{ url: "https://status.shop.example" }]
    get: { responses: { "200": { description: ok } } }
"#;
    let fs = project(&[("openapi.yaml", spec), ("src/main.rs", SERVED_UNDER_API)]);
    let diagnostics = checked(&fs, &config());
    assert_eq!(listed(&fs, &diagnostics), Vec::<String>::new());
    // Without the document's `servers`, every operation under /api is on both sides.
    let bare = spec.replace(
        "servers:\n  - url: https://{region}",
        "x-servers:\n  - url: https://{region}",
    );
    let fs = project(&[("openapi.yaml", &bare), ("src/main.rs", SERVED_UNDER_API)]);
    let diagnostics = checked(&fs, &config());
    let rules: Vec<&str> = diagnostics
        .iter()
        .map(|found| found.rule.as_str())
        .collect();
    assert_eq!(
        rules
            .iter()
            .filter(|rule| **rule == "contracts/operation-without-route")
            .count(),
        3,
        "{diagnostics:#?}"
    );
}

#[test]
fn a_server_url_that_is_not_a_url_is_a_clear_finding() {
    let spec = "openapi: 3.0.3\ninfo: { title: Shop, version: \"1\" }\nservers:\n  - url: not a url\npaths:\n  /health:\n    get: { responses: { \"200\": { description: ok } } }\n";
    let fs = project(&[("openapi.yaml", spec), ("src/main.rs", SERVED_UNDER_API)]);
    let (_, diagnostics) =
        commerce_contracts::check_routes(&fs, Path::new("/p"), &inventory_files(&fs), &config());
    let listed = listed(&fs, &diagnostics);
    assert!(
        listed.contains(&"contracts/invalid-spec openapi.yaml:4 server URL `not a url` is not a URL; its base path is ignored when routes are matched".to_owned()),
        "{listed:#?}"
    );
}

#[test]
fn routes_without_a_spec_are_one_note_on_how_to_set_one_up() {
    let fs = project(&[("src/main.rs", SERVED_UNDER_API)]);
    let config = ContractsConfig {
        specs: Vec::new(),
        ..config()
    };
    let diagnostics = checked(&fs, &config);
    assert_eq!(
        listed(&fs, &diagnostics),
        [
            "contracts/route-missing-from-spec src/main.rs:5 5 route(s) are served in code, but `[contracts] specs` names no OpenAPI spec to compare them with"
        ]
    );
    assert_eq!(
        diagnostics[0].severity,
        commerce_diagnostics::Severity::Info
    );
}

#[test]
fn a_route_file_that_does_not_parse_is_a_finding() {
    let spec = "openapi: 3.0.3\ninfo: { title: Shop, version: \"1\" }\npaths:\n  /health:\n    get: { responses: { \"200\": { description: ok } } }\n";
    let fs = project(&[
        ("openapi.yaml", spec),
        (
            "src/main.rs",
            "pub fn app() -> Router { Router::new().route(\"/health\", get(health)) }\n",
        ),
        (
            "src/broken.rs",
            "pub fn api() -> Router {\n    Router::new(\n}\n",
        ),
    ]);
    let diagnostics = checked(&fs, &config());
    let listed = listed(&fs, &diagnostics);
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert!(
        listed[0].starts_with(
            "contracts/unparsable-route-file src/broken.rs:3 src/broken.rs is not valid Rust ("
        ),
        "{listed:#?}"
    );
}

/// The project's files at `/p`, as the shared inventory lists them for the analysis.
fn inventory_files(fs: &MemoryFs) -> Vec<PathBuf> {
    commerce_project::inventory(fs, Path::new("/p"), &[]).files
}

/// Every contracts finding of the project at `/p`.
fn checked(fs: &MemoryFs, config: &ContractsConfig) -> Vec<Diagnostic> {
    check_project(fs, Path::new("/p"), &inventory_files(fs), config, None)
}
