//! The Stripe objects the stub keeps (PaymentIntents, Charges, Refunds, Disputes, Events) and
//! the operations on them: the state machine, the test cards, the events each step emits.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::error::ApiError;
use crate::seed::TestRng;

/// The API version the stub's objects follow (the spec in the corpus).
pub const API_VERSION: &str = "2020-08-27";

/// What a test card does when charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Succeed,
    /// `code`, `decline_code`, message.
    Decline(&'static str, Option<&'static str>, &'static str),
    Authenticate,
    Dispute,
}

/// Stripe's test PaymentMethods (https://stripe.com/docs/testing): brand, last 4, behaviour.
fn test_card(id: &str) -> Option<(&'static str, &'static str, Behaviour)> {
    use Behaviour::{Authenticate, Decline, Dispute, Succeed};
    const DECLINED: &str = "Your card was declined.";
    Some(match id {
        "pm_card_visa" => ("visa", "4242", Succeed),
        "pm_card_visa_debit" => ("visa", "5556", Succeed),
        "pm_card_mastercard" => ("mastercard", "4444", Succeed),
        "pm_card_amex" => ("amex", "8431", Succeed),
        "pm_card_discover" => ("discover", "1117", Succeed),
        "pm_card_chargeDeclined" => (
            "visa",
            "0002",
            Decline("card_declined", Some("generic_decline"), DECLINED),
        ),
        "pm_card_chargeDeclinedInsufficientFunds" => (
            "visa",
            "9995",
            Decline(
                "card_declined",
                Some("insufficient_funds"),
                "Your card has insufficient funds.",
            ),
        ),
        "pm_card_chargeDeclinedLostCard" => (
            "visa",
            "9987",
            Decline("card_declined", Some("lost_card"), DECLINED),
        ),
        "pm_card_chargeDeclinedStolenCard" => (
            "visa",
            "9979",
            Decline("card_declined", Some("stolen_card"), DECLINED),
        ),
        "pm_card_chargeDeclinedFraudulent" => (
            "visa",
            "0019",
            Decline("card_declined", Some("fraudulent"), DECLINED),
        ),
        "pm_card_chargeDeclinedExpiredCard" => (
            "visa",
            "0069",
            Decline(
                "expired_card",
                Some("expired_card"),
                "Your card has expired.",
            ),
        ),
        "pm_card_chargeDeclinedIncorrectCvc" => (
            "visa",
            "0127",
            Decline(
                "incorrect_cvc",
                Some("incorrect_cvc"),
                "Your card's security code is incorrect.",
            ),
        ),
        "pm_card_chargeDeclinedProcessingError" => (
            "visa",
            "0119",
            Decline(
                "processing_error",
                Some("processing_error"),
                "An error occurred while processing your card. Try again in a little bit.",
            ),
        ),
        "pm_card_authenticationRequired" => ("visa", "3184", Authenticate),
        "pm_card_threeDSecure2Required" => ("visa", "3220", Authenticate),
        "pm_card_createDispute" => ("visa", "0259", Dispute),
        _ => return None,
    })
}

/// An event to record (and send): its type, the object, what changed.
#[derive(Debug)]
pub struct Emit {
    pub kind: &'static str,
    pub object: Value,
}

#[derive(Debug, Clone)]
struct Intent {
    id: String,
    amount: i64,
    currency: String,
    status: &'static str,
    capture_method: String,
    confirmation_method: String,
    payment_method: Option<String>,
    payment_method_types: Vec<String>,
    metadata: Map<String, Value>,
    description: Option<String>,
    receipt_email: Option<String>,
    customer: Option<String>,
    return_url: Option<String>,
    created: i64,
    canceled_at: Option<i64>,
    cancellation_reason: Option<String>,
    amount_capturable: i64,
    amount_received: i64,
    last_payment_error: Option<Value>,
    next_action: Option<Value>,
    charges: Vec<String>,
    client_secret: String,
}

#[derive(Debug, Clone)]
struct Charge {
    id: String,
    amount: i64,
    amount_captured: i64,
    amount_refunded: i64,
    captured: bool,
    currency: String,
    created: i64,
    status: &'static str,
    failure_code: Option<&'static str>,
    failure_message: Option<&'static str>,
    payment_intent: String,
    payment_method: String,
    brand: &'static str,
    last4: &'static str,
    dispute: Option<String>,
    refunds: Vec<String>,
    metadata: Map<String, Value>,
    description: Option<String>,
}

#[derive(Debug, Clone)]
struct Refund {
    id: String,
    amount: i64,
    charge: String,
    currency: String,
    created: i64,
    payment_intent: String,
    reason: Option<String>,
    metadata: Map<String, Value>,
}

#[derive(Debug, Clone)]
struct Dispute {
    id: String,
    amount: i64,
    charge: String,
    currency: String,
    created: i64,
    payment_intent: String,
    reason: String,
    status: &'static str,
    evidence: Map<String, Value>,
    metadata: Map<String, Value>,
}

/// Everything the stub holds, in creation order per kind.
#[derive(Debug)]
pub struct Store {
    rng: TestRng,
    intents: BTreeMap<String, Intent>,
    charges: BTreeMap<String, Charge>,
    refunds: BTreeMap<String, Refund>,
    disputes: BTreeMap<String, Dispute>,
    /// Ids per kind in creation order (lists answer newest first).
    order: BTreeMap<&'static str, Vec<String>>,
    pub(super) events: Vec<Value>,
}

/// A form value read as Stripe reads it.
pub type Params = Map<String, Value>;

fn text<'a>(params: &'a Params, name: &str) -> Result<Option<&'a str>, ApiError> {
    match params.get(name) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(
            ApiError::invalid(format!("Invalid string: {name} must be a string"))
                .code("parameter_invalid_string")
                .param(name),
        ),
    }
}

pub(super) fn integer(params: &Params, name: &str) -> Result<Option<i64>, ApiError> {
    let Some(value) = text(params, name)? else {
        return Ok(None);
    };
    value.parse().map(Some).map_err(|_| {
        ApiError::invalid(format!("Invalid integer: {value}"))
            .code("parameter_invalid_integer")
            .param(name)
    })
}

pub(super) fn boolean(params: &Params, name: &str) -> Result<bool, ApiError> {
    match text(params, name)? {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ApiError::invalid(format!("Invalid boolean: {other}"))
            .code("parameter_invalid_boolean")
            .param(name)),
    }
}

fn one_of(params: &Params, name: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    match text(params, name)? {
        None => Ok(None),
        Some(value) if allowed.contains(&value) => Ok(Some(value.to_owned())),
        Some(value) => Err(ApiError::invalid(format!(
            "Invalid {name}: must be one of {} (got `{value}`)",
            allowed.join(", ")
        ))
        .param(name)),
    }
}

fn metadata(params: &Params) -> Result<Option<Map<String, Value>>, ApiError> {
    match params.get("metadata") {
        None => Ok(None),
        // `metadata=` (empty) clears it, as in Stripe.
        Some(Value::String(empty)) if empty.is_empty() => Ok(Some(Map::new())),
        Some(Value::Object(map)) if map.values().all(Value::is_string) => Ok(Some(map.clone())),
        Some(_) => Err(
            ApiError::invalid("Invalid object: metadata must be a hash of strings")
                .param("metadata"),
        ),
    }
}

fn amount(params: &Params, name: &str) -> Result<Option<i64>, ApiError> {
    match integer(params, name)? {
        Some(value) if value < 1 => Err(ApiError::invalid(format!(
            "Invalid positive integer: {name} must be at least 1"
        ))
        .code("parameter_invalid_integer")
        .param(name)),
        other => Ok(other),
    }
}

fn currency(params: &Params) -> Result<Option<String>, ApiError> {
    match text(params, "currency")? {
        None => Ok(None),
        Some(code) if code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()) => {
            Ok(Some(code.to_ascii_lowercase()))
        }
        Some(code) => Err(ApiError::invalid(format!(
            "Invalid currency: {code}. Stripe currencies are three-letter ISO codes."
        ))
        .param("currency")),
    }
}

fn unexpected_state(intent: &Value, action: &str, status: &str, allowed: &str) -> ApiError {
    ApiError::invalid(format!(
        "You cannot {action} this PaymentIntent because it has a status of {status}. \
         Only a PaymentIntent with one of the following statuses may be {action}ed: {allowed}."
    ))
    .code("payment_intent_unexpected_state")
    .with("payment_intent", intent.clone())
}

impl Store {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: TestRng::from_u64(seed),
            intents: BTreeMap::new(),
            charges: BTreeMap::new(),
            refunds: BTreeMap::new(),
            disputes: BTreeMap::new(),
            order: BTreeMap::new(),
            events: Vec::new(),
        }
    }

    /// `prefix_` and 24 seeded characters, like Stripe's ids.
    pub fn id(&mut self, prefix: &str) -> String {
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let tail: String = (0..24)
            .map(|_| char::from(*self.rng.pick(ALPHABET)))
            .collect();
        format!("{prefix}_{tail}")
    }

    fn remember(&mut self, kind: &'static str, id: &str) {
        self.order.entry(kind).or_default().push(id.to_owned());
    }

    fn intent_mut(&mut self, id: &str) -> Result<&mut Intent, ApiError> {
        self.intents
            .get_mut(id)
            .ok_or_else(|| ApiError::missing("payment_intent", id, "intent"))
    }

    fn emit_intent(
        &self,
        kind: &'static str,
        id: &str,
        emits: &mut Vec<Emit>,
    ) -> Result<(), ApiError> {
        emits.push(Emit {
            kind,
            object: self.intent_json(id)?,
        });
        Ok(())
    }

    fn emit_charge(
        &self,
        kind: &'static str,
        id: &str,
        emits: &mut Vec<Emit>,
    ) -> Result<(), ApiError> {
        emits.push(Emit {
            kind,
            object: self.charge_json(id)?,
        });
        Ok(())
    }

    fn intent(&self, id: &str) -> Result<&Intent, ApiError> {
        self.intents
            .get(id)
            .ok_or_else(|| ApiError::missing("payment_intent", id, "intent"))
    }

    fn render_intent(&self, intent: &Intent) -> Value {
        let charges: Vec<Value> = intent
            .charges
            .iter()
            .filter_map(|id| self.charges.get(id))
            .map(|charge| self.render_charge(charge))
            .collect();
        json!({
            "id": intent.id,
            "object": "payment_intent",
            "amount": intent.amount,
            "amount_capturable": intent.amount_capturable,
            "amount_received": intent.amount_received,
            "application": null,
            "application_fee_amount": null,
            "automatic_payment_methods": null,
            "canceled_at": intent.canceled_at,
            "cancellation_reason": intent.cancellation_reason,
            "capture_method": intent.capture_method,
            "charges": {
                "object": "list",
                "data": charges,
                "has_more": false,
                "total_count": intent.charges.len(),
                "url": format!("/v1/charges?payment_intent={}", intent.id),
            },
            "client_secret": intent.client_secret,
            "confirmation_method": intent.confirmation_method,
            "created": intent.created,
            "currency": intent.currency,
            "customer": intent.customer,
            "description": intent.description,
            "invoice": null,
            "last_payment_error": intent.last_payment_error,
            "livemode": false,
            "metadata": intent.metadata,
            "next_action": intent.next_action,
            "on_behalf_of": null,
            "payment_method": intent.payment_method,
            "payment_method_options": {},
            "payment_method_types": intent.payment_method_types,
            "processing": null,
            "receipt_email": intent.receipt_email,
            "review": null,
            "setup_future_usage": null,
            "shipping": null,
            "statement_descriptor": null,
            "statement_descriptor_suffix": null,
            "status": intent.status,
            "transfer_data": null,
            "transfer_group": null,
        })
    }

    fn render_charge(&self, charge: &Charge) -> Value {
        let refunds: Vec<Value> = charge
            .refunds
            .iter()
            .filter_map(|id| self.refunds.get(id))
            .map(render_refund)
            .collect();
        json!({
            "id": charge.id,
            "object": "charge",
            "amount": charge.amount,
            "amount_captured": charge.amount_captured,
            "amount_refunded": charge.amount_refunded,
            "balance_transaction": null,
        "billing_details": billing_details(),

            "captured": charge.captured,
            "created": charge.created,
            "currency": charge.currency,
            "description": charge.description,
            "disputed": charge.dispute.is_some(),
            "failure_code": charge.failure_code,
            "failure_message": charge.failure_message,
            "livemode": false,
            "metadata": charge.metadata,
            "outcome": {
                "network_status": if charge.status == "failed" { "declined_by_network" } else { "approved_by_network" },
                "reason": charge.failure_code,
                "risk_level": "normal",
                "seller_message": if charge.status == "failed" { "The bank did not return any further details with this decline." } else { "Payment complete." },
                "type": if charge.status == "failed" { "issuer_declined" } else { "authorized" },
            },
            "paid": charge.status == "succeeded",
            "payment_intent": charge.payment_intent,
            "payment_method": charge.payment_method,
            "payment_method_details": {
                "type": "card",
                "card": { "brand": charge.brand, "last4": charge.last4, "exp_month": 12,
                          "exp_year": 2034, "funding": "credit", "country": "US" },
            },
            "refunded": charge.amount_refunded == charge.amount,
            "refunds": {
                "object": "list",
                "data": refunds,
                "has_more": false,
                "total_count": charge.refunds.len(),
                "url": format!("/v1/charges/{}/refunds", charge.id),
            },
            "status": charge.status,
        })
    }

    fn render_dispute(dispute: &Dispute) -> Value {
        json!({
            "id": dispute.id,
            "object": "dispute",
            "amount": dispute.amount,
            "balance_transactions": [],
            "charge": dispute.charge,
            "created": dispute.created,
            "currency": dispute.currency,
            "evidence": dispute.evidence,
            "evidence_details": {
                "due_by": dispute.created + 7 * 86_400,
                "has_evidence": !dispute.evidence.is_empty(),
                "past_due": false,
                "submission_count": i64::from(dispute.status == "under_review"),
            },
            "is_charge_refundable": false,
            "livemode": false,
            "metadata": dispute.metadata,
            "payment_intent": dispute.payment_intent,
            "reason": dispute.reason,
            "status": dispute.status,
        })
    }

    /// The PaymentIntent `id` as the API returns it.
    pub fn intent_json(&self, id: &str) -> Result<Value, ApiError> {
        Ok(self.render_intent(self.intent(id)?))
    }

    pub fn charge_json(&self, id: &str) -> Result<Value, ApiError> {
        let charge = self
            .charges
            .get(id)
            .ok_or_else(|| ApiError::missing("charge", id, "charge"))?;
        Ok(self.render_charge(charge))
    }

    pub fn refund_json(&self, id: &str) -> Result<Value, ApiError> {
        self.refunds
            .get(id)
            .map(render_refund)
            .ok_or_else(|| ApiError::missing("refund", id, "refund"))
    }

    pub fn dispute_json(&self, id: &str) -> Result<Value, ApiError> {
        self.disputes
            .get(id)
            .map(Self::render_dispute)
            .ok_or_else(|| ApiError::missing("dispute", id, "dispute"))
    }

    pub fn event_json(&self, id: &str) -> Result<Value, ApiError> {
        self.events
            .iter()
            .find(|event| event["id"] == id)
            .cloned()
            .ok_or_else(|| ApiError::missing("event", id, "id"))
    }

    /// Every object of `kind`, newest first, kept when `filter` says so.
    pub fn all(&self, kind: &str, filter: &dyn Fn(&Value) -> bool) -> Vec<Value> {
        let ids = self.order.get(kind).map(Vec::as_slice).unwrap_or_default();
        let render = |id: &String| match kind {
            "payment_intent" => self.intent_json(id).ok(),
            "charge" => self.charge_json(id).ok(),
            "refund" => self.refund_json(id).ok(),
            "dispute" => self.dispute_json(id).ok(),
            _ => None,
        };
        let mut items: Vec<Value> = if kind == "event" {
            self.events.clone()
        } else {
            ids.iter().filter_map(render).collect()
        };
        items.retain(|item| filter(item));
        items.reverse();
        items
    }

    /// Creates (and with `confirm=true` confirms) a PaymentIntent; returns its id.
    pub fn create_intent(
        &mut self,
        params: &Params,
        now: i64,
        emits: &mut Vec<Emit>,
    ) -> Result<String, ApiError> {
        let amount =
            amount(params, "amount")?.ok_or_else(|| ApiError::missing_parameter("amount"))?;
        let currency = currency(params)?.ok_or_else(|| ApiError::missing_parameter("currency"))?;
        if amount < 50 {
            return Err(ApiError::invalid(format!(
                "Amount must be at least 50 cents ({currency})"
            ))
            .code("amount_too_small")
            .param("amount"));
        }
        let capture_method = one_of(
            params,
            "capture_method",
            &["automatic", "automatic_async", "manual"],
        )?
        .unwrap_or_else(|| "automatic".to_owned());
        let confirmation_method = one_of(params, "confirmation_method", &["automatic", "manual"])?
            .unwrap_or_else(|| "automatic".to_owned());
        let payment_method_types = match params.get("payment_method_types") {
            None => vec!["card".to_owned()],
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect(),
            Some(_) => {
                return Err(ApiError::invalid(
                    "Invalid array: payment_method_types must be an array of strings",
                )
                .param("payment_method_types"));
            }
        };
        let payment_method = text(params, "payment_method")?.map(str::to_owned);
        if let Some(pm) = &payment_method {
            check_payment_method(pm)?;
        }
        let id = self.id("pi");
        let secret = self.id("secret");
        let intent = Intent {
            client_secret: format!("{id}_{secret}"),
            id: id.clone(),
            amount,
            currency,
            status: if payment_method.is_some() {
                "requires_confirmation"
            } else {
                "requires_payment_method"
            },
            capture_method,
            confirmation_method,
            payment_method,
            payment_method_types,
            metadata: metadata(params)?.unwrap_or_default(),
            description: text(params, "description")?.map(str::to_owned),
            receipt_email: text(params, "receipt_email")?.map(str::to_owned),
            customer: text(params, "customer")?.map(str::to_owned),
            return_url: text(params, "return_url")?.map(str::to_owned),
            created: now,
            canceled_at: None,
            cancellation_reason: None,
            amount_capturable: 0,
            amount_received: 0,
            last_payment_error: None,
            next_action: None,
            charges: Vec::new(),
        };
        let confirm = boolean(params, "confirm")?;
        self.intents.insert(id.clone(), intent);
        self.remember("payment_intent", &id);
        self.emit_intent("payment_intent.created", &id, emits)?;
        if confirm {
            // The intent exists even when confirming it fails, as in Stripe.
            self.confirm(&id, params, now, emits)?;
        }
        Ok(id)
    }

    pub fn update_intent(&mut self, id: &str, params: &Params) -> Result<(), ApiError> {
        let status = self.intent(id)?.status;
        let editable = matches!(
            status,
            "requires_payment_method" | "requires_confirmation" | "requires_action"
        );
        let amount = amount(params, "amount")?;
        let currency = currency(params)?;
        let payment_method = text(params, "payment_method")?.map(str::to_owned);
        if (amount.is_some() || currency.is_some() || payment_method.is_some()) && !editable {
            return Err(unexpected_state(
                &self.intent_json(id)?,
                "update",
                status,
                "requires_payment_method, requires_confirmation, requires_action",
            ));
        }
        if let Some(pm) = &payment_method {
            check_payment_method(pm)?;
        }
        let metadata = metadata(params)?;
        let description = text(params, "description")?.map(str::to_owned);
        let receipt_email = text(params, "receipt_email")?.map(str::to_owned);
        let intent = self.intent_mut(id)?;
        if let Some(amount) = amount {
            intent.amount = amount;
        }
        if let Some(currency) = currency {
            intent.currency = currency;
        }
        if let Some(pm) = payment_method {
            intent.payment_method = Some(pm);
            intent.status = "requires_confirmation";
        }
        if let Some(metadata) = metadata {
            if metadata.is_empty() {
                intent.metadata.clear();
            } else {
                intent.metadata.extend(metadata);
            }
        }
        if description.is_some() {
            intent.description = description;
        }
        if receipt_email.is_some() {
            intent.receipt_email = receipt_email;
        }
        Ok(())
    }

    /// Confirms: charges the payment method, asks for 3DS, or records the decline.
    pub fn confirm(
        &mut self,
        id: &str,
        params: &Params,
        now: i64,
        emits: &mut Vec<Emit>,
    ) -> Result<(), ApiError> {
        let intent = self.intent(id)?.clone();
        if !matches!(
            intent.status,
            "requires_payment_method" | "requires_confirmation" | "requires_action"
        ) {
            return Err(unexpected_state(
                &self.intent_json(id)?,
                "confirm",
                intent.status,
                "requires_payment_method, requires_confirmation, requires_action",
            ));
        }
        let given = text(params, "payment_method")?.map(str::to_owned);
        if let Some(pm) = &given {
            check_payment_method(pm)?;
        }
        let return_url = text(params, "return_url")?.map(str::to_owned);
        let Some(pm) = given.or(intent.payment_method.clone()) else {
            return Err(ApiError::invalid(
                "You cannot confirm this PaymentIntent because it's missing a payment method. \
                 To confirm a PaymentIntent, either pass `payment_method` or update the PaymentIntent with one first.",
            )
            .code("payment_intent_unexpected_state")
            .with("payment_intent", self.intent_json(id)?));
        };
        let (brand, last4, behaviour) =
            test_card(&pm).ok_or_else(|| unknown_payment_method(&pm))?;
        {
            let stored = self.intent_mut(id)?;
            stored.payment_method = Some(pm.clone());
            if return_url.is_some() {
                stored.return_url = return_url;
            }
            stored.last_payment_error = None;
        }
        // A second confirm while `requires_action` stands for the customer passing 3DS.
        let authenticated = intent.status == "requires_action";
        if behaviour == Behaviour::Authenticate && !authenticated {
            let stored = self.intent_mut(id)?;
            stored.status = "requires_action";
            stored.next_action = Some(match &stored.return_url {
                Some(return_url) => json!({
                    "type": "redirect_to_url",
                    "redirect_to_url": {
                        "url": format!("https://hooks.stripe.com/3d_secure_2/hosted?payment_intent={id}"),
                        "return_url": return_url,
                    },
                }),
                None => json!({
                    "type": "use_stripe_sdk",
                    "use_stripe_sdk": { "type": "three_d_secure_redirect", "stripe_js": format!("https://hooks.stripe.com/3d_secure_2/hosted?payment_intent={id}") },
                }),
            });
            self.emit_intent("payment_intent.requires_action", id, emits)?;
            return Ok(());
        }
        self.charge(id, &pm, (brand, last4, behaviour), now, emits)
    }

    /// The customer failed (or abandoned) 3DS: the intent goes back to
    /// `requires_payment_method` with `payment_intent_authentication_failure`.
    pub fn fail_authentication(
        &mut self,
        id: &str,
        now: i64,
        emits: &mut Vec<Emit>,
    ) -> Result<(), ApiError> {
        let intent = self.intent(id)?;
        if intent.status != "requires_action" {
            return Err(unexpected_state(
                &self.intent_json(id)?,
                "authenticate",
                intent.status,
                "requires_action",
            ));
        }
        let pm = intent.payment_method.clone();
        let stored = self.intent_mut(id)?;
        stored.status = "requires_payment_method";
        stored.next_action = None;
        stored.payment_method = None;
        stored.last_payment_error = Some(json!({
            "type": "invalid_request_error",
            "code": "payment_intent_authentication_failure",
            "message": "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
            "payment_method": pm.as_deref().map(|pm| payment_method_json(pm, now)),
        }));
        self.emit_intent("payment_intent.payment_failed", id, emits)?;
        Ok(())
    }

    fn charge(
        &mut self,
        id: &str,
        pm: &str,
        (brand, last4, behaviour): (&'static str, &'static str, Behaviour),
        now: i64,
        emits: &mut Vec<Emit>,
    ) -> Result<(), ApiError> {
        let intent = self.intent(id)?.clone();
        let manual = intent.capture_method == "manual";
        let charge_id = self.id("ch");
        let declined = match behaviour {
            Behaviour::Decline(code, decline_code, message) => Some((code, decline_code, message)),
            _ => None,
        };
        let captured = declined.is_none() && !manual;
        let charge = Charge {
            id: charge_id.clone(),
            amount: intent.amount,
            amount_captured: if captured { intent.amount } else { 0 },
            amount_refunded: 0,
            captured,
            currency: intent.currency.clone(),
            created: now,
            status: if declined.is_some() {
                "failed"
            } else {
                "succeeded"
            },
            failure_code: declined.map(|(code, _, _)| code),
            failure_message: declined.map(|(_, _, message)| message),
            payment_intent: id.to_owned(),
            payment_method: pm.to_owned(),
            brand,
            last4,
            dispute: None,
            refunds: Vec::new(),
            metadata: intent.metadata.clone(),
            description: intent.description.clone(),
        };
        self.charges.insert(charge_id.clone(), charge);
        self.remember("charge", &charge_id);
        let stored = self.intent_mut(id)?;
        stored.charges.push(charge_id.clone());
        stored.next_action = None;
        if let Some((code, decline_code, message)) = declined {
            let error = json!({
                "type": "card_error",
                "code": code,
                "decline_code": decline_code,
                "charge": charge_id,
                "message": message,
                "doc_url": format!("https://stripe.com/docs/error-codes/{}", code.replace('_', "-")),
                "payment_method": payment_method_json(pm, now),
            });
            stored.status = "requires_payment_method";
            stored.payment_method = None;
            stored.last_payment_error = Some(error);
            self.emit_charge("charge.failed", &charge_id, emits)?;
            self.emit_intent("payment_intent.payment_failed", id, emits)?;
            let mut error = ApiError::card(code, message)
                .with("charge", json!(charge_id))
                .with("payment_intent", self.intent_json(id)?);
            if let Some(decline_code) = decline_code {
                error = error.with("decline_code", json!(decline_code));
            }
            return Err(error);
        }
        if manual {
            stored.status = "requires_capture";
            stored.amount_capturable = intent.amount;
        } else {
            stored.status = "succeeded";
            stored.amount_received = intent.amount;
        }
        self.emit_charge("charge.succeeded", &charge_id, emits)?;
        emits.push(Emit {
            kind: if manual {
                "payment_intent.amount_capturable_updated"
            } else {
                "payment_intent.succeeded"
            },
            object: self.intent_json(id)?,
        });
        if behaviour == Behaviour::Dispute {
            self.create_dispute(&charge_id, "fraudulent", now, emits)?;
        }
        Ok(())
    }

    /// Captures an authorized intent (all of it, or `amount_to_capture`: the rest is released
    /// and shows as refunded on the charge).
    pub fn capture(
        &mut self,
        id: &str,
        params: &Params,
        emits: &mut Vec<Emit>,
    ) -> Result<(), ApiError> {
        let intent = self.intent(id)?.clone();
        if intent.status != "requires_capture" {
            return Err(unexpected_state(
                &self.intent_json(id)?,
                "capture",
                intent.status,
                "requires_capture",
            ));
        }
        let capture = amount(params, "amount_to_capture")?.unwrap_or(intent.amount_capturable);
        if capture > intent.amount_capturable {
            return Err(ApiError::invalid(format!(
                "The amount_to_capture ({capture}) must be less than or equal to the amount_capturable ({}).",
                intent.amount_capturable
            ))
            .code("amount_too_large")
            .param("amount_to_capture"));
        }
        let charge_id = intent.charges.last().cloned().unwrap_or_default();
        if let Some(charge) = self.charges.get_mut(&charge_id) {
            charge.captured = true;
            charge.amount_captured = capture;
            charge.amount_refunded = charge.amount - capture;
        }
        let stored = self.intent_mut(id)?;
        stored.status = "succeeded";
        stored.amount_capturable = 0;
        stored.amount_received = capture;
        self.emit_charge("charge.captured", &charge_id, emits)?;
        self.emit_intent("payment_intent.succeeded", id, emits)?;
        Ok(())
    }

    /// Cancels an intent that is not yet settled (an authorization is released).
    pub fn cancel(
        &mut self,
        id: &str,
        params: &Params,
        now: i64,
        emits: &mut Vec<Emit>,
    ) -> Result<(), ApiError> {
        let reason = one_of(
            params,
            "cancellation_reason",
            &[
                "duplicate",
                "fraudulent",
                "requested_by_customer",
                "abandoned",
            ],
        )?;
        let intent = self.intent(id)?.clone();
        if !matches!(
            intent.status,
            "requires_payment_method"
                | "requires_capture"
                | "requires_confirmation"
                | "requires_action"
                | "processing"
        ) {
            return Err(unexpected_state(
                &self.intent_json(id)?,
                "cancel",
                intent.status,
                "requires_payment_method, requires_capture, requires_confirmation, requires_action, processing",
            ));
        }
        if intent.status == "requires_capture"
            && let Some(charge) = intent.charges.last().and_then(|c| self.charges.get_mut(c))
        {
            charge.amount_refunded = charge.amount;
        }
        let stored = self.intent_mut(id)?;
        stored.status = "canceled";
        stored.canceled_at = Some(now);
        stored.cancellation_reason = reason;
        stored.amount_capturable = 0;
        stored.next_action = None;
        self.emit_intent("payment_intent.canceled", id, emits)?;
        Ok(())
    }

    /// Refunds part or all of a captured charge (by `charge` or `payment_intent`); returns the
    /// refund's id.
    pub fn refund(
        &mut self,
        params: &Params,
        now: i64,
        emits: &mut Vec<Emit>,
    ) -> Result<String, ApiError> {
        let charge_id = match (text(params, "charge")?, text(params, "payment_intent")?) {
            (Some(charge), _) => charge.to_owned(),
            (None, Some(intent_id)) => {
                let intent = self.intent(intent_id)?;
                intent
                    .charges
                    .iter()
                    .rev()
                    .find(|c| self.charges.get(*c).is_some_and(|c| c.status == "succeeded"))
                    .cloned()
                    .ok_or_else(|| {
                        ApiError::invalid(format!(
                            "This PaymentIntent ({intent_id}) does not have a successful charge to refund."
                        ))
                        .code("charge_not_refundable")
                        .param("payment_intent")
                    })?
            }
            (None, None) => {
                return Err(ApiError::invalid(
                    "One of the following params should be provided for this request: payment_intent or charge.",
                )
                .code("parameter_missing"));
            }
        };
        let reason = one_of(
            params,
            "reason",
            &["duplicate", "fraudulent", "requested_by_customer"],
        )?;
        let requested = amount(params, "amount")?;
        let metadata = metadata(params)?.unwrap_or_default();
        let charge = self
            .charges
            .get(&charge_id)
            .ok_or_else(|| ApiError::missing("charge", &charge_id, "charge"))?;
        if charge.status != "succeeded" || !charge.captured {
            return Err(ApiError::invalid(format!(
                "Charge {charge_id} has not been captured; cancel its PaymentIntent to release it."
            ))
            .code("charge_not_refundable")
            .param("charge"));
        }
        let left = charge.amount - charge.amount_refunded;
        if left == 0 {
            return Err(ApiError::invalid(format!(
                "Charge {charge_id} has already been refunded."
            ))
            .code("charge_already_refunded")
            .param("charge"));
        }
        if charge.dispute.is_some() {
            return Err(ApiError::invalid(format!(
                "Charge {charge_id} has been charged back; refunds are not possible while it is disputed."
            ))
            .code("charge_disputed")
            .param("charge"));
        }
        let refund_amount = requested.unwrap_or(left);
        if refund_amount > left {
            return Err(ApiError::invalid(format!(
                "Refund amount ({refund_amount}) is greater than unrefunded amount on charge ({left})"
            ))
            .code("amount_too_large")
            .param("amount"));
        }
        let (currency, payment_intent) = (charge.currency.clone(), charge.payment_intent.clone());
        let refund_id = self.id("re");
        let refund = Refund {
            id: refund_id.clone(),
            amount: refund_amount,
            charge: charge_id.clone(),
            currency,
            created: now,
            payment_intent,
            reason,
            metadata,
        };
        self.refunds.insert(refund_id.clone(), refund);
        self.remember("refund", &refund_id);
        if let Some(charge) = self.charges.get_mut(&charge_id) {
            charge.amount_refunded += refund_amount;
            charge.refunds.push(refund_id.clone());
        }
        self.emit_charge("charge.refunded", &charge_id, emits)?;
        emits.push(Emit {
            kind: "refund.created",
            object: self.refund_json(&refund_id)?,
        });
        Ok(refund_id)
    }

    /// Opens a dispute on a succeeded charge (`needs_response`); returns its id.
    pub fn create_dispute(
        &mut self,
        charge_id: &str,
        reason: &str,
        now: i64,
        emits: &mut Vec<Emit>,
    ) -> Result<String, ApiError> {
        let charge = self
            .charges
            .get(charge_id)
            .ok_or_else(|| ApiError::missing("charge", charge_id, "charge"))?;
        if charge.status != "succeeded" || charge.dispute.is_some() {
            return Err(ApiError::invalid(format!(
                "Charge {charge_id} cannot be disputed: it did not succeed or is already disputed."
            ))
            .param("charge"));
        }
        let (amount, currency, payment_intent) = (
            charge.amount - charge.amount_refunded,
            charge.currency.clone(),
            charge.payment_intent.clone(),
        );
        let dispute_id = self.id("dp");
        let dispute = Dispute {
            id: dispute_id.clone(),
            amount,
            charge: charge_id.to_owned(),
            currency,
            created: now,
            payment_intent,
            reason: reason.to_owned(),
            status: "needs_response",
            evidence: Map::new(),
            metadata: Map::new(),
        };
        self.disputes.insert(dispute_id.clone(), dispute);
        self.remember("dispute", &dispute_id);
        if let Some(charge) = self.charges.get_mut(charge_id) {
            charge.dispute = Some(dispute_id.clone());
        }
        emits.push(Emit {
            kind: "charge.dispute.created",
            object: self.dispute_json(&dispute_id)?,
        });
        Ok(dispute_id)
    }

    fn open_dispute(&mut self, id: &str) -> Result<&mut Dispute, ApiError> {
        let dispute = self
            .disputes
            .get_mut(id)
            .ok_or_else(|| ApiError::missing("dispute", id, "dispute"))?;
        if matches!(dispute.status, "won" | "lost") {
            return Err(ApiError::invalid(format!(
                "This dispute is already closed (status {}).",
                dispute.status
            ))
            .code("dispute_already_closed"));
        }
        Ok(dispute)
    }

    /// Adds evidence (and with `submit=true`, submits it: `under_review`).
    pub fn update_dispute(
        &mut self,
        id: &str,
        params: &Params,
        emits: &mut Vec<Emit>,
    ) -> Result<(), ApiError> {
        let evidence = match params.get("evidence") {
            None => Map::new(),
            Some(Value::Object(evidence)) => evidence.clone(),
            Some(_) => {
                return Err(
                    ApiError::invalid("Invalid object: evidence must be a hash").param("evidence")
                );
            }
        };
        let submit = !matches!(text(params, "submit")?, Some("false"));
        let metadata = metadata(params)?.unwrap_or_default();
        let dispute = self.open_dispute(id)?;
        dispute.evidence.extend(evidence);
        dispute.metadata.extend(metadata);
        if submit {
            dispute.status = "under_review";
        }
        emits.push(Emit {
            kind: "charge.dispute.updated",
            object: self.dispute_json(id)?,
        });
        Ok(())
    }

    /// Closes a dispute: `won`, or `lost` (also what accepting it via `/close` does).
    pub fn close_dispute(
        &mut self,
        id: &str,
        won: bool,
        emits: &mut Vec<Emit>,
    ) -> Result<(), ApiError> {
        self.open_dispute(id)?.status = if won { "won" } else { "lost" };
        emits.push(Emit {
            kind: "charge.dispute.closed",
            object: self.dispute_json(id)?,
        });
        Ok(())
    }
}

fn billing_details() -> Value {
    json!({
        "address": { "city": null, "country": null, "line1": null, "line2": null,
                     "postal_code": null, "state": null },
        "email": null, "name": null, "phone": null,
    })
}

/// A test card's PaymentMethod object (as errors embed it).
fn payment_method_json(id: &str, created: i64) -> Value {
    let (brand, last4, _) = test_card(id).unwrap_or(("visa", "4242", Behaviour::Succeed));
    json!({
        "id": id,
        "object": "payment_method",
        "billing_details": billing_details(),
        "card": { "brand": brand, "country": "US", "exp_month": 12, "exp_year": 2034,
                  "funding": "credit", "last4": last4 },
        "created": created,
        "customer": null,
        "livemode": false,
        "metadata": {},
        "type": "card",
    })
}

fn render_refund(refund: &Refund) -> Value {
    json!({
        "id": refund.id,
        "object": "refund",
        "amount": refund.amount,
        "balance_transaction": null,
        "charge": refund.charge,
        "created": refund.created,
        "currency": refund.currency,
        "metadata": refund.metadata,
        "payment_intent": refund.payment_intent,
        "reason": refund.reason,
        "receipt_number": null,
        "source_transfer_reversal": null,
        "status": "succeeded",
        "transfer_reversal": null,
    })
}

fn unknown_payment_method(pm: &str) -> ApiError {
    ApiError::missing("PaymentMethod", pm, "payment_method").code("resource_missing")
}

fn check_payment_method(pm: &str) -> Result<(), ApiError> {
    test_card(pm)
        .map(|_| ())
        .ok_or_else(|| unknown_payment_method(pm))
}
