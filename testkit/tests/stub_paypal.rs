//! The PayPal stub in process: token, orders, captures, refunds, request ids, errors, and
//! webhooks with the transmission headers and their verification.

mod common;
use common::receiver;

use std::time::Duration;

use commerce_testkit::clock::TestClock;
use commerce_testkit::stubs::paypal::{PayPalConfig, PayPalStub, Verification};
use commerce_testkit::{TestApp, TestResponse};
use serde_json::{Value, json};

async fn token(app: &TestApp) -> String {
    let response = app
        .post("/v1/oauth2/token")
        .header("authorization", "Basic Y2xpZW50OnNlY3JldA==")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await;
    response.assert_status(200);
    assert_eq!(response.json_value()["token_type"], "Bearer");
    response.json_value()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn order(app: &TestApp, bearer: &str, intent: &str, value: &str) -> TestResponse {
    app.post("/v2/checkout/orders")
        .bearer(bearer)
        .json(&json!({
            "intent": intent,
            "purchase_units": [{ "amount": { "currency_code": "USD", "value": value } }],
        }))
        .send()
        .await
}

fn id(response: &TestResponse) -> String {
    response.json_value()["id"].as_str().unwrap().to_owned()
}

fn issue(response: &TestResponse) -> String {
    response.json_value()["details"][0]["issue"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn an_order_is_approved_captured_and_refunded() {
    let clock = TestClock::new();
    let paypal = PayPalStub::new(PayPalConfig::new(clock.shared()));
    let app = TestApp::new(paypal.router());
    let bearer = token(&app).await;
    let created = order(&app, &bearer, "CAPTURE", "30.00").await;
    created.assert_status(201);
    assert_eq!(created.json_value()["status"], "CREATED");
    let order_id = id(&created);
    let early = app
        .post(&format!("/v2/checkout/orders/{order_id}/capture"))
        .bearer(&bearer)
        .send()
        .await;
    early.assert_status(422);
    assert_eq!(issue(&early), "ORDER_NOT_APPROVED");
    assert!(early.json_value()["debug_id"].is_string());
    let approve = created.json_value()["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|link| link["rel"] == "approve")
        .unwrap()["href"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = approve
        .split_once("localhost")
        .map_or(approve.as_str(), |(_, path)| path);
    app.get(path).send().await.assert_status(200);
    let captured = app
        .post(&format!("/v2/checkout/orders/{order_id}/capture"))
        .bearer(&bearer)
        .send()
        .await;
    captured.assert_status(201);
    let capture = captured.json_value()["purchase_units"][0]["payments"]["captures"][0].clone();
    assert_eq!(capture["amount"]["value"], "30.00");
    let again = app
        .post(&format!("/v2/checkout/orders/{order_id}/capture"))
        .bearer(&bearer)
        .send()
        .await;
    assert_eq!(issue(&again), "ORDER_ALREADY_CAPTURED");

    let capture_id = capture["id"].as_str().unwrap();
    let refund = |value: &str| {
        app.post(&format!("/v2/payments/captures/{capture_id}/refund"))
            .bearer(&bearer)
            .json(&json!({ "amount": { "currency_code": "USD", "value": value } }))
            .send()
    };
    refund("12.50").await.assert_status(201);
    let status = app
        .get(&format!("/v2/payments/captures/{capture_id}"))
        .bearer(&bearer)
        .send()
        .await;
    assert_eq!(status.json_value()["status"], "PARTIALLY_REFUNDED");
    let over = refund("17.51").await;
    over.assert_status(422);
    assert_eq!(issue(&over), "REFUND_AMOUNT_EXCEEDED");
    refund("17.50").await.assert_status(201);
    let full = refund("0.01").await;
    assert_eq!(issue(&full), "CAPTURE_FULLY_REFUNDED");
    let kinds: Vec<String> = paypal
        .events()
        .iter()
        .map(|event| event["event_type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "CHECKOUT.ORDER.APPROVED",
            "PAYMENT.CAPTURE.COMPLETED",
            "CHECKOUT.ORDER.COMPLETED",
            "PAYMENT.CAPTURE.REFUNDED",
            "PAYMENT.CAPTURE.REFUNDED",
        ]
    );
}

#[tokio::test]
async fn an_authorization_is_captured_in_parts() {
    let clock = TestClock::new();
    let paypal = PayPalStub::new(PayPalConfig::new(clock.shared()));
    let app = TestApp::new(paypal.router());
    let bearer = token(&app).await;
    let created = order(&app, &bearer, "AUTHORIZE", "50.00").await;
    let order_id = id(&created);
    paypal.approve(&order_id).unwrap();
    let wrong = app
        .post(&format!("/v2/checkout/orders/{order_id}/capture"))
        .bearer(&bearer)
        .send()
        .await;
    assert_eq!(issue(&wrong), "ACTION_DOES_NOT_MATCH_INTENT");
    let authorized = app
        .post(&format!("/v2/checkout/orders/{order_id}/authorize"))
        .bearer(&bearer)
        .send()
        .await;
    authorized.assert_status(201);
    let authorization = authorized.json_value()["purchase_units"][0]["payments"]["authorizations"]
        [0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let capture = |body: Value| {
        app.post(&format!(
            "/v2/payments/authorizations/{authorization}/capture"
        ))
        .bearer(&bearer)
        .json(&body)
        .send()
    };
    let part = capture(json!({ "amount": { "currency_code": "USD", "value": "20.00" } })).await;
    part.assert_status(201);
    assert_eq!(part.json_value()["final_capture"], false);
    let rest = capture(json!({})).await;
    assert_eq!(rest.json_value()["amount"]["value"], "30.00");
    assert_eq!(rest.json_value()["final_capture"], true);
    let after = app
        .get(&format!("/v2/payments/authorizations/{authorization}"))
        .bearer(&bearer)
        .send()
        .await;
    assert_eq!(after.json_value()["status"], "CAPTURED");
    assert_eq!(
        issue(&capture(json!({})).await),
        "AUTHORIZATION_ALREADY_CAPTURED"
    );
}

#[tokio::test]
async fn request_ids_replay_for_six_hours_and_tokens_expire() {
    let clock = TestClock::new();
    let paypal = PayPalStub::new(PayPalConfig::new(clock.shared()));
    let app = TestApp::new(paypal.router());
    let bearer = token(&app).await;
    let send = |value: &str| {
        app.post("/v2/checkout/orders")
            .bearer(&bearer)
            .header("paypal-request-id", "req-1")
            .json(&json!({ "intent": "CAPTURE",
                           "purchase_units": [{ "amount": { "currency_code": "USD", "value": value } }] }))
            .send()
    };
    let first = send("10.00").await;
    let replay = send("10.00").await;
    assert_eq!(replay.body, first.body);
    clock.advance(Duration::from_secs(6 * 3600)).await;
    let later = send("10.00").await;
    assert_ne!(id(&later), id(&first), "the request id expired");
    clock.advance(Duration::from_secs(3 * 3600)).await;
    let expired = send("10.00").await;
    expired.assert_status(401);
    assert_eq!(expired.json_value()["name"], "AUTHENTICATION_FAILURE");
}

#[tokio::test]
async fn bad_input_gets_paypals_error_shape() {
    let clock = TestClock::new();
    let paypal = PayPalStub::new(PayPalConfig::new(clock.shared()));
    let app = TestApp::new(paypal.router());
    let no_client = app
        .post("/v1/oauth2/token")
        .body("grant_type=client_credentials")
        .send()
        .await;
    no_client.assert_status(401);
    assert_eq!(no_client.json_value()["error"], "invalid_client");
    let bearer = token(&app).await;
    let malformed = app
        .post("/v2/checkout/orders")
        .bearer(&bearer)
        .header("content-type", "application/json")
        .body("{\"intent\":")
        .send()
        .await;
    malformed.assert_status(400);
    assert_eq!(malformed.json_value()["name"], "INVALID_REQUEST");
    assert_eq!(issue(&malformed), "MALFORMED_REQUEST_JSON");
    let no_intent = app
        .post("/v2/checkout/orders")
        .bearer(&bearer)
        .json(&json!({ "purchase_units": [] }))
        .send()
        .await;
    assert_eq!(issue(&no_intent), "MISSING_REQUIRED_PARAMETER");
    assert_eq!(no_intent.json_value()["details"][0]["field"], "/intent");
    let bad_value = order(&app, &bearer, "CAPTURE", "10.001").await;
    assert_eq!(issue(&bad_value), "INVALID_PARAMETER_SYNTAX");
    let missing = app
        .get("/v2/checkout/orders/NOPE")
        .bearer(&bearer)
        .send()
        .await;
    missing.assert_status(404);
    assert_eq!(missing.json_value()["name"], "RESOURCE_NOT_FOUND");
}

#[tokio::test]
async fn webhooks_carry_transmission_headers_and_verify_as_the_test_chooses() {
    let clock = TestClock::new();
    let (url, got) = receiver("/hooks").await;
    let paypal = PayPalStub::new(PayPalConfig {
        webhook_url: Some(url),
        ..PayPalConfig::new(clock.shared())
    });
    let app = TestApp::new(paypal.router());
    let bearer = token(&app).await;
    let created = order(&app, &bearer, "CAPTURE", "5.00").await;
    paypal.approve(&id(&created)).unwrap();
    assert_eq!(paypal.webhooks().run_due().await, 1);
    let (headers, body) = got.lock().unwrap()[0].clone();
    for name in [
        "paypal-transmission-id",
        "paypal-transmission-time",
        "paypal-transmission-sig",
        "paypal-cert-url",
        "paypal-auth-algo",
    ] {
        assert!(headers.contains_key(name), "{name} missing");
    }
    assert_eq!(headers["paypal-transmission-time"], "2026-01-01T00:00:00Z");
    let event: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["event_type"], "CHECKOUT.ORDER.APPROVED");
    let header = |name: &str| headers[name].to_str().unwrap().to_owned();
    let verify = |signature: String| {
        app.post("/v1/notifications/verify-webhook-signature")
            .bearer(&bearer)
            .json(&json!({
                "auth_algo": header("paypal-auth-algo"),
                "cert_url": header("paypal-cert-url"),
                "transmission_id": header("paypal-transmission-id"),
                "transmission_sig": signature,
                "transmission_time": header("paypal-transmission-time"),
                "webhook_id": "WH-STUB-0000000000000000",
                "webhook_event": event,
            }))
            .send()
    };
    let status = |response: TestResponse| {
        response.json_value()["verification_status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        status(verify(header("paypal-transmission-sig")).await),
        "SUCCESS"
    );
    assert_eq!(status(verify("forged".to_owned()).await), "FAILURE");
    paypal.set_verification(Verification::Failure);
    assert_eq!(
        status(verify(header("paypal-transmission-sig")).await),
        "FAILURE"
    );
    paypal.set_verification(Verification::Success);
    assert_eq!(status(verify("forged".to_owned()).await), "SUCCESS");
}
