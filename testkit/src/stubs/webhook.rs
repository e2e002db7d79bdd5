//! Outbound webhooks, provider-neutral: POST a body with headers to a URL, retry with
//! exponential backoff scheduled on the kit's [`Clock`], seeded delivery chaos on request
//! (duplicates, out-of-order, delays, failures), and a log of every attempt for assertions.
//!
//! A URL that refuses connections is retried, then its delivery is recorded as
//! [`DeliveryState::Failed`]; nothing panics. Headers that depend on the attempt's time (a
//! provider's signature) come from a [`Signer`], called at every attempt, as providers re-sign
//! their retries.
//!
//! Retries are due on the clock: with a frozen [`crate::clock::TestClock`], a retry is sent
//! once the test advances the clock past it; with [`crate::clock::SystemClock`], in real time.
//!
//! ```
//! use std::time::Duration;
//! use commerce_testkit::clock::TestClock;
//! use commerce_testkit::stubs::webhook::{Delivery, DeliveryState, WebhookConfig, Webhooks};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let clock = TestClock::new();
//! let webhooks = Webhooks::new(clock.shared(), WebhookConfig::default());
//! // Nothing listens on port 9 of loopback: every attempt is refused.
//! let id = webhooks.send(Delivery::json("http://127.0.0.1:9/hook", "evt_1", b"{}".to_vec()));
//! webhooks.run_due().await;
//! assert_eq!(webhooks.state(&id), Some(DeliveryState::Pending));
//! for _ in 0..5 {
//!     clock.advance(Duration::from_secs(3600)).await;
//!     webhooks.run_due().await;
//! }
//! assert_eq!(webhooks.state(&id), Some(DeliveryState::Failed));
//! assert_eq!(webhooks.attempts_of(&id).len(), WebhookConfig::default().max_attempts as usize);
//! # });
//! ```

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Uri};
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::Notify;

use crate::clock::SharedClock;
use crate::seed::TestRng;

/// Headers computed at each attempt from the body and the attempt's time (a signature).
pub trait Signer: Send + Sync + Debug {
    fn headers(&self, body: &[u8], at: SystemTime) -> Vec<(String, String)>;
}

/// One message to deliver.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub url: String,
    /// The provider's id for the message (an event id): duplicates share it.
    pub message_id: String,
    pub body: Bytes,
    /// Fixed headers (`content-type` among them).
    pub headers: Vec<(String, String)>,
    /// Headers recomputed at every attempt.
    pub signer: Option<Arc<dyn Signer>>,
}

impl Delivery {
    /// A JSON body with `content-type: application/json`.
    pub fn json(url: &str, message_id: &str, body: impl Into<Bytes>) -> Self {
        Self {
            url: url.to_owned(),
            message_id: message_id.to_owned(),
            body: body.into(),
            headers: vec![(
                "content-type".to_owned(),
                "application/json; charset=utf-8".to_owned(),
            )],
            signer: None,
        }
    }

    /// With headers recomputed at every attempt.
    #[must_use]
    pub fn signed_by(mut self, signer: Arc<dyn Signer>) -> Self {
        self.signer = Some(signer);
        self
    }
}

/// Seeded delivery chaos: each probability is `numerator / 1000`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Chaos {
    pub seed: u64,
    /// A message is delivered twice (same id and body).
    pub duplicate_per_mille: u64,
    /// A message waits up to `max_delay` before its first attempt (so later ones overtake it).
    pub delay_per_mille: u64,
    pub max_delay: Duration,
    /// The messages due together are sent in a shuffled order.
    pub reorder: bool,
    /// An attempt fails without being sent (as if the network dropped it), then is retried.
    pub failure_per_mille: u64,
}

/// Retries and chaos.
#[derive(Debug, Clone, Copy)]
pub struct WebhookConfig {
    /// Attempts per delivery, the first included.
    pub max_attempts: u32,
    /// The wait before the first retry; doubled at each retry up to `max_backoff`.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Real time an attempt may take.
    pub attempt_timeout: Duration,
    pub chaos: Chaos,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_secs(60),
            max_backoff: Duration::from_secs(3600),
            attempt_timeout: Duration::from_secs(10),
            chaos: Chaos::default(),
        }
    }
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Waiting for its first attempt or a retry.
    Pending,
    /// A 2xx answered.
    Delivered,
    /// Every attempt failed.
    Failed,
}

/// What one attempt got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An HTTP answer (2xx delivers; anything else is retried).
    Status(u16),
    /// No answer: refused, reset, timed out, or a URL the deliverer cannot reach.
    Error(String),
    /// Chaos dropped the attempt.
    ChaosFailure,
}

impl Outcome {
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Status(status) if (200..300).contains(status))
    }
}

/// One attempt, as the log keeps it.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The delivery (a duplicate is a delivery of its own with the same `message_id`).
    pub delivery: String,
    pub message_id: String,
    pub url: String,
    /// 1 for the first attempt.
    pub number: u32,
    /// On the clock.
    pub at: SystemTime,
    pub outcome: Outcome,
    /// The headers sent, signer's included.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

#[derive(Debug)]
struct Entry {
    delivery: Delivery,
    state: DeliveryState,
    attempts: u32,
    due: SystemTime,
}

#[derive(Debug, Default)]
struct State {
    entries: BTreeMap<String, Entry>,
    /// Ids in the order they were queued.
    order: Vec<String>,
    log: Vec<Attempt>,
    next_id: u64,
    in_flight: usize,
}

/// The deliverer: cheap to clone, all clones share the queue and the log.
#[derive(Debug, Clone)]
pub struct Webhooks {
    clock: SharedClock,
    config: WebhookConfig,
    state: Arc<Mutex<State>>,
    rng: Arc<Mutex<TestRng>>,
    wake: Arc<Notify>,
}

impl Webhooks {
    pub fn new(clock: SharedClock, config: WebhookConfig) -> Self {
        Self {
            clock,
            rng: Arc::new(Mutex::new(TestRng::from_u64(config.chaos.seed))),
            config,
            state: Arc::default(),
            wake: Arc::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn chance(&self, per_mille: u64) -> bool {
        per_mille > 0
            && self
                .rng
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .chance(per_mille, 1000)
    }

    /// Queues `delivery` (and, by chaos, a duplicate); returns the delivery's id.
    pub fn send(&self, delivery: Delivery) -> String {
        let chaos = self.config.chaos;
        let copies = if self.chance(chaos.duplicate_per_mille) {
            2
        } else {
            1
        };
        let mut first = String::new();
        for _ in 0..copies {
            let mut due = self.clock.now();
            if self.chance(chaos.delay_per_mille) {
                let max = chaos.max_delay.as_millis().max(1) as u64;
                let wait = self
                    .rng
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .range(1..max + 1);
                due += Duration::from_millis(wait);
            }
            let mut state = self.lock();
            state.next_id += 1;
            let id = format!("whd_{:06}", state.next_id);
            state.order.push(id.clone());
            state.entries.insert(
                id.clone(),
                Entry {
                    delivery: delivery.clone(),
                    state: DeliveryState::Pending,
                    attempts: 0,
                    due,
                },
            );
            if first.is_empty() {
                first = id;
            }
        }
        self.wake.notify_one();
        first
    }

    /// Makes one attempt of every pending delivery due on the clock, in queue order (shuffled
    /// under chaos `reorder`); returns how many attempts it made.
    pub async fn run_due(&self) -> usize {
        let now = self.clock.now();
        let mut due: Vec<(String, Delivery, u32)> = {
            let mut state = self.lock();
            let ids: Vec<String> = state
                .order
                .iter()
                .filter(|id| {
                    state.entries.get(*id).is_some_and(|entry| {
                        entry.state == DeliveryState::Pending && entry.due <= now
                    })
                })
                .cloned()
                .collect();
            let mut batch = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(entry) = state.entries.get_mut(&id) {
                    entry.attempts += 1;
                    // Not due again until this attempt settles it.
                    entry.due = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
                    batch.push((id, entry.delivery.clone(), entry.attempts));
                }
            }
            state.in_flight += batch.len();
            batch
        };
        if self.config.chaos.reorder {
            let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
            for i in (1..due.len()).rev() {
                due.swap(i, rng.range(0..i as u64 + 1) as usize);
            }
        }
        let made = due.len();
        for (id, delivery, number) in due {
            self.attempt(id, delivery, number).await;
        }
        made
    }

    async fn attempt(&self, id: String, delivery: Delivery, number: u32) {
        let at = self.clock.now();
        let mut headers = delivery.headers.clone();
        if let Some(signer) = &delivery.signer {
            headers.extend(signer.headers(&delivery.body, at));
        }
        let outcome = if self.chance(self.config.chaos.failure_per_mille) {
            Outcome::ChaosFailure
        } else {
            match tokio::time::timeout(
                self.config.attempt_timeout,
                post(&delivery.url, &headers, delivery.body.clone()),
            )
            .await
            {
                Ok(Ok(status)) => Outcome::Status(status),
                Ok(Err(error)) => Outcome::Error(error),
                Err(_) => Outcome::Error(format!(
                    "no answer within {:?}",
                    self.config.attempt_timeout
                )),
            }
        };
        let backoff = self
            .config
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(number.saturating_sub(1)))
            .min(self.config.max_backoff);
        let mut state = self.lock();
        state.in_flight -= 1;
        if let Some(entry) = state.entries.get_mut(&id) {
            if outcome.is_success() {
                entry.state = DeliveryState::Delivered;
            } else if number >= self.config.max_attempts {
                entry.state = DeliveryState::Failed;
            } else {
                entry.due = self.clock.now() + backoff;
            }
        }
        state.log.push(Attempt {
            delivery: id,
            message_id: delivery.message_id,
            url: delivery.url,
            number,
            at,
            outcome,
            headers,
            body: delivery.body,
        });
    }

    /// Delivers in the background until the returned handle is aborted: attempts what is due,
    /// then waits for a new message or a short real-time tick (the clock may have moved).
    pub fn spawn(&self) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                this.run_due().await;
                let _ = tokio::time::timeout(Duration::from_millis(20), this.wake.notified()).await;
            }
        })
    }

    /// Waits (real time, up to `limit`) until no delivery is due on the clock now nor being
    /// attempted; returns whether that happened. For tests using [`Webhooks::spawn`].
    pub async fn settled(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let now = self.clock.now();
            let busy = {
                let state = self.lock();
                state.in_flight > 0
                    || state
                        .entries
                        .values()
                        .any(|entry| entry.state == DeliveryState::Pending && entry.due <= now)
            };
            if !busy {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Every attempt so far, in the order they finished.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.lock().log.clone()
    }

    /// The attempts of one delivery.
    pub fn attempts_of(&self, delivery: &str) -> Vec<Attempt> {
        self.lock()
            .log
            .iter()
            .filter(|attempt| attempt.delivery == delivery)
            .cloned()
            .collect()
    }

    /// Where a delivery is (`None` for an unknown id).
    pub fn state(&self, delivery: &str) -> Option<DeliveryState> {
        self.lock().entries.get(delivery).map(|entry| entry.state)
    }

    /// Every delivery with its message id and state, in queue order.
    pub fn deliveries(&self) -> Vec<(String, String, DeliveryState)> {
        let state = self.lock();
        state
            .order
            .iter()
            .filter_map(|id| {
                let entry = state.entries.get(id)?;
                Some((id.clone(), entry.delivery.message_id.clone(), entry.state))
            })
            .collect()
    }
}

/// One HTTP/1.1 POST (plain `http://`, a fresh connection); the status or why none came.
async fn post(url: &str, headers: &[(String, String)], body: Bytes) -> Result<u16, String> {
    let uri: Uri = url
        .parse()
        .map_err(|error| format!("`{url}` is not a URL: {error}"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!(
            "`{url}`: the deliverer speaks plain http:// only (a test receiver on loopback)"
        ));
    }
    let host = uri
        .host()
        .ok_or_else(|| format!("`{url}` has no host"))?
        .to_owned();
    let port = uri.port_u16().unwrap_or(80);
    let stream = TcpStream::connect((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|error| format!("connect to {host}:{port}: {error}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|error| format!("HTTP handshake with {host}:{port}: {error}"))?;
    tokio::spawn(connection);
    let path = uri
        .path_and_query()
        .map_or("/", |path| path.as_str())
        .to_owned();
    let mut request = Request::post(path)
        .header(
            http::header::HOST,
            uri.authority().map_or(host.as_str(), |a| a.as_str()),
        )
        .body(Full::new(body))
        .map_err(|error| error.to_string())?;
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("`{name}` is not a header name"))?;
        let value =
            HeaderValue::from_str(value).map_err(|_| format!("`{value}` is not a header value"))?;
        request.headers_mut().append(name, value);
    }
    let response = sender
        .send_request(request)
        .await
        .map_err(|error| format!("POST {url}: {error}"))?;
    let status = response.status().as_u16();
    // Read the answer so the receiver is not cut off mid-write.
    let _ = response.into_body().collect().await;
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::TestClock;
    use axum::Router;
    use axum::routing::post as route_post;

    /// A receiver on loopback answering `status` and keeping the bodies.
    async fn receiver(status: u16) -> (String, Arc<Mutex<Vec<Bytes>>>) {
        let got: Arc<Mutex<Vec<Bytes>>> = Arc::default();
        let keep = got.clone();
        let app = Router::new().route(
            "/hook",
            route_post(move |body: Bytes| {
                let keep = keep.clone();
                async move {
                    keep.lock().unwrap().push(body);
                    http::StatusCode::from_u16(status).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}/hook"), got)
    }

    #[derive(Debug)]
    struct Stamp;
    impl Signer for Stamp {
        fn headers(&self, body: &[u8], at: SystemTime) -> Vec<(String, String)> {
            vec![(
                "x-stamp".to_owned(),
                format!("{}:{}", crate::clock::unix_seconds(at), body.len()),
            )]
        }
    }

    #[tokio::test]
    async fn delivers_once_with_signed_headers() {
        let (url, got) = receiver(200).await;
        let clock = TestClock::new();
        let webhooks = Webhooks::new(clock.shared(), WebhookConfig::default());
        let id = webhooks.send(Delivery::json(&url, "evt_1", "{}").signed_by(Arc::new(Stamp)));
        assert_eq!(webhooks.run_due().await, 1);
        assert_eq!(webhooks.state(&id), Some(DeliveryState::Delivered));
        let attempts = webhooks.attempts();
        assert_eq!(attempts[0].outcome, Outcome::Status(200));
        assert!(
            attempts[0]
                .headers
                .contains(&("x-stamp".to_owned(), "1767225600:2".to_owned()))
        );
        assert_eq!(got.lock().unwrap().len(), 1);
        assert_eq!(
            webhooks.run_due().await,
            0,
            "a delivered message is not sent again"
        );
    }

    #[tokio::test]
    async fn a_5xx_is_retried_on_the_clock_then_failed() {
        let (url, got) = receiver(503).await;
        let clock = TestClock::new();
        let config = WebhookConfig {
            max_attempts: 3,
            ..WebhookConfig::default()
        };
        let webhooks = Webhooks::new(clock.shared(), config);
        let id = webhooks.send(Delivery::json(&url, "evt_1", "{}"));
        webhooks.run_due().await;
        assert_eq!(webhooks.run_due().await, 0, "the retry waits for the clock");
        clock.advance(Duration::from_secs(59)).await;
        assert_eq!(webhooks.run_due().await, 0);
        clock.advance(Duration::from_secs(1)).await;
        assert_eq!(webhooks.run_due().await, 1, "first retry after 60 s");
        clock.advance(Duration::from_secs(119)).await;
        assert_eq!(webhooks.run_due().await, 0, "second retry after 120 s");
        clock.advance(Duration::from_secs(1)).await;
        assert_eq!(webhooks.run_due().await, 1);
        assert_eq!(webhooks.state(&id), Some(DeliveryState::Failed));
        assert_eq!(got.lock().unwrap().len(), 3);
        let numbers: Vec<u32> = webhooks.attempts().iter().map(|a| a.number).collect();
        assert_eq!(numbers, [1, 2, 3]);
    }

    #[tokio::test]
    async fn a_refused_connection_is_recorded_not_fatal() {
        // Bind then drop: the port is free and refuses.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let clock = TestClock::new();
        let webhooks = Webhooks::new(clock.shared(), WebhookConfig::default());
        let id = webhooks.send(Delivery::json(&format!("http://{addr}/"), "evt_1", "{}"));
        let https = webhooks.send(Delivery::json("https://example.invalid/", "evt_2", "{}"));
        for _ in 0..4 {
            webhooks.run_due().await;
            clock.advance(Duration::from_secs(3600)).await;
        }
        assert_eq!(webhooks.state(&id), Some(DeliveryState::Failed));
        assert_eq!(webhooks.state(&https), Some(DeliveryState::Failed));
        let first = &webhooks.attempts_of(&id)[0];
        assert!(
            matches!(&first.outcome, Outcome::Error(error) if error.contains("connect")),
            "{first:?}"
        );
    }

    #[tokio::test]
    async fn chaos_is_seeded_duplicates_reorders_and_fails() {
        let run = |seed| async move {
            let (url, got) = receiver(200).await;
            let clock = TestClock::new();
            let config = WebhookConfig {
                chaos: Chaos {
                    seed,
                    duplicate_per_mille: 300,
                    delay_per_mille: 300,
                    max_delay: Duration::from_secs(30),
                    reorder: true,
                    failure_per_mille: 300,
                },
                ..WebhookConfig::default()
            };
            let webhooks = Webhooks::new(clock.shared(), config);
            for i in 0..20 {
                webhooks.send(Delivery::json(&url, &format!("evt_{i}"), format!("{i}")));
            }
            for _ in 0..10 {
                webhooks.run_due().await;
                clock.advance(Duration::from_secs(600)).await;
            }
            let bodies: Vec<Bytes> = got.lock().unwrap().clone();
            (bodies, webhooks)
        };
        let (bodies, webhooks) = run(7).await;
        let (again, _) = run(7).await;
        assert_eq!(bodies, again, "the same seed gives the same deliveries");
        let deliveries = webhooks.deliveries();
        assert!(deliveries.len() > 20, "some messages were duplicated");
        assert!(
            deliveries
                .iter()
                .all(|(_, _, state)| *state == DeliveryState::Delivered)
        );
        assert!(
            webhooks
                .attempts()
                .iter()
                .any(|a| a.outcome == Outcome::ChaosFailure)
        );
        let order: Vec<u32> = bodies
            .iter()
            .map(|b| std::str::from_utf8(b).unwrap().parse().unwrap())
            .collect();
        assert!(
            order.windows(2).any(|w| w[0] > w[1]),
            "out of order: {order:?}"
        );
    }

    #[tokio::test]
    async fn spawn_delivers_in_the_background() {
        let (url, got) = receiver(204).await;
        let webhooks = Webhooks::new(
            Arc::new(crate::clock::SystemClock),
            WebhookConfig::default(),
        );
        let task = webhooks.spawn();
        webhooks.send(Delivery::json(&url, "evt_1", "{}"));
        assert!(webhooks.settled(Duration::from_secs(10)).await);
        task.abort();
        assert_eq!(got.lock().unwrap().len(), 1);
    }
}
