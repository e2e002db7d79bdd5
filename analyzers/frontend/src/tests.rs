//! The whole pipeline on bad input, and the crate's public surface.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use commerce_project::{FileSystem, FrontendConfig, MemoryFs, OsFs, SkipReason};

use super::*;
use crate::rules::testing::{Project, ROOT};

fn node_names(report: &FrontendReport) -> Vec<String> {
    report.graph.nodes().map(display_path).collect()
}

#[test]
fn the_public_rule_list_is_every_frontend_rule() {
    // (The registry's own test checks each rule's file, name and doc sections.)
    let rules = rules();
    let ids: Vec<&str> = rules.iter().map(|rule| rule.id).collect();
    assert_eq!(
        ids,
        [
            "frontend/import-cycle",
            "frontend/missing-default-export",
            "frontend/missing-export",
            "frontend/missing-required-prop",
            "frontend/nullish-required-prop",
            "frontend/parse-error",
            "frontend/route-broken-import",
            "frontend/route-config-unreadable",
            "frontend/route-export-kind",
            "frontend/route-missing-default-export",
            "frontend/route-types-not-generated",
            "frontend/unresolved-import",
        ]
    );
}

#[test]
fn non_utf8_and_oversized_files_are_skipped_and_the_rest_is_analyzed() {
    let bundle = format!("var a={};", "1".repeat(10 * 1024 * 1024));
    let fs = MemoryFs::new()
        .with_file(
            "/p/src/app.ts",
            "import { x } from './latin1';\nimport './bundle.min.js';\nuse(x);\n",
        )
        .with_file("/p/src/latin1.ts", b"export const x = '\xe9';\n".to_vec())
        .with_file("/p/src/bundle.min.js", bundle);
    let files = [
        PathBuf::from("src/app.ts"),
        PathBuf::from("src/latin1.ts"),
        PathBuf::from("src/bundle.min.js"),
    ];
    let report = check_project(
        Arc::new(fs),
        Path::new(ROOT),
        &files,
        &FrontendConfig::default(),
    );
    let skipped: Vec<(String, SkipReason)> = report
        .skipped
        .iter()
        .map(|file| (display_path(&file.path), file.reason.clone()))
        .collect();
    assert_eq!(
        skipped,
        [
            (
                "src/bundle.min.js".to_owned(),
                SkipReason::TooLarge {
                    bytes: 10 * 1024 * 1024 + 7,
                    limit: commerce_project::DEFAULT_MAX_FILE_BYTES
                }
            ),
            ("src/latin1.ts".to_owned(), SkipReason::NotUtf8),
        ]
    );
    // The skipped files stay in the graph; nothing is claimed about what they export.
    assert_eq!(report.graph.edges().count(), 2);
    assert_eq!(report.diagnostics, []);
}

#[test]
fn a_missing_file_in_the_list_is_skipped_as_unreadable() {
    let fs = MemoryFs::new().with_file("/p/a.ts", "");
    let files = [PathBuf::from("a.ts"), PathBuf::from("gone.ts")];
    let report = check_project(
        Arc::new(fs),
        Path::new(ROOT),
        &files,
        &FrontendConfig::default(),
    );
    assert_eq!(report.skipped.len(), 1);
    assert!(matches!(
        report.skipped[0].reason,
        SkipReason::Unreadable(_)
    ));
    assert_eq!(report.files_analyzed, 1);
}

#[test]
fn two_paths_that_differ_only_in_case_are_two_modules() {
    let project = Project::new(&[
        (
            "src/app.ts",
            "import { A } from './Card';\nimport { b } from './card';\nimport { c } from './CARD';\nuse(A, b, c);\n",
        ),
        ("src/Card.ts", "export const A = 1;\n"),
        ("src/card.ts", "export const b = 2;\n"),
    ]);
    let report = project.report();
    assert_eq!(
        node_names(&report),
        ["src/Card.ts", "src/app.ts", "src/card.ts"]
    );
    let edges: Vec<String> = report
        .graph
        .edges()
        .map(|edge| display_path(edge.to))
        .collect();
    assert_eq!(edges, ["src/Card.ts", "src/card.ts"]);
    let unresolved: Vec<&str> = report
        .diagnostics
        .iter()
        .map(|diagnostic| diagnostic.rule.as_str())
        .collect();
    assert_eq!(unresolved, ["frontend/unresolved-import"]);
}

#[cfg(unix)]
#[test]
fn symlink_loops_end_without_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::write(
        src.join("app.ts"),
        "import { a } from './loop/loop/a';\nimport './self';\nuse(a);\n",
    )
    .expect("write");
    std::fs::write(src.join("a.ts"), "export const a = 1;\n").expect("write");
    std::os::unix::fs::symlink(&src, src.join("loop")).expect("symlink");
    std::os::unix::fs::symlink(src.join("self"), src.join("self")).expect("symlink");
    let files: Vec<PathBuf> = OsFs
        .files_under(dir.path())
        .expect("walk")
        .into_iter()
        .map(|path| path.strip_prefix(dir.path()).expect("inside").to_path_buf())
        .collect();
    assert_eq!(
        files,
        [PathBuf::from("src/a.ts"), PathBuf::from("src/app.ts")]
    );
    let report = check_project(
        Arc::new(OsFs),
        dir.path(),
        &files,
        &FrontendConfig::default(),
    );
    let findings: Vec<(&str, String)> = report
        .diagnostics
        .iter()
        .map(|diagnostic| (diagnostic.rule.as_str(), diagnostic.message.clone()))
        .collect();
    assert_eq!(
        findings,
        [(
            "frontend/unresolved-import",
            "cannot resolve `./self`: no file matches it".to_owned()
        )]
    );
}

#[test]
fn only_sources_inside_the_frontend_roots_are_analyzed() {
    let project = Project::new(&[
        ("web/src/a.ts", "import '../../tools/b';\n"),
        ("tools/b.ts", "import './c';\n"),
        ("tools/c.ts", ""),
        ("web/node_modules/x/index.js", "import './missing';\n"),
        ("README.md", "# shop"),
    ])
    .with_config(FrontendConfig {
        roots: vec!["web".to_owned()],
        ..FrontendConfig::default()
    });
    let report = project.report();
    assert_eq!(report.files_analyzed, 1);
    // `tools/b.ts` is imported, so it is a node, but it is not read: its own import is not.
    assert_eq!(node_names(&report), ["web/src/a.ts", "tools/b.ts"]);
    assert_eq!(report.diagnostics, []);
}

#[test]
fn an_empty_project_is_an_empty_report() {
    let report = check_project(
        Arc::new(MemoryFs::new()),
        Path::new(ROOT),
        &[],
        &FrontendConfig::default(),
    );
    assert_eq!(report.graph.node_count(), 0);
    assert_eq!(report.diagnostics, []);
    assert_eq!(
        report.graph.to_json(),
        serde_json::json!({ "nodes": [], "edges": [] })
    );
}

#[test]
fn display_paths_use_forward_slashes() {
    assert_eq!(display_path(Path::new("web/src/a.ts")), "web/src/a.ts");
    assert_eq!(display_path(Path::new("./web/../a.ts")), "web/../a.ts");
}

#[test]
fn a_declaration_file_that_only_declares_a_package_is_not_the_package() {
    // `baseUrl: "."` makes `react-intl` look like `./react-intl.d.ts`, which only describes
    // the package (as saleor-dashboard has it): the import is of the package.
    let project = Project::new(&[
        (
            "tsconfig.json",
            r#"{ "compilerOptions": { "baseUrl": "." } }"#,
        ),
        (
            "package.json",
            r#"{ "dependencies": { "react-intl": "5" } }"#,
        ),
        (
            "react-intl.d.ts",
            "declare module \"react-intl\" {\n  export interface MessageDescriptor { id?: string }\n}\n",
        ),
        (
            "src/app.ts",
            "import { useIntl, MessageDescriptor } from \"react-intl\";\nuseIntl();\nlet m: MessageDescriptor;\n",
        ),
    ]);
    assert_eq!(
        project.findings("frontend/missing-export"),
        Vec::<String>::new()
    );
    assert_eq!(
        project.findings("frontend/unresolved-import"),
        Vec::<String>::new()
    );
    let report = project.report();
    assert!(
        report
            .graph
            .edges()
            .all(|edge| !edge.to.ends_with("react-intl.d.ts")),
        "{:?}",
        report.graph.to_json()
    );
}
