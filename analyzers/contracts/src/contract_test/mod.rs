//! Contract tests: every operation of a spec called on a running service, its responses checked
//! against the spec (see [`crate::conformance`]).
//!
//! For each operation this sends a valid request (path and required query parameters, and a
//! JSON body built from the request schema: defaults, enums, formats and bounds respected) and,
//! when the body has required properties, an invalid one (an empty object), which the service
//! must reject with a declared 4xx. The transport is an [`Exchange`]: [`HttpExchange`] talks
//! HTTP/1.1 to a base URL; an in-process service (a tower service in a test) implements the
//! trait itself.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use commerce_diagnostics::Diagnostic;
use serde_json::{Map, Value as Json};

use crate::conformance::{ObservedResponse, ResponseChecker};
use crate::load::Loaded;
use crate::model::{Operation, Parameter, Schema, SchemaRef, Spec};
use crate::rules::response_conformance::{self, Violation};

/// A request a contract test sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeRequest {
    /// Upper case: `GET`.
    pub method: String,
    /// The concrete path with its query string: `/orders/1?limit=1`.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// How requests reach the service under test.
pub trait Exchange {
    /// Sends `request` and returns the response.
    ///
    /// # Errors
    /// When the service cannot be reached or answers something that is not HTTP; the message
    /// says which.
    fn exchange(&mut self, request: &ProbeRequest) -> Result<ObservedResponse, String>;
}

/// What a contract-test run sends besides the generated requests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestOptions {
    /// Headers added to every request (`Authorization: Bearer …` from config).
    pub headers: Vec<(String, String)>,
}

/// The outcome of a run: how many requests were sent and what broke the spec.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TestReport {
    pub requests: usize,
    pub diagnostics: Vec<Diagnostic>,
}

/// Calls every operation of `loaded` through `exchange` and checks each response.
pub fn run_contract_tests(
    loaded: &Loaded,
    exchange: &mut dyn Exchange,
    options: &TestOptions,
) -> TestReport {
    let mut checker = ResponseChecker::new(loaded);
    let mut report = TestReport::default();
    for entry in &loaded.spec.paths {
        for operation in &entry.operations {
            let valid = valid_request(&loaded.spec, &entry.path, operation, options);
            report.requests += 1;
            match exchange.exchange(&valid) {
                Ok(response) => report.diagnostics.extend(checker.check(
                    &operation.method,
                    &entry.path,
                    &response,
                )),
                Err(error) => {
                    report
                        .diagnostics
                        .push(unreachable(loaded, operation, &entry.path, error))
                }
            }
            let Some(invalid) = invalid_request(&loaded.spec, &valid, operation) else {
                continue;
            };
            report.requests += 1;
            match exchange.exchange(&invalid) {
                Ok(response) => {
                    if !(400..500).contains(&response.status) {
                        let violation = Violation::InvalidRequestAccepted(response.status);
                        report.diagnostics.push(response_conformance::diagnostic(
                            loaded,
                            operation.loc,
                            &violation,
                            &operation.method,
                            &entry.path,
                        ));
                    }
                    report.diagnostics.extend(checker.check(
                        &operation.method,
                        &entry.path,
                        &response,
                    ));
                }
                Err(error) => {
                    report
                        .diagnostics
                        .push(unreachable(loaded, operation, &entry.path, error))
                }
            }
        }
    }
    report
}

fn unreachable(loaded: &Loaded, operation: &Operation, path: &str, error: String) -> Diagnostic {
    response_conformance::diagnostic(
        loaded,
        operation.loc,
        &Violation::NoResponse(error),
        &operation.method,
        path,
    )
}

/// A request the spec allows: path parameters filled in, required query and header
/// parameters set, and a JSON body when the operation takes one.
fn valid_request(
    spec: &Spec,
    path: &str,
    operation: &Operation,
    options: &TestOptions,
) -> ProbeRequest {
    let mut target = String::new();
    for segment in path.split('/').skip(1) {
        target.push('/');
        match segment
            .strip_prefix('{')
            .and_then(|rest| rest.strip_suffix('}'))
        {
            Some(name) => target.push_str(&encode(&parameter_value(spec, operation, name, "path"))),
            None => target.push_str(segment),
        }
    }
    if target.is_empty() {
        target.push('/');
    }
    let query: Vec<String> = required(operation, "query")
        .map(|parameter| {
            format!(
                "{}={}",
                encode(&parameter.name),
                encode(&value_text(&sample_of(spec, parameter.schema.as_ref())))
            )
        })
        .collect();
    if !query.is_empty() {
        target = format!("{target}?{}", query.join("&"));
    }
    let mut headers = options.headers.clone();
    headers.extend(required(operation, "header").map(|parameter| {
        (
            parameter.name.clone(),
            value_text(&sample_of(spec, parameter.schema.as_ref())),
        )
    }));
    let body = json_body(operation).map(|schema| {
        headers.push(("content-type".to_owned(), "application/json".to_owned()));
        sample(spec, schema.id, 0).to_string().into_bytes()
    });
    ProbeRequest {
        method: operation.method.clone(),
        target,
        headers,
        body,
    }
}

/// The valid request with an empty JSON object as its body, when the body schema requires
/// properties (so the empty object must be rejected).
fn invalid_request(
    spec: &Spec,
    valid: &ProbeRequest,
    operation: &Operation,
) -> Option<ProbeRequest> {
    let schema = spec.schema(json_body(operation)?.id);
    if schema.required.is_empty() {
        return None;
    }
    Some(ProbeRequest {
        body: Some(b"{}".to_vec()),
        ..valid.clone()
    })
}

fn json_body(operation: &Operation) -> Option<&SchemaRef> {
    let body = operation.request_body.as_ref()?;
    body.content
        .iter()
        .find(|media| media.name.contains("json"))
        .and_then(|media| media.schema.as_ref())
}

fn required<'o>(
    operation: &'o Operation,
    location: &'o str,
) -> impl Iterator<Item = &'o Parameter> {
    operation
        .parameters
        .iter()
        .filter(move |parameter| parameter.location == location && parameter.required)
}

fn parameter_value(spec: &Spec, operation: &Operation, name: &str, location: &str) -> String {
    let schema = operation
        .parameters
        .iter()
        .find(|parameter| parameter.location == location && parameter.name == name)
        .and_then(|parameter| parameter.schema.as_ref());
    value_text(&sample_of(spec, schema))
}

fn sample_of(spec: &Spec, schema: Option<&SchemaRef>) -> Json {
    schema.map_or_else(
        || Json::String("1".to_owned()),
        |schema| sample(spec, schema.id, 0),
    )
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

/// A value valid against the schema, as far as its keywords say: its default or first enum
/// value, else one of its type honouring formats, bounds and required properties.
fn sample(spec: &Spec, id: crate::model::SchemaId, depth: usize) -> Json {
    let schema = spec.schema(id);
    for text in [&schema.default, &schema.rare().const_value] {
        if let Some(value) = text
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
        {
            return value;
        }
    }
    if let Some(value) = schema
        .enum_values
        .as_ref()
        .and_then(|values| values.first())
        .and_then(|text| serde_json::from_str(text).ok())
    {
        return value;
    }
    if let Some(first) = schema
        .all_of
        .first()
        .or(schema.one_of.first())
        .or(schema.any_of.first())
        && schema.properties.is_empty()
        && depth < MAX_SAMPLE_DEPTH
    {
        return sample(spec, first.id, depth + 1);
    }
    let kind =
        schema
            .non_null_types()
            .first()
            .copied()
            .unwrap_or(if schema.properties.is_empty() {
                "string"
            } else {
                "object"
            });
    match kind {
        "object" => object_sample(spec, schema, depth),
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

fn object_sample(spec: &Spec, schema: &Schema, depth: usize) -> Json {
    let mut object = Map::new();
    if depth < MAX_SAMPLE_DEPTH {
        for property in &schema.properties {
            let property_schema = spec.schema(property.schema.id);
            if schema.required.contains(&property.name) && !property_schema.read_only {
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

/// HTTP/1.1 over plain TCP to a base URL (`http://127.0.0.1:3000/api`); one connection per
/// request, closed by the server after it answers.
#[derive(Clone, Debug)]
pub struct HttpExchange {
    host: String,
    port: u16,
    prefix: String,
    timeout: Duration,
}

/// Why a base URL cannot be used.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{url}` is not a usable base URL: {reason}; write it like http://127.0.0.1:3000")]
pub struct BaseUrlError {
    url: String,
    reason: &'static str,
}

impl HttpExchange {
    /// # Errors
    /// When `base_url` is not an `http://host[:port][/prefix]` URL (HTTPS is not supported:
    /// contract tests run against a local service).
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, BaseUrlError> {
        let error = |reason| BaseUrlError {
            url: base_url.to_owned(),
            reason,
        };
        let rest = base_url.strip_prefix("http://").ok_or_else(|| {
            error(if base_url.starts_with("https://") {
                "https is not supported"
            } else {
                "it does not start with http://"
            })
        })?;
        let (authority, prefix) = rest
            .split_once('/')
            .map_or((rest, ""), |(authority, prefix)| (authority, prefix));
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse()
                    .map_err(|_| error("the port is not a number"))?,
            ),
            None => (authority, 80),
        };
        if host.is_empty() {
            return Err(error("it names no host"));
        }
        Ok(Self {
            host: host.to_owned(),
            port,
            prefix: format!("/{}", prefix.trim_matches('/'))
                .trim_end_matches('/')
                .to_owned(),
            timeout,
        })
    }
}

impl Exchange for HttpExchange {
    fn exchange(&mut self, request: &ProbeRequest) -> Result<ObservedResponse, String> {
        let address = format!("{}:{}", self.host, self.port);
        let mut stream = TcpStream::connect(&address)
            .map_err(|error| format!("cannot connect to {address}: {error}"))?;
        let io = |error: std::io::Error| format!("talking to {address}: {error}");
        stream.set_read_timeout(Some(self.timeout)).map_err(io)?;
        stream.set_write_timeout(Some(self.timeout)).map_err(io)?;
        let body = request.body.as_deref().unwrap_or_default();
        let mut head = format!(
            "{} {}{} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: {}\r\n",
            request.method,
            self.prefix,
            request.target,
            self.host,
            body.len()
        );
        for (name, value) in &request.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).map_err(io)?;
        stream.write_all(body).map_err(io)?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).map_err(io)?;
        parse_response(&raw).ok_or_else(|| format!("{address} did not answer with HTTP/1.x"))
    }
}

/// An HTTP/1.x response: status line, headers, and a body by length, chunks or to the end.
fn parse_response(raw: &[u8]) -> Option<ObservedResponse> {
    let split = raw.windows(4).position(|window| window == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Some(ObservedResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|window| window == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let exchange =
            HttpExchange::new("http://127.0.0.1:3000/api/", Duration::from_secs(1)).expect("valid");
        assert_eq!(
            (
                exchange.host.as_str(),
                exchange.port,
                exchange.prefix.as_str()
            ),
            ("127.0.0.1", 3000, "/api")
        );
        let bare = HttpExchange::new("http://localhost", Duration::from_secs(1)).expect("valid");
        assert_eq!((bare.port, bare.prefix.as_str()), (80, ""));
        let error =
            HttpExchange::new("https://shop.example", Duration::from_secs(1)).expect_err("https");
        assert_eq!(
            error.to_string(),
            "`https://shop.example` is not a usable base URL: https is not supported; write it like http://127.0.0.1:3000"
        );
        assert!(HttpExchange::new("http://:80", Duration::from_secs(1)).is_err());
    }

    #[test]
    fn responses_parse_by_length_and_by_chunks() {
        let plain = parse_response(
            b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n\r\n{\"a\":1}",
        )
        .expect("parses");
        assert_eq!(plain.status, 201);
        assert_eq!(plain.body, b"{\"a\":1}");
        let chunked = parse_response(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n").expect("parses");
        assert_eq!(chunked.body, b"{\"a\":1}");
        assert_eq!(parse_response(b"garbage"), None);
    }

    #[test]
    fn encoding_keeps_unreserved_characters() {
        assert_eq!(encode("a b/é"), "a%20b%2F%C3%A9");
    }
}
