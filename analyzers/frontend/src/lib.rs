//! Frontend analysis over swc: the import/export graph of a TypeScript/JavaScript project and
//! the rules on it.
//!
//! The pipeline, one module each:
//! [`parse`] (swc, byte ranges) -> [`collect`] (imports, exports, value-vs-type usage; in
//! parallel) -> [`resolve`] (Node/TypeScript resolution through `oxc_resolver`, reading through
//! [`FileSystem`]; in parallel) -> [`graph`] (petgraph, edge kinds, cycles) -> [`rules`].
//!
//! [`check_project`] runs all of it over a project's files and returns the diagnostics and the
//! graph (`cargo commerce graph` renders it with [`ModuleGraph::to_json`],
//! [`ModuleGraph::to_dot`] and [`ModuleGraph::to_mermaid`]).

pub mod collect;
mod components;
mod exports;
pub mod graph;
mod index;
pub mod parse;
mod project;
pub mod resolve;
pub mod routes;
pub mod rules;

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use commerce_diagnostics::{Diagnostic, RuleMeta};
use commerce_project::{FileSystem, FrontendConfig, SkippedFile};

pub use graph::{EdgeKind, GraphEdge, ModuleGraph};
pub use index::{FrontendIndex, IndexUpdate};
pub use parse::{Dialect, ParseError, ParsedModule, is_frontend_source, parse_module};
pub use project::is_analyzed_source;
pub use routes::{
    ProblemKind, RenderSummary, Route, RouteKind, RouteObject, RouteProblem, routes_json,
    routes_table,
};

/// What [`check_project`] found.
#[derive(Debug)]
pub struct FrontendReport {
    /// Every finding of every frontend rule, sorted (see [`sort_and_dedup`]).
    pub diagnostics: Vec<Diagnostic>,
    /// The import graph of the analyzed modules.
    pub graph: ModuleGraph,
    /// Every route (Next.js app and pages routers, React Router objects), sorted by path, each
    /// OK or with its problems: `cargo commerce routes` prints them ([`routes::routes_table`]).
    pub routes: Vec<routes::Route>,
    /// Files that were not analyzed because they are too large, not UTF-8 or unreadable.
    /// The analysis facade reports them (`commerce/file-too-large`, `commerce/unreadable-file`)
    /// the way it reports the files its inventory skipped.
    pub skipped: Vec<SkippedFile>,
    /// How many TypeScript/JavaScript files were parsed (successfully or not).
    pub files_analyzed: usize,
}

/// The metadata of every rule this crate implements.
pub fn rules() -> Vec<RuleMeta> {
    rules::RULES.iter().map(|rule| rule.meta).collect()
}

/// Checks a whole frontend: reads, parses and collects every TypeScript/JavaScript file of
/// `files` (paths relative to `root`, as in the project inventory) inside `[frontend].roots`,
/// resolves their imports, builds the import graph and runs every rule.
///
/// `fs` is shared with the resolver's cache (an `Arc`, because `oxc_resolver` keeps its file
/// system for as long as it lives). Never fails and never panics on bad input: files that do
/// not parse become `frontend/parse-error` diagnostics and stay in the graph as modules without
/// imports; unreadable, non-UTF-8 and oversized files are returned in
/// [`FrontendReport::skipped`].
pub fn check_project(
    fs: Arc<dyn FileSystem>,
    root: &Path,
    files: &[PathBuf],
    config: &FrontendConfig,
) -> FrontendReport {
    FrontendIndex::load(fs, root, files, config).into_report()
}

/// A project-relative path the way reports print it: `/` separators on every platform.
pub fn display_path(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter_map(|component| match component {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_owned()),
            Component::RootDir => Some(String::new()),
            Component::CurDir | Component::Prefix(_) => None,
        })
        .collect();
    parts.join("/")
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod properties;
