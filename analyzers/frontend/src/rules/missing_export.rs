//! `frontend/missing-export`: a named import or re-export of a name the target module does not
//! export.

use commerce_diagnostics::suggest::nearest;
use commerce_diagnostics::{
    Diagnostic, Edit, Fix, FixAvailability, Rule, Severity, TextRange, declare_rule,
};

use super::Check;
use super::Context;
use super::edits::{imported_name_range, rename_imported};
use crate::collect::{ImportBinding, Imported, MemberAccess};
use crate::display_path;
use crate::exports::Lookup;
use crate::project::{ModuleId, Target};

declare_rule! {
    /// ## What it does
    /// Reports named imports (`import { Cart } from "./cart"`), named re-exports
    /// (`export { Cart } from "./cart"`) and namespace members (`cart.Cart` after
    /// `import * as cart from "./cart"`) that name something the target module does not
    /// export. Exports are followed through re-exports, `export *` chains (barrel files) and
    /// `export * as ns`. Targets whose exports cannot be listed statically (CommonJS,
    /// `export =`, files that do not parse, an `export *` from a package) are not checked.
    /// Default imports are `frontend/missing-default-export`'s.
    ///
    /// ## Why is this bad?
    /// TypeScript rejects it; in JavaScript, or with a bundler that does not type-check, the
    /// import is `undefined` at run time and the first use crashes the page.
    ///
    /// ## Example
    /// ```ts
    /// // cart.ts
    /// export function addLine() {}
    /// // checkout.ts
    /// import { addLines } from "./cart";
    /// ```
    ///
    /// Use instead:
    /// ```ts
    /// import { addLine as addLines } from "./cart";
    /// ```
    ///
    /// ## Fix safety
    /// When the target declares the name without exporting it, the fix adds `export` to that
    /// declaration; otherwise it imports the closest exported name under the same local name.
    /// Both are unsafe: the first widens the target's public API, the second may pick the
    /// wrong name.
    pub MissingExport {
        id: "frontend/missing-export",
        severity: Severity::Error,
        fix: FixAvailability::Sometimes,
    }
}

pub(crate) const RULE: Rule<Check> = Rule::new(MissingExport::META, Check::Module(check));

pub(crate) fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for (id, import, target) in context.imports() {
        let Target::Module(target) = *target else {
            continue;
        };
        for binding in &import.bindings {
            if let Imported::Named(name) = &binding.imported
                && context.exports.lookup(target, name) == Lookup::Missing
            {
                let place = Place::Specifier(binding);
                diagnostics.push(diagnostic(
                    context,
                    id,
                    &import.specifier,
                    target,
                    name,
                    place,
                ));
            }
        }
    }
    for (id, module) in context.parsed() {
        let Some(facts) = module.facts() else {
            continue;
        };
        for access in &facts.member_accesses {
            if let Lookup::Namespace(target) =
                context.exports.binding(id, access.import, access.binding)
                && context.exports.lookup(target, &access.name) == Lookup::Missing
            {
                let specifier = &facts.imports[access.import].specifier;
                let place = Place::Member(access);
                diagnostics.push(diagnostic(
                    context,
                    id,
                    specifier,
                    target,
                    &access.name,
                    place,
                ));
            }
        }
    }
    diagnostics
}

/// Where the missing name is written.
#[derive(Clone, Copy)]
enum Place<'a> {
    /// In an import or re-export specifier.
    Specifier(&'a ImportBinding),
    /// After a namespace: `ns.name`.
    Member(&'a MemberAccess),
}

/// `source` is the specifier for an import or re-export, the namespace's local name for a
/// member access.
fn diagnostic(
    context: &Context<'_>,
    id: ModuleId,
    source: &str,
    target: ModuleId,
    name: &str,
    place: Place<'_>,
) -> Diagnostic {
    let module = context.module(id);
    let text = context.modules.text(id).unwrap_or_default();
    let range = match place {
        Place::Specifier(binding) => imported_name_range(&text, binding).unwrap_or(binding.range),
        Place::Member(access) => access.range,
    };
    let diagnostic = Diagnostic::new(
        MissingExport::META.id,
        MissingExport::META.default_severity,
        &module.path,
        range,
        format!("`{source}` has no export named `{name}`"),
    )
    .with_related(
        &context.module(target).path,
        TextRange::default(),
        match place {
            Place::Specifier(_) => format!("`{source}` resolves to this module"),
            Place::Member(_) => format!("`{source}` is the namespace of this module"),
        },
    );
    if let Some(fix) = export_declaration(context, target, name) {
        let help = format!(
            "`{name}` is declared in `{}` but not exported",
            display_path(&context.module(target).path)
        );
        return diagnostic.with_help(help).with_fix(fix);
    }
    let names = context.exports.names(target);
    let candidates = names
        .iter()
        .map(String::as_str)
        .filter(|candidate| *candidate != "default");
    let Some(closest) = nearest(name, candidates) else {
        return diagnostic.with_help(format!(
            "export `{name}` from `{}`, or import one of the names it exports",
            display_path(&context.module(target).path)
        ));
    };
    let edit = match place {
        Place::Specifier(binding) => rename_imported(&module.path, &text, binding, closest),
        Place::Member(access) => Some(Edit::replacement(&module.path, access.range, closest)),
    };
    let diagnostic = diagnostic.with_help(format!("did you mean `{closest}`?"));
    match edit {
        Some(edit) => diagnostic.with_fix(Fix::unsafe_edit(format!("use `{closest}`"), vec![edit])),
        None => diagnostic,
    }
}

/// Adds `export` in front of the target's own declaration of `name`, when it has one that is
/// not exported.
fn export_declaration(context: &Context<'_>, target: ModuleId, name: &str) -> Option<Fix> {
    let facts = context.module(target).facts()?;
    let declaration = facts
        .declarations
        .iter()
        .find(|declaration| declaration.name == name && !declaration.exported)?;
    let text = context.modules.text(target)?;
    // `export default function name() {}` declares `name` too; it cannot take a second
    // `export`.
    if text
        .get(declaration.statement_start.to_usize()..)?
        .starts_with("export")
    {
        return None;
    }
    let path = &context.module(target).path;
    Some(Fix::unsafe_edit(
        format!("export `{name}` from `{}`", display_path(path)),
        vec![Edit::insertion(
            path,
            declaration.statement_start,
            "export ",
        )],
    ))
}

#[cfg(test)]
mod tests {
    use super::super::testing::fixture;
    use super::*;

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(fixture("missing-export").snapshot(MissingExport::META.id));
    }

    #[test]
    fn a_project_whose_imports_all_exist_has_no_findings() {
        let project = fixture("clean");
        assert_eq!(
            project.findings(MissingExport::META.id),
            Vec::<String>::new()
        );
    }
}
