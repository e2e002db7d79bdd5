//! Workspace declarations: which directories of a monorepo are its packages. npm and yarn
//! (`package.json` `workspaces`), pnpm (`pnpm-workspace.yaml` `packages`) and lerna
//! (`lerna.json` `packages`); turbo reads the package manager's list, so it needs nothing more.
//! Shared by `init` (which roots to write) and the frontend resolver (which packages are linked).

use std::path::Path;

use globset::{GlobSet, GlobSetBuilder};
use serde_json::Value;

use crate::fs::FileSystem;

/// The directories a workspace declaration covers, relative to the directory declaring it.
#[derive(Debug)]
pub struct WorkspacePatterns {
    include: GlobSet,
    exclude: GlobSet,
}

impl WorkspacePatterns {
    /// The patterns declared at `root` (absolute): by its `package.json` (`manifest`, when
    /// already read; read here when `None`), its `pnpm-workspace.yaml` and its `lerna.json`.
    /// `None` when `root` declares no workspace. A pattern that is not a valid glob is skipped.
    pub fn declared_at(fs: &dyn FileSystem, root: &Path, manifest: Option<&Value>) -> Option<Self> {
        let read_manifest = || read_json(fs, &root.join("package.json"));
        let from_manifest = match manifest {
            Some(manifest) => npm_workspaces(manifest),
            None => read_manifest()
                .map(|m| npm_workspaces(&m))
                .unwrap_or_default(),
        };
        let from_pnpm = fs
            .read_to_string(&root.join("pnpm-workspace.yaml"))
            .map(|text| pnpm_workspaces(&text))
            .unwrap_or_default();
        let from_lerna = read_json(fs, &root.join("lerna.json"))
            .map(|lerna| string_list(lerna.get("packages")))
            .unwrap_or_default();
        let all: Vec<String> = from_manifest
            .into_iter()
            .chain(from_pnpm)
            .chain(from_lerna)
            .collect();
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

    /// Whether the directory `relative_dir` (relative to the declaring root) is a package.
    pub fn matches(&self, relative_dir: &Path) -> bool {
        self.include.is_match(relative_dir) && !self.exclude.is_match(relative_dir)
    }
}

/// A JSON file's value, `None` when it is missing, unreadable or not JSON.
pub fn read_json(fs: &dyn FileSystem, path: &Path) -> Option<Value> {
    if !fs.is_file(path) {
        return None;
    }
    let text = fs.read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// `"workspaces": ["packages/*"]` or `"workspaces": { "packages": ["packages/*"] }`.
fn npm_workspaces(manifest: &Value) -> Vec<String> {
    match manifest.get("workspaces") {
        Some(Value::Object(object)) => string_list(object.get("packages")),
        list => string_list(list),
    }
}

fn string_list(value: Option<&Value>) -> Vec<String> {
    let Some(Value::Array(list)) = value else {
        return Vec::new();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryFs;

    #[test]
    fn npm_yarn_pnpm_and_lerna_declarations_are_read() {
        let fs = MemoryFs::new()
            .with_file(
                "/npm/package.json",
                r#"{ "workspaces": ["packages/*", "!packages/legacy"] }"#,
            )
            .with_file(
                "/yarn/package.json",
                r#"{ "workspaces": { "packages": ["apps/*"] } }"#,
            )
            .with_file(
                "/pnpm/pnpm-workspace.yaml",
                "# comment\npackages:\n  - 'packages/*'   # trailing\n  - \"tools/**\"\ncatalog:\n  - 'not/*'\n",
            )
            .with_file("/lerna/lerna.json", r#"{ "packages": ["libs/*"] }"#)
            .with_file("/none/package.json", r#"{ "name": "x" }"#);
        let at = |root: &str| WorkspacePatterns::declared_at(&fs, Path::new(root), None);
        let npm = at("/npm").expect("declares workspaces");
        assert!(npm.matches(Path::new("packages/ui")));
        assert!(!npm.matches(Path::new("packages/legacy")));
        assert!(!npm.matches(Path::new("packages/ui/nested")));
        assert!(
            at("/yarn")
                .expect("declares")
                .matches(Path::new("apps/shop"))
        );
        let pnpm = at("/pnpm").expect("declares");
        assert!(pnpm.matches(Path::new("tools/deep/b")));
        assert!(!pnpm.matches(Path::new("not/c")));
        assert!(at("/lerna").expect("declares").matches(Path::new("libs/a")));
        assert!(at("/none").is_none());
        assert!(at("/missing").is_none());
    }

    #[test]
    fn pnpm_flow_lists_are_read() {
        assert_eq!(
            pnpm_workspaces("packages: ['a/*', \"b\"]\n"),
            ["a/*".to_owned(), "b".to_owned()]
        );
    }
}
