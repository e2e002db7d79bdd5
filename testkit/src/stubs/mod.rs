//! Doubles of the services a commerce backend talks to, each one implementation used in
//! process (an axum `Router` or a Rust handle for assertions) and, where a service is reached
//! over the network, over loopback through `cargo commerce stub <name>`.
//!
//! - [`mail`]: an SMTP server, Mailpit's HTTP API and SES v2 `SendEmail` over one mailbox,
//!   SES mailbox-simulator notifications as SNS messages, and the kit's mail assertions.
//! - [`webhook`]: provider-neutral outbound webhooks with retries on the clock and chaos.
//! - [`queue`]: an in-process broker (topics, schemas, ack/nack, retries on the test clock,
//!   dead letters, dedupe, delays).
//! - [`metrics`]: reading an app's `/metrics` in assertions (the registry itself is the app's
//!   `commerce_metrics`).
//! - [`audit`]: append-only audit tables as a migration, and the transitions assertion.

pub mod audit;
pub mod mail;
pub mod metrics;
pub mod queue;
pub mod webhook;
