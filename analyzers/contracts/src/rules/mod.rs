//! The rules of this crate: the tool's own contract rules, one file each and one line each in
//! [`RULES`], and oasdiff's checks, one catalog line each in [`oasdiff::CHECKS`] (ids and
//! levels are oasdiff's registry, which the conformance test compares it with). Every contract
//! rule is reported where the pipeline finds it (loading, diffing, routes, the contract test).

pub mod invalid_spec;
pub mod oasdiff;
pub mod operation_without_route;
pub mod response_conformance;
pub mod route_missing_from_spec;
pub mod unparsable_route_file;

pub use invalid_spec::INVALID_SPEC;

commerce_diagnostics::rule_registry! {
    /// The tool's own contract rules, one line each.
    pub(crate) static RULES: [commerce_diagnostics::Rule] = [
        invalid_spec,
        operation_without_route,
        response_conformance,
        route_missing_from_spec,
        unparsable_route_file,
    ];
}
