//! Requests into the app's axum `Router` in process (`tower::ServiceExt::oneshot`, no
//! network): JSON helpers, bearer tokens and users, headers, a cookie jar, the SQL statements
//! each request ran, snapshots with ids and timestamps redacted, and a pagination walker.
//!
//! ```
//! use axum::{Json, Router, routing::{get, post}};
//! use commerce_testkit::TestApp;
//! use serde_json::{json, Value};
//!
//! async fn echo(Json(body): Json<Value>) -> Json<Value> { Json(json!({ "got": body })) }
//! async fn login() -> ([(&'static str, &'static str); 1], &'static str) {
//!     ([("set-cookie", "session=abc; Path=/; HttpOnly")], "ok")
//! }
//! async fn whoami(headers: axum::http::HeaderMap) -> String {
//!     headers.get("cookie").map(|c| c.to_str().unwrap().to_owned()).unwrap_or_default()
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let app = TestApp::new(Router::new()
//!     .route("/echo", post(echo))
//!     .route("/login", post(login))
//!     .route("/me", get(whoami)));
//! let response = app.post("/echo").json(&json!({ "sku": "TEE-1" })).send().await;
//! response.assert_status(200);
//! assert_eq!(response.json_value()["got"]["sku"], "TEE-1");
//! assert_eq!(response.queries(), 0);
//!
//! app.post("/login").send().await.assert_status(200);
//! assert_eq!(app.get("/me").send().await.text(), "session=abc"); // the jar sent it back
//! # });
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use http_body_util::BodyExt as _;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tower::ServiceExt as _;
use tracing::Instrument as _;

use crate::queries;

/// The app under test, called in process.
#[derive(Debug, Clone)]
pub struct TestApp {
    router: Router,
    jar: Arc<Mutex<BTreeMap<String, String>>>,
    test: Arc<str>,
    #[cfg(feature = "contract")]
    contract: Option<Arc<crate::contract::Contract>>,
}

/// The route template a request matched, carried out of the router in the response.
#[derive(Debug, Clone)]
struct Route(String);

async fn remember_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned());
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(Route(route));
    }
    response
}

impl TestApp {
    /// The app's router, with its state already given.
    pub fn new(router: Router) -> Self {
        queries::installed();
        let test = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_owned();
        Self {
            router: router.layer(axum::middleware::from_fn(remember_route)),
            jar: Arc::default(),
            test: test.into(),
            #[cfg(feature = "contract")]
            contract: None,
        }
    }

    /// Checks every response against `contract` (the app's OpenAPI document): a response
    /// whose status, media type or body the document does not declare fails the test with
    /// what differs.
    #[cfg(feature = "contract")]
    #[must_use]
    pub fn with_contract(mut self, contract: Arc<crate::contract::Contract>) -> Self {
        self.contract = Some(contract);
        self
    }

    /// A request; add to it, then [`RequestBuilder::send`].
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        RequestBuilder {
            app: self.clone(),
            method,
            path: path.to_owned(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            use_jar: true,
        }
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.request(Method::POST, path)
    }

    pub fn put(&self, path: &str) -> RequestBuilder {
        self.request(Method::PUT, path)
    }

    pub fn patch(&self, path: &str) -> RequestBuilder {
        self.request(Method::PATCH, path)
    }

    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.request(Method::DELETE, path)
    }

    /// The cookie `name` the app last set, if any.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    /// Forgets every cookie.
    pub fn clear_cookies(&self) {
        self.jar
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    fn store_cookies(&self, headers: &HeaderMap) {
        let mut jar = self.jar.lock().unwrap_or_else(PoisonError::into_inner);
        for value in headers.get_all(http::header::SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            let mut parts = text.split(';');
            let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else {
                continue;
            };
            let expired = parts.any(|attribute| {
                let attribute = attribute.trim().to_ascii_lowercase();
                attribute == "max-age=0" || attribute.starts_with("max-age=-")
            });
            if expired {
                jar.remove(name.trim());
            } else {
                jar.insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }
}

/// A request being built.
#[derive(Debug)]
pub struct RequestBuilder {
    app: TestApp,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
    use_jar: bool,
}

impl RequestBuilder {
    /// A header.
    ///
    /// # Panics
    /// When `name` or `value` is not a valid header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::from_bytes(name.as_bytes())
            .unwrap_or_else(|_| panic!("`{name}` is not a header name"));
        let value = HeaderValue::from_str(value)
            .unwrap_or_else(|_| panic!("`{value}` is not a header value"));
        self.headers.append(name, value);
        self
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Acts as `user` (its bearer token).
    pub fn as_user(self, user: &crate::users::TestUser) -> Self {
        self.bearer(&user.token)
    }

    /// `Idempotency-Key: <key>`.
    pub fn idempotency_key(self, key: &str) -> Self {
        self.header("idempotency-key", key)
    }

    /// A JSON body.
    ///
    /// # Panics
    /// When `body` does not serialise.
    pub fn json(mut self, body: &impl Serialize) -> Self {
        self.body = serde_json::to_vec(body)
            .unwrap_or_else(|error| panic!("the request body does not serialise: {error}"))
            .into();
        self.header("content-type", "application/json")
    }

    /// A raw body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sends no cookies from the jar (an anonymous or cross-site caller).
    pub fn without_cookies(mut self) -> Self {
        self.use_jar = false;
        self
    }

    /// Sends the request and reads the whole response.
    ///
    /// # Panics
    /// When the request cannot be built or the body cannot be read.
    pub async fn send(self) -> TestResponse {
        let mut request = Request::builder()
            .method(self.method.clone())
            .uri(&self.path)
            .body(Body::from(self.body))
            .unwrap_or_else(|error| {
                panic!("invalid request {} {}: {error}", self.method, self.path)
            });
        *request.headers_mut() = self.headers;
        if self.use_jar {
            let cookies = self
                .app
                .jar
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ");
            if !cookies.is_empty()
                && !request.headers().contains_key(http::header::COOKIE)
                && let Ok(value) = HeaderValue::from_str(&cookies)
            {
                request.headers_mut().insert(http::header::COOKIE, value);
            }
        }
        let (span, statements) = queries::request_span();
        let started = Instant::now();
        let response = match self
            .app
            .router
            .clone()
            .oneshot(request)
            .instrument(span)
            .await
        {
            Ok(response) => response,
            Err(infallible) => match infallible {},
        };
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .unwrap_or_else(|error| panic!("cannot read the response body: {error}"))
            .to_bytes();
        let latency = started.elapsed();
        self.app.store_cookies(&parts.headers);
        let matched = parts.extensions.get::<Route>().map(|route| route.0.clone());
        #[cfg(feature = "contract")]
        if let (Some(contract), Some(route)) = (&self.app.contract, &matched) {
            let content_type = parts
                .headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok());
            let violations = contract.check(
                self.method.as_str(),
                route,
                parts.status.as_u16(),
                content_type,
                &body,
            );
            if !violations.is_empty() {
                crate::telemetry::emit(&serde_json::json!({
                    "kind": "contract_violation", "test": &*self.app.test,
                    "method": self.method.as_str(), "route": route, "violations": violations,
                }));
                panic!(
                    "{} {}: the response breaks the contract:\n  {}\nbody: {}",
                    self.method,
                    self.path,
                    violations.join("\n  "),
                    String::from_utf8_lossy(&body)
                );
            }
        }
        let route = matched.unwrap_or_else(|| self.path.clone());
        let statements = statements
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        crate::telemetry::request(
            &self.app.test,
            self.method.as_str(),
            &route,
            parts.status.as_u16(),
            latency.as_micros(),
        );
        for (statement, count) in queries::repeated(&statements) {
            crate::telemetry::emit(&serde_json::json!({
                "kind": "n_plus_one", "test": &*self.app.test, "method": self.method.as_str(),
                "route": route, "statement": statement, "count": count,
            }));
        }
        TestResponse {
            method: self.method,
            path: self.path,
            route,
            status: parts.status,
            headers: parts.headers,
            body,
            statements,
            latency,
        }
    }
}

/// A whole response.
#[derive(Debug, Clone)]
pub struct TestResponse {
    pub method: Method,
    pub path: String,
    /// The route template the request matched (the path when none did).
    pub route: String,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    statements: Vec<String>,
    pub latency: Duration,
}

impl TestResponse {
    /// Asserts the status code.
    ///
    /// # Panics
    /// When it differs, with the body.
    #[track_caller]
    pub fn assert_status(&self, expected: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            expected,
            "{} {} answered {} instead of {expected}: {}",
            self.method,
            self.path,
            self.status,
            self.text()
        );
        self
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as `T`.
    ///
    /// # Panics
    /// When it is not `T`'s JSON.
    #[track_caller]
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "{} {} did not answer the expected JSON ({error}): {}",
                self.method,
                self.path,
                self.text()
            )
        })
    }

    /// The body as a JSON value.
    ///
    /// # Panics
    /// When it is not JSON.
    #[track_caller]
    pub fn json_value(&self) -> Value {
        self.json()
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// How many SQL statements the request ran.
    ///
    /// # Panics
    /// When the test installed its own global `tracing` subscriber first, so the kit cannot
    /// count.
    #[track_caller]
    pub fn queries(&self) -> usize {
        assert!(
            queries::installed(),
            "cannot count queries: another global tracing subscriber was installed before the kit's"
        );
        self.statements.len()
    }

    /// The SQL statements the request ran, in order.
    pub fn statements(&self) -> &[String] {
        &self.statements
    }

    /// Asserts the request ran at most `limit` statements.
    ///
    /// # Panics
    /// When it ran more, listing them.
    #[track_caller]
    pub fn assert_queries_at_most(&self, limit: usize) -> &Self {
        let count = self.queries();
        assert!(
            count <= limit,
            "{} {} ran {count} SQL statements, more than {limit}; extra query: {}\nall statements:\n  {}",
            self.method,
            self.path,
            self.statements.get(limit).map_or("", String::as_str),
            self.statements.join("\n  ")
        );
        self
    }

    /// Statements repeated [`queries::N_PLUS_ONE_THRESHOLD`] times or more: the N+1 pattern.
    pub fn n_plus_one(&self) -> Vec<(String, usize)> {
        queries::repeated(&self.statements)
    }
}

/// Redacts what changes from run to run, so a response can be snapshotted: values of keys
/// named `id` or ending in `_id`/`Id`, values of keys ending in `_at`/`At`, and any string
/// shaped like a UUID or an RFC 3339 timestamp.
///
/// ```
/// use serde_json::json;
/// let redacted = commerce_testkit::http::redact(&json!({
///     "id": 41, "order_id": "7", "created_at": "2026-01-01T00:00:00Z",
///     "ref": "0b6f1c1e-8d7a-4bb0-9b7a-1c2d3e4f5a6b", "total": 1200,
/// }));
/// assert_eq!(redacted, json!({
///     "id": "[id]", "order_id": "[id]", "created_at": "[timestamp]",
///     "ref": "[uuid]", "total": 1200,
/// }));
/// ```
pub fn redact(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let redacted = if key == "id" || key.ends_with("_id") || key.ends_with("Id") {
                        Value::from("[id]")
                    } else if key.ends_with("_at") || key.ends_with("At") {
                        Value::from("[timestamp]")
                    } else {
                        redact(value)
                    };
                    let redacted = if value.is_null() {
                        Value::Null
                    } else {
                        redacted
                    };
                    (key.clone(), redacted)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        Value::String(text) if is_uuid(text) => Value::from("[uuid]"),
        Value::String(text) if is_timestamp(text) => Value::from("[timestamp]"),
        other => other.clone(),
    }
}

pub(crate) fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.chars().all(|c| c.is_ascii_hexdigit()))
}

fn is_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 20
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && (bytes[10] == b'T' || bytes[10] == b' ')
        && bytes[13] == b':'
        && bytes[..4].iter().all(u8::is_ascii_digit)
}

/// Snapshots a response's JSON body with insta, ids and timestamps redacted
/// ([`redact`]): `assert_api_snapshot!(response)` or `assert_api_snapshot!("name", response)`.
#[macro_export]
macro_rules! assert_api_snapshot {
    ($name:expr, $response:expr) => {
        $crate::insta::assert_json_snapshot!($name, $crate::http::redact(&$response.json_value()))
    };
    ($response:expr) => {
        $crate::insta::assert_json_snapshot!($crate::http::redact(&$response.json_value()))
    };
}

/// How to find the next page.
#[derive(Debug, Clone)]
pub enum NextPage {
    /// A cursor in the body at a JSON pointer (`/next_cursor`), passed back as query
    /// parameter `param`; `null` or absent ends the walk.
    Cursor { pointer: String, param: String },
    /// The `Link` header's `rel="next"` URL.
    LinkHeader,
}

/// Walks every page of a listing and checks it: no item twice, the same order on a second
/// walk, and (with [`Pages::assert_ids`]) no item missing.
///
/// ```
/// use axum::{Json, Router, extract::Query, routing::get};
/// use commerce_testkit::{TestApp, http::{NextPage, walk_pages}};
/// use serde_json::{json, Value};
/// use std::collections::HashMap;
///
/// async fn list(Query(q): Query<HashMap<String, String>>) -> Json<Value> {
///     let after: i64 = q.get("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
///     let items: Vec<Value> = (after + 1..=(after + 2).min(5)).map(|id| json!({ "id": id })).collect();
///     let next = if after + 2 < 5 { json!((after + 2).to_string()) } else { Value::Null };
///     Json(json!({ "items": items, "next_cursor": next }))
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let app = TestApp::new(Router::new().route("/products", get(list)));
/// let next = NextPage::Cursor { pointer: "/next_cursor".into(), param: "cursor".into() };
/// let pages = walk_pages(&app, "/products?sort=id", "/items", "/id", &next).await;
/// assert_eq!(pages.pages, 3);
/// pages.assert_ids(&[1, 2, 3, 4, 5]);
/// # });
/// ```
///
/// # Panics
/// When a page fails, an item comes twice, or a second walk gives another order.
pub async fn walk_pages(
    app: &TestApp,
    first: &str,
    items_pointer: &str,
    id_pointer: &str,
    next: &NextPage,
) -> Pages {
    let once = walk_once(app, first, items_pointer, id_pointer, next).await;
    let again = walk_once(app, first, items_pointer, id_pointer, next).await;
    let ids = |pages: &Pages| {
        pages
            .items
            .iter()
            .map(|(id, _)| id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(&once),
        ids(&again),
        "walking {first} twice gave two orders: the sort is not stable (add a unique tie-breaker)"
    );
    once
}

async fn walk_once(
    app: &TestApp,
    first: &str,
    items_pointer: &str,
    id_pointer: &str,
    next: &NextPage,
) -> Pages {
    const MAX_PAGES: usize = 10_000;
    let mut url = Some(first.to_owned());
    let mut pages = Pages::default();
    while let Some(current) = url.take() {
        assert!(
            pages.pages < MAX_PAGES,
            "{first}: more than {MAX_PAGES} pages; a cursor loops"
        );
        let response = app.get(&current).send().await;
        response.assert_status(200);
        pages.pages += 1;
        let body = response.json_value();
        let items = body
            .pointer(items_pointer)
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{current}: no array at {items_pointer}: {body}"));
        for item in items {
            let id = item
                .pointer(id_pointer)
                .cloned()
                .unwrap_or_else(|| panic!("{current}: an item has no {id_pointer}: {item}"));
            if let Some((_, page)) = pages.items.iter().find(|(seen, _)| *seen == id) {
                panic!("{current}: item {id} comes again (first on page {page})");
            }
            pages.items.push((id, pages.pages));
        }
        url = match next {
            NextPage::Cursor { pointer, param } => body
                .pointer(pointer)
                .and_then(|cursor| match cursor {
                    Value::String(text) => Some(text.clone()),
                    Value::Number(number) => Some(number.to_string()),
                    _ => None,
                })
                .map(|cursor| with_param(first, param, &cursor)),
            NextPage::LinkHeader => response.header("link").and_then(next_link),
        };
    }
    pages
}

fn with_param(url: &str, param: &str, value: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{param}={value}")
}

/// The `rel="next"` target of a `Link` header.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|link| {
        let (target, params) = link.split_once(';')?;
        params
            .split(';')
            .any(|param| param.trim().replace(' ', "") == "rel=\"next\"")
            .then(|| {
                target
                    .trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            })
    })
}

/// The items of a walk: (id, page number).
#[derive(Debug, Default)]
pub struct Pages {
    pub items: Vec<(Value, usize)>,
    pub pages: usize,
}

impl Pages {
    /// Asserts the walk returned exactly `expected`, in that order: no gaps, nothing extra.
    ///
    /// # Panics
    /// Naming the first missing or extra id.
    #[track_caller]
    pub fn assert_ids<T: Serialize>(&self, expected: &[T]) {
        let expected: Vec<Value> = expected
            .iter()
            .map(|id| serde_json::to_value(id).unwrap_or(Value::Null))
            .collect();
        let actual: Vec<Value> = self.items.iter().map(|(id, _)| id.clone()).collect();
        if let Some(missing) = expected.iter().find(|id| !actual.contains(id)) {
            panic!("the pages skip item {missing} (a gap between pages)");
        }
        assert_eq!(
            actual, expected,
            "the pages list other items or another order"
        );
    }
}
