//! One rule per file: doc comment, check, fix and tests together. Every rule reads one
//! [`Context`]: the loaded modules, the export lookups and the graph.

mod edits;
pub mod import_cycle;
pub mod missing_default_export;
pub mod missing_export;
pub mod missing_required_prop;
pub mod nullish_required_prop;
pub mod parse_error;
pub mod route_broken_import;
pub mod route_config_unreadable;
pub mod route_export_kind;
pub mod route_missing_default_export;
pub mod route_types_not_generated;
pub mod unresolved_import;

#[cfg(test)]
pub(crate) mod testing;

use std::collections::HashSet;

use commerce_diagnostics::{Diagnostic, Rule};
use commerce_project::FrontendConfig;

use crate::collect::Import;
use crate::exports::Exports;
use crate::graph::ModuleGraph;
use crate::graph::cycles::CycleComponent;
use crate::project::{Module, ModuleId, Modules, Target};
use crate::routes::{self, Discovered, Route};

/// What every rule reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    pub modules: &'a Modules,
    pub exports: &'a Exports<'a>,
    pub graph: &'a ModuleGraph,
    /// The import cycles of the graph, computed once for the cycle and route rules.
    pub cycles: &'a [CycleComponent],
    pub config: &'a FrontendConfig,
    /// The modules [`Context::parsed`] yields; `None`: every one. An update of the frontend
    /// index narrows the per-module rules to the modules an edit can change.
    pub scope: Option<&'a HashSet<ModuleId>>,
}

impl Context<'_> {
    /// The analyzed modules that parsed (those in scope), with their ids.
    pub fn parsed(&self) -> impl Iterator<Item = (ModuleId, &Module)> {
        self.modules
            .modules
            .iter()
            .enumerate()
            .filter(|(id, module)| {
                module.facts().is_some() && self.scope.is_none_or(|scope| scope.contains(id))
            })
    }

    /// Every import of every parsed module, with what it resolved to.
    pub fn imports(&self) -> impl Iterator<Item = (ModuleId, &Import, &Target)> {
        self.parsed().flat_map(|(id, module)| {
            let imports = module.facts().map_or(&[][..], |facts| &facts.imports[..]);
            imports
                .iter()
                .zip(&module.targets)
                .map(move |(import, target)| (id, import, target))
        })
    }

    pub fn module(&self, id: ModuleId) -> &Module {
        &self.modules.modules[id]
    }
}

commerce_diagnostics::rule_registry! {
    /// Every frontend rule, one line each; [`check_modules`] and [`check_project`] run them.
    pub(crate) static RULES: [Rule<Check>] = [
        import_cycle,
        missing_default_export,
        missing_export,
        missing_required_prop,
        nullish_required_prop,
        parse_error,
        route_broken_import,
        route_config_unreadable,
        route_export_kind,
        route_missing_default_export,
        route_types_not_generated,
        unresolved_import,
    ];
}

/// How the frontend runs a rule.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Check {
    /// Judges each module in the context's scope by its own imports and JSX
    /// ([`check_modules`]).
    Module(fn(&Context<'_>) -> Vec<Diagnostic>),
    /// Over the whole project, before routes are discovered: the route rules judge routes by
    /// these findings too.
    Project(fn(&Context<'_>) -> Vec<Diagnostic>),
    /// Over the discovered routes.
    Routes(fn(&Context<'_>, &Discovered) -> Vec<Diagnostic>),
}

/// The rules that judge each module by its own imports and JSX, over the modules in
/// `context`'s scope.
///
/// Invariant: each reports only in the module it judges, and reads other modules only
/// through that module's imports (so an index update knows whose findings an edit can change).
pub(crate) fn check_modules(context: &Context<'_>) -> Vec<Diagnostic> {
    RULES
        .iter()
        .filter_map(|rule| match rule.check {
            Check::Module(check) => Some(check(context)),
            Check::Project(_) | Check::Routes(..) => None,
        })
        .flatten()
        .collect()
}

/// The rules over the whole project (parse errors, cycles, routes), added to `diagnostics`,
/// which holds every finding of [`check_modules`]: the route rules judge routes by them all.
/// Returns the routes.
pub(crate) fn check_project(
    context: &Context<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Route> {
    for rule in RULES {
        if let Check::Project(check) = rule.check {
            diagnostics.extend(check(context));
        }
    }
    let discovered = routes::discover(context, diagnostics);
    for rule in RULES {
        if let Check::Routes(check) = rule.check {
            diagnostics.extend(check(context, &discovered));
        }
    }
    discovered
        .routes
        .into_iter()
        .map(|(route, _)| route)
        .collect()
}
