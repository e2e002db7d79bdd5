//! One rule per file: the render step's findings, each at a project line with the route, the
//! mapped stack and the console output in `data`.

pub mod render_console_error;
pub mod render_error;

use commerce_diagnostics::RuleMeta;

/// The metadata of every rule of the render step.
pub fn all() -> Vec<RuleMeta> {
    vec![
        render_error::RenderError::META,
        render_console_error::RenderConsoleError::META,
    ]
}
