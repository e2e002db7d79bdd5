//! Routes: Next.js app-router and pages-router files, React Router route objects, and React
//! Router 7 framework / Remix v2 apps ([`framework`]: `routes.ts` and flat-file routes), each
//! with the module that renders it and whether it can work: a page without a default export, or
//! one that reaches (through run-time imports) an unresolved import, a missing export, a file
//! that does not parse or a run-time import cycle, fails.

mod config;
mod flat;
mod framework;

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use commerce_diagnostics::{Diagnostic, Severity, TextRange};
use serde::Serialize;

use crate::collect::{ImportForm, RouteComponent};
use crate::display_path;
use crate::exports::Lookup;
use crate::graph::cycles::CycleComponent;
use crate::parse::Dialect;
use crate::project::{ModuleId, Target};
use crate::rules::Context;

/// What a route file or object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouteKind {
    Page,
    Layout,
    Loading,
    Error,
    NotFound,
    Template,
    Default,
    /// A Next.js `route.ts` handler: named `GET`, `POST`, … exports.
    Handler,
    /// A pages-router API route, `pages/api/*`: a default-exported handler.
    Api,
    /// A React Router route object.
    Element,
    /// A React Router / Remix route module without a component: only `loader` / `action`.
    Resource,
}

impl RouteKind {
    /// Next.js renders (or calls) the default export of every special file but `route.ts`.
    fn needs_default_export(self) -> bool {
        !matches!(
            self,
            RouteKind::Element | RouteKind::Handler | RouteKind::Resource
        )
    }
}

/// What kind of failure a [`RouteProblem`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// A Next.js file without the default export Next.js renders.
    NoDefaultExport,
    /// A React Router route whose component cannot be imported.
    MissingComponent,
    /// The route's module reaches a broken module or a run-time cycle.
    Reaches,
    /// Rendering the route threw or logged an error (`routes --render`).
    Render,
}

/// Why a route fails, and where the cause is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RouteProblem {
    pub kind: ProblemKind,
    pub reason: String,
    /// What would repair it, when known.
    pub fix: Option<String>,
    /// The file and range of the cause (relative to the project root).
    pub path: PathBuf,
    pub range: TextRange,
}

/// One route of the project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Route {
    /// `/shop/[id]` (Next.js) or `/shop/:id` (React Router, Remix: `:locale?` optional, `*` a
    /// splat).
    pub path: String,
    /// The module that renders it, relative to the project root.
    pub file: PathBuf,
    pub kind: RouteKind,
    /// The module of the layout route it renders in (React Router and Remix apps: the root
    /// route for top-level routes); `None` elsewhere.
    pub parent: Option<PathBuf>,
    /// Where the route is declared: the file itself for Next.js, the route object for React
    /// Router.
    pub declared_in: PathBuf,
    pub declaration: TextRange,
    /// Empty when the route works.
    pub problems: Vec<RouteProblem>,
    /// How rendering it went; `None` when no render ran.
    pub render: Option<RenderSummary>,
    /// A React Router route object (or `<Route>` element): where its router finds it.
    pub object: Option<RouteObject>,
}

/// Where a React Router route object sits in its router's routes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RouteObject {
    /// Its index in the route array the router is given, then in each `children`; `None` for
    /// the `<Route>`s of a `<Routes>` element, which a component renders.
    pub position: Option<Vec<usize>>,
    /// Whether it has child routes (it renders them in its `<Outlet />`).
    pub has_children: bool,
}

/// One route's render: whether it rendered clean, and how long it took.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RenderSummary {
    pub ok: bool,
    pub ms: u64,
}

impl Route {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The route rows of `cargo commerce routes --format json` (DESIGN §5): `route` spelled with
/// `:name` parameters and `*` splats whatever the framework's file convention, `file`, `kind`,
/// `layout` (the parent layout's module, or null), `status` `OK`/`FAIL`, the first problem's
/// `reason`, and `render` (`{status, ms}`; null: no render ran).
pub fn routes_json(routes: &[Route]) -> serde_json::Value {
    routes
        .iter()
        .map(|route| {
            serde_json::json!({
                "route": route_pattern(&route.path),
                "file": display_path(&route.file),
                "kind": route.kind,
                "layout": route.parent.as_deref().map(display_path),
                "status": if route.is_ok() { "OK" } else { "FAIL" },
                "reason": route.problems.first().map(|problem| problem.reason.as_str()),
                "render": route.render.map(|render| serde_json::json!({
                    "status": if render.ok { "OK" } else { "FAIL" },
                    "ms": render.ms,
                })),
            })
        })
        .collect()
}

/// A route path with Next.js's bracketed segments spelled as React Router spells them:
/// `[id]` is `:id`, `[...slug]` and `[[...slug]]` are `*`.
fn route_pattern(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            let inner = segment
                .strip_prefix("[[")
                .and_then(|rest| rest.strip_suffix("]]"))
                .or_else(|| {
                    segment
                        .strip_prefix('[')
                        .and_then(|rest| rest.strip_suffix(']'))
                });
            match inner {
                Some(name) if name.starts_with("...") => "*".to_owned(),
                Some(name) => format!(":{name}"),
                None => segment.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `route  file  layout  OK|FAIL  reason  fix`, one line per route, aligned, for
/// `cargo commerce routes`; with `--render`, a `RENDER` column (`12 ms`, empty when the route
/// was not rendered) after the status, and a render failure's first project frame in its
/// reason.
pub fn routes_table(routes: &[Route]) -> String {
    let rendered = routes.iter().any(|route| route.render.is_some());
    let rows: Vec<Vec<String>> = routes
        .iter()
        .map(|route| {
            let problem = route.problems.first();
            let mut row = vec![
                route.path.clone(),
                display_path(&route.file),
                route
                    .parent
                    .as_deref()
                    .map(display_path)
                    .unwrap_or_default(),
                if route.is_ok() { "OK" } else { "FAIL" }.to_owned(),
                problem
                    .map(|problem| problem.reason.clone())
                    .unwrap_or_default(),
                problem
                    .and_then(|problem| problem.fix.clone())
                    .unwrap_or_default(),
            ];
            if rendered {
                let ms = route.render.map(|render| format!("{} ms", render.ms));
                row.insert(4, ms.unwrap_or_default());
            }
            row
        })
        .collect();
    let mut header: Vec<String> = ["ROUTE", "FILE", "LAYOUT", "STATUS", "REASON", "FIX"]
        .map(str::to_owned)
        .to_vec();
    if rendered {
        header.insert(4, "RENDER".to_owned());
    }
    let mut widths = vec![0; header.len()];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut table = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths.iter().copied())
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        let _ = writeln!(table, "{}", cells.join("  ").trim_end());
    }
    table
}

/// Every route of the project with its problems and the module rendering it, and the
/// `routes.ts` files we could not read in full. `diagnostics` are the findings of the other
/// frontend rules: a route fails when its module reaches one, or a run-time import cycle.
pub(crate) fn discover(context: &Context<'_>, diagnostics: &[Diagnostic]) -> Discovered {
    let mut routes = next_routes(context);
    for (route, module) in &mut routes {
        if let Some(module) = *module
            && route.kind.needs_default_export()
        {
            route
                .problems
                .extend(no_default_export(context, route, module, None));
        }
    }
    routes.extend(router_routes(context));
    let framework = framework::discover(context);
    for (mut route, module) in framework.routes {
        // A leaf route renders its default export; without one it is a resource route when it
        // has a `loader` or `action`, and renders nothing otherwise. A layout without one
        // renders its `<Outlet />`.
        if let Some(module) = module
            && route.kind == RouteKind::Page
        {
            let has = |name: &str| context.exports.lookup(module, name) != Lookup::Missing;
            if !has("default") && (has("loader") || has("action")) {
                route.kind = RouteKind::Resource;
            } else {
                let hint = "export the route component as `export default`, or a `loader` or `action` for a resource route";
                route
                    .problems
                    .extend(no_default_export(context, &route, module, Some(hint)));
            }
        }
        routes.push((route, module));
    }
    let blockers = Blockers::new(context, diagnostics, context.cycles);
    for (route, module) in &mut routes {
        if let Some(module) = *module {
            route
                .problems
                .extend(blockers.reached_from(context, module));
        }
    }
    routes.sort_by(|(a, _), (b, _)| (&a.path, &a.file).cmp(&(&b.path, &b.file)));
    Discovered {
        routes,
        unreadable_configs: framework.unreadable,
    }
}

/// What [`discover`] finds.
pub(crate) struct Discovered {
    pub routes: Vec<(Route, Option<ModuleId>)>,
    /// `routes.ts` files that compute routes in a way we cannot read, and where.
    pub unreadable_configs: Vec<(PathBuf, TextRange)>,
}

/// The problem of a route whose module has no default export, if it has none.
fn no_default_export(
    context: &Context<'_>,
    route: &Route,
    module: ModuleId,
    fix: Option<&str>,
) -> Option<RouteProblem> {
    (context.exports.lookup(module, "default") == Lookup::Missing).then(|| RouteProblem {
        kind: ProblemKind::NoDefaultExport,
        reason: "the module has no default export".to_owned(),
        fix: Some(
            fix.unwrap_or("export the component as `export default`")
                .to_owned(),
        ),
        path: route.file.clone(),
        range: TextRange::default(),
    })
}

/// The Next.js router directories: `[frontend] routes`, or every `app` / `pages` directory
/// beside a `next.config.*` (or in `src/` beside one).
fn next_roots(context: &Context<'_>) -> Vec<(PathBuf, bool)> {
    let is_pages = |dir: &Path| dir.file_name().is_some_and(|name| name == "pages");
    if let Some(routes) = &context.config.routes {
        let dir = PathBuf::from(routes);
        let pages = is_pages(&dir);
        return vec![(dir, pages)];
    }
    let mut candidates = HashSet::new();
    for module in &context.modules.modules {
        for dir in module.path.ancestors().skip(1) {
            if dir
                .file_name()
                .is_some_and(|name| name == "app" || name == "pages")
            {
                candidates.insert(dir.to_path_buf());
            }
        }
    }
    let mut roots: Vec<(PathBuf, bool)> = candidates
        .into_iter()
        .filter(|dir| has_next_config(context, dir))
        .map(|dir| {
            let pages = is_pages(&dir);
            (dir, pages)
        })
        .collect();
    roots.sort();
    roots
}

fn has_next_config(context: &Context<'_>, router_dir: &Path) -> bool {
    let parent = router_dir.parent().unwrap_or(Path::new(""));
    let project = if parent.file_name().is_some_and(|name| name == "src") {
        parent.parent().unwrap_or(Path::new(""))
    } else {
        parent
    };
    ["js", "mjs", "cjs", "ts", "mts"].iter().any(|extension| {
        let config = project.join(format!("next.config.{extension}"));
        context
            .modules
            .fs
            .is_file(&context.modules.absolute(&config))
    })
}

fn next_routes(context: &Context<'_>) -> Vec<(Route, Option<ModuleId>)> {
    let roots = next_roots(context);
    let mut routes = Vec::new();
    for (id, module) in context.modules.modules.iter().enumerate() {
        if module.dialect == Dialect::Declaration {
            continue;
        }
        let Some((root, pages)) = roots
            .iter()
            .filter(|(root, _)| module.path.starts_with(root))
            .max_by_key(|(root, _)| root.components().count())
        else {
            continue;
        };
        let Ok(relative) = module.path.strip_prefix(root) else {
            continue;
        };
        let route = if *pages {
            pages_route(relative)
        } else {
            app_route(relative)
        };
        if let Some((path, kind)) = route {
            routes.push((
                Route {
                    path,
                    file: module.path.clone(),
                    kind,
                    parent: None,
                    declared_in: module.path.clone(),
                    declaration: TextRange::default(),
                    problems: Vec::new(),
                    render: None,
                    object: None,
                },
                Some(id),
            ));
        }
    }
    routes
}

fn stem(path: &Path) -> Option<&str> {
    path.file_name()?.to_str()?.split('.').next()
}

/// `shop/(store)/[id]/page.tsx` -> `/shop/[id]`, a page. Route groups `(x)` and parallel slots
/// `@x` are not part of the path; private folders `_x` are not routes at all.
fn app_route(relative: &Path) -> Option<(String, RouteKind)> {
    let kind = match stem(relative)? {
        "page" => RouteKind::Page,
        "layout" => RouteKind::Layout,
        "loading" => RouteKind::Loading,
        "error" | "global-error" => RouteKind::Error,
        "not-found" => RouteKind::NotFound,
        "template" => RouteKind::Template,
        "default" => RouteKind::Default,
        "route" => RouteKind::Handler,
        _ => return None,
    };
    let mut segments = Vec::new();
    for component in relative.parent()?.components() {
        let segment = component.as_os_str().to_str()?;
        if segment.starts_with('_') {
            return None;
        }
        let is_group = segment.starts_with('(') && segment.ends_with(')');
        if !is_group && !segment.starts_with('@') {
            segments.push(segment);
        }
    }
    Some((format!("/{}", segments.join("/")), kind))
}

/// `shop/[id].tsx` -> `/shop/[id]`, `shop/index.tsx` -> `/shop`; `api/*` are handlers. The
/// special files at the top are not pages (Next.js serves no `/_app`): `_app` and `_document`
/// wrap every page, `_error` renders errors.
fn pages_route(relative: &Path) -> Option<(String, RouteKind)> {
    let name = stem(relative)?;
    if relative.parent() == Some(Path::new("")) {
        match name {
            "_app" | "_document" => return Some(("/".to_owned(), RouteKind::Layout)),
            "_error" => return Some(("/".to_owned(), RouteKind::Error)),
            _ => {}
        }
    }
    let mut segments: Vec<&str> = relative
        .parent()?
        .components()
        .map(|component| component.as_os_str().to_str())
        .collect::<Option<_>>()?;
    if name != "index" {
        segments.push(name);
    }
    let kind = if segments.first() == Some(&"api") {
        RouteKind::Api
    } else {
        RouteKind::Page
    };
    Some((format!("/{}", segments.join("/")), kind))
}

/// React Router route objects, each with the module of its component and, as its layout,
/// the module of its parent route's component.
fn router_routes(context: &Context<'_>) -> Vec<(Route, Option<ModuleId>)> {
    let mut routes = Vec::new();
    for (id, module) in context.parsed() {
        let Some(facts) = module.facts() else {
            continue;
        };
        let first = routes.len();
        for (index, declared) in facts.router_routes.iter().enumerate() {
            let parent = declared.parent.and_then(|parent| {
                let (route, _): &(Route, _) = routes.get(first + parent)?;
                Some(route.file.clone())
            });
            let mut route = Route {
                path: declared.path.clone(),
                file: module.path.clone(),
                kind: RouteKind::Element,
                parent,
                declared_in: module.path.clone(),
                declaration: declared.range,
                problems: Vec::new(),
                render: None,
                object: Some(RouteObject {
                    position: declared.position.clone(),
                    has_children: facts
                        .router_routes
                        .iter()
                        .any(|child| child.parent == Some(index)),
                }),
            };
            let rendered = match &declared.component {
                Some(component) => component_module(context, id, component, &mut route),
                None => Some(id),
            };
            if let Some(rendered) = rendered {
                route.file = context.module(rendered).path.clone();
            }
            routes.push((route, rendered));
        }
    }
    routes
}

/// The module that defines a route's component; records why not when it cannot be found.
fn component_module(
    context: &Context<'_>,
    id: ModuleId,
    component: &RouteComponent,
    route: &mut Route,
) -> Option<ModuleId> {
    let module = context.module(id);
    let facts = module.facts()?;
    let (import, binding) = match component {
        RouteComponent::Local(name) => match facts.imported_local(name) {
            Some((import, binding)) => (import, Some(binding)),
            None => return Some(id),
        },
        RouteComponent::Lazy(specifier) => {
            let import = facts.imports.iter().position(|import| {
                import.form == ImportForm::Dynamic && &import.specifier == specifier
            })?;
            (import, None)
        }
    };
    let import_facts = &facts.imports[import];
    match &module.targets[import] {
        Target::Module(target) => {
            let wanted = binding.and_then(|binding| {
                let binding = &import_facts.bindings[binding];
                binding.imported.export_name().map(str::to_owned)
            });
            if let Some(name) = wanted
                && context.exports.lookup(*target, &name) == Lookup::Missing
            {
                route.problems.push(RouteProblem {
                    kind: ProblemKind::MissingComponent,
                    reason: if name == "default" {
                        format!("`{}` has no default export", import_facts.specifier)
                    } else {
                        format!("`{}` does not export `{name}`", import_facts.specifier)
                    },
                    fix: Some(format!(
                        "export `{name}` from `{}`, or import what it exports",
                        display_path(&context.module(*target).path)
                    )),
                    path: module.path.clone(),
                    range: import_facts.specifier_range,
                });
            }
            Some(*target)
        }
        Target::Unresolved(reason) => {
            route.problems.push(RouteProblem {
                kind: ProblemKind::MissingComponent,
                reason: format!("cannot resolve `{}`: {reason}", import_facts.specifier),
                fix: None,
                path: module.path.clone(),
                range: import_facts.specifier_range,
            });
            None
        }
        Target::External | Target::Asset => None,
    }
}

/// Whether a module of the run-time cycle `component` reads a binding of another member while
/// it evaluates (`class A extends B`, `const x = f()`, JSX or `export default` at the top):
/// whichever module the cycle runs first meets the other's binding uninitialised. A cycle
/// whose bindings are only read inside functions loads fine (it stays an
/// `frontend/import-cycle` finding, but does not break the routes that reach it).
fn evaluates_in_cycle(context: &Context<'_>, component: &CycleComponent) -> bool {
    let members: HashSet<ModuleId> = component.members.iter().copied().collect();
    component.members.iter().any(|&member| {
        let module = context.module(member);
        let Some(facts) = module.facts() else {
            return false;
        };
        facts
            .imports
            .iter()
            .zip(&module.targets)
            .any(|(import, target)| {
                matches!(target, Target::Module(to) if members.contains(to))
                    && import
                        .bindings
                        .iter()
                        .any(|binding| binding.usage.evaluated)
            })
    })
}

/// The modules a route must not reach, each with its first problem.
struct Blockers {
    problems: HashMap<ModuleId, RouteProblem>,
    runtime: Vec<Vec<ModuleId>>,
}

/// The rules whose findings break a module at build or run time.
const BREAKING_RULES: [&str; 4] = [
    "frontend/parse-error",
    "frontend/unresolved-import",
    "frontend/missing-export",
    "frontend/missing-default-export",
];

impl Blockers {
    fn new(context: &Context<'_>, diagnostics: &[Diagnostic], cycles: &[CycleComponent]) -> Self {
        let ids: HashMap<&Path, ModuleId> = context
            .modules
            .modules
            .iter()
            .enumerate()
            .map(|(id, module)| (module.path.as_path(), id))
            .collect();
        let mut problems = HashMap::new();
        for diagnostic in diagnostics {
            if diagnostic.severity != Severity::Error
                || !BREAKING_RULES.contains(&diagnostic.rule.as_str())
            {
                continue;
            }
            if let Some(&id) = ids.get(diagnostic.path.as_path()) {
                problems.entry(id).or_insert_with(|| RouteProblem {
                    kind: ProblemKind::Reaches,
                    reason: format!(
                        "reaches `{}`: {}",
                        display_path(&diagnostic.path),
                        diagnostic.message
                    ),
                    fix: diagnostic
                        .fix
                        .as_ref()
                        .map(|fix| fix.title.clone())
                        .or_else(|| diagnostic.help.clone()),
                    path: diagnostic.path.clone(),
                    range: diagnostic.range,
                });
            }
        }
        for component in cycles
            .iter()
            .filter(|component| component.runtime && evaluates_in_cycle(context, component))
        {
            let chain: Vec<String> = component
                .cycle
                .iter()
                .map(|&id| display_path(&context.module(id).path))
                .collect();
            for &member in &component.members {
                let path = context.module(member).path.clone();
                problems.entry(member).or_insert_with(|| RouteProblem {
                    kind: ProblemKind::Reaches,
                    reason: format!(
                        "reaches `{}`, which is in a run-time import cycle ({})",
                        display_path(&path),
                        chain.join(" -> ")
                    ),
                    fix: Some("break the cycle (see frontend/import-cycle)".to_owned()),
                    path,
                    range: TextRange::default(),
                });
            }
        }
        let runtime = context.graph.adjacency(crate::graph::EdgeKind::is_runtime);
        Self { problems, runtime }
    }

    /// The problem of the nearest module `start` reaches through run-time imports, itself
    /// included.
    fn reached_from(&self, context: &Context<'_>, start: ModuleId) -> Option<RouteProblem> {
        if self.problems.is_empty() {
            return None;
        }
        let mut seen = vec![false; context.modules.modules.len()];
        let mut queue = VecDeque::from([start]);
        seen[start] = true;
        while let Some(module) = queue.pop_front() {
            if let Some(problem) = self.problems.get(&module) {
                return Some(problem.clone());
            }
            for &next in &self.runtime[module] {
                if !seen[next] {
                    seen[next] = true;
                    queue.push_back(next);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_segments_are_spelled_as_patterns() {
        assert_eq!(super::route_pattern("/shop/[id]"), "/shop/:id");
        assert_eq!(super::route_pattern("/docs/[...slug]"), "/docs/*");
        assert_eq!(super::route_pattern("/shop/[[...filters]]"), "/shop/*");
        assert_eq!(
            super::route_pattern("/products/:handle"),
            "/products/:handle"
        );
        assert_eq!(super::route_pattern("/"), "/");
    }

    use super::*;

    #[test]
    fn app_router_paths() {
        let cases = [
            ("page.tsx", Some(("/", RouteKind::Page))),
            ("shop/[id]/page.tsx", Some(("/shop/[id]", RouteKind::Page))),
            (
                "(store)/cart/layout.tsx",
                Some(("/cart", RouteKind::Layout)),
            ),
            (
                "docs/[...slug]/page.jsx",
                Some(("/docs/[...slug]", RouteKind::Page)),
            ),
            (
                "shop/[[...filters]]/loading.js",
                Some(("/shop/[[...filters]]", RouteKind::Loading)),
            ),
            (
                "@modal/(.)photo/page.tsx",
                Some(("/(.)photo", RouteKind::Page)),
            ),
            (
                "api/orders/route.ts",
                Some(("/api/orders", RouteKind::Handler)),
            ),
            ("shop/not-found.tsx", Some(("/shop", RouteKind::NotFound))),
            ("_components/button.tsx", None),
            ("shop/_lib/page.tsx", None),
            ("shop/utils.ts", None),
        ];
        for (path, expected) in cases {
            let found = app_route(Path::new(path));
            let expected = expected.map(|(route, kind)| (route.to_owned(), kind));
            assert_eq!(found, expected, "{path}");
        }
    }

    #[test]
    fn pages_router_paths() {
        let cases = [
            ("index.tsx", ("/", RouteKind::Page)),
            ("shop/index.tsx", ("/shop", RouteKind::Page)),
            ("shop/[id].tsx", ("/shop/[id]", RouteKind::Page)),
            ("api/orders.ts", ("/api/orders", RouteKind::Api)),
            ("_app.tsx", ("/", RouteKind::Layout)),
            ("_document.tsx", ("/", RouteKind::Layout)),
            ("_error.tsx", ("/", RouteKind::Error)),
            ("shop/_app.tsx", ("/shop/_app", RouteKind::Page)),
        ];
        for (path, (route, kind)) in cases {
            assert_eq!(
                pages_route(Path::new(path)),
                Some((route.to_owned(), kind)),
                "{path}"
            );
        }
    }
}

#[cfg(test)]
mod table_tests {
    use super::*;
    use crate::rules::testing::fixture;

    #[test]
    fn routes_of_both_routers_and_react_router() {
        for name in ["routes-next", "routes-react-router"] {
            let report = fixture(name).report();
            insta::assert_snapshot!(name, routes_table(&report.routes));
        }
    }

    /// The route table of a React Router 7 app (`routes.ts`: `route`, `index`, `layout`,
    /// `prefix`, a wrapper around `...await flatRoutes({ ignoredRouteFiles })`) and of a Remix
    /// v2 flat-routes app equal, row for row (path, file, parent layout), the tables the
    /// frameworks build. Those tables (`fixtures/rules/frontend/<fixture>.routes.tsv`) were
    /// written by `fixtures/rules/frontend/framework-routes.mjs`, which runs
    /// `@react-router/dev@7` + `@react-router/fs-routes@7` (7.18.7) and `@remix-run/dev@2`'s
    /// `flatRoutes` on the fixture; see its header for the commands.
    #[test]
    fn framework_routes_equal_the_frameworks_own_tables() {
        for name in ["routes-react-router-framework", "routes-remix-flat"] {
            let expected_file = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../fixtures/rules/frontend")
                .join(format!("{name}.routes.tsv"));
            let expected = std::fs::read_to_string(&expected_file).expect("the expected table");
            let mut expected: Vec<&str> = expected.lines().collect();
            expected.sort_unstable();
            let report = fixture(name).report();
            let mut found: Vec<String> = report
                .routes
                .iter()
                .map(|route| {
                    let parent = route
                        .parent
                        .as_deref()
                        .map(display_path)
                        .unwrap_or_default();
                    format!("{}\t{}\t{parent}", route.path, display_path(&route.file))
                })
                .collect();
            found.sort_unstable();
            assert_eq!(found, expected, "{name}");
        }
    }

    #[test]
    fn route_objects_and_route_elements_know_their_parent_and_place_in_the_router() {
        let report = fixture("routes-react-router").report();
        let mut found: Vec<String> = report
            .routes
            .iter()
            .filter_map(|route| {
                let object = route.object.as_ref()?;
                Some(format!(
                    "{} {} in {} at {:?}{}",
                    route.path,
                    display_path(&route.file),
                    display_path(&route.declared_in),
                    object.position,
                    if object.has_children {
                        " with children"
                    } else {
                        ""
                    },
                ))
            })
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                "/ src/routes/home.tsx in src/main.tsx at Some([0, 0])",
                "/ src/routes/root.tsx in src/main.tsx at Some([0]) with children",
                "/cart src/routes/cart.tsx in src/main.tsx at Some([0, 1])",
                "/checkout src/routes/checkout.tsx in src/main.tsx at Some([0, 2])",
                "/help src/main.tsx in src/main.tsx at Some([0, 4])",
                "/legacy src/routes/home.tsx in src/elements.tsx at None",
                "/orders/:id src/routes/order.tsx in src/main.tsx at Some([0, 3])",
                "/shop src/routes/home.tsx in src/elements.tsx at Some([0, 0])",
                "/shop src/routes/root.tsx in src/elements.tsx at Some([0]) with children",
                "/shop/about src/routes/home.tsx in src/elements.tsx at Some([0, 1])",
            ]
        );
    }

    #[test]
    fn framework_route_kinds_and_problems() {
        let report = fixture("routes-react-router-framework").report();
        let kind = |file: &str| {
            report
                .routes
                .iter()
                .find(|route| display_path(&route.file) == file)
                .map(|route| (route.kind, route.is_ok()))
        };
        assert_eq!(
            kind("app/routes/api.cart.ts"),
            Some((RouteKind::Resource, true))
        );
        assert_eq!(
            kind("app/routes/account.tsx"),
            Some((RouteKind::Layout, true))
        );
        assert_eq!(
            kind("app/routes/_auth.tsx"),
            Some((RouteKind::Layout, true))
        );
        assert_eq!(kind("app/routes/_index.tsx"), Some((RouteKind::Page, true)));
        assert_eq!(kind("app/root.tsx"), Some((RouteKind::Layout, true)));
    }

    #[test]
    fn the_configured_routes_directory_wins() {
        let mut project = fixture("routes-next");
        project.config.routes = Some("pages".to_owned());
        let paths: Vec<String> = project
            .report()
            .routes
            .iter()
            .map(|route| format!("{} {}", route.path, display_path(&route.file)))
            .collect();
        assert_eq!(
            paths,
            ["/api/ping pages/api/ping.ts", "/legacy pages/legacy.tsx"]
        );
    }
}
