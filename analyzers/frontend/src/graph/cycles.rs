//! Import cycles: the strongly connected components of the run-time graph, and those of the
//! whole graph that exist only through erased (type-only) imports, each with a shortest cycle
//! and the import whose removal breaks the most of its cycles.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use super::{EdgeKind, ModuleGraph, tarjan};
use crate::project::ModuleId;

/// One strongly connected component with a cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CycleComponent {
    /// Every module of the component, sorted by path.
    pub members: Vec<ModuleId>,
    /// A shortest cycle through the component, in import order (each module imports the next,
    /// the last imports the first), starting at its first module by path. For a component
    /// that exists only through type imports, a shortest cycle using at least one of them.
    pub cycle: Vec<ModuleId>,
    /// Made of run-time edges: the modules really load each other.
    pub runtime: bool,
    pub busiest: BusiestEdge,
}

/// The import that lies on the most of a component's shortest cycles (one per member, or per
/// type-only edge): removing it breaks all of those.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BusiestEdge {
    pub from: ModuleId,
    pub to: ModuleId,
    /// How many of the cycles considered go through it.
    pub cycles: usize,
    /// How many distinct cycles were considered.
    pub of: usize,
}

/// Every component to report: one per run-time component, and one per component of the whole
/// graph that is not exactly a run-time component.
///
/// A component whose shape (members and the edges among them) is in `cache` keeps the
/// description found there: finding the shortest cycles is quadratic in a component's size,
/// and an edit to one file leaves almost every component as it was. The cache is left holding
/// exactly the components returned.
pub(crate) fn cycle_components(graph: &ModuleGraph, cache: &mut CycleCache) -> Vec<CycleComponent> {
    let runtime = graph.adjacency(EdgeKind::is_runtime);
    let all = graph.adjacency(|_| true);
    let runtime_components = graph.cyclic_components(true);
    let reported: HashSet<&Vec<ModuleId>> = runtime_components.iter().collect();
    let type_only_components: Vec<Vec<ModuleId>> = graph
        .cyclic_components(false)
        .into_iter()
        .filter(|members| !reported.contains(members))
        .collect();
    let shapes = runtime_components
        .iter()
        .map(|members| ComponentShape::new(members, &runtime, None))
        .chain(
            type_only_components
                .iter()
                .map(|members| ComponentShape::new(members, &all, Some(&runtime))),
        );
    let mut described = HashMap::new();
    let components = shapes
        .map(|shape| {
            let component = cache
                .described
                .remove(&shape)
                .unwrap_or_else(|| shape.describe());
            described.insert(shape, component.clone());
            component
        })
        .collect();
    cache.described = described;
    components
}

/// The descriptions of the components an earlier [`cycle_components`] returned, by shape.
#[derive(Debug, Default)]
pub(crate) struct CycleCache {
    described: HashMap<ComponentShape, CycleComponent>,
}

/// Everything a component's description depends on: its members, its edges and, for a
/// component that exists only through type imports, which of those edges are run-time ones.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ComponentShape {
    members: Vec<ModuleId>,
    edges: LocalGraph,
    runtime_edges: Option<LocalGraph>,
}

impl ComponentShape {
    fn new(
        members: &[ModuleId],
        successors: &[Vec<ModuleId>],
        runtime: Option<&[Vec<ModuleId>]>,
    ) -> Self {
        Self {
            members: members.to_vec(),
            edges: LocalGraph::new(members, successors),
            runtime_edges: runtime.map(|runtime| LocalGraph::new(members, runtime)),
        }
    }

    fn describe(&self) -> CycleComponent {
        describe(&self.members, &self.edges, self.runtime_edges.as_ref())
    }
}

/// Whether the graph given by `successors` has no cycle at all (self-loops included).
pub(crate) fn is_acyclic(successors: &[Vec<usize>]) -> bool {
    tarjan::strongly_connected(successors)
        .iter()
        .all(|component| component.len() == 1 && !successors[component[0]].contains(&component[0]))
}

/// The component `members`, whose edges are `local`. With `runtime` (its run-time edges)
/// given, the component is a type-only one and its cycles must use an edge that is not a
/// run-time one.
fn describe(
    members: &[ModuleId],
    local: &LocalGraph,
    runtime: Option<&LocalGraph>,
) -> CycleComponent {
    let cycles: BTreeSet<Vec<usize>> = match runtime {
        None => (0..members.len())
            .filter_map(|member| local.shortest_cycle_through(member))
            .collect(),
        Some(runtime) => local
            .edges()
            .filter(|&(from, to)| runtime.successors[from].binary_search(&to).is_err())
            .filter_map(|(from, to)| local.shortest_cycle_using(from, to))
            .collect(),
    };
    let shortest = cycles
        .iter()
        .min_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)))
        .cloned()
        .unwrap_or_else(|| vec![0]);
    CycleComponent {
        members: members.to_vec(),
        cycle: shortest.iter().map(|&node| members[node]).collect(),
        runtime: runtime.is_none(),
        busiest: busiest_edge(&cycles, members),
    }
}

fn busiest_edge(cycles: &BTreeSet<Vec<usize>>, members: &[ModuleId]) -> BusiestEdge {
    let mut counts: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for cycle in cycles {
        for (index, &from) in cycle.iter().enumerate() {
            let to = cycle[(index + 1) % cycle.len()];
            *counts.entry((from, to)).or_default() += 1;
        }
    }
    let ((from, to), count) = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map_or(((0, 0), 0), |(edge, count)| (*edge, *count));
    BusiestEdge {
        from: members[from],
        to: members[to],
        cycles: count,
        of: cycles.len(),
    }
}

/// A component's edges in local indices (positions in the sorted member list), each node's
/// successors sorted.
#[derive(Debug, PartialEq, Eq, Hash)]
struct LocalGraph {
    successors: Vec<Vec<usize>>,
}

impl LocalGraph {
    fn new(members: &[ModuleId], successors: &[Vec<ModuleId>]) -> Self {
        let local = |module: ModuleId| members.binary_search(&module).ok();
        let successors = members
            .iter()
            .map(|&member| {
                successors[member]
                    .iter()
                    .filter_map(|&to| local(to))
                    .collect()
            })
            .collect();
        Self { successors }
    }

    fn edges(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.successors
            .iter()
            .enumerate()
            .flat_map(|(from, targets)| targets.iter().map(move |&to| (from, to)))
    }

    /// A shortest cycle through `start`, rotated to begin at its smallest node.
    fn shortest_cycle_through(&self, start: usize) -> Option<Vec<usize>> {
        let path = self.shortest_path(start, start)?;
        Some(rotated(path))
    }

    /// A shortest cycle that takes the edge `from -> to`, rotated to begin at its smallest node.
    fn shortest_cycle_using(&self, from: usize, to: usize) -> Option<Vec<usize>> {
        if from == to {
            return Some(vec![from]);
        }
        let mut path = self.shortest_path(to, from)?;
        // `to … from`, and the edge closes it: the cycle is `from, to, …`.
        path.pop();
        path.insert(0, from);
        Some(rotated(path))
    }

    /// The nodes of a shortest path of at least one edge from `from` to `to`, `from` included
    /// and `to` left out (for `from == to`, the cycle's nodes).
    fn shortest_path(&self, from: usize, to: usize) -> Option<Vec<usize>> {
        let mut parent = vec![usize::MAX; self.successors.len()];
        let mut queue = VecDeque::from([from]);
        let mut seen = vec![false; self.successors.len()];
        seen[from] = true;
        while let Some(node) = queue.pop_front() {
            for &next in &self.successors[node] {
                if next == to {
                    let mut path = vec![node];
                    let mut current = node;
                    while current != from {
                        current = parent[current];
                        path.push(current);
                    }
                    path.reverse();
                    if from != to {
                        path.push(to);
                    }
                    return Some(path);
                }
                if !seen[next] {
                    seen[next] = true;
                    parent[next] = node;
                    queue.push_back(next);
                }
            }
        }
        None
    }
}

/// The cycle starting at its smallest node, order kept.
fn rotated(mut cycle: Vec<usize>) -> Vec<usize> {
    if let Some(start) = cycle
        .iter()
        .enumerate()
        .min_by_key(|(_, node)| **node)
        .map(|(index, _)| index)
    {
        cycle.rotate_left(start);
    }
    cycle
}
