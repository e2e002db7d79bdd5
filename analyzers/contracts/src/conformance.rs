//! Whether a real response keeps the spec's promise: its status declared, its content type
//! declared, its required headers present, its body valid against the response schema (with
//! the `jsonschema` crate, the spec's 3.0 `nullable` and boolean exclusive bounds translated to
//! JSON Schema 2020-12, which 3.1 already speaks). The transport (an HTTP client, an in-process
//! tower service) is the caller's: this checks one response at a time.
//!
//! Local `$ref`s are resolved inside the spec's root document; schemas reached only through
//! another file are not validated.

use std::collections::HashMap;

use commerce_diagnostics::Diagnostic;
use jsonschema::{Draft, Validator};
use serde_json::{Map, Value as Json};

use crate::load::Loaded;
use crate::model::{Loc, Operation, Response, Version};
use crate::rules::response_conformance::{self, Violation};
use crate::yaml;

/// A response as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedResponse {
    pub status: u16,
    /// Header names in any case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl ObservedResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Checks responses against one loaded spec; validators are compiled once per schema.
pub struct ResponseChecker<'s> {
    loaded: &'s Loaded,
    /// The root document as JSON Schema 2020-12, `$ref` targets included.
    document: Json,
    validators: HashMap<String, Option<Validator>>,
}

impl std::fmt::Debug for ResponseChecker<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseChecker")
            .field("validators", &self.validators.len())
            .finish_non_exhaustive()
    }
}

impl<'s> ResponseChecker<'s> {
    pub fn new(loaded: &'s Loaded) -> Self {
        let mut document = loaded
            .spec
            .documents
            .first()
            .and_then(|root| yaml::parse(&root.text).ok())
            .map_or(Json::Null, |parsed| parsed.root.to_json());
        if loaded.spec.version == Version::V30 {
            translate_3_0(&mut document);
        }
        Self {
            loaded,
            document,
            validators: HashMap::new(),
        }
    }

    /// The violations of `response` to the operation `method` `path` (the spec's path template,
    /// e.g. `/orders/{id}`), as `contracts/response-conformance` diagnostics on the spec.
    pub fn check(
        &mut self,
        method: &str,
        path: &str,
        response: &ObservedResponse,
    ) -> Vec<Diagnostic> {
        let Some((entry_path, operation)) = self.operation(method, path) else {
            return vec![response_conformance::diagnostic(
                self.loaded,
                self.loaded.spec.root_loc,
                &Violation::UnknownOperation,
                method,
                path,
            )];
        };
        let violations = self.violations(&entry_path, operation, response);
        violations
            .into_iter()
            .map(|(loc, violation)| {
                response_conformance::diagnostic(
                    self.loaded,
                    loc,
                    &violation,
                    &operation.method,
                    &entry_path,
                )
            })
            .collect()
    }

    fn operation(&self, method: &str, path: &str) -> Option<(String, &'s Operation)> {
        let key = crate::diff::template_key(path);
        let spec = &self.loaded.spec;
        spec.paths
            .iter()
            .filter(|entry| crate::diff::template_key(&entry.path) == key)
            .find_map(|entry| {
                let operation = entry
                    .operations
                    .iter()
                    .find(|operation| operation.method.eq_ignore_ascii_case(method))?;
                Some((entry.path.clone(), operation))
            })
    }

    fn violations(
        &mut self,
        path: &str,
        operation: &'s Operation,
        response: &ObservedResponse,
    ) -> Vec<(Loc, Violation)> {
        let Some(declared) = declared_response(operation, response.status) else {
            return vec![(operation.loc, Violation::UndeclaredStatus(response.status))];
        };
        let mut found = Vec::new();
        for header in declared.headers.iter().filter(|header| header.required) {
            if response.header(&header.name).is_none() {
                found.push((header.loc, Violation::MissingHeader(header.name.clone())));
            }
        }
        if declared.content.is_empty() {
            return found;
        }
        let content_type = response.header("content-type").unwrap_or("");
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let Some(media) = declared
            .content
            .iter()
            .find(|media| media_matches(&media.name, &essence))
        else {
            if !response.body.is_empty() {
                found.push((
                    declared.loc,
                    Violation::UndeclaredContentType(content_type.to_owned()),
                ));
            }
            return found;
        };
        if media.schema.is_none() || !essence.contains("json") {
            return found;
        }
        let body: Json = match serde_json::from_slice(&response.body) {
            Ok(body) => body,
            Err(error) => {
                found.push((media.loc, Violation::BodyNotJson(error.to_string())));
                return found;
            }
        };
        let pointer = schema_pointer(
            &self.document,
            path,
            &operation.method,
            &declared.status,
            &media.name,
        );
        if let Some(validator) = pointer
            .as_deref()
            .and_then(|pointer| self.validator(pointer))
        {
            for error in validator.iter_errors(&body).take(MAX_BODY_ERRORS) {
                found.push((
                    media.loc,
                    Violation::BodyInvalid {
                        at: error.instance_path().to_string(),
                        message: error.to_string(),
                    },
                ));
            }
        }
        found
    }

    /// The validator of the schema at `pointer` in the document; `None` when it does not
    /// compile (a spec problem the loader reports on its own).
    fn validator(&mut self, pointer: &str) -> Option<&Validator> {
        if !self.validators.contains_key(pointer) {
            let mut root = match &self.document {
                Json::Object(map) => map.clone(),
                _ => Map::new(),
            };
            root.insert(
                "$ref".to_owned(),
                Json::String(format!("#{}", uri_fragment(pointer))),
            );
            let validator = jsonschema::options()
                .with_draft(Draft::Draft202012)
                .build(&Json::Object(root))
                .ok();
            self.validators.insert(pointer.to_owned(), validator);
        }
        self.validators.get(pointer).and_then(Option::as_ref)
    }
}

/// At most this many schema errors are reported per body: the first ones say what is wrong.
const MAX_BODY_ERRORS: usize = 5;

/// The response the spec declares for `status`: the exact code, then its range (`2XX`), then
/// `default`.
pub(crate) fn declared_response(operation: &Operation, status: u16) -> Option<&Response> {
    let exact = status.to_string();
    let range = format!("{}XX", status / 100);
    operation
        .responses
        .iter()
        .find(|response| response.status == exact)
        .or_else(|| {
            operation
                .responses
                .iter()
                .find(|response| response.status.eq_ignore_ascii_case(&range))
        })
        .or_else(|| {
            operation
                .responses
                .iter()
                .find(|response| response.status == "default")
        })
}

/// Whether a declared media type (`application/json`, `application/*`, `*/*`) covers
/// `essence`.
fn media_matches(declared: &str, essence: &str) -> bool {
    let declared = declared.to_ascii_lowercase();
    declared == essence
        || declared == "*/*"
        || declared
            .strip_suffix("/*")
            .is_some_and(|kind| essence.split('/').next() == Some(kind))
}

/// The JSON Pointer of a response's schema, following a `$ref`'d response object.
fn schema_pointer(
    document: &Json,
    path: &str,
    method: &str,
    status: &str,
    media: &str,
) -> Option<String> {
    let escape = |token: &str| token.replace('~', "~0").replace('/', "~1");
    let mut response_pointer = format!(
        "/paths/{}/{}/responses/{}",
        escape(path),
        method.to_lowercase(),
        escape(status)
    );
    if let Some(reference) = document
        .pointer(&response_pointer)
        .and_then(|response| response.get("$ref"))
        .and_then(Json::as_str)
    {
        response_pointer = reference.strip_prefix('#')?.to_owned();
    }
    let pointer = format!("{response_pointer}/content/{}/schema", escape(media));
    document.pointer(&pointer).is_some().then_some(pointer)
}

/// A JSON Pointer as a URI fragment: characters a fragment cannot hold (the `{` and `}` of
/// path templates, spaces) percent-encoded.
fn uri_fragment(pointer: &str) -> String {
    let mut fragment = String::with_capacity(pointer.len());
    for byte in pointer.bytes() {
        let allowed = byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&byte);
        if allowed {
            fragment.push(char::from(byte));
        } else {
            fragment.push_str(&format!("%{byte:02X}"));
        }
    }
    fragment
}

/// OpenAPI 3.0's schema dialect in JSON Schema 2020-12 terms: `nullable: true` adds `"null"` to
/// `type` (and `null` to an `enum`), or, on a schema without `type` (`anyOf`, `oneOf`,
/// `allOf`, `$ref`: how Stripe's spec writes an expandable or optional object), a `null`
/// alternative; boolean `exclusiveMinimum`/`exclusiveMaximum` become the bound itself.
fn translate_3_0(value: &mut Json) {
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        match value {
            Json::Object(map) => {
                translate_schema_object(map);
                pending.extend(map.values_mut());
            }
            Json::Array(items) => pending.extend(items.iter_mut()),
            _ => {}
        }
    }
}

fn translate_schema_object(map: &mut Map<String, Json>) {
    if map.get("nullable") == Some(&Json::Bool(true)) {
        if let Some(Json::String(kind)) = map.get("type") {
            let kind = kind.clone();
            map.insert(
                "type".to_owned(),
                Json::Array(vec![Json::String(kind), Json::String("null".to_owned())]),
            );
        }
        if let Some(Json::Array(values)) = map.get_mut("enum")
            && !values.contains(&Json::Null)
        {
            values.push(Json::Null);
        }
        if !map.contains_key("type") {
            allow_null_alternative(map);
        }
    }
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        match map.get(flag) {
            Some(Json::Bool(true)) => {
                if let Some(value) = map.remove(bound) {
                    map.insert(flag.to_owned(), value);
                }
            }
            Some(Json::Bool(false)) => {
                map.remove(flag);
            }
            _ => {}
        }
    }
}

/// A composed schema that is `nullable` also accepts `null`: one more `anyOf`/`oneOf`
/// alternative, or the `allOf`/`$ref` moved into an `anyOf` beside `{"type": "null"}`.
fn allow_null_alternative(map: &mut Map<String, Json>) {
    let null = || serde_json::json!({ "type": "null" });
    for keyword in ["anyOf", "oneOf"] {
        if let Some(Json::Array(alternatives)) = map.get_mut(keyword) {
            if !alternatives.contains(&null()) {
                alternatives.push(null());
            }
            return;
        }
    }
    let mut composed = Map::new();
    for keyword in ["allOf", "$ref"] {
        if let Some(value) = map.remove(keyword) {
            composed.insert(keyword.to_owned(), value);
        }
    }
    if !composed.is_empty() {
        map.insert(
            "anyOf".to_owned(),
            Json::Array(vec![Json::Object(composed), null()]),
        );
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    const SPEC: &str = r##"openapi: 3.0.3
info: {title: Shop, version: "1"}
paths:
  /orders/{id}:
    get:
      responses:
        "200":
          description: An order
          headers:
            X-Request-Id: {required: true, schema: {type: string}}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Order"}
        4XX:
          $ref: "#/components/responses/Problem"
components:
  responses:
    Problem:
      description: A problem
      content:
        application/problem+json:
          schema: {type: object, required: [title], properties: {title: {type: string}}}
  schemas:
    Order:
      type: object
      required: [id, total]
      properties:
        id: {type: string}
        total: {type: number, minimum: 0, exclusiveMinimum: true}
        coupon: {type: string, nullable: true}
"##;

    fn loaded() -> Loaded {
        crate::load::load_str("openapi.yaml", SPEC)
    }

    fn response(status: u16, content_type: &str, body: &str) -> ObservedResponse {
        ObservedResponse {
            status,
            headers: vec![
                ("content-type".to_owned(), content_type.to_owned()),
                ("x-request-id".to_owned(), "r1".to_owned()),
            ],
            body: body.as_bytes().to_vec(),
        }
    }

    fn kinds(
        checker: &mut ResponseChecker<'_>,
        path: &str,
        response: &ObservedResponse,
    ) -> Vec<String> {
        checker
            .check("GET", path, response)
            .iter()
            .map(|diagnostic| {
                format!(
                    "{}: {}",
                    diagnostic.data["kind"].as_str().unwrap_or("?"),
                    diagnostic.message
                )
            })
            .collect()
    }

    #[test]
    fn a_conforming_response_has_no_findings() {
        let loaded = loaded();
        let mut checker = ResponseChecker::new(&loaded);
        let ok = response(
            200,
            "application/json; charset=utf-8",
            r#"{"id": "o1", "total": 3.5, "coupon": null}"#,
        );
        assert_eq!(
            kinds(&mut checker, "/orders/{orderId}", &ok),
            Vec::<String>::new()
        );
        let problem = response(404, "application/problem+json", r#"{"title": "not found"}"#);
        assert_eq!(
            kinds(&mut checker, "/orders/{id}", &problem),
            Vec::<String>::new()
        );
    }

    #[test]
    fn nullable_without_type_accepts_null_as_stripes_spec_means() {
        let mut schema = serde_json::json!({
            "properties": {
                "customer": {"nullable": true, "anyOf": [{"type": "string"}, {"$ref": "#/c"}]},
                "shipping": {"nullable": true, "allOf": [{"$ref": "#/s"}], "description": "d"},
                "review": {"nullable": true, "$ref": "#/r"},
                "plain": {"anyOf": [{"type": "string"}]},
            }
        });
        translate_3_0(&mut schema);
        let properties = &schema["properties"];
        assert_eq!(
            properties["customer"]["anyOf"],
            serde_json::json!([{"type": "string"}, {"$ref": "#/c"}, {"type": "null"}])
        );
        assert_eq!(
            properties["shipping"]["anyOf"],
            serde_json::json!([{"allOf": [{"$ref": "#/s"}]}, {"type": "null"}])
        );
        assert_eq!(properties["shipping"]["description"], "d");
        assert_eq!(
            properties["review"]["anyOf"],
            serde_json::json!([{"$ref": "#/r"}, {"type": "null"}])
        );
        assert_eq!(
            properties["plain"],
            serde_json::json!({"anyOf": [{"type": "string"}]}),
            "not nullable: unchanged"
        );
    }

    #[test]
    fn every_kind_of_drift_is_found() {
        let loaded = loaded();
        let mut checker = ResponseChecker::new(&loaded);
        let invalid = response(200, "application/json", r#"{"id": 7, "total": 0}"#);
        let found = kinds(&mut checker, "/orders/{id}", &invalid);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found
                .iter()
                .all(|finding| finding.starts_with("body-invalid")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|finding| finding.contains("/id")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|finding| finding.contains("/total")),
            "{found:?}"
        );

        let undeclared = response(500, "application/json", "{}");
        assert_eq!(
            kinds(&mut checker, "/orders/{id}", &undeclared)[0]
                .split(':')
                .next(),
            Some("undeclared-status")
        );
        let html = response(200, "text/html", "<p>");
        assert_eq!(
            kinds(&mut checker, "/orders/{id}", &html)[0]
                .split(':')
                .next(),
            Some("undeclared-content-type")
        );
        let mut headless = response(200, "application/json", r#"{"id": "o1", "total": 1}"#);
        headless.headers.retain(|(name, _)| name != "x-request-id");
        assert_eq!(
            kinds(&mut checker, "/orders/{id}", &headless)[0]
                .split(':')
                .next(),
            Some("missing-header")
        );
        let broken = response(200, "application/json", "{");
        assert_eq!(
            kinds(&mut checker, "/orders/{id}", &broken)[0]
                .split(':')
                .next(),
            Some("body-not-json")
        );
        assert_eq!(
            kinds(&mut checker, "/nowhere", &broken)[0]
                .split(':')
                .next(),
            Some("unknown-operation")
        );
    }
}
