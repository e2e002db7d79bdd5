//! Doubles of the services a commerce backend talks to, each one implementation used in
//! process (a Rust handle for assertions) and, where a service is reached over the network,
//! over loopback through `cargo commerce stub …`.
//!
//! - [`queue`]: an in-process broker (topics, schemas, ack/nack, retries on the test clock,
//!   dead letters, dedupe, delays).
//! - [`metrics`]: reading an app's `/metrics` in assertions (the registry itself is the app's
//!   `commerce_metrics`).
//! - [`audit`]: append-only audit tables as a migration, and the transitions assertion.

pub mod audit;
pub mod metrics;
pub mod queue;
