//! `frontend/route-export-kind`: a React Router / Remix route module export that the framework
//! calls or renders, declared as an object or a literal.

use commerce_diagnostics::{Diagnostic, FixAvailability, Rule, Severity, declare_rule};

use super::Check;
use super::Context;
use crate::project::ModuleId;
use crate::routes::{Route, RouteKind};

/// The route module exports the framework calls (functions) or renders (components).
const FUNCTION_EXPORTS: [&str; 12] = [
    "ErrorBoundary",
    "HydrateFallback",
    "Layout",
    "action",
    "clientAction",
    "clientLoader",
    "headers",
    "links",
    "loader",
    "meta",
    "middleware",
    "shouldRevalidate",
];

declare_rule! {
    /// ## What it does
    /// Reports, in the route modules of React Router 7 framework-mode and Remix v2 apps, an
    /// export the framework calls or renders (`meta`, `links`, `headers`, `loader`, `action`,
    /// `clientLoader`, `clientAction`, `shouldRevalidate`, `ErrorBoundary`, `HydrateFallback`,
    /// `Layout`) that is declared as an object, array or literal.
    ///
    /// ## Why is this bad?
    /// The framework calls `meta(args)` and renders `<ErrorBoundary />`: an object there
    /// (Remix v1's `export const meta = { title }`) throws "meta is not a function" or renders
    /// nothing when the route is hit. TypeScript only catches it when the route's generated
    /// types are used.
    ///
    /// ## Example
    /// ```tsx
    /// export const meta = { title: "Cart" };
    /// ```
    ///
    /// Use instead:
    /// ```tsx
    /// export const meta = () => [{ title: "Cart" }];
    /// ```
    ///
    /// ## Fix safety
    /// There is no fix: what the function should return depends on the framework version.
    pub RouteExportKind {
        id: "frontend/route-export-kind",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule<Check> = Rule::new(
    RouteExportKind::META,
    Check::Routes(|context, found| check(context, &found.routes)),
);

pub(crate) fn check(
    context: &Context<'_>,
    routes: &[(Route, Option<ModuleId>)],
) -> Vec<Diagnostic> {
    let mut modules: Vec<ModuleId> = routes
        .iter()
        .filter(|(route, _)| route.parent.is_some() || is_root(route))
        .filter_map(|(_, module)| *module)
        .collect();
    modules.sort_unstable();
    modules.dedup();
    let mut diagnostics = Vec::new();
    for module in modules {
        let module = context.module(module);
        let Some(facts) = module.facts() else {
            continue;
        };
        for (name, range) in &facts.plain_value_exports {
            if !FUNCTION_EXPORTS.contains(&name.as_str()) {
                continue;
            }
            let expected = if name.starts_with(char::is_uppercase) {
                "a component"
            } else {
                "a function"
            };
            diagnostics.push(
                Diagnostic::new(
                    RouteExportKind::META.id,
                    RouteExportKind::META.default_severity,
                    &module.path,
                    *range,
                    format!("route module export `{name}` must be {expected}, not a value"),
                )
                .with_help(format!("declare `{name}` as {expected}")),
            );
        }
    }
    diagnostics
}

/// The root route of a framework app: the only framework row without a parent (Next.js
/// layouts are `layout.*` files, React Router objects are elements).
fn is_root(route: &Route) -> bool {
    route.parent.is_none()
        && route.kind == RouteKind::Layout
        && route.path == "/"
        && route.file.file_stem().is_some_and(|stem| stem == "root")
}

#[cfg(test)]
mod tests {
    use super::super::testing::Project;
    use super::*;

    #[test]
    fn object_meta_and_string_error_boundary_in_route_modules() {
        let project = Project::new(&[
            (
                "app/root.tsx",
                "import { Outlet } from '@remix-run/react';\nexport const meta = { title: 'Shop' };\nexport default function App() { return <Outlet />; }\n",
            ),
            (
                "app/routes/cart.tsx",
                "export const ErrorBoundary = 'oops';\nexport const handle = { breadcrumb: 'Cart' };\nexport const loader = async () => null;\nexport default function Cart() { return null; }\n",
            ),
            (
                "app/lib/meta.ts",
                "export const meta = { title: 'not a route' };\n",
            ),
        ]);
        assert_eq!(
            project.findings(RouteExportKind::META.id),
            [
                "app/root.tsx:2:14 route module export `meta` must be a function, not a value",
                "app/routes/cart.tsx:1:14 route module export `ErrorBoundary` must be a component, not a value",
            ]
        );
    }
}
