//! The collector: what one module imports and exports, read from its syntax tree alone.
//!
//! [`collect`] records every import form (static, side-effect, `import type`, `{ type X }`,
//! dynamic `import()`, `require()`, `import x = require()`, `import("m").T` in types), every
//! export form (declarations, `export default`, `export { x as y }`, `export =`, `export *`,
//! `export * as ns`, re-exports), and for each imported binding whether it is used in a value
//! position, only in type positions, or not at all. Whether TypeScript erases an import
//! depends on that usage and on the project's `verbatimModuleSyntax`; [`Import::is_erased`]
//! makes that decision once the tsconfig and the target module's exports are known.

mod props;
mod router;
mod statements;
mod usage;

use commerce_diagnostics::{TextRange, TextSize};
use serde::Serialize;

use crate::parse::{Dialect, ParsedModule};

/// How a module is brought in by an [`Import`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImportForm {
    /// `import x from "m"`, `import { x } from "m"`, `import * as ns from "m"`.
    Static,
    /// `import "m"`: loaded for its side effects only.
    SideEffect,
    /// `import("m")`.
    Dynamic,
    /// `require("m")`.
    Require,
    /// `import x = require("m")` (TypeScript).
    ImportEquals,
    /// `export { x } from "m"`, `export * from "m"`, `export * as ns from "m"`.
    ReExport,
    /// `import("m").T` inside a type: never survives compilation.
    TypeQuery,
}

/// What a binding takes from the imported module.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Imported {
    /// `import x from "m"`, `export { default } from "m"`.
    Default,
    /// `import { x } from "m"`, `export { x } from "m"`.
    Named(String),
    /// `import * as ns from "m"`, `export * as ns from "m"`, `import ns = require("m")`.
    Namespace,
    /// `export * from "m"`: every named export except `default`.
    All,
}

impl Imported {
    /// The export name this binding needs from the target: `default`, the name, or `None`
    /// for namespaces and `export *`, which need no particular name.
    pub fn export_name(&self) -> Option<&str> {
        match self {
            Imported::Default => Some("default"),
            Imported::Named(name) => Some(name),
            Imported::Namespace | Imported::All => None,
        }
    }
}

/// Where an imported binding is referenced in the importing module.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Usage {
    /// Read as a value: an expression, JSX, `extends`, a decorator, `export { x }`.
    pub value: bool,
    /// Named in a type: an annotation, `implements`, `typeof x` in a type.
    pub types: bool,
    /// Read as a value while the module itself evaluates (outside every function body): in an
    /// import cycle such a read can meet the binding before its module ran.
    pub evaluated: bool,
}

/// One name an import brings in or a re-export passes on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportBinding {
    pub imported: Imported,
    /// The local name of an import; the exported name of a re-export; `None` for `export *`.
    pub local: Option<String>,
    /// The specifier (`B as C`, `* as ns`, `D`); the whole statement for `export *`.
    pub range: TextRange,
    /// Marked `type`, on the specifier or on the whole statement.
    pub type_only: bool,
    pub usage: Usage,
}

/// One import (or re-export) of another module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Import {
    /// The module specifier as written, e.g. `./cart` or `react`.
    pub specifier: String,
    /// The string literal holding the specifier, quotes included.
    pub specifier_range: TextRange,
    /// The whole statement, call or type.
    pub range: TextRange,
    pub form: ImportForm,
    /// `import type …`, `export type …`, `import type x = require(…)`.
    pub type_only: bool,
    pub bindings: Vec<ImportBinding>,
}

impl Import {
    /// Whether TypeScript removes this import from the emitted JavaScript, so that it does not
    /// load the target at run time.
    ///
    /// `keeps_imports` is true under `verbatimModuleSyntax` (or `preserveValueImports`), where
    /// only imports marked `type` are removed. `binding_is_type` tells whether the target
    /// exports a binding's name only as a type (an interface or type alias), which makes the
    /// binding erasable whatever its usage; it answers `false` when the target is unknown.
    ///
    /// Otherwise an import or re-export is removed when every binding it has is erasable: marked
    /// `type`, naming a type, or (for imports) never read as a value. Side-effect imports,
    /// `export *`, dynamic imports and `require` always stay, and nothing in a JavaScript file
    /// is ever removed; everything in a declaration file is.
    pub fn is_erased(
        &self,
        dialect: Dialect,
        keeps_imports: bool,
        binding_is_type: impl Fn(&ImportBinding) -> bool,
    ) -> bool {
        if dialect == Dialect::Declaration || self.type_only || self.form == ImportForm::TypeQuery {
            return true;
        }
        let erasable_form = matches!(
            self.form,
            ImportForm::Static | ImportForm::ImportEquals | ImportForm::ReExport
        );
        if !dialect.is_typescript() || keeps_imports || !erasable_form || self.bindings.is_empty() {
            return false;
        }
        self.bindings.iter().all(|binding| {
            binding.imported != Imported::All
                && (binding.type_only
                    || binding_is_type(binding)
                    || (self.form != ImportForm::ReExport && !binding.usage.value))
        })
    }

    /// Whether adding `type` to this import (`import type …`, `export type …`) keeps the
    /// program valid and removes the import at run time: a TypeScript import or re-export of
    /// named bindings none of which is read as a value.
    pub fn can_become_type_only(
        &self,
        dialect: Dialect,
        binding_is_type: impl Fn(&ImportBinding) -> bool,
    ) -> bool {
        let convertible_form = matches!(
            self.form,
            ImportForm::Static | ImportForm::ImportEquals | ImportForm::ReExport
        );
        dialect.is_typescript()
            && dialect != Dialect::Declaration
            && convertible_form
            && !self.type_only
            && !self.bindings.is_empty()
            && self.bindings.iter().all(|binding| {
                binding.imported != Imported::All
                    && (binding.type_only
                        || binding_is_type(binding)
                        || (self.form != ImportForm::ReExport && !binding.usage.value))
            })
    }
}

/// Whether a declaration makes a value, a type, or both (a class, an enum, a namespace).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeclKind {
    Value,
    Type,
    Both,
}

impl DeclKind {
    /// The kind of two declarations merged under one name (`interface A` and `const A`).
    #[must_use]
    pub fn merge(self, other: DeclKind) -> DeclKind {
        if self == other { self } else { DeclKind::Both }
    }
}

/// Where an exported name comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExportSource {
    /// Declared by the export itself: `export const`, `export interface`,
    /// `export default function`, `export default <expression>`.
    Declaration(DeclKind),
    /// `export { local as name }`, `export default local`: whatever `local` is in this module.
    Local { local: String, type_only: bool },
    /// `export { x as name } from "m"`, `export * as name from "m"`.
    ReExport { import: usize, binding: usize },
}

/// One name a module exports (`default` for the default export).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Export {
    pub name: String,
    pub range: TextRange,
    pub source: ExportSource,
}

/// A top-level declaration, exported or not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Declaration {
    pub name: String,
    pub kind: DeclKind,
    /// Where the declaring statement starts, so `export ` can be inserted there.
    pub statement_start: TextSize,
    /// Declared with `export` in front.
    pub exported: bool,
}

/// `x.name` where `x` is an imported binding. When `x` turns out to be a namespace (`import * as
/// x`, or a re-exported `export * as x`), `name` must be an export of its module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemberAccess {
    pub import: usize,
    pub binding: usize,
    pub name: String,
    /// The `name` part of `ns.name`.
    pub range: TextRange,
}

/// What a React Router route renders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouteComponent {
    /// `element: <Cart />` or `Component: Cart`: a name of this module.
    Local(String),
    /// `lazy: () => import("./cart")`: a module.
    Lazy(String),
}

/// One route object of `createBrowserRouter([...])` (or a sibling, or `useRoutes`), or one
/// `<Route>` element of `createRoutesFromElements(...)` or of a `<Routes>` element.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RouterRoute {
    /// The full path, the parents' paths joined: `/shop/:id`. A path computed at run time is
    /// its expression in braces: `/{paths.app.root}`.
    pub path: String,
    pub component: Option<RouteComponent>,
    /// The route object.
    pub range: TextRange,
    /// The route it is a child of (an index into the module's `router_routes`).
    pub parent: Option<usize>,
    /// Where it sits in the route array the router is given: its index in the top-level
    /// array, then in each `children`. `None` for the `<Route>`s of a `<Routes>` element
    /// (a component renders them, no router is given an array).
    pub position: Option<Vec<usize>>,
}

/// Whether a prop's type admits `null` or `undefined`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Nullability {
    Accepts,
    Rejects,
    /// As the named type does: an interface or object type rejects, an alias may not.
    Depends(String),
}

/// One property of a props type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PropField {
    pub name: String,
    pub optional: bool,
    pub nullable: Nullability,
}

/// What a props type is made of, as far as the syntax tells.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PropsShape {
    Fields(Vec<PropField>),
    /// A type name to look up (in this module, or where it is imported from).
    Named(String),
    Intersection(Vec<PropsShape>),
    /// A mapped, conditional or utility type, or a type from a namespace: its fields are not
    /// known.
    Unknown,
}

/// An interface, or a type alias of an object type, that may describe props.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TypeShape {
    pub name: String,
    pub shape: PropsShape,
}

/// A top-level function component and the type of its props.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ComponentDecl {
    pub name: String,
    pub props: PropsShape,
}

/// The value a JSX attribute passes, when it is a literal `null` or `undefined`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttributeValue {
    Null,
    Undefined,
    Other,
}

/// One attribute of a JSX element.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JsxAttribute {
    pub name: String,
    pub value: AttributeValue,
    pub range: TextRange,
}

/// A JSX element rendering a capitalized component: `<Cart lines={lines} />`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JsxUse {
    /// The element's name, a local binding.
    pub component: String,
    pub attributes: Vec<JsxAttribute>,
    /// Has a `{...spread}` attribute: any prop may come from it.
    pub spread: bool,
    /// Has children, which pass the `children` prop.
    pub children: bool,
    /// The element's name in the opening tag.
    pub range: TextRange,
}

/// Everything [`collect`] learns about one module.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ModuleFacts {
    pub imports: Vec<Import>,
    pub exports: Vec<Export>,
    pub declarations: Vec<Declaration>,
    pub member_accesses: Vec<MemberAccess>,
    /// Modules declared with `declare module "name"`; `*` wildcards allowed.
    pub ambient_modules: Vec<String>,
    /// Exports that cannot be listed statically: `export =`, `module.exports`, `exports.x`.
    pub dynamic_exports: bool,
    /// React Router routes declared here, in source order.
    pub router_routes: Vec<RouterRoute>,
    /// Top-level function components with typed props.
    pub components: Vec<ComponentDecl>,
    /// Top-level interfaces and object type aliases.
    pub prop_types: Vec<TypeShape>,
    /// JSX elements rendering capitalized components.
    pub jsx_uses: Vec<JsxUse>,
    /// `export const name = <object, array or literal>`: exports that are certainly not
    /// functions, with the range of the name (route modules must export some as functions).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub plain_value_exports: Vec<(String, TextRange)>,
}

impl ModuleFacts {
    /// The exports named `name`: more than one when a type and a value share a name.
    pub fn exports_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Export> {
        self.exports
            .iter()
            .filter(move |export| export.name == name)
    }

    /// The `export * from` re-exports, by import index.
    pub fn star_exports(&self) -> impl Iterator<Item = usize> + '_ {
        self.imports
            .iter()
            .enumerate()
            .filter(|(_, import)| {
                import
                    .bindings
                    .iter()
                    .any(|binding| binding.imported == Imported::All)
            })
            .map(|(index, _)| index)
    }

    /// The import binding whose local name is `local`.
    pub fn imported_local(&self, local: &str) -> Option<(usize, usize)> {
        self.imports
            .iter()
            .enumerate()
            .filter(|(_, import)| import.form != ImportForm::ReExport)
            .find_map(|(index, import)| {
                let binding = import
                    .bindings
                    .iter()
                    .position(|binding| binding.local.as_deref() == Some(local))?;
                Some((index, binding))
            })
    }
}

/// Collects the imports, exports and declarations of a parsed module.
pub fn collect(parsed: &ParsedModule) -> ModuleFacts {
    let mut facts = statements::collect_statements(parsed);
    let shadowed_jsx = usage::collect_usage(parsed, &mut facts);
    props::collect_props(parsed, &mut facts, &shadowed_jsx);
    facts
}

#[cfg(test)]
mod tests;
