//! `frontend/missing-required-prop`: a JSX element that leaves out a prop its component's
//! props type requires.

use commerce_diagnostics::{Diagnostic, FixAvailability, Rule, Severity, TextRange, declare_rule};

use super::Check;
use super::Context;
use crate::components::{declaration, props_of};
use crate::display_path;

declare_rule! {
    /// ## What it does
    /// Reports JSX elements (`<Cart />`) that leave out a required prop, for components whose
    /// props are an interface or an object type of the project: a top-level function
    /// component with a typed first parameter, `FC<Props>`, `memo(…)` or `forwardRef<Ref,
    /// Props>(…)`, found through imports, re-exports and barrels. Props from `extends` and `&`
    /// parts that are not in the project (React's own attribute types, a library's) are not
    /// known and not required; elements with a `{...spread}` are not checked; children count
    /// as the `children` prop.
    ///
    /// ## Why is this bad?
    /// TypeScript rejects it; in JavaScript, or when type errors do not fail the build, the
    /// component renders with `undefined` in place of the prop: `lines.map` throws, a price
    /// shows `NaN`.
    ///
    /// ## Example
    /// ```tsx
    /// interface CartProps { lines: Line[]; currency: string }
    /// export function Cart({ lines, currency }: CartProps) { /* … */ }
    /// // checkout.tsx
    /// <Cart lines={lines} />
    /// ```
    ///
    /// Use instead:
    /// ```tsx
    /// <Cart lines={lines} currency="EUR" />
    /// ```
    ///
    /// ## Fix safety
    /// There is no fix: which value the prop should get is for a person to decide.
    pub MissingRequiredProp {
        id: "frontend/missing-required-prop",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule<Check> = Rule::new(MissingRequiredProp::META, Check::Module(check));

/// Props React supplies itself.
const REACT_PROPS: [&str; 2] = ["key", "ref"];

pub(crate) fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for (id, module) in context.parsed() {
        let Some(facts) = module.facts() else {
            continue;
        };
        for element in facts.jsx_uses.iter().filter(|element| !element.spread) {
            let Some(props) = props_of(context, id, &element.component) else {
                continue;
            };
            let passed = |name: &str| {
                REACT_PROPS.contains(&name)
                    || (name == "children" && element.children)
                    || element
                        .attributes
                        .iter()
                        .any(|attribute| attribute.name == name)
            };
            let missing = props
                .values()
                .filter(|prop| !prop.optional && !passed(&prop.name));
            for prop in missing {
                let mut diagnostic = Diagnostic::new(
                    MissingRequiredProp::META.id,
                    MissingRequiredProp::META.default_severity,
                    &module.path,
                    element.range,
                    format!(
                        "`<{}>` is missing the required prop `{}`",
                        element.component, prop.name
                    ),
                )
                .with_help(format!(
                    "pass `{}`, or make it optional (`{}?:`) in the props type",
                    prop.name, prop.name
                ));
                if let Some((declared_in, _)) = declaration(context, id, &element.component) {
                    let path = &context.module(declared_in).path;
                    diagnostic = diagnostic.with_related(
                        path,
                        TextRange::default(),
                        format!(
                            "`{}` is declared in `{}`",
                            element.component,
                            display_path(path)
                        ),
                    );
                }
                diagnostics.push(diagnostic);
            }
        }
    }
    diagnostics
}

#[cfg(test)]
mod tests {
    use super::super::testing::fixture;
    use super::*;

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(fixture("props").snapshot(MissingRequiredProp::META.id));
    }
}
