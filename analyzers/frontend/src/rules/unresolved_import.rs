//! `frontend/unresolved-import`: an import no file or package answers to.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use commerce_diagnostics::suggest::nearest;
use commerce_diagnostics::{Diagnostic, Fix, FixAvailability, Rule, Severity, declare_rule};

use super::Check;
use super::Context;
use super::edits::{relative_specifier, replace_specifier};
use crate::collect::Import;
use crate::display_path;
use crate::parse::Dialect;
use crate::project::{ModuleId, Target};
use crate::resolve::{is_path_specifier, package_name};

declare_rule! {
    /// ## What it does
    /// Reports imports, re-exports, `import()` and `require()` calls whose specifier names
    /// nothing: no file of the project (after Node.js and TypeScript resolution: extensions,
    /// `.js` for `.ts`, index files, `tsconfig.json` `paths` and `baseUrl`, `package.json`
    /// `exports` and `imports`, workspace packages) and no package the project installs or
    /// declares. Node.js built-ins, modules declared with `declare module "name"` and virtual
    /// modules (`virtual:pwa-register`) are not reported, and neither are imports of assets
    /// (stylesheets, images, JSON) that exist.
    ///
    /// A path that matches a file only when case is ignored (`./Button` for `button.tsx`) is
    /// reported too: it works on macOS and Windows and fails on Linux CI.
    ///
    /// ## Why is this bad?
    /// The bundler or Node.js fails on it: the page, or the whole build, breaks.
    ///
    /// ## Example
    /// ```ts
    /// import { CartLine } from "./cart-lines";
    /// ```
    ///
    /// Use instead:
    /// ```ts
    /// import { CartLine } from "./cart-line";
    /// ```
    ///
    /// ## Fix safety
    /// The fix replaces the specifier by the nearest module that exists (by path similarity,
    /// a different case first) or, for a package name, the nearest declared package. It is
    /// unsafe: the nearest name is not always the module that was meant.
    pub UnresolvedImport {
        id: "frontend/unresolved-import",
        severity: Severity::Error,
        fix: FixAvailability::Sometimes,
    }
}

pub(crate) const RULE: Rule<Check> = Rule::new(UnresolvedImport::META, Check::Module(check));

pub(crate) fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut index = None;
    for (id, import, target) in context.imports() {
        if let Target::Unresolved(reason) = target {
            let index = index.get_or_insert_with(|| ModuleIndex::new(context));
            diagnostics.push(diagnostic(context, index, id, import, reason));
        }
    }
    diagnostics
}

fn diagnostic(
    context: &Context<'_>,
    index: &ModuleIndex,
    id: ModuleId,
    import: &Import,
    reason: &str,
) -> Diagnostic {
    let path = &context.module(id).path;
    let diagnostic = Diagnostic::new(
        UnresolvedImport::META.id,
        UnresolvedImport::META.default_severity,
        path,
        import.specifier_range,
        format!("cannot resolve `{}`: {reason}", import.specifier),
    )
    .with_data("specifier", import.specifier.clone());
    let suggestion = if is_path_specifier(&import.specifier) {
        index.nearest_module(path, &import.specifier)
    } else {
        nearest_package(context, &import.specifier)
    };
    let edit = suggestion.as_ref().and_then(|specifier| {
        let text = context.modules.text(id)?;
        replace_specifier(path, &text, import.specifier_range, specifier)
    });
    match (suggestion, edit) {
        (Some(specifier), Some(edit)) => diagnostic
            .with_help(format!("did you mean `{specifier}`?"))
            .with_fix(Fix::unsafe_edit(
                format!("import `{specifier}` instead"),
                vec![edit],
            )),
        _ if is_path_specifier(&import.specifier) => {
            diagnostic.with_help("no module of the project has a similar path: check the path")
        }
        _ => diagnostic.with_help(
            "declare the package in package.json (a declared package is not reported, installed or not), or fix the name",
        ),
    }
}

/// The nearest declared package, for a package name.
fn nearest_package(context: &Context<'_>, specifier: &str) -> Option<String> {
    let package = package_name(specifier)?;
    let declared = context.modules.resolver.declared_packages();
    let replacement = nearest(package, declared)?;
    Some(format!("{replacement}{}", &specifier[package.len()..]))
}

/// A way to name a module in a specifier: its path without extension (`src/cart`), or its
/// directory for an index file (`src/ui`), with the path to write.
#[derive(Debug)]
struct ModuleKey {
    key: String,
    target: PathBuf,
}

/// The project's modules indexed for "did you mean": by exact path ignoring case, by
/// directory (a typo in the file name), and by file name (a typo in a directory name).
#[derive(Debug, Default)]
struct ModuleIndex {
    by_lowercase: HashMap<String, usize>,
    by_dir: HashMap<String, Vec<usize>>,
    by_name: HashMap<String, Vec<usize>>,
    keys: Vec<ModuleKey>,
}

impl ModuleIndex {
    fn new(context: &Context<'_>) -> Self {
        let mut index = Self::default();
        for module in &context.modules.modules {
            for key in module_keys(&module.path) {
                let (dir, name) = split_key(&key.key);
                let position = index.keys.len();
                index
                    .by_lowercase
                    .entry(key.key.to_lowercase())
                    .or_insert(position);
                index
                    .by_dir
                    .entry(dir.to_owned())
                    .or_default()
                    .push(position);
                index
                    .by_name
                    .entry(name.to_owned())
                    .or_default()
                    .push(position);
                index.keys.push(key);
            }
        }
        index
    }

    /// The module whose path is closest to what the specifier asks for, as a specifier in the
    /// importing module's style (with or without an extension). A match ignoring case comes
    /// first, then the closest name in the same directory, then the same name in the closest
    /// directory.
    fn nearest_module(&self, from: &Path, specifier: &str) -> Option<String> {
        let from_dir = from.parent().unwrap_or(Path::new(""));
        let path_part = specifier.split(['?', '#']).next().unwrap_or(specifier);
        let wanted = crate::resolve::normalize(&from_dir.join(path_part));
        let written_extension = script_extension(Path::new(path_part));
        let wanted_key = display_path(&strip_script_extension(&wanted));
        let (dir, name) = split_key(&wanted_key);
        let own = display_path(&strip_script_extension(from));
        let closest = |positions: Option<&Vec<usize>>| -> Option<usize> {
            let positions = positions?;
            let candidates = positions
                .iter()
                .map(|&position| self.keys[position].key.as_str())
                .filter(|key| *key != own);
            let key = nearest(&wanted_key, candidates)?;
            positions
                .iter()
                .copied()
                .find(|&position| self.keys[position].key == key)
        };
        let chosen = self
            .by_lowercase
            .get(&wanted_key.to_lowercase())
            .copied()
            .filter(|&position| self.keys[position].key != own)
            .or_else(|| closest(self.by_dir.get(dir)))
            .or_else(|| closest(self.by_name.get(name)))?;
        let target = &self.keys[chosen].target;
        let target = match written_extension {
            Some(extension) => with_extension_like(target, extension),
            None => strip_script_extension(target),
        };
        Some(relative_specifier(from_dir, &target))
    }
}

/// `src/ui/cart` -> (`src/ui`, `cart`).
fn split_key(key: &str) -> (&str, &str) {
    key.rsplit_once('/').unwrap_or(("", key))
}

/// The ways a module can be named without extension: `src/cart` for `src/cart.ts`, and also
/// `src/ui` for `src/ui/index.tsx`. Each key comes with the path to write in a specifier
/// (without extension, or with it kept to add the written one back).
fn module_keys(path: &Path) -> Vec<ModuleKey> {
    let stripped = strip_script_extension(path);
    let mut keys = vec![ModuleKey {
        key: display_path(&stripped),
        target: path.to_path_buf(),
    }];
    if stripped.file_name().is_some_and(|name| name == "index")
        && let Some(dir) = stripped.parent()
    {
        keys.push(ModuleKey {
            key: display_path(dir),
            target: dir.to_path_buf(),
        });
    }
    keys
}

/// The extension of a script path (`ts`, `js`, …), if it has one.
fn script_extension(path: &Path) -> Option<&str> {
    Dialect::of(path)?;
    path.extension()?.to_str()
}

fn strip_script_extension(path: &Path) -> PathBuf {
    let mut stripped = path.to_path_buf();
    if script_extension(path).is_some() {
        stripped.set_extension("");
        // `types.d.ts` is named `types`.
        if stripped
            .extension()
            .is_some_and(|extension| extension == "d")
        {
            stripped.set_extension("");
        }
    }
    stripped
}

/// `target` (a module path, or a directory for an index file) written with the extension the
/// importing module used: `.js` stays `.js` for a `.ts` module, as TypeScript wants.
fn with_extension_like(target: &Path, written: &str) -> PathBuf {
    let Some(actual) = script_extension(target) else {
        return target.to_path_buf();
    };
    let extension = match (written, actual) {
        ("js" | "jsx", "ts" | "tsx" | "js" | "jsx") => written,
        ("mjs", "mts" | "mjs") => "mjs",
        ("cjs", "cts" | "cjs") => "cjs",
        _ => actual,
    };
    let mut path = strip_script_extension(target);
    let name = format!(
        "{}.{extension}",
        path.file_name()
            .map(|name| name.to_string_lossy())
            .unwrap_or_default()
    );
    path.set_file_name(name);
    path
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Project, fixture};
    use super::*;

    /// Three packages, each resolved with the tsconfig that owns its files: the same `@/*`
    /// alias names `src/` in one and `src/internal/` in another, a third uses `~/*` and
    /// `baseUrl`; two extend a base from the workspace package `@acme/tsconfig`; workspace
    /// packages resolve through their `exports`. Only the planted broken import is reported.
    #[test]
    fn a_monorepo_resolves_each_file_with_the_tsconfig_that_owns_it() {
        assert_eq!(
            fixture("monorepo-tsconfigs").findings(UnresolvedImport::META.id),
            [
                "apps/shop/app/routes/home.tsx:2:24 cannot resolve `~/components/footer`: no file matches it through the tsconfig `paths`"
            ]
        );
        // `[frontend] tsconfig` overrides: one tsconfig for every file, as `init` used to
        // write it, and the other packages' aliases no longer resolve.
        let mut overridden = fixture("monorepo-tsconfigs");
        overridden.config.tsconfig = Some("apps/shop/tsconfig.json".to_owned());
        assert!(overridden.findings(UnresolvedImport::META.id).len() > 1);
    }

    #[test]
    fn snapshot() {
        // Installed: an undeclared package is then known to be missing. (Fixtures cannot hold
        // a `node_modules` directory: git ignores it.)
        let mut project = fixture("unresolved-import");
        project.files.insert(
            "node_modules/react/package.json".into(),
            r#"{ "main": "index.js" }"#.to_owned(),
        );
        project
            .files
            .insert("node_modules/react/index.js".into(), String::new());
        insta::assert_snapshot!(project.snapshot(UnresolvedImport::META.id));
    }

    #[test]
    fn a_project_without_broken_imports_has_no_findings() {
        let project = fixture("clean");
        assert_eq!(
            project.findings(UnresolvedImport::META.id),
            Vec::<String>::new()
        );
    }

    #[test]
    fn specifiers_keep_the_written_extension_style() {
        let project = Project::new(&[
            (
                "src/a.ts",
                "import './cartt.js';\nimport './lib/indx';\nimport './Cart';\n",
            ),
            ("src/cart.ts", ""),
            ("src/lib/index.ts", ""),
        ]);
        let fixes: Vec<String> = project
            .diagnostics(UnresolvedImport::META.id)
            .into_iter()
            .filter_map(|diagnostic| diagnostic.fix)
            .map(|fix| fix.edits[0].new_text.clone())
            .collect();
        assert_eq!(fixes, ["'./cart.js'", "'./lib/index'", "'./cart'"]);
    }
}
