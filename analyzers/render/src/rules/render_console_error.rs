//! `frontend/render-console-error`: React (or the app) logs an error or a warning while a
//! route renders.

use commerce_diagnostics::{FixAvailability, Rule, Severity, declare_rule};

declare_rule! {
    /// ## What it does
    /// Captures every `console.error` and `console.warn` call while a route renders on Node in
    /// development mode (React's warnings: a list without `key`s, invalid DOM nesting, a
    /// controlled input without `onChange`, ...) and reports it at the component React's
    /// component stack names, mapped back to the TypeScript source.
    ///
    /// ## Why is this bad?
    /// React's development warnings are bugs in waiting: a list without keys loses its
    /// items' state when it reorders, a hydration mismatch re-renders the page. They only
    /// show in a browser console nobody reads in CI.
    ///
    /// ## Example
    /// ```tsx
    /// <ul>{products.map((product) => <li>{product.title}</li>)}</ul>
    /// ```
    ///
    /// Use instead:
    /// ```tsx
    /// <ul>{products.map((product) => <li key={product.id}>{product.title}</li>)}</ul>
    /// ```
    ///
    /// ## Fix safety
    /// There is no automatic fix; `help` says what React asks for.
    pub RenderConsoleError {
        id: "frontend/render-console-error",
        severity: Severity::Warning,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::reported(RenderConsoleError::META);

/// The suggested fix for a console message, by its class; `component` is the component the
/// component stack names first in the project.
pub fn help(message: &str, component: Option<&str>) -> String {
    let inside = component.map_or_else(String::new, |component| format!(" in `{component}`"));
    if message.contains("unique \"key\" prop") {
        return format!(
            "give each element of the list built{inside} a stable `key` (an id, not the index)"
        );
    }
    if message.contains("cannot be a descendant of") || message.contains("cannot contain a nested")
    {
        return format!("fix the HTML nesting{inside}: the browser will re-parse it differently");
    }
    if let Some(provider) = super::render_error::provider_named(message) {
        return format!(
            "wrap the page in `<{provider}>` (in a layout, or in `[frontend.render] providers`)"
        );
    }
    format!("React warned while rendering{inside}; the component stack is in `data.stack`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_key_names_the_component_that_builds_the_list() {
        let help = help(
            "Each child in a list should have a unique \"key\" prop.",
            Some("Catalog"),
        );
        assert_eq!(
            help,
            "give each element of the list built in `Catalog` a stable `key` (an id, not the index)"
        );
    }

    #[test]
    fn other_warnings_point_at_the_stack() {
        assert!(help("something odd", None).contains("data.stack"));
    }
}
