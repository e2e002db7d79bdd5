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

use commerce_diagnostics::{Diagnostic, RuleMeta};
use commerce_project::FrontendConfig;

use crate::collect::Import;
use crate::exports::Exports;
use crate::graph::ModuleGraph;
use crate::graph::cycles::CycleComponent;
use crate::project::{Module, ModuleId, Modules, Target};
use crate::routes::{self, Route};

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

/// The metadata of every rule, in a stable order.
pub(crate) fn all() -> Vec<RuleMeta> {
    vec![
        import_cycle::ImportCycle::META,
        missing_default_export::MissingDefaultExport::META,
        missing_export::MissingExport::META,
        missing_required_prop::MissingRequiredProp::META,
        nullish_required_prop::NullishRequiredProp::META,
        parse_error::UnparsableFile::META,
        route_broken_import::RouteBrokenImport::META,
        route_config_unreadable::RouteConfigUnreadable::META,
        route_export_kind::RouteExportKind::META,
        route_missing_default_export::RouteMissingDefaultExport::META,
        route_types_not_generated::RouteTypesNotGenerated::META,
        unresolved_import::UnresolvedImport::META,
    ]
}

/// The rules that judge each module by its own imports and JSX, over the modules in
/// `context`'s scope.
///
/// Invariant: each reports only in the module it judges, and reads other modules only
/// through that module's imports (so an index update knows whose findings an edit can change).
pub(crate) fn check_modules(context: &Context<'_>) -> Vec<Diagnostic> {
    let mut diagnostics = unresolved_import::check(context);
    diagnostics.extend(missing_export::check(context));
    diagnostics.extend(missing_default_export::check(context));
    diagnostics.extend(missing_required_prop::check(context));
    diagnostics.extend(nullish_required_prop::check(context));
    diagnostics
}

/// The rules over the whole project (parse errors, cycles, routes), added to `diagnostics`,
/// which holds every finding of [`check_modules`]: the route rules judge routes by them all.
/// Returns the routes.
pub(crate) fn check_project(
    context: &Context<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Route> {
    diagnostics.extend(parse_error::check(context));
    diagnostics.extend(import_cycle::check(context));
    let discovered = routes::discover(context, diagnostics);
    let routes = discovered.routes;
    diagnostics.extend(route_missing_default_export::check(context, &routes));
    diagnostics.extend(route_broken_import::check(&routes));
    diagnostics.extend(route_config_unreadable::check(
        &discovered.unreadable_configs,
    ));
    diagnostics.extend(route_export_kind::check(context, &routes));
    diagnostics.extend(route_types_not_generated::check(context));
    routes.into_iter().map(|(route, _)| route).collect()
}
