//! The Stripe stub in process: the state machine, test cards, refunds, disputes,
//! idempotency, errors, and signed webhooks to a receiver on loopback.

mod common;
use common::receiver;

use std::time::Duration;

use axum::body::Bytes;
use commerce_testkit::clock::TestClock;
use commerce_testkit::race::race;
use commerce_testkit::stubs::stripe::{StripeConfig, StripeStub, verify_signature};
use commerce_testkit::stubs::webhook::{DeliveryState, Outcome};
use commerce_testkit::{TestApp, TestResponse};
use serde_json::Value;

const KEY: &str = "sk_test_stub";

fn stub(clock: &TestClock) -> (StripeStub, TestApp) {
    let stripe = StripeStub::new(StripeConfig::new(clock.shared()));
    let app = TestApp::new(stripe.router());
    (stripe, app)
}

async fn form(app: &TestApp, path: &str, body: &str) -> TestResponse {
    app.post(path)
        .bearer(KEY)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
}

async fn get(app: &TestApp, path: &str) -> Value {
    let response = app.get(path).bearer(KEY).send().await;
    response.assert_status(200);
    response.json_value()
}

fn event_types(stripe: &StripeStub) -> Vec<String> {
    stripe
        .events()
        .iter()
        .map(|event| event["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_payment_intent_walks_the_state_machine() {
    let clock = TestClock::new();
    let (stripe, app) = stub(&clock);
    let created = form(
        &app,
        "/v1/payment_intents",
        "amount=2500&currency=EUR&payment_method_types[]=card&metadata[order]=42",
    )
    .await;
    created.assert_status(200);
    let intent = created.json_value();
    assert_eq!(intent["status"], "requires_payment_method");
    assert_eq!(intent["currency"], "eur");
    assert_eq!(intent["metadata"]["order"], "42");
    assert_eq!(intent["created"], 1_767_225_600);
    let id = intent["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("pi_") && id.len() == 27, "{id}");

    let no_method = form(&app, &format!("/v1/payment_intents/{id}/confirm"), "").await;
    no_method.assert_status(400);
    assert_eq!(
        no_method.json_value()["error"]["code"],
        "payment_intent_unexpected_state"
    );

    let capture_early = form(&app, &format!("/v1/payment_intents/{id}/capture"), "").await;
    capture_early.assert_status(400);
    let error = &capture_early.json_value()["error"];
    assert_eq!(error["code"], "payment_intent_unexpected_state");
    assert_eq!(error["payment_intent"]["id"], id.as_str());

    let confirmed = form(
        &app,
        &format!("/v1/payment_intents/{id}/confirm"),
        "payment_method=pm_card_mastercard",
    )
    .await;
    confirmed.assert_status(200);
    let intent = confirmed.json_value();
    assert_eq!(intent["status"], "succeeded");
    assert_eq!(intent["amount_received"], 2500);
    let charge = &intent["charges"]["data"][0];
    assert_eq!(charge["captured"], true);
    assert_eq!(charge["payment_method_details"]["card"]["last4"], "4444");

    let again = form(&app, &format!("/v1/payment_intents/{id}/confirm"), "").await;
    again.assert_status(400);
    let cancel = form(&app, &format!("/v1/payment_intents/{id}/cancel"), "").await;
    cancel.assert_status(400);
    assert!(
        cancel.json_value()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("status of succeeded")
    );

    assert_eq!(
        get(&app, &format!("/v1/payment_intents/{id}")).await["status"],
        "succeeded"
    );
    assert_eq!(
        event_types(&stripe),
        [
            "payment_intent.created",
            "charge.succeeded",
            "payment_intent.succeeded"
        ]
    );
}

#[tokio::test]
async fn declines_return_to_requires_payment_method_with_the_error() {
    let clock = TestClock::new();
    let (stripe, app) = stub(&clock);
    for (card, code, decline) in [
        ("pm_card_chargeDeclined", "card_declined", "generic_decline"),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            "card_declined",
            "insufficient_funds",
        ),
        (
            "pm_card_chargeDeclinedExpiredCard",
            "expired_card",
            "expired_card",
        ),
    ] {
        let declined = form(
            &app,
            "/v1/payment_intents",
            &format!("amount=1000&currency=usd&confirm=true&payment_method={card}"),
        )
        .await;
        declined.assert_status(402);
        let error = &declined.json_value()["error"];
        assert_eq!(error["type"], "card_error");
        assert_eq!(error["code"], code);
        assert_eq!(error["decline_code"], decline);
        let intent = &error["payment_intent"];
        assert_eq!(intent["status"], "requires_payment_method");
        assert_eq!(intent["last_payment_error"]["decline_code"], decline);
        assert_eq!(intent["charges"]["data"][0]["status"], "failed");
        // A good card afterwards succeeds on the same intent.
        let id = intent["id"].as_str().unwrap();
        let retried = form(
            &app,
            &format!("/v1/payment_intents/{id}/confirm"),
            "payment_method=pm_card_visa",
        )
        .await;
        retried.assert_status(200);
        assert_eq!(retried.json_value()["status"], "succeeded");
        assert_eq!(retried.json_value()["last_payment_error"], Value::Null);
    }
    assert!(event_types(&stripe).contains(&"charge.failed".to_owned()));
    assert!(event_types(&stripe).contains(&"payment_intent.payment_failed".to_owned()));
}

#[tokio::test]
async fn three_d_secure_waits_for_the_customer() {
    let clock = TestClock::new();
    let (stripe, app) = stub(&clock);
    let pending = form(&app, "/v1/payment_intents", "amount=1000&currency=usd&confirm=true&payment_method=pm_card_authenticationRequired&return_url=https://shop.test/back").await;
    pending.assert_status(200);
    let intent = pending.json_value();
    assert_eq!(intent["status"], "requires_action");
    assert_eq!(intent["next_action"]["type"], "redirect_to_url");
    assert_eq!(
        intent["next_action"]["redirect_to_url"]["return_url"],
        "https://shop.test/back"
    );
    let id = intent["id"].as_str().unwrap();
    let done = form(&app, &format!("/v1/payment_intents/{id}/confirm"), "").await;
    assert_eq!(done.json_value()["status"], "succeeded");

    let other = form(
        &app,
        "/v1/payment_intents",
        "amount=1000&currency=usd&confirm=true&payment_method=pm_card_threeDSecure2Required",
    )
    .await;
    let other_id = other.json_value()["id"].as_str().unwrap().to_owned();
    assert_eq!(other.json_value()["next_action"]["type"], "use_stripe_sdk");
    let failed = stripe.fail_authentication(&other_id).unwrap();
    assert_eq!(failed["status"], "requires_payment_method");
    assert_eq!(
        failed["last_payment_error"]["code"],
        "payment_intent_authentication_failure"
    );
}

#[tokio::test]
async fn manual_capture_partial_then_refunds_and_over_refund() {
    let clock = TestClock::new();
    let (stripe, app) = stub(&clock);
    let held = form(
        &app,
        "/v1/payment_intents",
        "amount=5000&currency=usd&capture_method=manual&confirm=true&payment_method=pm_card_visa",
    )
    .await;
    let intent = held.json_value();
    assert_eq!(intent["status"], "requires_capture");
    assert_eq!(intent["amount_capturable"], 5000);
    let id = intent["id"].as_str().unwrap();
    let too_much = form(
        &app,
        &format!("/v1/payment_intents/{id}/capture"),
        "amount_to_capture=6000",
    )
    .await;
    too_much.assert_status(400);
    assert_eq!(too_much.json_value()["error"]["param"], "amount_to_capture");
    let captured = form(
        &app,
        &format!("/v1/payment_intents/{id}/capture"),
        "amount_to_capture=4000",
    )
    .await;
    captured.assert_status(200);
    let intent = captured.json_value();
    assert_eq!(intent["status"], "succeeded");
    assert_eq!(intent["amount_received"], 4000);
    let charge_id = intent["charges"]["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(intent["charges"]["data"][0]["amount_captured"], 4000);

    let partial = form(
        &app,
        "/v1/refunds",
        &format!("payment_intent={id}&amount=1500&reason=requested_by_customer"),
    )
    .await;
    partial.assert_status(200);
    assert_eq!(partial.json_value()["status"], "succeeded");
    let charge = get(&app, &format!("/v1/charges/{charge_id}")).await;
    // 1000 released at capture + 1500 refunded.
    assert_eq!(charge["amount_refunded"], 2500);
    assert_eq!(charge["refunded"], false);
    let over = form(
        &app,
        "/v1/refunds",
        &format!("charge={charge_id}&amount=2600"),
    )
    .await;
    over.assert_status(400);
    assert_eq!(over.json_value()["error"]["code"], "amount_too_large");
    let rest = form(&app, "/v1/refunds", &format!("charge={charge_id}")).await;
    assert_eq!(rest.json_value()["amount"], 2500);
    assert_eq!(stripe.charge(&charge_id).unwrap()["refunded"], true);
    let again = form(&app, "/v1/refunds", &format!("charge={charge_id}")).await;
    assert_eq!(
        again.json_value()["error"]["code"],
        "charge_already_refunded"
    );
    let refunds = get(&app, &format!("/v1/refunds?charge={charge_id}")).await;
    assert_eq!(refunds["data"].as_array().unwrap().len(), 2);
    assert!(event_types(&stripe).contains(&"charge.refunded".to_owned()));

    let held = form(
        &app,
        "/v1/payment_intents",
        "amount=900&currency=usd&capture_method=manual&confirm=true&payment_method=pm_card_visa",
    )
    .await;
    let id = held.json_value()["id"].as_str().unwrap().to_owned();
    let canceled = form(
        &app,
        &format!("/v1/payment_intents/{id}/cancel"),
        "cancellation_reason=abandoned",
    )
    .await;
    assert_eq!(canceled.json_value()["status"], "canceled");
    assert_eq!(
        canceled.json_value()["charges"]["data"][0]["refunded"],
        true
    );
}

#[tokio::test]
async fn disputes_on_demand_and_by_test_card() {
    let clock = TestClock::new();
    let (stripe, app) = stub(&clock);
    let disputed = form(
        &app,
        "/v1/payment_intents",
        "amount=3000&currency=usd&confirm=true&payment_method=pm_card_createDispute",
    )
    .await;
    let charge = disputed.json_value()["charges"]["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = get(&app, &format!("/v1/disputes?charge={charge}")).await;
    let dispute = list["data"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(list["data"][0]["status"], "needs_response");
    assert_eq!(
        get(&app, &format!("/v1/charges/{charge}")).await["disputed"],
        true
    );
    let refused = form(&app, "/v1/refunds", &format!("charge={charge}")).await;
    assert_eq!(refused.json_value()["error"]["code"], "charge_disputed");
    let submitted = form(
        &app,
        &format!("/v1/disputes/{dispute}"),
        "evidence[customer_name]=Ada&submit=true",
    )
    .await;
    assert_eq!(submitted.json_value()["status"], "under_review");
    assert_eq!(
        stripe.close_dispute(&dispute, true).unwrap()["status"],
        "won"
    );
    assert!(stripe.close_dispute(&dispute, false).is_err());

    let paid = form(
        &app,
        "/v1/payment_intents",
        "amount=3000&currency=usd&confirm=true&payment_method=pm_card_visa",
    )
    .await;
    let charge = paid.json_value()["charges"]["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let dispute = stripe
        .create_dispute(&charge, "product_not_received")
        .unwrap();
    let id = dispute["id"].as_str().unwrap();
    let lost = form(&app, &format!("/v1/disputes/{id}/close"), "").await;
    assert_eq!(lost.json_value()["status"], "lost");
    let types = event_types(&stripe);
    for kind in [
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.closed",
    ] {
        assert!(types.contains(&kind.to_owned()), "{kind} in {types:?}");
    }
}

#[tokio::test]
async fn lists_page_newest_first() {
    let clock = TestClock::new();
    let (_stripe, app) = stub(&clock);
    let mut ids = Vec::new();
    for amount in 100..105 {
        let created = form(
            &app,
            "/v1/payment_intents",
            &format!("amount={amount}&currency=usd"),
        )
        .await;
        ids.push(created.json_value()["id"].as_str().unwrap().to_owned());
    }
    let page = get(&app, "/v1/payment_intents?limit=2").await;
    assert_eq!(page["object"], "list");
    assert_eq!(page["has_more"], true);
    assert_eq!(page["data"][0]["id"], ids[4].as_str());
    let next = get(
        &app,
        &format!("/v1/payment_intents?limit=2&starting_after={}", ids[3]),
    )
    .await;
    let got: Vec<&str> = next["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[2].as_str(), ids[1].as_str()]);
    let last = get(
        &app,
        &format!("/v1/payment_intents?limit=2&starting_after={}", ids[1]),
    )
    .await;
    assert_eq!(last["has_more"], false);
    let bad = app
        .get("/v1/payment_intents?limit=1000")
        .bearer(KEY)
        .send()
        .await;
    bad.assert_status(400);
    assert_eq!(bad.json_value()["error"]["param"], "limit");
    let events = get(&app, "/v1/events?type=payment_intent.created&limit=100").await;
    assert_eq!(events["data"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn idempotency_replays_refuses_and_expires() {
    let clock = TestClock::new();
    let (stripe, app) = stub(&clock);
    let send = |body: &'static str| {
        app.post("/v1/payment_intents")
            .bearer(KEY)
            .idempotency_key("order-42")
            .body(body)
            .send()
    };
    let first = send("amount=2000&currency=usd&metadata[a]=1&metadata[b]=2").await;
    first.assert_status(200);
    assert_eq!(first.header("idempotent-replayed"), None);
    // The same parameters in another order are the same request.
    let replay = send("metadata[b]=2&currency=usd&amount=2000&metadata[a]=1").await;
    replay.assert_status(200);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.body, first.body);
    let other = send("amount=3000&currency=usd").await;
    other.assert_status(400);
    assert_eq!(other.json_value()["error"]["type"], "idempotency_error");
    assert_eq!(stripe.events().len(), 1, "one intent created");

    // A declined payment is stored too; a validation error is not.
    let invalid = app
        .post("/v1/payment_intents")
        .bearer(KEY)
        .idempotency_key("k2")
        .body("amount=x&currency=usd")
        .send()
        .await;
    invalid.assert_status(400);
    let valid = app
        .post("/v1/payment_intents")
        .bearer(KEY)
        .idempotency_key("k2")
        .body("amount=100&currency=usd")
        .send()
        .await;
    valid.assert_status(200);

    clock.advance(Duration::from_secs(24 * 3600)).await;
    let expired = send("amount=3000&currency=usd").await;
    expired.assert_status(200);
    assert_eq!(expired.header("idempotent-replayed"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_confirms_with_one_key_charge_once() {
    let clock = TestClock::new();
    let (stripe, app) = stub(&clock);
    let created = form(
        &app,
        "/v1/payment_intents",
        "amount=2000&currency=usd&payment_method=pm_card_visa",
    )
    .await;
    let id = created.json_value()["id"].as_str().unwrap().to_owned();
    let responses = race(100, |_| {
        let request = app
            .post(&format!("/v1/payment_intents/{id}/confirm"))
            .bearer(KEY)
            .idempotency_key("confirm-once")
            .body("");
        async move { request.send().await }
    })
    .await;
    let ok: Vec<&TestResponse> = responses.iter().filter(|r| r.status == 200).collect();
    let conflicts = responses.iter().filter(|r| r.status == 409).count();
    assert_eq!(ok.len() + conflicts, 100, "only 200 or 409");
    assert!(!ok.is_empty());
    assert!(
        ok.iter().all(|r| r.body == ok[0].body),
        "every success is the first replayed"
    );
    assert_eq!(stripe.charges().len(), 1, "charged once");
    assert_eq!(ok[0].json_value()["status"], "succeeded");
}

#[tokio::test]
async fn bad_input_gets_stripes_error_shape() {
    let clock = TestClock::new();
    let (_stripe, app) = stub(&clock);
    let unknown = form(
        &app,
        "/v1/payment_intents",
        "amount=100&currency=usd&colour=red",
    )
    .await;
    unknown.assert_status(400);
    let error = &unknown.json_value()["error"];
    assert_eq!(error["type"], "invalid_request_error");
    assert_eq!(error["code"], "parameter_unknown");
    assert_eq!(error["param"], "colour");
    assert_eq!(error["message"], "Received unknown parameter: colour");

    let malformed = form(
        &app,
        "/v1/payment_intents",
        "amount=100&currency=usd&metadata[a=1",
    )
    .await;
    malformed.assert_status(400);
    assert!(
        malformed.json_value()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("metadata[a")
    );
    let json = app
        .post("/v1/payment_intents")
        .bearer(KEY)
        .json(&serde_json::json!({"amount": 1}))
        .send()
        .await;
    json.assert_status(400);
    assert!(
        json.json_value()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Content-Type")
    );
    let missing = form(&app, "/v1/payment_intents", "currency=usd").await;
    assert_eq!(missing.json_value()["error"]["code"], "parameter_missing");
    assert_eq!(missing.json_value()["error"]["param"], "amount");
    let not_int = form(&app, "/v1/payment_intents", "amount=ten&currency=usd").await;
    assert_eq!(
        not_int.json_value()["error"]["code"],
        "parameter_invalid_integer"
    );
    let no_card = form(
        &app,
        "/v1/payment_intents",
        "amount=100&currency=usd&payment_method=pm_nope",
    )
    .await;
    no_card.assert_status(404);
    assert_eq!(no_card.json_value()["error"]["code"], "resource_missing");

    let anonymous = app
        .post("/v1/payment_intents")
        .body("amount=100&currency=usd")
        .send()
        .await;
    anonymous.assert_status(401);
    assert_eq!(
        anonymous.json_value()["error"]["type"],
        "invalid_request_error"
    );
    let live = app
        .get("/v1/payment_intents")
        .bearer("sk_live_x")
        .send()
        .await;
    live.assert_status(401);
    // Basic auth with the key as the user, as curl -u sk_test_...: sends it.
    let basic = app
        .get("/v1/payment_intents")
        .header("authorization", "Basic c2tfdGVzdF9hYmM6")
        .send()
        .await;
    basic.assert_status(200);
    let nowhere = app.get("/v1/nowhere").bearer(KEY).send().await;
    nowhere.assert_status(404);
    let missing = app
        .get("/v1/payment_intents/pi_nope")
        .bearer(KEY)
        .send()
        .await;
    missing.assert_status(404);
    assert_eq!(
        missing.json_value()["error"]["message"],
        "No such payment_intent: 'pi_nope'"
    );
}

#[tokio::test]
async fn webhooks_are_signed_with_every_secret_and_verify() {
    let clock = TestClock::new();
    let (url, received) = receiver("/webhooks").await;
    let stripe = StripeStub::new(StripeConfig {
        webhook_url: Some(url),
        webhook_secrets: vec!["whsec_old".to_owned(), "whsec_new".to_owned()],
        ..StripeConfig::new(clock.shared())
    });
    let app = TestApp::new(stripe.router());
    form(
        &app,
        "/v1/payment_intents",
        "amount=2000&currency=usd&confirm=true&payment_method=pm_card_visa",
    )
    .await;
    assert_eq!(stripe.webhooks().run_due().await, 3);
    let got: Vec<(Bytes, String)> = received
        .lock()
        .unwrap()
        .iter()
        .map(|(headers, body)| {
            let signature = headers["stripe-signature"].to_str().unwrap().to_owned();
            (body.clone(), signature)
        })
        .collect();
    assert_eq!(got.len(), 3);
    for (body, signature) in &got {
        assert_eq!(signature.matches("v1=").count(), 2, "{signature}");
        verify_signature(body, signature, &["whsec_new"], &clock).unwrap();
        verify_signature(body, signature, &["whsec_old"], &clock).unwrap();
        assert!(verify_signature(body, signature, &["whsec_other"], &clock).is_err());
    }
    let event: Value = serde_json::from_slice(&got[2].0).unwrap();
    assert_eq!(event["type"], "payment_intent.succeeded");
    assert_eq!(event["data"]["object"]["object"], "payment_intent");
    clock.advance(Duration::from_secs(301)).await;
    assert!(
        verify_signature(&got[0].0, &got[0].1, &["whsec_new"], &clock).is_err(),
        "tolerance 300 s"
    );
}

#[tokio::test]
async fn a_refusing_webhook_url_is_retried_then_failed_and_the_stub_keeps_serving() {
    let clock = TestClock::new();
    let refusing = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let stripe = StripeStub::new(StripeConfig {
        webhook_url: Some(format!("http://{refusing}/webhooks")),
        webhook_secrets: vec!["whsec_a".to_owned()],
        ..StripeConfig::new(clock.shared())
    });
    let app = TestApp::new(stripe.router());
    form(&app, "/v1/payment_intents", "amount=2000&currency=usd").await;
    for _ in 0..6 {
        stripe.webhooks().run_due().await;
        clock.advance(Duration::from_secs(3600)).await;
    }
    let deliveries = stripe.webhooks().deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].2, DeliveryState::Failed);
    let attempts = stripe.webhooks().attempts();
    assert_eq!(attempts.len(), 4);
    assert!(
        attempts
            .iter()
            .all(|a| matches!(a.outcome, Outcome::Error(_)))
    );
    // Each retry is signed at its own time.
    assert_ne!(attempts[0].headers, attempts[1].headers);
    let still = form(&app, "/v1/payment_intents", "amount=2000&currency=usd").await;
    still.assert_status(200);
}
