//! Doubles of the services a commerce backend talks to, each one implementation used in
//! process (an axum `Router` or a Rust handle for assertions) and, where a service is reached
//! over the network, over loopback through `cargo commerce stub <name>`.
//!
//! - [`stripe`]: PaymentIntents, Charges, Refunds, Disputes, Events, signed webhooks.
//! - [`paypal`]: OAuth2 token, Orders v2, captures and refunds, transmission-signed webhooks.
//! - [`mail`]: an SMTP server, Mailpit's HTTP API and SES v2 `SendEmail` over one mailbox,
//!   SES mailbox-simulator notifications as SNS messages, and the kit's mail assertions.
//! - [`webhook`]: provider-neutral outbound webhooks with retries on the clock and chaos.
//! - [`serve`]: bind, serve until SIGINT/SIGTERM (the CLI's `stub` commands).
//! - [`queue`]: an in-process broker (topics, schemas, ack/nack, retries on the test clock,
//!   dead letters, dedupe, delays).
//! - [`metrics`]: reading an app's `/metrics` in assertions (the registry itself is the app's
//!   `commerce_metrics`).
//! - [`audit`]: append-only audit tables as a migration, and the transitions assertion.

/// The router type the stubs serve (for callers that do not depend on axum).
pub use axum::Router;

pub mod audit;
pub mod mail;
pub mod metrics;
pub mod paypal;
pub mod queue;
pub mod serve;
pub mod stripe;
pub mod webhook;

/// Standard base64 (the `Authorization: Basic` of the payment APIs); `None` when malformed.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}
