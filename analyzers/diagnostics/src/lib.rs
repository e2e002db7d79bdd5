//! The diagnostics model every analyzer, the fix engine, the CLI and the language server share.
//!
//! Nothing here does I/O or knows a source language: analyzers produce [`Diagnostic`]s with
//! byte ranges, [`LineIndex`] turns those into the 1-based positions people read and the UTF-16
//! positions LSP clients expect, and [`render`] writes them in every output format we support.

mod diagnostic;
mod line_index;
mod registry;
pub mod render;
mod rule;
pub mod suggest;
mod text;

pub use diagnostic::{Applicability, Diagnostic, Edit, Fix, Label, Severity, sort_and_dedup};
pub use line_index::{LineIndex, SourcePosition, SourceRange, Utf16Position};
pub use registry::{DOC_SECTIONS, Rule, registry_problems};
pub use rule::{FixAvailability, RuleMeta, RuleRegistry, doc_text};
pub use text::{TextRange, TextSize};
