//! [`TowerExchange`]: contract tests against an in-process tower service (an axum `Router`, a
//! `ServiceBuilder` stack): each request goes straight into `Service::call`, with no socket,
//! no server and no port to pick.

use std::fmt::Display;

use bytes::Bytes;
use http_body::Body;
use http_body_util::{BodyExt, Full};
use tokio::runtime::Runtime;
use tower::Service;

use super::{Exchange, ProbeRequest};
use crate::conformance::ObservedResponse;

/// Calls a tower service in process, driving its futures on a current-thread runtime of its
/// own, which lives as long as the exchange so tasks the service spawns outlive one request.
///
/// ```
/// use axum::{Json, Router, routing::get};
/// use commerce_contracts::contract_test::{TestOptions, TowerExchange, run_contract_tests};
/// # use commerce_contracts::load::{DEFAULT_MAX_SPEC_BYTES, load_text};
/// # use commerce_contracts::{SourceReader, SpecSource};
/// # let fs = commerce_project::MemoryFs::default();
/// # let reader = SourceReader { fs: &fs, root: std::path::Path::new("/"), max_bytes: DEFAULT_MAX_SPEC_BYTES };
/// # let spec = r#"{"openapi": "3.1.0", "info": {"title": "Shop", "version": "1"}, "paths": {"/health": {"get":
/// #   {"responses": {"200": {"description": "Alive", "content": {"application/json": {"schema": {"type": "object"}}}}}}}}}"#;
/// # let loaded = load_text(&reader, &SpecSource::parse("openapi.json"), spec.to_owned())?;
/// let app = Router::new().route("/health", get(|| async { Json(serde_json::json!({"ok": true})) }));
/// let mut exchange = TowerExchange::new(app)?;
/// let report = run_contract_tests(&loaded, &mut exchange, &TestOptions::default());
/// assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TowerExchange<S> {
    service: S,
    /// `Some` until dropped.
    runtime: Option<Runtime>,
}

impl<S> Drop for TowerExchange<S> {
    fn drop(&mut self) {
        // A plain drop waits for the runtime's blocking threads, which panics when the drop
        // happens inside another runtime (a `#[tokio::test]`).
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl<S> std::fmt::Debug for TowerExchange<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TowerExchange").finish_non_exhaustive()
    }
}

/// The runtime that drives the service could not start.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot start the tokio runtime that drives the service under contract test: {0}; check the process's thread and file-descriptor limits"
)]
pub struct RuntimeError(#[from] std::io::Error);

impl<S> TowerExchange<S> {
    /// # Errors
    /// When the runtime cannot start (the OS refuses a thread or an event source).
    pub fn new(service: S) -> Result<Self, RuntimeError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(Self {
            service,
            runtime: Some(runtime),
        })
    }
}

impl<S, B> Exchange for TowerExchange<S>
where
    S: Service<http::Request<Full<Bytes>>, Response = http::Response<B>> + Send,
    S::Error: Display,
    B: Body,
    B::Error: Display,
{
    fn exchange(&mut self, request: &ProbeRequest) -> Result<ObservedResponse, String> {
        let request = http_request(request)?;
        let (service, runtime) = (&mut self.service, &self.runtime);
        let runtime = runtime.as_ref().ok_or("the exchange is shut down")?;
        // A thread of its own, because `block_on` panics on a thread that already drives a
        // runtime, which is where a `#[tokio::test]` calls us from.
        std::thread::scope(|scope| {
            scope
                .spawn(|| runtime.block_on(call(service, request)))
                .join()
                .unwrap_or_else(|panic| Err(format!("the service panicked: {}", message(&*panic))))
        })
    }
}

async fn call<S, B>(
    service: &mut S,
    request: http::Request<Full<Bytes>>,
) -> Result<ObservedResponse, String>
where
    S: Service<http::Request<Full<Bytes>>, Response = http::Response<B>>,
    S::Error: Display,
    B: Body,
    B::Error: Display,
{
    std::future::poll_fn(|context| service.poll_ready(context))
        .await
        .map_err(|error| format!("the service is not ready: {error}"))?;
    let response = service
        .call(request)
        .await
        .map_err(|error| format!("the service failed: {error}"))?;
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|error| format!("cannot read the response body: {error}"))?
        .to_bytes();
    Ok(ObservedResponse {
        status: parts.status.as_u16(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    })
}

fn http_request(request: &ProbeRequest) -> Result<http::Request<Full<Bytes>>, String> {
    let mut builder = http::Request::builder()
        .method(request.method.as_str())
        .uri(request.target.as_str());
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let body = Full::new(Bytes::from(request.body.clone().unwrap_or_default()));
    builder.body(body).map_err(|error| {
        format!(
            "cannot build the request {} {}: {error}",
            request.method, request.target
        )
    })
}

/// The text of a panic payload (`panic!("…")` carries a `&str` or a `String`).
fn message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message")
}
