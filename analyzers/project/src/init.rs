//! `cargo commerce init`: find the project's layout and write a commented `commerce.toml` for it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::fs::FileSystem;
use crate::workspaces::{WorkspacePatterns, read_json};

/// What `init` found in a project tree. Paths are relative to the root, with `/` separators.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// Directories holding a frontend package (a package.json next to a tsconfig.json, or one
    /// depending on react/next/vite): in a monorepo, its workspace packages (npm, yarn, pnpm,
    /// lerna workspaces; nx projects) that are frontend packages. Never the root itself: a
    /// frontend at the root is the whole project, which is what no roots means.
    pub frontend_roots: Vec<String>,
    /// The project's tsconfig.json when it has exactly one. With several, each file is
    /// resolved with the tsconfig that owns it, as TypeScript does, so none is written.
    pub tsconfig: Option<String>,
    /// The Next.js app-router directory (`app/` or `src/app/`) of a single Next.js frontend.
    pub routes: Option<String>,
    /// OpenAPI documents: YAML/JSON files whose first kilobyte declares `openapi`.
    pub specs: Vec<String>,
    /// `src/**/*.rs` globs of the Rust crates (where axum routers live).
    pub rust_sources: Vec<String>,
    /// The directory holding the SQL migrations.
    pub migrations_dir: Option<String>,
    /// True when a Cargo.toml enables sqlx's SQLite driver and none enables Postgres.
    pub sqlite: bool,
    /// The first frontend (a root, or the project itself) that depends on React: its routes
    /// can be rendered (`[frontend.render]`).
    pub react: Option<ReactApp>,
}

/// A frontend that depends on React.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReactApp {
    /// Its directory (empty: the project root).
    pub dir: String,
    /// Whether `react` is installed in its `node_modules` (or the root's, where a workspace
    /// hoists it): rendering needs it.
    pub installed: bool,
}

/// Looks at every (non-ignored) file under `root` once.
pub fn detect_layout(fs: &dyn FileSystem, root: &Path) -> Layout {
    let files: Vec<PathBuf> = fs
        .walk(root)
        .map(|listing| listing.files)
        .unwrap_or_default()
        .into_iter()
        .map(|file| {
            file.strip_prefix(root)
                .map(Path::to_path_buf)
                .unwrap_or(file)
        })
        .collect();
    let mut layout = Layout::default();
    let mut migration_dirs = BTreeSet::new();
    let mut package_dirs = BTreeSet::new();
    let (mut uses_postgres, mut uses_sqlite) = (false, false);
    for file in &files {
        let name = file
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("");
        let dir = file.parent().unwrap_or(Path::new(""));
        match name {
            "package.json" | "project.json" if !in_node_modules(dir) => {
                package_dirs.insert(dir.to_path_buf());
            }
            "Cargo.toml" => {
                let manifest = fs.read_to_string(&root.join(file)).unwrap_or_default();
                uses_postgres |= manifest.contains("postgres");
                uses_sqlite |= manifest.contains("sqlite");
                if files
                    .iter()
                    .any(|other| other.starts_with(dir.join("src")) && is_rust(other))
                {
                    layout.rust_sources.push(join_glob(dir, "src/**/*.rs"));
                }
            }
            _ => {
                if let Some(migrations) = migration_dir(file) {
                    migration_dirs.insert(migrations.to_path_buf());
                } else if is_openapi_document(fs, root, file) {
                    layout.specs.push(slash(file));
                }
            }
        }
    }
    layout.frontend_roots = frontend_roots(fs, root, &package_dirs);
    layout.sqlite = uses_sqlite && !uses_postgres;
    // The shallowest directory of migrations; sqlx and diesel keep one per project.
    layout.migrations_dir = migration_dirs
        .iter()
        .min_by_key(|dir| (dir.components().count(), dir.to_path_buf()))
        .map(|dir| slash(dir));
    let tsconfigs: Vec<&PathBuf> = files
        .iter()
        .filter(|file| {
            file.file_name().is_some_and(|name| name == "tsconfig.json") && !in_node_modules(file)
        })
        .collect();
    if let [only] = tsconfigs[..] {
        layout.tsconfig = Some(slash(only));
    }
    let single = match &layout.frontend_roots[..] {
        [] if !package_dirs.contains(Path::new("")) => None,
        [] => Some(String::new()),
        [only] => Some(only.clone()),
        _ => None,
    };
    let candidates: Vec<String> = if layout.frontend_roots.is_empty() {
        vec![String::new()]
    } else {
        layout.frontend_roots.clone()
    };
    layout.react = candidates
        .into_iter()
        .find(|dir| depends_on(fs, &root.join(dir), "react"))
        .map(|dir| {
            let installed = [root.join(&dir), root.to_path_buf()]
                .iter()
                .any(|base| fs.is_file(&base.join("node_modules/react/package.json")));
            ReactApp { dir, installed }
        });
    if let Some(single) = single.filter(|dir| depends_on(fs, &root.join(dir), "next")) {
        let under = |relative: &str| join_glob(Path::new(&single), relative);
        layout.routes = ["app", "src/app"]
            .into_iter()
            .find(|dir| {
                let prefix = format!("{}/", under(dir));
                files.iter().any(|file| slash(file).starts_with(&prefix))
            })
            .map(under);
    }
    layout
}

impl Layout {
    /// What `init` says about render checks: on when it found React installed, else what to
    /// install first; `None` without a React frontend.
    pub fn render_note(&self) -> Option<String> {
        let app = self.react.as_ref()?;
        let dir = if app.dir.is_empty() { "." } else { &app.dir };
        Some(if app.installed {
            format!(
                "render checks are on ([frontend.render] enabled = true): `{dir}` has React installed; `cargo commerce routes --render` shows each route's render"
            )
        } else {
            format!(
                "`{dir}` depends on React, which is not installed: run `npm ci` there, then set [frontend.render] enabled = true to render every route in `check`"
            )
        })
    }

    /// A commented `commerce.toml`: the detected values set, every other key shown commented
    /// out with its default.
    pub fn to_config(&self) -> String {
        let mut out = String::from(
            "# cargo commerce configuration. Every key is optional; `cargo commerce rules` lists the rules.\n\
             # Written by `cargo commerce init` from the layout it found.\n",
        );
        out.push_str("\n[frontend]\n");
        setting(
            &mut out,
            "roots",
            (!self.frontend_roots.is_empty()).then(|| list(&self.frontend_roots)),
            "[\"web\"]",
        );
        setting(
            &mut out,
            "tsconfig",
            self.tsconfig.as_deref().map(quote),
            "\"web/tsconfig.json\"",
        );
        setting(
            &mut out,
            "routes",
            self.routes.as_deref().map(quote),
            "\"web/app\"",
        );
        out.push_str(
            "# Cycles that exist only through `import type`: off | info | warn | error.\n",
        );
        setting(&mut out, "type_only_cycles", None, "\"warn\"");

        out.push_str("\n[frontend.render]\n");
        out.push_str(
            "# Render every route on Node with the app's own React in `check` and `test` (`cargo commerce routes --render`).\n",
        );
        match &self.react {
            Some(app) if app.installed => setting(&mut out, "enabled", Some("true".into()), ""),
            Some(app) => {
                let dir = if app.dir.is_empty() { "." } else { &app.dir };
                out.push_str(&format!(
                    "# `{dir}` depends on React, which is not installed: run `npm ci` (or pnpm/yarn) in `{dir}`, then enable.\n"
                ));
                setting(&mut out, "enabled", None, "true");
            }
            None => setting(&mut out, "enabled", None, "false"),
        }
        out.push_str("# Modules whose default export wraps every page (contexts the layouts do not provide).\n");
        setting(&mut out, "providers", None, "[\"web/test/providers.tsx\"]");
        setting(&mut out, "timeout", None, "\"10s\"");

        out.push_str("\n[contracts]\n");
        setting(
            &mut out,
            "specs",
            (!self.specs.is_empty()).then(|| list(&self.specs)),
            "[\"openapi/*.yaml\"]",
        );
        out.push_str("# The ref a pull request is compared with.\n");
        setting(&mut out, "base", None, "\"origin/main\"");
        // Routes are compared with the specs: without a spec every route would look
        // undocumented, so the check stays off (the globs found are the example).
        let routes_example = if self.rust_sources.is_empty() {
            "[\"crates/*/src/**/*.rs\"]".to_owned()
        } else {
            list(&self.rust_sources)
        };
        setting(
            &mut out,
            "routes",
            (!self.rust_sources.is_empty() && !self.specs.is_empty())
                .then(|| list(&self.rust_sources)),
            &routes_example,
        );
        out.push_str(
            "# `cargo commerce contracts test`: where the service listens, and the variable holding its token.\n",
        );
        setting(&mut out, "test_base_url", None, "\"http://127.0.0.1:3000\"");
        setting(&mut out, "test_bearer_env", None, "\"API_TOKEN\"");

        out.push_str("\n[migrations]\n");
        setting(
            &mut out,
            "dir",
            self.migrations_dir.as_deref().map(quote),
            "\"migrations\"",
        );
        setting(
            &mut out,
            "dialect",
            self.sqlite.then(|| quote("sqlite")),
            "\"postgres\"",
        );
        out.push_str(
            "# Only migrations newer than this version are linted (old history is noise).\n",
        );
        setting(&mut out, "lint_from", None, "\"20240101000000\"");

        out.push_str(
            "\n[suites.fast]\ntags = [\"unit\"]\nbudget = \"60s\"\n\n\
             [suites.integration]\ntags = [\"integration\"]\n\n\
             [gates]\n\
             # What fails the merge gate: test | contract-drift | render | p95 | analyzer.\n\
             # fail_on = [\"test\", \"contract-drift\", \"render\", \"p95\"]\n\
             # p95_regression_pct = 10\n\n\
             [rules]\n\
             # \"migrations/prefer-bigint-over-int\" = \"off\"\n",
        );
        out
    }
}

/// `key = value` when detected, else `# key = default`.
fn setting(out: &mut String, key: &str, value: Option<String>, default: &str) {
    match value {
        Some(value) => out.push_str(&format!("{key} = {value}\n")),
        None => out.push_str(&format!("# {key} = {default}\n")),
    }
}

fn quote(text: &str) -> String {
    format!("{text:?}")
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| quote(item)).collect();
    format!("[{}]", quoted.join(", "))
}

fn slash(path: &Path) -> String {
    path.components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn join_glob(dir: &Path, rest: &str) -> String {
    let dir = slash(dir);
    if dir.is_empty() {
        rest.to_owned()
    } else {
        format!("{dir}/{rest}")
    }
}

fn is_rust(path: &Path) -> bool {
    path.extension().is_some_and(|extension| extension == "rs")
}

fn in_node_modules(path: &Path) -> bool {
    path.components()
        .any(|component| component.as_os_str() == "node_modules")
}

/// The frontend roots among the directories holding a `package.json` (or an nx
/// `project.json`): the workspace packages when the root declares a workspace (all of them
/// when its patterns match none), each only once and never inside another root; the root
/// itself is dropped, since no roots already means the whole project.
fn frontend_roots(
    fs: &dyn FileSystem,
    root: &Path,
    package_dirs: &BTreeSet<PathBuf>,
) -> Vec<String> {
    let patterns = WorkspacePatterns::declared_at(fs, root, None);
    let nx = fs.is_file(&root.join("nx.json"));
    let is_member = |dir: &Path| {
        patterns
            .as_ref()
            .is_some_and(|patterns| patterns.matches(dir))
            || (nx && fs.is_file(&root.join(dir).join("project.json")))
    };
    let members: Vec<&PathBuf> = package_dirs.iter().filter(|dir| is_member(dir)).collect();
    let candidates: Vec<&PathBuf> = if members.is_empty() {
        package_dirs.iter().collect()
    } else {
        members
    };
    let mut roots: Vec<&PathBuf> = candidates
        .into_iter()
        .filter(|dir| !dir.as_os_str().is_empty() && is_frontend_package(fs, &root.join(dir)))
        .collect();
    if package_dirs.contains(Path::new(""))
        && patterns.is_none()
        && !nx
        && is_frontend_package(fs, root)
    {
        return Vec::new();
    }
    roots.sort();
    let mut kept: Vec<&PathBuf> = Vec::new();
    for dir in roots {
        if !kept.iter().any(|outer| dir.starts_with(outer)) {
            kept.push(dir);
        }
    }
    kept.into_iter().map(|dir| slash(dir)).collect()
}

fn is_frontend_package(fs: &dyn FileSystem, dir: &Path) -> bool {
    fs.is_file(&dir.join("tsconfig.json"))
        || ["react", "next", "vite"]
            .iter()
            .any(|dependency| depends_on(fs, dir, dependency))
}

/// Whether the `package.json` in `dir` lists `package` among its dependencies.
fn depends_on(fs: &dyn FileSystem, dir: &Path, package: &str) -> bool {
    let Some(manifest) = read_json(fs, &dir.join("package.json")) else {
        return false;
    };
    ["dependencies", "devDependencies", "peerDependencies"]
        .iter()
        .any(|field| {
            manifest
                .get(field)
                .and_then(|deps| deps.get(package))
                .is_some()
        })
}

/// The migrations directory `path` belongs to: `<dir>/<version>_<name>.sql` (sqlx) or
/// `<dir>/<version>_<name>/up.sql` (diesel).
fn migration_dir(path: &Path) -> Option<&Path> {
    if path.extension().is_none_or(|extension| extension != "sql") {
        return None;
    }
    let versioned = |name: &std::ffi::OsStr| {
        let name = name.to_string_lossy();
        let version = name.split('_').next().unwrap_or("");
        !version.is_empty() && version.chars().all(|ch| ch.is_ascii_digit() || ch == '-')
    };
    let parent = path.parent()?;
    if path.file_name().is_some_and(versioned) {
        Some(parent)
    } else if matches!(path.file_name()?.to_str()?, "up.sql" | "down.sql")
        && parent.file_name().is_some_and(versioned)
    {
        parent.parent()
    } else {
        None
    }
}

fn is_openapi_document(fs: &dyn FileSystem, root: &Path, path: &Path) -> bool {
    let is_spec_extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| matches!(extension, "yaml" | "yml" | "json"));
    if !is_spec_extension {
        return false;
    }
    let Ok(bytes) = fs.read(&root.join(path)) else {
        return false;
    };
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]);
    head.lines().any(|line| {
        let line = line.trim_start();
        line.starts_with("openapi:")
            || line.starts_with("\"openapi\":")
            || line.starts_with("{\"openapi\":")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryFs;

    #[test]
    fn detects_a_three_sided_layout() {
        let mut fs = MemoryFs::new();
        let root = Path::new("/shop");
        for (path, text) in [
            ("web/package.json", r#"{"dependencies":{"next":"15"}}"#),
            ("web/tsconfig.json", "{}"),
            ("web/app/page.tsx", "export default function Page() {}"),
            (
                "openapi/shop.yaml",
                "openapi: 3.1.0\ninfo: {title: shop, version: '1'}\n",
            ),
            ("openapi/notes.yaml", "title: not a spec\n"),
            ("Cargo.toml", "[workspace]\nmembers = [\"crates/api\"]\n"),
            (
                "crates/api/Cargo.toml",
                "[dependencies]\nsqlx = { version = \"0.8\", features = [\"postgres\"] }\n",
            ),
            ("crates/api/src/main.rs", "fn main() {}"),
            (
                "migrations/20240101000000_init.up.sql",
                "create table t ();",
            ),
            ("migrations/20240101000000_init.down.sql", "drop table t;"),
        ] {
            fs.insert(root.join(path), text);
        }
        let layout = detect_layout(&fs, root);
        assert_eq!(layout.frontend_roots, ["web"]);
        assert_eq!(layout.tsconfig.as_deref(), Some("web/tsconfig.json"));
        assert_eq!(layout.routes.as_deref(), Some("web/app"));
        assert_eq!(layout.specs, ["openapi/shop.yaml"]);
        assert_eq!(layout.rust_sources, ["crates/api/src/**/*.rs"]);
        assert_eq!(layout.migrations_dir.as_deref(), Some("migrations"));
        assert!(!layout.sqlite);
        insta::assert_snapshot!(layout.to_config());
    }

    fn layout_of(files: &[(&str, &str)]) -> Layout {
        let mut fs = MemoryFs::new();
        for (path, text) in files {
            fs.insert(Path::new("/repo").join(path), *text);
        }
        detect_layout(&fs, Path::new("/repo"))
    }

    #[test]
    fn a_monorepo_gets_its_workspace_packages_as_roots_and_no_single_tsconfig() {
        let layout = layout_of(&[
            (
                "package.json",
                r#"{"devDependencies":{"react":"19","turbo":"2"}}"#,
            ),
            (
                "pnpm-workspace.yaml",
                "packages:\n  - 'packages/*'\n  - 'templates/*'\n",
            ),
            ("turbo.json", "{}"),
            ("tsconfig.json", "{}"),
            (
                "packages/ui/package.json",
                r#"{"name":"@acme/ui","peerDependencies":{"react":"19"}}"#,
            ),
            ("packages/ui/tsconfig.json", "{}"),
            (
                "packages/ui/src/fixture/package.json",
                r#"{"dependencies":{"react":"19"}}"#,
            ),
            (
                "packages/cli/package.json",
                r#"{"name":"cli","dependencies":{"yargs":"1"}}"#,
            ),
            (
                "templates/shop/package.json",
                r#"{"dependencies":{"next":"15"}}"#,
            ),
            ("templates/shop/tsconfig.json", "{}"),
            ("templates/shop/app/page.tsx", ""),
            ("scripts/package.json", r#"{"dependencies":{"react":"19"}}"#),
        ]);
        assert_eq!(layout.frontend_roots, ["packages/ui", "templates/shop"]);
        assert_eq!(layout.tsconfig, None);
        assert_eq!(layout.routes, None);
    }

    #[test]
    fn nx_projects_are_packages() {
        let layout = layout_of(&[
            ("package.json", r#"{"devDependencies":{"nx":"20"}}"#),
            ("nx.json", "{}"),
            ("apps/store/project.json", "{}"),
            ("apps/store/tsconfig.json", "{}"),
            ("libs/data/project.json", "{}"),
            ("libs/data/tsconfig.json", "{}"),
            ("tools/package.json", r#"{"dependencies":{"react":"19"}}"#),
        ]);
        assert_eq!(layout.frontend_roots, ["apps/store", "libs/data"]);
    }

    #[test]
    fn a_frontend_at_the_root_is_the_whole_project_and_never_an_empty_root() {
        let layout = layout_of(&[
            ("package.json", r#"{"dependencies":{"next":"15"}}"#),
            ("tsconfig.json", "{}"),
            ("app/page.tsx", ""),
            ("e2e/package.json", r#"{"devDependencies":{"react":"19"}}"#),
        ]);
        assert!(layout.frontend_roots.is_empty());
        assert_eq!(layout.tsconfig.as_deref(), Some("tsconfig.json"));
        assert_eq!(layout.routes.as_deref(), Some("app"));
        assert!(!layout.to_config().contains("roots = [\"\"]"));
    }

    #[test]
    fn a_workspace_glob_matching_nothing_falls_back_to_every_frontend_package() {
        let layout = layout_of(&[
            ("package.json", r#"{"workspaces":["nothing/*"]}"#),
            ("web/package.json", r#"{"dependencies":{"react":"19"}}"#),
        ]);
        assert_eq!(layout.frontend_roots, ["web"]);
    }

    #[test]
    fn the_written_config_parses_back() {
        let layout = Layout {
            frontend_roots: vec!["web".into()],
            migrations_dir: Some("db/migrations".into()),
            sqlite: true,
            ..Layout::default()
        };
        let config = crate::Config::parse(&layout.to_config(), Path::new("commerce.toml"))
            .expect("init writes a valid commerce.toml");
        assert_eq!(config.frontend.roots, ["web"]);
        assert_eq!(config.migrations.dir, "db/migrations");
        assert_eq!(config.migrations.dialect, crate::Dialect::Sqlite);
        assert!(
            crate::Config::parse(&Layout::default().to_config(), Path::new("commerce.toml"))
                .is_ok()
        );
    }

    /// Routes are compared with a spec: without one, init leaves the comparison off (the
    /// globs it found are the commented example) instead of a warning per route.
    #[test]
    fn a_react_frontend_gets_the_render_section_enabled_once_react_is_installed() {
        let manifest = r#"{"dependencies":{"react":"19","react-router":"7"}}"#;
        let installed = layout_of(&[
            ("web/package.json", manifest),
            (
                "web/node_modules/react/package.json",
                r#"{"version":"19.2.0"}"#,
            ),
            ("web/src/main.tsx", ""),
        ]);
        assert_eq!(
            installed.react,
            Some(ReactApp {
                dir: "web".to_owned(),
                installed: true
            })
        );
        let text = installed.to_config();
        let config = crate::Config::parse(&text, Path::new("commerce.toml")).expect("parses");
        assert!(config.frontend.render.enabled, "{text}");
        assert!(
            installed
                .render_note()
                .is_some_and(|note| note.starts_with("render checks are on"))
        );

        let not_installed = layout_of(&[("package.json", manifest), ("src/main.tsx", "")]);
        let text = not_installed.to_config();
        assert!(
            text.contains("# `.` depends on React, which is not installed: run `npm ci` (or pnpm/yarn) in `.`, then enable.\n# enabled = true\n"),
            "{text}"
        );
        let config = crate::Config::parse(&text, Path::new("commerce.toml")).expect("parses");
        assert!(!config.frontend.render.enabled);

        let without_react = layout_of(&[("package.json", r#"{"dependencies":{"vue":"3"}}"#)]);
        assert_eq!(without_react.react, None);
        assert_eq!(without_react.render_note(), None);
        assert!(without_react.to_config().contains("# enabled = false\n"));
    }

    #[test]
    fn routes_are_not_compared_without_a_spec() {
        let without_spec = Layout {
            rust_sources: vec!["src/**/*.rs".into()],
            ..Layout::default()
        };
        let text = without_spec.to_config();
        let config = crate::Config::parse(&text, Path::new("commerce.toml")).expect("valid");
        assert!(config.contracts.routes.is_empty(), "{text}");
        assert!(text.contains("# routes = [\"src/**/*.rs\"]"), "{text}");
        let with_spec = Layout {
            specs: vec!["openapi.yaml".into()],
            ..without_spec
        };
        let config = crate::Config::parse(&with_spec.to_config(), Path::new("commerce.toml"))
            .expect("valid");
        assert_eq!(config.contracts.routes, ["src/**/*.rs"]);
    }
}
