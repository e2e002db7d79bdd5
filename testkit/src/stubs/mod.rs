//! Stateful doubles of the services a commerce backend calls (behind the kit's `stubs`
//! feature). Each runs in process (an axum `Router` plus a handle for assertions) and over
//! loopback (`cargo commerce stub <name>`), from one implementation.
//!
//! - [`serve`]: bind, serve until SIGINT/SIGTERM (the CLI's `stub` commands).
//! - [`stripe`]: PaymentIntents, Charges, Refunds, Disputes, Events, signed webhooks.
//! - [`webhook`]: provider-neutral outbound webhooks with retries on the clock and chaos.

/// The router type the stubs serve (for callers that do not depend on axum).
pub use axum::Router;

pub mod serve;
pub mod stripe;
pub mod webhook;
