//! Facts from Rust source via syn: test functions and their attributes, axum routers and utoipa
//! paths, and sqlx query strings, shared by the test-suite rules, contracts, migrations and the
//! runner.
//!
//! Every Rust parse in the workspace goes through this crate, which turns proc-macro2 spans
//! into byte ranges before it returns and then frees proc-macro2's per-thread record of the
//! parsed text (see [`parse`]). Callers get plain data, never syn types.

pub mod parse;
pub mod routes;
pub mod sqlx_queries;
pub mod test_fns;

pub use parse::ParseError;
pub use routes::{
    FileRoutes, Nest, NestTarget, RouteDecl, RouterExpr, RouterFn, UtoipaPath, file_routes,
};
pub use sqlx_queries::{SqlxQuery, sqlx_queries};
pub use test_fns::{Ignore, TestFunction, test_functions};
