//! React Router 7 framework mode and Remix v2 apps: an app directory holds `root.tsx` (which
//! imports from `react-router`, `@react-router/*` or `@remix-run/*`) and either `routes.ts`
//! (React Router 7: read by [`super::config`]) or a `routes/` folder (Remix v2's flat routes,
//! [`super::flat`]). Every route is a child of the root route.

use std::path::{Path, PathBuf};

use commerce_diagnostics::TextRange;

use super::config::{self, ConfigRoute};
use super::{Route, RouteKind};
use crate::display_path;
use crate::parse::parse_module;
use crate::project::ModuleId;
use crate::rules::Context;

/// The stems `routes.ts` may have, and the extensions of `root` and `routes`.
const CONFIG_EXTENSIONS: [&str; 6] = ["ts", "tsx", "mts", "js", "jsx", "mjs"];

/// The packages whose import marks a `root` module as a framework app's root route.
const FRAMEWORK_PACKAGES: [&str; 3] = ["react-router", "@react-router/", "@remix-run/"];

/// The routes of every framework app of the project, and the `routes.ts` files whose routes
/// are (partly) computed in a way we cannot read.
#[derive(Debug, Default)]
pub(crate) struct FrameworkRoutes {
    pub routes: Vec<(Route, Option<ModuleId>)>,
    pub unreadable: Vec<(PathBuf, TextRange)>,
}

pub(crate) fn discover(context: &Context<'_>) -> FrameworkRoutes {
    let mut found = FrameworkRoutes::default();
    for (root_id, app_dir) in apps(context) {
        let files = app_files(context, &app_dir);
        let config_file = CONFIG_EXTENSIONS
            .iter()
            .map(|extension| format!("routes.{extension}"))
            .find(|name| files.contains(name));
        let routes = match config_file {
            Some(name) => {
                let path = app_dir.join(&name);
                let text = context
                    .modules
                    .fs
                    .read_to_string(&context.modules.absolute(&path))
                    .unwrap_or_default();
                // A `routes.ts` that does not parse is a `frontend/parse-error` already.
                let read = parse_module(&path, &text)
                    .map(|parsed| config::read(&parsed, &files))
                    .unwrap_or_default();
                let mut routes = read.routes;
                if let Some(range) = read.unreadable {
                    found.unreadable.push((path.clone(), range));
                    if routes.is_empty() {
                        routes = file_routes(&files);
                    }
                }
                routes
            }
            None => {
                if let Some(config) = remix_routes_function(context, &app_dir) {
                    found.unreadable.push(config);
                }
                file_routes(&files)
            }
        };
        let root_file = context.module(root_id).path.clone();
        found.routes.push((
            Route {
                path: "/".to_owned(),
                file: root_file.clone(),
                kind: RouteKind::Layout,
                parent: None,
                declared_in: root_file.clone(),
                declaration: TextRange::default(),
                problems: Vec::new(),
                render: None,
                object: None,
            },
            Some(root_id),
        ));
        let mut rows = Rows {
            context,
            app_dir: &app_dir,
            found: &mut found.routes,
        };
        rows.add(&routes, "/", &root_file);
    }
    found
}

/// The app directories: those holding a framework `root` module beside a `routes` config or
/// folder, each with its root module.
fn apps(context: &Context<'_>) -> Vec<(ModuleId, PathBuf)> {
    context
        .modules
        .modules
        .iter()
        .enumerate()
        .filter_map(|(id, module)| {
            let stem = module.path.file_stem()?.to_str()?;
            let facts = module.facts()?;
            let imports_framework = facts.imports.iter().any(|import| {
                FRAMEWORK_PACKAGES
                    .iter()
                    .any(|package| import.specifier.starts_with(package))
            });
            let dir = module.path.parent()?.to_path_buf();
            (stem == "root" && imports_framework).then_some((id, dir))
        })
        .filter(|(_, dir)| {
            context.modules.modules.iter().any(|module| {
                module.path.parent() == Some(dir.as_path())
                    && module.path.file_stem().is_some_and(|stem| stem == "routes")
                    || module.path.starts_with(dir.join("routes"))
            })
        })
        .collect()
}

/// The analyzed files under `app_dir`, relative to it with `/` separators, sorted.
fn app_files(context: &Context<'_>, app_dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = context
        .modules
        .modules
        .iter()
        .filter(|module| context.modules.analyzed(&module.path).is_some())
        .filter_map(|module| module.path.strip_prefix(app_dir).ok())
        .map(display_path)
        .collect();
    files.sort();
    files
}

/// A Remix config beside the app directory (`remix.config.*`, or a `vite.config.*` using
/// `@remix-run/dev`) whose `routes` function defines routes in code, and where: those routes
/// (added to, or replacing, the flat files) cannot be read without running it.
fn remix_routes_function(context: &Context<'_>, app_dir: &Path) -> Option<(PathBuf, TextRange)> {
    let package = app_dir.parent().unwrap_or(Path::new(""));
    ["remix", "vite"].iter().find_map(|stem| {
        CONFIG_EXTENSIONS
            .iter()
            .chain(&["cjs"])
            .find_map(|extension| {
                let path = package.join(format!("{stem}.config.{extension}"));
                let text = context
                    .modules
                    .fs
                    .read_to_string(&context.modules.absolute(&path))
                    .ok()?;
                if *stem == "vite" && !text.contains("@remix-run/dev") {
                    return None;
                }
                let at = ["routes(", "routes:", "routes ="]
                    .iter()
                    .filter_map(|pattern| text.find(pattern))
                    .min()?;
                let start = commerce_diagnostics::TextSize::new(u32::try_from(at).ok()?);
                let end = start + commerce_diagnostics::TextSize::new(6);
                Some((path, TextRange::new(start, end)))
            })
    })
}

/// Remix v2's and `flatRoutes()`'s default: the flat files of `routes/`.
fn file_routes(files: &[String]) -> Vec<ConfigRoute> {
    super::flat::flat_routes(files, "routes", &config::globs(&[]))
}

struct Rows<'a, 'b> {
    context: &'a Context<'b>,
    app_dir: &'a Path,
    found: &'a mut Vec<(Route, Option<ModuleId>)>,
}

impl Rows<'_, '_> {
    /// One row per route of `routes` (children of the route at `parent_path` rendered by
    /// `parent_file`), depth first.
    fn add(&mut self, routes: &[ConfigRoute], parent_path: &str, parent_file: &Path) {
        for route in routes {
            let path = full_path(parent_path, route.path.as_deref());
            let file = self.app_dir.join(&route.file);
            let kind = if route.children.is_empty() && (route.index || route.path.is_some()) {
                RouteKind::Page
            } else {
                RouteKind::Layout
            };
            let module = self.context.modules.analyzed(&file);
            self.found.push((
                Route {
                    path: path.clone(),
                    file: file.clone(),
                    kind,
                    parent: Some(parent_file.to_path_buf()),
                    declared_in: file.clone(),
                    declaration: TextRange::default(),
                    problems: Vec::new(),
                    render: None,
                    object: None,
                },
                module,
            ));
            self.add(&route.children, &path, &file);
        }
    }
}

/// React Router's `joinPaths`: the parent's path and the child's, `/`-joined, `//` collapsed.
/// A child path that starts with `/` is already absolute.
fn full_path(parent: &str, path: Option<&str>) -> String {
    let joined = match path {
        None => parent.to_owned(),
        Some(path) if path.starts_with('/') => path.to_owned(),
        Some(path) => format!("{parent}/{path}"),
    };
    let mut collapsed = String::with_capacity(joined.len());
    for character in joined.chars() {
        if !(character == '/' && collapsed.ends_with('/')) {
            collapsed.push(character);
        }
    }
    if collapsed.len() > 1 {
        collapsed.truncate(collapsed.trim_end_matches('/').len().max(1));
    }
    collapsed
}
