//! axum routers and utoipa `#[utoipa::path]` attributes of a Rust file.
//!
//! For every function this finds the router it builds: `.route("/p", get(h).post(h2))` calls,
//! `.nest("/prefix", other)` and `.merge(other)` where `other` is a router built in place, a
//! local variable holding one, or a call to another function (`api::router()`), which a
//! crate-level pass (in `commerce_contracts`) resolves across functions and modules. Paths are
//! kept as written (`/orders/:id` in axum 0.7, `/orders/{id}` in 0.8).

use std::collections::HashMap;

use commerce_diagnostics::TextRange;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Attribute, Expr, ExprCall, ExprMethodCall, ItemFn, ItemMod, Lit, Meta, Stmt};

use crate::parse::{ParseError, SpanMap, with_parsed_file};

/// The routers and utoipa paths of one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileRoutes {
    pub functions: Vec<RouterFn>,
    pub utoipa: Vec<UtoipaPath>,
}

/// A function (or method) that builds a router.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouterFn {
    pub name: String,
    /// The inline modules around it in this file.
    pub modules: Vec<String>,
    pub router: RouterExpr,
}

/// What a router expression declares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouterExpr {
    pub routes: Vec<RouteDecl>,
    /// `.nest(prefix, ..)` and `.merge(..)` (with an empty prefix), in source order.
    pub nests: Vec<Nest>,
}

impl RouterExpr {
    fn is_empty(&self) -> bool {
        self.routes.is_empty() && self.nests.is_empty()
    }

    fn absorb(&mut self, other: RouterExpr) {
        self.routes.extend(other.routes);
        self.nests.extend(other.nests);
    }
}

/// One `.route(path, method_router)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteDecl {
    /// As written.
    pub path: String,
    /// The byte range of the path literal.
    pub range: TextRange,
    /// Upper-case methods (`GET`); `ANY` for `any(..)`.
    pub methods: Vec<String>,
}

/// A router mounted under a prefix (`nest`) or merged in (`merge`, prefix `""`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nest {
    pub prefix: String,
    pub range: TextRange,
    pub target: NestTarget,
}

/// The router a [`Nest`] mounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NestTarget {
    /// Built in place (or through a local variable).
    Inline(RouterExpr),
    /// The result of calling a function, by its path as written (`api::router`).
    Call(Vec<String>),
}

/// A `#[utoipa::path(get, path = "/pets/{id}")]` attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UtoipaPath {
    pub method: String,
    pub path: String,
    /// The byte range of the attribute.
    pub range: TextRange,
    /// The annotated handler.
    pub handler: String,
}

/// Every router-building function and utoipa path of the Rust source `text`.
pub fn file_routes(text: &str) -> Result<FileRoutes, ParseError> {
    with_parsed_file(text, |file, spans| {
        let mut collector = Collector {
            spans,
            modules: Vec::new(),
            found: FileRoutes::default(),
        };
        collector.visit_file(file);
        collector.found
    })
}

struct Collector<'s> {
    spans: &'s SpanMap,
    modules: Vec<String>,
    found: FileRoutes,
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_mod(&mut self, module: &'ast ItemMod) {
        self.modules.push(module.ident.to_string());
        visit::visit_item_mod(self, module);
        self.modules.pop();
    }

    fn visit_item_fn(&mut self, function: &'ast ItemFn) {
        self.function(
            &function.sig.ident.to_string(),
            &function.attrs,
            &function.block.stmts,
        );
        visit::visit_item_fn(self, function);
    }

    fn visit_impl_item_fn(&mut self, function: &'ast syn::ImplItemFn) {
        self.function(
            &function.sig.ident.to_string(),
            &function.attrs,
            &function.block.stmts,
        );
        visit::visit_impl_item_fn(self, function);
    }
}

impl Collector<'_> {
    fn function(&mut self, name: &str, attributes: &[Attribute], body: &[Stmt]) {
        for attribute in attributes {
            if let Some(path) = self.utoipa_path(attribute, name) {
                self.found.utoipa.push(path);
            }
        }
        let router = FnRouters::new(self.spans).of_body(body);
        if !router.is_empty() {
            self.found.functions.push(RouterFn {
                name: name.to_owned(),
                modules: self.modules.clone(),
                router,
            });
        }
    }

    fn utoipa_path(&self, attribute: &Attribute, handler: &str) -> Option<UtoipaPath> {
        let segments: Vec<String> = attribute
            .path()
            .segments
            .iter()
            .map(|segment| segment.ident.to_string())
            .collect();
        if segments.last().map(String::as_str) != Some("path")
            || segments.first().is_none_or(|first| first != "utoipa")
        {
            return None;
        }
        let Meta::List(list) = &attribute.meta else {
            return None;
        };
        let arguments = list
            .parse_args_with(syn::punctuated::Punctuated::<Meta, syn::Token![,]>::parse_terminated)
            .ok()?;
        let mut method = None;
        let mut path = None;
        for argument in arguments {
            match argument {
                Meta::Path(word) => {
                    if let Some(ident) = word.get_ident() {
                        let name = ident.to_string();
                        if HTTP_METHODS.contains(&name.as_str()) {
                            method = Some(name.to_uppercase());
                        }
                    }
                }
                Meta::NameValue(pair) if pair.path.is_ident("path") => {
                    if let Expr::Lit(literal) = &pair.value
                        && let Lit::Str(text) = &literal.lit
                    {
                        path = Some(text.value());
                    }
                }
                _ => {}
            }
        }
        Some(UtoipaPath {
            method: method?,
            path: path?,
            range: self.spans.range(attribute.span()),
            handler: handler.to_owned(),
        })
    }
}

/// The HTTP methods axum's method routers and utoipa name, lower case.
const HTTP_METHODS: [&str; 9] = [
    "get", "post", "put", "delete", "patch", "head", "options", "trace", "connect",
];

/// The router expressions of one function body, with its local router variables.
struct FnRouters<'s> {
    spans: &'s SpanMap,
    /// Local variables bound to router expressions, and whether another expression used them.
    locals: HashMap<String, (RouterExpr, bool)>,
}

impl<'s> FnRouters<'s> {
    fn new(spans: &'s SpanMap) -> Self {
        Self {
            spans,
            locals: HashMap::new(),
        }
    }

    /// Everything the body declares: each statement's router expression, and the local router
    /// variables no other expression mounted.
    fn of_body(mut self, body: &[Stmt]) -> RouterExpr {
        let mut router = RouterExpr::default();
        for statement in body {
            match statement {
                Stmt::Local(local) => {
                    let Some(init) = &local.init else { continue };
                    let found = self.router(&init.expr);
                    if found.is_empty() {
                        continue;
                    }
                    match &local.pat {
                        syn::Pat::Ident(binding) => {
                            self.locals
                                .insert(binding.ident.to_string(), (found, false));
                        }
                        _ => router.absorb(found),
                    }
                }
                Stmt::Expr(expr, _) => router.absorb(self.router(expr)),
                Stmt::Item(_) | Stmt::Macro(_) => {}
            }
        }
        for (_, (local, used)) in std::mem::take(&mut self.locals) {
            if !used {
                router.absorb(local);
            }
        }
        router
    }

    /// The router an expression builds; empty when it builds none.
    fn router(&mut self, expr: &Expr) -> RouterExpr {
        match expr {
            Expr::MethodCall(call) => self.method_call(call),
            Expr::Paren(inner) => self.router(&inner.expr),
            Expr::Group(inner) => self.router(&inner.expr),
            Expr::Return(ret) => ret
                .expr
                .as_deref()
                .map(|e| self.router(e))
                .unwrap_or_default(),
            Expr::Block(block) => FnRouters::new(self.spans).of_body(&block.block.stmts),
            Expr::Call(call) => {
                // `serve(listener, app)`, `Ok(router)`: look through the arguments.
                let mut router = RouterExpr::default();
                for argument in &call.args {
                    router.absorb(self.router(argument));
                }
                router
            }
            Expr::Await(inner) => self.router(&inner.base),
            Expr::Try(inner) => self.router(&inner.expr),
            Expr::Path(path) => path
                .path
                .get_ident()
                .and_then(|ident| self.use_local(&ident.to_string()))
                .unwrap_or_default(),
            _ => RouterExpr::default(),
        }
    }

    /// A local router variable, marked used.
    fn use_local(&mut self, name: &str) -> Option<RouterExpr> {
        let (router, used) = self.locals.get_mut(name)?;
        *used = true;
        Some(router.clone())
    }

    fn method_call(&mut self, call: &ExprMethodCall) -> RouterExpr {
        let method = call.method.to_string();
        let arguments: Vec<&Expr> = call.args.iter().collect();
        match (method.as_str(), arguments.as_slice()) {
            ("route" | "route_service", [path, method_router]) => {
                let mut router = self.router(&call.receiver);
                if let Some((path, range)) = self.string(path) {
                    router.routes.push(RouteDecl {
                        path,
                        range,
                        methods: methods_of(method_router),
                    });
                }
                router
            }
            ("nest" | "nest_service", [prefix, inner]) => {
                let mut router = self.router(&call.receiver);
                if let Some((prefix, range)) = self.string(prefix) {
                    let target = self.nest_target(inner);
                    router.nests.push(Nest {
                        prefix,
                        range,
                        target,
                    });
                }
                router
            }
            ("merge", [inner]) => {
                let mut router = self.router(&call.receiver);
                let range = self.spans.range(inner.span());
                let target = self.nest_target(inner);
                router.nests.push(Nest {
                    prefix: String::new(),
                    range,
                    target,
                });
                router
            }
            // Everything else on a router (`with_state`, `layer`, `fallback`, ...) keeps it.
            _ => self.router(&call.receiver),
        }
    }

    /// What a `nest`/`merge` argument mounts: a function's router, or one built in place.
    fn nest_target(&mut self, expr: &Expr) -> NestTarget {
        if let Some(path) = called_function(expr) {
            return NestTarget::Call(path);
        }
        NestTarget::Inline(self.router(expr))
    }

    fn string(&self, expr: &Expr) -> Option<(String, TextRange)> {
        match expr {
            Expr::Lit(literal) => match &literal.lit {
                Lit::Str(text) => Some((text.value(), self.spans.range(text.span()))),
                _ => None,
            },
            _ => None,
        }
    }
}

/// `api::router()`, `router(state.clone())`, `api::router().with_state(s)`: the called
/// function's path.
fn called_function(expr: &Expr) -> Option<Vec<String>> {
    match expr {
        Expr::Call(ExprCall { func, .. }) => match func.as_ref() {
            Expr::Path(path) => {
                let segments: Vec<String> = path
                    .path
                    .segments
                    .iter()
                    .map(|segment| segment.ident.to_string())
                    .collect();
                // `Router::new()` builds in place; it is no function of the crate.
                let builds_in_place =
                    segments.len() >= 2 && segments[segments.len() - 2] == "Router";
                (!builds_in_place).then_some(segments)
            }
            _ => None,
        },
        Expr::MethodCall(call)
            if !matches!(
                call.method.to_string().as_str(),
                "route" | "nest" | "merge" | "route_service" | "nest_service"
            ) =>
        {
            called_function(&call.receiver)
        }
        Expr::Paren(inner) => called_function(&inner.expr),
        _ => None,
    }
}

/// The methods a method router accepts: `get(h).post(h2)`, `axum::routing::get(h)`,
/// `on(MethodFilter::PUT, h)`, `any(h)`.
fn methods_of(expr: &Expr) -> Vec<String> {
    let mut methods = Vec::new();
    let mut current = Some(expr);
    while let Some(expr) = current {
        current = None;
        match expr {
            Expr::MethodCall(call) => {
                let name = call.method.to_string();
                if let Some(method) = method_name(&name) {
                    methods.push(method);
                } else if name == "on" {
                    methods.extend(call.args.first().and_then(method_filter));
                }
                current = Some(&call.receiver);
            }
            Expr::Call(call) => {
                if let Expr::Path(path) = call.func.as_ref()
                    && let Some(last) = path.path.segments.last()
                {
                    let name = last.ident.to_string();
                    if let Some(method) = method_name(&name) {
                        methods.push(method);
                    } else if name == "on" {
                        methods.extend(call.args.first().and_then(method_filter));
                    }
                }
            }
            _ => {}
        }
    }
    methods.reverse();
    methods
}

/// `get` / `get_service` as `GET`; `any` as `ANY`.
fn method_name(name: &str) -> Option<String> {
    let base = name.strip_suffix("_service").unwrap_or(name);
    if HTTP_METHODS.contains(&base) {
        Some(base.to_uppercase())
    } else if base == "any" {
        Some("ANY".to_owned())
    } else {
        None
    }
}

/// `MethodFilter::PUT` as `PUT`.
fn method_filter(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Path(path) => {
            let last = path.path.segments.last()?.ident.to_string();
            HTTP_METHODS
                .contains(&last.to_lowercase().as_str())
                .then(|| last.to_uppercase())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes_of(text: &str) -> FileRoutes {
        file_routes(text).expect("parses")
    }

    #[test]
    fn routes_with_method_routers_and_path_styles() {
        let text = r#"
use axum::{Router, routing::{get, post, on, MethodFilter}};
pub fn router() -> Router {
    Router::new()
        .route("/orders", get(list).post(create))
        .route("/orders/:id", axum::routing::get(show).delete(remove))
        .route("/orders/{id}/lines", on(MethodFilter::PUT, replace))
        .with_state(state)
}
"#;
        let found = routes_of(text);
        assert_eq!(found.functions.len(), 1);
        let routes = &found.functions[0].router.routes;
        let listed: Vec<(&str, Vec<&str>)> = routes
            .iter()
            .map(|route| {
                (
                    route.path.as_str(),
                    route.methods.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                ("/orders", vec!["GET", "POST"]),
                ("/orders/:id", vec!["GET", "DELETE"]),
                ("/orders/{id}/lines", vec!["PUT"]),
            ]
        );
        assert_eq!(&text[routes[1].range.to_usize_range()], "\"/orders/:id\"");
    }

    #[test]
    fn nest_merge_locals_and_calls() {
        let text = r#"
mod api {
    pub fn app(state: State) -> Router {
        let admin = Router::new().route("/stats", get(stats));
        Router::new()
            .nest("/api", orders::router(state.clone()))
            .nest("/admin", admin)
            .merge(health())
    }
}
async fn main() {
    let app = api::app(state);
    axum::serve(listener, Router::new().route("/ping", get(ping))).await;
}
"#;
        let found = routes_of(text);
        let app = &found.functions[0];
        assert_eq!(app.name, "app");
        assert_eq!(app.modules, ["api"]);
        assert!(
            app.router.routes.is_empty(),
            "the local is mounted, not a root"
        );
        let nests: Vec<(&str, &NestTarget)> = app
            .router
            .nests
            .iter()
            .map(|nest| (nest.prefix.as_str(), &nest.target))
            .collect();
        assert_eq!(
            nests[0],
            (
                "/api",
                &NestTarget::Call(vec!["orders".into(), "router".into()])
            )
        );
        let NestTarget::Inline(admin) = nests[1].1 else {
            panic!("inline");
        };
        assert_eq!(admin.routes[0].path, "/stats");
        assert_eq!(nests[2], ("", &NestTarget::Call(vec!["health".into()])));
        let main = &found.functions[1];
        assert_eq!(main.router.routes[0].path, "/ping");
    }

    #[test]
    fn utoipa_paths() {
        let text = r#"
#[utoipa::path(get, path = "/pets/{id}", responses((status = 200)))]
async fn get_pet() {}
#[utoipa::path(post, path = "/pets")]
async fn add_pet() {}
#[other::path(get, path = "/x")]
async fn not_utoipa() {}
"#;
        let found = routes_of(text);
        let paths: Vec<(&str, &str, &str)> = found
            .utoipa
            .iter()
            .map(|path| {
                (
                    path.method.as_str(),
                    path.path.as_str(),
                    path.handler.as_str(),
                )
            })
            .collect();
        assert_eq!(
            paths,
            [
                ("GET", "/pets/{id}", "get_pet"),
                ("POST", "/pets", "add_pet")
            ]
        );
    }

    #[test]
    fn files_without_routers_and_broken_files() {
        assert_eq!(
            routes_of("fn main() { println!(\"hi\"); }"),
            FileRoutes::default()
        );
        assert!(file_routes("fn main( {").is_err());
    }
}
