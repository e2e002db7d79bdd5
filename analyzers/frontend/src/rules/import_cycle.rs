//! `frontend/import-cycle`: modules that import each other, directly or through others.

use commerce_diagnostics::{Diagnostic, Edit, Fix, FixAvailability, Rule, Severity, declare_rule};
use serde_json::Value;

use super::Check;
use super::Context;
use super::edits::type_only_edits;
use crate::display_path;
use crate::graph::cycles::{CycleComponent, is_acyclic};
use crate::graph::{Edge, EdgeKind};
use crate::project::{ModuleId, Target};

declare_rule! {
    /// ## What it does
    /// Reports every strongly connected component of the import graph: a set of modules each
    /// of which imports (directly or not) every other. There is one finding per component of
    /// the graph of run-time imports (the imports TypeScript keeps in the JavaScript it emits),
    /// reported as an error, and one per component that exists only through imports
    /// TypeScript erases (`import type`, `{ type X }`, and imports used only as types unless
    /// `verbatimModuleSyntax` keeps them), reported at `[frontend] type_only_cycles` (a warning
    /// by default, `off` to silence). The finding is placed on the first import of a shortest
    /// cycle through the component and names every module of it.
    ///
    /// ## Why is this bad?
    /// In a run-time cycle one of the modules is evaluated before the other has finished: its
    /// imports are `undefined` or in their temporal dead zone at that moment, which crashes
    /// (`Cannot access 'Cart' before initialization`) or silently reads `undefined`, depending
    /// on which module a bundler or test runner happens to load first. Cycles also defeat
    /// tree-shaking and code splitting, and make every module of the component a dependency of
    /// every other. Type-only cycles do not run, but still tie the modules together.
    ///
    /// ## Example
    /// ```ts
    /// // cart.ts
    /// import { priceOf } from "./pricing";
    /// export class Cart { total() { return priceOf(this); } }
    /// // pricing.ts
    /// import { Cart } from "./cart";
    /// export const priceOf = (cart: Cart) => 0;
    /// export const emptyCart = new Cart();
    /// ```
    ///
    /// Use instead: move what both need into a third module, or import only types:
    /// ```ts
    /// // pricing.ts
    /// import type { Cart } from "./cart";
    /// export const priceOf = (cart: Cart) => 0;
    /// ```
    ///
    /// ## Fix safety
    /// When turning the component's imports that are used only as types into `import type`
    /// (`export type` for re-exports) leaves no run-time cycle among its modules, the fix does
    /// exactly that, in every file concerned. It is safe: those imports carry no run-time
    /// value. Otherwise the help names the import whose removal breaks the most of the
    /// component's shortest cycles.
    pub ImportCycle {
        id: "frontend/import-cycle",
        severity: Severity::Error,
        fix: FixAvailability::Sometimes,
    }
}

pub(crate) const RULE: Rule<Check> = Rule::new(ImportCycle::META, Check::Project(check));

pub(crate) fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    let type_only_severity = context.config.type_only_cycles.severity();
    context
        .cycles
        .iter()
        .filter_map(|component| {
            let severity = if component.runtime {
                ImportCycle::META.default_severity
            } else {
                type_only_severity?
            };
            Some(diagnostic(context, component, severity))
        })
        .collect()
}

fn diagnostic(context: &Context<'_>, component: &CycleComponent, severity: Severity) -> Diagnostic {
    let cycle = &component.cycle;
    let hops: Vec<(ModuleId, ModuleId)> = cycle
        .iter()
        .enumerate()
        .map(|(index, &from)| (from, cycle[(index + 1) % cycle.len()]))
        .collect();
    let mut chain: Vec<String> = cycle.iter().map(|&id| path_of(context, id)).collect();
    chain.push(path_of(context, cycle[0]));
    let message = if component.runtime {
        format!("import cycle: {}", chain.join(" -> "))
    } else {
        format!(
            "import cycle through type-only imports: {}",
            chain.join(" -> ")
        )
    };
    let (first_from, first_to) = hops[0];
    let first = import_range(context, first_from, first_to, component.runtime);
    let mut diagnostic = Diagnostic::new(
        ImportCycle::META.id,
        severity,
        &context.module(first_from).path,
        first.unwrap_or_default(),
        message,
    );
    for &(from, to) in &hops[1..] {
        if let Some(range) = import_range(context, from, to, component.runtime) {
            diagnostic = diagnostic.with_related(
                &context.module(from).path,
                range,
                format!(
                    "`{}` imports `{}`",
                    path_of(context, from),
                    path_of(context, to)
                ),
            );
        }
    }
    let paths =
        |ids: &[ModuleId]| -> Value { ids.iter().map(|&id| path_of(context, id)).collect() };
    diagnostic = diagnostic
        .with_data("members", paths(&component.members))
        .with_data("cycle", paths(cycle))
        .with_data("runtime", component.runtime);
    match type_only_fix(context, component) {
        Some(fix) => diagnostic
            .with_help(
                "these imports are used only as types: with `import type` they are erased at run time, which breaks the cycle",
            )
            .with_fix(fix),
        None => diagnostic.with_help(busiest_edge_help(context, component)),
    }
}

fn path_of(context: &Context<'_>, id: ModuleId) -> String {
    display_path(&context.module(id).path)
}

/// The import of `from` that makes the hop `from -> to`: the first run-time one for a
/// run-time cycle, the first type-only one (else any) for a type-only cycle.
fn hop_edge(context: &Context<'_>, from: ModuleId, to: ModuleId, runtime: bool) -> Option<Edge> {
    let mut edges: Vec<Edge> = context.graph.edges_between(from, to).collect();
    edges.sort_by_key(|edge| edge.import);
    if runtime {
        edges.into_iter().find(|edge| edge.kind.is_runtime())
    } else {
        let type_only = edges
            .iter()
            .find(|edge| edge.kind == EdgeKind::TypeOnly)
            .copied();
        type_only.or_else(|| edges.first().copied())
    }
}

fn import_range(
    context: &Context<'_>,
    from: ModuleId,
    to: ModuleId,
    runtime: bool,
) -> Option<commerce_diagnostics::TextRange> {
    let edge = hop_edge(context, from, to, runtime)?;
    let facts = context.module(from).facts()?;
    Some(facts.imports.get(edge.import)?.specifier_range)
}

fn busiest_edge_help(context: &Context<'_>, component: &CycleComponent) -> String {
    let busiest = component.busiest;
    let from = path_of(context, busiest.from);
    let to = path_of(context, busiest.to);
    let breaks = if busiest.of > 1 {
        format!(
            " breaks the most cycles ({} of the {} shortest cycles through its modules)",
            busiest.cycles, busiest.of
        )
    } else {
        " breaks it".to_owned()
    };
    let removal = format!("removing the import of `{to}` from `{from}`{breaks}");
    if component.runtime {
        format!(
            "{removal}; move what both modules need into a module of their own, or import it lazily"
        )
    } else {
        format!(
            "TypeScript erases these imports, so the cycle does not run, but it ties the modules together; {removal}"
        )
    }
}

/// The safe fix of a run-time component: `import type` for each of its run-time imports used
/// only as types, when that leaves no run-time cycle among its modules.
fn type_only_fix(context: &Context<'_>, component: &CycleComponent) -> Option<Fix> {
    if !component.runtime {
        return None;
    }
    let members = &component.members;
    let local = |id: ModuleId| members.binary_search(&id).ok();
    let mut remaining = vec![Vec::new(); members.len()];
    let mut converted = Vec::new();
    for (position, &id) in members.iter().enumerate() {
        let module = context.module(id);
        let facts = module.facts()?;
        for (index, (import, target)) in facts.imports.iter().zip(&module.targets).enumerate() {
            let Target::Module(to) = *target else {
                continue;
            };
            let Some(to_position) = local(to) else {
                continue;
            };
            let runtime = context
                .graph
                .edges_between(id, to)
                .any(|edge| edge.import == index && edge.kind.is_runtime());
            if !runtime {
                continue;
            }
            let convertible = import.can_become_type_only(module.dialect, |binding| {
                context.exports.binding_is_type(target, binding)
            });
            if convertible {
                converted.push((id, index));
            } else {
                remaining[position].push(to_position);
            }
        }
    }
    if converted.is_empty() || !is_acyclic(&remaining) {
        return None;
    }
    let mut edits: Vec<Edit> = Vec::new();
    for (id, index) in &converted {
        let module = context.module(*id);
        let text = context.modules.text(*id)?;
        let import = &module.facts()?.imports[*index];
        edits.extend(type_only_edits(&module.path, &text, import)?);
    }
    let title = if converted.len() == 1 {
        "use `import type` for the import used only as types".to_owned()
    } else {
        format!(
            "use `import type` for the {} imports used only as types",
            converted.len()
        )
    };
    Some(Fix::safe(title, edits))
}

#[cfg(test)]
mod tests {
    use commerce_project::{CycleLevel, FrontendConfig};

    use super::super::testing::{Project, fixture};
    use super::*;

    #[test]
    fn runtime_and_type_only_cycles() {
        insta::assert_snapshot!(fixture("import-cycle").snapshot(ImportCycle::META.id));
    }

    #[test]
    fn verbatim_module_syntax_makes_type_uses_run_time_and_the_fix_breaks_the_cycle() {
        insta::assert_snapshot!(fixture("import-cycle-verbatim").snapshot(ImportCycle::META.id));
    }

    #[test]
    fn type_only_cycles_follow_the_configured_level() {
        let project = Project::new(&[
            (
                "a.ts",
                "import type { B } from './b';\nexport interface A { b: B }\n",
            ),
            (
                "b.ts",
                "import type { A } from './a';\nexport interface B { a: A }\n",
            ),
        ]);
        let severities = |level| {
            project
                .clone()
                .with_config(FrontendConfig {
                    type_only_cycles: level,
                    ..FrontendConfig::default()
                })
                .diagnostics(ImportCycle::META.id)
                .iter()
                .map(|diagnostic| diagnostic.severity)
                .collect::<Vec<_>>()
        };
        assert_eq!(severities(CycleLevel::Warn), [Severity::Warning]);
        assert_eq!(severities(CycleLevel::Error), [Severity::Error]);
        assert_eq!(severities(CycleLevel::Info), [Severity::Info]);
        assert_eq!(severities(CycleLevel::Off), []);
    }

    #[test]
    fn a_module_importing_itself_is_a_cycle() {
        let project = Project::new(&[(
            "a.ts",
            "import { x } from './a';\nexport const x = 1;\nuse(x);\n",
        )]);
        assert_eq!(
            project.findings(ImportCycle::META.id),
            ["a.ts:1:19 import cycle: a.ts -> a.ts"]
        );
    }

    #[test]
    fn a_project_without_cycles_has_no_findings() {
        let project = fixture("clean");
        assert_eq!(project.findings(ImportCycle::META.id), Vec::<String>::new());
    }
}
