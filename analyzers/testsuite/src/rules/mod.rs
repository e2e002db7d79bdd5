//! One rule per file: doc comment, check, fix and tests together.

pub mod focused_or_skipped_test;
