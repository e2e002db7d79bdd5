//! React Router 7's `app/routes.ts`, read with swc and evaluated as far as it is static: the
//! default export's array of `route()`, `index()`, `layout()`, `prefix()` and
//! `...await flatRoutes()` entries, through wrappers (`hydrogenRoutes([...])`, `satisfies`,
//! `as`, a top-level `const`). What cannot be read statically is reported, not guessed.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use swc_ecma_ast::{
    Callee, Decl, Expr, ExprOrSpread, Lit, ModuleDecl, ModuleItem, ObjectLit, Pat, Prop, PropName,
    PropOrSpread, Stmt,
};

use commerce_diagnostics::TextRange;

use crate::parse::ParsedModule;

/// One entry of a route config, as `@react-router/dev/routes` builds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ConfigRoute {
    pub id: String,
    /// Relative to the parent route (React Router's spelling: `:id`, `*`, `x?`); `None` for an
    /// index or pathless layout route.
    pub path: Option<String>,
    pub index: bool,
    /// Relative to the app directory, `/` separators.
    pub file: String,
    pub children: Vec<ConfigRoute>,
}

/// What `routes.ts` declares: its routes, and where it stops being readable.
#[derive(Debug, Default)]
pub(crate) struct RouteConfig {
    pub routes: Vec<ConfigRoute>,
    /// The first expression that computes routes in a way we cannot read.
    pub unreadable: Option<TextRange>,
}

/// Evaluates the default export of a parsed `routes.ts`. `files` are the app directory's
/// files (relative to it), for `flatRoutes()`.
pub(crate) fn read(parsed: &ParsedModule, files: &[String]) -> RouteConfig {
    let mut reader = Reader {
        parsed,
        files,
        config: RouteConfig::default(),
    };
    let default = parsed.module().body.iter().find_map(|item| match item {
        ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultExpr(export)) => Some(&*export.expr),
        _ => None,
    });
    match default {
        Some(expr) => reader.config.routes = reader.entries(expr),
        None => reader.config.unreadable = Some(TextRange::default()),
    }
    reader.config
}

struct Reader<'a> {
    parsed: &'a ParsedModule,
    files: &'a [String],
    config: RouteConfig,
}

impl Reader<'_> {
    fn unreadable(&mut self, expr: &Expr) -> Vec<ConfigRoute> {
        use swc_common::Spanned;
        self.config
            .unreadable
            .get_or_insert_with(|| self.parsed.range(expr.span()));
        Vec::new()
    }

    /// The routes an expression stands for (an array, a call returning one or several).
    fn entries(&mut self, expr: &Expr) -> Vec<ConfigRoute> {
        match expr {
            Expr::Paren(inner) => self.entries(&inner.expr),
            Expr::Await(inner) => self.entries(&inner.arg),
            Expr::TsSatisfies(inner) => self.entries(&inner.expr),
            Expr::TsAs(inner) => self.entries(&inner.expr),
            Expr::TsConstAssertion(inner) => self.entries(&inner.expr),
            Expr::Array(array) => {
                let mut routes = Vec::new();
                for element in array.elems.iter().flatten() {
                    routes.extend(self.entries(&element.expr));
                }
                routes
            }
            Expr::Ident(name) => match constant(self.parsed, name.sym.as_str()) {
                Some(value) => self.entries(value),
                None => self.unreadable(expr),
            },
            Expr::Call(call) => {
                let Callee::Expr(callee) = &call.callee else {
                    return self.unreadable(expr);
                };
                let Expr::Ident(function) = &**callee else {
                    return self.unreadable(expr);
                };
                self.call(expr, function.sym.as_str(), &call.args)
            }
            _ => self.unreadable(expr),
        }
    }

    fn call(&mut self, expr: &Expr, function: &str, args: &[ExprOrSpread]) -> Vec<ConfigRoute> {
        let string = |index: usize| string_arg(args, index);
        match function {
            "route" => {
                let (Some(path), Some(file)) = (string(0), string(1)) else {
                    return self.unreadable(expr);
                };
                let (options, children) = self.options_and_children(args, 2);
                vec![entry(
                    options.id.unwrap_or_else(|| id_of(&file)),
                    Some(path),
                    false,
                    file,
                    children,
                )]
            }
            "index" => {
                let Some(file) = string(0) else {
                    return self.unreadable(expr);
                };
                let (options, _) = self.options_and_children(args, 1);
                vec![entry(
                    options.id.unwrap_or_else(|| id_of(&file)),
                    None,
                    true,
                    file,
                    Vec::new(),
                )]
            }
            "layout" => {
                let Some(file) = string(0) else {
                    return self.unreadable(expr);
                };
                let (options, children) = self.options_and_children(args, 1);
                vec![entry(
                    options.id.unwrap_or_else(|| id_of(&file)),
                    None,
                    false,
                    file,
                    children,
                )]
            }
            "prefix" => {
                let (Some(prefix_path), Some(children)) = (string(0), args.get(1)) else {
                    return self.unreadable(expr);
                };
                let children = self.entries(&children.expr);
                prefix(&prefix_path, children)
            }
            "flatRoutes" => {
                let options = args.first().and_then(|arg| object(&arg.expr));
                let root = options
                    .and_then(|options| string_prop(options, "rootDirectory"))
                    .unwrap_or_else(|| "routes".to_owned());
                let ignored = options
                    .map(|options| string_list_prop(options, "ignoredRouteFiles"))
                    .unwrap_or_default();
                let root = root
                    .trim_start_matches("./")
                    .trim_end_matches('/')
                    .to_owned();
                super::flat::flat_routes(self.files, &root, &globs(&ignored))
            }
            // A framework's own wrapper around the route list (`hydrogenRoutes([...])`): the
            // routes it is given, which it may add to but the app's files are these.
            _ => match args.iter().find(|arg| is_array_like(&arg.expr)) {
                Some(list) => self.entries(&list.expr),
                None => self.unreadable(expr),
            },
        }
    }

    /// The options object and the children array of a `route`/`layout`/`index` call, starting
    /// at argument `from`.
    fn options_and_children(
        &mut self,
        args: &[ExprOrSpread],
        from: usize,
    ) -> (Options, Vec<ConfigRoute>) {
        let mut options = Options::default();
        let mut children = Vec::new();
        for arg in args.iter().skip(from) {
            match object(&arg.expr) {
                Some(object) => options.id = string_prop(object, "id"),
                None => children = self.entries(&arg.expr),
            }
        }
        (options, children)
    }
}

/// The initializer of a top-level `const name = …`.
fn constant<'a>(parsed: &'a ParsedModule, name: &str) -> Option<&'a Expr> {
    parsed.module().body.iter().find_map(|item| {
        let decl = match item {
            ModuleItem::Stmt(Stmt::Decl(Decl::Var(decl))) => decl,
            ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(export)) => match &export.decl {
                Decl::Var(decl) => decl,
                _ => return None,
            },
            _ => return None,
        };
        decl.decls
            .iter()
            .find_map(|declarator| match &declarator.name {
                Pat::Ident(binding) if binding.id.sym == *name => declarator.init.as_deref(),
                _ => None,
            })
    })
}

#[derive(Default)]
struct Options {
    id: Option<String>,
}

fn entry(
    id: String,
    path: Option<String>,
    index: bool,
    file: String,
    children: Vec<ConfigRoute>,
) -> ConfigRoute {
    let file = file.trim_start_matches("./").to_owned();
    ConfigRoute {
        id,
        path,
        index,
        file,
        children,
    }
}

/// React Router's default route id: the file without its extension.
fn id_of(file: &str) -> String {
    let file = file.trim_start_matches("./");
    match file.rfind('.') {
        Some(dot) if !file[dot..].contains('/') => file[..dot].to_owned(),
        _ => file.to_owned(),
    }
}

/// `prefix(path, routes)` of `@react-router/dev/routes`.
fn prefix(prefix_path: &str, routes: Vec<ConfigRoute>) -> Vec<ConfigRoute> {
    routes
        .into_iter()
        .map(|mut route| {
            if route.index || route.path.is_some() {
                route.path = Some(match &route.path {
                    Some(path) if !path.is_empty() => join_paths(prefix_path, path),
                    _ => prefix_path.to_owned(),
                });
            } else {
                route.children = prefix(prefix_path, route.children);
            }
            route
        })
        .collect()
}

/// React Router's `joinRoutePaths`: `a/` + `/b` = `a/b`.
fn join_paths(a: &str, b: &str) -> String {
    format!("{}/{}", a.trim_end_matches('/'), b.trim_start_matches('/'))
}

fn is_array_like(expr: &Expr) -> bool {
    match expr {
        Expr::Array(_) => true,
        Expr::Paren(inner) => is_array_like(&inner.expr),
        Expr::Await(inner) => is_array_like(&inner.arg),
        Expr::TsSatisfies(inner) => is_array_like(&inner.expr),
        Expr::TsAs(inner) => is_array_like(&inner.expr),
        _ => false,
    }
}

fn object(expr: &Expr) -> Option<&ObjectLit> {
    match expr {
        Expr::Object(object) => Some(object),
        _ => None,
    }
}

fn string_arg(args: &[ExprOrSpread], index: usize) -> Option<String> {
    args.get(index).and_then(|arg| string(&arg.expr))
}

fn string(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(Lit::Str(text)) => Some(text.value.to_string_lossy().into_owned()),
        Expr::Tpl(template) if template.exprs.is_empty() => template
            .quasis
            .first()
            .and_then(|quasi| quasi.cooked.as_ref())
            .map(|cooked| cooked.to_string_lossy().into_owned()),
        _ => None,
    }
}

fn prop<'a>(object: &'a ObjectLit, key: &str) -> Option<&'a Expr> {
    object.props.iter().find_map(|property| {
        let PropOrSpread::Prop(property) = property else {
            return None;
        };
        let Prop::KeyValue(key_value) = &**property else {
            return None;
        };
        let name = match &key_value.key {
            PropName::Ident(name) => Some(name.sym.as_str()),
            PropName::Str(text) => text.value.as_str(),
            _ => None,
        };
        (name == Some(key)).then_some(&*key_value.value)
    })
}

fn string_prop(object: &ObjectLit, key: &str) -> Option<String> {
    prop(object, key).and_then(string)
}

fn string_list_prop(object: &ObjectLit, key: &str) -> Vec<String> {
    match prop(object, key) {
        Some(Expr::Array(array)) => array
            .elems
            .iter()
            .flatten()
            .filter_map(|element| string(&element.expr))
            .collect(),
        _ => Vec::new(),
    }
}

/// `ignoredRouteFiles` as globs over paths relative to the app directory (minimatch's `*`
/// does not cross `/`).
pub(crate) fn globs(patterns: &[String]) -> GlobSet {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        if let Ok(glob) = GlobBuilder::new(pattern).literal_separator(true).build() {
            builder.add(glob);
        }
    }
    builder.build().unwrap_or_else(|_| GlobSet::empty())
}
