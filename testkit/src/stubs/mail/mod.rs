//! The mail stub: one mailbox fed by a real SMTP server, SES v2 `SendEmail`
//! (`POST /v2/email/outbound-emails`) and in-process submission, read through Mailpit's HTTP
//! API (`/api/v1/...`, so Mailpit helpers work) or the Rust handle, with the kit's assertions.
//! SES mailbox-simulator recipients produce Delivery/Bounce/Complaint notifications in SES's
//! JSON, wrapped as SNS `Notification` messages and POSTed to the webhook URL.
//!
//! ```
//! use commerce_testkit::clock::TestClock;
//! use commerce_testkit::stubs::mail::{MailConfig, MailStub};
//! use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let clock = TestClock::new();
//! let stub = MailStub::new(clock.shared(), MailConfig::default());
//! let running = stub.start("127.0.0.1:0", "127.0.0.1:0").await.unwrap();
//!
//! // Any SMTP client works; here, the protocol by hand.
//! let stream = tokio::net::TcpStream::connect(running.smtp_addr).await.unwrap();
//! let (read, mut write) = stream.into_split();
//! let mut lines = BufReader::new(read).lines();
//! for command in ["EHLO shop.test", "MAIL FROM:<shop@example.com>", "RCPT TO:<ana@example.com>",
//!                 "DATA", "Subject: Your order\r\nX-Message-Key: order-1\r\n\r\nThanks!\r\n.", "QUIT"] {
//!     write.write_all(format!("{command}\r\n").as_bytes()).await.unwrap();
//! }
//! while let Some(line) = lines.next_line().await.unwrap() {
//!     if line.starts_with("221") { break }
//! }
//!
//! let mailbox = stub.mailbox();
//! mailbox.assert_sent_to("ana@example.com");
//! mailbox.assert_message_key_sent_once("order-1");
//! assert_eq!(mailbox.only_to("ana@example.com").subject, "Your order");
//! # });
//! ```

mod api;
mod assert;
mod search;
mod ses;
mod smtp;
mod store;
pub mod token;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use bytes::Bytes;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::clock::SharedClock;
use crate::seed::TestRng;

pub use assert::{LinkCheck, MESSAGE_KEY_HEADER, Mailbox, QuietHours, redact_mail};
pub use ses::{Notification, NotificationKind, SIMULATOR_DOMAIN};
pub use store::{Address, Attachment, Message, Source};

/// How the stub behaves.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The largest message SMTP and SES accept, in bytes (advertised as `SIZE`).
    pub max_message_size: usize,
    /// Recipients per SMTP transaction (`452` past it).
    pub max_recipients: usize,
    /// The name in the SMTP greeting.
    pub hostname: String,
    /// Where SES notifications are POSTed as SNS messages (`http://` only).
    pub webhook_url: Option<String>,
    /// Seeds the message IDs and the chaos.
    pub seed: u64,
    /// The probability (per mille) that an SMTP `MAIL`, `RCPT` or end of `DATA` is answered
    /// with a seeded 4xx or 5xx instead.
    pub chaos_per_mille: u64,
    /// The SNS topic the notifications name.
    pub topic_arn: String,
    /// SES `Delivery` notifications for every delivered recipient (as with delivery
    /// notifications enabled on the identity); `success@` and `complaint@` of the simulator
    /// are notified either way.
    pub delivery_notifications: bool,
    /// Advertise SMTP `AUTH PLAIN LOGIN` and accept any credentials (the user name is kept
    /// as the message's `Username`); otherwise AUTH is not offered.
    pub accept_any_auth: bool,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            max_message_size: 10 * 1024 * 1024,
            max_recipients: 100,
            hostname: "mail.stub.test".to_owned(),
            webhook_url: None,
            seed: 0,
            chaos_per_mille: 0,
            topic_arn: "arn:aws:sns:us-east-1:123456789012:ses-notifications".to_owned(),
            delivery_notifications: false,
            accept_any_auth: false,
        }
    }
}

/// `raw` without its `name` header lines (folded continuations included).
fn drop_header(raw: &[u8], name: &str) -> Vec<u8> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(raw.len(), |at| at + 2);
    let mut out = Vec::with_capacity(raw.len());
    let mut dropping = false;
    for line in raw[..end].split_inclusive(|&b| b == b'\n') {
        let continuation = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if !continuation {
            dropping = line.len() > name.len()
                && line[..name.len()].eq_ignore_ascii_case(name.as_bytes())
                && line[name.len()] == b':';
        }
        if !dropping {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(&raw[end..]);
    out
}

/// The stub: cheap to clone, all clones share one mailbox.
#[derive(Debug, Clone)]
pub struct MailStub {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: MailConfig,
    clock: SharedClock,
    state: Mutex<State>,
    rng: Mutex<TestRng>,
    ses: ses::Ses,
}

#[derive(Debug, Default)]
struct State {
    /// Oldest first.
    messages: Vec<Message>,
}

/// A stub serving on loopback; dropping it stops both servers.
#[derive(Debug)]
pub struct RunningMailStub {
    pub http_addr: SocketAddr,
    pub smtp_addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for RunningMailStub {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Binding an address failed.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot listen on {addr} for the mail stub's {what}: {source}; pick a free port (0 for any)"
)]
pub struct BindError {
    pub what: &'static str,
    pub addr: String,
    #[source]
    pub source: std::io::Error,
}

impl MailStub {
    pub fn new(clock: SharedClock, config: MailConfig) -> Self {
        let rng = TestRng::from_u64(config.seed);
        let ses = ses::Ses::new(clock.clone(), &config);
        Self {
            inner: Arc::new(Inner {
                config,
                clock,
                state: Mutex::default(),
                rng: Mutex::new(rng),
                ses,
            }),
        }
    }

    pub fn config(&self) -> &MailConfig {
        &self.inner.config
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn rng(&self) -> MutexGuard<'_, TestRng> {
        self.inner
            .rng
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Mailpit's HTTP API and SES v2, in process (serve it, or call it with
    /// [`crate::TestApp`]).
    pub fn router(&self) -> Router {
        api::router(self.clone()).merge(ses::router(self.clone()))
    }

    /// Binds `http` (the API) and `smtp`, then serves both in the background (SES
    /// notifications too) until the returned value drops.
    ///
    /// # Errors
    /// When an address cannot be bound.
    pub async fn start(&self, http: &str, smtp: &str) -> Result<RunningMailStub, BindError> {
        let bind = |what, addr: &str| {
            let addr = addr.to_owned();
            async move {
                TcpListener::bind(&addr)
                    .await
                    .map_err(|source| BindError { what, addr, source })
            }
        };
        let http = bind("HTTP API", http).await?;
        let smtp = bind("SMTP server", smtp).await?;
        let local = |listener: &TcpListener, what| {
            listener.local_addr().map_err(|source| BindError {
                what,
                addr: String::new(),
                source,
            })
        };
        let http_addr = local(&http, "HTTP API")?;
        let smtp_addr = local(&smtp, "SMTP server")?;
        self.inner
            .ses
            .set_public_url(&format!("http://{http_addr}"));
        let router = self.router();
        let mut tasks = vec![
            tokio::spawn(async move {
                let _ = axum::serve(http, router).await;
            }),
            tokio::spawn(smtp::serve(self.clone(), smtp)),
        ];
        tasks.extend(self.inner.ses.spawn_delivery());
        Ok(RunningMailStub {
            http_addr,
            smtp_addr,
            tasks,
        })
    }

    /// Hands a message to the stub in process, as if sent over SMTP; returns its ID.
    pub fn submit(&self, from: &str, to: &[&str], raw: impl Into<Bytes>) -> String {
        self.capture(
            raw.into(),
            from.to_owned(),
            to.iter().map(|&to| to.to_owned()).collect(),
            Source::InProcess,
            String::new(),
        )
    }

    /// Stores a message; returns its ID. As Mailpit's SMTP server does, a message gets
    /// `Return-Path: <envelope sender>` and, when it has none, a `Message-ID`.
    fn capture(
        &self,
        raw: Bytes,
        from: String,
        to: Vec<String>,
        source: Source,
        username: String,
    ) -> String {
        let id = self.new_id();
        let raw = if matches!(source, Source::Ses { .. }) {
            raw
        } else {
            let headers = mail_parser::MessageParser::default().parse_headers(&raw[..]);
            let return_path = headers
                .as_ref()
                .and_then(|headers| headers.return_path().as_text())
                .unwrap_or_default()
                .trim_matches(['<', '>'])
                .to_owned();
            let has_id = headers
                .as_ref()
                .is_some_and(|headers| headers.message_id().is_some());
            let mut head = Vec::new();
            if return_path != from {
                head.extend_from_slice(format!("Return-Path: <{from}>\r\n").as_bytes());
            }
            if !has_id {
                head.extend_from_slice(
                    format!("Message-ID: <{id}@{}>\r\n", self.inner.config.hostname).as_bytes(),
                );
            }
            let body = if return_path != from && !return_path.is_empty() {
                drop_header(&raw, "return-path")
            } else {
                raw.to_vec()
            };
            head.extend_from_slice(&body);
            head.into()
        };
        let mut message = Message::parse(id.clone(), raw, from, to, self.inner.clock.now(), source);
        message.username = username;
        self.lock().messages.push(message);
        id
    }

    /// 22 base62 characters, like Mailpit's IDs, from the seed.
    fn new_id(&self) -> String {
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut rng = self.rng();
        (0..22)
            .map(|_| ALPHABET[rng.range(0..62) as usize] as char)
            .collect()
    }

    /// The seeded chaos: a transient or permanent failure reply, or `None` to go on.
    fn chaos_reply(&self) -> Option<String> {
        let per_mille = self.inner.config.chaos_per_mille;
        let mut rng = self.rng();
        if per_mille == 0 || !rng.chance(per_mille, 1000) {
            return None;
        }
        Some(if rng.chance(1, 2) {
            "451 4.3.0 Temporary failure (chaos), try again later".to_owned()
        } else {
            "554 5.3.0 Transaction failed (chaos)".to_owned()
        })
    }

    /// What the mailbox holds now, for assertions.
    pub fn mailbox(&self) -> Mailbox {
        Mailbox::new(
            self.lock().messages.clone(),
            self.inner.ses.suppressed(),
            self.inner.ses.suppressed_attempts(),
        )
    }

    /// Every captured message, oldest first.
    pub fn messages(&self) -> Vec<Message> {
        self.lock().messages.clone()
    }

    /// Deletes every message.
    pub fn clear(&self) {
        self.lock().messages.clear();
    }

    /// The SES notifications produced so far (delivered or not), oldest first.
    pub fn notifications(&self) -> Vec<Notification> {
        self.inner.ses.notifications()
    }

    /// The deliverer of the notifications to the webhook URL (its attempts, states).
    pub fn webhooks(&self) -> &crate::stubs::webhook::Webhooks {
        self.inner.ses.webhooks()
    }

    /// Adds `address` to the account-level suppression list (SES's `PutSuppressedDestination`).
    pub fn suppress(&self, address: &str, reason: &str) {
        self.inner.ses.suppress(address, reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::TestClock;

    #[test]
    fn the_envelope_sender_becomes_the_return_path_and_a_message_id_is_added() {
        let stub = MailStub::new(TestClock::new().shared(), MailConfig::default());
        stub.submit(
            "bounces@shop.test",
            &["ana@example.com"],
            "Return-Path: <forged@else.test>\r\nX-Folded: a\r\n b\r\nSubject: s\r\n\r\nbody\r\n",
        );
        let message = &stub.messages()[0];
        assert_eq!(message.return_path, "bounces@shop.test");
        let return_paths = message
            .headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("return-path"))
            .count();
        assert_eq!(return_paths, 1);
        assert_eq!(message.header("x-folded"), Some("a b"));
        assert_eq!(message.message_id, format!("{}@mail.stub.test", message.id));
        let kept = "Return-Path: <bounces@shop.test>\r\nMessage-ID: <m@x>\r\n\r\nbody\r\n";
        stub.submit("bounces@shop.test", &["ana@example.com"], kept);
        assert_eq!(&stub.messages()[1].raw[..], kept.as_bytes());
    }
}
