//! Property test: whatever the files say, the analysis never panics, and every range it reports
//! (diagnostics, labels, fix edits) lies inside its file on character boundaries.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use commerce_diagnostics::TextRange;
use commerce_project::{FrontendConfig, MemoryFs};
use proptest::prelude::*;

use crate::check_project;

const FILES: [&str; 4] = ["src/a.ts", "src/b.tsx", "src/c.js", "src/d/index.ts"];

/// Statements the analyzer reads, in every form, between the project's files; some broken,
/// some with multi-byte text.
fn fragment() -> impl Strategy<Value = String> {
    let target = prop::sample::select(vec![
        "./a",
        "./b",
        "./c",
        "./d",
        "../src/a.js",
        "./missing",
        "react",
        "nope",
    ]);
    let name = prop::sample::select(vec!["A", "b", "C", "default", "é", "x"]);
    (target, name, 0..16_u8).prop_map(|(target, name, form)| match form {
        0 => format!("import {{ {name} }} from '{target}';\n"),
        1 => format!("import type {{ {name} as T }} from \"{target}\";\n"),
        2 => format!("import * as ns from '{target}'; ns.{name};\n"),
        3 => format!("export * from '{target}';\n"),
        4 => format!("export {{ {name} }} from '{target}';\n"),
        5 => format!("export const {name} = 1;\n"),
        6 => format!("export default function {name}() {{}}\n"),
        7 => format!("const m = require('{target}');\n"),
        8 => format!("import('{target}');\n"),
        9 => format!("import Def from '{target}'; use(Def);\n"),
        10 => format!("export {{ type {name} }} from '{target}';\n"),
        11 => "// prix: 9,99 € — 😀\n".to_owned(),
        12 => "const = ;\n".to_owned(),
        13 => format!("interface {name} {{}}\n"),
        14 => format!("import {{ type {name}, {name} as v }} from '{target}'; let t: {name};\n"),
        _ => format!("declare module '{target}' {{}}\n"),
    })
}

fn project() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop::collection::vec(fragment(), 0..8).prop_map(|parts| parts.concat()),
        FILES.len(),
    )
}

fn assert_in_text(texts: &[(PathBuf, String)], path: &Path, range: TextRange) {
    let Some((_, text)) = texts.iter().find(|(file, _)| file == path) else {
        return;
    };
    let (start, end) = (range.start().to_usize(), range.end().to_usize());
    assert!(
        end <= text.len(),
        "{} {range:?} past the end",
        path.display()
    );
    assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "{} {range:?}",
        path.display()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn any_project_is_analyzed_without_panics_and_ranges_stay_in_their_files(contents in project()) {
        let texts: Vec<(PathBuf, String)> = FILES.iter().map(PathBuf::from).zip(contents).collect();
        let fs: MemoryFs = texts
            .iter()
            .map(|(path, text)| (Path::new("/p").join(path), text.as_bytes()))
            .chain([(PathBuf::from("/p/package.json"), br#"{ "dependencies": { "react": "1" } }"#.as_slice())])
            .collect();
        let files: Vec<PathBuf> = texts.iter().map(|(path, _)| path.clone()).collect();
        let report = check_project(Arc::new(fs), Path::new("/p"), &files, &FrontendConfig::default());
        for diagnostic in &report.diagnostics {
            assert_in_text(&texts, &diagnostic.path, diagnostic.range);
            for label in &diagnostic.related {
                assert_in_text(&texts, &label.path, label.range);
            }
            for edit in diagnostic.fix.iter().flat_map(|fix| &fix.edits) {
                assert_in_text(&texts, &edit.path, edit.range);
            }
        }
        prop_assert!(report.graph.node_count() <= FILES.len());
    }
}
