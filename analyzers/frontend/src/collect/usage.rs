//! The walk over the whole module: where each imported binding is referenced (as a value or
//! only in types), the imports found inside code (`import()`, `require()`, `import("m").T`),
//! `ns.name` accesses on namespace imports, and CommonJS exports.
//!
//! References are matched by name, with the shadowing of nested scopes (parameters and
//! declarations of functions, blocks, `catch` and `for` heads) taken into account, so
//! `function f(Cart) { return Cart; }` does not count as a use of an imported `Cart`.

use std::collections::HashMap;

use commerce_diagnostics::TextRange;

use swc_ecma_ast::{
    ArrowExpr, ArrowFunctionBody, BlockStmt, CallExpr, Callee, CatchClause, ClassDecl, Constructor,
    ExportSpecifier, Expr, FnDecl, ForHead, ForInStmt, ForOfStmt, ForStmt, Function, Ident,
    ImportDecl, JSXElement, JSXElementName, JSXMemberExpr, JSXObject, Lit, MemberExpr, MemberProp,
    ModuleExportName, NamedExport, ParamOrTsParamProp, Pat, Prop, Stmt, Str, TsEntityName,
    TsEnumDecl, TsExprWithTypeArgs, TsImportEqualsDecl, TsImportType, TsInterfaceDecl,
    TsModuleDecl, TsModuleRef, TsParamPropParam, TsType, TsTypeAliasDecl, TsTypeAnn,
    TsTypeParamDecl, TsTypeParamInstantiation, VarDecl, VarDeclOrExpr,
};
use swc_ecma_visit::{Visit, VisitWith};

use super::statements::{bound_idents, declared_idents};
use super::{
    Import, ImportBinding, ImportForm, Imported, MemberAccess, ModuleFacts, RouterRoute, Usage,
    router,
};
use crate::parse::ParsedModule;

/// Returns the names of JSX elements that spell an imported component but render a nearer
/// declaration of the same name (a local `const Wrapper` in a test).
pub(super) fn collect_usage(parsed: &ParsedModule, facts: &mut ModuleFacts) -> Vec<TextRange> {
    let mut walker = UsageWalker::new(parsed, facts);
    parsed.module().visit_with(&mut walker);
    let UsageWalker {
        usages,
        found,
        accesses,
        dynamic_exports,
        routes,
        shadowed_jsx,
        ..
    } = walker;
    for (import, usages) in facts.imports.iter_mut().zip(usages) {
        for (binding, usage) in import.bindings.iter_mut().zip(usages) {
            binding.usage = usage;
        }
    }
    facts.imports.extend(found);
    facts.member_accesses.extend(accesses);
    facts.dynamic_exports |= dynamic_exports;
    facts.router_routes.extend(routes);
    shadowed_jsx
}

/// An imported local name: which binding of which import it is.
#[derive(Clone, Copy)]
struct Local {
    import: usize,
    binding: usize,
}

struct UsageWalker<'a> {
    parsed: &'a ParsedModule,
    locals: HashMap<String, Local>,
    /// For each imported local, how many enclosing scopes declare the same name.
    shadowed: HashMap<String, usize>,
    /// Mirrors `facts.imports[i].bindings[j]`.
    usages: Vec<Vec<Usage>>,
    /// Depth of type positions (and ambient declarations) the walk is inside.
    type_depth: usize,
    /// Depth of function bodies (functions, arrows, constructors) the walk is inside: code
    /// there runs when called, not when the module evaluates.
    function_depth: usize,
    found: Vec<Import>,
    accesses: Vec<MemberAccess>,
    dynamic_exports: bool,
    routes: Vec<RouterRoute>,
    /// JSX element names that name an import but mean a nearer declaration.
    shadowed_jsx: Vec<TextRange>,
}

impl<'a> UsageWalker<'a> {
    fn new(parsed: &'a ParsedModule, facts: &ModuleFacts) -> Self {
        let mut locals = HashMap::new();
        for (import_index, import) in facts.imports.iter().enumerate() {
            if import.form == ImportForm::ReExport {
                continue;
            }
            for (binding_index, binding) in import.bindings.iter().enumerate() {
                if let Some(local) = &binding.local {
                    locals.insert(
                        local.clone(),
                        Local {
                            import: import_index,
                            binding: binding_index,
                        },
                    );
                }
            }
        }
        let usages = facts
            .imports
            .iter()
            .map(|import| vec![Usage::default(); import.bindings.len()])
            .collect();
        Self {
            parsed,
            locals,
            shadowed: HashMap::new(),
            usages,
            type_depth: 0,
            function_depth: 0,
            found: Vec::new(),
            accesses: Vec::new(),
            dynamic_exports: false,
            routes: Vec::new(),
            shadowed_jsx: Vec::new(),
        }
    }

    /// The imported binding `name` refers to here, unless a nearer scope declares it.
    fn local(&self, name: &str) -> Option<Local> {
        let local = *self.locals.get(name)?;
        let shadowed = self.shadowed.get(name).is_some_and(|depth| *depth > 0);
        (!shadowed).then_some(local)
    }

    fn reference(&mut self, name: &str, as_type: bool) {
        if let Some(local) = self.local(name) {
            let usage = &mut self.usages[local.import][local.binding];
            if as_type || self.type_depth > 0 {
                usage.types = true;
            } else {
                usage.value = true;
                usage.evaluated |= self.function_depth == 0;
            }
        }
    }

    fn member_access(&mut self, object: &str, name: &str, span: swc_common::Span) {
        if let Some(local) = self.local(object) {
            self.accesses.push(MemberAccess {
                import: local.import,
                binding: local.binding,
                name: name.to_owned(),
                range: self.parsed.range(span),
            });
        }
    }

    fn in_function(&mut self, names: Vec<String>, walk: impl FnOnce(&mut Self)) {
        self.function_depth += 1;
        self.in_scope(names, walk);
        self.function_depth -= 1;
    }

    fn in_types(&mut self, walk: impl FnOnce(&mut Self)) {
        self.type_depth += 1;
        walk(self);
        self.type_depth -= 1;
    }

    /// Walks a scope that declares `names`: imported locals of the same name are shadowed
    /// inside it.
    fn in_scope(&mut self, names: Vec<String>, walk: impl FnOnce(&mut Self)) {
        let shadowing: Vec<String> = names
            .into_iter()
            .filter(|name| self.locals.contains_key(name))
            .collect();
        for name in &shadowing {
            *self.shadowed.entry(name.clone()).or_default() += 1;
        }
        walk(self);
        for name in &shadowing {
            if let Some(depth) = self.shadowed.get_mut(name) {
                *depth -= 1;
            }
        }
    }

    fn push_found(
        &mut self,
        source: &Str,
        span: swc_common::Span,
        form: ImportForm,
        bindings: Vec<ImportBinding>,
    ) {
        self.found.push(Import {
            specifier: source.value.to_string_lossy().into_owned(),
            specifier_range: self.parsed.range(source.span),
            range: self.parsed.range(span),
            form,
            type_only: form == ImportForm::TypeQuery,
            bindings,
        });
    }

    /// `import("m")` and `require("m")` with a literal specifier.
    fn call_import(&mut self, call: &CallExpr) {
        let form = match &call.callee {
            Callee::Import(_) => ImportForm::Dynamic,
            Callee::Expr(callee) if matches!(&**callee, Expr::Ident(ident) if ident.sym == "require") => {
                ImportForm::Require
            }
            Callee::Expr(_) | Callee::Super(_) => return,
        };
        let Some(argument) = call
            .args
            .first()
            .filter(|argument| argument.spread.is_none())
        else {
            return;
        };
        if let Some(source) = literal_string(&argument.expr) {
            self.push_found(&source, call.span, form, Vec::new());
        }
    }
}

/// A string literal, or a template literal without substitutions, as a `Str`.
fn literal_string(expr: &Expr) -> Option<Str> {
    match expr {
        Expr::Lit(Lit::Str(text)) => Some(text.clone()),
        Expr::Tpl(template) if template.exprs.is_empty() => {
            let quasi = template.quasis.first()?;
            Some(Str {
                span: template.span,
                value: quasi.cooked.clone()?,
                raw: None,
            })
        }
        Expr::Paren(paren) => literal_string(&paren.expr),
        _ => None,
    }
}

/// The names a list of statements declares at its own level (hoisting included).
fn declared_in(statements: &[Stmt]) -> Vec<String> {
    statements
        .iter()
        .filter_map(|statement| match statement {
            Stmt::Decl(decl) => Some(declared_idents(decl)),
            _ => None,
        })
        .flatten()
        .map(|(name, _)| name)
        .collect()
}

fn pattern_names<'p>(patterns: impl IntoIterator<Item = &'p Pat>) -> Vec<String> {
    let mut idents = Vec::new();
    for pattern in patterns {
        bound_idents(pattern, &mut idents);
    }
    idents.into_iter().map(|(name, _)| name).collect()
}

fn var_names(var: &VarDecl) -> Vec<String> {
    pattern_names(var.decls.iter().map(|declarator| &declarator.name))
}

/// The leftmost identifier of `a.b.c` in a type or an `import x = a.b`.
fn leftmost(name: &TsEntityName) -> &Ident {
    match name {
        TsEntityName::Ident(ident) => ident,
        TsEntityName::TsQualifiedName(qualified) => leftmost(&qualified.left),
    }
}

fn is_intrinsic_element(name: &str) -> bool {
    name.starts_with(|first: char| first.is_ascii_lowercase())
}

impl Visit for UsageWalker<'_> {
    fn visit_expr(&mut self, expr: &Expr) {
        if let Expr::Ident(ident) = expr {
            if ident.sym == "exports" && self.local("exports").is_none() {
                self.dynamic_exports = true;
            }
            self.reference(&ident.sym, false);
        }
        expr.visit_children_with(self);
    }

    fn visit_member_expr(&mut self, member: &MemberExpr) {
        if let (Expr::Ident(object), MemberProp::Ident(property)) = (&*member.obj, &member.prop) {
            if object.sym == "module" && property.sym == "exports" {
                self.dynamic_exports = true;
            }
            self.member_access(&object.sym, &property.sym, property.span);
        }
        member.visit_children_with(self);
    }

    fn visit_prop(&mut self, prop: &Prop) {
        if let Prop::Shorthand(ident) = prop {
            self.reference(&ident.sym, false);
        }
        prop.visit_children_with(self);
    }

    fn visit_jsx_element(&mut self, element: &JSXElement) {
        router::routes_element(self.parsed, element, &mut self.routes);
        element.visit_children_with(self);
    }

    fn visit_jsx_element_name(&mut self, name: &JSXElementName) {
        match name {
            JSXElementName::Ident(ident) if !is_intrinsic_element(&ident.sym) => {
                if self.locals.contains_key(&*ident.sym) && self.local(&ident.sym).is_none() {
                    self.shadowed_jsx.push(self.parsed.range(ident.span));
                }
                self.reference(&ident.sym, false);
            }
            JSXElementName::JSXMemberExpr(member) => self.visit_jsx_member_expr(member),
            JSXElementName::Ident(_) | JSXElementName::JSXNamespacedName(_) => {}
        }
    }

    fn visit_jsx_member_expr(&mut self, member: &JSXMemberExpr) {
        match &member.obj {
            JSXObject::Ident(object) => {
                self.reference(&object.sym, false);
                self.member_access(&object.sym, &member.prop.sym, member.prop.span);
            }
            JSXObject::JSXMemberExpr(inner) => self.visit_jsx_member_expr(inner),
        }
    }

    fn visit_ts_entity_name(&mut self, name: &TsEntityName) {
        self.reference(&leftmost(name).sym, false);
        if let TsEntityName::TsQualifiedName(qualified) = name
            && let TsEntityName::Ident(object) = &qualified.left
        {
            self.member_access(&object.sym, &qualified.right.sym, qualified.right.span);
        }
    }

    fn visit_call_expr(&mut self, call: &CallExpr) {
        self.call_import(call);
        router::router_routes(self.parsed, call, &mut self.routes);
        call.visit_children_with(self);
    }

    fn visit_ts_import_type(&mut self, import: &TsImportType) {
        let bindings = import
            .qualifier
            .as_ref()
            .map(|qualifier| ImportBinding {
                imported: Imported::Named(leftmost(qualifier).sym.to_string()),
                local: None,
                range: self.parsed.range(leftmost(qualifier).span),
                type_only: true,
                usage: Usage::default(),
            })
            .into_iter()
            .collect();
        self.push_found(&import.arg, import.span, ImportForm::TypeQuery, bindings);
        self.in_types(|walker| import.type_args.visit_with(walker));
    }

    fn visit_import_decl(&mut self, _: &ImportDecl) {}

    fn visit_named_export(&mut self, export: &NamedExport) {
        if export.src.is_some() {
            return;
        }
        for specifier in &export.specifiers {
            if let ExportSpecifier::Named(named) = specifier
                && let ModuleExportName::Ident(local) = &named.orig
            {
                self.reference(&local.sym, named.is_type_only || export.type_only);
            }
        }
    }

    fn visit_ts_import_equals_decl(&mut self, import: &TsImportEqualsDecl) {
        if let TsModuleRef::TsEntityName(name) = &import.module_ref {
            self.reference(&leftmost(name).sym, import.is_type_only);
        }
    }

    // Type positions: references inside count as type uses.

    fn visit_ts_type(&mut self, node: &TsType) {
        self.in_types(|walker| node.visit_children_with(walker));
    }

    fn visit_ts_type_ann(&mut self, node: &TsTypeAnn) {
        self.in_types(|walker| node.visit_children_with(walker));
    }

    fn visit_ts_type_param_decl(&mut self, node: &TsTypeParamDecl) {
        self.in_types(|walker| node.visit_children_with(walker));
    }

    fn visit_ts_type_param_instantiation(&mut self, node: &TsTypeParamInstantiation) {
        self.in_types(|walker| node.visit_children_with(walker));
    }

    fn visit_ts_interface_decl(&mut self, node: &TsInterfaceDecl) {
        self.in_types(|walker| node.visit_children_with(walker));
    }

    fn visit_ts_type_alias_decl(&mut self, node: &TsTypeAliasDecl) {
        self.in_types(|walker| node.visit_children_with(walker));
    }

    fn visit_ts_expr_with_type_args(&mut self, node: &TsExprWithTypeArgs) {
        self.in_types(|walker| node.visit_children_with(walker));
    }

    // Ambient declarations create no run-time code: references inside are type uses.

    fn visit_var_decl(&mut self, node: &VarDecl) {
        if node.declare {
            self.in_types(|walker| node.visit_children_with(walker));
        } else {
            node.visit_children_with(self);
        }
    }

    fn visit_fn_decl(&mut self, node: &FnDecl) {
        if node.declare {
            self.in_types(|walker| node.visit_children_with(walker));
        } else {
            node.visit_children_with(self);
        }
    }

    fn visit_class_decl(&mut self, node: &ClassDecl) {
        if node.declare {
            self.in_types(|walker| node.visit_children_with(walker));
        } else {
            node.visit_children_with(self);
        }
    }

    fn visit_ts_enum_decl(&mut self, node: &TsEnumDecl) {
        if node.declare {
            self.in_types(|walker| node.visit_children_with(walker));
        } else {
            node.visit_children_with(self);
        }
    }

    fn visit_ts_module_decl(&mut self, node: &TsModuleDecl) {
        if node.declare || node.global {
            self.in_types(|walker| node.visit_children_with(walker));
        } else {
            node.visit_children_with(self);
        }
    }

    // Scopes that can shadow an imported name.

    fn visit_function(&mut self, function: &Function) {
        let mut names = pattern_names(function.params.iter().map(|param| &param.pat));
        if let Some(body) = &function.body {
            names.extend(declared_in(&body.stmts));
        }
        self.in_function(names, |walker| function.visit_children_with(walker));
    }

    fn visit_constructor(&mut self, constructor: &Constructor) {
        let mut idents = Vec::new();
        for param in &constructor.params {
            match param {
                ParamOrTsParamProp::Param(param) => bound_idents(&param.pat, &mut idents),
                ParamOrTsParamProp::TsParamProp(prop) => match &prop.param {
                    TsParamPropParam::Ident(ident) => {
                        idents.push((ident.id.sym.to_string(), ident.id.span));
                    }
                    TsParamPropParam::Assign(assign) => bound_idents(&assign.left, &mut idents),
                },
            }
        }
        let names = idents.into_iter().map(|(name, _)| name).collect();
        self.in_function(names, |walker| constructor.visit_children_with(walker));
    }

    fn visit_arrow_expr(&mut self, arrow: &ArrowExpr) {
        let mut names = pattern_names(&arrow.params);
        if let ArrowFunctionBody::FunctionBody(body) = &*arrow.body {
            names.extend(declared_in(&body.stmts));
        }
        self.in_function(names, |walker| arrow.visit_children_with(walker));
    }

    fn visit_block_stmt(&mut self, block: &BlockStmt) {
        let names = declared_in(&block.stmts);
        self.in_scope(names, |walker| block.visit_children_with(walker));
    }

    fn visit_catch_clause(&mut self, catch: &CatchClause) {
        let names = pattern_names(&catch.param);
        self.in_scope(names, |walker| catch.visit_children_with(walker));
    }

    fn visit_for_stmt(&mut self, node: &ForStmt) {
        let names = match &node.init {
            Some(VarDeclOrExpr::VarDecl(var)) => var_names(var),
            _ => Vec::new(),
        };
        self.in_scope(names, |walker| node.visit_children_with(walker));
    }

    fn visit_for_in_stmt(&mut self, node: &ForInStmt) {
        let names = for_head_names(&node.left);
        self.in_scope(names, |walker| node.visit_children_with(walker));
    }

    fn visit_for_of_stmt(&mut self, node: &ForOfStmt) {
        let names = for_head_names(&node.left);
        self.in_scope(names, |walker| node.visit_children_with(walker));
    }
}

fn for_head_names(head: &ForHead) -> Vec<String> {
    match head {
        ForHead::VarDecl(var) => var_names(var),
        ForHead::UsingDecl(using) => pattern_names(using.decls.iter().map(|decl| &decl.name)),
        ForHead::Pat(_) => Vec::new(),
    }
}
