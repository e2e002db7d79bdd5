//! The import graph: one node per module, one edge per import of another module, each edge
//! with its kind, and the renderers of `cargo commerce graph` (JSON as DESIGN §5, Graphviz
//! dot, Mermaid).

pub(crate) mod cycles;
mod tarjan;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use serde::Serialize;
use serde_json::json;

use crate::collect::ImportForm;
use crate::display_path;
use crate::exports::Exports;
use crate::project::{ModuleId, Modules, Target};

/// What an edge of the graph is, as `cargo commerce graph` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeKind {
    /// A static import, `require()` or `import x = require()` that stays in the JavaScript.
    Static,
    /// An import TypeScript erases (`import type`, `{ type X }`, or used only as types
    /// without `verbatimModuleSyntax`): no run-time dependency.
    TypeOnly,
    /// `import()`: loaded later, at run time.
    Dynamic,
    /// `export … from`, `export * from`.
    ReExport,
    /// `import "m"`.
    SideEffect,
}

impl EdgeKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Static => "static",
            EdgeKind::TypeOnly => "type-only",
            EdgeKind::Dynamic => "dynamic",
            EdgeKind::ReExport => "re-export",
            EdgeKind::SideEffect => "side-effect",
        }
    }

    /// Whether the edge exists in the emitted JavaScript.
    pub const fn is_runtime(self) -> bool {
        !matches!(self, EdgeKind::TypeOnly)
    }

    fn of(form: ImportForm, erased: bool) -> EdgeKind {
        if erased {
            return EdgeKind::TypeOnly;
        }
        match form {
            ImportForm::Static | ImportForm::Require | ImportForm::ImportEquals => EdgeKind::Static,
            ImportForm::SideEffect => EdgeKind::SideEffect,
            ImportForm::Dynamic => EdgeKind::Dynamic,
            ImportForm::ReExport => EdgeKind::ReExport,
            ImportForm::TypeQuery => EdgeKind::TypeOnly,
        }
    }
}

/// The weight of an edge: its kind, and which import of the source module it stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Edge {
    pub kind: EdgeKind,
    pub import: usize,
}

/// One edge as the outside world sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GraphEdge<'a> {
    pub from: &'a Path,
    pub to: &'a Path,
    pub kind: EdgeKind,
}

/// The import graph of a project. Node paths are relative to the project root.
#[derive(Clone, Debug, Default)]
pub struct ModuleGraph {
    /// Node `i` is module `i` of the analysis.
    graph: DiGraph<PathBuf, Edge>,
}

impl ModuleGraph {
    /// The graph of `modules` with the outgoing edges `edges[i]` of each module `i` (see
    /// [`module_edges`]).
    pub(crate) fn from_edges(modules: &Modules, edges: &[Vec<(ModuleId, Edge)>]) -> Self {
        let mut graph = DiGraph::with_capacity(modules.modules.len(), modules.modules.len() * 4);
        for module in &modules.modules {
            graph.add_node(module.path.clone());
        }
        for (from, edges) in edges.iter().enumerate() {
            for &(to, edge) in edges {
                graph.add_edge(NodeIndex::new(from), NodeIndex::new(to), edge);
            }
        }
        Self { graph }
    }

    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    /// Every module, analyzed or only imported.
    pub fn nodes(&self) -> impl Iterator<Item = &Path> {
        self.graph.node_weights().map(PathBuf::as_path)
    }

    /// Every edge, one per import (two imports of one module are two edges).
    pub fn edges(&self) -> impl Iterator<Item = GraphEdge<'_>> {
        self.graph.edge_references().map(|edge| GraphEdge {
            from: &self.graph[edge.source()],
            to: &self.graph[edge.target()],
            kind: edge.weight().kind,
        })
    }

    /// The strongly connected components with a cycle (more than one module, or a module
    /// importing itself), each sorted by path; over run-time edges only, or over all edges.
    pub fn strongly_connected_components(&self, runtime_only: bool) -> Vec<Vec<&Path>> {
        self.cyclic_components(runtime_only)
            .into_iter()
            .map(|component| component.into_iter().map(|id| self.path(id)).collect())
            .collect()
    }

    /// The graph as DESIGN §5 prints it: sorted nodes, and sorted distinct
    /// `{from, to, kind}` edges.
    pub fn to_json(&self) -> serde_json::Value {
        let nodes: BTreeSet<String> = self.nodes().map(display_path).collect();
        let edges: Vec<serde_json::Value> = self
            .distinct_edges()
            .into_iter()
            .map(|edge| json!({ "from": edge.0, "to": edge.1, "kind": edge.2.as_str() }))
            .collect();
        json!({ "nodes": nodes, "edges": edges })
    }

    /// Graphviz: type-only edges dashed, dynamic dotted, others labelled by kind.
    pub fn to_dot(&self) -> String {
        let mut dot = String::from("digraph imports {\n  rankdir=LR;\n  node [shape=box];\n");
        for node in self.nodes().map(display_path).collect::<BTreeSet<_>>() {
            let _ = writeln!(dot, "  {};", dot_quote(&node));
        }
        for (from, to, kind) in self.distinct_edges() {
            let style = match kind {
                EdgeKind::TypeOnly => "dashed",
                EdgeKind::Dynamic => "dotted",
                _ => "solid",
            };
            let _ = writeln!(
                dot,
                "  {} -> {} [label={}, style={style}];",
                dot_quote(&from),
                dot_quote(&to),
                dot_quote(kind.as_str())
            );
        }
        dot.push_str("}\n");
        dot
    }

    /// Mermaid flowchart: type-only edges dotted, every edge labelled by kind.
    pub fn to_mermaid(&self) -> String {
        let ids: BTreeMap<String, usize> = self
            .nodes()
            .map(display_path)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .enumerate()
            .map(|(id, node)| (node, id))
            .collect();
        let mut mermaid = String::from("flowchart LR\n");
        for (node, id) in &ids {
            let _ = writeln!(mermaid, "  n{id}[\"{}\"]", node.replace('"', "#quot;"));
        }
        for (from, to, kind) in self.distinct_edges() {
            let arrow = if kind.is_runtime() { "-->" } else { "-.->" };
            let _ = writeln!(
                mermaid,
                "  n{} {arrow}|{}| n{}",
                ids[&from],
                kind.as_str(),
                ids[&to]
            );
        }
        mermaid
    }

    fn distinct_edges(&self) -> BTreeSet<(String, String, EdgeKind)> {
        self.edges()
            .map(|edge| (display_path(edge.from), display_path(edge.to), edge.kind))
            .collect()
    }

    pub(crate) fn path(&self, id: ModuleId) -> &Path {
        &self.graph[NodeIndex::new(id)]
    }

    /// The edges from `from` to `to`, with their weights.
    pub(crate) fn edges_between(
        &self,
        from: ModuleId,
        to: ModuleId,
    ) -> impl Iterator<Item = Edge> + '_ {
        self.graph
            .edges_connecting(NodeIndex::new(from), NodeIndex::new(to))
            .map(|edge| *edge.weight())
    }

    /// Successors of every node over the edges `keep` accepts, sorted and deduplicated.
    pub(crate) fn adjacency(&self, keep: impl Fn(EdgeKind) -> bool) -> Vec<Vec<ModuleId>> {
        let mut adjacency = vec![Vec::new(); self.graph.node_count()];
        for edge in self.graph.edge_references() {
            if keep(edge.weight().kind) {
                adjacency[edge.source().index()].push(edge.target().index());
            }
        }
        for successors in &mut adjacency {
            successors.sort_unstable();
            successors.dedup();
        }
        adjacency
    }

    /// Components with a cycle, members sorted, components sorted by first member.
    pub(crate) fn cyclic_components(&self, runtime_only: bool) -> Vec<Vec<ModuleId>> {
        let adjacency = self.adjacency(|kind| !runtime_only || kind.is_runtime());
        let mut components: Vec<Vec<ModuleId>> = tarjan::strongly_connected(&adjacency)
            .into_iter()
            .filter(|component| {
                component.len() > 1 || adjacency[component[0]].binary_search(&component[0]).is_ok()
            })
            .map(|mut component| {
                component.sort_unstable();
                component
            })
            .collect();
        components.sort_unstable();
        components
    }
}

/// The edges out of module `from`, one per import of a project module, each with its kind:
/// whether TypeScript erases the import depends on what the target exports.
pub(crate) fn module_edges(
    modules: &Modules,
    exports: &Exports<'_>,
    from: ModuleId,
) -> Vec<(ModuleId, Edge)> {
    let module = &modules.modules[from];
    let Some(facts) = module.facts() else {
        return Vec::new();
    };
    facts
        .imports
        .iter()
        .zip(&module.targets)
        .enumerate()
        .filter_map(|(index, (import, target))| {
            let Target::Module(to) = target else {
                return None;
            };
            let erased = import.is_erased(module.dialect, module.keeps_imports, |binding| {
                exports.binding_is_type(target, binding)
            });
            Some((
                *to,
                Edge {
                    kind: EdgeKind::of(import.form, erased),
                    import: index,
                },
            ))
        })
        .collect()
}

fn dot_quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests;
