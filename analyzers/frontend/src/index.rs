//! [`FrontendIndex`]: a frontend kept in memory between analyses, for the language server.
//!
//! Loading reads, parses and resolves every module once. An update re-reads only the changed
//! files: each is parsed again and its imports resolved again. What an edit can change is the
//! changed modules and the modules importing them, directly or through modules that pass their
//! exports on (`export *`, `export { x } from`, an imported name exported again): only those
//! get their edges (type-only or not) and their per-module findings computed again. The graph
//! is put together from the kept and new edges, a cycle whose members and edges did not change
//! keeps its description (the costly part of cycle finding), and the project rules (cycles,
//! routes, parse errors) run over the result. The update says which files' diagnostics
//! changed, so only those are republished.
//!
//! Invariant: after any sequence of updates the diagnostics are exactly those a fresh
//! [`crate::check_project`] finds on the same texts (a property test holds this).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use commerce_diagnostics::{Diagnostic, sort_and_dedup};
use commerce_project::{FileSystem, FrontendConfig, SkippedFile};

use crate::collect::ExportSource;
use crate::exports::Exports;
use crate::graph::cycles::{CycleCache, cycle_components};
use crate::graph::{Edge, ModuleGraph, module_edges};
use crate::project::{ModuleId, Modules, Source, is_analyzed_source};
use crate::resolve::is_resolution_input;
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
    /// The edges out of each module (see [`module_edges`]).
    edges: Vec<Vec<(ModuleId, Edge)>>,
    graph: ModuleGraph,
    cycles: CycleCache,
    /// The findings of the per-module rules, by the module they are in.
    module_findings: Vec<Vec<Diagnostic>>,
    /// Every finding, sorted by path (see [`sort_and_dedup`]).
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
            edges: Vec::new(),
            graph: ModuleGraph::default(),
            cycles: CycleCache::default(),
            module_findings: Vec::new(),
            diagnostics: Vec::new(),
            routes: Vec::new(),
        };
        index.analyze(None);
        index
    }

    /// Brings the index up to date with the current text of `paths` (project-relative) in
    /// the file system it was loaded from. A changed tsconfig or `package.json` builds the
    /// resolver again and so reloads everything; other paths that are not frontend sources
    /// are ignored.
    pub fn update(&mut self, paths: &[PathBuf]) -> IndexUpdate {
        let sources: Vec<&PathBuf> = paths
            .iter()
            .filter(|path| is_analyzed_source(path, &self.config))
            .collect();
        let resolution_changed = paths
            .iter()
            .any(|path| is_resolution_input(path, self.config.tsconfig.as_deref().map(Path::new)));
        if sources.is_empty() && !resolution_changed {
            return IndexUpdate::default();
        }
        let previous = std::mem::take(&mut self.diagnostics);
        let in_place = if resolution_changed {
            None
        } else {
            self.reload_in_place(&sources)
        };
        let reloaded = match in_place {
            Some(changed) => {
                let affected = self.affected_by(&changed);
                self.analyze(Some(&affected));
                false
            }
            None => {
                self.reload_all(paths);
                self.analyze(None);
                true
            }
        };
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

    /// Every route, sorted by path, each OK or with its problems.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The resolver the import graph was built with (the render step resolves through it).
    pub fn resolver(&self) -> &crate::resolve::ModuleResolver {
        &self.modules.resolver
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

    /// Re-reads each of `paths` as the module it already is, and returns their ids. `None`,
    /// with the index left partly updated, when that is not enough and everything must be
    /// loaded again: a file is new or gone, or its ambient module declarations changed.
    fn reload_in_place(&mut self, paths: &[&PathBuf]) -> Option<Vec<ModuleId>> {
        let mut changed = Vec::new();
        for path in paths {
            let id = self.modules.analyzed(path)?;
            if !self.modules.fs.is_file(&self.modules.absolute(path)) {
                return None;
            }
            let previous = self.modules.reload(id);
            let ambient = |source: &Source| match source {
                Source::Parsed(facts) => facts.ambient_modules.clone(),
                _ => Vec::new(),
            };
            if ambient(&previous.source) != ambient(&self.modules.modules[id].source) {
                return None;
            }
            changed.push(id);
        }
        Some(changed)
    }

    /// The modules whose edges and per-module findings an edit of `changed` can change: those
    /// modules, and every module importing one of them, followed further through importers
    /// that pass exports on.
    fn affected_by(&self, changed: &[ModuleId]) -> HashSet<ModuleId> {
        let mut importers: Vec<Vec<ModuleId>> = vec![Vec::new(); self.modules.modules.len()];
        for (from, edges) in self.edges.iter().enumerate() {
            for &(to, _) in edges {
                importers[to].push(from);
            }
        }
        let mut affected: HashSet<ModuleId> = changed.iter().copied().collect();
        let mut queue = changed.to_vec();
        while let Some(module) = queue.pop() {
            for &importer in importers.get(module).into_iter().flatten() {
                if affected.insert(importer) && self.passes_exports_on(importer) {
                    queue.push(importer);
                }
            }
        }
        affected
    }

    /// Whether what `module` exports depends on what its imports export: `export *`, a
    /// re-export, or an imported name exported again.
    fn passes_exports_on(&self, module: ModuleId) -> bool {
        let Some(facts) = self.modules.modules[module].facts() else {
            return false;
        };
        let imported = |local: &str| {
            facts.imports.iter().any(|import| {
                import
                    .bindings
                    .iter()
                    .any(|binding| binding.local.as_deref() == Some(local))
            })
        };
        facts.star_exports().next().is_some()
            || facts.exports.iter().any(|export| match &export.source {
                ExportSource::ReExport { .. } => true,
                ExportSource::Local { local, .. } => imported(local),
                ExportSource::Declaration(_) => false,
            })
    }

    /// Loads every module again, with the files of `paths` added or dropped as the file
    /// system now has them.
    fn reload_all(&mut self, paths: &[PathBuf]) {
        let fs = Arc::clone(&self.modules.fs);
        for path in paths {
            let exists = fs.is_file(&self.modules.absolute(path));
            match self.files.binary_search(path) {
                Ok(index) if !exists => {
                    self.files.remove(index);
                }
                Err(index) if exists => self.files.insert(index, path.clone()),
                _ => {}
            }
        }
        let root = self.modules.root.clone();
        self.modules = Modules::load(fs, &root, &self.files, &self.config);
        // Module ids mean other files now.
        self.edges.clear();
        self.module_findings.clear();
    }

    /// Computes the edges and per-module findings of the modules in `affected` (all when
    /// `None`) again, puts the graph together, finds its cycles and runs the project rules.
    fn analyze(&mut self, affected: Option<&HashSet<ModuleId>>) {
        let exports = Exports::new(&self.modules);
        let count = self.modules.modules.len();
        self.edges.resize_with(count, Vec::new);
        self.module_findings.resize_with(count, Vec::new);
        let in_scope = |id: &ModuleId| affected.is_none_or(|affected| affected.contains(id));
        for id in (0..count).filter(in_scope) {
            self.edges[id] = module_edges(&self.modules, &exports, id);
            self.module_findings[id].clear();
        }
        self.graph = ModuleGraph::from_edges(&self.modules, &self.edges);
        let cycles = cycle_components(&self.graph, &mut self.cycles);
        let context = rules::Context {
            modules: &self.modules,
            exports: &exports,
            graph: &self.graph,
            cycles: &cycles,
            config: &self.config,
            scope: None,
        };
        let scoped = rules::Context {
            scope: affected,
            ..context
        };
        for diagnostic in rules::check_modules(&scoped) {
            if let Some(id) = self.modules.analyzed(&diagnostic.path) {
                self.module_findings[id].push(diagnostic);
            }
        }
        let mut diagnostics: Vec<Diagnostic> =
            self.module_findings.iter().flatten().cloned().collect();
        let routes = rules::check_project(&context, &mut diagnostics);
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

#[cfg(test)]
mod tests {
    use commerce_project::{MemoryFs, OverlayFs};

    use super::*;

    fn overlay(files: &[(&str, &str)]) -> Arc<OverlayFs> {
        let memory: MemoryFs = files
            .iter()
            .map(|(path, text)| (Path::new("/p").join(path), text.as_bytes()))
            .collect();
        Arc::new(OverlayFs::new(Arc::new(memory)))
    }

    fn rules_in(index: &FrontendIndex, path: &str) -> Vec<String> {
        index
            .diagnostics_in(Path::new(path))
            .iter()
            .map(|diagnostic| format!("{}: {}", diagnostic.rule, diagnostic.message))
            .collect()
    }

    #[test]
    fn an_edit_behind_a_barrel_updates_the_modules_importing_the_barrel() {
        let files = [
            (
                "src/app.ts",
                "import { price } from \"./barrel\";\nprice();\n",
            ),
            ("src/barrel.ts", "export * from \"./pricing\";\n"),
            ("src/pricing.ts", "export function price() {}\n"),
            ("src/other.ts", "export const unrelated = 1;\n"),
        ];
        let fs = overlay(&files);
        let paths: Vec<PathBuf> = files.iter().map(|(path, _)| PathBuf::from(path)).collect();
        let mut index = FrontendIndex::load(
            fs.clone(),
            Path::new("/p"),
            &paths,
            &FrontendConfig::default(),
        );
        assert_eq!(rules_in(&index, "src/app.ts"), Vec::<String>::new());

        fs.set("/p/src/pricing.ts", "export function cost() {}\n");
        let update = index.update(&[PathBuf::from("src/pricing.ts")]);
        assert!(!update.reloaded);
        assert_eq!(update.changed, [PathBuf::from("src/app.ts")]);
        assert_eq!(
            rules_in(&index, "src/app.ts"),
            ["frontend/missing-export: `./barrel` has no export named `price`"]
        );
        // Only the edited module, the barrel and its importer were judged again.
        assert_eq!(
            index
                .affected_by(&[index
                    .modules
                    .analyzed(Path::new("src/pricing.ts"))
                    .expect("analyzed")])
                .len(),
            3
        );
    }
}
