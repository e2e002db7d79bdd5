use crate::rules::testing::Project;

/// One module per import form, all importing from `lib.ts` (a class, an interface, a const).
fn every_edge_kind() -> Project {
    Project::new(&[
        (
            "lib.ts",
            "export class Cart {}\nexport interface Line {}\nexport const tax = 0.2;\n",
        ),
        ("static.ts", "import { tax } from './lib';\nuse(tax);\n"),
        (
            "type-statement.ts",
            "import type { Cart } from './lib';\nlet c: Cart;\n",
        ),
        (
            "type-specifier.ts",
            "import { type Cart } from './lib';\nlet c: Cart;\n",
        ),
        (
            "used-as-type.ts",
            "import { Cart } from './lib';\nlet c: Cart;\n",
        ),
        (
            "names-a-type.ts",
            "import { Line } from './lib';\nuse(Line);\n",
        ),
        ("dynamic.ts", "const lib = import('./lib');\n"),
        ("required.cjs", "const lib = require('./lib');\n"),
        ("re-export.ts", "export { tax } from './lib';\n"),
        ("re-export-type.ts", "export { Line } from './lib';\n"),
        ("star.ts", "export * from './lib';\n"),
        ("side-effect.ts", "import './lib';\n"),
        ("plain.js", "import { Cart } from './lib';\n"),
    ])
}

#[test]
fn every_import_form_has_its_edge_kind() {
    let report = every_edge_kind().report();
    let edges: Vec<String> = report
        .graph
        .edges()
        .map(|edge| {
            format!(
                "{} -> {} {}",
                edge.from.display(),
                edge.to.display(),
                edge.kind.as_str()
            )
        })
        .collect();
    assert_eq!(
        edges,
        [
            "dynamic.ts -> lib.ts dynamic",
            "names-a-type.ts -> lib.ts type-only",
            "plain.js -> lib.ts static",
            "re-export-type.ts -> lib.ts type-only",
            "re-export.ts -> lib.ts re-export",
            "required.cjs -> lib.ts static",
            "side-effect.ts -> lib.ts side-effect",
            "star.ts -> lib.ts re-export",
            "static.ts -> lib.ts static",
            "type-specifier.ts -> lib.ts type-only",
            "type-statement.ts -> lib.ts type-only",
            "used-as-type.ts -> lib.ts type-only",
        ]
    );
}

#[test]
fn verbatim_module_syntax_keeps_unmarked_imports() {
    let mut project = every_edge_kind();
    project.files.insert(
        "tsconfig.json".into(),
        r#"{ "compilerOptions": { "verbatimModuleSyntax": true } }"#.to_owned(),
    );
    let report = project.report();
    let kinds: Vec<String> = report
        .graph
        .edges()
        .filter(|edge| edge.from.to_string_lossy().contains("type"))
        .map(|edge| format!("{} {}", edge.from.display(), edge.kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            "names-a-type.ts static",
            "re-export-type.ts re-export",
            "type-specifier.ts static",
            "type-statement.ts type-only",
            "used-as-type.ts static",
        ]
    );
}

fn small_graph() -> Project {
    Project::new(&[
        (
            "src/app.tsx",
            "import { Cart } from './cart';\nimport './styles.css';\nimport('./lazy');\nexport const App = () => <Cart />;\n",
        ),
        (
            "src/cart.tsx",
            "import type { App } from './app';\nimport { format } from 'currency';\nexport const Cart = () => null;\n",
        ),
        ("src/lazy.ts", "export * from './cart';\n"),
        ("src/styles.css", ""),
        ("package.json", r#"{ "dependencies": { "currency": "1" } }"#),
    ])
}

#[test]
fn json_has_the_design_shape() {
    insta::assert_json_snapshot!(small_graph().report().graph.to_json());
}

#[test]
fn dot_and_mermaid() {
    let graph = small_graph().report().graph;
    insta::assert_snapshot!("dot", graph.to_dot());
    insta::assert_snapshot!("mermaid", graph.to_mermaid());
}

#[test]
fn components_over_runtime_edges_and_all_edges() {
    let graph = small_graph().report().graph;
    assert_eq!(
        graph.strongly_connected_components(true),
        Vec::<Vec<&std::path::Path>>::new()
    );
    let all: Vec<Vec<String>> = graph
        .strongly_connected_components(false)
        .into_iter()
        .map(|component| {
            component
                .iter()
                .map(|path| path.display().to_string())
                .collect()
        })
        .collect();
    // app -> lazy (dynamic) -> cart (re-export) -> app (type-only): no run-time cycle.
    assert_eq!(all, [["src/app.tsx", "src/cart.tsx", "src/lazy.ts"]]);
}
