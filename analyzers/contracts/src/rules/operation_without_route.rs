//! `contracts/operation-without-route`: an operation the spec describes that no route serves.

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};

use crate::load::Loaded;
use crate::routes::CodeRoute;

use commerce_diagnostics::Rule;

declare_rule! {
    /// ## What it does
    /// Reports an operation of an OpenAPI spec (a method under `paths`) that no axum route of
    /// the code serves, on the operation's line in the spec. Routes are read from the files
    /// `[contracts] routes` names; `any(..)` serves every method of its path.
    ///
    /// ## Why is this bad?
    /// The spec promises an endpoint the service does not have: clients generated from the
    /// spec get a 404 (or 405), and contract tests fail for a reason the spec hides.
    ///
    /// ## Example
    /// ```yaml
    /// paths:
    ///   /orders/{id}:
    ///     delete:        # no `.route("/orders/{id}", delete(..))` in the code
    /// ```
    ///
    /// ## Fix safety
    /// No fix: whether the route is missing or the operation is obsolete is for a person to
    /// decide.
    pub OperationWithoutRoute {
        id: "contracts/operation-without-route",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::reported(OperationWithoutRoute::META);

/// One diagnostic per spec operation no route serves.
pub fn check(routes: &[CodeRoute], specs: &[&Loaded]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for loaded in specs {
        for entry in &loaded.spec.paths {
            for operation in &entry.operations {
                let served = loaded.spec.served_paths(entry, operation);
                if routes.iter().any(|route| {
                    served
                        .iter()
                        .any(|path| route.serves(&operation.method, path))
                }) {
                    continue;
                }
                let document = &loaded.spec.documents[operation.loc.doc.0 as usize];
                diagnostics.push(
                    Diagnostic::new(
                        OperationWithoutRoute::META.id,
                        Severity::Warning,
                        document.path.clone(),
                        operation.loc.range,
                        format!(
                            "`{} {}` is in the spec but no route in the code serves it",
                            operation.method, entry.path
                        ),
                    )
                    .with_help("add the route, or remove the operation from the spec")
                    .with_data("method", operation.method.as_str())
                    .with_data("path", entry.path.as_str())
                    .with_data("level", "warning"),
                );
            }
        }
    }
    diagnostics
}
