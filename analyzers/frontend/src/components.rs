//! The props a JSX element's component takes: the component found through imports,
//! re-exports and barrels, its props type found the same way, flattened into fields.

use std::collections::{BTreeMap, HashSet};

use crate::collect::{ComponentDecl, ExportSource, Imported, Nullability, PropsShape, TypeShape};
use crate::project::{ModuleId, Target};
use crate::rules::Context;

/// How deep to follow imports and type references: far beyond real projects, short enough
/// that a pathological chain cannot hang the analysis.
const MAX_DEPTH: usize = 32;

/// One prop of a component, as the project's types declare it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Prop {
    pub name: String,
    pub optional: bool,
    /// The type certainly rejects `null` and `undefined`.
    pub rejects_nullish: bool,
}

/// The props of the component the local name `component` renders in `module`, by name; `None`
/// when the component or its props type is not in the project.
pub(crate) fn props_of(
    context: &Context<'_>,
    module: ModuleId,
    component: &str,
) -> Option<BTreeMap<String, Prop>> {
    let (module, decl) = declaration(context, module, component)?;
    let mut props: BTreeMap<String, Prop> = BTreeMap::new();
    let mut visited = HashSet::new();
    flatten(context, module, &decl.props, 0, &mut visited, &mut |prop| {
        props
            .entry(prop.name.clone())
            .and_modify(|known| {
                known.optional |= prop.optional;
                known.rejects_nullish &= prop.rejects_nullish;
            })
            .or_insert(prop);
    });
    Some(props)
}

/// A declaration named `name` in `module`, or wherever `name` is imported from there.
fn find<'a, T>(
    context: &Context<'a>,
    module: ModuleId,
    name: &str,
    depth: usize,
    pick: &dyn Fn(&'a crate::collect::ModuleFacts, &str) -> Option<&'a T>,
) -> Option<(ModuleId, &'a T)> {
    if depth > MAX_DEPTH {
        return None;
    }
    let facts = context.modules.modules[module].facts()?;
    if let Some(found) = pick(facts, name) {
        return Some((module, found));
    }
    let (import, binding) = facts.imported_local(name)?;
    let (target, local) = follow_binding(context, module, import, binding, depth)?;
    find(context, target, &local, depth + 1, pick)
}

/// The module and local name an import binding of `module` refers to.
fn follow_binding(
    context: &Context<'_>,
    module: ModuleId,
    import: usize,
    binding: usize,
    depth: usize,
) -> Option<(ModuleId, String)> {
    let source = &context.modules.modules[module];
    let Target::Module(target) = source.targets[import] else {
        return None;
    };
    let binding = &source.facts()?.imports[import].bindings[binding];
    let name = match &binding.imported {
        Imported::Named(name) => name.as_str(),
        Imported::Default => "default",
        Imported::Namespace | Imported::All => return None,
    };
    local_of(context, target, name, depth + 1)
}

/// The module and local name behind the export `name` of `module`, through re-exports and
/// `export *`.
fn local_of(
    context: &Context<'_>,
    module: ModuleId,
    name: &str,
    depth: usize,
) -> Option<(ModuleId, String)> {
    if depth > MAX_DEPTH {
        return None;
    }
    let facts = context.modules.modules[module].facts()?;
    for export in facts.exports_named(name) {
        let found = match &export.source {
            ExportSource::Declaration(_) if name != "default" => Some((module, name.to_owned())),
            ExportSource::Declaration(_) => None,
            ExportSource::Local { local, .. } => match facts.imported_local(local) {
                Some((import, binding)) => follow_binding(context, module, import, binding, depth),
                None => Some((module, local.clone())),
            },
            ExportSource::ReExport { import, binding } => {
                follow_binding(context, module, *import, *binding, depth)
            }
        };
        if found.is_some() {
            return found;
        }
    }
    if name == "default" {
        return None;
    }
    facts.star_exports().find_map(
        |import| match context.modules.modules[module].targets[import] {
            Target::Module(target) => local_of(context, target, name, depth + 1),
            _ => None,
        },
    )
}

fn find_type<'a>(
    context: &Context<'a>,
    module: ModuleId,
    name: &str,
) -> Option<(ModuleId, &'a TypeShape)> {
    find(context, module, name, 0, &|facts, name| {
        facts.prop_types.iter().find(|shape| shape.name == name)
    })
}

/// Every field a props shape declares, its named parts looked up in the project; parts that
/// cannot be found add nothing.
fn flatten(
    context: &Context<'_>,
    module: ModuleId,
    shape: &PropsShape,
    depth: usize,
    visited: &mut HashSet<(ModuleId, String)>,
    add: &mut dyn FnMut(Prop),
) {
    if depth > MAX_DEPTH {
        return;
    }
    match shape {
        PropsShape::Fields(fields) => {
            for field in fields {
                add(Prop {
                    name: field.name.clone(),
                    optional: field.optional,
                    rejects_nullish: rejects_nullish(context, module, &field.nullable),
                });
            }
        }
        PropsShape::Named(name) => {
            if let Some((found_in, found)) = find_type(context, module, name)
                && visited.insert((found_in, found.name.clone()))
            {
                flatten(context, found_in, &found.shape, depth + 1, visited, add);
            }
        }
        PropsShape::Intersection(parts) => {
            for part in parts {
                flatten(context, module, part, depth + 1, visited, add);
            }
        }
        PropsShape::Unknown => {}
    }
}

/// A named field type rejects `null` when it is an interface or an object type of the project.
fn rejects_nullish(context: &Context<'_>, module: ModuleId, nullable: &Nullability) -> bool {
    match nullable {
        Nullability::Accepts => false,
        Nullability::Rejects => true,
        Nullability::Depends(name) => find_type(context, module, name).is_some(),
    }
}

/// The module declaring the component the local name `component` renders in `module`.
pub(crate) fn declaration<'a>(
    context: &Context<'a>,
    module: ModuleId,
    component: &str,
) -> Option<(ModuleId, &'a ComponentDecl)> {
    find(context, module, component, 0, &|facts, name| {
        facts.components.iter().find(|decl| decl.name == name)
    })
}
