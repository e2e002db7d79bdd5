//! `frontend/route-config-unreadable`: a React Router `routes.ts` whose routes are computed in
//! a way static analysis cannot follow.

use std::path::PathBuf;

use commerce_diagnostics::{Diagnostic, FixAvailability, Rule, Severity, TextRange, declare_rule};

use super::Check;
use crate::display_path;

declare_rule! {
    /// ## What it does
    /// Reports a React Router 7 `app/routes.ts` whose default export is not made of what can
    /// be read without running it: arrays of `route()`, `index()`, `layout()`, `prefix()`,
    /// `...await flatRoutes()`, calls wrapping such an array, and top-level constants holding
    /// them. Routes built by loops, `.map()`, conditions or imported helpers are such a case.
    /// Also a Remix config (`remix.config.*`, or a `vite.config.*` with `@remix-run/dev`) with
    /// a `routes` function. Once per file, as information: the route table then lists what
    /// could be read, or the flat-file routes of `app/routes/` when nothing could.
    ///
    /// ## Why is this bad?
    /// It is not wrong for React Router, but the route checks (default exports, broken
    /// imports, renders) see only the routes they can read: the others go unchecked.
    ///
    /// ## Example
    /// ```ts
    /// export default pages.map((page) => route(page.path, page.file));
    /// ```
    ///
    /// Use instead:
    /// ```ts
    /// export default [route("/about", "routes/about.tsx"), route("/faq", "routes/faq.tsx")];
    /// ```
    ///
    /// ## Fix safety
    /// There is no fix.
    pub RouteConfigUnreadable {
        id: "frontend/route-config-unreadable",
        severity: Severity::Info,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule<Check> = Rule::new(
    RouteConfigUnreadable::META,
    Check::Routes(|_, found| check(&found.unreadable_configs)),
);

pub(crate) fn check(unreadable: &[(PathBuf, TextRange)]) -> Vec<Diagnostic> {
    unreadable
        .iter()
        .map(|(path, range)| {
            Diagnostic::new(
                RouteConfigUnreadable::META.id,
                RouteConfigUnreadable::META.default_severity,
                path,
                *range,
                format!(
                    "`{}` computes routes in a way that cannot be read without running it: only the routes read from it or from `app/routes/` are checked",
                    display_path(path)
                ),
            )
            .with_help(
                "list routes with `route()`, `index()`, `layout()`, `prefix()` or `flatRoutes()` in the exported array",
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::testing::Project;
    use super::*;

    const ROOT: &str = "import { Outlet } from 'react-router';\nexport default function App() { return <Outlet />; }\n";

    #[test]
    fn dynamic_routes_are_one_info_and_file_routes_are_still_listed() {
        let project = Project::new(&[
            ("app/root.tsx", ROOT),
            (
                "app/routes.ts",
                "import { route } from '@react-router/dev/routes';\nconst pages = ['a', 'b'];\nexport default pages.map((page) => route(page, `routes/${page}.tsx`));\n",
            ),
            (
                "app/routes/about.tsx",
                "export default function About() { return null; }\n",
            ),
        ]);
        assert_eq!(
            project.findings(RouteConfigUnreadable::META.id),
            [
                "app/routes.ts:3:16 `app/routes.ts` computes routes in a way that cannot be read without running it: only the routes read from it or from `app/routes/` are checked"
            ]
        );
        let routes: Vec<String> = project
            .report()
            .routes
            .iter()
            .map(|route| format!("{} {}", route.path, display_path(&route.file)))
            .collect();
        assert_eq!(routes, ["/ app/root.tsx", "/about app/routes/about.tsx"]);
    }

    #[test]
    fn a_remix_routes_function_is_reported_once() {
        let project = Project::new(&[
            (
                "remix.config.js",
                "export default {\n  routes(defineRoutes) {\n    return defineRoutes(() => {});\n  },\n};\n",
            ),
            (
                "app/root.tsx",
                ROOT.replace("react-router", "@remix-run/react").as_str(),
            ),
            (
                "app/routes/about.tsx",
                "export default function About() { return null; }\n",
            ),
        ]);
        assert_eq!(project.diagnostics(RouteConfigUnreadable::META.id).len(), 1);
        assert_eq!(
            project.findings(RouteConfigUnreadable::META.id)[0]
                .split(' ')
                .next(),
            Some("remix.config.js:2:3")
        );
    }

    #[test]
    fn readable_configs_are_not_reported() {
        let project = Project::new(&[
            ("app/root.tsx", ROOT),
            (
                "app/routes.ts",
                "import { index } from '@react-router/dev/routes';\nconst routes = [index('routes/home.tsx')];\nexport default routes;\n",
            ),
            (
                "app/routes/home.tsx",
                "export default function Home() { return null; }\n",
            ),
        ]);
        assert!(project.findings(RouteConfigUnreadable::META.id).is_empty());
    }
}
