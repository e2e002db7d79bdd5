//! Property tests: whatever the files say, the analysis never panics, and every range it
//! reports (diagnostics, labels, fix edits) lies inside its file on character boundaries; and
//! an index updated edit by edit finds exactly what a fresh analysis of the same texts finds.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use commerce_diagnostics::TextRange;
use commerce_project::{FrontendConfig, MemoryFs, OverlayFs};
use proptest::prelude::*;

use crate::{FrontendIndex, check_project};

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
        "@/a",
        "@/d",
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

/// The package.json every generated project starts with, so `react` is an installed package.
const PACKAGE_JSON: (&str, &str) = ("package.json", r#"{ "dependencies": { "react": "1" } }"#);

/// A file the edits may create (it does not exist before).
const NEW_FILE: &str = "src/e.ts";

/// The resolver's own inputs, which the edits may create or change.
const CONFIG_FILES: [&str; 2] = ["tsconfig.json", "package.json"];

fn memory_fs(texts: &[(PathBuf, String)]) -> MemoryFs {
    texts
        .iter()
        .map(|(path, text)| (Path::new("/p").join(path), text.as_bytes()))
        .collect()
}

/// The texts a generated project starts with: its sources and its package.json.
fn initial_texts(contents: Vec<String>) -> Vec<(PathBuf, String)> {
    FILES
        .iter()
        .map(PathBuf::from)
        .zip(contents)
        .chain([(PathBuf::from(PACKAGE_JSON.0), PACKAGE_JSON.1.to_owned())])
        .collect()
}

/// A tsconfig.json or package.json text: an alias to one folder or another, dependencies
/// that make `nope` a package or not, or broken JSON.
fn config_text(file: &str) -> impl Strategy<Value = String> + use<> {
    let texts: Vec<&str> = if file == "tsconfig.json" {
        vec![
            r#"{ "compilerOptions": { "baseUrl": ".", "paths": { "@/*": ["src/*"] } } }"#,
            r#"{ "compilerOptions": { "paths": { "@/*": ["./src/d/*", "./src/*"] } } }"#,
            r#"{ "compilerOptions": { "strict": true } }"#,
            "{ not json",
        ]
    } else {
        vec![
            r#"{ "dependencies": { "react": "1" } }"#,
            r#"{ "dependencies": { "react": "1", "nope": "2" } }"#,
            "{}",
        ]
    };
    prop::sample::select(texts).prop_map(str::to_owned)
}

/// Edits: which file (one of [`FILES`], [`NEW_FILE`] or one of [`CONFIG_FILES`]) gets which
/// new text.
fn edits() -> impl Strategy<Value = Vec<(String, String)>> {
    let source = (0..=FILES.len()).prop_flat_map(|file| {
        let path = FILES.get(file).copied().unwrap_or(NEW_FILE).to_owned();
        prop::collection::vec(fragment(), 0..8)
            .prop_map(move |parts| (path.clone(), parts.concat()))
    });
    let config = prop::sample::select(CONFIG_FILES.to_vec())
        .prop_flat_map(|file| config_text(file).prop_map(move |text| (file.to_owned(), text)));
    prop::collection::vec(prop_oneof![3 => source, 1 => config], 1..6)
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
        let texts = initial_texts(contents);
        let files: Vec<PathBuf> = texts.iter().map(|(path, _)| path.clone()).collect();
        let report = check_project(Arc::new(memory_fs(&texts)), Path::new("/p"), &files, &FrontendConfig::default());
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

    #[test]
    fn an_updated_index_finds_what_a_fresh_analysis_finds(contents in project(), edits in edits()) {
        let mut texts = initial_texts(contents);
        let mut files: Vec<PathBuf> = texts.iter().map(|(path, _)| path.clone()).collect();
        files.sort();
        let overlay = Arc::new(OverlayFs::new(Arc::new(memory_fs(&texts))));
        let config = FrontendConfig::default();
        let mut index = FrontendIndex::load(overlay.clone(), Path::new("/p"), &files, &config);
        for (path, text) in edits {
            let path = PathBuf::from(path);
            overlay.set(Path::new("/p").join(&path), text.as_str());
            match texts.iter_mut().find(|(existing, _)| *existing == path) {
                Some((_, existing)) => *existing = text,
                None => texts.push((path.clone(), text)),
            }
            let before = index.diagnostics().to_vec();
            let update = index.update(std::slice::from_ref(&path));

            let mut all_files: Vec<PathBuf> = texts.iter().map(|(path, _)| path.clone()).collect();
            all_files.sort();
            let fresh = check_project(Arc::new(memory_fs(&texts)), Path::new("/p"), &all_files, &config);
            prop_assert_eq!(index.diagnostics(), &fresh.diagnostics[..]);
            let differs = |path: &Path| {
                let of = |diagnostics: &[commerce_diagnostics::Diagnostic]| {
                    diagnostics.iter().filter(|d| d.path == path).cloned().collect::<Vec<_>>()
                };
                of(&before) != of(index.diagnostics())
            };
            for file in &all_files {
                prop_assert_eq!(update.changed.contains(file), differs(file), "{}", file.display());
            }
        }
    }
}
