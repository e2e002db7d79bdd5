//! The kit's mail assertions on a small self-contained app that emails: a sign-up sends a
//! verification mail (text + HTML, a signed link, a redirecting link, `X-Message-Key`), held
//! in the recipient's quiet hours until morning; every assertion passes on it and fails on
//! the bug it is for (a duplicate, a broken or expired link, mail at night, a suppressed
//! recipient).

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use commerce_testkit::TestApp;
use commerce_testkit::assert_mail_snapshot;
use commerce_testkit::clock::{Clock, SharedClock, TestClock};
use commerce_testkit::stubs::mail::token::{LinkTokens, TokenError};
use commerce_testkit::stubs::mail::{MailConfig, MailStub, QuietHours};
use serde::Deserialize;

const ORIGIN: &str = "https://shop.test";
const NIGHT: QuietHours = QuietHours {
    start_hour: 22,
    end_hour: 8,
};
const LINK_LIFETIME: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone)]
struct Shop {
    mail: MailStub,
    clock: SharedClock,
    tokens: LinkTokens,
    /// Messages held for quiet hours: (due, recipient, raw).
    outbox: Arc<Mutex<Vec<(SystemTime, String, String)>>>,
    respect_quiet_hours: bool,
}

#[derive(Deserialize)]
struct Signup {
    email: String,
    /// The recipient's offset from UTC in minutes (east positive).
    utc_offset_minutes: i32,
}

async fn signup(State(shop): State<Shop>, Json(signup): Json<Signup>) -> StatusCode {
    let now = shop.clock.now();
    let token = shop
        .tokens
        .sign("verify-email", &signup.email, now + LINK_LIFETIME);
    let link = format!("{ORIGIN}/verify?token={token}");
    let raw = format!(
        "From: Shop <hello@shop.test>\r\nTo: {email}\r\nSubject: Confirm your address\r\n\
         X-Message-Key: verify-{email}\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nWelcome! Confirm: {link}\r\n\
         Then see {ORIGIN}/go/welcome\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         <p>Welcome! <a href=\"{link}\">Confirm</a> then <a href='{ORIGIN}/go/welcome'>start</a>.</p>\r\n\
         --b--\r\n",
        email = signup.email
    );
    let due = if shop.respect_quiet_hours {
        NIGHT.next_allowed(now, signup.utc_offset_minutes)
    } else {
        now
    };
    if due > now {
        shop.outbox.lock().unwrap().push((due, signup.email, raw));
    } else {
        shop.mail.submit("hello@shop.test", &[&signup.email], raw);
    }
    StatusCode::ACCEPTED
}

/// The app's worker tick: sends what is due.
async fn flush(State(shop): State<Shop>) -> StatusCode {
    let now = shop.clock.now();
    let mut outbox = shop.outbox.lock().unwrap();
    let (due, later): (Vec<_>, Vec<_>) = outbox.drain(..).partition(|(at, _, _)| *at <= now);
    *outbox = later;
    for (_, to, raw) in due {
        shop.mail.submit("hello@shop.test", &[&to], raw);
    }
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Verify {
    token: String,
}

async fn verify(State(shop): State<Shop>, Query(query): Query<Verify>) -> Response {
    match shop
        .tokens
        .verify(&query.token, "verify-email", shop.clock.now())
    {
        Ok(email) => format!("{email} confirmed").into_response(),
        Err(TokenError::Expired) => (StatusCode::GONE, "this link expired").into_response(),
        Err(other) => (StatusCode::BAD_REQUEST, other.to_string()).into_response(),
    }
}

fn app(mail: &MailStub, clock: &TestClock, respect_quiet_hours: bool) -> TestApp {
    TestApp::new(
        Router::new()
            .route("/signup", post(signup))
            .route("/outbox/flush", post(flush))
            .route("/verify", get(verify))
            .route("/go/welcome", get(|| async { Redirect::to("/welcome") }))
            .route("/welcome", get(|| async { "welcome" }))
            .with_state(Shop {
                mail: mail.clone(),
                clock: clock.shared(),
                tokens: LinkTokens::new(b"test secret"),
                outbox: Arc::default(),
                respect_quiet_hours,
            }),
    )
}

fn setup(respect_quiet_hours: bool) -> (MailStub, TestApp, TestClock) {
    let clock = TestClock::new();
    let mail = MailStub::new(clock.shared(), MailConfig::default());
    let app = app(&mail, &clock, respect_quiet_hours);
    (mail, app, clock)
}

/// The panic message of `f`.
fn panic_of(f: impl FnOnce()) -> String {
    let payload = std::panic::catch_unwind(AssertUnwindSafe(f)).expect_err("the assertion fails");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

/// A recipient twelve hours east of UTC: noon there at the test clock's midnight UTC.
const AUCKLAND: i32 = 12 * 60;

#[tokio::test]
async fn the_verification_mail_has_its_recipient_key_links_and_snapshot() {
    let (mail, app, clock) = setup(true);
    app.post("/signup")
        .json(&serde_json::json!({ "email": "ana@example.com", "utc_offset_minutes": AUCKLAND }))
        .send()
        .await
        .assert_status(202);
    let mailbox = mail.mailbox();
    mailbox
        .assert_sent_to("ana@example.com")
        .assert_not_sent_to("bob@example.com");
    assert_eq!(mailbox.recipients(), ["ana@example.com"]);
    let message = mailbox.assert_message_key_sent_once("verify-ana@example.com");
    message.assert_header("From", "Shop <hello@shop.test>");
    assert_mail_snapshot!("verification_mail", message);

    let checks = message.assert_links_ok(&app, ORIGIN).await;
    assert_eq!(checks.len(), 2, "{checks:?}");
    assert_eq!(checks[1].redirects, ["/welcome"]);
    let tokens = message.link_params("token");
    assert_eq!(
        LinkTokens::new(b"test secret").verify(&tokens[0], "verify-email", clock.now()),
        Ok("ana@example.com".to_owned())
    );

    // A day later the link is dead: the assertion names it and its status.
    clock.advance(LINK_LIFETIME).await;
    let checks = message.check_links(&app, ORIGIN).await;
    assert_eq!(checks[0].status, Some(410));
    let broken = message.clone();
    let app_again = app.clone();
    let report = tokio::task::spawn(async move {
        broken.assert_links_ok(&app_again, ORIGIN).await;
    })
    .await
    .expect_err("an expired link fails the assertion");
    let report = report.into_panic();
    let text = report.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(text.contains("answered 410"), "{text}");
}

#[tokio::test]
async fn a_duplicate_message_key_is_reported_not_hidden() {
    let (mail, app, _clock) = setup(true);
    for _ in 0..2 {
        app.post("/signup")
            .json(
                &serde_json::json!({ "email": "ana@example.com", "utc_offset_minutes": AUCKLAND }),
            )
            .send()
            .await
            .assert_status(202);
    }
    let mailbox = mail.mailbox();
    assert_eq!(
        mailbox.duplicate_message_keys(),
        [("verify-ana@example.com".to_owned(), 2)]
    );
    let report = panic_of(|| {
        mailbox.assert_message_key_sent_once("verify-ana@example.com");
    });
    assert!(report.contains("was sent 2 times"), "{report}");
    assert_eq!(
        report.matches("to [\"ana@example.com\"]").count(),
        2,
        "{report}"
    );
    assert!(
        panic_of(|| {
            mailbox.assert_no_duplicate_message_keys();
        })
        .contains("verify-ana@example.com")
    );
}

#[tokio::test]
async fn mail_for_a_recipients_night_waits_for_the_morning() {
    let (mail, app, clock) = setup(true);
    // Midnight UTC is midnight in London: held.
    app.post("/signup")
        .json(&serde_json::json!({ "email": "ana@example.com", "utc_offset_minutes": 0 }))
        .send()
        .await
        .assert_status(202);
    app.post("/outbox/flush").send().await.assert_status(204);
    mail.mailbox().assert_not_sent_to("ana@example.com");
    clock.advance(Duration::from_secs(7 * 3600 + 59 * 60)).await;
    app.post("/outbox/flush").send().await;
    mail.mailbox().assert_not_sent_to("ana@example.com");
    clock.advance(Duration::from_secs(60)).await;
    app.post("/outbox/flush").send().await;
    mail.mailbox()
        .assert_sent_to("ana@example.com")
        .assert_quiet_hours("ana@example.com", 0, NIGHT);

    // An app that ignores quiet hours is caught.
    let (mail, careless, _clock) = setup(false);
    careless
        .post("/signup")
        .json(&serde_json::json!({ "email": "bob@example.com", "utc_offset_minutes": -60 }))
        .send()
        .await;
    let report = panic_of(|| {
        mail.mailbox()
            .assert_quiet_hours("bob@example.com", -60, NIGHT);
    });
    assert!(report.contains("at 23:00 local"), "{report}");
}

#[tokio::test]
async fn mail_to_a_suppressed_address_is_caught() {
    let (mail, app, _clock) = setup(false);
    mail.suppress("gone@example.com", "BOUNCE");
    app.post("/signup")
        .json(&serde_json::json!({ "email": "gone@example.com", "utc_offset_minutes": 0 }))
        .send()
        .await;
    let report = panic_of(|| {
        mail.mailbox().assert_nothing_sent_to_suppressed();
    });
    assert!(report.contains("to gone@example.com"), "{report}");
}
