//! A stateful PayPal (REST v2 shapes): the OAuth2 client-credentials token, Orders (create,
//! get, authorize, capture), authorizations' captures, captures' refunds, `PayPal-Request-Id`
//! idempotency, PayPal's error shape (`name`, `message`, `debug_id`, `details[{issue}]`), and
//! webhooks with the `PAYPAL-TRANSMISSION-*` headers, which
//! `POST /v1/notifications/verify-webhook-signature` answers SUCCESS or FAILURE for (genuine
//! transmissions by default, or what the test sets with [`PayPalStub::set_verification`]).
//!
//! The buyer's approval: an order created with a `payment_source.card` (or `.token`) is
//! `APPROVED` at once; otherwise its `approve` link (`GET /checkoutnow?token=ID` on the stub)
//! or [`PayPalStub::approve`] approves it.
//!
//! ```
//! use commerce_testkit::TestApp;
//! use commerce_testkit::clock::TestClock;
//! use commerce_testkit::stubs::paypal::{PayPalConfig, PayPalStub};
//! use serde_json::json;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let paypal = PayPalStub::new(PayPalConfig::new(TestClock::new().shared()));
//! let api = TestApp::new(paypal.router());
//! let token = api.post("/v1/oauth2/token")
//!     .header("authorization", "Basic Y2xpZW50OnNlY3JldA==") // client:secret
//!     .header("content-type", "application/x-www-form-urlencoded")
//!     .body("grant_type=client_credentials").send().await;
//! let bearer = token.json_value()["access_token"].as_str().unwrap().to_owned();
//! let order = api.post("/v2/checkout/orders").bearer(&bearer)
//!     .json(&json!({ "intent": "CAPTURE",
//!                    "purchase_units": [{ "amount": { "currency_code": "USD", "value": "10.00" } }] }))
//!     .send().await;
//! order.assert_status(201);
//! let id = order.json_value()["id"].as_str().unwrap().to_owned();
//! paypal.approve(&id).unwrap();
//! let captured = api.post(&format!("/v2/checkout/orders/{id}/capture")).bearer(&bearer).send().await;
//! assert_eq!(captured.json_value()["status"], "COMPLETED");
//! # });
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::clock::{SharedClock, rfc3339};
use crate::seed::TestRng;
use crate::stubs::decode_base64;
use crate::stubs::webhook::{Delivery, Signer, WebhookConfig, Webhooks};

/// How long PayPal keeps a `PayPal-Request-Id` (orders: 6 hours).
pub const REQUEST_ID_WINDOW: Duration = Duration::from_secs(6 * 3600);
/// The lifetime of an access token.
pub const TOKEN_SECONDS: u64 = 32_400;

/// The stub's settings.
#[derive(Debug, Clone)]
pub struct PayPalConfig {
    pub clock: SharedClock,
    pub seed: u64,
    /// Where events are POSTed.
    pub webhook_url: Option<String>,
    /// The webhook's id, as the app passes it to verify-webhook-signature.
    pub webhook_id: String,
    pub webhook: WebhookConfig,
}

impl PayPalConfig {
    pub fn new(clock: SharedClock) -> Self {
        Self {
            clock,
            seed: 0,
            webhook_url: None,
            webhook_id: "WH-STUB-0000000000000000".to_owned(),
            webhook: WebhookConfig::default(),
        }
    }
}

/// What `verify-webhook-signature` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// SUCCESS for a transmission the stub sent (id, signature and webhook id match), else
    /// FAILURE.
    Genuine,
    Success,
    Failure,
}

/// A PayPal error answer.
#[derive(Debug, Clone)]
pub struct PayPalError {
    pub status: StatusCode,
    pub name: &'static str,
    pub message: String,
    /// `(issue, field, description)`.
    pub details: Vec<(&'static str, Option<String>, String)>,
}

impl PayPalError {
    fn new(status: StatusCode, name: &'static str, message: &str) -> Self {
        Self {
            status,
            name,
            message: message.to_owned(),
            details: Vec::new(),
        }
    }

    fn invalid(issue: &'static str, field: &str, description: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "Request is not well-formed, syntactically incorrect, or violates schema.",
        )
        .detail(issue, Some(field), description)
    }

    fn unprocessable(issue: &'static str, description: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "UNPROCESSABLE_ENTITY",
            "The requested action could not be performed, semantically incorrect, or failed business validation.",
        )
        .detail(issue, None, description)
    }

    fn not_found(what: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            "The specified resource does not exist.",
        )
        .detail(
            "INVALID_RESOURCE_ID",
            None,
            &format!("Specified resource ID ({what} {id}) does not exist. Please check the resource ID and try again."),
        )
    }

    fn detail(mut self, issue: &'static str, field: Option<&str>, description: &str) -> Self {
        self.details
            .push((issue, field.map(str::to_owned), description.to_owned()));
        self
    }

    fn body(&self, debug_id: &str) -> Value {
        let details: Vec<Value> = self
            .details
            .iter()
            .map(|(issue, field, description)| {
                let mut detail = Map::new();
                if let Some(field) = field {
                    detail.insert("field".into(), json!(field));
                    detail.insert("location".into(), json!("body"));
                }
                detail.insert("issue".into(), json!(issue));
                detail.insert("description".into(), json!(description));
                Value::Object(detail)
            })
            .collect();
        let issue = self.details.first().map_or(self.name, |detail| detail.0);
        json!({
            "name": self.name,
            "message": self.message,
            "debug_id": debug_id,
            "details": details,
            "links": [{
                "href": format!("https://developer.paypal.com/api/rest/reference/orders/v2/errors/#{}", issue.to_ascii_lowercase()),
                "rel": "information_link",
                "method": "GET",
            }],
        })
    }
}

#[derive(Debug)]
struct Store {
    rng: TestRng,
    tokens: HashMap<String, SystemTime>,
    orders: BTreeMap<String, Value>,
    /// Authorizations, captures and refunds, by id.
    payments: BTreeMap<String, Payment>,
    requests: HashMap<(String, String), (SystemTime, StatusCode, Bytes)>,
    /// Transmission id → (signature, event id) of what the stub sent.
    transmissions: HashMap<String, String>,
    events: Vec<Value>,
    verification: Verification,
}

/// An authorization, capture or refund.
#[derive(Debug, Clone)]
struct Payment {
    order: String,
    kind: &'static str,
    value: Value,
    /// The captures of an authorization, the refunds of a capture.
    children: Vec<String>,
}

#[derive(Debug)]
struct Inner {
    config: PayPalConfig,
    store: Mutex<Store>,
    webhooks: Webhooks,
}

/// The PayPal stub; clones share one state.
#[derive(Debug, Clone)]
pub struct PayPalStub {
    inner: Arc<Inner>,
}

type Outcome = Result<(StatusCode, Value), PayPalError>;

/// `"12.34"` → 1234 (at most two decimals).
fn cents(value: &str) -> Option<i64> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if whole.is_empty()
        || fraction.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let fraction = format!("{fraction:0<2}");
    Some(whole.parse::<i64>().ok()? * 100 + fraction.parse::<i64>().ok()?)
}

fn money(currency: &str, cents: i64) -> Value {
    json!({ "currency_code": currency, "value": format!("{}.{:02}", cents / 100, cents % 100) })
}

/// The amount of `value` at `field`: `(currency, cents)`.
fn amount_of(value: &Value, field: &str) -> Result<(String, i64), PayPalError> {
    let currency = value["currency_code"].as_str().ok_or_else(|| {
        PayPalError::invalid(
            "MISSING_REQUIRED_PARAMETER",
            &format!("{field}/currency_code"),
            "A required field / parameter is missing.",
        )
    })?;
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(PayPalError::invalid(
            "INVALID_CURRENCY_CODE",
            &format!("{field}/currency_code"),
            "Currency code is invalid or is not currently supported.",
        ));
    }
    let text = value["value"].as_str().ok_or_else(|| {
        PayPalError::invalid(
            "MISSING_REQUIRED_PARAMETER",
            &format!("{field}/value"),
            "A required field / parameter is missing.",
        )
    })?;
    let cents = cents(text).ok_or_else(|| {
        PayPalError::invalid(
            "INVALID_PARAMETER_SYNTAX",
            &format!("{field}/value"),
            "The value of a field does not conform to the expected format.",
        )
    })?;
    Ok((currency.to_owned(), cents))
}

impl Store {
    fn id(&mut self, length: usize) -> String {
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPRSTUVWXY";
        (0..length)
            .map(|_| char::from(*self.rng.pick(ALPHABET)))
            .collect()
    }

    fn hex(&mut self, length: usize) -> String {
        (0..length)
            .map(|_| char::from(*self.rng.pick(b"0123456789abcdef")))
            .collect()
    }
}

fn link(base: &str, path: &str, rel: &str, method: &str) -> Value {
    json!({ "href": format!("{base}{path}"), "rel": rel, "method": method })
}

impl PayPalStub {
    pub fn new(config: PayPalConfig) -> Self {
        let webhooks = Webhooks::new(config.clock.clone(), config.webhook);
        Self {
            inner: Arc::new(Inner {
                store: Mutex::new(Store {
                    rng: TestRng::from_u64(config.seed),
                    tokens: HashMap::new(),
                    orders: BTreeMap::new(),
                    payments: BTreeMap::new(),
                    requests: HashMap::new(),
                    transmissions: HashMap::new(),
                    events: Vec::new(),
                    verification: Verification::Genuine,
                }),
                webhooks,
                config,
            }),
        }
    }

    /// The API, to serve or call in process.
    pub fn router(&self) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    /// The webhook deliverer (spawn it, or `run_due`; its log holds every attempt).
    pub fn webhooks(&self) -> &Webhooks {
        &self.inner.webhooks
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.inner
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> SystemTime {
        self.inner.config.clock.now()
    }

    /// What `verify-webhook-signature` answers from now on.
    pub fn set_verification(&self, verification: Verification) {
        self.store().verification = verification;
    }

    /// Every event so far, oldest first.
    pub fn events(&self) -> Vec<Value> {
        self.store().events.clone()
    }

    /// The order `id` as `GET /v2/checkout/orders/{id}` answers it.
    pub fn order(&self, id: &str) -> Option<Value> {
        self.store().orders.get(id).cloned()
    }

    /// The buyer approves the order (as its `approve` link does).
    ///
    /// # Errors
    /// When the order is unknown or not waiting for approval.
    pub fn approve(&self, id: &str) -> Result<Value, PayPalError> {
        let mut emits = Vec::new();
        let result = {
            let mut store = self.store();
            let order = store
                .orders
                .get_mut(id)
                .ok_or_else(|| PayPalError::not_found("order", id))?;
            if !matches!(
                order["status"].as_str(),
                Some("CREATED" | "PAYER_ACTION_REQUIRED")
            ) {
                return Err(PayPalError::unprocessable(
                    "ORDER_CANNOT_BE_APPROVED",
                    "The order is not waiting for the payer's approval.",
                ));
            }
            order["status"] = json!("APPROVED");
            order["payer"] = json!({
                "name": { "given_name": "Test", "surname": "Buyer" },
                "email_address": "buyer@example.com",
                "payer_id": "TESTBUYER0001",
            });
            emits.push(("CHECKOUT.ORDER.APPROVED", "checkout-order", order.clone()));
            order.clone()
        };
        self.emit(emits);
        Ok(result)
    }

    fn emit(&self, emits: Vec<(&'static str, &'static str, Value)>) {
        let now = self.now();
        for (kind, resource_type, resource) in emits {
            let (event, transmission, signature) = {
                let mut store = self.store();
                let id = format!("WH-{}-{}", store.id(17), store.id(17));
                let event = json!({
                    "id": id,
                    "event_version": "1.0",
                    "create_time": rfc3339(now),
                    "resource_type": resource_type,
                    "resource_version": "2.0",
                    "event_type": kind,
                    "summary": format!("{kind} for {}", resource["id"].as_str().unwrap_or_default()),
                    "resource": resource,
                    "links": [],
                });
                store.events.push(event.clone());
                let transmission = format!(
                    "{}-{}-{}-{}-{}",
                    store.hex(8),
                    store.hex(4),
                    store.hex(4),
                    store.hex(4),
                    store.hex(12)
                );
                let signature = store.hex(64);
                store
                    .transmissions
                    .insert(transmission.clone(), signature.clone());
                (event, transmission, signature)
            };
            if let Some(url) = &self.inner.config.webhook_url {
                let id = event["id"].as_str().unwrap_or_default().to_owned();
                let body = serde_json::to_vec(&event).unwrap_or_default();
                let mut delivery =
                    Delivery::json(url, &id, body).signed_by(Arc::new(Transmission {
                        id: transmission,
                        signature,
                    }));
                delivery.headers.extend([
                    ("paypal-auth-algo".to_owned(), "SHA256withRSA".to_owned()),
                    (
                        "paypal-cert-url".to_owned(),
                        "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-stub"
                            .to_owned(),
                    ),
                    ("user-agent".to_owned(), "PayPal/AUHD-214.0-stub".to_owned()),
                ]);
                self.inner.webhooks.send(delivery);
            }
        }
    }

    fn verify(&self, body: &Value) -> Outcome {
        for field in [
            "auth_algo",
            "cert_url",
            "transmission_id",
            "transmission_sig",
            "transmission_time",
            "webhook_id",
        ] {
            if !body[field].is_string() {
                return Err(PayPalError::invalid(
                    "MISSING_REQUIRED_PARAMETER",
                    &format!("/{field}"),
                    "A required field / parameter is missing.",
                ));
            }
        }
        if !body["webhook_event"].is_object() {
            return Err(PayPalError::invalid(
                "MISSING_REQUIRED_PARAMETER",
                "/webhook_event",
                "A required field / parameter is missing.",
            ));
        }
        let store = self.store();
        let genuine = body["webhook_id"] == self.inner.config.webhook_id.as_str()
            && body["transmission_id"]
                .as_str()
                .and_then(|id| store.transmissions.get(id))
                .is_some_and(|sig| body["transmission_sig"] == sig.as_str());
        let success = match store.verification {
            Verification::Genuine => genuine,
            Verification::Success => true,
            Verification::Failure => false,
        };
        Ok((
            StatusCode::OK,
            json!({ "verification_status": if success { "SUCCESS" } else { "FAILURE" } }),
        ))
    }

    fn token(&self, headers: &HeaderMap, body: &[u8]) -> Result<Value, (StatusCode, Value)> {
        let basic = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Basic "))
            .and_then(|encoded| decode_base64(encoded.trim()))
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .filter(|pair| {
                pair.split_once(':')
                    .is_some_and(|(id, secret)| !id.is_empty() && !secret.is_empty())
            });
        if basic.is_none() {
            return Err((
                StatusCode::UNAUTHORIZED,
                json!({ "error": "invalid_client", "error_description": "Client Authentication failed" }),
            ));
        }
        let grant = form_urlencoded::parse(body)
            .find(|(name, _)| name == "grant_type")
            .map(|(_, value)| value.into_owned());
        if grant.as_deref() != Some("client_credentials") {
            return Err((
                StatusCode::BAD_REQUEST,
                json!({ "error": "unsupported_grant_type", "error_description": "Grant Type is NULL or not client_credentials" }),
            ));
        }
        let mut store = self.store();
        let token = format!("A21AA{}", store.id(40));
        store.tokens.insert(
            token.clone(),
            self.now() + Duration::from_secs(TOKEN_SECONDS),
        );
        Ok(json!({
            "scope": "https://uri.paypal.com/services/payments/payment https://uri.paypal.com/services/payments/refund",
            "access_token": token,
            "token_type": "Bearer",
            "app_id": "APP-80W284485P519543T",
            "expires_in": TOKEN_SECONDS,
            "nonce": format!("{}{}", rfc3339(self.now()), store.hex(16)),
        }))
    }

    fn authenticated(&self, headers: &HeaderMap) -> bool {
        let now = self.now();
        headers
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .and_then(|token| self.store().tokens.get(token.trim()).copied())
            .is_some_and(|expires| expires > now)
    }

    fn create_order(&self, body: &Value, base: &str) -> Outcome {
        let intent = match body["intent"].as_str() {
            Some(intent @ ("CAPTURE" | "AUTHORIZE")) => intent.to_owned(),
            Some(_) => {
                return Err(PayPalError::invalid(
                    "INVALID_PARAMETER_VALUE",
                    "/intent",
                    "The value of a field is invalid: intent is CAPTURE or AUTHORIZE.",
                ));
            }
            None => {
                return Err(PayPalError::invalid(
                    "MISSING_REQUIRED_PARAMETER",
                    "/intent",
                    "A required field / parameter is missing.",
                ));
            }
        };
        let units = match body["purchase_units"].as_array() {
            Some(units) if !units.is_empty() && units.len() <= 10 => units.clone(),
            _ => {
                return Err(PayPalError::invalid(
                    "MISSING_REQUIRED_PARAMETER",
                    "/purchase_units",
                    "A required field / parameter is missing.",
                ));
            }
        };
        let mut purchase_units = Vec::new();
        for (index, unit) in units.iter().enumerate() {
            let field = format!("/purchase_units/{index}/amount");
            let (currency, cents) = amount_of(&unit["amount"], &field)?;
            if cents == 0 {
                return Err(PayPalError::unprocessable(
                    "CANNOT_BE_ZERO_OR_NEGATIVE",
                    "Must be greater than zero.",
                ));
            }
            let mut unit = unit.as_object().cloned().unwrap_or_default();
            unit.entry("reference_id").or_insert(json!("default"));
            unit.insert("amount".into(), money(&currency, cents));
            unit.insert(
                "payee".into(),
                json!({ "email_address": "merchant@example.com", "merchant_id": "STUBMERCHANT01" }),
            );
            purchase_units.push(Value::Object(unit));
        }
        let source = &body["payment_source"];
        let status = if source.get("card").is_some() || source.get("token").is_some() {
            "APPROVED"
        } else if source.get("paypal").is_some() {
            "PAYER_ACTION_REQUIRED"
        } else {
            "CREATED"
        };
        let now = rfc3339(self.now());
        let mut store = self.store();
        let id = store.id(17);
        let action = if intent == "CAPTURE" {
            "capture"
        } else {
            "authorize"
        };
        let mut order = json!({
            "id": id,
            "intent": intent,
            "status": status,
            "purchase_units": purchase_units,
            "create_time": now,
            "update_time": now,
            "links": [
                link(base, &format!("/v2/checkout/orders/{id}"), "self", "GET"),
                link(base, &format!("/checkoutnow?token={id}"), if status == "PAYER_ACTION_REQUIRED" { "payer-action" } else { "approve" }, "GET"),
                link(base, &format!("/v2/checkout/orders/{id}"), "update", "PATCH"),
                link(base, &format!("/v2/checkout/orders/{id}/{action}"), action, "POST"),
            ],
        });
        if source.is_object() {
            order["payment_source"] = source.clone();
        }
        store.orders.insert(id, order.clone());
        Ok((StatusCode::CREATED, order))
    }

    /// Captures or authorizes an approved order.
    fn complete_order(&self, id: &str, action: &str, base: &str) -> Outcome {
        let now = rfc3339(self.now());
        let mut emits = Vec::new();
        let order = {
            let mut store = self.store();
            let order = store
                .orders
                .get(id)
                .cloned()
                .ok_or_else(|| PayPalError::not_found("order", id))?;
            let wanted = if action == "capture" {
                "CAPTURE"
            } else {
                "AUTHORIZE"
            };
            if order["intent"] != wanted {
                return Err(PayPalError::unprocessable(
                    "ACTION_DOES_NOT_MATCH_INTENT",
                    &format!(
                        "Order was created with an intent of '{}'. Please use /v2/checkout/orders/{id}/{} to complete the order.",
                        order["intent"].as_str().unwrap_or_default(),
                        if wanted == "CAPTURE" {
                            "authorize"
                        } else {
                            "capture"
                        }
                    ),
                ));
            }
            match order["status"].as_str() {
                Some("APPROVED") => {}
                Some("COMPLETED") => {
                    return Err(PayPalError::unprocessable(
                        if action == "capture" {
                            "ORDER_ALREADY_CAPTURED"
                        } else {
                            "ORDER_ALREADY_AUTHORIZED"
                        },
                        "The order has already been completed.",
                    ));
                }
                _ => {
                    return Err(PayPalError::unprocessable(
                        "ORDER_NOT_APPROVED",
                        "Payer has not yet approved the Order for payment. Please redirect the payer to the 'rel':'approve' url returned as part of the HATEOAS links within the Create Order call or provide a valid payment_source in the request.",
                    ));
                }
            }
            let mut order = order;
            let units = order["purchase_units"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut completed = Vec::new();
            for mut unit in units {
                let payment_id = store.id(17);
                let amount = unit["amount"].clone();
                let payment = if action == "capture" {
                    json!({
                        "id": payment_id,
                        "status": "COMPLETED",
                        "amount": amount,
                        "final_capture": true,
                        "seller_protection": { "status": "ELIGIBLE", "dispute_categories": ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"] },
                        "seller_receivable_breakdown": { "gross_amount": amount, "net_amount": amount },
                        "create_time": now,
                        "update_time": now,
                        "links": [
                            link(base, &format!("/v2/payments/captures/{payment_id}"), "self", "GET"),
                            link(base, &format!("/v2/payments/captures/{payment_id}/refund"), "refund", "POST"),
                            link(base, &format!("/v2/checkout/orders/{id}"), "up", "GET"),
                        ],
                    })
                } else {
                    json!({
                        "id": payment_id,
                        "status": "CREATED",
                        "amount": amount,
                        "expiration_time": rfc3339(self.now() + Duration::from_secs(29 * 86_400)),
                        "create_time": now,
                        "update_time": now,
                        "links": [
                            link(base, &format!("/v2/payments/authorizations/{payment_id}"), "self", "GET"),
                            link(base, &format!("/v2/payments/authorizations/{payment_id}/capture"), "capture", "POST"),
                            link(base, &format!("/v2/checkout/orders/{id}"), "up", "GET"),
                        ],
                    })
                };
                let key = if action == "capture" {
                    "captures"
                } else {
                    "authorizations"
                };
                unit["payments"] = json!({ key: [payment.clone()] });
                store.payments.insert(
                    payment_id,
                    Payment {
                        order: id.to_owned(),
                        kind: if action == "capture" {
                            "capture"
                        } else {
                            "authorization"
                        },
                        value: payment.clone(),
                        children: Vec::new(),
                    },
                );
                emits.push(if action == "capture" {
                    ("PAYMENT.CAPTURE.COMPLETED", "capture", payment)
                } else {
                    ("PAYMENT.AUTHORIZATION.CREATED", "authorization", payment)
                });
                completed.push(unit);
            }
            order["purchase_units"] = Value::Array(completed);
            order["status"] = json!("COMPLETED");
            order["update_time"] = json!(now);
            store.orders.insert(id.to_owned(), order.clone());
            emits.push(("CHECKOUT.ORDER.COMPLETED", "checkout-order", order.clone()));
            order
        };
        self.emit(emits);
        Ok((StatusCode::CREATED, order))
    }

    /// Captures (part of) an authorization, or refunds (part of) a capture.
    fn settle(&self, id: &str, body: &Value, base: &str, refund: bool) -> Outcome {
        let now = rfc3339(self.now());
        let kind = if refund { "capture" } else { "authorization" };
        let mut emits = Vec::new();
        let created = {
            let mut store = self.store();
            let mut parent = store
                .payments
                .get(id)
                .filter(|payment| payment.kind == kind)
                .cloned()
                .ok_or_else(|| PayPalError::not_found(kind, id))?;
            let value_of = |payment: &Value| {
                payment["amount"]["value"]
                    .as_str()
                    .and_then(cents)
                    .unwrap_or(0)
            };
            let currency = parent.value["amount"]["currency_code"]
                .as_str()
                .unwrap_or("USD")
                .to_owned();
            let total = value_of(&parent.value);
            let used: i64 = parent
                .children
                .iter()
                .filter_map(|child| store.payments.get(child))
                .map(|child| value_of(&child.value))
                .sum();
            let left = total - used;
            if left == 0 {
                return Err(PayPalError::unprocessable(
                    if refund {
                        "CAPTURE_FULLY_REFUNDED"
                    } else {
                        "AUTHORIZATION_ALREADY_CAPTURED"
                    },
                    "The payment has already been settled in full.",
                ));
            }
            let requested = match body.get("amount") {
                None => left,
                Some(amount) => {
                    let (requested_currency, cents) = amount_of(amount, "/amount")?;
                    if requested_currency != currency {
                        return Err(PayPalError::unprocessable(
                            "REFUND_CAPTURE_CURRENCY_MISMATCH",
                            "The currency must match the payment's currency.",
                        ));
                    }
                    cents
                }
            };
            if requested > left {
                return Err(PayPalError::unprocessable(
                    if refund {
                        "REFUND_AMOUNT_EXCEEDED"
                    } else {
                        "MAX_CAPTURE_AMOUNT_EXCEEDED"
                    },
                    &format!(
                        "The amount ({}) is more than what is left on the payment ({}).",
                        money(&currency, requested)["value"]
                            .as_str()
                            .unwrap_or_default(),
                        money(&currency, left)["value"].as_str().unwrap_or_default()
                    ),
                ));
            }
            let child_id = store.id(17);
            let path = if refund { "refunds" } else { "captures" };
            let child = json!({
                "id": child_id,
                "status": "COMPLETED",
                "amount": money(&currency, requested),
                "create_time": now,
                "update_time": now,
                "links": [
                    link(base, &format!("/v2/payments/{path}/{child_id}"), "self", "GET"),
                    if refund { link(base, &format!("/v2/payments/captures/{id}"), "up", "GET") }
                    else { link(base, &format!("/v2/payments/captures/{child_id}/refund"), "refund", "POST") },
                ],
            });
            let mut child = child;
            if !refund {
                child["final_capture"] = json!(requested == left);
            }
            parent.children.push(child_id.clone());
            parent.value["status"] = json!(match (refund, requested == left) {
                (true, true) => "REFUNDED",
                (true, false) => "PARTIALLY_REFUNDED",
                (false, true) => "CAPTURED",
                (false, false) => "PARTIALLY_CAPTURED",
            });
            parent.value["update_time"] = json!(now);
            let order = parent.order.clone();
            store.payments.insert(id.to_owned(), parent);
            store.payments.insert(
                child_id,
                Payment {
                    order,
                    kind: if refund { "refund" } else { "capture" },
                    value: child.clone(),
                    children: Vec::new(),
                },
            );
            emits.push(if refund {
                ("PAYMENT.CAPTURE.REFUNDED", "refund", child.clone())
            } else {
                ("PAYMENT.CAPTURE.COMPLETED", "capture", child.clone())
            });
            child
        };
        self.emit(emits);
        Ok((StatusCode::CREATED, created))
    }

    fn payment(&self, id: &str, kind: &str) -> Outcome {
        let store = self.store();
        store
            .payments
            .get(id)
            .filter(|payment| payment.kind == kind)
            .map(|payment| (StatusCode::OK, payment.value.clone()))
            .ok_or_else(|| PayPalError::not_found(kind, id))
    }
}

/// The `PAYPAL-TRANSMISSION-*` headers of one webhook (the time is the attempt's).
#[derive(Debug)]
struct Transmission {
    id: String,
    signature: String,
}

impl Signer for Transmission {
    fn headers(&self, _body: &[u8], at: SystemTime) -> Vec<(String, String)> {
        vec![
            ("paypal-transmission-id".to_owned(), self.id.clone()),
            ("paypal-transmission-time".to_owned(), rfc3339(at)),
            ("paypal-transmission-sig".to_owned(), self.signature.clone()),
        ]
    }
}

fn respond(status: StatusCode, body: &Value) -> Response {
    respond_bytes(status, serde_json::to_vec(body).unwrap_or_default().into())
}

fn respond_bytes(status: StatusCode, body: Bytes) -> Response {
    let mut response = (status, Body::from(body)).into_response();
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

async fn handle(State(stub): State<PayPalStub>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 1 << 20).await else {
        return respond(
            StatusCode::PAYLOAD_TOO_LARGE,
            &json!({ "name": "INVALID_REQUEST", "message": "The body is over 1 MiB." }),
        );
    };
    let path = parts.uri.path().trim_end_matches('/').to_owned();
    let base = parts
        .headers
        .get(http::header::HOST)
        .and_then(|host| host.to_str().ok())
        .map_or_else(
            || "http://localhost".to_owned(),
            |host| format!("http://{host}"),
        );
    if path == "/v1/oauth2/token" && parts.method == Method::POST {
        return match stub.token(&parts.headers, &body) {
            Ok(token) => respond(StatusCode::OK, &token),
            Err((status, error)) => respond(status, &error),
        };
    }
    if path == "/checkoutnow" && parts.method == Method::GET {
        let token = form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .find(|(name, _)| name == "token")
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default();
        return match stub.approve(&token) {
            Ok(_) => (StatusCode::OK, "Approved: you can close this window.").into_response(),
            Err(error) => error_response(&stub, &error),
        };
    }
    if !stub.authenticated(&parts.headers) {
        let error = PayPalError::new(
            StatusCode::UNAUTHORIZED,
            "AUTHENTICATION_FAILURE",
            "Authentication failed due to invalid authentication credentials or a missing Authorization header.",
        );
        return error_response(&stub, &error);
    }
    let json: Value = if body.is_empty() {
        Value::Object(Map::new())
    } else {
        match serde_json::from_slice(&body) {
            Ok(json) => json,
            Err(error) => {
                let error = PayPalError::new(
                    StatusCode::BAD_REQUEST,
                    "INVALID_REQUEST",
                    "Request is not well-formed, syntactically incorrect, or violates schema.",
                )
                .detail(
                    "MALFORMED_REQUEST_JSON",
                    None,
                    &format!("The request JSON is not well formed: {error}."),
                );
                return error_response(&stub, &error);
            }
        }
    };
    let request_id = parts
        .headers
        .get("paypal-request-id")
        .and_then(|value| value.to_str().ok())
        .filter(|_| parts.method == Method::POST)
        .map(|id| (path.clone(), id.to_owned()));
    let now = stub.now();
    if let Some(key) = &request_id {
        let mut store = stub.store();
        store
            .requests
            .retain(|_, (at, _, _)| *at + REQUEST_ID_WINDOW > now);
        if let Some((_, status, body)) = store.requests.get(key) {
            return respond_bytes(*status, body.clone());
        }
    }
    let segments: Vec<&str> = path.split('/').collect();
    let post = parts.method == Method::POST;
    let outcome = match (segments.as_slice(), post) {
        (["", "v2", "checkout", "orders"], true) => stub.create_order(&json, &base),
        (["", "v2", "checkout", "orders", id], false) => stub
            .order(id)
            .map(|order| (StatusCode::OK, order))
            .ok_or_else(|| PayPalError::not_found("order", id)),
        (["", "v2", "checkout", "orders", id, "capture"], true) => {
            stub.complete_order(id, "capture", &base)
        }
        (["", "v2", "checkout", "orders", id, "authorize"], true) => {
            stub.complete_order(id, "authorize", &base)
        }
        (["", "v2", "payments", "authorizations", id], false) => stub.payment(id, "authorization"),
        (["", "v2", "payments", "authorizations", id, "capture"], true) => {
            stub.settle(id, &json, &base, false)
        }
        (["", "v2", "payments", "captures", id], false) => stub.payment(id, "capture"),
        (["", "v2", "payments", "captures", id, "refund"], true) => {
            stub.settle(id, &json, &base, true)
        }
        (["", "v2", "payments", "refunds", id], false) => stub.payment(id, "refund"),
        (["", "v1", "notifications", "verify-webhook-signature"], true) => stub.verify(&json),
        _ => Err(PayPalError::new(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            "The specified resource does not exist.",
        )),
    };
    let (status, value) = match outcome {
        Ok(ok) => ok,
        Err(error) => {
            let debug_id = stub.store().hex(13);
            (error.status, error.body(&debug_id))
        }
    };
    let bytes = Bytes::from(serde_json::to_vec(&value).unwrap_or_default());
    if let Some(key) = request_id {
        stub.store()
            .requests
            .insert(key, (now, status, bytes.clone()));
    }
    respond_bytes(status, bytes)
}

fn error_response(stub: &PayPalStub, error: &PayPalError) -> Response {
    let debug_id = stub.store().hex(13);
    respond(error.status, &error.body(&debug_id))
}
