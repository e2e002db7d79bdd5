//! `check_project` against a real git repository: the spec as committed at the base ref is
//! the baseline for the breaking-change check.

use std::path::Path;

use commerce_contracts::check_project;
use commerce_project::testing::git;
use commerce_project::{ContractsConfig, OsFs};

#[test]
fn the_spec_at_the_base_ref_is_the_baseline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rules/contracts/diff");
    let spec = dir.path().join("api/openapi.yaml");
    std::fs::create_dir_all(spec.parent().expect("a parent")).expect("mkdir");
    std::fs::copy(fixtures.join("base.yaml"), &spec).expect("copy");
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    std::fs::copy(fixtures.join("head.yaml"), &spec).expect("copy");

    let config = ContractsConfig {
        specs: vec!["api/*.yaml".to_owned()],
        base: Some("HEAD".to_owned()),
        ..ContractsConfig::default()
    };
    let mut rules: Vec<String> = check_project(
        &OsFs,
        dir.path(),
        &inventory_files(&OsFs, dir.path()),
        &config,
        None,
    )
    .into_iter()
    .map(|diagnostic| {
        assert_eq!(diagnostic.path, Path::new("api/openapi.yaml"));
        diagnostic.rule
    })
    .collect();
    rules.sort();
    assert_eq!(
        rules,
        [
            "contracts/new-required-request-parameter",
            "contracts/request-property-became-required",
            "contracts/request-property-max-length-decreased",
            "contracts/response-optional-property-removed",
            "contracts/response-property-enum-value-added",
        ]
    );
    // An unknown base ref, or a spec that is new on this branch, is no drift.
    let unknown = ContractsConfig {
        base: Some("no-such-ref".to_owned()),
        ..config
    };
    assert_eq!(
        check_project(
            &OsFs,
            dir.path(),
            &inventory_files(&OsFs, dir.path()),
            &unknown,
            None
        ),
        []
    );
}

/// The project's files, as the shared inventory lists them for the analysis.
fn inventory_files(
    fs: &dyn commerce_project::FileSystem,
    root: &std::path::Path,
) -> Vec<std::path::PathBuf> {
    commerce_project::inventory(fs, root, &[]).files
}
