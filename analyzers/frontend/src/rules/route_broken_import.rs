//! `frontend/route-broken-import`: a route whose module reaches a broken module or a run-time
//! import cycle, or whose React Router component cannot be imported.

use commerce_diagnostics::{Diagnostic, FixAvailability, Rule, Severity, declare_rule};

use super::Check;
use crate::display_path;
use crate::project::ModuleId;
use crate::routes::{ProblemKind, Route};

declare_rule! {
    /// ## What it does
    /// Reports every route (Next.js app and pages router files, React Router route objects in
    /// `createBrowserRouter([...])` and its siblings) whose module reaches, through the imports
    /// that run, a file that does not parse, an unresolved import, an import of a name its
    /// target does not export, or a run-time import cycle whose modules read each other's
    /// bindings while they evaluate (a cycle read only inside functions loads fine, and stays
    /// a `frontend/import-cycle` finding alone); and React Router routes whose component
    /// cannot be imported. The finding names the nearest such problem.
    ///
    /// ## Why is this bad?
    /// The route breaks: its chunk fails to build or to load, or renders with `undefined` in
    /// place of a component, even though the route file itself looks fine. `cargo commerce
    /// routes` lists every route with this status.
    ///
    /// ## Example
    /// ```tsx
    /// // app/cart/page.tsx
    /// import { CartLines } from "@/components/cart-lines"; // imports "./price-tag", which does not exist
    /// ```
    ///
    /// ## Fix safety
    /// There is no fix here: the fix belongs to the problem's own finding
    /// (`frontend/unresolved-import`, `frontend/missing-export`, `frontend/import-cycle`, …),
    /// which this one names in its help.
    pub RouteBrokenImport {
        id: "frontend/route-broken-import",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule<Check> = Rule::new(
    RouteBrokenImport::META,
    Check::Routes(|_, found| check(&found.routes)),
);

pub(crate) fn check(routes: &[(Route, Option<ModuleId>)]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for (route, _) in routes {
        let problem = route
            .problems
            .iter()
            .find(|problem| problem.kind != ProblemKind::NoDefaultExport);
        let Some(problem) = problem else {
            continue;
        };
        let mut diagnostic = Diagnostic::new(
            RouteBrokenImport::META.id,
            RouteBrokenImport::META.default_severity,
            &route.declared_in,
            route.declaration,
            format!(
                "route `{}` ({}) fails: {}",
                route.path,
                display_path(&route.file),
                problem.reason
            ),
        )
        .with_related(&problem.path, problem.range, "the problem is here");
        if let Some(fix) = &problem.fix {
            diagnostic = diagnostic.with_help(fix.clone());
        }
        diagnostics.push(diagnostic);
    }
    diagnostics
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Project, fixture};
    use super::*;

    #[test]
    fn next_routes_reaching_a_broken_import() {
        insta::assert_snapshot!(fixture("routes-next").snapshot(RouteBrokenImport::META.id));
    }

    #[test]
    fn a_cycle_read_only_inside_functions_does_not_break_the_route() {
        let files = |order: &str| {
            Project::new(&[
                ("package.json", r#"{ "dependencies": { "next": "15" } }"#),
                ("next.config.mjs", "export default {};\n"),
                (
                    "app/checkout/page.tsx",
                    "import { total } from \"../../lib/order\";\nexport default function Page() { return total(); }\n",
                ),
                (
                    "lib/order.ts",
                    "import { price } from \"./price\";\nexport const total = () => price();\n",
                ),
                ("lib/price.ts", order),
            ])
        };
        // Both modules read each other only inside functions: the module graph loads.
        let lazy = files("import { total } from \"./order\";\nexport const price = () => total;\n");
        assert_eq!(lazy.findings("frontend/import-cycle").len(), 1);
        assert_eq!(
            lazy.findings(RouteBrokenImport::META.id),
            Vec::<String>::new()
        );
        // `price.ts` reads `total` while it evaluates, before `order.ts` has set it.
        let eager = files(
            "import { total } from \"./order\";\nconst base = total;\nexport const price = () => base;\n",
        );
        let found = eager.findings(RouteBrokenImport::META.id);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("run-time import cycle"), "{found:?}");
    }

    #[test]
    fn react_router_components_cycles_and_missing_modules() {
        insta::assert_snapshot!(
            fixture("routes-react-router").snapshot(RouteBrokenImport::META.id)
        );
    }
}
