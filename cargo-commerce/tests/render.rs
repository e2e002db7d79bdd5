//! `cargo commerce routes --render` and the render step inside `check`, on
//! `fixtures/render-shop` and on the reference shop's storefront `fixtures/shop/web` (their
//! packages installed by `scripts/install-deps.sh`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// `fixtures/<app>`, with Node on PATH and the app's packages installed.
fn installed_app(app: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(app);
    assert!(
        Command::new("node").arg("--version").output().is_ok(),
        "`node` was not found: install Node.js 18 or newer (https://nodejs.org/en/download), then re-run"
    );
    assert!(
        root.join("node_modules/react-dom/package.json").is_file(),
        "the fixture's packages are not installed: run `bash scripts/install-deps.sh` (npm ci in fixtures/{app})"
    );
    root
}

fn render_shop() -> PathBuf {
    installed_app("render-shop")
}

fn commerce(args: &[&str], project: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-commerce"))
        .args(args)
        .arg("--project")
        .arg(project)
        .env("NO_COLOR", "1")
        .output()
        .expect("run cargo-commerce")
}

#[test]
fn routes_render_json_fills_each_rows_render_and_reports_the_failures() {
    let output = commerce(&["routes", "--render", "--format", "json"], &render_shop());
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let routes = report["routes"].as_array().expect("routes");
    let render = |route: &str| {
        routes
            .iter()
            .find(|row| row["route"] == route && row["kind"] == "page")
            .unwrap_or_else(|| panic!("no page {route}: {report}"))["render"]
            .clone()
    };
    assert_eq!(render("/")["status"], "OK", "{report}");
    assert_eq!(render("/products/:handle")["status"], "OK", "{report}");
    assert_eq!(render("/no-keys")["status"], "FAIL", "{report}");
    assert!(render("/no-keys")["ms"].is_u64(), "{report}");
    // A route that fails statically is not rendered.
    assert!(render("/unparsable").is_null(), "{report}");
    let broken_prop = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|diagnostic| diagnostic["data"]["route"] == "/broken-prop")
        .expect("the /broken-prop finding");
    assert_eq!(broken_prop["rule"], "frontend/render-error");
    assert_eq!(broken_prop["path"], "components/price.tsx");
    assert_eq!(broken_prop["range"]["start"]["line"], 4);
}

#[test]
fn check_renders_when_enabled_and_only_notes_a_missing_install() {
    let shop = render_shop();
    let checked = commerce(&["check", "--format", "json"], &shop);
    let report: Value = serde_json::from_slice(&checked.stdout).expect("JSON");
    let rules: Vec<&str> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|diagnostic| diagnostic["rule"].as_str())
        .collect();
    assert!(rules.contains(&"frontend/render-error"), "{report}");
    assert!(rules.contains(&"frontend/render-console-error"), "{report}");

    // The same sources without node_modules: nothing rendered, one notice, no render finding.
    let copy = tempfile::tempdir().expect("temp dir");
    copy_sources(&shop, copy.path());
    let checked = commerce(&["check", "--format", "json"], copy.path());
    let stderr = String::from_utf8_lossy(&checked.stderr);
    assert!(
        stderr.contains("note: render skipped for the routes under `.`: react and react-dom are not installed there; run `npm ci`"),
        "{stderr}"
    );
    let report: Value = serde_json::from_slice(&checked.stdout).expect("JSON");
    assert!(
        !report["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .any(|diagnostic| diagnostic["rule"]
                .as_str()
                .is_some_and(|rule| rule.starts_with("frontend/render-"))),
        "{report}"
    );
}

fn copy_sources(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("a readable directory") {
        let path = entry.expect("an entry").path();
        let target = to.join(path.file_name().expect("a name"));
        if path.file_name().is_some_and(|name| name == "node_modules") {
            continue;
        }
        if path.is_dir() {
            std::fs::create_dir_all(&target).expect("a directory");
            copy_sources(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("a copy");
        }
    }
}

#[test]
fn pages_router_pages_render_inside_their_app_component() {
    let shop = render_shop();
    let project = tempfile::tempdir().expect("temp dir");
    let root = project.path();
    std::fs::create_dir_all(root.join("pages")).expect("pages dir");
    std::fs::write(
        root.join("commerce.toml"),
        "[frontend]\nroutes = \"pages\"\n",
    )
    .expect("config");
    std::fs::write(
        root.join("package.json"),
        r#"{ "dependencies": { "react": "*", "react-dom": "*" } }"#,
    )
    .expect("package.json");
    // The fixture's installed React, through a link.
    std::os::unix::fs::symlink(
        shop.join("node_modules")
            .canonicalize()
            .expect("node_modules"),
        root.join("node_modules"),
    )
    .expect("link node_modules");
    std::fs::write(
        root.join("pages/_app.tsx"),
        "import { createContext } from \"react\";\nexport const Shop = createContext<string | null>(null);\nexport default function App({ Component, pageProps }: { Component: () => JSX.Element; pageProps: object }) {\n  return <Shop.Provider value=\"demo\"><Component {...pageProps} /></Shop.Provider>;\n}\n",
    )
    .expect("_app");
    std::fs::write(
        root.join("pages/index.tsx"),
        "import { useContext } from \"react\";\nimport { Shop } from \"./_app\";\nexport default function Home() {\n  const shop = useContext(Shop);\n  return <p>{shop!.toUpperCase()}</p>;\n}\n",
    )
    .expect("index");
    std::fs::write(
        root.join("pages/broken.tsx"),
        "export default function Broken() {\n  const lines: string[] | undefined = undefined;\n  return <p>{lines!.length}</p>;\n}\n",
    )
    .expect("broken");
    let output = commerce(&["routes", "--render", "--format", "json"], root);
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let status = |file: &str| {
        report["routes"]
            .as_array()
            .expect("routes")
            .iter()
            .find(|row| row["file"] == file)
            .unwrap_or_else(|| panic!("no {file}: {report}"))["render"]["status"]
            .clone()
    };
    assert_eq!(status("pages/index.tsx"), "OK", "{report}");
    assert_eq!(status("pages/broken.tsx"), "FAIL", "{report}");
    let finding = &report["diagnostics"][0];
    assert_eq!(finding["rule"], "frontend/render-error", "{report}");
    assert_eq!(finding["path"], "pages/broken.tsx", "{report}");
    assert_eq!(finding["range"]["start"]["line"], 3, "{report}");
}

#[test]
fn without_node_routes_render_notes_how_to_install_it_and_renders_nothing() {
    let shop = render_shop();
    let empty = tempfile::tempdir().expect("temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-commerce"))
        .args(["routes", "--render", "--format", "json", "--project"])
        .arg(&shop)
        .env("NO_COLOR", "1")
        .env("PATH", empty.path())
        .output()
        .expect("run cargo-commerce");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("note: render skipped: `node` was not found on PATH")
            && stderr.contains("install Node.js 18 or newer"),
        "{stderr}"
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert!(
        report["routes"]
            .as_array()
            .expect("routes")
            .iter()
            .all(|row| row["render"].is_null()),
        "{report}"
    );
}

#[test]
fn the_shops_storefront_renders_every_page_clean_and_checks_clean() {
    let web = installed_app("shop/web");
    let shop = web.parent().expect("fixtures/shop");
    let output = commerce(&["routes", "--render", "--format", "json"], shop);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    // A notice means something was not rendered (a missing install, a skipped route).
    assert!(!stderr.contains("note:"), "{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["diagnostics"], serde_json::json!([]), "{report}");
    let pages: Vec<(&str, &Value)> = report["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .filter(|row| row["kind"] == "page")
        .map(|row| {
            (
                row["route"].as_str().expect("a route"),
                &row["render"]["status"],
            )
        })
        .collect();
    let routes: Vec<&str> = pages.iter().map(|(route, _)| *route).collect();
    assert_eq!(
        routes,
        [
            "/",
            "/account",
            "/cart",
            "/categories/:slug",
            "/checkout",
            "/login",
            "/orders",
            "/orders/:id",
            "/products/:id",
            "/search",
        ],
        "{report}"
    );
    assert!(pages.iter().all(|(_, status)| *status == "OK"), "{report}");

    // The whole frontend analysis (imports, cycles, props, routes, and the render `check` runs
    // since `[frontend.render] enabled`) down to information.
    let checked = commerce(
        &[
            "check",
            "--only",
            "frontend",
            "--no-tests",
            "--fail-on",
            "info",
            "--format",
            "json",
        ],
        shop,
    );
    let report: Value = serde_json::from_slice(&checked.stdout).expect("JSON");
    assert_eq!(report["diagnostics"], serde_json::json!([]), "{report}");
    assert_eq!(checked.status.code(), Some(0), "{report}");
}

#[test]
fn the_storefronts_render_fixtures_are_answers_the_shops_spec_allows() {
    use commerce_contracts::conformance::{ObservedResponse, ResponseChecker};
    use commerce_contracts::load::{DEFAULT_MAX_SPEC_BYTES, load};
    use commerce_contracts::{SourceReader, SpecSource};

    let shop = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/shop");
    let fs = commerce_project::OsFs;
    let reader = SourceReader {
        fs: &fs,
        root: &shop,
        max_bytes: DEFAULT_MAX_SPEC_BYTES,
    };
    let loaded = load(&reader, &SpecSource::parse("openapi.yaml")).expect("the shop's spec");
    let config: toml::Table = std::fs::read_to_string(shop.join("commerce.toml"))
        .expect("commerce.toml")
        .parse()
        .expect("TOML");
    let fixtures = config["frontend"]["render"]["fixtures"]
        .as_table()
        .expect("[frontend.render.fixtures]");
    assert!(!fixtures.is_empty());
    let mut checker = ResponseChecker::new(&loaded);
    let mut failures = Vec::new();
    for (url, file) in fixtures {
        let path = url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|slash| &rest[slash..]))
            .map_or(url.as_str(), |path| path.split('?').next().unwrap_or(path));
        // The spec's template for the concrete path (`/orders/1` is `/orders/{order_id}`).
        let entry = loaded
            .spec
            .paths
            .iter()
            .find(|entry| {
                let template: Vec<&str> = entry.path.split('/').collect();
                let concrete: Vec<&str> = path.split('/').collect();
                template.len() == concrete.len()
                    && template.iter().zip(&concrete).all(|(template, concrete)| {
                        template == concrete || template.starts_with('{')
                    })
            })
            .unwrap_or_else(|| panic!("{url}: no path of openapi.yaml matches `{path}`"));
        // A fixture answers the page's GET, or the one operation of a path without one (the
        // checkout's quote is a POST).
        let method = if entry
            .operations
            .iter()
            .any(|operation| operation.method == "GET")
        {
            "GET"
        } else {
            entry.operations[0].method.as_str()
        };
        let body = std::fs::read(shop.join(file.as_str().expect("a file"))).expect("the fixture");
        let response = ObservedResponse {
            status: 200,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body,
        };
        failures.extend(
            checker
                .check(method, &entry.path, &response)
                .into_iter()
                .map(|diagnostic| format!("{file} for {method} {url}: {}", diagnostic.message)),
        );
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
