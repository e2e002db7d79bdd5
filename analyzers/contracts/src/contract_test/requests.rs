//! The requests a contract test sends for one operation: one the spec allows, built from its
//! examples (`example`/`examples` of parameters, media types and schemas) and else from its
//! schemas, then variants of it that break the spec in one way each, which the service must
//! refuse with a declared 4xx.

use serde_json::{Map, Value as Json};

use super::{ProbeRequest, TestOptions};
use crate::model::{Loc, Operation, Parameter, Property, Schema, SchemaId, SchemaRef, Spec};

/// A request to send, and what is wrong with it when it is one the spec forbids.
#[derive(Clone, Debug)]
pub(super) struct Probe {
    pub request: ProbeRequest,
    pub invalid: Option<Invalidity>,
}

/// Why a request breaks the spec, and the spec element that says so.
#[derive(Clone, Debug)]
pub(super) struct Invalidity {
    /// `query parameter `limit` is `not-a-number`, not an integer`.
    pub what: String,
    pub loc: Loc,
}

/// A request before it is written out, so variants can change one part of it.
#[derive(Clone, Debug)]
struct Parts {
    /// Path parameter values by name; a template name without one gets `1`.
    path: Vec<(String, String)>,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<Json>,
    /// The JSON media type the operation declares for its body (`application/json`,
    /// `application/merge-patch+json`), sent as `content-type` with a body.
    media_type: String,
}

impl Parts {
    fn set(&mut self, location: &str, name: &str, value: String) {
        let list = if location == "path" {
            &mut self.path
        } else {
            &mut self.query
        };
        list.retain(|(key, _)| key != name);
        list.push((name.to_owned(), value));
    }
}

/// The valid request of `operation`, then each invalid variant of it.
pub(super) fn probes(
    spec: &Spec,
    path: &str,
    operation: &Operation,
    options: &TestOptions,
) -> Vec<Probe> {
    let valid = valid_parts(spec, operation, options);
    let mut probes = vec![Probe {
        request: render(&operation.method, path, &valid),
        invalid: None,
    }];
    let mut invalid = parameter_variants(spec, operation, &valid);
    invalid.extend(body_variants(spec, operation, &valid));
    probes.extend(invalid.into_iter().map(|(parts, invalidity)| Probe {
        request: render(&operation.method, path, &parts),
        invalid: Some(invalidity),
    }));
    probes
}

/// Path parameters filled in, required query and header parameters set, and a JSON body when
/// the operation takes one.
fn valid_parts(spec: &Spec, operation: &Operation, options: &TestOptions) -> Parts {
    let text = |parameter: &Parameter| value_text(&parameter_value(spec, parameter));
    let of = |location: &'static str| {
        operation
            .parameters
            .iter()
            .filter(move |parameter| parameter.location == location && parameter.required)
    };
    let mut headers = options.headers.clone();
    headers.extend(of("header").map(|parameter| (parameter.name.clone(), text(parameter))));
    Parts {
        path: of("path")
            .map(|parameter| (parameter.name.clone(), text(parameter)))
            .collect(),
        query: of("query")
            .map(|parameter| (parameter.name.clone(), text(parameter)))
            .collect(),
        headers,
        body: json_body(operation).map(|(media, schema)| {
            parsed(media.example.as_deref()).unwrap_or_else(|| sample(spec, schema.id, 0))
        }),
        media_type: json_body(operation)
            .map_or("application/json", |(media, _)| media.name.as_str())
            .to_owned(),
    }
}

fn render(method: &str, path: &str, parts: &Parts) -> ProbeRequest {
    let mut target = String::new();
    for segment in path.split('/').skip(1) {
        target.push('/');
        match segment
            .strip_prefix('{')
            .and_then(|rest| rest.strip_suffix('}'))
        {
            Some(name) => {
                let value = parts
                    .path
                    .iter()
                    .find(|(key, _)| key == name)
                    .map_or("1", |(_, value)| value.as_str());
                target.push_str(&encode(value));
            }
            None => target.push_str(segment),
        }
    }
    if target.is_empty() {
        target.push('/');
    }
    let query: Vec<String> = parts
        .query
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect();
    if !query.is_empty() {
        target = format!("{target}?{}", query.join("&"));
    }
    let mut headers = parts.headers.clone();
    let body = parts.body.as_ref().map(|body| {
        headers.push(("content-type".to_owned(), parts.media_type.clone()));
        body.to_string().into_bytes()
    });
    ProbeRequest {
        method: method.to_owned(),
        target,
        headers,
        body,
    }
}

/// Each path and query parameter with a value of the wrong type, or outside its enum, and
/// each required query parameter left out.
fn parameter_variants(
    spec: &Spec,
    operation: &Operation,
    valid: &Parts,
) -> Vec<(Parts, Invalidity)> {
    let mut variants = Vec::new();
    for parameter in &operation.parameters {
        let location = parameter.location.as_str();
        if !matches!(location, "path" | "query") {
            continue;
        }
        let invalid = |what: String| Invalidity {
            what: format!("{location} parameter `{}` {what}", parameter.name),
            loc: parameter.loc,
        };
        if let Some(schema) = parameter
            .schema
            .as_ref()
            .map(|schema| spec.schema(schema.id))
        {
            // Path and query values are text: only a type other than string can be broken.
            let wrong_type = single_type(schema)
                .filter(|kind| matches!(*kind, "integer" | "number" | "boolean"));
            if let Some(kind) = wrong_type {
                let text = format!("not-{}", article(kind).replace(' ', "-"));
                let mut parts = valid.clone();
                parts.set(location, &parameter.name, text.clone());
                variants.push((
                    parts,
                    invalid(format!("is `{text}`, not {}", article(kind))),
                ));
            } else if let Some(Json::String(text)) = outside_enum(schema) {
                let mut parts = valid.clone();
                parts.set(location, &parameter.name, text.clone());
                variants.push((
                    parts,
                    invalid(format!("is `{text}`, not one of its enum values")),
                ));
            }
            if let Some((value, bound)) = out_of_range(schema) {
                let mut parts = valid.clone();
                parts.set(location, &parameter.name, value.to_string());
                variants.push((parts, invalid(format!("is {value}, {bound}"))));
            }
        }
        if location == "query" && parameter.required {
            let mut parts = valid.clone();
            parts.query.retain(|(name, _)| name != &parameter.name);
            variants.push((parts, invalid("is required and missing".to_owned())));
        }
    }
    variants
}

/// The valid JSON body left out when it is required, without one required property, with a
/// property outside its enum or its bounds, and with a property (or the whole body) of the
/// wrong JSON type.
fn body_variants(spec: &Spec, operation: &Operation, valid: &Parts) -> Vec<(Parts, Invalidity)> {
    let (Some((_, schema)), Some(body)) = (json_body(operation), &operation.request_body) else {
        return Vec::new();
    };
    let body_loc = body.loc;
    let with_body = |body: Option<Json>| Parts {
        body,
        ..valid.clone()
    };
    let mut variants = Vec::new();
    if body.required {
        let what = "the required body is missing".to_owned();
        variants.push((
            with_body(None),
            Invalidity {
                what,
                loc: body_loc,
            },
        ));
    }
    let (properties, required) = object_shape(spec, schema.id, 0);
    let Some(Json::Object(object)) = &valid.body else {
        if let Some((body, kind)) = wrong_body_type(spec.schema(schema.id)) {
            let what = format!("the body is not {}", article(kind));
            variants.push((
                with_body(Some(body)),
                Invalidity {
                    what,
                    loc: body_loc,
                },
            ));
        }
        return variants;
    };
    let present = || {
        properties
            .iter()
            .filter(|property| object.contains_key(&property.name))
    };
    if let Some(name) = required.iter().find(|name| object.contains_key(*name)) {
        let mut body = object.clone();
        body.shift_remove(name);
        let loc = properties
            .iter()
            .find(|property| &property.name == name)
            .map_or(body_loc, |property| property.loc);
        let what = format!("the body lacks its required property `{name}`");
        variants.push((
            with_body(Some(Json::Object(body))),
            Invalidity { what, loc },
        ));
    }
    let mut replaced = |property: &Property, value: Json, what: String| {
        let mut body = object.clone();
        body.insert(property.name.clone(), value);
        let loc = property.loc;
        variants.push((
            with_body(Some(Json::Object(body))),
            Invalidity { what, loc },
        ));
    };
    if let Some((property, value)) = present()
        .find_map(|property| Some((property, outside_enum(spec.schema(property.schema.id))?)))
    {
        let what = format!(
            "the body's `{}` is {value}, not one of its enum values",
            property.name
        );
        replaced(property, value, what);
    }
    if let Some((property, (value, bound))) = present()
        .find_map(|property| Some((property, out_of_range(spec.schema(property.schema.id))?)))
    {
        let what = format!("the body's `{}` is {value}, {bound}", property.name);
        replaced(property, value, what);
    }
    if let Some((property, (value, kind))) = present()
        .find_map(|property| Some((property, wrong_body_type(spec.schema(property.schema.id))?)))
    {
        let what = format!(
            "the body's `{}` is {value}, not {}",
            property.name,
            article(kind)
        );
        replaced(property, value, what);
    }
    variants
}

/// A JSON value that is not of the schema's one type (null aside), with that type's name.
fn wrong_body_type(schema: &Schema) -> Option<(Json, &str)> {
    let kind = single_type(schema)?;
    let value = if kind == "string" {
        Json::from(12345)
    } else {
        Json::String("wrong-type".to_owned())
    };
    Some((value, kind))
}

/// A number just outside the schema's `minimum` (else its `maximum`), and which bound it
/// breaks.
fn out_of_range(schema: &Schema) -> Option<(Json, String)> {
    let integer = match single_type(schema)? {
        "integer" => true,
        "number" => false,
        _ => return None,
    };
    let (bound, exclusive, step, words) = match (schema.minimum, schema.maximum) {
        (Some(minimum), _) => (minimum, exclusive_min(schema), -1.0, "below its minimum"),
        (None, Some(maximum)) => {
            let exclusive = matches!(
                schema.exclusive_maximum,
                Some(crate::model::Exclusive::Flag(true))
            );
            (maximum, exclusive, 1.0, "above its maximum")
        }
        (None, None) => return None,
    };
    // An exclusive bound is itself outside the range; an inclusive one is left by a step.
    let outside = if exclusive { bound } else { bound + step };
    let value = if integer {
        Json::from(if step < 0.0 {
            outside.ceil()
        } else {
            outside.floor()
        } as i64)
    } else {
        Json::from(outside)
    };
    Some((value, format!("{words} {bound}")))
}

/// The schema's only type besides `null`.
fn single_type(schema: &Schema) -> Option<&str> {
    match schema.non_null_types()[..] {
        [kind] => Some(kind),
        _ => None,
    }
}

/// A string outside the schema's enum of strings.
fn outside_enum(schema: &Schema) -> Option<Json> {
    let values: Vec<Json> = schema
        .enum_values
        .as_ref()?
        .iter()
        .filter_map(|text| serde_json::from_str(text).ok())
        .collect();
    if values.is_empty() || !values.iter().all(Json::is_string) {
        return None;
    }
    let mut text = "not-in-enum".to_owned();
    while values.contains(&Json::String(text.clone())) {
        text.push('x');
    }
    Some(Json::String(text))
}

/// `an integer`, `a string`.
fn article(kind: &str) -> String {
    let vowel = kind.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {kind}", if vowel { "an" } else { "a" })
}

fn json_body(operation: &Operation) -> Option<(&crate::model::MediaType, &SchemaRef)> {
    let body = operation.request_body.as_ref()?;
    body.content
        .iter()
        .filter(|media| media.name.contains("json"))
        .find_map(|media| Some((media, media.schema.as_ref()?)))
}

fn parameter_value(spec: &Spec, parameter: &Parameter) -> Json {
    parsed(parameter.example.as_deref()).unwrap_or_else(|| {
        parameter.schema.as_ref().map_or_else(
            || Json::String("1".to_owned()),
            |schema| sample(spec, schema.id, 0),
        )
    })
}

fn parsed(text: Option<&str>) -> Option<Json> {
    text.and_then(|text| serde_json::from_str(text).ok())
}

/// A value as it is written in a path or query string.
fn value_text(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Nesting deeper than this is cut short in generated values (recursive schemas).
const MAX_SAMPLE_DEPTH: usize = 8;

/// A value valid against the schema, as far as its keywords say: its `const`, example,
/// default or first enum value, else one of its type honouring formats, bounds and required
/// properties.
fn sample(spec: &Spec, id: SchemaId, depth: usize) -> Json {
    let schema = spec.schema(id);
    let rare = schema.rare();
    for text in [&rare.const_value, &rare.example, &schema.default] {
        if let Some(value) = parsed(text.as_deref()) {
            return value;
        }
    }
    if let Some(value) = schema
        .enum_values
        .as_ref()
        .and_then(|values| parsed(values.first().map(String::as_str)))
    {
        return value;
    }
    if let Some(first) = schema
        .all_of
        .first()
        .or(schema.one_of.first())
        .or(schema.any_of.first())
        && schema.properties.is_empty()
        && schema.all_of.len() <= 1
        && depth < MAX_SAMPLE_DEPTH
    {
        return sample(spec, first.id, depth + 1);
    }
    let kind = schema.non_null_types().first().copied().unwrap_or(
        if schema.properties.is_empty() && schema.all_of.is_empty() {
            "string"
        } else {
            "object"
        },
    );
    match kind {
        "object" => object_sample(spec, id, depth),
        "array" => {
            let count = schema.min_items.unwrap_or(0).min(3);
            let item = schema.items.as_ref().filter(|_| depth < MAX_SAMPLE_DEPTH);
            Json::Array(
                (0..count)
                    .filter_map(|_| item.map(|item| sample(spec, item.id, depth + 1)))
                    .collect(),
            )
        }
        "integer" => Json::from(schema.minimum.map_or(1, |minimum| {
            minimum.ceil() as i64 + i64::from(exclusive_min(schema))
        })),
        "number" => Json::from(schema.minimum.map_or(1.0, |minimum| {
            minimum + if exclusive_min(schema) { 1.0 } else { 0.0 }
        })),
        "boolean" => Json::Bool(true),
        "null" => Json::Null,
        _ => Json::String(string_sample(schema)),
    }
}

fn exclusive_min(schema: &Schema) -> bool {
    matches!(
        schema.exclusive_minimum,
        Some(crate::model::Exclusive::Flag(true))
    )
}

/// The properties and required names of an object schema with those of its `allOf` parts.
fn object_shape(spec: &Spec, id: SchemaId, depth: usize) -> (Vec<&Property>, Vec<String>) {
    let schema = spec.schema(id);
    let mut properties: Vec<&Property> = schema.properties.iter().collect();
    let mut required = schema.required.clone();
    if depth < MAX_SAMPLE_DEPTH {
        for part in &schema.all_of {
            let (more, also_required) = object_shape(spec, part.id, depth + 1);
            properties.extend(more);
            required.extend(also_required);
        }
    }
    (properties, required)
}

/// The required properties (read-only ones aside: a client does not send them).
fn object_sample(spec: &Spec, id: SchemaId, depth: usize) -> Json {
    let mut object = Map::new();
    if depth < MAX_SAMPLE_DEPTH {
        let (properties, required) = object_shape(spec, id, depth);
        for property in properties {
            if required.contains(&property.name) && !spec.schema(property.schema.id).read_only {
                object.insert(
                    property.name.clone(),
                    sample(spec, property.schema.id, depth + 1),
                );
            }
        }
    }
    Json::Object(object)
}

fn string_sample(schema: &Schema) -> String {
    let text = match schema.format.as_deref() {
        Some("date-time") => "2024-01-01T00:00:00Z",
        Some("date") => "2024-01-01",
        Some("email") => "buyer@example.com",
        Some("uuid") => "00000000-0000-4000-8000-000000000001",
        Some("uri" | "url") => "https://example.com/",
        _ => "1",
    };
    let minimum = usize::try_from(schema.min_length.unwrap_or(0)).unwrap_or(0);
    let mut text = text.to_owned();
    while text.chars().count() < minimum {
        text.push('1');
    }
    text
}

/// Percent-encodes what a path segment or query value cannot hold.
fn encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {

    use super::*;

    /// Examples of every kind: a parameter's `examples` (an Example Object behind a `$ref`), a
    /// 3.1 schema's `examples` list, a property's `example`, and a value generated without one.
    const SPEC: &str = r##"openapi: 3.1.0
info: {title: Shop, version: "1"}
paths:
  /carts/{cart}/items:
    post:
      parameters:
        - name: cart
          in: path
          required: true
          schema: {type: string, format: uuid}
          examples:
            usual: {$ref: "#/components/examples/Cart"}
        - {name: currency, in: query, required: true, schema: {type: string, enum: [EUR, GBP], examples: [GBP]}}
        - {name: page, in: query, schema: {type: integer}}
      requestBody:
        content:
          application/json:
            schema:
              allOf:
                - {type: object, required: [sku], properties: {sku: {type: string, example: SKU-7}}}
                - {type: object, required: [quantity], properties: {quantity: {type: integer, minimum: 2}}}
      responses:
        "201": {description: Added}
components:
  examples:
    Cart: {value: cart-42}
"##;

    fn sent(spec: &str) -> Vec<String> {
        let loaded = crate::load::load_str("openapi.yaml", spec);
        let entry = &loaded.spec.paths[0];
        probes(
            &loaded.spec,
            &entry.path,
            &entry.operations[0],
            &TestOptions::default(),
        )
        .into_iter()
        .map(|probe| {
            let body = String::from_utf8(probe.request.body.unwrap_or_default()).expect("utf-8");
            let why = probe.invalid.map_or(String::new(), |invalid| invalid.what);
            format!("{} {body}  {why}", probe.request.target)
        })
        .collect()
    }

    #[test]
    fn examples_come_first_then_generated_values_then_one_invalid_variant_each() {
        assert_eq!(
            sent(SPEC),
            [
                r#"/carts/cart-42/items?currency=GBP {"sku":"SKU-7","quantity":2}  "#,
                r#"/carts/cart-42/items?currency=not-in-enum {"sku":"SKU-7","quantity":2}  query parameter `currency` is `not-in-enum`, not one of its enum values"#,
                r#"/carts/cart-42/items {"sku":"SKU-7","quantity":2}  query parameter `currency` is required and missing"#,
                r#"/carts/cart-42/items?currency=GBP&page=not-an-integer {"sku":"SKU-7","quantity":2}  query parameter `page` is `not-an-integer`, not an integer"#,
                r#"/carts/cart-42/items?currency=GBP {"quantity":2}  the body lacks its required property `sku`"#,
                r#"/carts/cart-42/items?currency=GBP {"sku":"SKU-7","quantity":1}  the body's `quantity` is 1, below its minimum 2"#,
                r#"/carts/cart-42/items?currency=GBP {"sku":12345,"quantity":2}  the body's `sku` is 12345, not a string"#,
            ]
        );
    }

    #[test]
    fn a_body_goes_with_the_json_media_type_the_operation_declares() {
        let loaded = crate::load::load_str(
            "openapi.yaml",
            r#"openapi: 3.0.3
info: {title: Shop, version: "1"}
paths:
  /carts/{id}:
    patch:
      requestBody:
        content:
          text/plain: {schema: {type: string}}
          application/merge-patch+json: {schema: {type: object, properties: {note: {type: string}}}}
      responses:
        "200": {description: Patched}
"#,
        );
        let entry = &loaded.spec.paths[0];
        let probes = probes(
            &loaded.spec,
            &entry.path,
            &entry.operations[0],
            &TestOptions::default(),
        );
        let content_types: Vec<Option<&str>> = probes
            .iter()
            .map(|probe| {
                probe
                    .request
                    .headers
                    .iter()
                    .find(|(name, _)| name == "content-type")
                    .map(|(_, value)| value.as_str())
            })
            .collect();
        assert_eq!(content_types, [Some("application/merge-patch+json")]);
    }

    #[test]
    fn encoding_keeps_unreserved_characters() {
        assert_eq!(encode("a b/é"), "a%20b%2F%C3%A9");
    }

    #[test]
    fn articles_follow_the_type_name() {
        assert_eq!(article("integer"), "an integer");
        assert_eq!(article("string"), "a string");
    }
}
