//! One rule per file: doc comment, check, fix and tests together. Every rule reads one
//! [`Context`]: the loaded modules, the export lookups and the graph.

mod edits;
pub mod import_cycle;
pub mod missing_default_export;
pub mod missing_export;
pub mod parse_error;
pub mod unresolved_import;

#[cfg(test)]
pub(crate) mod testing;

use commerce_diagnostics::{Diagnostic, RuleMeta};
use commerce_project::FrontendConfig;

use crate::exports::Exports;
use crate::graph::ModuleGraph;
use crate::project::{Module, ModuleId, Modules};

/// What every rule reads.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    pub modules: &'a Modules,
    pub exports: &'a Exports<'a>,
    pub graph: &'a ModuleGraph,
    pub config: &'a FrontendConfig,
}

impl Context<'_> {
    /// The analyzed modules that parsed, with their ids.
    pub fn parsed(&self) -> impl Iterator<Item = (ModuleId, &Module)> {
        self.modules
            .modules
            .iter()
            .enumerate()
            .filter(|(_, module)| module.facts().is_some())
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
        parse_error::UnparsableFile::META,
        unresolved_import::UnresolvedImport::META,
    ]
}

/// Runs every rule.
pub(crate) fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    let mut diagnostics = parse_error::check(context);
    diagnostics.extend(unresolved_import::check(context));
    diagnostics.extend(missing_export::check(context));
    diagnostics.extend(missing_default_export::check(context));
    diagnostics.extend(import_cycle::check(context));
    diagnostics
}
