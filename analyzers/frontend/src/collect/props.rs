//! React components and their props, read from syntax: top-level function components with a
//! typed first parameter (`function Cart(props: CartProps)`, `const Cart = ({ lines }: Props) =>`,
//! `const Cart: FC<Props>`, `memo(…)`, `forwardRef<Ref, Props>(…)`), the interfaces and object
//! type aliases that describe props, and every JSX element that renders a capitalized component.
//! Generic components are left out: their props depend on type arguments.

use commerce_diagnostics::TextRange;
use swc_ecma_ast::{
    ArrowExpr, CallExpr, Callee, Decl, DefaultDecl, Expr, Function, JSXAttrName, JSXAttrOrSpread,
    JSXAttrValue, JSXElement, JSXElementChild, JSXElementName, JSXExpr, Lit, ModuleDecl,
    ModuleItem, Pat, Stmt, TsEntityName, TsInterfaceDecl, TsKeywordTypeKind, TsType, TsTypeElement,
    TsUnionOrIntersectionType, VarDeclarator,
};
use swc_ecma_visit::{Visit, VisitWith};

use super::{
    AttributeValue, ComponentDecl, JsxAttribute, JsxUse, ModuleFacts, Nullability, PropField,
    PropsShape, TypeShape,
};
use crate::parse::ParsedModule;

/// Records the module's components, prop types and JSX uses into `facts`.
/// `shadowed_jsx`: JSX names that render a local declaration, not the import they spell.
pub(super) fn collect_props(
    parsed: &ParsedModule,
    facts: &mut ModuleFacts,
    shadowed_jsx: &[TextRange],
) {
    for item in &parsed.module().body {
        match item {
            ModuleItem::Stmt(Stmt::Decl(decl))
            | ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(swc_ecma_ast::ExportDecl {
                decl,
                ..
            })) => {
                declaration(decl, facts);
            }
            ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultDecl(export)) => {
                if let DefaultDecl::Fn(function) = &export.decl
                    && let Some(name) = &function.ident
                {
                    push_component(facts, &name.sym, function_props(&function.function));
                }
            }
            _ => {}
        }
    }
    let mut walker = JsxWalker {
        parsed,
        uses: Vec::new(),
    };
    parsed.module().visit_with(&mut walker);
    facts.jsx_uses = walker.uses;
    // A shadowed name renders the local declaration, whose props are not collected.
    facts
        .jsx_uses
        .retain(|jsx_use| !shadowed_jsx.contains(&jsx_use.range));
}

fn declaration(decl: &Decl, facts: &mut ModuleFacts) {
    match decl {
        Decl::Fn(function) => {
            push_component(
                facts,
                &function.ident.sym,
                function_props(&function.function),
            );
        }
        Decl::Var(var) => {
            for declarator in &var.decls {
                if let Some((name, props)) = variable_component(declarator) {
                    push_component(facts, &name, Some(props));
                }
            }
        }
        Decl::TsInterface(interface) => facts.prop_types.push(interface_shape(interface)),
        Decl::TsTypeAlias(alias) => {
            if let Some(shape) = shape_of(&alias.type_ann) {
                facts.prop_types.push(TypeShape {
                    name: alias.id.sym.to_string(),
                    shape,
                });
            }
        }
        _ => {}
    }
}

fn push_component(facts: &mut ModuleFacts, name: &str, props: Option<PropsShape>) {
    if let Some(props) = props
        && name.starts_with(|first: char| first.is_ascii_uppercase())
    {
        facts.components.push(ComponentDecl {
            name: name.to_owned(),
            props,
        });
    }
}

/// The props of a function component: the type of its first parameter. A generic component's
/// props depend on its type arguments, so it has none the syntax can tell.
fn function_props(function: &Function) -> Option<PropsShape> {
    if function.type_params.is_some() {
        return None;
    }
    let param = function.params.first()?;
    shape_of(param_type(&param.pat)?)
}

fn param_type(pattern: &Pat) -> Option<&TsType> {
    let annotation = match pattern {
        Pat::Ident(ident) => ident.type_ann.as_ref(),
        Pat::Object(object) => object.type_ann.as_ref(),
        Pat::Assign(assign) => return param_type(&assign.left),
        _ => None,
    }?;
    Some(&annotation.type_ann)
}

/// `const Cart = (props: Props) => …`, `const Cart: FC<Props> = …`, and the same wrapped in
/// `memo(…)` or `forwardRef<Ref, Props>(…)`.
fn variable_component(declarator: &VarDeclarator) -> Option<(String, PropsShape)> {
    let Pat::Ident(binding) = &declarator.name else {
        return None;
    };
    let name = binding.id.sym.to_string();
    if let Some(annotation) = &binding.type_ann
        && let TsType::TsTypeRef(reference) = &*annotation.type_ann
        && is_component_type(&reference.type_name)
        && let Some(props) = reference
            .type_params
            .as_ref()
            .and_then(|params| params.params.first())
    {
        return Some((name, shape_of(props)?));
    }
    Some((name, expression_props(declarator.init.as_deref()?)?))
}

fn is_component_type(name: &TsEntityName) -> bool {
    let last = match name {
        TsEntityName::Ident(ident) => &ident.sym,
        TsEntityName::TsQualifiedName(qualified) => &qualified.right.sym,
    };
    matches!(last.as_str(), "FC" | "FunctionComponent" | "VFC")
}

fn expression_props(expr: &Expr) -> Option<PropsShape> {
    match expr {
        Expr::Arrow(arrow) => arrow_props(arrow),
        Expr::Fn(function) => function_props(&function.function),
        Expr::Paren(paren) => expression_props(&paren.expr),
        Expr::Call(call) => wrapped_props(call),
        _ => None,
    }
}

fn arrow_props(arrow: &ArrowExpr) -> Option<PropsShape> {
    if arrow.type_params.is_some() {
        return None;
    }
    shape_of(param_type(arrow.params.first()?)?)
}

/// `memo(Component)`, `forwardRef<Ref, Props>(render)`, `React.memo(…)`.
fn wrapped_props(call: &CallExpr) -> Option<PropsShape> {
    let Callee::Expr(callee) = &call.callee else {
        return None;
    };
    let function = match &**callee {
        Expr::Ident(ident) => ident.sym.as_str(),
        Expr::Member(member) => member.prop.as_ident()?.sym.as_str(),
        _ => return None,
    };
    match function {
        "forwardRef" => call
            .type_args
            .as_ref()
            .and_then(|args| args.params.get(1))
            .and_then(|props| shape_of(props))
            .or_else(|| expression_props(&call.args.first()?.expr)),
        "memo" => expression_props(&call.args.first()?.expr),
        _ => None,
    }
}

fn interface_shape(interface: &TsInterfaceDecl) -> TypeShape {
    let mut parts = vec![PropsShape::Fields(fields(&interface.body.body))];
    for parent in &interface.extends {
        if let Expr::Ident(name) = &*parent.expr {
            parts.push(PropsShape::Named(name.sym.to_string()));
        } else {
            parts.push(PropsShape::Unknown);
        }
    }
    TypeShape {
        name: interface.id.sym.to_string(),
        shape: PropsShape::Intersection(parts),
    }
}

/// What a props type says, as far as the syntax tells: fields, a name to look up, an
/// intersection, or unknown (a mapped or conditional type, a union, a utility type).
fn shape_of(ty: &TsType) -> Option<PropsShape> {
    Some(match ty {
        TsType::TsTypeLit(literal) => PropsShape::Fields(fields(&literal.members)),
        TsType::TsTypeRef(reference) => match &reference.type_name {
            TsEntityName::Ident(name) => PropsShape::Named(name.sym.to_string()),
            TsEntityName::TsQualifiedName(_) => PropsShape::Unknown,
        },
        TsType::TsUnionOrIntersectionType(TsUnionOrIntersectionType::TsIntersectionType(both)) => {
            PropsShape::Intersection(
                both.types
                    .iter()
                    .map(|part| shape_of(part).unwrap_or(PropsShape::Unknown))
                    .collect(),
            )
        }
        TsType::TsParenthesizedType(inner) => shape_of(&inner.type_ann)?,
        _ => return None,
    })
}

fn fields(members: &[TsTypeElement]) -> Vec<PropField> {
    members
        .iter()
        .filter_map(|member| match member {
            TsTypeElement::TsPropertySignature(property) if !property.computed => Some(PropField {
                name: property_name(&property.key)?,
                optional: property.optional,
                nullable: property
                    .type_ann
                    .as_ref()
                    .map_or(Nullability::Accepts, |annotation| {
                        nullability(&annotation.type_ann)
                    }),
            }),
            TsTypeElement::TsMethodSignature(method) if !method.computed => Some(PropField {
                name: property_name(&method.key)?,
                optional: method.optional,
                nullable: Nullability::Rejects,
            }),
            _ => None,
        })
        .collect()
}

fn property_name(key: &Expr) -> Option<String> {
    match key {
        Expr::Ident(ident) => Some(ident.sym.to_string()),
        Expr::Lit(Lit::Str(text)) => Some(text.value.to_string_lossy().into_owned()),
        _ => None,
    }
}

/// Whether a type admits `null` or `undefined`: a union with either, or anything that is not
/// a plain type (`any`, `unknown`, a conditional type). A named type depends on what the name
/// is, which only the project knows: an interface never is, an alias may be.
fn nullability(ty: &TsType) -> Nullability {
    match ty {
        TsType::TsKeywordType(keyword) => match keyword.kind {
            TsKeywordTypeKind::TsNullKeyword
            | TsKeywordTypeKind::TsUndefinedKeyword
            | TsKeywordTypeKind::TsAnyKeyword
            | TsKeywordTypeKind::TsUnknownKeyword
            | TsKeywordTypeKind::TsVoidKeyword => Nullability::Accepts,
            _ => Nullability::Rejects,
        },
        TsType::TsUnionOrIntersectionType(TsUnionOrIntersectionType::TsUnionType(union)) => {
            let parts: Vec<Nullability> =
                union.types.iter().map(|part| nullability(part)).collect();
            if parts.iter().all(|part| *part == Nullability::Rejects) {
                Nullability::Rejects
            } else {
                Nullability::Accepts
            }
        }
        TsType::TsParenthesizedType(inner) => nullability(&inner.type_ann),
        TsType::TsTypeRef(reference) => match &reference.type_name {
            TsEntityName::Ident(name) if reference.type_params.is_none() => {
                Nullability::Depends(name.sym.to_string())
            }
            _ => Nullability::Accepts,
        },
        TsType::TsTypeLit(_)
        | TsType::TsArrayType(_)
        | TsType::TsTupleType(_)
        | TsType::TsFnOrConstructorType(_)
        | TsType::TsLitType(_) => Nullability::Rejects,
        _ => Nullability::Accepts,
    }
}

/// Every JSX element that renders a capitalized component.
struct JsxWalker<'a> {
    parsed: &'a ParsedModule,
    uses: Vec<JsxUse>,
}

impl Visit for JsxWalker<'_> {
    fn visit_jsx_element(&mut self, element: &JSXElement) {
        if let JSXElementName::Ident(name) = &element.opening.name
            && name
                .sym
                .starts_with(|first: char| first.is_ascii_uppercase())
        {
            let mut jsx_use = JsxUse {
                component: name.sym.to_string(),
                attributes: Vec::new(),
                spread: false,
                children: element.children.iter().any(is_content),
                range: self.parsed.range(name.span),
            };
            for attribute in &element.opening.attrs {
                match attribute {
                    JSXAttrOrSpread::SpreadElement(_) => jsx_use.spread = true,
                    JSXAttrOrSpread::JSXAttr(attribute) => {
                        if let JSXAttrName::Ident(name) = &attribute.name {
                            jsx_use.attributes.push(JsxAttribute {
                                name: name.sym.to_string(),
                                value: attribute_value(attribute.value.as_ref()),
                                range: self.parsed.range(attribute.span),
                            });
                        }
                    }
                }
            }
            self.uses.push(jsx_use);
        }
        element.visit_children_with(self);
    }
}

/// A child that passes `children`: anything but whitespace-only text.
fn is_content(child: &JSXElementChild) -> bool {
    match child {
        JSXElementChild::JSXText(text) => !text.value.to_string_lossy().trim().is_empty(),
        JSXElementChild::JSXExprContainer(container) => {
            !matches!(container.expr, JSXExpr::JSXEmptyExpr(_))
        }
        _ => true,
    }
}

fn attribute_value(value: Option<&JSXAttrValue>) -> AttributeValue {
    let Some(JSXAttrValue::JSXExprContainer(container)) = value else {
        return AttributeValue::Other;
    };
    match &container.expr {
        JSXExpr::Expr(expr) => match &**expr {
            Expr::Lit(Lit::Null(_)) => AttributeValue::Null,
            Expr::Ident(ident) if ident.sym == "undefined" => AttributeValue::Undefined,
            _ => AttributeValue::Other,
        },
        JSXExpr::JSXEmptyExpr(_) => AttributeValue::Other,
    }
}
