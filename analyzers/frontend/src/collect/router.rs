//! React Router route objects: the static part of `createBrowserRouter([...])` (and its hash,
//! memory and static siblings, and `useRoutes([...])`), of `createRoutesFromElements(<Route>…)`
//! and of `<Routes><Route …/></Routes>`: each route's full path, the component it renders, its
//! parent route and where it sits in the route array the router is given.

use swc_ecma_ast::{
    ArrayLit, CallExpr, Callee, Expr, JSXAttrName, JSXAttrOrSpread, JSXAttrValue, JSXElement,
    JSXElementChild, JSXElementName, JSXExpr, Lit, MemberProp, ObjectLit, Prop, PropName,
    PropOrSpread,
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

/// The functions that turn `<Route>` elements into route objects.
const FROM_ELEMENTS: [&str; 2] = ["createRoutesFromElements", "createRoutesFromChildren"];

/// Adds the routes declared by `call` to `found`, when it is a router call with a literal array
/// of routes or a `createRoutesFromElements` call with `<Route>` elements.
pub(super) fn router_routes(parsed: &ParsedModule, call: &CallExpr, found: &mut Vec<RouterRoute>) {
    let Callee::Expr(callee) = &call.callee else {
        return;
    };
    let Expr::Ident(function) = &**callee else {
        return;
    };
    let function = function.sym.as_str();
    let Some(argument) = call.args.first().map(|argument| &*argument.expr) else {
        return;
    };
    // `useRoutes` routes are rendered by the component that calls it, not given to a router.
    let walk = Walk {
        parsed,
        positioned: function != "useRoutes",
    };
    match argument {
        Expr::Array(routes) if ROUTER_FUNCTIONS.contains(&function) => {
            walk.objects(routes, &Parent::ROOT, found);
        }
        Expr::JSXElement(_) | Expr::JSXFragment(_) if FROM_ELEMENTS.contains(&function) => {
            let children = match argument {
                Expr::JSXElement(element) => vec![JSXElementChild::JSXElement(element.clone())],
                Expr::JSXFragment(fragment) => fragment.children.clone(),
                _ => Vec::new(),
            };
            walk.elements(&children, &Parent::ROOT, found);
        }
        _ => {}
    }
}

/// Adds the `<Route>`s of `element` to `found` when it is a `<Routes>` element.
pub(super) fn routes_element(
    parsed: &ParsedModule,
    element: &JSXElement,
    found: &mut Vec<RouterRoute>,
) {
    if element_name(element) != Some("Routes") {
        return;
    }
    let walk = Walk {
        parsed,
        positioned: false,
    };
    walk.elements(&element.children, &Parent::ROOT, found);
}

/// The route a nested route array belongs to.
struct Parent {
    path: String,
    /// Its index in `found`, when it was recorded.
    index: Option<usize>,
    position: Vec<usize>,
}

impl Parent {
    const ROOT: Parent = Parent {
        path: String::new(),
        index: None,
        position: Vec::new(),
    };
}

/// What one route declares.
#[derive(Default)]
struct Declared<'a, T> {
    path: Option<String>,
    component: Option<RouteComponent>,
    children: Option<&'a T>,
}

struct Walk<'a> {
    parsed: &'a ParsedModule,
    /// Whether the routes are an array a router is given (`<Routes>` children are not).
    positioned: bool,
}

impl Walk<'_> {
    fn objects(&self, routes: &ArrayLit, parent: &Parent, found: &mut Vec<RouterRoute>) {
        for (at, element) in routes.elems.iter().enumerate() {
            let Some(element) = element else { continue };
            if let Expr::Object(route) = &*element.expr {
                let declared = object_route(route);
                let children = declared.children;
                let here = self.record(declared, route.span, at, parent, found);
                if let Some(children) = children {
                    self.objects(children, &here, found);
                }
            }
        }
    }

    fn elements(
        &self,
        children: &[JSXElementChild],
        parent: &Parent,
        found: &mut Vec<RouterRoute>,
    ) {
        for (at, element) in route_elements(children).enumerate() {
            let declared = element_route(element);
            let nested = declared.children;
            let here = self.record(declared, element.span, at, parent, found);
            if let Some(nested) = nested {
                self.elements(nested, &here, found);
            }
        }
    }

    /// Records the route when it has a path or a component, and returns what its children
    /// nest under.
    fn record<T>(
        &self,
        declared: Declared<'_, T>,
        span: swc_common::Span,
        at: usize,
        parent: &Parent,
        found: &mut Vec<RouterRoute>,
    ) -> Parent {
        let path = join(&parent.path, declared.path.as_deref());
        let mut position = parent.position.clone();
        position.push(at);
        let mut index = parent.index;
        if declared.path.is_some() || declared.component.is_some() {
            index = Some(found.len());
            found.push(RouterRoute {
                path: if path.is_empty() {
                    "/".to_owned()
                } else {
                    path.clone()
                },
                component: declared.component,
                range: self.parsed.range(span),
                parent: parent.index,
                position: self.positioned.then(|| position.clone()),
            });
        }
        Parent {
            path,
            index,
            position,
        }
    }
}

fn object_route(route: &ObjectLit) -> Declared<'_, ArrayLit> {
    let mut declared = Declared::default();
    for property in &route.props {
        let PropOrSpread::Prop(property) = property else {
            continue;
        };
        match &**property {
            Prop::KeyValue(key_value) => {
                match (key_name(&key_value.key), key_value.value.unwrap_parens()) {
                    (Some("path"), value) => declared.path = path_value(value),
                    (Some("element"), Expr::JSXElement(element)) => {
                        declared.component = element_name(element)
                            .map(|name| RouteComponent::Local(name.to_owned()))
                            .or(declared.component);
                    }
                    (Some("Component"), Expr::Ident(name)) => {
                        declared.component = Some(RouteComponent::Local(name.sym.to_string()));
                    }
                    (Some("lazy"), value) => {
                        declared.component = lazy_module(value)
                            .map(RouteComponent::Lazy)
                            .or(declared.component);
                    }
                    (Some("children"), Expr::Array(nested)) => declared.children = Some(nested),
                    _ => {}
                }
            }
            Prop::Method(method) if key_name(&method.key) == Some("lazy") => {
                let mut finder = DynamicImport(None);
                method.function.visit_with(&mut finder);
                declared.component = finder.0.map(RouteComponent::Lazy).or(declared.component);
            }
            _ => {}
        }
    }
    declared
}

fn element_route(element: &JSXElement) -> Declared<'_, Vec<JSXElementChild>> {
    let mut declared = Declared::default();
    for attribute in &element.opening.attrs {
        let JSXAttrOrSpread::JSXAttr(attribute) = attribute else {
            continue;
        };
        let JSXAttrName::Ident(name) = &attribute.name else {
            continue;
        };
        let value = match &attribute.value {
            Some(JSXAttrValue::Str(text)) => {
                if name.sym == "path" {
                    declared.path = Some(text.value.to_string_lossy().into_owned());
                }
                continue;
            }
            Some(JSXAttrValue::JSXExprContainer(container)) => match &container.expr {
                JSXExpr::Expr(expr) => expr.unwrap_parens(),
                JSXExpr::JSXEmptyExpr(_) => continue,
            },
            _ => continue,
        };
        match (name.sym.as_str(), value) {
            ("path", value) => declared.path = path_value(value),
            ("element", Expr::JSXElement(inner)) => {
                declared.component = element_name(inner)
                    .map(|name| RouteComponent::Local(name.to_owned()))
                    .or(declared.component);
            }
            ("Component", Expr::Ident(component)) => {
                declared.component = Some(RouteComponent::Local(component.sym.to_string()));
            }
            ("lazy", value) => {
                declared.component = lazy_module(value)
                    .map(RouteComponent::Lazy)
                    .or(declared.component);
            }
            _ => {}
        }
    }
    if route_elements(&element.children).next().is_some() {
        declared.children = Some(&element.children);
    }
    declared
}

/// The `<Route>` elements among `children`, fragments flattened as React Router does.
fn route_elements(children: &[JSXElementChild]) -> Box<dyn Iterator<Item = &JSXElement> + '_> {
    Box::new(children.iter().flat_map(|child| match child {
        JSXElementChild::JSXElement(element) if element_name(element) == Some("Route") => {
            Box::new(std::iter::once(&**element)) as Box<dyn Iterator<Item = &JSXElement>>
        }
        JSXElementChild::JSXFragment(fragment) => route_elements(&fragment.children),
        _ => Box::new(std::iter::empty()),
    }))
}

fn element_name(element: &JSXElement) -> Option<&str> {
    match &element.opening.name {
        JSXElementName::Ident(name) => Some(name.sym.as_str()),
        _ => None,
    }
}

/// A literal path, or a path computed at run time as its expression in braces
/// (`{paths.app.root}`; `{…}` when it is not a name).
fn path_value(value: &Expr) -> Option<String> {
    match value {
        Expr::Lit(Lit::Str(text)) => Some(text.value.to_string_lossy().into_owned()),
        Expr::Tpl(template) if template.exprs.is_empty() => {
            template.quasis.first().map(|quasi| quasi.raw.to_string())
        }
        value => Some(format!(
            "{{{}}}",
            expression_name(value).unwrap_or("…".into())
        )),
    }
}

/// `a.b.c` for an identifier or a chain of property reads.
fn expression_name(value: &Expr) -> Option<String> {
    match value {
        Expr::Ident(name) => Some(name.sym.to_string()),
        Expr::Member(member) => {
            let MemberProp::Ident(property) = &member.prop else {
                return None;
            };
            Some(format!(
                "{}.{}",
                expression_name(&member.obj)?,
                property.sym
            ))
        }
        Expr::Paren(inner) => expression_name(&inner.expr),
        _ => None,
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
