//! React Router route objects: the static part of `createBrowserRouter([...])` (and its hash,
//! memory and static siblings, and `useRoutes([...])`): each route's full path and the
//! component it renders.

use swc_ecma_ast::{
    ArrayLit, CallExpr, Callee, Expr, JSXElementName, Lit, ObjectLit, Prop, PropName, PropOrSpread,
};
use swc_ecma_visit::{Visit, VisitWith};

use super::{RouteComponent, RouterRoute};
use crate::parse::ParsedModule;

/// The functions whose first argument is an array of route objects.
const ROUTER_FUNCTIONS: [&str; 5] = [
    "createBrowserRouter",
    "createHashRouter",
    "createMemoryRouter",
    "createStaticRouter",
    "useRoutes",
];

/// The routes declared by `call`, when it is a router call with a literal array of routes.
pub(super) fn router_routes(parsed: &ParsedModule, call: &CallExpr) -> Vec<RouterRoute> {
    let Callee::Expr(callee) = &call.callee else {
        return Vec::new();
    };
    let Expr::Ident(function) = &**callee else {
        return Vec::new();
    };
    if !ROUTER_FUNCTIONS.contains(&function.sym.as_str()) {
        return Vec::new();
    }
    let Some(Expr::Array(routes)) = call.args.first().map(|argument| &*argument.expr) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    collect_routes(parsed, routes, "/", &mut found);
    found
}

fn collect_routes(
    parsed: &ParsedModule,
    routes: &ArrayLit,
    parent: &str,
    found: &mut Vec<RouterRoute>,
) {
    for element in routes.elems.iter().flatten() {
        if let Expr::Object(route) = &*element.expr {
            collect_route(parsed, route, parent, found);
        }
    }
}

fn collect_route(
    parsed: &ParsedModule,
    route: &ObjectLit,
    parent: &str,
    found: &mut Vec<RouterRoute>,
) {
    let mut path = None;
    let mut component = None;
    let mut children = None;
    for property in &route.props {
        let PropOrSpread::Prop(property) = property else {
            continue;
        };
        match &**property {
            Prop::KeyValue(key_value) => match (key_name(&key_value.key), &*key_value.value) {
                (Some("path"), Expr::Lit(Lit::Str(text))) => {
                    path = Some(text.value.to_string_lossy().into_owned());
                }
                (Some("element"), Expr::JSXElement(element)) => {
                    if let JSXElementName::Ident(name) = &element.opening.name {
                        component = Some(RouteComponent::Local(name.sym.to_string()));
                    }
                }
                (Some("Component"), Expr::Ident(name)) => {
                    component = Some(RouteComponent::Local(name.sym.to_string()));
                }
                (Some("lazy"), value) => {
                    component = lazy_module(value).map(RouteComponent::Lazy).or(component);
                }
                (Some("children"), Expr::Array(nested)) => children = Some(nested),
                _ => {}
            },
            Prop::Method(method) if key_name(&method.key) == Some("lazy") => {
                let mut finder = DynamicImport(None);
                method.function.visit_with(&mut finder);
                component = finder.0.map(RouteComponent::Lazy).or(component);
            }
            _ => {}
        }
    }
    let full_path = join(parent, path.as_deref());
    if path.is_some() || component.is_some() {
        found.push(RouterRoute {
            path: full_path.clone(),
            component,
            range: parsed.range(route.span),
        });
    }
    if let Some(children) = children {
        collect_routes(parsed, children, &full_path, found);
    }
}

fn key_name(key: &PropName) -> Option<&str> {
    match key {
        PropName::Ident(name) => Some(name.sym.as_str()),
        PropName::Str(text) => text.value.as_str(),
        _ => None,
    }
}

/// `parent` joined with a route's own path: absolute paths stand alone, an index route (no
/// path) is its parent's.
fn join(parent: &str, path: Option<&str>) -> String {
    match path {
        None | Some("") => parent.to_owned(),
        Some(path) if path.starts_with('/') => path.to_owned(),
        Some(path) => format!("{}/{path}", parent.trim_end_matches('/')),
    }
}

/// The module `lazy: () => import("./x")` loads.
fn lazy_module(value: &Expr) -> Option<String> {
    let mut finder = DynamicImport(None);
    value.visit_with(&mut finder);
    finder.0
}

/// The first `import("literal")` in a subtree.
struct DynamicImport(Option<String>);

impl Visit for DynamicImport {
    fn visit_call_expr(&mut self, call: &CallExpr) {
        if self.0.is_none()
            && matches!(call.callee, Callee::Import(_))
            && let Some(Expr::Lit(Lit::Str(text))) =
                call.args.first().map(|argument| &*argument.expr)
        {
            self.0 = Some(text.value.to_string_lossy().into_owned());
        }
        call.visit_children_with(self);
    }
}
