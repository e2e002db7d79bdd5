//! The harness every rule's tests share: run the whole lint over one SQL text as a sqlx
//! migration, keep one rule's findings, and print them for snapshots.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use commerce_diagnostics::{Diagnostic, Edit, LineIndex};
use commerce_project::Dialect;

use super::Rule;
use crate::layout::{Layout, Migration, MigrationFile};

/// Includes `fixtures/rules/migrations/<rule>/<file>` as `(name, text)`.
macro_rules! fixture {
    ($rule:literal, $file:literal) => {
        (
            $file,
            include_str!(concat!(
                "../../../../fixtures/rules/migrations/",
                $rule,
                "/",
                $file
            )),
        )
    };
}
pub(crate) use fixture;

/// Generates the two tests every rule has: its `invalid.sql` fixture matches the snapshot
/// (and reports at least one finding), and its `valid.sql` fixture has no findings.
macro_rules! fixture_tests {
    ($rule:literal) => {
        #[test]
        fn invalid_fixture_matches_its_snapshot() {
            let (name, text) = crate::rules::test_support::fixture!($rule, "invalid.sql");
            let found = crate::rules::test_support::findings(&RULE, text);
            assert!(!found.is_empty(), "{name}: expected findings");
            insta::assert_snapshot!("invalid", crate::rules::test_support::listing(&RULE, text));
        }

        #[test]
        fn valid_fixture_has_no_findings() {
            let (_, text) = crate::rules::test_support::fixture!($rule, "valid.sql");
            assert_eq!(crate::rules::test_support::findings(&RULE, text), []);
        }
    };
}
pub(crate) use fixture_tests;

/// The path every test migration has.
pub(crate) const TEST_PATH: &str = "migrations/20240101000000_test.up.sql";

/// A reversible sqlx migration whose up file is `text`; `-- no-transaction` works as in sqlx.
pub(crate) fn migration(text: &str) -> Migration {
    Migration {
        version: "20240101000000".to_owned(),
        name: "test".to_owned(),
        layout: Layout::Sqlx,
        up: MigrationFile {
            path: PathBuf::from(TEST_PATH),
            text: Ok(text.to_owned()),
            in_transaction: !text.starts_with("-- no-transaction"),
        },
        down: Some(MigrationFile {
            path: PathBuf::from("migrations/20240101000000_test.down.sql"),
            text: Ok("SELECT 1;\n".to_owned()),
            in_transaction: true,
        }),
        reversible: true,
        metadata: None,
    }
}

/// `rule`'s findings in `text` (Postgres), run through the whole lint.
pub(crate) fn findings(rule: &Rule, text: &str) -> Vec<Diagnostic> {
    findings_in(rule, &migration(text), Dialect::Postgres)
}

pub(crate) fn findings_in(rule: &Rule, migration: &Migration, dialect: Dialect) -> Vec<Diagnostic> {
    crate::lint::check_migration(migration, dialect, true)
        .into_iter()
        .filter(|diagnostic| diagnostic.rule == rule.meta.id)
        .collect()
}

/// The source text each finding points at.
pub(crate) fn pointed_at(rule: &Rule, text: &str) -> Vec<String> {
    findings(rule, text)
        .iter()
        .map(|diagnostic| text[diagnostic.range.to_usize_range()].to_owned())
        .collect()
}

/// Applies every fix's edits to `text`, last first, as the fix engine would.
pub(crate) fn apply_fixes(text: &str, diagnostics: &[Diagnostic]) -> String {
    let mut edits: Vec<&Edit> = diagnostics
        .iter()
        .filter_map(|diagnostic| diagnostic.fix.as_ref())
        .flat_map(|fix| &fix.edits)
        .filter(|edit| edit.path == Path::new(TEST_PATH))
        .collect();
    edits.sort_by_key(|edit| std::cmp::Reverse(edit.range));
    let mut fixed = text.to_owned();
    for edit in edits {
        fixed.replace_range(edit.range.to_usize_range(), &edit.new_text);
    }
    fixed
}

/// A plain listing for snapshots: where, severity, rule, message, the text pointed at, help,
/// fix, and at the end the text with every fix applied.
pub(crate) fn listing(rule: &Rule, text: &str) -> String {
    snapshot_listing(text, &findings(rule, text))
}

/// [`listing`] of `diagnostics` found in `text`, however they were found.
pub(crate) fn snapshot_listing(text: &str, diagnostics: &[Diagnostic]) -> String {
    let index = LineIndex::new(text);
    let mut out = String::new();
    for diagnostic in diagnostics {
        let range = index.source_range(diagnostic.range);
        let _ = writeln!(
            out,
            "{}:{}-{}:{} {} {}",
            range.start.line,
            range.start.column,
            range.end.line,
            range.end.column,
            diagnostic.severity,
            diagnostic.message
        );
        let _ = writeln!(out, "  | {}", &text[diagnostic.range.to_usize_range()]);
        for label in &diagnostic.related {
            let _ = writeln!(
                out,
                "  related: {} bytes {:?}: {}",
                label.path.display(),
                label.range.to_usize_range(),
                label.message
            );
        }
        if let Some(help) = &diagnostic.help {
            let _ = writeln!(out, "  help: {help}");
        }
        if let Some(fix) = &diagnostic.fix {
            let _ = writeln!(out, "  fix ({}): {}", fix.applicability.as_str(), fix.title);
        }
    }
    let edits = diagnostics
        .iter()
        .filter_map(|diagnostic| diagnostic.fix.as_ref())
        .flat_map(|fix| &fix.edits);
    for created in edits.filter(|edit| edit.path != Path::new(TEST_PATH) && edit.can_create()) {
        let _ = write!(
            out,
            "--- created {} ---\n{}",
            created.path.display(),
            created.new_text
        );
    }
    if diagnostics.iter().any(|diagnostic| {
        diagnostic.fix.as_ref().is_some_and(|fix| {
            fix.edits
                .iter()
                .any(|edit| edit.path == Path::new(TEST_PATH))
        })
    }) {
        let _ = write!(out, "--- fixed ---\n{}", apply_fixes(text, diagnostics));
    }
    out
}
