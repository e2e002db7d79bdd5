//! Tarjan's strongly connected components, iterative.
//!
//! `petgraph::algo::tarjan_scc` recurses once per node on a path, and a long import chain in a
//! 20k-module project would overflow the small stacks of rayon's worker threads; this version
//! keeps its call stack on the heap.

const UNVISITED: usize = usize::MAX;

/// The strongly connected components of the graph given by `successors` (node `i`'s successors
/// are `successors[i]`), every node in exactly one component, in reverse topological order.
pub(super) fn strongly_connected(successors: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut search = Search::new(successors.len());
    for root in 0..successors.len() {
        if search.index[root] == UNVISITED {
            search.run(successors, root);
        }
    }
    search.components
}

/// The state of one search.
struct Search {
    index: Vec<usize>,
    low: Vec<usize>,
    on_stack: Vec<bool>,
    stack: Vec<usize>,
    /// Each frame: a node, and how many of its successors have been looked at.
    calls: Vec<(usize, usize)>,
    next_index: usize,
    components: Vec<Vec<usize>>,
}

impl Search {
    fn new(count: usize) -> Self {
        Self {
            index: vec![UNVISITED; count],
            low: vec![0; count],
            on_stack: vec![false; count],
            stack: Vec::new(),
            calls: Vec::new(),
            next_index: 0,
            components: Vec::new(),
        }
    }

    fn visit(&mut self, node: usize) {
        self.index[node] = self.next_index;
        self.low[node] = self.next_index;
        self.next_index += 1;
        self.stack.push(node);
        self.on_stack[node] = true;
        self.calls.push((node, 0));
    }

    fn run(&mut self, successors: &[Vec<usize>], root: usize) {
        self.visit(root);
        while let Some(&(node, seen)) = self.calls.last() {
            if let Some(&successor) = successors[node].get(seen) {
                if let Some(frame) = self.calls.last_mut() {
                    frame.1 += 1;
                }
                if self.index[successor] == UNVISITED {
                    self.visit(successor);
                } else if self.on_stack[successor] {
                    self.low[node] = self.low[node].min(self.index[successor]);
                }
                continue;
            }
            self.calls.pop();
            if let Some(&(parent, _)) = self.calls.last() {
                self.low[parent] = self.low[parent].min(self.low[node]);
            }
            if self.low[node] == self.index[node] {
                self.pop_component(node);
            }
        }
    }

    fn pop_component(&mut self, root: usize) {
        let mut component = Vec::new();
        while let Some(member) = self.stack.pop() {
            self.on_stack[member] = false;
            component.push(member);
            if member == root {
                break;
            }
        }
        self.components.push(component);
    }
}

#[cfg(test)]
mod tests {
    use petgraph::graph::DiGraph;

    use super::*;

    fn sorted(mut components: Vec<Vec<usize>>) -> Vec<Vec<usize>> {
        for component in &mut components {
            component.sort_unstable();
        }
        components.sort_unstable();
        components
    }

    /// petgraph's recursive Tarjan over the same edges: the reference.
    fn reference(successors: &[Vec<usize>]) -> Vec<Vec<usize>> {
        let mut graph = DiGraph::<(), ()>::new();
        let nodes: Vec<_> = successors.iter().map(|_| graph.add_node(())).collect();
        for (from, targets) in successors.iter().enumerate() {
            for &to in targets {
                graph.add_edge(nodes[from], nodes[to], ());
            }
        }
        let components = petgraph::algo::tarjan_scc(&graph)
            .into_iter()
            .map(|component| component.into_iter().map(|node| node.index()).collect())
            .collect();
        sorted(components)
    }

    #[test]
    fn finds_cycles_self_loops_and_singletons() {
        let successors = vec![
            vec![1],
            vec![2],
            vec![0, 3],
            vec![3],
            vec![5],
            vec![4],
            vec![],
        ];
        assert_eq!(
            sorted(strongly_connected(&successors)),
            [vec![0, 1, 2], vec![3], vec![4, 5], vec![6]]
        );
    }

    #[test]
    fn agrees_with_petgraph_on_pseudo_random_graphs() {
        // A small linear congruential generator: deterministic, no extra dependency.
        let mut seed: u64 = 0x5eed;
        let mut next = |bound: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            usize::try_from(seed >> 33).unwrap_or(0) % bound
        };
        for _ in 0..200 {
            let count = 1 + next(40);
            let successors: Vec<Vec<usize>> = (0..count)
                .map(|_| (0..next(4)).map(|_| next(count)).collect())
                .collect();
            assert_eq!(
                sorted(strongly_connected(&successors)),
                reference(&successors)
            );
        }
    }

    #[test]
    fn a_long_chain_does_not_overflow_the_stack() {
        let count = 200_000;
        let mut successors: Vec<Vec<usize>> = (0..count).map(|node| vec![node + 1]).collect();
        successors[count - 1] = vec![0];
        let components = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || strongly_connected(&successors))
            .expect("thread")
            .join()
            .expect("no overflow");
        assert_eq!(components.len(), 1);
        assert_eq!(components[0].len(), count);
    }
}
