//! `--changed` selection on a synthetic 20-crate workspace (fixtures/runner/synthetic): every
//! scripted change must select exactly the tests its scenario expects. Selection needs git
//! and `cargo metadata`, not a build, so no test runs here.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use commerce_project::testing::git;
use commerce_runner::changed::{self, Scope, Triggers};
use commerce_runner::depinfo::SourceMap;
use commerce_runner::workspace::Workspace;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Fixture {
    crates: BTreeMap<String, Crate>,
    scenarios: Vec<Scenario>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Crate {
    deps: Vec<String>,
    dev_deps: Vec<String>,
    tests: Vec<String>,
    bin: bool,
    build: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Scenario {
    name: String,
    modify: Vec<String>,
    add: Vec<String>,
    delete: Vec<String>,
    rename: Vec<(String, String)>,
    everything: bool,
    packages: Vec<String>,
    targets: Vec<String>,
    analyzer_files: Vec<String>,
    ignored: Vec<String>,
}

fn fixture() -> Fixture {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/runner/synthetic/workspace.toml");
    toml::from_str(&fs::read_to_string(path).expect("the fixture exists")).expect("valid fixture")
}

fn write(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

/// Writes the workspace: a manifest and sources per crate, a committed Cargo.lock, and the
/// files the scenarios touch.
fn generate(root: &Path, fixture: &Fixture) {
    let members: Vec<String> = fixture
        .crates
        .keys()
        .map(|name| format!("\"crates/{name}\""))
        .collect();
    write(
        root,
        "Cargo.toml",
        &format!(
            "[workspace]\nresolver = \"3\"\nmembers = [{}]\n",
            members.join(", ")
        ),
    );
    for (name, krate) in &fixture.crates {
        let dir = format!("crates/{name}");
        let path_deps = |deps: &[String]| {
            deps.iter()
                .map(|dep| format!("{dep} = {{ path = \"../{dep}\" }}\n"))
                .collect::<String>()
        };
        write(
            root,
            &format!("{dir}/Cargo.toml"),
            &format!(
                "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n{}\n[dev-dependencies]\n{}",
                path_deps(&krate.deps),
                path_deps(&krate.dev_deps)
            ),
        );
        let root_file = if krate.bin {
            "src/main.rs"
        } else {
            "src/lib.rs"
        };
        write(
            root,
            &format!("{dir}/{root_file}"),
            "#[test]\nfn works() {}\n",
        );
        if krate.build {
            write(root, &format!("{dir}/build.rs"), "fn main() {}\n");
        }
        for test in &krate.tests {
            write(root, &format!("{dir}/{test}"), "#[test]\nfn works() {}\n");
        }
        write(root, &format!("{dir}/README.md"), &format!("# {name}\n"));
    }
    write(root, "crates/ids/src/util.rs", "pub fn id() {}\n");
    write(root, "crates/pricing/src/old.rs", "pub fn old() {}\n");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["generate-lockfile", "--offline"])
        .current_dir(root)
        .status()
        .expect("cargo runs");
    assert!(status.success());
    git(root, &["init", "--quiet"]);
    git(root, &["add", "."]);
    git(root, &["commit", "--quiet", "-m", "synthetic workspace"]);
}

fn apply(root: &Path, scenario: &Scenario) {
    for file in &scenario.modify {
        let path = root.join(file);
        let text = fs::read_to_string(&path).unwrap_or_default();
        let comment = if file.ends_with(".rs") { "//" } else { "#" };
        fs::write(path, format!("{text}{comment} changed\n")).expect("modify");
    }
    for file in &scenario.add {
        write(root, file, "// new\n");
    }
    for file in &scenario.delete {
        fs::remove_file(root.join(file)).expect("delete");
    }
    for (from, to) in &scenario.rename {
        git(root, &["mv", from, to]);
    }
}

fn reset(root: &Path) {
    git(root, &["reset", "--quiet", "--hard"]);
    git(root, &["clean", "--quiet", "-fd"]);
}

fn paths(paths: &[PathBuf]) -> Vec<String> {
    let mut paths: Vec<String> = paths
        .iter()
        .map(|path| path.to_string_lossy().into_owned())
        .collect();
    paths.sort();
    // A file several analyzers read (a `.ts` file: the frontend and the test-suite rules) is
    // listed once.
    paths.dedup();
    paths
}

#[test]
fn every_scripted_change_selects_exactly_the_expected_tests() {
    let fixture = fixture();
    assert_eq!(fixture.crates.len(), 20);
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    generate(root, &fixture);
    let workspace = Workspace::load(root).expect("cargo metadata");
    assert_eq!(workspace.packages.len(), 20);
    let triggers = Triggers::default();
    assert!(fixture.scenarios.len() >= 10);
    for scenario in &fixture.scenarios {
        apply(root, scenario);
        let changes = commerce_project::changed_files(root, "HEAD").expect("git diff");
        let selection =
            changed::select(&workspace, root, &changes, &triggers, &SourceMap::default());
        let name = &scenario.name;
        if scenario.everything {
            assert!(
                matches!(selection.scope, Scope::Everything { .. }),
                "{name}: {:?}",
                selection.scope
            );
            assert_eq!(selection.filterset(), None, "{name}");
        } else if scenario.packages.is_empty() && scenario.targets.is_empty() {
            assert_eq!(selection.scope, Scope::Nothing, "{name}");
        } else {
            let Scope::Tests { packages, targets } = &selection.scope else {
                panic!(
                    "{name}: expected a test selection, got {:?}",
                    selection.scope
                );
            };
            let packages: Vec<&str> = packages.keys().map(String::as_str).collect();
            assert_eq!(packages, scenario.packages, "{name}: packages");
            let targets: Vec<String> = targets
                .iter()
                .filter(|target| !scenario.packages.contains(&target.package))
                .map(|target| format!("{}::{}", target.package, target.target))
                .collect();
            assert_eq!(targets, scenario.targets, "{name}: targets");
        }
        let analyzed: Vec<PathBuf> = selection
            .analyzer_files
            .values()
            .flatten()
            .cloned()
            .collect();
        assert_eq!(
            paths(&analyzed),
            scenario.analyzer_files,
            "{name}: analyzer files"
        );
        assert_eq!(
            paths(&selection.ignored),
            scenario.ignored,
            "{name}: ignored"
        );
        reset(root);
    }
}

#[test]
fn selections_become_filtersets_with_their_reasons() {
    let fixture = fixture();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    generate(root, &fixture);
    let workspace = Workspace::load(root).expect("cargo metadata");
    apply(
        root,
        &Scenario {
            modify: vec![
                "crates/testkit/src/lib.rs".to_owned(),
                "crates/api/tests/routes.rs".to_owned(),
            ],
            ..Scenario::default()
        },
    );
    let changes = commerce_project::changed_files(root, "HEAD").expect("git diff");
    let selection = changed::select(
        &workspace,
        root,
        &changes,
        &Triggers::default(),
        &SourceMap::default(),
    );
    assert_eq!(
        selection.filterset().as_deref(),
        Some(
            "package(=cart) | package(=orders) | package(=testkit) | (package(=api) & kind(test) & binary(=routes))"
        )
    );
    let described = selection.describe();
    assert!(
        described.contains(&("cart".to_owned(), "dev-depends on `testkit`".to_owned())),
        "{described:?}"
    );
    assert!(described.contains(&(
        "testkit".to_owned(),
        "changed: crates/testkit/src/lib.rs".to_owned()
    )));
    assert!(described.contains(&("api::routes".to_owned(), "its test file changed".to_owned())));

    // Custom triggers replace the defaults: a lock-file change is then just a root file.
    reset(root);
    apply(
        root,
        &Scenario {
            modify: vec!["Cargo.lock".to_owned()],
            ..Scenario::default()
        },
    );
    let changes = commerce_project::changed_files(root, "HEAD").expect("git diff");
    let triggers = Triggers::new(["migrations/**"]).expect("valid globs");
    let selection = changed::select(&workspace, root, &changes, &triggers, &SourceMap::default());
    assert_eq!(selection.scope, Scope::Nothing);
}
