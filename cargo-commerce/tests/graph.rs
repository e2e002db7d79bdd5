//! `cargo commerce graph`: the import graph in DESIGN §5's JSON shape.

use std::process::Command;

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
