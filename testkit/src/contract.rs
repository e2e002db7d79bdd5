//! Every response checked against the app's OpenAPI 3.x document: the status must be declared
//! for the operation (exactly, as `4XX`, or as `default`), the media type must be one it
//! declares, and a JSON body must match the declared schema (JSON Schema 2020-12, `$ref`s into
//! the document resolved). A test that makes a request therefore also tests the contract, the
//! way schemathesis' `status_code_conformance`, `content_type_conformance` and
//! `response_schema_conformance` checks do.
//!
//! ```
//! use commerce_testkit::contract::Contract;
//! use serde_json::json;
//!
//! let spec = json!({
//!     "openapi": "3.1.0",
//!     "paths": {"/items/{id}": {"get": {"responses": {
//!         "200": {"description": "an item", "content": {"application/json": {
//!             "schema": {"$ref": "#/components/schemas/Item"}}}},
//!         "404": {"description": "missing"}
//!     }}}},
//!     "components": {"schemas": {"Item": {
//!         "type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}}}
//! });
//! let contract = Contract::new(spec);
//! let ok = contract.check("GET", "/items/{id}", 200, Some("application/json"), br#"{"id": 7}"#);
//! assert!(ok.is_empty());
//! let wrong = contract.check("GET", "/items/{id}", 200, Some("application/json"), br#"{"id": "7"}"#);
//! assert!(wrong[0].contains("/id"), "{wrong:?}");
//! let undeclared = contract.check("GET", "/items/{id}", 500, None, b"");
//! assert_eq!(undeclared, ["GET /items/{id} answered 500, which the spec does not declare (it declares 200, 404)"]);
//! ```

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;

use crate::document::{self, DocumentError};

/// An OpenAPI document the responses are checked against.
#[derive(Debug)]
pub struct Contract {
    spec: Value,
    /// Compiled response schemas by JSON pointer; `None` for a schema that does not compile.
    validators: Mutex<HashMap<String, Option<Arc<jsonschema::Validator>>>>,
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

impl Contract {
    pub fn new(spec: Value) -> Self {
        Self {
            spec,
            validators: Mutex::default(),
        }
    }

    /// Reads the document (JSON or YAML).
    ///
    /// # Errors
    /// When the file cannot be read or parsed.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, DocumentError> {
        document::read(path).map(Self::new)
    }

    /// What is wrong with a response of `method route` (the route template, as the router
    /// matched it): empty when it conforms, or when the spec has no such operation (the
    /// route check of `cargo commerce contracts routes` reports those).
    pub fn check(
        &self,
        method: &str,
        route: &str,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Vec<String> {
        let method = method.to_ascii_lowercase();
        if !METHODS.contains(&method.as_str()) {
            return Vec::new();
        }
        let operation_pointer = format!("/paths/{}/{method}", escape(route));
        let Some(responses) = self
            .spec
            .pointer(&format!("{operation_pointer}/responses"))
            .and_then(Value::as_object)
        else {
            return Vec::new();
        };
        let operation = format!("{} {route}", method.to_ascii_uppercase());
        let code = status.to_string();
        let range = format!("{}XX", status / 100);
        let Some(key) = [code.as_str(), range.as_str(), "default"]
            .into_iter()
            .find(|key| {
                responses.contains_key(*key) || responses.contains_key(&key.to_ascii_lowercase())
            })
        else {
            let declared: Vec<&str> = responses.keys().map(String::as_str).collect();
            return vec![format!(
                "{operation} answered {status}, which the spec does not declare (it declares {})",
                declared.join(", ")
            )];
        };
        let key = if responses.contains_key(key) {
            key.to_owned()
        } else {
            key.to_ascii_lowercase()
        };
        let Some((response, response_pointer)) =
            self.resolve(&format!("{operation_pointer}/responses/{}", escape(&key)))
        else {
            return vec![format!(
                "{operation} {status}: the response's $ref does not resolve"
            )];
        };
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            return Vec::new();
        };
        if body.is_empty() {
            return Vec::new();
        }
        let media = content_type
            .and_then(|value| value.split(';').next())
            .map(|value| value.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let Some(declared_media) = content
            .keys()
            .find(|declared| media_matches(declared, &media))
        else {
            let declared: Vec<&str> = content.keys().map(String::as_str).collect();
            return vec![format!(
                "{operation} {status} answered `{media}`, which the spec does not declare (it declares {})",
                declared.join(", ")
            )];
        };
        if !(media == "application/json" || media.ends_with("+json")) {
            return Vec::new();
        }
        let schema_pointer = format!(
            "{response_pointer}/content/{}/schema",
            escape(declared_media)
        );
        if self.spec.pointer(&schema_pointer).is_none() {
            return Vec::new();
        }
        let instance: Value = match serde_json::from_slice(body) {
            Ok(instance) => instance,
            Err(error) => {
                return vec![format!(
                    "{operation} {status}: the body is not JSON: {error}"
                )];
            }
        };
        let Some(validator) = self.validator(&schema_pointer) else {
            return vec![format!(
                "{operation} {status}: the spec's schema at {schema_pointer} does not compile"
            )];
        };
        validator
            .iter_errors(&instance)
            .map(|error| {
                let at = error.instance_path().to_string();
                let at = if at.is_empty() { "/".to_owned() } else { at };
                format!("{operation} {status}: the body at {at} does not match the spec: {error}")
            })
            .collect()
    }

    /// The object at `pointer`, following a `$ref` into the document, with its own pointer.
    fn resolve(&self, pointer: &str) -> Option<(&Value, String)> {
        let mut pointer = pointer.to_owned();
        for _ in 0..8 {
            let value = self.spec.pointer(&pointer)?;
            match value.get("$ref").and_then(Value::as_str) {
                Some(reference) => pointer = reference.strip_prefix('#')?.to_owned(),
                None => return Some((value, pointer)),
            }
        }
        None
    }

    /// The validator of the schema at `pointer`: the whole document with a root `$ref` to it,
    /// so `#/components/...` references resolve (unknown keywords such as `paths` are ignored).
    fn validator(&self, pointer: &str) -> Option<Arc<jsonschema::Validator>> {
        let mut validators = self
            .validators
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        validators
            .entry(pointer.to_owned())
            .or_insert_with(|| {
                let mut root = self.spec.clone();
                let object = root.as_object_mut()?;
                object.insert(
                    "$ref".to_owned(),
                    Value::String(format!("#{}", fragment(pointer))),
                );
                object.remove("$schema");
                object.remove("$id");
                jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .build(&root)
                    .ok()
                    .map(Arc::new)
            })
            .clone()
    }
}

/// `application/json` matches `application/json`, `application/*` and `*/*`.
fn media_matches(declared: &str, actual: &str) -> bool {
    let declared = declared.trim().to_ascii_lowercase();
    declared == actual
        || declared == "*/*"
        || declared
            .strip_suffix("/*")
            .is_some_and(|kind| actual.split('/').next() == Some(kind))
}

/// A JSON pointer as a URI fragment: characters a fragment cannot hold (`{id}` of a path
/// template) percent-encoded (RFC 3986).
fn fragment(pointer: &str) -> String {
    let mut out = String::with_capacity(pointer.len());
    for byte in pointer.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A JSON pointer segment (RFC 6901).
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contract() -> Contract {
        Contract::new(json!({
            "openapi": "3.1.0",
            "paths": {
                "/orders": {"post": {"responses": {
                    "201": {"description": "made", "content": {"application/json": {"schema": {
                        "type": "object", "required": ["id", "state"],
                        "properties": {"id": {"type": "integer"}, "state": {"$ref": "#/components/schemas/State"}}}}}},
                    "4XX": {"$ref": "#/components/responses/Problem"}
                }}},
                "/healthz": {"get": {"responses": {"default": {"description": "any"}}}}
            },
            "components": {
                "schemas": {
                    "State": {"type": "string", "enum": ["pending", "paid"]},
                    "Problem": {"type": "object", "required": ["status"], "properties": {"status": {"type": "integer"}}}
                },
                "responses": {"Problem": {"description": "an error", "content": {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}
            }
        }))
    }

    #[test]
    fn a_conforming_response_has_nothing_to_say() {
        let contract = contract();
        let made = br#"{"id": 1, "state": "paid"}"#;
        assert!(
            contract
                .check("POST", "/orders", 201, Some("application/json"), made)
                .is_empty()
        );
        let problem = br#"{"status": 422}"#;
        assert!(
            contract
                .check(
                    "POST",
                    "/orders",
                    422,
                    Some("application/problem+json"),
                    problem
                )
                .is_empty()
        );
        assert!(
            contract
                .check("GET", "/healthz", 503, Some("text/plain"), b"down")
                .is_empty()
        );
        // Not in the spec: the routes check reports it, not this one.
        assert!(
            contract
                .check("GET", "/unknown", 200, None, b"{}")
                .is_empty()
        );
    }

    #[test]
    fn schema_status_and_media_type_violations_are_named() {
        let contract = contract();
        let bad_enum = contract.check(
            "POST",
            "/orders",
            201,
            Some("application/json"),
            br#"{"id": 1, "state": "lost"}"#,
        );
        assert_eq!(bad_enum.len(), 1, "{bad_enum:?}");
        assert!(
            bad_enum[0].starts_with("POST /orders 201: the body at /state does not match"),
            "{bad_enum:?}"
        );
        let status = contract.check("POST", "/orders", 500, Some("application/json"), b"{}");
        assert_eq!(
            status,
            ["POST /orders answered 500, which the spec does not declare (it declares 201, 4XX)"]
        );
        let media = contract.check("POST", "/orders", 404, Some("text/plain"), b"not found");
        assert_eq!(
            media,
            [
                "POST /orders 404 answered `text/plain`, which the spec does not declare (it declares application/problem+json)"
            ]
        );
        let not_json = contract.check("POST", "/orders", 201, Some("application/json"), b"{");
        assert!(not_json[0].contains("not JSON"), "{not_json:?}");
    }
}
