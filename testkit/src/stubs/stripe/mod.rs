//! A stateful Stripe: PaymentIntents with Stripe's state machine, Charges, Refunds, Disputes
//! and Events in the shapes of Stripe's OpenAPI spec (API version [`API_VERSION`]), form
//! bodies with bracket notation, Stripe's error objects, `Idempotency-Key` as Stripe treats
//! it, and signed webhooks (`Stripe-Signature`) sent through [`crate::stubs::webhook`].
//!
//! Test payment methods (from Stripe's testing docs): `pm_card_visa`, `pm_card_visa_debit`,
//! `pm_card_mastercard`, `pm_card_amex`, `pm_card_discover` succeed;
//! `pm_card_chargeDeclined` (and `…InsufficientFunds`, `…LostCard`, `…StolenCard`,
//! `…Fraudulent`, `…ExpiredCard`, `…IncorrectCvc`, `…ProcessingError`) decline with
//! `card_error`, the intent back in `requires_payment_method` with `last_payment_error`;
//! `pm_card_authenticationRequired` and `pm_card_threeDSecure2Required` stop in
//! `requires_action` until the intent is confirmed again (the customer passed 3DS) or
//! [`StripeStub::fail_authentication`]; `pm_card_createDispute` succeeds and opens a dispute.
//!
//! ```
//! use commerce_testkit::TestApp;
//! use commerce_testkit::clock::TestClock;
//! use commerce_testkit::stubs::stripe::{StripeConfig, StripeStub};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let stripe = StripeStub::new(StripeConfig::new(TestClock::new().shared()));
//! let api = TestApp::new(stripe.router());
//! let paid = api.post("/v1/payment_intents")
//!     .bearer("sk_test_123")
//!     .header("content-type", "application/x-www-form-urlencoded")
//!     .body("amount=2000&currency=usd&payment_method=pm_card_visa&confirm=true&metadata[order]=42")
//!     .send().await;
//! paid.assert_status(200);
//! assert_eq!(paid.json_value()["status"], "succeeded");
//! let types: Vec<String> = stripe.events().iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect();
//! assert_eq!(types, ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded"]);
//!
//! let declined = api.post("/v1/payment_intents").bearer("sk_test_123")
//!     .body("amount=2000&currency=usd&payment_method=pm_card_chargeDeclined&confirm=true")
//!     .send().await;
//! declined.assert_status(402);
//! assert_eq!(declined.json_value()["error"]["decline_code"], "generic_decline");
//! # });
//! ```

mod api;
mod error;
pub mod form;
mod signature;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::{Value, json};

pub use api::API_VERSION;
use api::{Emit, Params, Store};
pub use error::ApiError;
pub use signature::{SignatureError, TOLERANCE_SECONDS, signature_header, verify_signature};

use crate::clock::{SharedClock, unix_seconds};
use crate::stubs::decode_base64;
use crate::stubs::webhook::{Delivery, WebhookConfig, Webhooks};

/// How long Stripe keeps an idempotency key.
pub const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// The stub's settings.
#[derive(Debug, Clone)]
pub struct StripeConfig {
    pub clock: SharedClock,
    /// Seeds ids and webhook chaos.
    pub seed: u64,
    /// Where events are POSTed (none: events are only recorded).
    pub webhook_url: Option<String>,
    /// Each signs every webhook (`v1=` per secret; two while rotating).
    pub webhook_secrets: Vec<String>,
    pub webhook: WebhookConfig,
}

impl StripeConfig {
    /// No webhooks, seed 0, default retries.
    pub fn new(clock: SharedClock) -> Self {
        Self {
            clock,
            seed: 0,
            webhook_url: None,
            webhook_secrets: Vec::new(),
            webhook: WebhookConfig::default(),
        }
    }
}

#[derive(Debug, Clone)]
enum Idempotent {
    InFlight,
    Done { status: StatusCode, body: Bytes },
}

#[derive(Debug)]
struct KeyEntry {
    request: (Method, String, Value),
    created: SystemTime,
    state: Idempotent,
}

#[derive(Debug)]
struct Inner {
    config: StripeConfig,
    store: Mutex<Store>,
    keys: Mutex<HashMap<String, KeyEntry>>,
    webhooks: Webhooks,
}

/// The Stripe stub: its [`StripeStub::router`] serves the API; the handle reads its state.
/// Clones share one state.
#[derive(Debug, Clone)]
pub struct StripeStub {
    inner: Arc<Inner>,
}

/// The operations, by method and path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op<'a> {
    CreateIntent,
    ListIntents,
    GetIntent(&'a str),
    UpdateIntent(&'a str),
    Confirm(&'a str),
    Capture(&'a str),
    Cancel(&'a str),
    ListCharges,
    GetCharge(&'a str),
    CreateRefund,
    ListRefunds,
    GetRefund(&'a str),
    ListDisputes,
    GetDispute(&'a str),
    UpdateDispute(&'a str),
    CloseDispute(&'a str),
    ListEvents,
    GetEvent(&'a str),
}

/// The parameters every list takes.
const LIST: &[&str] = &[
    "limit",
    "starting_after",
    "ending_before",
    "expand",
    "created",
];

impl<'a> Op<'a> {
    /// A list's equality filters (empty for an operation that is not a list).
    fn filters(self) -> &'static [&'static str] {
        match self {
            Op::ListIntents => &["customer"],
            Op::ListCharges => &["customer", "payment_intent"],
            Op::ListRefunds | Op::ListDisputes => &["charge", "payment_intent"],
            Op::ListEvents => &["type"],
            _ => &[],
        }
    }

    fn route(method: &Method, path: &'a str) -> Option<Self> {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        let get = *method == Method::GET;
        let post = *method == Method::POST;
        Some(match segments.as_slice() {
            ["", "v1", "payment_intents"] if post => Op::CreateIntent,
            ["", "v1", "payment_intents"] if get => Op::ListIntents,
            ["", "v1", "payment_intents", id] if get => Op::GetIntent(id),
            ["", "v1", "payment_intents", id] if post => Op::UpdateIntent(id),
            ["", "v1", "payment_intents", id, "confirm"] if post => Op::Confirm(id),
            ["", "v1", "payment_intents", id, "capture"] if post => Op::Capture(id),
            ["", "v1", "payment_intents", id, "cancel"] if post => Op::Cancel(id),
            ["", "v1", "charges"] if get => Op::ListCharges,
            ["", "v1", "charges", id] if get => Op::GetCharge(id),
            ["", "v1", "refunds"] if post => Op::CreateRefund,
            ["", "v1", "refunds"] if get => Op::ListRefunds,
            ["", "v1", "refunds", id] if get => Op::GetRefund(id),
            ["", "v1", "disputes"] if get => Op::ListDisputes,
            ["", "v1", "disputes", id] if get => Op::GetDispute(id),
            ["", "v1", "disputes", id] if post => Op::UpdateDispute(id),
            ["", "v1", "disputes", id, "close"] if post => Op::CloseDispute(id),
            ["", "v1", "events"] if get => Op::ListEvents,
            ["", "v1", "events", id] if get => Op::GetEvent(id),
            _ => return None,
        })
    }

    /// The parameters the operation reads besides a list's (Stripe refuses any other).
    fn known(self) -> &'static [&'static str] {
        match self {
            Op::CreateIntent => &[
                "amount",
                "currency",
                "automatic_payment_methods",
                "capture_method",
                "confirm",
                "confirmation_method",
                "customer",
                "description",
                "error_on_requires_action",
                "expand",
                "mandate_data",
                "metadata",
                "off_session",
                "on_behalf_of",
                "payment_method",
                "payment_method_options",
                "payment_method_types",
                "receipt_email",
                "return_url",
                "setup_future_usage",
                "shipping",
                "statement_descriptor",
                "statement_descriptor_suffix",
                "transfer_group",
                "use_stripe_sdk",
            ],
            Op::UpdateIntent(_) => &[
                "amount",
                "currency",
                "customer",
                "description",
                "expand",
                "metadata",
                "payment_method",
                "payment_method_types",
                "receipt_email",
                "setup_future_usage",
                "shipping",
                "statement_descriptor",
                "statement_descriptor_suffix",
            ],
            Op::Confirm(_) => &[
                "error_on_requires_action",
                "expand",
                "mandate_data",
                "off_session",
                "payment_method",
                "payment_method_options",
                "receipt_email",
                "return_url",
                "setup_future_usage",
                "shipping",
                "use_stripe_sdk",
            ],
            Op::Capture(_) => &[
                "amount_to_capture",
                "application_fee_amount",
                "expand",
                "statement_descriptor",
                "statement_descriptor_suffix",
            ],
            Op::Cancel(_) => &["cancellation_reason", "expand"],
            Op::CreateRefund => &[
                "amount",
                "charge",
                "expand",
                "metadata",
                "payment_intent",
                "reason",
                "refund_application_fee",
                "reverse_transfer",
            ],
            Op::UpdateDispute(_) => &["evidence", "expand", "metadata", "submit"],
            Op::ListEvents => &["types", "delivery_success"],
            Op::ListIntents | Op::ListCharges | Op::ListRefunds | Op::ListDisputes => &[],
            Op::GetIntent(_) => &["client_secret", "expand"],
            Op::GetCharge(_)
            | Op::GetRefund(_)
            | Op::GetDispute(_)
            | Op::GetEvent(_)
            | Op::CloseDispute(_) => &["expand"],
        }
    }
}

impl StripeStub {
    pub fn new(config: StripeConfig) -> Self {
        let webhooks = Webhooks::new(
            config.clock.clone(),
            WebhookConfig {
                chaos: crate::stubs::webhook::Chaos {
                    seed: config.webhook.chaos.seed ^ config.seed,
                    ..config.webhook.chaos
                },
                ..config.webhook
            },
        );
        Self {
            inner: Arc::new(Inner {
                store: Mutex::new(Store::new(config.seed)),
                keys: Mutex::default(),
                webhooks,
                config,
            }),
        }
    }

    /// The API, to serve (`axum::serve`) or call in process ([`crate::TestApp`]).
    pub fn router(&self) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    /// The webhook deliverer: [`Webhooks::spawn`] it to send events in the background, or call
    /// [`Webhooks::run_due`]; its log holds every attempt.
    pub fn webhooks(&self) -> &Webhooks {
        &self.inner.webhooks
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.inner
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> i64 {
        unix_seconds(self.inner.config.clock.now())
    }

    /// Every event so far, oldest first.
    pub fn events(&self) -> Vec<Value> {
        self.store().events.clone()
    }

    /// The PaymentIntent `id` as `GET /v1/payment_intents/{id}` returns it.
    pub fn payment_intent(&self, id: &str) -> Option<Value> {
        self.store().intent_json(id).ok()
    }

    /// The Charge `id`.
    pub fn charge(&self, id: &str) -> Option<Value> {
        self.store().charge_json(id).ok()
    }

    /// Every charge, newest first.
    pub fn charges(&self) -> Vec<Value> {
        self.store().all("charge", &|_| true)
    }

    /// Opens a dispute on a succeeded charge, as a cardholder would; returns the dispute.
    ///
    /// # Errors
    /// When the charge is unknown, failed or already disputed.
    pub fn create_dispute(&self, charge: &str, reason: &str) -> Result<Value, ApiError> {
        let now = self.now();
        self.mutate(|store, emits| {
            let id = store.create_dispute(charge, reason, now, emits)?;
            store.dispute_json(&id)
        })
    }

    /// Closes a dispute as the bank decides: `won` or lost.
    ///
    /// # Errors
    /// When the dispute is unknown or already closed.
    pub fn close_dispute(&self, dispute: &str, won: bool) -> Result<Value, ApiError> {
        self.mutate(|store, emits| {
            store.close_dispute(dispute, won, emits)?;
            store.dispute_json(dispute)
        })
    }

    /// The customer failed 3DS on an intent in `requires_action`.
    ///
    /// # Errors
    /// When the intent is unknown or not waiting for authentication.
    pub fn fail_authentication(&self, intent: &str) -> Result<Value, ApiError> {
        let now = self.now();
        self.mutate(|store, emits| {
            store.fail_authentication(intent, now, emits)?;
            store.intent_json(intent)
        })
    }

    /// Runs `change` on the store, then records and sends the events it emitted (also when
    /// it failed: a decline emits `charge.failed`).
    fn mutate(
        &self,
        change: impl FnOnce(&mut Store, &mut Vec<Emit>) -> Result<Value, ApiError>,
    ) -> Result<Value, ApiError> {
        let mut emits = Vec::new();
        let (result, events) = {
            let mut store = self.store();
            let result = change(&mut store, &mut emits);
            let created = self.now();
            let events: Vec<Value> = emits
                .into_iter()
                .map(|emit| {
                    let id = store.id("evt");
                    let event = json!({
                        "id": id,
                        "object": "event",
                        "api_version": API_VERSION,
                        "created": created,
                        "data": { "object": emit.object },
                        "livemode": false,
                        "pending_webhooks": i64::from(self.inner.config.webhook_url.is_some()),
                        "request": { "id": null, "idempotency_key": null },
                        "type": emit.kind,
                    });
                    store.events.push(event.clone());
                    event
                })
                .collect();
            (result, events)
        };
        if let Some(url) = &self.inner.config.webhook_url {
            let signer = Arc::new(signature::StripeSigner {
                secrets: self.inner.config.webhook_secrets.clone(),
            });
            for event in events {
                let body = serde_json::to_vec_pretty(&event).unwrap_or_default();
                let id = event["id"].as_str().unwrap_or_default().to_owned();
                let mut delivery = Delivery::json(url, &id, body).signed_by(signer.clone());
                delivery.headers.push((
                    "user-agent".to_owned(),
                    "Stripe/1.0 (+https://stripe.com/docs/webhooks)".to_owned(),
                ));
                self.inner.webhooks.send(delivery);
            }
        }
        result
    }

    fn execute(&self, op: Op<'_>, params: &Params) -> Result<Value, ApiError> {
        let now = self.now();
        match op {
            Op::CreateIntent => self.mutate(|store, emits| {
                let id = store.create_intent(params, now, emits)?;
                store.intent_json(&id)
            }),
            Op::UpdateIntent(id) => self.mutate(|store, _| {
                store.update_intent(id, params)?;
                store.intent_json(id)
            }),
            Op::Confirm(id) => self.mutate(|store, emits| {
                store.confirm(id, params, now, emits)?;
                store.intent_json(id)
            }),
            Op::Capture(id) => self.mutate(|store, emits| {
                store.capture(id, params, emits)?;
                store.intent_json(id)
            }),
            Op::Cancel(id) => self.mutate(|store, emits| {
                store.cancel(id, params, now, emits)?;
                store.intent_json(id)
            }),
            Op::CreateRefund => self.mutate(|store, emits| {
                let id = store.refund(params, now, emits)?;
                store.refund_json(&id)
            }),
            Op::UpdateDispute(id) => self.mutate(|store, emits| {
                store.update_dispute(id, params, emits)?;
                store.dispute_json(id)
            }),
            Op::CloseDispute(id) => self.mutate(|store, emits| {
                store.close_dispute(id, false, emits)?;
                store.dispute_json(id)
            }),
            Op::GetIntent(id) => self.store().intent_json(id),
            Op::GetCharge(id) => self.store().charge_json(id),
            Op::GetRefund(id) => self.store().refund_json(id),
            Op::GetDispute(id) => self.store().dispute_json(id),
            Op::GetEvent(id) => self.store().event_json(id),
            Op::ListIntents => self.list("payment_intent", "/v1/payment_intents", params, op),
            Op::ListCharges => self.list("charge", "/v1/charges", params, op),
            Op::ListRefunds => self.list("refund", "/v1/refunds", params, op),
            Op::ListDisputes => self.list("dispute", "/v1/disputes", params, op),
            Op::ListEvents => self.list("event", "/v1/events", params, op),
        }
    }

    /// A page newest first: `limit` (1..=100, default 10), `starting_after`/`ending_before`,
    /// and equality filters on the given fields.
    fn list(&self, kind: &str, url: &str, params: &Params, op: Op<'_>) -> Result<Value, ApiError> {
        let filters = op.filters();
        let limit = match params.get("limit").and_then(Value::as_str) {
            None => 10,
            Some(text) => match text.parse::<usize>() {
                Ok(limit @ 1..=100) => limit,
                _ => {
                    return Err(ApiError::invalid(format!(
                        "Invalid limit: must be an integer between 1 and 100 (got `{text}`)"
                    ))
                    .code("parameter_invalid_integer")
                    .param("limit"));
                }
            },
        };
        api::boolean(params, "delivery_success")?;
        match params.get("created") {
            None | Some(Value::String(_)) => {
                api::integer(params, "created")?;
            }
            Some(Value::Object(range)) => {
                for (bound, value) in range {
                    let name = format!("created[{bound}]");
                    if !["gt", "gte", "lt", "lte"].contains(&bound.as_str()) {
                        return Err(ApiError::unknown_parameter(&name));
                    }
                    if value
                        .as_str()
                        .and_then(|text| text.parse::<i64>().ok())
                        .is_none()
                    {
                        return Err(ApiError::invalid(format!("Invalid integer: {value}"))
                            .code("parameter_invalid_integer")
                            .param(&name));
                    }
                }
            }
            Some(_) => {
                return Err(
                    ApiError::invalid("Invalid created: an integer or a range hash")
                        .param("created"),
                );
            }
        }
        let wanted: Vec<(&str, &str)> = filters
            .iter()
            .filter_map(|field| Some((*field, params.get(*field)?.as_str()?)))
            .collect();
        let all = self.store().all(kind, &|item| {
            wanted.iter().all(|(field, value)| item[*field] == *value)
        });
        let position = |param: &str| -> Result<Option<usize>, ApiError> {
            let Some(id) = params.get(param).and_then(Value::as_str) else {
                return Ok(None);
            };
            all.iter()
                .position(|item| item["id"] == id)
                .map(Some)
                .ok_or_else(|| ApiError::missing(kind, id, param))
        };
        let (start, end) = match (position("starting_after")?, position("ending_before")?) {
            (Some(after), _) => (after + 1, (after + 1 + limit).min(all.len())),
            (None, Some(before)) => (before.saturating_sub(limit), before),
            (None, None) => (0, limit.min(all.len())),
        };
        let has_more = if params.contains_key("ending_before") {
            start > 0
        } else {
            end < all.len()
        };
        Ok(json!({
            "object": "list",
            "data": all[start..end],
            "has_more": has_more,
            "url": url,
        }))
    }

    fn key_lock(&self) -> MutexGuard<'_, HashMap<String, KeyEntry>> {
        self.inner
            .keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

fn respond(status: StatusCode, body: Bytes) -> Response {
    let mut response = (status, Body::from(body)).into_response();
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn answer(result: Result<Value, ApiError>) -> (StatusCode, Bytes) {
    match result {
        Ok(value) => (
            StatusCode::OK,
            serde_json::to_vec_pretty(&value).unwrap_or_default().into(),
        ),
        Err(error) => (
            error.status,
            serde_json::to_vec_pretty(&error.body())
                .unwrap_or_default()
                .into(),
        ),
    }
}

/// `Authorization: Bearer sk_test_…` or Basic with the key as the user.
fn authorize(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
    else {
        return Err(ApiError::unauthorized(
            "You did not provide an API key. You need to provide your API key in the Authorization header, \
             using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, \
             or we can help at https://support.stripe.com/.",
        ));
    };
    let key = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim().to_owned(),
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("basic") => {
            decode_base64(token.trim())
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .map(|pair| pair.split(':').next().unwrap_or_default().to_owned())
                .unwrap_or_default()
        }
        _ => String::new(),
    };
    if key.starts_with("sk_test_") || key.starts_with("rk_test_") {
        return Ok(());
    }
    let shown: String = key.chars().take(8).collect();
    Err(ApiError::unauthorized(format!(
        "Invalid API Key provided: {shown}****. The stub takes any test secret key (sk_test_…)."
    )))
}

/// Reads the parameters (query for GET, form body for POST) and refuses unknown ones.
fn parameters(
    op: Op<'_>,
    method: &Method,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Params, ApiError> {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("application/x-www-form-urlencoded");
    let source = if *method == Method::GET {
        query.as_bytes()
    } else {
        body
    };
    if *method != Method::GET
        && !body.is_empty()
        && !content_type.starts_with("application/x-www-form-urlencoded")
    {
        return Err(ApiError::invalid(format!(
            "Invalid request: unsupported Content-Type {content_type}. Send the parameters form-encoded \
             (application/x-www-form-urlencoded)."
        )));
    }
    let params = form::parse(source).map_err(|error| ApiError::invalid(error.to_string()))?;
    let list = if op.filters().is_empty() {
        &[][..]
    } else {
        LIST
    };
    let known = |name: &str| {
        [op.known(), op.filters(), list]
            .iter()
            .any(|set| set.contains(&name))
    };
    if let Some(unknown) = params.keys().find(|name| !known(name)) {
        return Err(ApiError::unknown_parameter(unknown));
    }
    Ok(params)
}

async fn handle(State(stub): State<StripeStub>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, 1 << 20).await {
        Ok(body) => body,
        Err(_) => {
            return ApiError::invalid("Invalid request: the body is over 1 MiB or was cut off.")
                .into_response();
        }
    };
    if let Err(error) = authorize(&parts.headers) {
        return error.into_response();
    }
    let path = parts.uri.path();
    let Some(op) = Op::route(&parts.method, path) else {
        return ApiError::invalid(format!(
            "Unrecognized request URL ({}: {path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.",
            parts.method
        ))
        .into_response_with(StatusCode::NOT_FOUND);
    };
    let params = match parameters(
        op,
        &parts.method,
        parts.uri.query().unwrap_or(""),
        &parts.headers,
        &body,
    ) {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    let key = parts
        .headers
        .get("idempotency-key")
        .and_then(|value| value.to_str().ok())
        .filter(|_| parts.method == Method::POST)
        .map(str::to_owned);
    let Some(key) = key else {
        let (status, body) = answer(stub.execute(op, &params));
        return respond(status, body);
    };
    if key.len() > 255 {
        return ApiError::invalid("Idempotency-Key must be at most 255 characters long.")
            .into_response();
    }
    let request = (
        parts.method.clone(),
        path.to_owned(),
        Value::Object(params.clone()),
    );
    let now = stub.inner.config.clock.now();
    {
        let mut keys = stub.key_lock();
        keys.retain(|_, entry| entry.created + IDEMPOTENCY_WINDOW > now);
        if let Some(entry) = keys.get(&key) {
            let refusal = if entry.request != request {
                ApiError::idempotency(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "Keys for idempotent requests can only be used with the same parameters they were first used with. \
                         Try using a key other than '{key}' if you meant to execute a different request."
                    ),
                )
            } else if let Idempotent::Done { status, body } = &entry.state {
                let mut response = respond(*status, body.clone());
                response
                    .headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
                if let Ok(value) = HeaderValue::from_str(&key) {
                    response.headers_mut().insert("idempotency-key", value);
                }
                return response;
            } else {
                ApiError::idempotency(
                    StatusCode::CONFLICT,
                    "There is currently another in-progress request using this Stripe API key and idempotency key. \
                     Please try again later.",
                )
            };
            return refusal.into_response();
        }
        keys.insert(
            key.clone(),
            KeyEntry {
                request,
                created: now,
                state: Idempotent::InFlight,
            },
        );
    }
    let result = stub.execute(op, &params);
    // Stripe saves no result for parameters that failed validation: the key stays free.
    let validation = matches!(&result, Err(error) if error.code.is_some_and(|code| code.starts_with("parameter_")));
    let (status, body) = answer(result);
    let mut keys = stub.key_lock();
    if validation {
        keys.remove(&key);
    } else if let Some(entry) = keys.get_mut(&key) {
        entry.state = Idempotent::Done {
            status,
            body: body.clone(),
        };
    }
    drop(keys);
    let mut response = respond(status, body);
    if let Ok(value) = HeaderValue::from_str(&key) {
        response.headers_mut().insert("idempotency-key", value);
    }
    response
}

impl ApiError {
    fn into_response_with(mut self, status: StatusCode) -> Response {
        self.status = status;
        self.into_response()
    }
}
