//! The test runner behind `cargo commerce test`, `watch` and `report merge`: suites from
//! `commerce.toml` over cargo-nextest (plain `cargo test` when nextest is missing), the tests a
//! change can reach, shards, seeds and retries, a report in every format in
//! `target/commerce/`, and gates against a baseline report.
//!
//! Test processes run in their own process group; cancelling a run (Ctrl-C, a newer save in
//! watch mode) kills the whole group and still writes a partial report.

pub mod cancel;
pub mod changed;
pub mod depinfo;
mod doctest;
mod error;
pub mod failure;
pub mod gates;
mod junit;
mod libtest;
pub mod load;
pub mod merge;
pub mod nextest;
mod process;
pub mod report;
mod rules;
mod run;
pub mod shard;
pub mod suite;
pub mod testkit;
pub mod watch;
pub mod workspace;

pub use cancel::CancelToken;
pub use error::RunnerError;
pub use rules::rules;
pub use run::{Changes, Notice, RunnerChoice, TestRequest, TestRun, run_tests};
