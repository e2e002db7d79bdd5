//! `frontend/route-types-not-generated`: React Router's route types (`./+types/<route>`) are
//! imported but not generated yet.

use commerce_diagnostics::{Diagnostic, FixAvailability, Rule, Severity, declare_rule};

use super::Check;
use super::Context;
use crate::project::Target;

declare_rule! {
    /// ## What it does
    /// Reports, once per project and as information, that route modules import React Router 7's
    /// generated route types (`import type { Route } from "./+types/product"`) while the
    /// typegen folder (`.react-router/types`, reached through the tsconfig's `rootDirs`) has
    /// not been generated. Those imports are not reported as unresolved: they name files a
    /// build step writes.
    ///
    /// ## Why is this bad?
    /// Until `react-router typegen` runs, every `Route.*` type is unknown and type checking of
    /// the route modules says little. Once generated, a `./+types/…` import that still does not
    /// resolve is a real `frontend/unresolved-import`.
    ///
    /// ## Example
    /// ```tsx
    /// import type { Route } from "./+types/product";
    /// ```
    /// with no `.react-router/types` folder.
    ///
    /// ## Fix safety
    /// There is no fix: run `react-router typegen` (or `react-router dev`, which runs it).
    pub RouteTypesNotGenerated {
        id: "frontend/route-types-not-generated",
        severity: Severity::Info,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule<Check> = Rule::new(
    RouteTypesNotGenerated::META,
    Check::Routes(|context, _| check(context)),
);

pub(crate) fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    let mut waiting = context.imports().filter(|(_, import, target)| {
        **target == Target::External && crate::resolve::is_route_types(&import.specifier)
    });
    let Some((first, import, _)) = waiting.next() else {
        return Vec::new();
    };
    let others = waiting.count();
    let also = match others {
        0 => String::new(),
        1 => " (and 1 other import)".to_owned(),
        n => format!(" (and {n} other imports)"),
    };
    vec![
        Diagnostic::new(
            RouteTypesNotGenerated::META.id,
            RouteTypesNotGenerated::META.default_severity,
            &context.module(first).path,
            import.specifier_range,
            format!(
                "React Router route types are not generated: `{}`{also} cannot be checked",
                import.specifier
            ),
        )
        .with_help("run `react-router typegen`"),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testing::Project;
    use super::*;

    const TSCONFIG: &str = r#"{ "include": ["**/*", ".react-router/types/**/*"], "compilerOptions": { "rootDirs": [".", "./.react-router/types"] } }"#;

    #[test]
    fn missing_typegen_is_one_info_and_no_unresolved_import() {
        let project = Project::new(&[
            ("tsconfig.json", TSCONFIG),
            (
                "app/root.tsx",
                "import { Outlet } from 'react-router';\nexport default function App() { return <Outlet />; }\n",
            ),
            (
                "app/routes.ts",
                "import { flatRoutes } from '@react-router/fs-routes';\nexport default flatRoutes();\n",
            ),
            (
                "app/routes/a.tsx",
                "import type { Route } from './+types/a';\nexport default function A(_: Route.ComponentProps) { return null; }\n",
            ),
            (
                "app/routes/b.tsx",
                "import type { Route } from './+types/b';\nexport default function B(_: Route.ComponentProps) { return null; }\n",
            ),
        ]);
        assert_eq!(
            project.findings(RouteTypesNotGenerated::META.id),
            [
                "app/routes/a.tsx:1:28 React Router route types are not generated: `./+types/a` (and 1 other import) cannot be checked"
            ]
        );
        assert!(project.findings("frontend/unresolved-import").is_empty());
    }

    #[test]
    fn generated_types_resolve_through_root_dirs_and_a_missing_one_is_unresolved() {
        let project = Project::new(&[
            ("tsconfig.json", TSCONFIG),
            (
                "app/root.tsx",
                "import { Outlet } from 'react-router';\nexport default function App() { return <Outlet />; }\n",
            ),
            (
                "app/routes/a.tsx",
                "import type { Route } from './+types/a';\nexport default function A(_: Route.ComponentProps) { return null; }\n",
            ),
            (
                "app/routes/b.tsx",
                "import type { Route } from './+types/typo';\nexport default function B(_: Route.ComponentProps) { return null; }\n",
            ),
            (
                ".react-router/types/app/routes/+types/a.ts",
                "export namespace Route { export type ComponentProps = {}; }\n",
            ),
            (
                ".react-router/types/app/routes/+types/b.ts",
                "export namespace Route { export type ComponentProps = {}; }\n",
            ),
        ]);
        assert!(project.findings(RouteTypesNotGenerated::META.id).is_empty());
        assert_eq!(
            project.findings("frontend/unresolved-import").len(),
            1,
            "{:?}",
            project.findings("frontend/unresolved-import")
        );
    }
}
