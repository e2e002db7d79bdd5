//! `migrations/invalid-migration`: a file in the migrations directory that its tool would
//! skip or refuse, or that cannot be read.

use std::path::Path;

use commerce_diagnostics::{
    Diagnostic, FixAvailability, Severity, TextRange, TextSize, declare_rule,
};

use super::display_path;
use super::{Check, Rule};
use crate::layout::LayoutProblem;

declare_rule! {
    /// ## What it does
    /// Flags files in the migrations directory that the migration tool would skip or refuse:
    /// a sqlx file without `_` between version and description, a version that is not an
    /// integer, a down file without its up file, a plain `.sql` beside an `.up.sql` of the
    /// same version, a version used twice, an unreadable diesel `metadata.toml`, and files
    /// that are not UTF-8.
    ///
    /// ## Why is this bad?
    /// A skipped file never runs, silently: the schema in production is not the one the
    /// code was tested against. A refused one stops every deploy until it is fixed.
    ///
    /// ## Example
    /// `migrations/add_orders.sql` (no version), `migrations/2024_01_orders.sql` beside
    /// `migrations/2024_01_orders.up.sql`.
    ///
    /// ## Fix safety
    /// No fix: renaming a migration that already ran elsewhere needs care.
    pub InvalidMigration {
        id: "migrations/invalid-migration",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(InvalidMigration::META, Check::Reported);

/// The diagnostic for a problem found while discovering the migrations.
pub(crate) fn diagnostic(problem: &LayoutProblem) -> Diagnostic {
    file_diagnostic(&problem.path, &problem.message).with_help(problem.help.clone())
}

/// The diagnostic for a migration file that cannot be read as UTF-8 text.
pub(crate) fn unreadable(path: &Path, error: &str) -> Diagnostic {
    file_diagnostic(path, &format!("cannot read this migration: {error}"))
        .with_help("migration files must be readable UTF-8 text")
}

fn file_diagnostic(path: &Path, message: &str) -> Diagnostic {
    let meta = InvalidMigration::META;
    Diagnostic::new(
        meta.id,
        meta.default_severity,
        path,
        TextRange::empty(TextSize::new(0)),
        message,
    )
    .with_data("migration", display_path(path))
}
