//! The module's top-level statements: static imports, every export form, declarations.

use std::borrow::Cow;

use swc_common::{Span, Spanned};
use swc_ecma_ast::{
    Decl, DefaultDecl, ExportAll, ExportDecl, ExportDefaultDecl, ExportDefaultExpr,
    ExportSpecifier, Expr, ImportDecl, ImportSpecifier, ModuleDecl, ModuleExportName, ModuleItem,
    NamedExport, ObjectPatProp, Pat, Stmt, Str, TsImportEqualsDecl, TsModuleName, TsModuleRef,
};

use super::{
    DeclKind, Declaration, Export, ExportSource, Import, ImportBinding, ImportForm, Imported,
    ModuleFacts, Usage,
};
use crate::parse::ParsedModule;

pub(super) fn collect_statements(parsed: &ParsedModule) -> ModuleFacts {
    let mut statements = Statements {
        parsed,
        facts: ModuleFacts::default(),
    };
    for item in &parsed.module().body {
        statements.item(item);
    }
    statements.facts
}

struct Statements<'a> {
    parsed: &'a ParsedModule,
    facts: ModuleFacts,
}

impl Statements<'_> {
    fn item(&mut self, item: &ModuleItem) {
        match item {
            ModuleItem::ModuleDecl(ModuleDecl::Import(import)) => self.import(import),
            ModuleItem::ModuleDecl(ModuleDecl::ExportNamed(named)) => match &named.src {
                Some(source) => self.re_export(named, source),
                None => self.local_exports(named),
            },
            ModuleItem::ModuleDecl(ModuleDecl::ExportAll(all)) => self.export_all(all),
            ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(export)) => self.export_decl(export),
            ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultDecl(export)) => {
                self.export_default_decl(export);
            }
            ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultExpr(export)) => {
                self.export_default_expr(export);
            }
            ModuleItem::ModuleDecl(ModuleDecl::TsImportEquals(import)) => {
                self.import_equals(import);
            }
            ModuleItem::ModuleDecl(ModuleDecl::TsExportAssignment(_)) => {
                self.facts.dynamic_exports = true;
            }
            ModuleItem::ModuleDecl(ModuleDecl::TsNamespaceExport(_)) => {}
            ModuleItem::Stmt(Stmt::Decl(decl)) => {
                self.declaration(decl, item.span(), false);
            }
            ModuleItem::Stmt(_) => {}
        }
    }

    fn import(&mut self, import: &ImportDecl) {
        let bindings = import
            .specifiers
            .iter()
            .map(|specifier| self.import_binding(specifier, import.type_only))
            .collect::<Vec<_>>();
        let form = if bindings.is_empty() {
            ImportForm::SideEffect
        } else {
            ImportForm::Static
        };
        self.push_import(&import.src, import.span, form, import.type_only, bindings);
    }

    fn import_binding(
        &self,
        specifier: &ImportSpecifier,
        statement_type_only: bool,
    ) -> ImportBinding {
        let (imported, local, type_only) = match specifier {
            ImportSpecifier::Default(default) => (Imported::Default, &default.local, false),
            ImportSpecifier::Namespace(namespace) => (Imported::Namespace, &namespace.local, false),
            ImportSpecifier::Named(named) => {
                let name = named
                    .imported
                    .as_ref()
                    .map_or_else(|| Cow::Borrowed(named.local.sym.as_str()), export_name);
                (imported_name(&name), &named.local, named.is_type_only)
            }
        };
        ImportBinding {
            imported,
            local: Some(local.sym.to_string()),
            range: self.parsed.range(specifier.span()),
            type_only: type_only || statement_type_only,
            usage: Usage::default(),
        }
    }

    fn re_export(&mut self, named: &NamedExport, source: &Str) {
        let import = self.facts.imports.len();
        let mut bindings = Vec::with_capacity(named.specifiers.len());
        for specifier in &named.specifiers {
            let (imported, exported, type_only) = match specifier {
                ExportSpecifier::Namespace(namespace) => {
                    (Imported::Namespace, export_name(&namespace.name), false)
                }
                ExportSpecifier::Default(default) => (
                    Imported::Default,
                    Cow::Borrowed(default.exported.sym.as_str()),
                    false,
                ),
                ExportSpecifier::Named(specifier) => {
                    let original = export_name(&specifier.orig);
                    let exported = specifier.exported.as_ref().map(export_name);
                    let imported = imported_name(&original);
                    (
                        imported,
                        exported.unwrap_or(original),
                        specifier.is_type_only,
                    )
                }
            };
            let range = self.parsed.range(specifier.span());
            self.facts.exports.push(Export {
                name: exported.to_string(),
                range,
                source: ExportSource::ReExport {
                    import,
                    binding: bindings.len(),
                },
            });
            bindings.push(ImportBinding {
                imported,
                local: Some(exported.into_owned()),
                range,
                type_only: type_only || named.type_only,
                usage: Usage::default(),
            });
        }
        self.push_import(
            source,
            named.span,
            ImportForm::ReExport,
            named.type_only,
            bindings,
        );
    }

    fn local_exports(&mut self, named: &NamedExport) {
        for specifier in &named.specifiers {
            let ExportSpecifier::Named(specifier) = specifier else {
                // `export * as ns` and `export v` only exist with a `from` clause.
                continue;
            };
            let local = export_name(&specifier.orig);
            let name = specifier
                .exported
                .as_ref()
                .map_or_else(|| local.clone(), export_name);
            self.facts.exports.push(Export {
                name: name.into_owned(),
                range: self.parsed.range(specifier.span),
                source: ExportSource::Local {
                    local: local.into_owned(),
                    type_only: specifier.is_type_only || named.type_only,
                },
            });
        }
    }

    fn export_all(&mut self, all: &ExportAll) {
        let binding = ImportBinding {
            imported: Imported::All,
            local: None,
            range: self.parsed.range(all.span),
            type_only: all.type_only,
            usage: Usage::default(),
        };
        self.push_import(
            &all.src,
            all.span,
            ImportForm::ReExport,
            all.type_only,
            vec![binding],
        );
    }

    fn export_decl(&mut self, export: &ExportDecl) {
        let kind = declaration_kind(&export.decl);
        if let Decl::Var(var) = &export.decl {
            for declarator in &var.decls {
                let plain = declarator.init.as_deref().is_some_and(|init| {
                    matches!(
                        init,
                        Expr::Object(_) | Expr::Array(_) | Expr::Lit(_) | Expr::Tpl(_)
                    )
                });
                if let (true, Pat::Ident(name)) = (plain, &declarator.name) {
                    self.facts
                        .plain_value_exports
                        .push((name.id.sym.to_string(), self.parsed.range(name.id.span)));
                }
            }
        }
        for (name, span) in self.declaration(&export.decl, export.span, true) {
            self.facts.exports.push(Export {
                name,
                range: self.parsed.range(span),
                source: ExportSource::Declaration(kind),
            });
        }
    }

    fn export_default_decl(&mut self, export: &ExportDefaultDecl) {
        let (kind, name) = match &export.decl {
            DefaultDecl::Class(class) => (DeclKind::Both, class.ident.as_ref()),
            DefaultDecl::Fn(function) => (DeclKind::Value, function.ident.as_ref()),
            DefaultDecl::TsInterfaceDecl(interface) => (DeclKind::Type, Some(&interface.id)),
        };
        let source = match name {
            Some(name) => {
                self.facts.declarations.push(Declaration {
                    name: name.sym.to_string(),
                    kind,
                    statement_start: self.parsed.offset(export.span.lo),
                    exported: false,
                });
                ExportSource::Local {
                    local: name.sym.to_string(),
                    type_only: false,
                }
            }
            None => ExportSource::Declaration(kind),
        };
        self.push_default(export.span, source);
    }

    fn export_default_expr(&mut self, export: &ExportDefaultExpr) {
        let source = match unparenthesized(&export.expr) {
            Expr::Ident(ident) => ExportSource::Local {
                local: ident.sym.to_string(),
                type_only: false,
            },
            _ => ExportSource::Declaration(DeclKind::Value),
        };
        self.push_default(export.span, source);
    }

    fn push_default(&mut self, span: Span, source: ExportSource) {
        self.facts.exports.push(Export {
            name: "default".to_owned(),
            range: self.parsed.range(span),
            source,
        });
    }

    fn import_equals(&mut self, import: &TsImportEqualsDecl) {
        let name = import.id.sym.to_string();
        match &import.module_ref {
            TsModuleRef::TsExternalModuleRef(external) => {
                let binding = ImportBinding {
                    imported: Imported::Namespace,
                    local: Some(name.clone()),
                    range: self.parsed.range(import.id.span),
                    type_only: import.is_type_only,
                    usage: Usage::default(),
                };
                let form = ImportForm::ImportEquals;
                self.push_import(
                    &external.expr,
                    import.span,
                    form,
                    import.is_type_only,
                    vec![binding],
                );
            }
            // `import alias = Namespace.Member`: a local alias, a declaration of its own.
            TsModuleRef::TsEntityName(_) => self.facts.declarations.push(Declaration {
                name: name.clone(),
                kind: DeclKind::Both,
                statement_start: self.parsed.offset(import.span.lo),
                exported: import.is_export,
            }),
        }
        if import.is_export {
            self.facts.exports.push(Export {
                name,
                range: self.parsed.range(import.id.span),
                source: ExportSource::Declaration(DeclKind::Both),
            });
        }
    }

    fn push_import(
        &mut self,
        source: &Str,
        span: Span,
        form: ImportForm,
        type_only: bool,
        bindings: Vec<ImportBinding>,
    ) {
        self.facts.imports.push(Import {
            specifier: source.value.to_string_lossy().into_owned(),
            specifier_range: self.parsed.range(source.span),
            range: self.parsed.range(span),
            form,
            type_only,
            bindings,
        });
    }

    /// Records the names `decl` declares and returns them; `span` is the statement's,
    /// `export` included. `declare module "name"` declares a module, not a name.
    fn declaration(&mut self, decl: &Decl, span: Span, exported: bool) -> Vec<(String, Span)> {
        if let Decl::TsModule(module) = decl
            && let TsModuleName::Str(name) = &module.id
        {
            let name = name.value.to_string_lossy().into_owned();
            self.facts.ambient_modules.push(name);
            return Vec::new();
        }
        let kind = declaration_kind(decl);
        let statement_start = self.parsed.offset(span.lo);
        let idents = declared_idents(decl);
        for (name, _) in &idents {
            self.facts.declarations.push(Declaration {
                name: name.clone(),
                kind,
                statement_start,
                exported,
            });
        }
        idents
    }
}

/// The identifiers a declaration binds, with their spans.
pub(super) fn declared_idents(decl: &Decl) -> Vec<(String, Span)> {
    let mut idents = Vec::new();
    let mut push = |ident: &swc_ecma_ast::Ident| idents.push((ident.sym.to_string(), ident.span));
    match decl {
        Decl::Class(class) => push(&class.ident),
        Decl::Fn(function) => push(&function.ident),
        Decl::TsInterface(interface) => push(&interface.id),
        Decl::TsTypeAlias(alias) => push(&alias.id),
        Decl::TsEnum(enumeration) => push(&enumeration.id),
        Decl::TsModule(module) => {
            if let TsModuleName::Ident(ident) = &module.id {
                push(ident);
            }
        }
        Decl::Var(var) => {
            for declarator in &var.decls {
                bound_idents(&declarator.name, &mut idents);
            }
        }
        Decl::Using(using) => {
            for declarator in &using.decls {
                bound_idents(&declarator.name, &mut idents);
            }
        }
    }
    idents
}

fn declaration_kind(decl: &Decl) -> DeclKind {
    match decl {
        Decl::Fn(_) | Decl::Var(_) | Decl::Using(_) => DeclKind::Value,
        Decl::TsInterface(_) | Decl::TsTypeAlias(_) => DeclKind::Type,
        Decl::Class(_) | Decl::TsEnum(_) | Decl::TsModule(_) => DeclKind::Both,
    }
}

/// Every identifier a binding pattern declares (`{ a, b: [c, ...d] = [] }` -> a, c, d).
pub(super) fn bound_idents(pattern: &Pat, idents: &mut Vec<(String, Span)>) {
    match pattern {
        Pat::Ident(ident) => idents.push((ident.id.sym.to_string(), ident.id.span)),
        Pat::Array(array) => {
            for element in array.elems.iter().flatten() {
                bound_idents(element, idents);
            }
        }
        Pat::Object(object) => {
            for property in &object.props {
                match property {
                    ObjectPatProp::KeyValue(key_value) => bound_idents(&key_value.value, idents),
                    ObjectPatProp::Assign(assign) => {
                        idents.push((assign.key.id.sym.to_string(), assign.key.id.span));
                    }
                    ObjectPatProp::Rest(rest) => bound_idents(&rest.arg, idents),
                }
            }
        }
        Pat::Rest(rest) => bound_idents(&rest.arg, idents),
        Pat::Assign(assign) => bound_idents(&assign.left, idents),
        Pat::Expr(_) | Pat::Invalid(_) => {}
    }
}

fn export_name(name: &ModuleExportName) -> Cow<'_, str> {
    match name {
        ModuleExportName::Ident(ident) => Cow::Borrowed(ident.sym.as_str()),
        ModuleExportName::Str(text) => Cow::Owned(text.value.to_string_lossy().into_owned()),
    }
}

fn imported_name(name: &str) -> Imported {
    if name == "default" {
        Imported::Default
    } else {
        Imported::Named(name.to_owned())
    }
}

fn unparenthesized(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(paren) => unparenthesized(&paren.expr),
        other => other,
    }
}
