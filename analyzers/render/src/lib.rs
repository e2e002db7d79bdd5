//! Frontend render checks.

pub mod transpile;
