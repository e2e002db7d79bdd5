//! `contracts/invalid-spec`: a spec that cannot be read, or that the lenient loader had to read
//! around.

use commerce_diagnostics::{FixAvailability, Severity, declare_rule};

use commerce_diagnostics::Rule;

/// The rule id.
pub const INVALID_SPEC: &str = InvalidSpec::META.id;

declare_rule! {
    /// ## What it does
    /// Reports an OpenAPI description that cannot be compared as written: invalid YAML or JSON,
    /// Swagger 2.0, a version other than OpenAPI 3.0/3.1 (errors); a `$ref` that points to
    /// nothing or only to other references in a loop (errors, the reference then accepts
    /// anything); a duplicate key (a warning, the later value wins); an operation without
    /// `responses` (information: read leniently as declaring none).
    ///
    /// ## Why is this bad?
    /// Clients, generators and this tool all read the spec; a spec each reads differently (or
    /// not at all) is no contract. A dangling `$ref` hides a whole schema from the drift check.
    ///
    /// ## Example
    /// ```yaml
    /// paths:
    ///   /pets:
    ///     get:
    ///       responses:
    ///         "200":
    ///           content:
    ///             application/json:
    ///               schema: { $ref: "#/components/schemas/Pets" }   # no such schema
    /// ```
    ///
    /// ## Fix safety
    /// No fix: add the missing definition, correct the reference or convert the document.
    pub InvalidSpec {
        id: "contracts/invalid-spec",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::reported(InvalidSpec::META);
