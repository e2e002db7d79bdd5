//! Which compilation targets read a source file, from the dep-info files rustc leaves in
//! `<target dir>/debug/deps/*.d` after any build. A file only a binary or a test target reads
//! then selects that target alone, not the package and its dependents.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::workspace::{TestKind, Workspace};

/// A compilation target of a workspace member.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TargetId {
    pub package: String,
    pub kind: TestKind,
    pub name: String,
}

/// Source files (relative to the workspace root) and the targets that read them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceMap {
    readers: BTreeMap<PathBuf, BTreeSet<TargetId>>,
}

impl SourceMap {
    /// Reads every dep-info file of the dev/test profile; empty when nothing was built yet.
    /// Unreadable or foreign files are skipped: the map only ever narrows a selection when it
    /// knows, and selecting by package stays the fallback.
    pub fn read(workspace: &Workspace) -> Self {
        let mut map = Self::default();
        let Ok(entries) = fs::read_dir(workspace.target_dir.join("debug").join("deps")) else {
            return map;
        };
        let roots: BTreeMap<&Path, TargetId> = workspace
            .packages
            .values()
            .flat_map(|member| {
                member.targets.iter().map(move |target| {
                    (
                        target.src_path.as_path(),
                        TargetId {
                            package: member.name.clone(),
                            kind: target.kind,
                            name: target.name.clone(),
                        },
                    )
                })
            })
            .collect();
        for path in entries.flatten().map(|entry| entry.path()) {
            if path.extension().is_some_and(|extension| extension == "d")
                && let Ok(text) = fs::read_to_string(&path)
            {
                map.add(&text, &workspace.root, &roots);
            }
        }
        map
    }

    /// Adds one dep-info file: its first rule's first prerequisite is the crate root, which
    /// names the target; every prerequisite is a file the target reads.
    fn add(&mut self, text: &str, root: &Path, roots: &BTreeMap<&Path, TargetId>) {
        let Some(sources) = text.lines().find_map(|line| {
            let (_, prerequisites) = split_rule(line)?;
            Some(split_paths(prerequisites))
        }) else {
            return;
        };
        let relative = |source: &str| {
            let path = Path::new(source);
            path.strip_prefix(root).unwrap_or(path).to_path_buf()
        };
        let Some(target) = sources
            .first()
            .and_then(|crate_root| roots.get(relative(crate_root).as_path()))
        else {
            return;
        };
        for source in &sources {
            self.readers
                .entry(relative(source))
                .or_default()
                .insert(target.clone());
        }
    }

    /// The targets that read `path` (relative to the workspace root); `None` when no build
    /// recorded it.
    pub fn readers(&self, path: &Path) -> Option<&BTreeSet<TargetId>> {
        self.readers.get(path)
    }
}

/// `output: prerequisites` (the output may contain escaped spaces and a `:` after a drive
/// letter on Windows, so the separator is the first `": "`).
fn split_rule(line: &str) -> Option<(&str, &str)> {
    let (output, prerequisites) = line.split_once(": ")?;
    (!output.is_empty() && !prerequisites.trim().is_empty()).then_some((output, prerequisites))
}

/// Make-style paths separated by spaces, with `\ ` for a space inside a path.
fn split_paths(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(char) = chars.next() {
        match char {
            '\\' if chars.peek() == Some(&' ') => {
                current.push(' ');
                chars.next();
            }
            ' ' => {
                if !current.is_empty() {
                    paths.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(char),
        }
    }
    if !current.is_empty() {
        paths.push(current);
    }
    paths
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::workspace::{Member, Target};

    pub(crate) fn workspace(target_dir: &Path) -> Workspace {
        let member = Member {
            name: "shop".to_owned(),
            dir: PathBuf::from("crates/shop"),
            targets: vec![
                Target {
                    name: "shop".to_owned(),
                    kind: TestKind::Lib,
                    src_path: PathBuf::from("crates/shop/src/lib.rs"),
                },
                Target {
                    name: "shop".to_owned(),
                    kind: TestKind::Bin,
                    src_path: PathBuf::from("crates/shop/src/main.rs"),
                },
            ],
            dependencies: BTreeMap::new(),
        };
        Workspace {
            root: PathBuf::from("/repo"),
            target_dir: target_dir.to_path_buf(),
            packages: BTreeMap::from([("shop".to_owned(), member)]),
            metadata_json: String::new(),
        }
    }

    #[test]
    fn dep_info_files_map_sources_to_the_targets_that_read_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let deps = dir.path().join("debug/deps");
        fs::create_dir_all(&deps).expect("mkdir");
        // Same crate name for the library and the binary: the crate root tells them apart.
        fs::write(
            deps.join("shop-1111.d"),
            "/t/debug/deps/shop-1111.d: crates/shop/src/lib.rs crates/shop/src/cart.rs crates/shop/data/price\\ list.csv\n\ncrates/shop/src/lib.rs:\n",
        )
        .expect("write");
        fs::write(
            deps.join("shop-2222.d"),
            "/t/debug/deps/shop-2222: /repo/crates/shop/src/main.rs /repo/crates/shop/src/cli.rs crates/shop/src/cart.rs\n",
        )
        .expect("write");
        fs::write(deps.join("other-3333.d"), "/t/x: /elsewhere/src/lib.rs\n").expect("write");
        fs::write(deps.join("garbage.d"), "not a rule").expect("write");
        let map = SourceMap::read(&workspace(dir.path()));
        let kinds = |path: &str| -> Vec<TestKind> {
            map.readers(Path::new(path))
                .map(|targets| targets.iter().map(|target| target.kind).collect())
                .unwrap_or_default()
        };
        assert_eq!(
            kinds("crates/shop/src/cart.rs"),
            [TestKind::Lib, TestKind::Bin]
        );
        assert_eq!(kinds("crates/shop/src/cli.rs"), [TestKind::Bin]);
        assert_eq!(kinds("crates/shop/data/price list.csv"), [TestKind::Lib]);
        assert!(map.readers(Path::new("/elsewhere/src/lib.rs")).is_none());
        assert!(map.readers(Path::new("crates/shop/src/new.rs")).is_none());
    }

    #[test]
    fn no_build_means_an_empty_map() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            SourceMap::read(&workspace(dir.path())),
            SourceMap::default()
        );
    }
}
