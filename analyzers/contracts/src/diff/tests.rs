//! Check families end to end, each on a two-line change of a small spec: the ids come out
//! as oasdiff's checkers give them (the corpus conformance test covers the cases oasdiff's
//! own tests spell out).

use crate::load::load_str;

/// The ids of diffing a spec whose operation `POST /orders` has `base` against one with
/// `head` (both YAML, indented as the operation's keys), sorted.
fn ids(base: &str, head: &str) -> Vec<&'static str> {
    let spec = |operation: &str| {
        let operation: String = operation
            .lines()
            .map(|line| format!("      {line}\n"))
            .collect();
        format!(
            "openapi: 3.1.0\ninfo: {{title: t, version: '1'}}\npaths:\n  /orders:\n    post:\n{operation}      responses:\n        '200': {{description: ok}}\n"
        )
    };
    let (base, head) = (
        load_str("base.yaml", &spec(base)),
        load_str("head.yaml", &spec(head)),
    );
    let mut ids: Vec<&str> = super::diff(&base.spec, &head.spec)
        .into_iter()
        .map(|finding| finding.id)
        .collect();
    ids.sort_unstable();
    ids
}

fn parameter(location: &str, schema: &str) -> String {
    format!("parameters:\n  - {{name: p, in: {location}, schema: {schema}}}")
}

fn body(schema: &str) -> String {
    format!("requestBody:\n  content:\n    application/json:\n      schema: {schema}")
}

#[test]
fn parameter_types_are_judged_as_text() {
    let query = |schema: &str| parameter("query", schema);
    assert_eq!(
        ids(
            &query("{type: integer}"),
            &query("{type: [integer, string]}")
        ),
        ["request-parameter-type-generalized"]
    );
    assert_eq!(
        ids(&query("{type: integer}"), &query("{type: string}")),
        ["request-parameter-type-generalized"]
    );
    assert_eq!(
        ids(&query("{type: string}"), &query("{type: integer}")),
        ["request-parameter-type-changed"]
    );
    assert_eq!(
        ids(
            &query("{type: string}"),
            &query("{type: string, format: uuid}")
        ),
        ["request-parameter-type-changed"]
    );
    assert_eq!(
        ids(
            &query("{type: string, format: uuid}"),
            &query("{type: string}")
        ),
        ["request-parameter-type-generalized"]
    );
    let object = |property| query(&format!("{{type: object, properties: {{id: {property}}}}}"));
    assert_eq!(
        ids(&object("{type: string}"), &object("{type: number}")),
        ["request-parameter-property-type-specialized"]
    );
    assert_eq!(
        ids(&object("{type: number}"), &object("{type: string}")),
        ["request-parameter-property-type-changed"]
    );
}

#[test]
fn a_scalar_becoming_a_form_exploded_array_is_generalized() {
    let array = "{type: array, items: {type: string}}";
    assert_eq!(
        ids(
            &parameter("query", "{type: string}"),
            &parameter("query", array)
        ),
        ["request-parameter-type-generalized"]
    );
    // A path parameter is not form-exploded: `a,b` is no longer one value.
    assert_eq!(
        ids(
            &parameter("path", "{type: string}"),
            &parameter("path", array)
        ),
        ["request-parameter-type-changed"]
    );
    let unexploded = "parameters:\n  - {name: p, in: query, explode: false, schema: {type: array, items: {type: string}}}";
    assert_eq!(
        ids(&parameter("query", "{type: string}"), unexploded),
        ["request-parameter-type-changed"]
    );
    // The items must accept every value the scalar did.
    let constrained = "{type: array, items: {type: string, maxLength: 3}}";
    assert_eq!(
        ids(
            &parameter("query", "{type: string}"),
            &parameter("query", constrained)
        ),
        ["request-parameter-type-changed"]
    );
}

#[test]
fn body_types_follow_the_media_type() {
    assert_eq!(
        ids(&body("{type: integer}"), &body("{type: number}")),
        ["request-body-type-generalized"]
    );
    assert_eq!(
        ids(&body("{type: [string, integer]}"), &body("{type: string}")),
        ["request-body-type-changed"]
    );
    let property = |schema| body(&format!("{{type: object, properties: {{a: {schema}}}}}"));
    assert_eq!(
        ids(&property("{type: string}"), &property("{}")),
        ["request-property-type-generalized"]
    );
    // oasdiff leaves out a property the client cannot send.
    assert_eq!(
        ids(
            &property("{type: string, readOnly: true}"),
            &property("{type: integer, readOnly: true}")
        ),
        Vec::<&str>::new()
    );
}

#[test]
fn an_object_wrapped_in_one_of_is_no_type_change() {
    let list = |items: &str| {
        body(&format!(
            "{{type: object, properties: {{list: {{type: array, items: {items}}}}}}}"
        ))
    };
    let found = ids(
        &list("{type: object, properties: {a: {type: string}}}"),
        &list(
            "{oneOf: [{type: object, properties: {a: {type: string}}}, {type: object, properties: {b: {type: string}}}]}",
        ),
    );
    assert!(!found.is_empty(), "the wrapping is reported");
    assert!(!found.iter().any(|id| id.contains("-type-")), "{found:?}");
}

#[test]
fn parameter_max_items_falls_back_to_the_items() {
    let items = |max| {
        parameter(
            "query",
            &format!("{{type: array, items: {{type: string, maxItems: {max}}}}}"),
        )
    };
    assert_eq!(
        ids(&items(20), &items(10)),
        ["request-parameter-max-items-decreased"]
    );
    assert_eq!(
        ids(&items(10), &items(20)),
        ["request-parameter-max-items-increased"]
    );
}

#[test]
fn a_header_parameter_that_became_an_enum_has_its_own_check() {
    assert_eq!(
        ids(
            &parameter("header", "{type: string}"),
            &parameter("header", "{type: string, enum: [a]}")
        ),
        [
            "request-header-property-became-enum",
            "request-parameter-became-enum"
        ]
    );
    let object = |property| {
        parameter(
            "header",
            &format!("{{type: object, properties: {{id: {property}}}}}"),
        )
    };
    assert_eq!(
        ids(
            &object("{type: string}"),
            &object("{type: string, enum: [a]}")
        ),
        ["request-header-property-became-enum"]
    );
    // Other parameters' properties have no became-enum check.
    let query = |property| {
        parameter(
            "query",
            &format!("{{type: object, properties: {{id: {property}}}}}"),
        )
    };
    assert_eq!(
        ids(
            &query("{type: string}"),
            &query("{type: string, enum: [a]}")
        ),
        Vec::<&str>::new()
    );
}

#[test]
fn only_dot_star_generalizes_a_pattern() {
    let pattern = |pattern| {
        body(&format!(
            "{{type: object, properties: {{a: {{type: string, pattern: '{pattern}'}}}}}}"
        ))
    };
    assert_eq!(
        ids(&pattern("^[a-z]+$"), &pattern(".*")),
        ["request-property-pattern-generalized"]
    );
    assert_eq!(
        ids(&pattern("^[a-z]+$"), &pattern(".+")),
        ["request-property-pattern-changed"]
    );
    assert_eq!(
        ids(&pattern("^[a-z]+$"), &pattern("^.*$")),
        ["request-property-pattern-changed"]
    );
}

#[test]
fn property_stability_defaults_to_stable_and_must_read() {
    let property = |extension: &str| {
        body(&format!(
            "{{type: object, properties: {{a: {{type: string{extension}}}}}}}"
        ))
    };
    assert_eq!(
        ids(&property(""), &property(", x-stability-level: beta")),
        ["request-property-stability-decreased"]
    );
    assert_eq!(
        ids(
            &property(", x-stability-level: draft"),
            &property(", x-stability-level: stable")
        ),
        Vec::<&str>::new()
    );
    assert_eq!(
        ids(&property(""), &property(", x-stability-level: ready")),
        ["api-invalid-stability-level"]
    );
}

#[test]
fn operation_stability_defaults_to_stable() {
    assert_eq!(
        ids("x-stability-level: stable", "summary: s"),
        Vec::<&str>::new()
    );
    assert_eq!(
        ids("summary: s", "x-stability-level: beta"),
        ["api-stability-decreased"]
    );
    // A change of an operation the head marks `alpha` is not reported.
    assert_eq!(
        ids(
            "x-stability-level: alpha\noperationId: a",
            "x-stability-level: alpha\noperationId: b"
        ),
        Vec::<&str>::new()
    );
}

#[test]
fn read_only_and_write_only_in_required() {
    let object = |required: &str, flags: &str| {
        body(&format!(
            "{{type: object, required: [{required}], properties: {{a: {{type: string{flags}}}}}}}"
        ))
    };
    // A read-only property is never sent: whether it is required is moot.
    assert_eq!(
        ids(
            &object("a", ", readOnly: true"),
            &object("", ", readOnly: true")
        ),
        Vec::<&str>::new()
    );
    // Requiredness is read from the base.
    assert_eq!(
        ids(&object("a", ""), &object("", ", writeOnly: true")),
        [
            "request-property-became-optional",
            "request-required-property-became-write-only"
        ]
    );
    assert_eq!(
        ids(&object("a", ""), &object("a", ", readOnly: true")),
        ["request-required-property-became-read-only"]
    );
}
