//! Facts about this repository itself that review would otherwise have to remember: no committed
//! symlink leaves the tree, and the crate graph is the one ARCHITECTURE.md draws.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::process::Command;

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cargo-commerce sits in the repository root")
        .to_path_buf()
}

/// `git ls-files -s` mode 120000 entries: the committed symlinks and their targets.
fn committed_symlinks(root: &Path) -> Vec<(PathBuf, PathBuf)> {
    let output = Command::new("git")
        .args(["ls-files", "-s", "-z"])
        .current_dir(root)
        .output()
        .expect("git is installed (scripts/install-deps.sh installs it)");
    assert!(
        output.status.success(),
        "git ls-files failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .split('\0')
        .filter(|entry| entry.starts_with("120000 "))
        .filter_map(|entry| entry.split_once('\t'))
        .map(|(stage, path)| {
            let blob = stage.split(' ').nth(1).expect("object id");
            let target = Command::new("git")
                .args(["cat-file", "blob", blob])
                .current_dir(root)
                .output()
                .expect("git cat-file");
            (
                PathBuf::from(path),
                PathBuf::from(String::from_utf8_lossy(&target.stdout).into_owned()),
            )
        })
        .collect()
}

/// Whether a link at `link` (repository-relative) pointing at `target` stays inside the tree.
fn stays_inside(link: &Path, target: &Path) -> bool {
    if target.is_absolute() {
        return false;
    }
    let mut depth: usize = link.components().count().saturating_sub(1);
    for component in target.components() {
        match component {
            Component::ParentDir => match depth.checked_sub(1) {
                Some(up) => depth = up,
                None => return false,
            },
            Component::Normal(_) => depth += 1,
            _ => {}
        }
    }
    true
}

#[test]
fn no_committed_symlink_leaves_the_tree() {
    assert!(stays_inside(Path::new("a/link"), Path::new("../b")));
    assert!(!stays_inside(Path::new("a/link"), Path::new("../../b")));
    assert!(!stays_inside(Path::new("link"), Path::new("/work/main")));
    let leaving: Vec<_> = committed_symlinks(&repository_root())
        .into_iter()
        .filter(|(link, target)| !stays_inside(link, target))
        .collect();
    assert!(
        leaving.is_empty(),
        "committed symlinks that point outside the repository (they break on every other \
         machine and loop for tools that follow links); remove them: {leaving:?}"
    );
}

/// The edges between our own crates, from each member's `[dependencies]` (dev-dependencies are
/// test scaffolding and may reach further).
fn crate_graph(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let workspace: toml::Table = read_toml(&root.join("Cargo.toml"));
    let members = workspace["workspace"]["members"]
        .as_array()
        .expect("workspace members");
    let mut graph = BTreeMap::new();
    for member in members {
        let manifest: toml::Table = read_toml(
            &root
                .join(member.as_str().expect("member path"))
                .join("Cargo.toml"),
        );
        let name = manifest["package"]["name"]
            .as_str()
            .expect("package name")
            .to_owned();
        let ours = manifest
            .get("dependencies")
            .and_then(toml::Value::as_table)
            .into_iter()
            .flat_map(|table| table.keys())
            .filter(|dependency| dependency.starts_with("commerce_"))
            .cloned()
            .collect();
        graph.insert(name, ours);
    }
    graph
}

fn read_toml(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{path:?}: {error}"));
    text.parse()
        .unwrap_or_else(|error| panic!("{path:?}: {error}"))
}

/// The `crate -> dependencies` lines of ARCHITECTURE.md's "Crate graph" block.
fn documented_graph(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let block = text
        .split("<!-- crate-graph -->")
        .nth(1)
        .expect("ARCHITECTURE.md has a `<!-- crate-graph -->` block");
    block
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- "))
        .filter_map(|line| line.split_once("->"))
        .map(|(name, dependencies)| {
            let dependencies = dependencies
                .split(',')
                .map(|dependency| dependency.trim().trim_matches('`').to_owned())
                .filter(|dependency| !dependency.is_empty() && dependency != "nothing")
                .collect();
            (name.trim().trim_matches('`').to_owned(), dependencies)
        })
        .collect()
}

#[test]
fn the_crate_graph_is_the_one_architecture_md_draws() {
    let root = repository_root();
    let real = crate_graph(&root);
    let documented = documented_graph(&root);
    assert_eq!(
        documented, real,
        "ARCHITECTURE.md's crate graph (left) differs from the Cargo.toml files (right): \
         change the code or the document, deliberately"
    );
    // The CLI reaches the analyzers only through the facade.
    let analyzers = [
        "commerce_frontend",
        "commerce_contracts",
        "commerce_migrations",
        "commerce_rust",
        "commerce_testsuite",
    ];
    for front_end in ["cargo-commerce", "commerce_lsp", "commerce_runner"] {
        let direct: Vec<_> = real[front_end]
            .iter()
            .filter(|dependency| analyzers.contains(&dependency.as_str()))
            .collect();
        assert!(
            direct.is_empty(),
            "{front_end} depends on analyzers directly ({direct:?}); go through commerce_analysis"
        );
    }
}
