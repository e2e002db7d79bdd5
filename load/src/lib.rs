//! Micro-load: short fixed-rate bursts with honest percentiles.
//!
//! The driver follows the open model: request `k` of a run is due `k / rate` seconds after the
//! start whatever the server does, and its latency counts from that due time, so a server that
//! stalls shows the stall in p95/p99 (no coordinated omission). Latencies go into HDR
//! histograms; the first burst (the warmup, after the app started or after a flush) is
//! reported apart from the measured one. The same engine drives a server over loopback
//! ([`HttpTarget`]) and an in-process tower service ([`ServiceTarget`]).
//!
//! This crate depends on no other crate of the tool, so the runner and the test kit both use it.

mod driver;
mod report;
mod scenario;
mod target;

pub use driver::{run, run_blocking, slot_count};
pub use report::{
    DriverReport, Errors, LOAD_VERSION, LoadReport, Percentiles, PhaseReport, Problem,
    ScenarioReport, TimelinePoint, delta, render_table,
};
pub use scenario::{Scenario, ScenarioError, Step, Template, Thresholds};
pub use target::{Exchange, Failure, HttpTarget, ServiceTarget, Target, TargetError};
