//! `contracts/response-conformance`: a response the service sent that the spec does not allow.

use std::fmt;

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, declare_rule};

use crate::load::Loaded;
use crate::model::Loc;

use commerce_diagnostics::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a response of the running service (in a contract test) that breaks the spec: a
    /// status the operation does not declare (nor its range, `2XX`, nor `default`), a content
    /// type it does not declare, a required response header missing, a body that is not JSON
    /// or not valid against the response schema (JSON Schema 2020-12; OpenAPI 3.0 `nullable`
    /// and boolean exclusive bounds are translated), no response at all. It also sends invalid
    /// requests (a path or query parameter of the wrong type, outside its enum or its bounds, a
    /// required query parameter or body missing, a body without a required property, with a
    /// value outside its enum or bounds or of the wrong JSON type) and reports each one
    /// accepted instead of refused with a 4xx, or refused with a 4xx the operation does not
    /// declare, at the parameter or property it breaks. The finding points at the spec element
    /// the response broke; `data.kind` says which check failed.
    ///
    /// ## Why is this bad?
    /// Clients are generated from, and written against, the spec. A service that answers
    /// otherwise breaks them in production however green its own tests are.
    ///
    /// ## Example
    /// ```yaml
    /// Order:
    ///   required: [id, total]
    ///   properties: { id: { type: string }, total: { type: number } }
    /// # the service answers {"id": 7}: `id` is not a string and `total` is missing
    /// ```
    ///
    /// ## Fix safety
    /// No fix: either the service or the spec is wrong, and only a person knows which.
    pub ResponseConformance {
        id: "contracts/response-conformance",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::reported(ResponseConformance::META);

/// One way a response breaks the spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    UnknownOperation,
    UndeclaredStatus(u16),
    UndeclaredContentType(String),
    MissingHeader(String),
    BodyNotJson(String),
    BodyInvalid {
        at: String,
        message: String,
    },
    /// A request the spec forbids (`what` says how) got this status instead of a 4xx.
    InvalidRequestAccepted {
        status: u16,
        what: String,
    },
    /// A request the spec forbids was refused with a 4xx the operation does not declare.
    InvalidRequestUndeclaredStatus {
        status: u16,
        what: String,
    },
    /// The service could not be reached, or did not answer HTTP.
    NoResponse(String),
}

impl Violation {
    /// `data.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Violation::UnknownOperation => "unknown-operation",
            Violation::UndeclaredStatus(_) => "undeclared-status",
            Violation::UndeclaredContentType(_) => "undeclared-content-type",
            Violation::MissingHeader(_) => "missing-header",
            Violation::BodyNotJson(_) => "body-not-json",
            Violation::BodyInvalid { .. } => "body-invalid",
            Violation::InvalidRequestAccepted { .. } => "invalid-request-accepted",
            Violation::InvalidRequestUndeclaredStatus { .. } => "invalid-request-undeclared-status",
            Violation::NoResponse(_) => "no-response",
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::UnknownOperation => f.write_str("the spec has no such operation"),
            Violation::UndeclaredStatus(status) => write!(f, "status {status} is not declared"),
            Violation::UndeclaredContentType(content_type) => {
                write!(f, "content type `{content_type}` is not declared")
            }
            Violation::MissingHeader(name) => write!(f, "required header `{name}` is missing"),
            Violation::BodyNotJson(error) => write!(f, "the body is not JSON: {error}"),
            Violation::BodyInvalid { at, message } => {
                let at = if at.is_empty() { "/" } else { at.as_str() };
                write!(f, "the body at `{at}` does not match the schema: {message}")
            }
            Violation::InvalidRequestAccepted { status, what } => write!(
                f,
                "an invalid request ({what}) was answered {status}, not a 4xx"
            ),
            Violation::InvalidRequestUndeclaredStatus { status, what } => write!(
                f,
                "an invalid request ({what}) was refused with {status}, which the operation does not declare"
            ),
            Violation::NoResponse(error) => write!(f, "no response: {error}"),
        }
    }
}

/// A violation as a diagnostic at `loc` in the spec.
pub fn diagnostic(
    loaded: &Loaded,
    loc: Loc,
    violation: &Violation,
    method: &str,
    path: &str,
) -> Diagnostic {
    let file = loaded
        .spec
        .documents
        .get(loc.doc.0 as usize)
        .map(|document| document.path.clone())
        .unwrap_or_default();
    Diagnostic::new(
        ResponseConformance::META.id,
        Severity::Error,
        file,
        loc.range,
        format!("{method} {path}: {violation}"),
    )
    .with_data("method", method)
    .with_data("path", path)
    .with_data("level", "error")
    .with_data("kind", violation.kind())
}
