//! The project's `package.json` files: workspace packages (npm, yarn and pnpm workspaces) and
//! the dependencies the project declares.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use rayon::prelude::*;
use serde_json::Value;

use commerce_project::{FileSystem, WorkspacePatterns, read_json};

/// What the project's manifests say about packages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PackageIndex {
    /// Workspace packages by name, with their absolute directories.
    pub workspaces: HashMap<String, PathBuf>,
    /// Every package a project manifest depends on (any dependency field), `@types/x` also
    /// counting as `x`, plus the workspace packages themselves.
    pub declared: HashSet<String>,
    /// The directories whose `node_modules` a package manager fills: every directory with a
    /// `package.json`, and every workspace root.
    pub link_dirs: HashSet<PathBuf>,
}

impl PackageIndex {
    /// Reads the manifests in `dirs` (absolute directories) and the workspace declarations of
    /// `workspace_roots` (`package.json` `workspaces`, `pnpm-workspace.yaml` `packages`).
    /// Unreadable or malformed manifests are skipped: resolution reports what they break.
    pub(crate) fn read(
        fs: &dyn FileSystem,
        dirs: &BTreeSet<PathBuf>,
        workspace_roots: &[PathBuf],
    ) -> Self {
        let manifests: Vec<(PathBuf, Value)> = dirs
            .par_iter()
            .filter_map(|dir| Some((dir.clone(), read_json(fs, &dir.join("package.json"))?)))
            .collect();
        let patterns: Vec<(PathBuf, WorkspacePatterns)> = workspace_roots
            .iter()
            .filter_map(|root| {
                let manifest = manifests
                    .iter()
                    .find(|(dir, _)| dir == root)
                    .map(|(_, manifest)| manifest);
                let patterns = WorkspacePatterns::declared_at(fs, root, manifest)?;
                Some((root.clone(), patterns))
            })
            .collect();
        let mut index = PackageIndex {
            link_dirs: manifests
                .iter()
                .map(|(dir, _)| dir.clone())
                .chain(patterns.iter().map(|(root, _)| root.clone()))
                .collect(),
            ..PackageIndex::default()
        };
        for (dir, manifest) in &manifests {
            index.declared.extend(dependency_names(manifest));
            let Some(name) = manifest.get("name").and_then(Value::as_str) else {
                continue;
            };
            let in_workspace = patterns.iter().any(|(root, patterns)| {
                dir.strip_prefix(root)
                    .is_ok_and(|relative| patterns.matches(relative))
            });
            if in_workspace {
                index.workspaces.insert(name.to_owned(), dir.clone());
                index.declared.insert(name.to_owned());
            }
        }
        index
    }
}

const DEPENDENCY_FIELDS: [&str; 4] = [
    "dependencies",
    "devDependencies",
    "peerDependencies",
    "optionalDependencies",
];

/// The packages a manifest depends on; `@types/node` also declares `node`, and
/// `@types/scope__name` declares `@scope/name`.
fn dependency_names(manifest: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for field in DEPENDENCY_FIELDS {
        let Some(Value::Object(dependencies)) = manifest.get(field) else {
            continue;
        };
        for name in dependencies.keys() {
            names.push(name.clone());
            if let Some(typed) = name.strip_prefix("@types/") {
                names.push(match typed.split_once("__") {
                    Some((scope, package)) => format!("@{scope}/{package}"),
                    None => typed.to_owned(),
                });
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use commerce_project::MemoryFs;

    use super::*;

    fn dirs(paths: &[&str]) -> BTreeSet<PathBuf> {
        paths.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn npm_workspaces_name_their_packages() {
        let fs = MemoryFs::new()
            .with_file(
                "/p/package.json",
                r#"{ "workspaces": ["packages/*", "!packages/legacy"], "devDependencies": { "@types/node": "1", "@types/babel__core": "1" } }"#,
            )
            .with_file("/p/packages/ui/package.json", r#"{ "name": "@acme/ui", "dependencies": { "react": "18" } }"#)
            .with_file("/p/packages/legacy/package.json", r#"{ "name": "legacy" }"#)
            .with_file("/p/packages/ui/nested/package.json", r#"{ "name": "nested" }"#)
            .with_file("/p/web/package.json", "not json");
        let index = PackageIndex::read(
            &fs,
            &dirs(&[
                "/p",
                "/p/packages/ui",
                "/p/packages/legacy",
                "/p/packages/ui/nested",
                "/p/web",
            ]),
            &[PathBuf::from("/p")],
        );
        assert_eq!(
            index.workspaces,
            HashMap::from([("@acme/ui".to_owned(), PathBuf::from("/p/packages/ui"))])
        );
        let mut declared: Vec<&str> = index.declared.iter().map(String::as_str).collect();
        declared.sort_unstable();
        assert_eq!(
            declared,
            [
                "@acme/ui",
                "@babel/core",
                "@types/babel__core",
                "@types/node",
                "node",
                "react"
            ]
        );
    }

    #[test]
    fn yarn_object_workspaces_and_pnpm_yaml_are_read() {
        let fs = MemoryFs::new()
            .with_file("/p/package.json", r#"{ "workspaces": { "packages": ["apps/*"] } }"#)
            .with_file("/p/apps/shop/package.json", r#"{ "name": "shop" }"#)
            .with_file(
                "/q/pnpm-workspace.yaml",
                "# comment\npackages:\n  - 'packages/*'   # trailing\n  - \"tools/**\"\ncatalog:\n  - 'not/*'\n",
            )
            .with_file("/q/packages/a/package.json", r#"{ "name": "a" }"#)
            .with_file("/q/tools/deep/b/package.json", r#"{ "name": "b" }"#)
            .with_file("/q/not/c/package.json", r#"{ "name": "c" }"#);
        let index = PackageIndex::read(
            &fs,
            &dirs(&[
                "/p",
                "/p/apps/shop",
                "/q/packages/a",
                "/q/tools/deep/b",
                "/q/not/c",
            ]),
            &[PathBuf::from("/p"), PathBuf::from("/q")],
        );
        let mut names: Vec<&str> = index.workspaces.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["a", "b", "shop"]);
    }
}
