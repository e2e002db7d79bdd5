//! The project's `package.json` files: workspace packages (npm, yarn and pnpm workspaces) and
//! the dependencies the project declares.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use globset::{GlobSet, GlobSetBuilder};
use rayon::prelude::*;
use serde_json::Value;

use commerce_project::FileSystem;

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
                let patterns = WorkspacePatterns::declared_at(fs, root, &manifests)?;
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

/// The directories a workspace declaration covers.
#[derive(Debug)]
struct WorkspacePatterns {
    include: GlobSet,
    exclude: GlobSet,
}

impl WorkspacePatterns {
    /// The patterns declared at `root`, from `package.json` or `pnpm-workspace.yaml`.
    fn declared_at(
        fs: &dyn FileSystem,
        root: &Path,
        manifests: &[(PathBuf, Value)],
    ) -> Option<Self> {
        let from_manifest = manifests
            .iter()
            .find(|(dir, _)| dir == root)
            .map(|(_, manifest)| npm_workspaces(manifest))
            .unwrap_or_default();
        let from_pnpm = fs
            .read_to_string(&root.join("pnpm-workspace.yaml"))
            .map(|text| pnpm_workspaces(&text))
            .unwrap_or_default();
        let all: Vec<String> = from_manifest.into_iter().chain(from_pnpm).collect();
        if all.is_empty() {
            return None;
        }
        let mut include = GlobSetBuilder::new();
        let mut exclude = GlobSetBuilder::new();
        for pattern in &all {
            let (builder, pattern) = match pattern.strip_prefix('!') {
                Some(negated) => (&mut exclude, negated),
                None => (&mut include, pattern.as_str()),
            };
            let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
            if let Ok(glob) = globset::GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
            {
                builder.add(glob);
            }
        }
        Some(Self {
            include: include.build().ok()?,
            exclude: exclude.build().unwrap_or_else(|_| GlobSet::empty()),
        })
    }

    fn matches(&self, relative_dir: &Path) -> bool {
        self.include.is_match(relative_dir) && !self.exclude.is_match(relative_dir)
    }
}

fn read_json(fs: &dyn FileSystem, path: &Path) -> Option<Value> {
    if !fs.is_file(path) {
        return None;
    }
    let text = fs.read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// `"workspaces": ["packages/*"]` or `"workspaces": { "packages": ["packages/*"] }`.
fn npm_workspaces(manifest: &Value) -> Vec<String> {
    let list = match manifest.get("workspaces") {
        Some(Value::Array(list)) => list,
        Some(Value::Object(object)) => match object.get("packages") {
            Some(Value::Array(list)) => list,
            _ => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    list.iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// The `packages:` list of a `pnpm-workspace.yaml`, block (`- 'apps/*'`) or flow
/// (`['apps/*']`) style. Only this one key is read, so no YAML library is needed.
fn pnpm_workspaces(text: &str) -> Vec<String> {
    let mut patterns = Vec::new();
    let mut in_packages = false;
    for line in text.lines() {
        let content = line.split(" #").next().unwrap_or_default().trim_end();
        if content.trim().is_empty() || content.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with([' ', '\t', '-']) {
            in_packages = false;
            if let Some(rest) = content.strip_prefix("packages:") {
                in_packages = true;
                if let Some(flow) = rest.trim().strip_prefix('[') {
                    let flow = flow.trim_end_matches(']');
                    patterns.extend(flow.split(',').map(unquote).filter(|p| !p.is_empty()));
                    in_packages = false;
                }
            }
            continue;
        }
        if in_packages && let Some(item) = content.trim_start().strip_prefix('-') {
            patterns.push(unquote(item));
        }
    }
    patterns
}

fn unquote(item: &str) -> String {
    item.trim().trim_matches(['"', '\'']).to_owned()
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

    #[test]
    fn pnpm_flow_lists_are_read() {
        assert_eq!(
            pnpm_workspaces("packages: ['a/*', \"b\"]\n"),
            ["a/*".to_owned(), "b".to_owned()]
        );
    }

    #[test]
    fn globs_do_not_cross_directories() {
        let patterns = WorkspacePatterns {
            include: {
                let mut builder = GlobSetBuilder::new();
                builder.add(
                    globset::GlobBuilder::new("packages/*")
                        .literal_separator(true)
                        .build()
                        .expect("valid"),
                );
                builder.build().expect("valid")
            },
            exclude: GlobSet::empty(),
        };
        assert!(patterns.matches(Path::new("packages/ui")));
        assert!(!patterns.matches(Path::new("packages/ui/nested")));
    }
}
