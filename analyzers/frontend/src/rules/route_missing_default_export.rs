//! `frontend/route-missing-default-export`: a Next.js page, layout or other special file
//! without the default export Next.js renders.

use commerce_diagnostics::{
    Diagnostic, Edit, Fix, FixAvailability, Rule, Severity, TextRange, TextSize, declare_rule,
};

use super::Check;
use super::Context;
use crate::collect::{DeclKind, ExportSource};
use crate::display_path;
use crate::project::ModuleId;
use crate::routes::{ProblemKind, Route};

declare_rule! {
    /// ## What it does
    /// Reports Next.js route files (`page`, `layout`, `loading`, `error`, `not-found`,
    /// `template`, `default` in the app router, every page and API route of the pages router)
    /// that have no default export. `route.ts` handlers export `GET`, `POST`, … instead and are
    /// not reported.
    ///
    /// Next.js routers are found from `[frontend] routes`, or as `app` and `pages` directories
    /// beside a `next.config.*` file (or in `src/` beside one).
    ///
    /// ## Why is this bad?
    /// Next.js renders the default export: without one the build fails ("The default export is
    /// not a React Component") or the route serves an error page.
    ///
    /// ## Example
    /// ```tsx
    /// // app/cart/page.tsx
    /// export function CartPage() {
    ///   return <Cart />;
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```tsx
    /// export default function CartPage() {
    ///   return <Cart />;
    /// }
    /// ```
    ///
    /// ## Fix safety
    /// When the file exports exactly one capitalized value (a component), the fix appends
    /// `export default ThatName;`. It is unsafe: that component may not be the one meant for
    /// the route.
    pub RouteMissingDefaultExport {
        id: "frontend/route-missing-default-export",
        severity: Severity::Error,
        fix: FixAvailability::Sometimes,
    }
}

pub(crate) const RULE: Rule<Check> = Rule::new(
    RouteMissingDefaultExport::META,
    Check::Routes(|context, found| check(context, &found.routes)),
);

pub(crate) fn check(
    context: &Context<'_>,
    routes: &[(Route, Option<ModuleId>)],
) -> Vec<Diagnostic> {
    routes
        .iter()
        .filter(|(route, _)| {
            route
                .problems
                .iter()
                .any(|problem| problem.kind == ProblemKind::NoDefaultExport)
        })
        .filter_map(|(route, module)| Some(diagnostic(context, route, (*module)?)))
        .collect()
}

fn diagnostic(context: &Context<'_>, route: &Route, module: ModuleId) -> Diagnostic {
    let diagnostic = Diagnostic::new(
        RouteMissingDefaultExport::META.id,
        RouteMissingDefaultExport::META.default_severity,
        &route.file,
        TextRange::default(),
        format!(
            "route `{}`: `{}` has no default export",
            route.path,
            display_path(&route.file)
        ),
    );
    match default_export_fix(context, module) {
        Some((name, fix)) => diagnostic
            .with_help(format!(
                "Next.js renders the default export: export `{name}` as default"
            ))
            .with_fix(fix),
        None => diagnostic
            .with_help("Next.js renders the default export: add `export default function …`"),
    }
}

/// `export default Name;` at the end of the file, when the module exports one capitalized value.
fn default_export_fix(context: &Context<'_>, module: ModuleId) -> Option<(String, Fix)> {
    let facts = context.module(module).facts()?;
    let mut components = facts.exports.iter().filter(|export| {
        export
            .name
            .starts_with(|first: char| first.is_ascii_uppercase())
            && matches!(
                export.source,
                ExportSource::Declaration(DeclKind::Value | DeclKind::Both)
            )
    });
    let component = components.next()?;
    if components.next().is_some() {
        return None;
    }
    let text = context.modules.text(module)?;
    let separator = if text.ends_with('\n') || text.is_empty() {
        ""
    } else {
        "\n"
    };
    let path = &context.module(module).path;
    let edit = Edit::insertion(
        path,
        TextSize::of(&text),
        format!("{separator}export default {};\n", component.name),
    );
    let fix = Fix::unsafe_edit(
        format!("export `{}` as default", component.name),
        vec![edit],
    );
    Some((component.name.clone(), fix))
}

#[cfg(test)]
mod tests {
    use super::super::testing::fixture;
    use super::*;

    #[test]
    fn next_files_without_a_default_export() {
        insta::assert_snapshot!(
            fixture("routes-next").snapshot(RouteMissingDefaultExport::META.id)
        );
    }

    #[test]
    fn react_router_routes_are_not_this_rule_s() {
        let project = fixture("routes-react-router");
        assert_eq!(
            project.findings(RouteMissingDefaultExport::META.id),
            Vec::<String>::new()
        );
    }
}
