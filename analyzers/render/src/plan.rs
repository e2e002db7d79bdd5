//! What each route's render needs: the page, its layouts and the configured providers, every
//! project module they reach (transpiled, with how each `require` resolves through the import
//! graph's resolver), the route's params, and the app directory whose node_modules holds React.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};

use commerce_frontend::resolve::{ModuleResolver, Resolution};
use commerce_frontend::{Dialect, Route, RouteKind};
use commerce_project::{FileSystem, RenderConfig};
use oxc_resolver::{ResolveOptions, Resolver};
use serde_json::{Value, json};

use crate::transpile::{TranspileError, Transpiled, transpile};

/// Which router renders a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Router {
    /// Next.js's app router.
    App,
    /// Next.js's pages router.
    Pages,
    /// A React Router 7 framework (or Remix v2) route: rendered by react-router's own static
    /// router inside its parent routes, up to `root`.
    Framework,
    /// A React Router route object (library mode): the app's entry module is loaded with its
    /// router made static, and rendered at the route's URL.
    Objects,
}

/// One route to render.
#[derive(Debug)]
pub struct Job {
    /// Index into the routes given to [`plan`].
    pub route: usize,
    /// The JSON line sent to the worker (without its `id`).
    pub payload: Value,
}

/// A project module as the worker gets it.
#[derive(Debug)]
pub enum Served {
    Module {
        transpiled: Result<Transpiled, TranspileError>,
        /// Specifier -> absolute path, for the specifiers that name project files and the
        /// files of packages reached from a package's ES module.
        resolve: BTreeMap<String, PathBuf>,
        /// The targets served too: project modules and packages' ES modules.
        follow: Vec<PathBuf>,
    },
    Asset,
}

/// Every module served to any route, by absolute path: the source maps the findings read.
#[derive(Debug)]
pub struct Modules {
    pub served: HashMap<PathBuf, Served>,
    /// Node's own resolution (run-time conditions, on disk) for the packages' files: an ES
    /// module in a package is transpiled and served too, since Node 20 runs `require(esm)`
    /// without the loader hooks the stand-ins need.
    packages: Resolver,
}

impl Default for Modules {
    fn default() -> Self {
        let strings = |items: &[&str]| items.iter().map(|item| (*item).to_owned()).collect();
        Self {
            served: HashMap::new(),
            packages: Resolver::new(ResolveOptions {
                extensions: strings(&[".js", ".mjs", ".cjs", ".json", ".node"]),
                condition_names: strings(&["node", "require", "import", "default"]),
                main_fields: strings(&["main", "module"]),
                builtin_modules: true,
                node_path: false,
                ..ResolveOptions::default()
            }),
        }
    }
}

impl Modules {
    /// Where a specifier leads by Node's rules, and whether the file is an ES module
    /// (`.mjs`, or a `.js` in a package whose `package.json` says `"type": "module"`);
    /// `None` for the names the worker replaces and for what does not resolve.
    fn run_time(&self, from: &Path, specifier: &str) -> Option<(PathBuf, bool)> {
        if is_stand_in(specifier) {
            return None;
        }
        let resolution = self.packages.resolve_file(from, specifier).ok()?;
        let path = resolution.path().to_path_buf();
        let esm = match path.extension().and_then(|extension| extension.to_str()) {
            Some("mjs") => true,
            Some("js") => resolution
                .package_json()
                .is_some_and(|package| package.r#type() == Some(oxc_resolver::PackageType::Module)),
            _ => false,
        };
        Some((path, esm))
    }
}

/// The specifiers the worker answers with its own stand-ins (Next.js's server-only modules):
/// never resolved to the installed package.
fn is_stand_in(specifier: &str) -> bool {
    specifier == "next"
        || specifier.starts_with("next/")
        || matches!(specifier, "server-only" | "client-only")
}

/// Routes that were not rendered, and why (one notice per reason).
#[derive(Debug, Default)]
pub struct Skipped {
    /// App directories (project-relative) without the packages their routes render with, and
    /// which packages those are (`react and react-dom`).
    pub missing_dependencies: Vec<(PathBuf, String)>,
    /// App directories (project-relative) whose routes cannot be rendered here, and why.
    pub unsupported: Vec<(PathBuf, String)>,
}

/// Adds `dir` (`root`-relative: the directory of the nearest `package.json` above `page`) to a
/// skip list once, with what `why` says of it.
fn note_skip(
    fs: &dyn FileSystem,
    root: &Path,
    page: &Path,
    list: &mut Vec<(PathBuf, String)>,
    why: impl FnOnce() -> String,
) {
    let manifest_dir = page
        .ancestors()
        .skip(1)
        .take_while(|dir| dir.starts_with(root))
        .find(|dir| fs.is_file(&dir.join("package.json")))
        .unwrap_or(root);
    let relative = manifest_dir.strip_prefix(root).unwrap_or(manifest_dir);
    if !list.iter().any(|(dir, _)| dir == relative) {
        list.push((relative.to_path_buf(), why()));
    }
}

/// The jobs for every route that can be rendered: Next.js app-router and pages-router pages
/// that passed the static checks (a route that already fails is not rendered).
pub fn plan(
    fs: &dyn FileSystem,
    root: &Path,
    routes: &[Route],
    resolver: &ModuleResolver,
    config: &RenderConfig,
    modules: &mut Modules,
) -> (Vec<Job>, Skipped) {
    let mut jobs = Vec::new();
    let mut skipped = Skipped::default();
    for (index, route) in routes.iter().enumerate() {
        if !matches!(route.kind, RouteKind::Page | RouteKind::Element) || !route.is_ok() {
            continue;
        }
        let router = if let Some(object) = &route.object {
            // A route with children renders with each of them (in its `<Outlet />`).
            if object.has_children {
                continue;
            }
            Router::Objects
        } else if route.parent.is_some() {
            Router::Framework
        } else {
            let Some(router) = router_of(&route.file) else {
                continue;
            };
            router
        };
        let page = root.join(&route.file);
        let packages: &[&'static str] = match router {
            Router::Framework => &["react", "react-dom", "react-router"],
            Router::Objects => &["react", "react-dom", object_router_package(fs, root, route)],
            Router::App | Router::Pages => &["react", "react-dom"],
        };
        let Some(app) = app_dir(fs, root, &page, packages) else {
            note_skip(fs, root, &page, &mut skipped.missing_dependencies, || {
                let (last, rest) = packages.split_last().unwrap_or((&"react", &[]));
                if rest.is_empty() {
                    (*last).to_owned()
                } else {
                    format!("{} and {last}", rest.join(", "))
                }
            });
            continue;
        };
        if router == Router::Framework
            && let Some(why) = framework_unsupported(fs, &app)
        {
            note_skip(fs, root, &page, &mut skipped.unsupported, || why);
            continue;
        }
        let layouts = match router {
            Router::App => layouts_of(routes, root, &route.file),
            Router::Framework => parents_of(routes, root, route),
            Router::Pages | Router::Objects => Vec::new(),
        };
        let app_component = match router {
            Router::Pages => pages_app(fs, root, &route.file),
            Router::App | Router::Framework | Router::Objects => None,
        };
        // The module that declares the routes, and the app's entry, which builds the tree the
        // router renders in (providers around `<RouterProvider>`).
        let (declared_in, entry) = match router {
            Router::Objects => {
                let declared_in = root.join(&route.declared_in);
                let entry = entry_of(fs, &app).unwrap_or_else(|| declared_in.clone());
                (Some(declared_in), Some(entry))
            }
            Router::App | Router::Pages | Router::Framework => (None, None),
        };
        let position = route
            .object
            .as_ref()
            .and_then(|object| object.position.clone());
        if router == Router::Objects && position.is_none() && route.path.contains('{') {
            skipped.unsupported.push((
                route.declared_in.clone(),
                format!(
                    "`{}` is computed at run time inside a `<Routes>` element; only route objects given to a router are rendered at their computed path",
                    route.path
                ),
            ));
            continue;
        }
        let providers: Vec<PathBuf> = config
            .providers
            .iter()
            .map(|provider| root.join(provider))
            .collect();
        let entries = std::iter::once(&page)
            .chain(&layouts)
            .chain(&providers)
            .chain(&app_component)
            .chain(&declared_in)
            .chain(&entry);
        let reached = reach(fs, resolver, entries, modules);
        let served: serde_json::Map<String, Value> = reached
            .iter()
            .filter_map(|file| {
                let key = file.to_string_lossy().into_owned();
                let value = match modules.served.get(file)? {
                    Served::Asset => json!({ "asset": true }),
                    Served::Module {
                        transpiled: Ok(transpiled),
                        resolve,
                        ..
                    } => json!({ "code": transpiled.code, "resolve": resolve }),
                    Served::Module {
                        transpiled: Err(error),
                        ..
                    } => json!({ "error": {
                        "message": error.message, "line": error.line, "column": error.column,
                    }}),
                };
                Some((key, value))
            })
            .collect();
        let fixtures: BTreeMap<&str, PathBuf> = config
            .fixtures
            .iter()
            .map(|(url, file)| (url.as_str(), root.join(file)))
            .collect();
        let (params, url) = match router {
            Router::Framework | Router::Objects => (json!({}), framework_url(&route.path)),
            Router::App | Router::Pages => (params_of(&route.path), route.path.clone()),
        };
        jobs.push(Job {
            route: index,
            payload: json!({
                "route": route.path,
                "url": url,
                "router": match router {
                    Router::App => "app",
                    Router::Pages => "pages",
                    Router::Framework => "framework",
                    Router::Objects => "objects",
                },
                "entry": entry,
                "declared_in": declared_in,
                "position": position,
                "app": app,
                "page": page,
                "layouts": layouts,
                "providers": providers,
                "app_component": app_component,
                "params": params,
                "fixtures": fixtures,
                "env": vite_env(fs, &app),
                "modules": served,
            }),
        });
    }
    (jobs, skipped)
}

/// `page.tsx` files are the app router's; any other page file is the pages router's, but for
/// its special files (`_app`, `_document`, `_error`), which are not pages.
fn router_of(file: &Path) -> Option<Router> {
    let stem = file.file_name()?.to_str()?.split('.').next()?;
    if stem == "page" {
        return Some(Router::App);
    }
    if stem.starts_with('_') {
        return None;
    }
    file.ancestors()
        .any(|dir| dir.file_name().is_some_and(|name| name == "pages"))
        .then_some(Router::Pages)
}

/// The nearest directory (from the page up to the project root) whose node_modules holds
/// every one of `packages` (react and react-dom, and react-router for its routes): the app's
/// own React.
fn app_dir(fs: &dyn FileSystem, root: &Path, page: &Path, packages: &[&str]) -> Option<PathBuf> {
    page.ancestors()
        .skip(1)
        .take_while(|dir| dir.starts_with(root))
        .find(|dir| {
            packages.iter().all(|package| {
                fs.is_file(&dir.join("node_modules").join(package).join("package.json"))
            })
        })
        .map(Path::to_path_buf)
}

/// The React Router package the module declaring a route object imports (`react-router-dom`
/// for React Router 6 apps, `react-router` for 7).
fn object_router_package(fs: &dyn FileSystem, root: &Path, route: &Route) -> &'static str {
    let imports_dom = fs
        .read_to_string(&root.join(&route.declared_in))
        .is_ok_and(|text| {
            text.contains("\"react-router-dom\"") || text.contains("'react-router-dom'")
        });
    if imports_dom {
        "react-router-dom"
    } else {
        "react-router"
    }
}

/// The `VITE_*` variables Vite's development server puts in `import.meta.env`, from the app's
/// `.env`, `.env.local`, `.env.development` and `.env.development.local` (later files win).
fn vite_env(fs: &dyn FileSystem, app: &Path) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for name in [
        ".env",
        ".env.local",
        ".env.development",
        ".env.development.local",
    ] {
        let Ok(text) = fs.read_to_string(&app.join(name)) else {
            continue;
        };
        for line in text.lines() {
            let line = line.trim();
            let line = line.strip_prefix("export ").unwrap_or(line);
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let key = key.trim();
            if !key.starts_with("VITE_") {
                continue;
            }
            let value = value.trim();
            let unquoted = ['"', '\'']
                .iter()
                .find_map(|quote| {
                    value
                        .strip_prefix(*quote)
                        .and_then(|rest| rest.strip_suffix(*quote))
                })
                .unwrap_or_else(|| value.split(" #").next().unwrap_or(value).trim_end());
            env.insert(key.to_owned(), unquoted.to_owned());
        }
    }
    env
}

/// The module a browser loads first: the script `index.html` names (Vite), else
/// `src/main.*` or `src/index.*` (Create React App and most templates).
fn entry_of(fs: &dyn FileSystem, app: &Path) -> Option<PathBuf> {
    let html = fs.read_to_string(&app.join("index.html")).ok();
    let from_html = html.as_deref().and_then(|html| {
        html.split("<script").skip(1).find_map(|tag| {
            let tag = tag.split('>').next()?;
            if !tag.contains("module") {
                return None;
            }
            let source = tag.split("src=").nth(1)?;
            let quote = source
                .chars()
                .next()
                .filter(|quote| matches!(quote, '"' | '\''))?;
            let source = source[1..].split(quote).next()?;
            let file = app.join(source.trim_start_matches('/'));
            fs.is_file(&file).then_some(file)
        })
    });
    from_html.or_else(|| {
        ["main", "index"].iter().find_map(|stem| {
            ["tsx", "jsx", "ts", "js"]
                .iter()
                .map(|extension| app.join("src").join(format!("{stem}.{extension}")))
                .find(|file| fs.is_file(file))
        })
    })
}

/// Why a framework app's routes cannot be rendered with its installed packages: the static
/// handler and router are react-router 7's (`react-router` 6 keeps them in
/// `react-router-dom/server`), and a Remix v2 app's `<Meta>`/`<Links>` need Remix's own context.
fn framework_unsupported(fs: &dyn FileSystem, app: &Path) -> Option<String> {
    let modules = app.join("node_modules");
    if fs.is_file(&modules.join("@remix-run/react/package.json")) {
        return Some(
            "Remix v2 routes are not rendered (React Router 7 framework routes are)".to_owned(),
        );
    }
    let manifest = fs
        .read_to_string(&modules.join("react-router/package.json"))
        .ok()?;
    let version = serde_json::from_str::<Value>(&manifest)
        .ok()?
        .get("version")?
        .as_str()?
        .to_owned();
    let major: u32 = version.split('.').next()?.parse().ok()?;
    (major < 7).then(|| {
        format!(
            "react-router {version} is installed; its routes render with react-router 7 or newer"
        )
    })
}

/// The app router layouts around a page (absolute paths), innermost first.
fn layouts_of(routes: &[Route], root: &Path, page: &Path) -> Vec<PathBuf> {
    let mut layouts: Vec<&Path> = routes
        .iter()
        .filter(|route| route.kind == RouteKind::Layout && route.parent.is_none())
        .map(|route| route.file.as_path())
        .filter(|layout| {
            layout.parent().is_some_and(|dir| {
                page.parent()
                    .is_some_and(|page_dir| page_dir.starts_with(dir))
            })
        })
        .collect();
    layouts.sort_by_key(|layout| std::cmp::Reverse(layout.components().count()));
    layouts
        .into_iter()
        .map(|layout| root.join(layout))
        .collect()
}

/// The parent routes' modules of a framework route (absolute paths), innermost first, up to
/// the root route; a parent the table does not list ends the chain.
fn parents_of(routes: &[Route], root: &Path, route: &Route) -> Vec<PathBuf> {
    let mut parents = Vec::new();
    let mut parent = route.parent.as_deref();
    while let Some(file) = parent {
        let absolute = root.join(file);
        if parents.contains(&absolute) {
            break;
        }
        parents.push(absolute);
        parent = routes
            .iter()
            .find(|candidate| candidate.kind == RouteKind::Layout && candidate.file == file)
            .and_then(|layout| layout.parent.as_deref());
    }
    parents
}

/// The URL to render a React Router path at, placeholders for its params (react-router's
/// own matching reads them back): `:id` and a splat `*` are `1`, optional segments (`:id?`,
/// `en?`) are left out.
fn framework_url(path: &str) -> String {
    let mut url = String::new();
    for segment in path.split('/').filter(|segment| !segment.is_empty()) {
        if segment.ends_with('?') {
            continue;
        }
        url.push('/');
        url.push_str(if segment == "*" || segment.starts_with(':') {
            "1"
        } else {
            segment
        });
    }
    if url.is_empty() {
        url.push('/');
    }
    url
}

/// The pages router's `_app` beside the `pages` directory of `page`, when there is one.
fn pages_app(fs: &dyn FileSystem, root: &Path, page: &Path) -> Option<PathBuf> {
    let pages = page
        .ancestors()
        .find(|dir| dir.file_name().is_some_and(|name| name == "pages"))?;
    ["tsx", "jsx", "ts", "js"]
        .iter()
        .map(|extension| root.join(pages).join(format!("_app.{extension}")))
        .find(|app| fs.is_file(app))
}

/// Placeholder params from the route's dynamic segments: `[id]` is `"1"`, a catch-all
/// `[...slug]` is `["1"]` and an optional one `[[...slug]]` is absent (pages override them
/// with `generateStaticParams`).
fn params_of(path: &str) -> Value {
    let mut params = serde_json::Map::new();
    for segment in path.split('/') {
        if let Some(name) = segment
            .strip_prefix("[[...")
            .and_then(|rest| rest.strip_suffix("]]"))
        {
            params.remove(name);
        } else if let Some(name) = segment
            .strip_prefix("[...")
            .and_then(|rest| rest.strip_suffix(']'))
        {
            params.insert(name.to_owned(), json!(["1"]));
        } else if let Some(name) = segment
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            params.insert(name.to_owned(), json!("1"));
        }
    }
    Value::Object(params)
}

/// Every project module reachable from `entries` through `require`s, transpiling each once
/// (kept in `modules` for the next route), in discovery order.
fn reach<'a>(
    fs: &dyn FileSystem,
    resolver: &ModuleResolver,
    entries: impl Iterator<Item = &'a PathBuf>,
    modules: &mut Modules,
) -> Vec<PathBuf> {
    let mut queue: VecDeque<PathBuf> = entries.cloned().collect();
    let mut seen: Vec<PathBuf> = Vec::new();
    while let Some(file) = queue.pop_front() {
        if seen.contains(&file) {
            continue;
        }
        seen.push(file.clone());
        if !modules.served.contains_key(&file) {
            let served = load(fs, resolver, modules, &file);
            modules.served.insert(file.clone(), served);
        }
        if let Some(Served::Module { follow, .. }) = modules.served.get(&file) {
            queue.extend(follow.iter().cloned());
        }
    }
    seen
}

fn load(fs: &dyn FileSystem, resolver: &ModuleResolver, modules: &Modules, file: &Path) -> Served {
    if Dialect::of(file).is_none() {
        return Served::Asset;
    }
    let transpiled = match fs.read_to_string(file) {
        Ok(text) => transpile(file, &text),
        Err(error) => Err(TranspileError {
            message: format!("cannot read the file: {error}"),
            line: 1,
            column: 1,
        }),
    };
    let in_package = file
        .components()
        .any(|component| component.as_os_str() == "node_modules");
    let mut resolve = BTreeMap::new();
    let mut follow = Vec::new();
    if let Ok(transpiled) = &transpiled {
        for specifier in &transpiled.requires {
            let project = if in_package {
                None
            } else {
                match resolver.resolve(file, specifier) {
                    Resolution::Module(target) => Some((target, true)),
                    Resolution::Asset(target) => Some((target, false)),
                    _ => None,
                }
            };
            // A package: served when it is an ES module; from a package's ES module, its
            // CommonJS files are named by path and load natively.
            let found = project.or_else(|| {
                modules
                    .run_time(file, specifier)
                    .filter(|(_, esm)| *esm || in_package)
            });
            if let Some((target, served)) = found {
                // JSON loads natively; other assets (styles, images) get a stand-in.
                let asset = Dialect::of(&target).is_none()
                    && target
                        .extension()
                        .is_none_or(|extension| extension != "json");
                if served || asset {
                    follow.push(target.clone());
                }
                resolve.insert(specifier.clone(), target);
            }
        }
    }
    Served::Module {
        transpiled,
        resolve,
        follow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vites_env_files_give_their_vite_variables_later_files_winning() {
        let mut fs = commerce_project::MemoryFs::new();
        let app = Path::new("/shop");
        fs.insert(
            app.join(".env"),
            "# the API\nVITE_API_URL=https://api.example\nSECRET=hidden\nVITE_TITLE=\"Shop # 1\"\n",
        );
        fs.insert(
            app.join(".env.development"),
            "export VITE_API_URL=http://localhost:8080 # dev\n",
        );
        let env = vite_env(&fs, app);
        assert_eq!(
            env.into_iter().collect::<Vec<_>>(),
            [
                (
                    "VITE_API_URL".to_owned(),
                    "http://localhost:8080".to_owned()
                ),
                ("VITE_TITLE".to_owned(), "Shop # 1".to_owned()),
            ]
        );
    }

    #[test]
    fn a_react_router_path_is_rendered_at_placeholder_params() {
        assert_eq!(framework_url("/"), "/");
        assert_eq!(framework_url("/products/:id"), "/products/1");
        assert_eq!(framework_url("/:lang?/docs/*"), "/docs/1");
        assert_eq!(framework_url("/en?/about"), "/about");
    }

    #[test]
    fn framework_routes_render_with_react_router_7_and_not_with_remix_or_6() {
        let app = Path::new("/shop");
        let installed = |packages: &[(&str, &str)]| {
            let mut fs = commerce_project::MemoryFs::new();
            for (name, version) in packages {
                let manifest = format!(r#"{{"name":"{name}","version":"{version}"}}"#);
                fs.insert(
                    app.join("node_modules").join(name).join("package.json"),
                    manifest,
                );
            }
            fs
        };
        assert_eq!(
            framework_unsupported(&installed(&[("react-router", "7.18.7")]), app),
            None
        );
        let six = framework_unsupported(&installed(&[("react-router", "6.30.1")]), app);
        assert!(six.is_some_and(|why| why.contains("6.30.1")));
        let remix = installed(&[("react-router", "6.30.1"), ("@remix-run/react", "2.17.0")]);
        assert!(framework_unsupported(&remix, app).is_some_and(|why| why.contains("Remix v2")));
    }
}
