//! `commerce_testkit`: seeded, time-travelling, isolated integration tests of a commerce
//! backend on a real PostgreSQL, for the app's own tests (a dev-dependency).
//!
//! - [`seed`] and [`data`]: `COMMERCE_SEED`, a per-test generator, commerce data.
//! - [`clock`]: the [`clock::Clock`] the app takes, and a [`clock::TestClock`] that jumps.
//! - [`db`]: one Postgres per run, migrations once into a template, per-test [`Isolation`].
//! - [`side_effects`]: every write logged by triggers; [`assert_side_effects!`].
//! - [`http`]: requests into the `Router` in process, queries per request, snapshots,
//!   pagination.
//! - [`users`], [`auth`], [`tokens`], [`race`], [`ratelimit`]: users per worker, the auth
//!   matrix (its spec and policy from JSON or YAML: [`document`]), password-reset and refresh
//!   tokens, races, idempotency, stock, 429s.
//! - `load` (feature `load`, on by default): fixed-rate bursts on the `Router` in process
//!   through `commerce_load`'s open-model driver, p95 and error-rate assertions, warm vs cold.
//! - `contract` (feature `contract`, on by default): every response of a [`TestApp`] checked
//!   against the app's OpenAPI document (status, media type, body schema).
//! - [`case`]: the test's name, worker, temp dir, and the replay line on failure.
//! - [`telemetry`]: events for `cargo commerce test`'s report.
//! - `stubs` (feature `stubs`, on by default): the services an app talks to: stateful Stripe,
//!   PayPal, webhook and mail doubles, a queue, metrics, append-only audits.
//!
//! The kit depends on no tool crate except the ephemeral cluster (`commerce_pg`) and the
//! load driver (`commerce_load`, itself depending on no crate of ours), and on the app-side
//! `commerce_metrics` for its stubs.

pub mod auth;
pub mod case;
pub mod clock;
#[cfg(feature = "contract")]
pub mod contract;
pub mod data;
pub mod db;
pub mod document;
pub mod http;
#[cfg(feature = "load")]
pub mod load;
mod queries;
pub mod race;
pub mod ratelimit;
pub mod seed;
pub mod side_effects;
#[cfg(feature = "stubs")]
pub mod stubs;
pub mod telemetry;
pub mod tokens;
pub mod users;

pub use case::TestCase;
pub use db::{DbError, Isolation, TestDb};
pub use http::{TestApp, TestResponse};
pub use queries::N_PLUS_ONE_THRESHOLD;

/// For [`assert_api_snapshot!`]: the snapshot lands in the calling crate.
#[doc(hidden)]
pub use insta;
