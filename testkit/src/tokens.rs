//! Tokens with a lifetime, driven through the app's own flows: password-reset tokens (single
//! use, expire on the [`TestClock`], bound to one account) and refresh tokens (rotation,
//! single use, reuse detection, expiry on the clock, the access token's own expiry).
//!
//! The app implements a small trait for each flow; where the app puts the token (its
//! response, a captured email, an outbox row, a hook) is the trait's business.
//!
//! ```
//! use std::collections::HashMap;
//! use std::sync::{Arc, Mutex};
//! use std::time::Duration;
//! use axum::{Json, Router, extract::State, http::StatusCode, routing::post};
//! use commerce_testkit::clock::{Clock, SharedClock, TestClock, unix_seconds};
//! use commerce_testkit::http::TestResponse;
//! use commerce_testkit::tokens::{ResetFlow, assert_password_reset};
//! use commerce_testkit::users::{Role, TestUser};
//! use commerce_testkit::TestApp;
//! use serde_json::{Value, json};
//!
//! /// An app keeping passwords and reset tokens (token -> user, expiry) in memory.
//! #[derive(Clone)]
//! struct Shop { clock: SharedClock, passwords: Arc<Mutex<HashMap<String, String>>>,
//!               resets: Arc<Mutex<HashMap<String, (String, i64)>>> }
//!
//! async fn request(State(s): State<Shop>, Json(b): Json<Value>) -> Json<Value> {
//!     let mut resets = s.resets.lock().unwrap();
//!     let token = format!("t{}", resets.len());
//!     let expires = unix_seconds(s.clock.now()) + 600;
//!     resets.insert(token.clone(), (b["user"].as_str().unwrap().to_owned(), expires));
//!     Json(json!({ "token": token })) // a real app emails it
//! }
//! async fn reset(State(s): State<Shop>, Json(b): Json<Value>) -> StatusCode {
//!     let mut resets = s.resets.lock().unwrap();
//!     match resets.get(b["token"].as_str().unwrap()).cloned() {
//!         Some((user, expires)) if user == b["user"] && expires > unix_seconds(s.clock.now()) => {
//!             resets.remove(b["token"].as_str().unwrap());
//!             s.passwords.lock().unwrap().insert(user, b["password"].as_str().unwrap().to_owned());
//!             StatusCode::NO_CONTENT
//!         }
//!         _ => StatusCode::BAD_REQUEST,
//!     }
//! }
//! async fn login(State(s): State<Shop>, Json(b): Json<Value>) -> StatusCode {
//!     let known = s.passwords.lock().unwrap().get(b["user"].as_str().unwrap()).cloned();
//!     if known.as_deref() == b["password"].as_str() { StatusCode::OK } else { StatusCode::UNAUTHORIZED }
//! }
//!
//! struct Flow;
//! impl ResetFlow for Flow {
//!     async fn request_token(&self, app: &TestApp, user: &TestUser) -> String {
//!         let response = app.post("/reset/request").json(&json!({ "user": user.username })).send().await;
//!         response.json_value()["token"].as_str().unwrap().to_owned()
//!     }
//!     async fn reset(&self, app: &TestApp, user: &TestUser, token: &str, password: &str) -> TestResponse {
//!         app.post("/reset").json(&json!({ "user": user.username, "token": token, "password": password })).send().await
//!     }
//!     async fn logs_in(&self, app: &TestApp, user: &TestUser, password: &str) -> bool {
//!         let response = app.post("/login").json(&json!({ "user": user.username, "password": password })).send().await;
//!         response.status.is_success()
//!     }
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let clock = TestClock::new();
//! let user = |name: &str| TestUser { username: name.into(), email: format!("{name}@example.test"),
//!     password: format!("old-{name}"), role: Role::Buyer, tenant: "acme".into(), token: String::new() };
//! let (ada, bob) = (user("ada"), user("bob"));
//! let passwords = HashMap::from([("ada".to_owned(), ada.password.clone()), ("bob".to_owned(), bob.password.clone())]);
//! let app = TestApp::new(Router::new()
//!     .route("/reset/request", post(request)).route("/reset", post(reset)).route("/login", post(login))
//!     .with_state(Shop { clock: clock.shared(), passwords: Arc::new(Mutex::new(passwords)), resets: Arc::default() }));
//! let ada = assert_password_reset(&app, &clock, &Flow, &ada, &bob, Duration::from_secs(600)).await;
//! assert_ne!(ada.password, "old-ada"); // the password the reset set
//! # });
//! ```

use std::future::Future;
use std::time::Duration;

use crate::auth::assert_expires;
use crate::clock::TestClock;
use crate::http::{RequestBuilder, TestApp, TestResponse};
use crate::users::TestUser;

/// The app's password-reset flow.
pub trait ResetFlow {
    /// Asks for a reset of `user`'s password and returns the token the app issued, from
    /// wherever the app sends it (its response, a captured email, an outbox row).
    fn request_token(&self, app: &TestApp, user: &TestUser) -> impl Future<Output = String> + Send;
    /// Sets `user`'s password to `password` with `token`, naming `user` as the app's reset
    /// request does (its email or id beside the token).
    fn reset(
        &self,
        app: &TestApp,
        user: &TestUser,
        token: &str,
        password: &str,
    ) -> impl Future<Output = TestResponse> + Send;
    /// Whether `user` can log in with `password` through the app's real login.
    fn logs_in(
        &self,
        app: &TestApp,
        user: &TestUser,
        password: &str,
    ) -> impl Future<Output = bool> + Send;
}

/// Asserts the app's password-reset tokens are bound to one account, single use and expire
/// `ttl` after they are issued, by the app's clock:
///
/// 1. A token issued for `user` does not reset `other` (a 4xx, and `other`'s password is
///    unchanged).
/// 2. A fresh token resets `user`'s password once (2xx; the new password logs in, the old one
///    no longer does), and the same token used again gets a 4xx and changes nothing.
/// 3. A token used after `clock` moved past `ttl` gets a 4xx and changes nothing.
///
/// Returns `user` with the password the reset set.
///
/// # Panics
/// At the first step that does not hold, saying which and what the app answered.
pub async fn assert_password_reset(
    app: &TestApp,
    clock: &TestClock,
    flow: &impl ResetFlow,
    user: &TestUser,
    other: &TestUser,
    ttl: Duration,
) -> TestUser {
    let stolen = flow.request_token(app, user).await;
    let hijack = format!("{}-hijacked", other.password);
    let answer = flow.reset(app, other, &stolen, &hijack).await;
    assert_refused(
        &answer,
        &format!(
            "a reset token of {} used for {}",
            user.username, other.username
        ),
    );
    assert!(
        flow.logs_in(app, other, &other.password).await && !flow.logs_in(app, other, &hijack).await,
        "a reset token of {} changed the password of {}",
        user.username,
        other.username
    );

    let token = flow.request_token(app, user).await;
    let changed = format!("{}-reset", user.password);
    let answer = flow.reset(app, user, &token, &changed).await;
    assert!(
        answer.status.is_success(),
        "{} {} refused a fresh reset token of {}: {} {}",
        answer.method,
        answer.path,
        user.username,
        answer.status,
        answer.text()
    );
    assert!(
        flow.logs_in(app, user, &changed).await,
        "{} cannot log in with the password the reset set",
        user.username
    );
    assert!(
        !flow.logs_in(app, user, &user.password).await,
        "{} still logs in with the password the reset replaced",
        user.username
    );
    let again = format!("{changed}-again");
    let answer = flow.reset(app, user, &token, &again).await;
    assert_refused(&answer, "a reset token used a second time");
    assert_unchanged(
        app,
        flow,
        user,
        &changed,
        &again,
        "a reset token used a second time",
    )
    .await;

    let late = flow.request_token(app, user).await;
    clock.advance(ttl + Duration::from_secs(1)).await;
    let answer = flow.reset(app, user, &late, &again).await;
    assert_refused(
        &answer,
        &format!(
            "a reset token used {} s after it was issued",
            ttl.as_secs() + 1
        ),
    );
    assert_unchanged(app, flow, user, &changed, &again, "an expired reset token").await;
    TestUser {
        password: changed,
        ..user.clone()
    }
}

#[track_caller]
fn assert_refused(answer: &TestResponse, what: &str) {
    assert!(
        answer.status.is_client_error(),
        "{what}: {} {} answered {}, not a 4xx: {}",
        answer.method,
        answer.path,
        answer.status,
        answer.text()
    );
}

async fn assert_unchanged(
    app: &TestApp,
    flow: &impl ResetFlow,
    user: &TestUser,
    current: &str,
    refused: &str,
    what: &str,
) {
    assert!(
        flow.logs_in(app, user, current).await && !flow.logs_in(app, user, refused).await,
        "{what} changed the password of {}",
        user.username
    );
}

/// An access token and the refresh token that renews it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPair {
    pub access: String,
    pub refresh: String,
}

/// What the app does when a refresh token that was already rotated comes back (the OAuth 2.0
/// security BCP's reuse detection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReusePolicy {
    /// The reused token is refused; the pair it was rotated into keeps working.
    Refuse,
    /// The reused token is refused and the whole family is revoked: the pair it was rotated
    /// into no longer refreshes either (someone holds a stolen copy).
    RevokeFamily,
}

/// How long the app's tokens live, by its clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    pub access: Duration,
    pub refresh: Duration,
}

/// The app's token flow: log in for a pair, trade a refresh token for a new pair, and a
/// request only a valid access token passes.
pub trait RefreshFlow {
    /// Logs `user` in (through the app's real login) and returns the first pair.
    fn login(&self, app: &TestApp, user: &TestUser) -> impl Future<Output = TokenPair> + Send;
    /// Trades `refresh` for a new pair: the pair on a 2xx, else the app's answer.
    fn refresh(
        &self,
        app: &TestApp,
        refresh: &str,
    ) -> impl Future<Output = Result<TokenPair, TestResponse>> + Send;
    /// A request that needs a valid access token (`GET /me`).
    fn authenticated(&self, app: &TestApp, access: &str) -> RequestBuilder;
}

/// Asserts the app rotates refresh tokens, uses each once, detects reuse per `policy`, and
/// expires both tokens on its clock:
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use axum::{Json, Router, extract::State, http::{HeaderMap, StatusCode}, routing::{get, post}};
/// use commerce_testkit::clock::{Clock, SharedClock, TestClock, unix_seconds};
/// use commerce_testkit::http::{RequestBuilder, TestResponse};
/// use commerce_testkit::tokens::{Lifetimes, RefreshFlow, ReusePolicy, TokenPair, assert_refresh_rotation};
/// use commerce_testkit::users::{Role, TestUser};
/// use commerce_testkit::TestApp;
/// use serde_json::{Value, json};
///
/// /// Refresh token -> (expiry, rotated); tokens are numbered, access tokens carry their expiry.
/// #[derive(Clone)]
/// struct Shop { clock: SharedClock, refresh: Arc<Mutex<HashMap<String, (i64, bool)>>> }
///
/// fn pair(s: &Shop) -> Json<Value> {
///     let now = unix_seconds(s.clock.now());
///     let mut refresh = s.refresh.lock().unwrap();
///     let token = format!("r{}", refresh.len());
///     refresh.insert(token.clone(), (now + 86_400, false));
///     Json(json!({ "access": format!("a{}-{}", refresh.len(), now + 300), "refresh": token }))
/// }
/// async fn login(State(s): State<Shop>) -> Json<Value> { pair(&s) }
/// async fn refresh(State(s): State<Shop>, Json(b): Json<Value>) -> Result<Json<Value>, StatusCode> {
///     let now = unix_seconds(s.clock.now());
///     match s.refresh.lock().unwrap().get_mut(b["refresh"].as_str().unwrap()) {
///         Some((expires, rotated @ false)) if *expires > now => *rotated = true,
///         _ => return Err(StatusCode::UNAUTHORIZED), // this app refuses reuse, revokes nothing
///     }
///     Ok(pair(&s))
/// }
/// async fn me(State(s): State<Shop>, headers: HeaderMap) -> StatusCode {
///     let token = headers["authorization"].to_str().unwrap();
///     let expires: i64 = token.rsplit('-').next().unwrap().parse().unwrap();
///     if expires > unix_seconds(s.clock.now()) { StatusCode::OK } else { StatusCode::UNAUTHORIZED }
/// }
///
/// struct Flow;
/// fn tokens(response: &TestResponse) -> TokenPair {
///     let body = response.json_value();
///     TokenPair { access: body["access"].as_str().unwrap().into(), refresh: body["refresh"].as_str().unwrap().into() }
/// }
/// impl RefreshFlow for Flow {
///     async fn login(&self, app: &TestApp, _user: &TestUser) -> TokenPair {
///         tokens(&app.post("/login").send().await)
///     }
///     async fn refresh(&self, app: &TestApp, refresh: &str) -> Result<TokenPair, TestResponse> {
///         let response = app.post("/refresh").json(&json!({ "refresh": refresh })).send().await;
///         if response.status.is_success() { Ok(tokens(&response)) } else { Err(response) }
///     }
///     fn authenticated(&self, app: &TestApp, access: &str) -> RequestBuilder {
///         app.get("/me").header("authorization", access)
///     }
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let clock = TestClock::new();
/// let app = TestApp::new(Router::new()
///     .route("/login", post(login)).route("/refresh", post(refresh)).route("/me", get(me))
///     .with_state(Shop { clock: clock.shared(), refresh: Arc::default() }));
/// let user = TestUser { username: "ada".into(), email: "ada@example.test".into(), password: "pw".into(),
///     role: Role::Buyer, tenant: "acme".into(), token: String::new() };
/// let lifetimes = Lifetimes { access: Duration::from_secs(300), refresh: Duration::from_secs(86_400) };
/// assert_refresh_rotation(&app, &clock, &Flow, &user, ReusePolicy::Refuse, lifetimes).await;
/// # });
/// ```
///
///
/// 1. A refresh returns a new pair (a new refresh token) whose access token works.
/// 2. The refresh token it replaced is refused (4xx) from then on; with
///    [`ReusePolicy::RevokeFamily`] that reuse also revokes the new pair's refresh token, with
///    [`ReusePolicy::Refuse`] the new pair still refreshes.
/// 3. An access token is refused with 401 once the clock passes `lifetimes.access`
///    ([`assert_expires`]), and its refresh token, still within its own lifetime, renews it.
/// 4. A refresh token is refused (4xx) once the clock passes `lifetimes.refresh`.
///
/// # Panics
/// At the first step that does not hold, saying which and what the app answered; when
/// `lifetimes.refresh` is not longer than `lifetimes.access` (step 3 needs it).
pub async fn assert_refresh_rotation(
    app: &TestApp,
    clock: &TestClock,
    flow: &impl RefreshFlow,
    user: &TestUser,
    policy: ReusePolicy,
    lifetimes: Lifetimes,
) {
    assert!(
        lifetimes.refresh > lifetimes.access + Duration::from_secs(1),
        "a refresh token that does not outlive the access token cannot renew it"
    );
    let first = flow.login(app, user).await;
    let second = refreshed(app, flow, &first.refresh, "a fresh refresh token").await;
    // Only the refresh token must change: an access token minted in the same second with the
    // same claims (a frozen test clock) may well be the same string.
    assert_ne!(
        second.refresh, first.refresh,
        "a refresh did not rotate the refresh token"
    );
    assert_authenticated(app, flow, &second.access, "a refreshed access token").await;
    assert_refresh_refused(app, flow, &first.refresh, "a refresh token already rotated").await;
    match policy {
        ReusePolicy::RevokeFamily => {
            assert_refresh_refused(
                app,
                flow,
                &second.refresh,
                "the rotated pair after its predecessor's reuse (family not revoked)",
            )
            .await;
        }
        ReusePolicy::Refuse => {
            refreshed(
                app,
                flow,
                &second.refresh,
                "the rotated pair after a refused reuse",
            )
            .await;
        }
    }

    let pair = flow.login(app, user).await;
    assert_expires(
        app,
        clock,
        |app| flow.authenticated(app, &pair.access),
        lifetimes.access,
    )
    .await;
    let renewed = refreshed(
        app,
        flow,
        &pair.refresh,
        "a refresh token within its lifetime, after its access token expired",
    )
    .await;
    assert_authenticated(
        app,
        flow,
        &renewed.access,
        "an access token renewed after expiry",
    )
    .await;
    clock
        .advance(lifetimes.refresh + Duration::from_secs(1))
        .await;
    assert_refresh_refused(
        app,
        flow,
        &renewed.refresh,
        &format!(
            "a refresh token used {} s after it was issued",
            lifetimes.refresh.as_secs() + 1
        ),
    )
    .await;
}

async fn refreshed(app: &TestApp, flow: &impl RefreshFlow, refresh: &str, what: &str) -> TokenPair {
    match flow.refresh(app, refresh).await {
        Ok(pair) => pair,
        Err(answer) => panic!(
            "{what}: {} {} refused it with {}: {}",
            answer.method,
            answer.path,
            answer.status,
            answer.text()
        ),
    }
}

async fn assert_refresh_refused(app: &TestApp, flow: &impl RefreshFlow, refresh: &str, what: &str) {
    match flow.refresh(app, refresh).await {
        Ok(pair) => panic!("{what} was accepted and gave {pair:?}"),
        Err(answer) => assert_refused(&answer, what),
    }
}

async fn assert_authenticated(app: &TestApp, flow: &impl RefreshFlow, access: &str, what: &str) {
    let answer = flow.authenticated(app, access).send().await;
    assert!(
        answer.status.is_success(),
        "{what}: {} {} answered {}: {}",
        answer.method,
        answer.path,
        answer.status,
        answer.text()
    );
}
