//! Routes in code: the axum routers of a crate's files (read by `commerce_rust::routes`) joined
//! across functions and modules into full method + path pairs, and matched against the spec.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use commerce_diagnostics::TextRange;
use commerce_rust::{FileRoutes, NestTarget, RouterExpr, RouterFn};

use crate::diff::template_key;

/// A route the code serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeRoute {
    /// Upper case; `ANY` for `any(..)`.
    pub method: String,
    /// The full path in OpenAPI's template syntax (`/api/orders/{id}`).
    pub path: String,
    /// The Rust file and the range of the innermost path literal.
    pub file: PathBuf,
    pub range: TextRange,
}

impl CodeRoute {
    /// Whether this route serves `method` on the spec path `path`.
    pub fn serves(&self, method: &str, path: &str) -> bool {
        (self.method == method || self.method == "ANY")
            && template_key(&self.path) == template_key(path)
    }
}

/// The routers of one file of the crate, with the file's path relative to the project root.
#[derive(Clone, Debug)]
pub struct RustFile {
    pub path: PathBuf,
    pub routes: FileRoutes,
}

/// Every route the files serve: routers mounted by other routers (`nest`, `merge`) are
/// reached from the routers that mount them, with their prefixes; routers nobody mounts are
/// the roots. utoipa `#[utoipa::path]` attributes count as routes too.
pub fn code_routes(files: &[RustFile]) -> Vec<CodeRoute> {
    let functions: Vec<Function<'_>> = files
        .iter()
        .flat_map(|file| {
            let module = module_of(&file.path);
            file.routes.functions.iter().map(move |function| Function {
                module: module
                    .iter()
                    .cloned()
                    .chain(function.modules.iter().cloned())
                    .collect(),
                function,
                file: &file.path,
            })
        })
        .collect();
    let resolver = Resolver {
        functions: &functions,
    };
    let mounted: HashSet<usize> = functions
        .iter()
        .flat_map(|function| resolver.calls(&function.function.router, &function.module))
        .collect();
    let mut routes = Vec::new();
    for (index, function) in functions.iter().enumerate() {
        if !mounted.contains(&index) {
            let mut visiting = vec![index];
            resolver.expand(
                &function.function.router,
                function,
                "",
                &mut visiting,
                &mut routes,
            );
        }
    }
    for file in files {
        for path in &file.routes.utoipa {
            routes.push(CodeRoute {
                method: path.method.clone(),
                path: openapi_template(&path.path),
                file: file.path.clone(),
                range: path.range,
            });
        }
    }
    let mut seen = HashSet::new();
    routes.retain(|route| seen.insert((route.method.clone(), template_key(&route.path))));
    routes
}

/// A router-building function with its full module path.
struct Function<'a> {
    module: Vec<String>,
    function: &'a RouterFn,
    file: &'a Path,
}

struct Resolver<'a> {
    functions: &'a [Function<'a>],
}

impl Resolver<'_> {
    /// The functions a router mounts by calling them, directly or in routers built in place.
    fn calls(&self, router: &RouterExpr, module: &[String]) -> Vec<usize> {
        let mut found = Vec::new();
        for nest in &router.nests {
            match &nest.target {
                NestTarget::Call(path) => found.extend(self.resolve(path, module)),
                NestTarget::Inline(inner) => found.extend(self.calls(inner, module)),
            }
        }
        found
    }

    /// The function a call path names, seen from `module`: among functions of that name, the
    /// one whose module ends with the path's qualifier and is closest to the caller.
    fn resolve(&self, path: &[String], module: &[String]) -> Option<usize> {
        let (name, qualifier) = path.split_last()?;
        let qualifier = absolute_qualifier(qualifier, module);
        self.functions
            .iter()
            .enumerate()
            .filter(|(_, function)| function.function.name == *name)
            .filter(|(_, function)| match &qualifier {
                Qualifier::Absolute(segments) => function.module == *segments,
                Qualifier::Relative(segments) => function.module.ends_with(segments),
            })
            .max_by_key(|(_, function)| common_prefix(&function.module, module))
            .map(|(index, _)| index)
    }

    fn expand(
        &self,
        router: &RouterExpr,
        owner: &Function<'_>,
        prefix: &str,
        visiting: &mut Vec<usize>,
        routes: &mut Vec<CodeRoute>,
    ) {
        for route in &router.routes {
            for method in &route.methods {
                routes.push(CodeRoute {
                    method: method.clone(),
                    path: openapi_template(&join_paths(prefix, &route.path)),
                    file: owner.file.to_path_buf(),
                    range: route.range,
                });
            }
        }
        for nest in &router.nests {
            let prefix = join_paths(prefix, &nest.prefix);
            match &nest.target {
                NestTarget::Inline(inner) => self.expand(inner, owner, &prefix, visiting, routes),
                NestTarget::Call(path) => {
                    let Some(index) = self.resolve(path, &owner.module) else {
                        continue;
                    };
                    if visiting.contains(&index) {
                        continue;
                    }
                    visiting.push(index);
                    let target = &self.functions[index];
                    self.expand(&target.function.router, target, &prefix, visiting, routes);
                    visiting.pop();
                }
            }
        }
    }
}

/// A call's module qualifier, made absolute where it can be (`crate::`, `self::`, `super::`).
enum Qualifier {
    Absolute(Vec<String>),
    Relative(Vec<String>),
}

fn absolute_qualifier(qualifier: &[String], module: &[String]) -> Qualifier {
    match qualifier.first().map(String::as_str) {
        Some("crate") => Qualifier::Absolute(qualifier[1..].to_vec()),
        Some("self") => {
            Qualifier::Absolute(module.iter().chain(&qualifier[1..]).cloned().collect())
        }
        Some("super") => {
            let mut base = module.to_vec();
            let mut rest = qualifier;
            while rest.first().is_some_and(|segment| segment == "super") {
                base.pop();
                rest = &rest[1..];
            }
            Qualifier::Absolute(base.into_iter().chain(rest.iter().cloned()).collect())
        }
        _ => Qualifier::Relative(qualifier.to_vec()),
    }
}

fn common_prefix(left: &[String], right: &[String]) -> usize {
    left.iter().zip(right).take_while(|(a, b)| a == b).count()
}

/// The module path of a file from its path: `crates/api/src/orders/mod.rs` is `orders`,
/// `src/orders/lines.rs` is `orders::lines`, `src/main.rs` is the crate root.
fn module_of(path: &Path) -> Vec<String> {
    let components: Vec<String> = path
        .components()
        .filter_map(|component| match component {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let start = components
        .iter()
        .rposition(|part| part == "src")
        .map_or(0, |src| src + 1);
    let mut module: Vec<String> = components[start..].to_vec();
    if let Some(file) = module.pop() {
        let stem = file.strip_suffix(".rs").unwrap_or(&file).to_owned();
        if !matches!(stem.as_str(), "mod" | "lib" | "main") {
            module.push(stem);
        }
    }
    module
}

/// `prefix` + `path` as axum joins them: `/api` + `/orders` is `/api/orders`, `/api` + `/` is
/// `/api`.
fn join_paths(prefix: &str, path: &str) -> String {
    let prefix = prefix.trim_end_matches('/');
    match path {
        "" | "/" if !prefix.is_empty() => prefix.to_owned(),
        _ if path.starts_with('/') => format!("{prefix}{path}"),
        _ => format!("{prefix}/{path}"),
    }
}

/// An axum path in OpenAPI's template syntax: `:id` and `*rest` (axum 0.7) and `{*rest}`
/// (0.8) become `{id}` and `{rest}`.
pub fn openapi_template(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if let Some(name) = segment
                .strip_prefix(':')
                .or_else(|| segment.strip_prefix('*'))
            {
                format!("{{{name}}}")
            } else if let Some(name) = segment.strip_prefix("{*") {
                format!("{{{name}")
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> RustFile {
        RustFile {
            path: PathBuf::from(path),
            routes: commerce_rust::file_routes(text).expect("parses"),
        }
    }

    fn listed(routes: &[CodeRoute]) -> Vec<String> {
        let mut listed: Vec<String> = routes
            .iter()
            .map(|route| format!("{} {} ({})", route.method, route.path, route.file.display()))
            .collect();
        listed.sort();
        listed
    }

    #[test]
    fn routers_join_across_functions_and_modules() {
        let files = [
            file(
                "crates/shop/src/main.rs",
                r#"
async fn main() {
    let app = Router::new()
        .nest("/api", api::router())
        .merge(health::routes())
        .route("/", get(index));
    axum::serve(listener, app).await;
}"#,
            ),
            file(
                "crates/shop/src/api/mod.rs",
                r#"
pub fn router() -> Router {
    Router::new()
        .nest("/orders", orders::router())
        .nest("/b2b", crate::api::wholesale::routes())
}"#,
            ),
            file(
                "crates/shop/src/api/orders.rs",
                r#"
pub fn router() -> Router {
    Router::new()
        .route("/", get(list).post(create))
        .route("/:id", get(show))
        .route("/{id}/files/{*rest}", get(file))
}"#,
            ),
            file(
                "crates/shop/src/api/wholesale.rs",
                r#"
pub fn routes() -> Router { Router::new().route("/quotes", post(quote)) }
#[utoipa::path(get, path = "/api/b2b/quotes/{id}")]
async fn show_quote() {}
"#,
            ),
            file(
                "crates/shop/src/health.rs",
                r#"pub fn routes() -> Router { Router::new().route("/healthz", any(ok)) }"#,
            ),
        ];
        assert_eq!(
            listed(&code_routes(&files)),
            [
                "ANY /healthz (crates/shop/src/health.rs)",
                "GET / (crates/shop/src/main.rs)",
                "GET /api/b2b/quotes/{id} (crates/shop/src/api/wholesale.rs)",
                "GET /api/orders (crates/shop/src/api/orders.rs)",
                "GET /api/orders/{id} (crates/shop/src/api/orders.rs)",
                "GET /api/orders/{id}/files/{rest} (crates/shop/src/api/orders.rs)",
                "POST /api/b2b/quotes (crates/shop/src/api/wholesale.rs)",
                "POST /api/orders (crates/shop/src/api/orders.rs)",
            ]
        );
    }

    #[test]
    fn recursion_between_routers_ends() {
        let files = [file(
            "src/lib.rs",
            r#"
fn a() -> Router { Router::new().route("/a", get(h)).nest("/b", b()) }
fn b() -> Router { Router::new().route("/b", get(h)).nest("/a", a()) }
fn root() -> Router { Router::new().nest("/x", a()) }
"#,
        )];
        let routes = listed(&code_routes(&files));
        assert!(
            routes.contains(&"GET /x/a (src/lib.rs)".to_owned()),
            "{routes:?}"
        );
        assert!(
            routes.contains(&"GET /x/b/b (src/lib.rs)".to_owned()),
            "{routes:?}"
        );
    }

    #[test]
    fn templates_and_modules() {
        assert_eq!(openapi_template("/o/:id/*rest"), "/o/{id}/{rest}");
        assert_eq!(openapi_template("/o/{id}/{*rest}"), "/o/{id}/{rest}");
        assert_eq!(module_of(Path::new("crates/a/src/x/mod.rs")), ["x"]);
        assert_eq!(module_of(Path::new("src/x/y.rs")), ["x", "y"]);
        assert!(module_of(Path::new("src/main.rs")).is_empty());
        assert_eq!(join_paths("/api/", "/"), "/api");
        assert_eq!(join_paths("", "/x"), "/x");
    }
}
