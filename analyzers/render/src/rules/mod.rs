//! One rule per file: the render step's findings, each at a project line with the route, the
//! mapped stack and the console output in `data`.

pub mod render_console_error;
pub mod render_error;

commerce_diagnostics::rule_registry! {
    /// Every render rule, one line each; both are reported where a route's render fails.
    pub(crate) static RULES: [commerce_diagnostics::Rule] = [
        render_console_error,
        render_error,
    ];
}
