//! `cargo commerce graph`: the import graph in DESIGN §5's JSON shape; `cargo commerce routes`:
//! the frontend's routes; `cargo commerce contracts routes`: routes in code against the spec.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

#[test]
fn graph_json_lists_nodes_and_typed_edges() {
    let project = tempfile::tempdir().expect("temp dir");
    let root = project.path();
    std::fs::create_dir_all(root.join("web/src")).expect("web dir");
    std::fs::write(
        root.join("commerce.toml"),
        "[frontend]\nroots = [\"web\"]\n",
    )
    .expect("config");
    std::fs::write(
        root.join("web/src/cart.ts"),
        "import type { Price } from \"./price\";\nimport \"./styles\";\nexport const load = () => import(\"./price\");\nexport type Line = { price: Price };\n",
    )
    .expect("cart.ts");
    std::fs::write(
        root.join("web/src/price.ts"),
        "export type Price = number;\nexport * from \"./styles\";\n",
    )
    .expect("price.ts");
    std::fs::write(root.join("web/src/styles.ts"), "export const theme = 1;\n").expect("styles.ts");
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-commerce"))
        .args(["graph", "--format", "json", "--project"])
        .arg(root)
        .output()
        .expect("run cargo-commerce");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let graph: Value = serde_json::from_slice(&output.stdout).expect("graph JSON");
    assert_eq!(
        graph["nodes"],
        json!(["web/src/cart.ts", "web/src/price.ts", "web/src/styles.ts"])
    );
    let mut edges: Vec<(String, String, String)> = graph["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| {
            let field = |name: &str| edge[name].as_str().expect("string field").to_owned();
            (field("from"), field("to"), field("kind"))
        })
        .collect();
    edges.sort();
    let edge = |from: &str, to: &str, kind: &str| {
        (
            format!("web/src/{from}"),
            format!("web/src/{to}"),
            kind.to_owned(),
        )
    };
    assert_eq!(
        edges,
        [
            edge("cart.ts", "price.ts", "dynamic"),
            edge("cart.ts", "price.ts", "type-only"),
            edge("cart.ts", "styles.ts", "side-effect"),
            edge("price.ts", "styles.ts", "re-export"),
        ]
    );
}

fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/rules")
        .join(relative)
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
fn routes_prints_every_route_with_its_status_and_fails_on_a_failing_one() {
    let output = commerce(&["routes"], &fixture("frontend/routes-next"));
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout));

    // The shared JSON shape (DESIGN §5): the failing routes' findings.
    let output = commerce(
        &["routes", "--format", "json"],
        &fixture("frontend/routes-next"),
    );
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    let found: Vec<(&str, &str)> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|diagnostic| Some((diagnostic["rule"].as_str()?, diagnostic["path"].as_str()?)))
        .collect();
    assert_eq!(
        found,
        [
            (
                "frontend/route-missing-default-export",
                "app/(shop)/cart/page.tsx"
            ),
            ("frontend/route-broken-import", "app/shop/[id]/page.tsx"),
            ("frontend/route-missing-default-export", "pages/api/ping.ts"),
        ],
        "{report}"
    );
    // Beside the findings, every route, parameters spelled `:name` whatever the convention.
    let routes = report["routes"].as_array().expect("routes");
    let row = |file: &str| {
        routes
            .iter()
            .find(|row| row["file"] == file)
            .unwrap_or_else(|| panic!("no route for {file}: {report}"))
    };
    let product = row("app/shop/[id]/page.tsx");
    assert_eq!(product["route"], "/shop/:id", "{product}");
    assert_eq!(product["status"], "FAIL", "{product}");
    assert_eq!(product["kind"], "page", "{product}");
    assert!(
        product["reason"].is_string() && product["render"].is_null(),
        "{product}"
    );
    assert_eq!(row("app/page.tsx")["status"], "OK");
    assert_eq!(
        routes.len(),
        commerce(&["routes"], &fixture("frontend/routes-next"))
            .stdout
            .split(|byte| *byte == b'\n')
            .filter(|line| line.starts_with(b"/"))
            .count(),
        "one JSON row per row of the table"
    );
}

#[test]
fn contracts_routes_matches_the_routes_in_code_with_the_spec() {
    let output = commerce(
        &["contracts", "routes", "--format", "json"],
        &fixture("contracts/routes"),
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    let mut rules: Vec<&str> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|diagnostic| diagnostic["rule"].as_str())
        .collect();
    rules.dedup();
    assert_eq!(
        rules,
        [
            "contracts/operation-without-route",
            "contracts/route-missing-from-spec"
        ],
        "{report}"
    );
}
