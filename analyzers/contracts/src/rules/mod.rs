//! The rules of this crate: oasdiff's checks (one catalog, see [`oasdiff`]) and the tool's own
//! contract rules, one file each.

pub mod invalid_spec;
pub mod oasdiff;
pub mod operation_without_route;
pub mod response_conformance;
pub mod route_missing_from_spec;
pub mod unparsable_route_file;

pub use invalid_spec::INVALID_SPEC;
