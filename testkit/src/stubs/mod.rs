//! Stateful doubles of the services a commerce backend calls (behind the kit's `stubs`
//! feature). Each runs in process (an axum `Router` plus a handle for assertions) and over
//! loopback (`cargo commerce stub <name>`), from one implementation.
//!
//! - [`mail`]: an SMTP server, Mailpit's HTTP API and SES v2 `SendEmail` over one mailbox,
//!   SES mailbox-simulator notifications as SNS messages, and the kit's mail assertions.
//! - [`webhook`]: provider-neutral outbound webhooks with retries on the clock and chaos.

pub mod mail;
pub mod webhook;
