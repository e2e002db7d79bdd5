//! Text edits the frontend rules share: rewriting a module specifier, renaming the imported
//! name of a specifier, turning an import into `import type`, and relative specifiers.

use std::path::{Component, Path, PathBuf};

use commerce_diagnostics::{Edit, TextRange, TextSize};

use crate::collect::{Import, ImportBinding, ImportForm, Imported};

/// Replaces the string literal at `range` by `specifier`, keeping its quote character.
pub(super) fn replace_specifier(
    path: &Path,
    text: &str,
    range: TextRange,
    specifier: &str,
) -> Option<Edit> {
    let quote = text.get(range.to_usize_range())?.chars().next()?;
    let quote = if matches!(quote, '"' | '\'' | '`') {
        quote
    } else {
        '"'
    };
    Some(Edit::replacement(
        path,
        range,
        format!("{quote}{specifier}{quote}"),
    ))
}

/// The range of the imported name inside an import or re-export specifier (`Cart` in
/// `type Cart as Basket`), skipping a `type` modifier.
pub(super) fn imported_name_range(text: &str, binding: &ImportBinding) -> Option<TextRange> {
    let specifier = text.get(binding.range.to_usize_range())?;
    let skipped = type_modifier_len(specifier, binding);
    let rest = &specifier[skipped..];
    let len = match rest.chars().next()? {
        quote @ ('"' | '\'') => 2 + rest[1..].find(quote)?,
        _ => rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .unwrap_or(rest.len()),
    };
    let start = binding.range.start().to_usize() + skipped;
    Some(TextRange::from_usize_range(start..start + len))
}

/// The length of a leading `type ` modifier of a specifier, 0 when there is none (`type` alone
/// is a binding named `type`).
fn type_modifier_len(specifier: &str, binding: &ImportBinding) -> usize {
    let Some(rest) = specifier.strip_prefix("type") else {
        return 0;
    };
    let trimmed = rest.trim_start();
    let is_modifier = binding.type_only
        && trimmed.len() < rest.len()
        && !trimmed.is_empty()
        && !trimmed.starts_with("as ")
        && trimmed != "as";
    if is_modifier {
        specifier.len() - trimmed.len()
    } else {
        0
    }
}

/// Makes the specifier import `name` instead, keeping its local name: `Cartt` becomes
/// `Cart as Cartt`, `Cartt as Basket` becomes `Cart as Basket`.
pub(super) fn rename_imported(
    path: &Path,
    text: &str,
    binding: &ImportBinding,
    name: &str,
) -> Option<Edit> {
    let range = imported_name_range(text, binding)?;
    let specifier_end = binding.range.end();
    let aliased = text
        .get(range.end().to_usize()..specifier_end.to_usize())
        .is_some_and(|rest| rest.trim_start().starts_with("as"));
    let local = binding.local.as_deref()?;
    let new_text = if aliased || name == local {
        name.to_owned()
    } else {
        format!("{name} as {local}")
    };
    Some(Edit::replacement(path, range, new_text))
}

/// The edits that turn an import or re-export into a type-only one (`import type { A }`,
/// `export type { A } from`), or `None` when its form cannot be written that way.
///
/// A statement-level `type` cannot be combined with specifier-level ones, so those are
/// removed; and `import type` cannot have both a default and named bindings, so such an
/// import is split in two.
pub(super) fn type_only_edits(path: &Path, text: &str, import: &Import) -> Option<Vec<Edit>> {
    let statement = text.get(import.range.to_usize_range())?;
    let keyword = match import.form {
        ImportForm::Static | ImportForm::ImportEquals => "import",
        ImportForm::ReExport => "export",
        _ => return None,
    };
    if !statement.starts_with(keyword) {
        return None;
    }
    let has_default = import
        .bindings
        .iter()
        .any(|binding| binding.imported == Imported::Default);
    if import.form == ImportForm::Static && has_default && import.bindings.len() > 1 {
        return split_default_import(path, text, import);
    }
    let after_keyword = import.range.start() + TextSize::of(keyword);
    let mut edits = vec![Edit::insertion(path, after_keyword, " type")];
    for binding in &import.bindings {
        let specifier = text.get(binding.range.to_usize_range())?;
        let modifier = type_modifier_len(specifier, binding);
        if modifier > 0 {
            let start = binding.range.start();
            edits.push(Edit::deletion(
                path,
                TextRange::from_usize_range(start.to_usize()..start.to_usize() + modifier),
            ));
        }
    }
    Some(edits)
}

/// `import A, { B } from "m";` -> `import type A from "m";\nimport type { B } from "m";`
fn split_default_import(path: &Path, text: &str, import: &Import) -> Option<Vec<Edit>> {
    let source = text.get(import.specifier_range.to_usize_range())?;
    let mut default = None;
    let mut namespace = None;
    let mut named = Vec::new();
    for binding in &import.bindings {
        let specifier = text.get(binding.range.to_usize_range())?;
        let specifier = &specifier[type_modifier_len(specifier, binding)..];
        match binding.imported {
            Imported::Default => default = Some(specifier),
            Imported::Namespace => namespace = Some(specifier),
            Imported::Named(_) => named.push(specifier),
            Imported::All => return None,
        }
    }
    let mut statements = vec![format!("import type {} from {source};", default?)];
    if let Some(namespace) = namespace {
        statements.push(format!("import type {namespace} from {source};"));
    }
    if !named.is_empty() {
        statements.push(format!(
            "import type {{ {} }} from {source};",
            named.join(", ")
        ));
    }
    let range = statement_range_with_semicolon(text, import.range);
    Some(vec![Edit::replacement(path, range, statements.join("\n"))])
}

/// The statement's range, extended over a `;` right after it when swc left it out.
fn statement_range_with_semicolon(text: &str, range: TextRange) -> TextRange {
    if text[..range.end().to_usize()].ends_with(';') {
        return range;
    }
    match text.get(range.end().to_usize()..) {
        Some(rest) if rest.starts_with(';') => {
            TextRange::new(range.start(), range.end() + TextSize::new(1))
        }
        _ => range,
    }
}

/// The specifier that imports `target` from a module in `from_dir` (both relative to the
/// project root): `./x`, `../y/z`.
pub(super) fn relative_specifier(from_dir: &Path, target: &Path) -> String {
    let from: Vec<Component<'_>> = from_dir.components().collect();
    let to: Vec<Component<'_>> = target.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut relative = PathBuf::new();
    for _ in common..from.len() {
        relative.push("..");
    }
    for component in &to[common..] {
        relative.push(component);
    }
    let relative = crate::display_path(&relative);
    if relative.starts_with("..") {
        relative
    } else {
        format!("./{relative}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::{ModuleFacts, collect};
    use crate::parse::parse_module;

    fn facts(text: &str) -> ModuleFacts {
        collect(&parse_module(Path::new("a.ts"), text).expect("parses"))
    }

    fn apply(text: &str, mut edits: Vec<Edit>) -> String {
        edits.sort_by_key(|edit| std::cmp::Reverse(edit.range));
        let mut fixed = text.to_owned();
        for edit in edits {
            fixed.replace_range(edit.range.to_usize_range(), &edit.new_text);
        }
        fixed
    }

    #[test]
    fn imports_become_type_only() {
        let cases = [
            (
                "import { A, B as C } from './m';",
                "import type { A, B as C } from './m';",
            ),
            (
                "import { type A, B } from './m';",
                "import type { A, B } from './m';",
            ),
            ("import A from './m';", "import type A from './m';"),
            (
                "import * as m from './m';",
                "import type * as m from './m';",
            ),
            (
                "import A, { type B, C } from './m';",
                "import type A from './m';\nimport type { B, C } from './m';",
            ),
            (
                "import A, * as m from './m'",
                "import type A from './m';\nimport type * as m from './m';",
            ),
            (
                "import m = require('./m');",
                "import type m = require('./m');",
            ),
            (
                "export { type A, B as C } from './m';",
                "export type { A, B as C } from './m';",
            ),
            (
                "import { type } from './m';",
                "import type { type } from './m';",
            ),
        ];
        for (text, expected) in cases {
            let facts = facts(text);
            let edits = type_only_edits(Path::new("a.ts"), text, &facts.imports[0])
                .unwrap_or_else(|| panic!("no edits for {text}"));
            let fixed = apply(text, edits);
            assert_eq!(fixed, expected);
            assert!(parse_module(Path::new("a.ts"), &fixed).is_ok(), "{fixed}");
        }
    }

    #[test]
    fn imported_names_are_renamed_keeping_the_local_name() {
        let cases = [
            (
                "import { Cartt } from './m';",
                "import { Cart as Cartt } from './m';",
            ),
            (
                "import { Cartt as Basket } from './m';",
                "import { Cart as Basket } from './m';",
            ),
            (
                "import { type Cartt } from './m';",
                "import { type Cart as Cartt } from './m';",
            ),
            (
                "export { Cartt } from './m';",
                "export { Cart as Cartt } from './m';",
            ),
            (
                "import { 'Cartt' as C } from './m';",
                "import { Cart as C } from './m';",
            ),
        ];
        for (text, expected) in cases {
            let facts = facts(text);
            let binding = &facts.imports[0].bindings[0];
            let edit = rename_imported(Path::new("a.ts"), text, binding, "Cart").expect("an edit");
            assert_eq!(apply(text, vec![edit]), expected);
        }
    }

    #[test]
    fn specifiers_keep_their_quotes() {
        let text = "import a from './b';";
        let facts = facts(text);
        let edit = replace_specifier(
            Path::new("a.ts"),
            text,
            facts.imports[0].specifier_range,
            "./c",
        )
        .expect("an edit");
        assert_eq!(apply(text, vec![edit]), "import a from './c';");
    }

    #[test]
    fn relative_specifiers() {
        let cases = [
            ("src", "src/cart.ts", "./cart.ts"),
            ("src/a", "src/b/c", "../b/c"),
            ("src/a/b", "lib", "../../../lib"),
            ("", "src/x", "./src/x"),
        ];
        for (from, to, expected) in cases {
            assert_eq!(relative_specifier(Path::new(from), Path::new(to)), expected);
        }
    }
}
