//! Frontend analysis over swc.
//!
//! [`parse`] turns a TypeScript/JavaScript file into an swc AST whose spans map back to our byte
//! ranges; the import collector, resolver, graph and graph rules build on it.

pub mod parse;

pub use parse::{Dialect, ParseError, ParsedModule, is_frontend_source, parse_module};
