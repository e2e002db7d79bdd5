//! The fix engine through its public API, with a host that really re-analyses text.

mod fix_all;
mod host;
mod properties;
mod write_outcome;
