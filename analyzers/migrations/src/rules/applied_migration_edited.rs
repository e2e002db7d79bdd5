//! `migrations/applied-migration-edited`: a migration that already exists on the base ref was
//! edited.

use std::collections::BTreeMap;
use std::path::PathBuf;

use commerce_diagnostics::{
    Diagnostic, FixAvailability, Severity, TextRange, TextSize, declare_rule,
};

use super::display_path;
use super::{Check, Rule};
use crate::layout::{Layout, Migration};

declare_rule! {
    /// ## What it does
    /// Flags an up migration that exists on the base ref (`--base`, where this branch forked
    /// from it) and whose content changed since. Old migrations are checked too, whatever
    /// `lint_from` says: editing history is the mistake.
    ///
    /// ## Why is this bad?
    /// sqlx records the SHA-384 checksum of every migration it applies and refuses to run
    /// (`migration … was previously applied but has been modified`) when a file no longer
    /// matches: every deploy to a database that already ran it fails. diesel keeps no
    /// checksum, so the edit silently never runs where the migration already ran, and
    /// production's schema is no longer the one the code was tested against.
    ///
    /// ## Example
    /// `20240101120000_add_orders.sql` is on `main`; the branch changes its
    /// `total numeric(10,2)` to `total numeric(12,2)`.
    ///
    /// Use instead: restore the file as it is on `main`, and make the change in a new
    /// migration (`ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2)`).
    ///
    /// ## Fix safety
    /// No fix: whether to restore the file or to move the change into a new migration is for
    /// a person to decide.
    pub AppliedMigrationEdited {
        id: "migrations/applied-migration-edited",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::new(AppliedMigrationEdited::META, Check::Reported);

/// The up files of `migrations` whose text differs from their text on the base ref.
/// `base_texts` holds the up files that exist there (project-relative path to bytes); a
/// migration missing from it is new.
pub(crate) fn check<'m>(
    migrations: impl IntoIterator<Item = &'m Migration>,
    base_ref: &str,
    base_texts: &BTreeMap<PathBuf, Vec<u8>>,
) -> Vec<Diagnostic> {
    migrations
        .into_iter()
        .filter_map(|migration| {
            let base = base_texts.get(&migration.up.path)?;
            let text = migration.up.text.as_deref().ok()?;
            let changed_at = first_difference(base, text.as_bytes())?;
            Some(diagnostic(migration, base_ref, text, changed_at))
        })
        .collect()
}

fn diagnostic(migration: &Migration, base_ref: &str, text: &str, changed_at: usize) -> Diagnostic {
    let consequence = match migration.layout {
        Layout::Sqlx => {
            "sqlx's recorded checksum (SHA-384 of the file) no longer matches, so `sqlx migrate run` fails on every database that already applied it"
        }
        Layout::Diesel => {
            "databases that already ran it never run the edit, so their schema silently differs from a fresh one"
        }
    };
    let meta = AppliedMigrationEdited::META;
    let path = &migration.up.path;
    Diagnostic::new(
        meta.id,
        meta.default_severity,
        path,
        line_at(text, changed_at),
        format!("this migration is on `{base_ref}` and was edited: {consequence}"),
    )
    .with_data("migration", display_path(path))
    .with_help(format!(
        "restore the file as it is on `{base_ref}` and make the change in a new migration"
    ))
}

/// The byte offset where `current` stops matching `base`, if they differ.
fn first_difference(base: &[u8], current: &[u8]) -> Option<usize> {
    if base == current {
        return None;
    }
    Some(
        base.iter()
            .zip(current)
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| base.len().min(current.len())),
    )
}

/// The line of `text` holding `offset`, without its line terminator.
fn line_at(text: &str, offset: usize) -> TextRange {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |newline| newline + 1);
    let end = text[offset..]
        .find('\n')
        .map_or(text.len(), |newline| offset + newline);
    let end = if text[start..end].ends_with('\r') {
        end - 1
    } else {
        end
    };
    // `start` and `end` sit next to ASCII newlines, so they are character boundaries.
    TextRange::new(TextSize::from_usize(start), TextSize::from_usize(end))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::rules::test_support::{fixture, migration, snapshot_listing};

    fn edited(base: &str, current: &str) -> Vec<Diagnostic> {
        let migration = migration(current);
        let base_texts = BTreeMap::from([(migration.up.path.clone(), base.as_bytes().to_vec())]);
        check([&migration], "main", &base_texts)
    }

    #[test]
    fn an_edited_migration_is_reported_on_the_first_changed_line() {
        let (_, base) = fixture!("applied-migration-edited", "base.sql");
        let (_, current) = fixture!("applied-migration-edited", "edited.sql");
        insta::assert_snapshot!("edited", snapshot_listing(current, &edited(base, current)));
    }

    #[test]
    fn an_unchanged_or_new_migration_is_not() {
        let text = "CREATE TABLE orders (id bigint);\n";
        assert_eq!(edited(text, text), []);
        assert_eq!(check([&migration(text)], "main", &BTreeMap::new()), []);
    }

    #[test]
    fn text_cut_off_at_the_end_points_at_the_last_line() {
        let found = edited("SELECT 1;\r\nSELECT 2;\r\n", "SELECT 1;\r\nSELECT 2;");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].range, TextRange::from_usize_range(11..20));
    }

    #[test]
    fn diesel_migrations_are_reported_for_the_silent_drift() {
        let mut diesel = migration("CREATE TABLE orders (id bigint, total numeric(12,2));");
        diesel.layout = Layout::Diesel;
        diesel.up.path = Path::new("migrations/2024-01-01-000000_orders/up.sql").to_path_buf();
        let base_texts = BTreeMap::from([(
            diesel.up.path.clone(),
            b"CREATE TABLE orders (id bigint, total numeric(10,2));".to_vec(),
        )]);
        let found = check([&diesel], "origin/main", &base_texts);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains("never run the edit"),
            "{}",
            found[0].message
        );
    }
}
