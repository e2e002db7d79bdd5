//! The frontend's report with every route rendered (`routes --render`, and `check`/`test`
//! when `[frontend.render] enabled`): the render step reads the same index the import graph
//! was built from (its routes and its resolver), and its findings join the frontend's.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use commerce_frontend::{FrontendIndex, FrontendReport};
use commerce_project::{FileSystem, FrontendConfig};
use commerce_render::{RenderInput, render_routes};

/// The frontend's report over `files`, rendered when `render` says so, and the render step's
/// notices (why routes were not rendered, how to install what is missing).
pub(crate) fn frontend_report(
    fs: Arc<dyn FileSystem>,
    root: &Path,
    files: &[PathBuf],
    config: &FrontendConfig,
    render: bool,
) -> (FrontendReport, Vec<String>) {
    let index = FrontendIndex::load(Arc::clone(&fs), root, files, config);
    if !render {
        return (index.into_report(), Vec::new());
    }
    let outcome = render_routes(RenderInput {
        fs: fs.as_ref(),
        root,
        routes: index.routes(),
        resolver: index.resolver(),
        config: &config.render,
    });
    let mut report = index.into_report();
    outcome.apply(&mut report.routes);
    report.diagnostics.extend(outcome.diagnostics);
    (report, outcome.notices)
}
