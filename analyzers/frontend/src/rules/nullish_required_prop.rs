//! `frontend/nullish-required-prop`: a literal `null` or `undefined` passed to a prop whose
//! type does not admit it.

use commerce_diagnostics::{Diagnostic, FixAvailability, Rule, Severity, declare_rule};

use super::Check;
use super::Context;
use crate::collect::AttributeValue;
use crate::components::props_of;

declare_rule! {
    /// ## What it does
    /// Reports JSX attributes that pass a literal `null` or `undefined` (`<Cart lines={null} />`)
    /// to a required prop whose type certainly rejects both: a keyword, literal, array, tuple,
    /// function or object type, or an interface or object type of the project, without
    /// `| null` or `| undefined`. Props and components are found as
    /// `frontend/missing-required-prop` finds them; types the analyzer cannot see through
    /// (aliases of unions, generics, library types) are not reported.
    ///
    /// ## Why is this bad?
    /// The component assumes the value is there: `lines.map` on `null` throws while rendering,
    /// taking the page down with it.
    ///
    /// ## Example
    /// ```tsx
    /// <Cart lines={null} currency="EUR" />
    /// ```
    ///
    /// Use instead:
    /// ```tsx
    /// <Cart lines={[]} currency="EUR" />
    /// ```
    ///
    /// ## Fix safety
    /// There is no fix: what to pass instead is for a person to decide.
    pub NullishRequiredProp {
        id: "frontend/nullish-required-prop",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule<Check> = Rule::new(NullishRequiredProp::META, Check::Module(check));

pub(crate) fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for (id, module) in context.parsed() {
        let Some(facts) = module.facts() else {
            continue;
        };
        for element in &facts.jsx_uses {
            let nullish = element
                .attributes
                .iter()
                .filter(|attribute| attribute.value != AttributeValue::Other)
                .collect::<Vec<_>>();
            if nullish.is_empty() {
                continue;
            }
            let Some(props) = props_of(context, id, &element.component) else {
                continue;
            };
            for attribute in nullish {
                let Some(prop) = props.get(&attribute.name) else {
                    continue;
                };
                if prop.optional || !prop.rejects_nullish {
                    continue;
                }
                let value = if attribute.value == AttributeValue::Null {
                    "null"
                } else {
                    "undefined"
                };
                diagnostics.push(
                    Diagnostic::new(
                        NullishRequiredProp::META.id,
                        NullishRequiredProp::META.default_severity,
                        &module.path,
                        attribute.range,
                        format!(
                            "`{value}` passed to the required prop `{}` of `<{}>`",
                            prop.name, element.component
                        ),
                    )
                    .with_help(format!(
                        "pass a value of the prop's type, or let the type admit it (`{}?:` or `| {value}`)",
                        prop.name
                    )),
                );
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
        insta::assert_snapshot!(fixture("props").snapshot(NullishRequiredProp::META.id));
    }
}
