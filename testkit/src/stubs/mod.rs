//! Stateful doubles of the services a commerce backend calls (behind the kit's `stubs`
//! feature). Each runs in process (an axum `Router` plus a handle for assertions) and over
//! loopback (`cargo commerce stub <name>`), from one implementation.
//!
//! - [`stripe`]: PaymentIntents, Charges, Refunds, Disputes, Events, signed webhooks.
//! - [`webhook`]: provider-neutral outbound webhooks with retries on the clock and chaos.

pub mod stripe;
pub mod webhook;
