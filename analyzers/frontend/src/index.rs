//! [`FrontendIndex`]: a frontend kept in memory between analyses, for the language server.
//!
//! Loading reads, parses and resolves every module once. An update re-reads only the changed
//! files: each is parsed again and its imports resolved again, the edges are rebuilt from the
//! modules in memory (cheap: no file is read), a cycle whose members and edges did not change
//! keeps its description (the costly part of cycle finding), and the rules run over the
//! result. The update says which files' diagnostics changed, so only those are republished.
//!
//! Invariant: after any sequence of updates the diagnostics are exactly those a fresh
//! [`crate::check_project`] finds on the same texts (a property test holds this).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use commerce_diagnostics::{Diagnostic, sort_and_dedup};
use commerce_project::{FileSystem, FrontendConfig, SkippedFile};

use crate::exports::Exports;
use crate::graph::ModuleGraph;
use crate::graph::cycles::{CycleCache, cycle_components};
use crate::project::{Modules, Source, is_analyzed_source};
use crate::routes::Route;
use crate::{FrontendReport, rules};

/// The modules, graph and findings of a frontend, updated one file at a time.
#[derive(Debug)]
pub struct FrontendIndex {
    /// The project's files, as given to [`FrontendIndex::load`], kept up to date with the
    /// files updates find created or deleted.
    files: Vec<PathBuf>,
    config: FrontendConfig,
    modules: Modules,
    graph: ModuleGraph,
    cycles: CycleCache,
    /// Sorted by path (see [`sort_and_dedup`]).
    diagnostics: Vec<Diagnostic>,
    routes: Vec<Route>,
}

/// What [`FrontendIndex::update`] changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct IndexUpdate {
    /// The files whose diagnostics are not what they were, project-relative and sorted.
    pub changed: Vec<PathBuf>,
    /// The index was loaded again from scratch: a file appeared or disappeared, or the
    /// ambient `declare module` declarations changed (the resolver depends on them).
    pub reloaded: bool,
}

impl FrontendIndex {
    /// Reads, parses and resolves every TypeScript/JavaScript file of `files` (relative to
    /// `root`) inside `[frontend].roots` and runs every rule, as [`crate::check_project`] does.
    pub fn load(
        fs: Arc<dyn FileSystem>,
        root: &Path,
        files: &[PathBuf],
        config: &FrontendConfig,
    ) -> Self {
        let modules = Modules::load(fs, root, files, config);
        let mut index = Self {
            files: files.to_vec(),
            config: config.clone(),
            modules,
            graph: ModuleGraph::default(),
            cycles: CycleCache::default(),
            diagnostics: Vec::new(),
            routes: Vec::new(),
        };
        index.analyze();
        index
    }

    /// Brings the index up to date with the current text of `paths` (project-relative) in
    /// the file system it was loaded from. Paths that are not frontend sources are ignored.
    pub fn update(&mut self, paths: &[PathBuf]) -> IndexUpdate {
        let sources: Vec<&PathBuf> = paths
            .iter()
            .filter(|path| is_analyzed_source(path, &self.config))
            .collect();
        if sources.is_empty() {
            return IndexUpdate::default();
        }
        let reloaded = !self.reload_in_place(&sources);
        if reloaded {
            self.reload_all(&sources);
        }
        let previous = std::mem::take(&mut self.diagnostics);
        self.analyze();
        let before = by_file(&previous);
        let after = by_file(&self.diagnostics);
        let changed = before
            .keys()
            .chain(after.keys())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|path| before.get(*path) != after.get(*path))
            .map(|path| path.to_path_buf())
            .collect();
        IndexUpdate { changed, reloaded }
    }

    /// Every finding, sorted by path.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The findings in the file at `path` (project-relative).
    pub fn diagnostics_in(&self, path: &Path) -> &[Diagnostic] {
        let start = self
            .diagnostics
            .partition_point(|diagnostic| diagnostic.path.as_path() < path);
        let end = self
            .diagnostics
            .partition_point(|diagnostic| diagnostic.path.as_path() <= path);
        &self.diagnostics[start..end]
    }

    /// The files that were not analyzed (too large, not UTF-8, unreadable).
    pub fn skipped(&self) -> &[SkippedFile] {
        &self.modules.skipped
    }

    pub fn graph(&self) -> &ModuleGraph {
        &self.graph
    }

    /// The findings, the graph and the routes, as one report.
    pub fn into_report(self) -> FrontendReport {
        let files_analyzed = self
            .modules
            .modules
            .iter()
            .filter(|module| matches!(module.source, Source::Parsed(_) | Source::ParseError(_)))
            .count();
        FrontendReport {
            diagnostics: self.diagnostics,
            graph: self.graph,
            routes: self.routes,
            skipped: self.modules.skipped,
            files_analyzed,
        }
    }

    /// Re-reads each of `paths` as the module it already is. False, with the index left
    /// unchanged or partly updated, when that is not enough and everything must be loaded
    /// again: a file is new or gone, or its ambient module declarations changed.
    fn reload_in_place(&mut self, paths: &[&PathBuf]) -> bool {
        for path in paths {
            let Some(id) = self.modules.analyzed(path) else {
                return false;
            };
            if !self.modules.fs.is_file(&self.modules.absolute(path)) {
                return false;
            }
            let previous = self.modules.reload(id);
            let ambient = |source: &Source| match source {
                Source::Parsed(facts) => facts.ambient_modules.clone(),
                _ => Vec::new(),
            };
            if ambient(&previous.source) != ambient(&self.modules.modules[id].source) {
                return false;
            }
        }
        true
    }

    /// Loads every module again, with the files of `paths` added or dropped as the file
    /// system now has them.
    fn reload_all(&mut self, paths: &[&PathBuf]) {
        let fs = Arc::clone(&self.modules.fs);
        for path in paths {
            let exists = fs.is_file(&self.modules.absolute(path));
            match self.files.binary_search(path) {
                Ok(index) if !exists => {
                    self.files.remove(index);
                }
                Err(index) if exists => self.files.insert(index, (*path).clone()),
                _ => {}
            }
        }
        let root = self.modules.root.clone();
        self.modules = Modules::load(fs, &root, &self.files, &self.config);
    }

    /// Rebuilds the graph from the modules in memory, finds its cycles and runs every rule.
    fn analyze(&mut self) {
        let exports = Exports::new(&self.modules);
        self.graph = ModuleGraph::build(&self.modules, &exports);
        let cycles = cycle_components(&self.graph, &mut self.cycles);
        let context = rules::Context {
            modules: &self.modules,
            exports: &exports,
            graph: &self.graph,
            cycles: &cycles,
            config: &self.config,
        };
        let (mut diagnostics, routes) = rules::check(&context);
        sort_and_dedup(&mut diagnostics);
        self.diagnostics = diagnostics;
        self.routes = routes;
    }
}

/// Sorted diagnostics grouped by file.
fn by_file(diagnostics: &[Diagnostic]) -> BTreeMap<&Path, &[Diagnostic]> {
    diagnostics
        .chunk_by(|a, b| a.path == b.path)
        .map(|chunk| (chunk[0].path.as_path(), chunk))
        .collect()
}
