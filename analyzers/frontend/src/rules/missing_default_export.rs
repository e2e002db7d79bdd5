//! `frontend/missing-default-export`: a default import (or `export { default } from`) of a
//! module that has no default export.

use commerce_diagnostics::{
    Diagnostic, Edit, Fix, FixAvailability, Rule, Severity, TextRange, declare_rule,
};

use super::Check;
use super::Context;
use super::edits::rename_imported;
use crate::collect::{Import, ImportBinding, ImportForm, Imported};
use crate::display_path;
use crate::exports::Lookup;
use crate::project::{ModuleId, Target};

declare_rule! {
    /// ## What it does
    /// Reports default imports (`import Cart from "./cart"`) and re-exports of a default
    /// (`export { default } from "./cart"`, `export { default as Cart } from "./cart"`) whose
    /// target module has no default export. Targets whose exports cannot be listed statically
    /// (CommonJS, `export =`, files that do not parse) are not checked.
    ///
    /// ## Why is this bad?
    /// The import is `undefined` at run time: rendering `<Cart />` throws "Element type is
    /// invalid", and a route whose page module has no default export renders nothing.
    ///
    /// ## Example
    /// ```ts
    /// // cart.tsx
    /// export function Cart() {}
    /// // app.tsx
    /// import Cart from "./cart";
    /// ```
    ///
    /// Use instead:
    /// ```ts
    /// import { Cart } from "./cart";
    /// ```
    ///
    /// ## Fix safety
    /// When the target exports the imported local name (ignoring case), the fix imports that
    /// named export instead: `import Cart from` becomes `import { Cart } from`. It is unsafe:
    /// the named export is not always what the default was meant to be.
    pub MissingDefaultExport {
        id: "frontend/missing-default-export",
        severity: Severity::Error,
        fix: FixAvailability::Sometimes,
    }
}

pub(crate) const RULE: Rule<Check> = Rule::new(MissingDefaultExport::META, Check::Module(check));

pub(crate) fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for (id, import, target) in context.imports() {
        let Target::Module(target) = *target else {
            continue;
        };
        let defaults = import
            .bindings
            .iter()
            .filter(|binding| binding.imported == Imported::Default);
        for binding in defaults {
            if context.exports.lookup(target, "default") == Lookup::Missing {
                diagnostics.push(diagnostic(context, id, import, binding, target));
            }
        }
    }
    diagnostics
}

fn diagnostic(
    context: &Context<'_>,
    id: ModuleId,
    import: &Import,
    binding: &ImportBinding,
    target: ModuleId,
) -> Diagnostic {
    let module = context.module(id);
    let target_path = &context.module(target).path;
    let diagnostic = Diagnostic::new(
        MissingDefaultExport::META.id,
        MissingDefaultExport::META.default_severity,
        &module.path,
        binding.range,
        format!("`{}` has no default export", import.specifier),
    )
    .with_related(
        target_path,
        TextRange::default(),
        format!("`{}` resolves to this module", import.specifier),
    );
    let Some(named) = matching_export(context, binding, target) else {
        return diagnostic.with_help(format!(
            "add `export default` to `{}`, or import one of its named exports",
            display_path(target_path)
        ));
    };
    let help = format!(
        "`{}` exports `{named}`: import it by name",
        display_path(target_path)
    );
    match named_import_edit(context, id, import, binding, &named) {
        Some(edit) => diagnostic.with_help(help).with_fix(Fix::unsafe_edit(
            format!("import `{named}` by name"),
            vec![edit],
        )),
        None => diagnostic.with_help(help),
    }
}

/// The export of `target` named like the binding's local name, case ignored.
fn matching_export(
    context: &Context<'_>,
    binding: &ImportBinding,
    target: ModuleId,
) -> Option<String> {
    let local = binding
        .local
        .as_deref()
        .filter(|local| *local != "default")?;
    let names = context.exports.names(target);
    names
        .get(local)
        .or_else(|| names.iter().find(|name| name.eq_ignore_ascii_case(local)))
        .cloned()
}

/// `import Cart from` -> `import { Cart } from` (only when the default is the import's one
/// binding), `export { default as Cart } from` -> `export { Cart } from`.
fn named_import_edit(
    context: &Context<'_>,
    id: ModuleId,
    import: &Import,
    binding: &ImportBinding,
    named: &str,
) -> Option<Edit> {
    let path = &context.module(id).path;
    match import.form {
        ImportForm::Static if import.bindings.len() == 1 => {
            let local = binding.local.as_deref()?;
            let new_text = if local == named {
                format!("{{ {named} }}")
            } else {
                format!("{{ {named} as {local} }}")
            };
            Some(Edit::replacement(path, binding.range, new_text))
        }
        ImportForm::ReExport => {
            let text = context.modules.text(id)?;
            rename_imported(path, &text, binding, named)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::fixture;
    use super::*;

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(
            fixture("missing-default-export").snapshot(MissingDefaultExport::META.id)
        );
    }

    #[test]
    fn a_project_whose_defaults_all_exist_has_no_findings() {
        let project = fixture("clean");
        assert_eq!(
            project.findings(MissingDefaultExport::META.id),
            Vec::<String>::new()
        );
    }
}
