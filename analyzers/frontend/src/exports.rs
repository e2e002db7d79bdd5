//! What a module exports, following re-exports, `export *` chains and namespaces across
//! modules. Answers are memoized: a barrel file is read once however many modules import it.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};

use crate::collect::{DeclKind, ExportSource, ImportBinding, Imported};
use crate::project::{ModuleId, Modules, Target};

/// What a name exported by a module turns out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// Exported; the kind when known (it is not for a re-export from a package).
    Found(Option<DeclKind>),
    /// Exported as the namespace of this module (`export * as ns from "./m"`).
    Namespace(ModuleId),
    /// The module does not export the name.
    Missing,
    /// Cannot be known statically: CommonJS, `export =`, a file that did not parse, an
    /// `export *` from a package.
    Unknown,
}

impl Lookup {
    /// Combines the answers of two exports under one name (a type and a value).
    fn merge(self, other: Lookup) -> Lookup {
        match (self, other) {
            (Lookup::Found(Some(a)), Lookup::Found(Some(b))) => Lookup::Found(Some(a.merge(b))),
            (Lookup::Found(_), Lookup::Found(_)) => Lookup::Found(None),
            (Lookup::Missing, other) | (other, Lookup::Missing) => other,
            (found, _) => found,
        }
    }

    pub(crate) fn is_type(self) -> bool {
        self == Lookup::Found(Some(DeclKind::Type))
    }
}

/// Export lookups over one set of modules.
#[derive(Debug)]
pub(crate) struct Exports<'a> {
    modules: &'a Modules,
    cache: RefCell<HashMap<(ModuleId, String), Lookup>>,
    /// Lookups under way, to cut `export *` cycles.
    in_progress: RefCell<HashSet<(ModuleId, String)>>,
}

impl<'a> Exports<'a> {
    pub(crate) fn new(modules: &'a Modules) -> Self {
        Self {
            modules,
            cache: RefCell::default(),
            in_progress: RefCell::default(),
        }
    }

    /// What `module` exports under `name` (`default` for the default export).
    pub(crate) fn lookup(&self, module: ModuleId, name: &str) -> Lookup {
        self.lookup_tracked(module, name).0
    }

    /// Whether `binding`, imported from `target`, names something that is only a type.
    pub(crate) fn binding_is_type(&self, target: &Target, binding: &ImportBinding) -> bool {
        match (target, binding.imported.export_name()) {
            (Target::Module(module), Some(name)) => self.lookup(*module, name).is_type(),
            _ => false,
        }
    }

    /// What import `import`, binding `binding` of `module` refers to in its target. A name
    /// its target lacks still counts as found here: that import is the one reported.
    pub(crate) fn binding(&self, module: ModuleId, import: usize, binding: usize) -> Lookup {
        self.follow(module, import, binding).0
    }

    /// Every name `module` exports, through `export *` too; for "did you mean" suggestions.
    pub(crate) fn names(&self, module: ModuleId) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        let mut visited = HashSet::new();
        self.collect_names(module, &mut names, &mut visited);
        names
    }

    fn collect_names(
        &self,
        module: ModuleId,
        names: &mut BTreeSet<String>,
        visited: &mut HashSet<ModuleId>,
    ) {
        let Some(facts) = self.modules.modules[module].facts() else {
            return;
        };
        if !visited.insert(module) {
            return;
        }
        names.extend(facts.exports.iter().map(|export| export.name.clone()));
        for import in facts.star_exports() {
            if let Target::Module(target) = self.modules.modules[module].targets[import] {
                let mut starred = BTreeSet::new();
                self.collect_names(target, &mut starred, visited);
                starred.remove("default");
                names.extend(starred);
            }
        }
    }

    /// The lookup, and whether it is complete: one cut short by an `export *` cycle is not
    /// cached, since the same question asked from elsewhere may have a fuller answer.
    fn lookup_tracked(&self, module: ModuleId, name: &str) -> (Lookup, bool) {
        let key = (module, name.to_owned());
        if let Some(cached) = self.cache.borrow().get(&key) {
            return (*cached, true);
        }
        if !self.in_progress.borrow_mut().insert(key.clone()) {
            return (Lookup::Missing, false);
        }
        let (lookup, complete) = self.compute(module, name);
        self.in_progress.borrow_mut().remove(&key);
        if complete {
            self.cache.borrow_mut().insert(key, lookup);
        }
        (lookup, complete)
    }

    fn compute(&self, module: ModuleId, name: &str) -> (Lookup, bool) {
        let Some(facts) = self.modules.modules[module].facts() else {
            return (Lookup::Unknown, true);
        };
        if facts.dynamic_exports {
            return (Lookup::Unknown, true);
        }
        let mut found = Lookup::Missing;
        let mut complete = true;
        for export in facts.exports_named(name) {
            let (lookup, done) = match &export.source {
                ExportSource::Declaration(kind) => (Lookup::Found(Some(*kind)), true),
                ExportSource::Local {
                    type_only: true, ..
                } => (Lookup::Found(Some(DeclKind::Type)), true),
                ExportSource::Local { local, .. } => self.local(module, local),
                ExportSource::ReExport { import, binding } => {
                    self.follow(module, *import, *binding)
                }
            };
            found = found.merge(lookup);
            complete &= done;
        }
        if found != Lookup::Missing || name == "default" {
            return (found, complete);
        }
        let (starred, done) = self.through_stars(module, name);
        (starred, complete && done)
    }

    /// What the local name `local` of `module` is: a declaration, an import, or a global.
    fn local(&self, module: ModuleId, local: &str) -> (Lookup, bool) {
        let Some(facts) = self.modules.modules[module].facts() else {
            return (Lookup::Unknown, true);
        };
        let declared = facts
            .declarations
            .iter()
            .filter(|declaration| declaration.name == local)
            .map(|declaration| declaration.kind)
            .reduce(DeclKind::merge);
        if let Some(kind) = declared {
            return (Lookup::Found(Some(kind)), true);
        }
        match facts.imported_local(local) {
            Some((import, binding)) => self.follow(module, import, binding),
            None => (Lookup::Found(None), true),
        }
    }

    /// What an import binding of `module` refers to in its target.
    fn follow(&self, module: ModuleId, import: usize, binding: usize) -> (Lookup, bool) {
        let Some(facts) = self.modules.modules[module].facts() else {
            return (Lookup::Unknown, true);
        };
        let binding = &facts.imports[import].bindings[binding];
        let marked_type = binding.type_only;
        let Target::Module(target) = self.modules.modules[module].targets[import] else {
            return (Lookup::Found(None), true);
        };
        let (lookup, complete) = match &binding.imported {
            Imported::Namespace => (Lookup::Namespace(target), true),
            Imported::Default => self.lookup_tracked(target, "default"),
            Imported::Named(name) => self.lookup_tracked(target, name),
            Imported::All => (Lookup::Unknown, true),
        };
        let lookup = match lookup {
            Lookup::Missing => Lookup::Found(None),
            Lookup::Found(_) if marked_type => Lookup::Found(Some(DeclKind::Type)),
            other => other,
        };
        (lookup, complete)
    }

    fn through_stars(&self, module: ModuleId, name: &str) -> (Lookup, bool) {
        let Some(facts) = self.modules.modules[module].facts() else {
            return (Lookup::Unknown, true);
        };
        let mut result = Lookup::Missing;
        let mut complete = true;
        for import in facts.star_exports() {
            let type_only = facts.imports[import].type_only;
            let lookup = match self.modules.modules[module].targets[import] {
                Target::Module(target) => {
                    let (lookup, done) = self.lookup_tracked(target, name);
                    complete &= done;
                    lookup
                }
                Target::External | Target::Unresolved(_) => Lookup::Unknown,
                Target::Asset => Lookup::Missing,
            };
            let lookup = match lookup {
                Lookup::Found(_) | Lookup::Namespace(_) if type_only => {
                    Lookup::Found(Some(DeclKind::Type))
                }
                other => other,
            };
            match (result, lookup) {
                (_, Lookup::Found(_) | Lookup::Namespace(_)) => return (lookup, complete),
                (Lookup::Missing, Lookup::Unknown) => result = Lookup::Unknown,
                _ => {}
            }
        }
        (result, complete)
    }
}
