//! The fix engine behind `cargo commerce check --fix`, `cargo commerce fix` and the language
//! server's quick fixes.
//!
//! Three steps, each usable alone:
//! 1. [`fix_all`] applies the fixes of a set of diagnostics in memory, in passes: it filters by
//!    applicability, takes non-conflicting fixes in a deterministic order (deferring the others
//!    to the next pass), reverts each fix after which a file no longer parses, and re-analyses
//!    through a [`FixHost`], which is how language knowledge comes in: this crate knows no
//!    language.
//! 2. [`FixOutcome::diff`] shows the result as a unified diff (`--diff`).
//! 3. [`write_outcome`] writes it, only if no target changed since analysis ([`ContentHashes`]),
//!    only inside the project root, and atomically per file.
//!
//! [`apply_edits`] is the primitive underneath: the edits of one file, checked, applied at once.
//!
//! Edit conflicts: two edits conflict when their ranges overlap (touching ranges do not) or when
//! both insert at the same offset with different text, since their order would be a guess; the
//! later fix is deferred. Identical edits proposed by two fixes are applied once.

mod diff;
mod edit;
mod engine;
mod error;
mod hash;
mod outcome;
mod plan;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod write;

pub use diff::unified_diff;
pub use edit::{EditError, apply_edits};
pub use engine::{FixHost, FixOptions, fix_all};
pub use error::FixError;
pub use hash::{ContentHash, ContentHashes};
pub use outcome::{AppliedFix, FileOutcome, FixOutcome, RejectedFix, RevertedFix};
pub use plan::InvalidFix;
pub use write::{WriteReport, write_outcome};
