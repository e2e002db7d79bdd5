//! `contracts/route-missing-from-spec`: a route the code serves that no spec describes.

use std::collections::BTreeSet;

use commerce_diagnostics::{Diagnostic, Edit, Fix, FixAvailability, Severity, declare_rule};

use crate::diff::template_key;
use crate::load::Loaded;
use crate::routes::CodeRoute;
use crate::stub::stub_insertion;

use commerce_diagnostics::Rule;

declare_rule! {
    /// ## What it does
    /// Reports an axum route (`.route("/orders/{id}", get(show))`, joined through `.nest` and
    /// `.merge` across functions and modules, or a `#[utoipa::path]` handler) whose method and
    /// path no operation of the project's OpenAPI specs describes. Path parameter names do not
    /// matter: `/orders/:id` in code matches `/orders/{orderId}` in the spec.
    ///
    /// ## Why is this bad?
    /// Clients, generated SDKs and contract tests only know what the spec says: an undocumented
    /// route is either dead code or an API nobody promised to keep, and its drift is invisible
    /// to `contracts diff`.
    ///
    /// ## Example
    /// ```rust,ignore
    /// Router::new().route("/orders/{id}", get(show).delete(cancel)) // spec has no DELETE
    /// ```
    ///
    /// ## Fix safety
    /// The fix is unsafe: it adds a stub operation (the path's parameters and a `200`
    /// response) to the spec, in the file's own indentation, for a person to complete. JSON
    /// specs and `paths` written in flow style get no fix.
    pub RouteMissingFromSpec {
        id: "contracts/route-missing-from-spec",
        severity: Severity::Warning,
        fix: FixAvailability::Sometimes,
    }
}

pub(crate) const RULE: Rule = Rule::reported(RouteMissingFromSpec::META);

/// One diagnostic per route no spec describes, on the route's path literal; the fix adds a stub
/// to the first spec.
pub fn check(routes: &[CodeRoute], specs: &[&Loaded]) -> Vec<Diagnostic> {
    let described = |route: &CodeRoute| {
        specs.iter().any(|loaded| {
            loaded.spec.paths.iter().any(|entry| {
                entry.operations.iter().any(|operation| {
                    loaded
                        .spec
                        .served_paths(entry, operation)
                        .iter()
                        .any(|path| route.serves(&operation.method, path))
                })
            })
        })
    };
    let missing: Vec<&CodeRoute> = routes
        .iter()
        .filter(|route| route.method != "ANY" && !described(route))
        .collect();
    missing
        .iter()
        .map(|route| {
            // Every missing method of a path goes into one stub, so the fixes of routes that
            // share a new path make identical edits, applied once.
            let methods: BTreeSet<String> = missing
                .iter()
                .filter(|other| template_key(&other.path) == template_key(&route.path))
                .map(|other| other.method.clone())
                .collect();
            let methods: Vec<String> = methods.into_iter().collect();
            let diagnostic = Diagnostic::new(
                RouteMissingFromSpec::META.id,
                Severity::Warning,
                route.file.clone(),
                route.range,
                format!(
                    "`{} {}` is served here but no OpenAPI spec describes it",
                    route.method, route.path
                ),
            )
            .with_help("describe the operation in the spec, or remove the route")
            .with_data("method", route.method.as_str())
            .with_data("path", route.path.as_str())
            .with_data("level", "warning");
            match specs
                .first()
                .and_then(|loaded| stub(loaded, route, &methods))
            {
                Some(fix) => diagnostic.with_fix(fix),
                None => diagnostic,
            }
        })
        .collect()
}

/// The one finding for routes in code when `[contracts] specs` names no spec: how to set one
/// up, on the first route (a warning per route would bury everything else).
pub fn no_spec(first: &CodeRoute, routes: usize) -> Diagnostic {
    Diagnostic::new(
        RouteMissingFromSpec::META.id,
        Severity::Info,
        first.file.clone(),
        first.range,
        format!(
            "{routes} route(s) are served in code, but `[contracts] specs` names no OpenAPI spec to compare them with"
        ),
    )
    .with_help(
        "set `specs = [\"openapi.yaml\"]` under [contracts] in commerce.toml, or remove `routes` there to turn the comparison off",
    )
    .with_data("level", "info")
}

fn stub(loaded: &Loaded, route: &CodeRoute, methods: &[String]) -> Option<Fix> {
    let document = loaded.spec.documents.first()?;
    let only_this_method = [route.method.clone()];
    // The spec's paths are relative to its servers' base path.
    let spec_path = loaded
        .spec
        .base_paths
        .iter()
        .filter(|base| !base.is_empty())
        .find_map(|base| {
            route
                .path
                .strip_prefix(base.as_str())
                .filter(|rest| rest.starts_with('/'))
        })
        .unwrap_or(&route.path);
    let path_exists = loaded
        .spec
        .paths
        .iter()
        .any(|entry| template_key(&entry.path) == template_key(spec_path));
    let methods = if path_exists {
        &only_this_method[..]
    } else {
        methods
    };
    let (at, text) = stub_insertion(&document.text, &loaded.spec, spec_path, methods)?;
    Some(Fix::unsafe_edit(
        format!(
            "Add a stub `{} {}` operation to {}",
            route.method,
            spec_path,
            document.path.display()
        ),
        vec![Edit::insertion(document.path.clone(), at, text)],
    ))
}
