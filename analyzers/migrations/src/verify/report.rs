//! Turning round-trip outcomes into diagnostics on the migration files.

use std::path::Path;

use commerce_diagnostics::{Diagnostic, RuleMeta, TextRange, TextSize};
use commerce_project::Dialect;

use super::diff::{Difference, Loss};
use super::probe::{NotAppendOnly, NotEnforced};
use super::snapshot::ObjectKey;
use super::target::VersionGap;
use super::{Failure, VerifyOptions};
use crate::layout::{Migration, MigrationFile};
use crate::rules::audit_not_append_only::AuditNotAppendOnly;
use crate::rules::constraint_not_enforced::ConstraintNotEnforced;
use crate::rules::constraint_not_validated::ConstraintNotValidated;
use crate::rules::destructive_change::DestructiveChange;
use crate::rules::display_path;
use crate::rules::down_drift::DownDrift;
use crate::rules::down_fails::DownFails;
use crate::rules::needs_newer_postgres::NeedsNewerPostgres;
use crate::rules::reup_drift::ReupDrift;
use crate::rules::reup_fails::ReupFails;
use crate::rules::up_fails::UpFails;
use crate::sql::SqlFile;

#[derive(Debug, Default)]
pub(super) struct Reporter {
    diagnostics: Vec<Diagnostic>,
}

impl Reporter {
    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }

    pub fn up_fails(&mut self, migration: &Migration, failure: &Failure, options: &VerifyOptions) {
        let diagnostic = failed(
            &UpFails::META,
            &migration.up,
            failure,
            options,
            "the up migration fails on the previous migration's schema",
        )
        .with_help("later migrations were not verified; fix this one first");
        self.diagnostics.push(diagnostic);
    }

    pub fn down_fails(&mut self, down: &MigrationFile, failure: &Failure, options: &VerifyOptions) {
        let diagnostic = failed(
            &DownFails::META,
            down,
            failure,
            options,
            "the down migration fails right after its up migration",
        )
        .with_help("a down migration must undo its up migration, in reverse order");
        self.diagnostics.push(diagnostic);
    }

    pub fn reup_fails(
        &mut self,
        migration: &Migration,
        failure: &Failure,
        options: &VerifyOptions,
    ) {
        let diagnostic = failed(
            &ReupFails::META,
            &migration.up,
            failure,
            options,
            "the up migration fails when applied again after its down migration",
        )
        .with_help("the down migration probably leaves behind something this migration creates");
        self.diagnostics.push(diagnostic);
    }

    /// A file that failed on a server older than the project's PostgreSQL.
    pub fn needs_newer_postgres(
        &mut self,
        file: &MigrationFile,
        failure: &Failure,
        gap: &VersionGap,
    ) {
        let target = &gap.target;
        let meta = NeedsNewerPostgres::META;
        let mut diagnostic = Diagnostic::new(
            meta.id,
            meta.default_severity,
            &file.path,
            failure_range(file, failure),
            format!(
                "this migration needs PostgreSQL ≥ {} (the project targets it: {}); {}, where it fails: {}",
                target.major,
                target.source,
                gap.server_described(),
                failure.message
            ),
        )
        .with_data("migration", display_path(&file.path))
        .with_data("server_version", gap.server.to_string())
        .with_data("target_version", target.major)
        .with_data("target_source", target.source.clone())
        .with_help(format!(
            "set DATABASE_URL to a PostgreSQL {} server: this migration and the ones after it were not verified",
            target.major
        ));
        if let Some(code) = &failure.code {
            diagnostic = diagnostic.with_data("sqlstate", code.clone());
        }
        self.diagnostics.push(diagnostic);
    }

    pub fn down_drift(&mut self, down: &MigrationFile, differences: Vec<Difference>) {
        if differences.is_empty() {
            return;
        }
        let diagnostic = drifted(
            &DownDrift::META,
            &down.path,
            "the down migration does not restore the schema from before the up migration",
            &differences,
        )
        .with_help(
            "undo exactly what the up migration does: every object, default, constraint and index",
        );
        self.diagnostics.push(diagnostic);
    }

    pub fn reup_drift(&mut self, migration: &Migration, differences: Vec<Difference>) {
        if differences.is_empty() {
            return;
        }
        let diagnostic = drifted(
            &ReupDrift::META,
            &migration.up.path,
            "applied again after its down migration, the up migration gives a different schema",
            &differences,
        )
        .with_help(
            "the down migration leaves something behind that this migration then changes again",
        );
        self.diagnostics.push(diagnostic);
    }

    pub fn destructive(&mut self, migration: &Migration, losses: Vec<Loss>) {
        let text = migration.up.text.as_deref().unwrap_or_default();
        for loss in losses {
            let range = statement_naming(text, &loss.object.name)
                .unwrap_or_else(|| TextRange::empty(TextSize::new(0)));
            let meta = DestructiveChange::META;
            self.diagnostics.push(
                Diagnostic::new(meta.id, meta.default_severity, &migration.up.path, range, loss.description)
                    .with_data("migration", display_path(&migration.up.path))
                    .with_data("object", loss.object.to_string())
                    .with_help("make sure nothing still needs this data, or keep it (expand/contract) until nothing does"),
            );
        }
    }
}

impl Reporter {
    pub fn not_validated(
        &mut self,
        migration: &Migration,
        constraint: &ObjectKey,
        definition: &str,
    ) {
        let diagnostic = on_statement_naming(
            &ConstraintNotValidated::META,
            migration,
            &[&constraint.name],
            format!(
                "{constraint} ({definition}) is still NOT VALID after the last migration: rows older than it were never checked"
            ),
        )
        .with_data("object", constraint.to_string())
        .with_help("add a migration that runs `ALTER TABLE … VALIDATE CONSTRAINT …` once the old rows are clean");
        self.diagnostics.push(diagnostic);
    }

    pub fn not_enforced(&mut self, migration: &Migration, finding: &NotEnforced) {
        let diagnostic = on_statement_naming(
            &ConstraintNotEnforced::META,
            migration,
            &[&finding.name, &finding.table],
            format!(
                "{} constraint {} ({}) accepted a row that violates it: `{}`",
                finding.kind, finding.name, finding.definition, finding.insert
            ),
        )
        .with_data("object", finding.name.clone())
        .with_data("insert", finding.insert.clone())
        .with_help("find what disables it (triggers disabled, a rule or trigger rewriting inserts) and restore it, then clean up the rows it let in");
        self.diagnostics.push(diagnostic);
    }

    pub fn not_append_only(&mut self, migration: &Migration, finding: &NotAppendOnly) {
        let diagnostic = on_statement_naming(
            &AuditNotAppendOnly::META,
            migration,
            &[&finding.table],
            format!(
                "audit table {} accepted {} of a row: `{}`",
                finding.table,
                if finding.operation == "UPDATE" { "an UPDATE" } else { "a DELETE" },
                finding.statement
            ),
        )
        .with_data("object", finding.table.clone())
        .with_data("statement", finding.statement.clone())
        .with_help("add triggers that raise on UPDATE, DELETE and TRUNCATE (`cargo commerce audit sql` prints them), or restore the ones a migration dropped or disabled");
        self.diagnostics.push(diagnostic);
    }
}

/// A finding of `meta`'s rule on `migration`'s up file, at the first `DROP`/`ALTER` naming
/// the first of `names` that one names (else at the start).
fn on_statement_naming(
    meta: &RuleMeta,
    migration: &Migration,
    names: &[&str],
    message: String,
) -> Diagnostic {
    let text = migration.up.text.as_deref().unwrap_or_default();
    let range = names
        .iter()
        .find_map(|name| statement_naming(text, name))
        .unwrap_or_else(|| TextRange::empty(TextSize::new(0)));
    Diagnostic::new(
        meta.id,
        meta.default_severity,
        &migration.up.path,
        range,
        message,
    )
    .with_data("migration", display_path(&migration.up.path))
}

fn failed(
    meta: &RuleMeta,
    file: &MigrationFile,
    failure: &Failure,
    options: &VerifyOptions,
    what: &str,
) -> Diagnostic {
    let range = failure_range(file, failure);
    let timeout = if failure.timed_out() {
        format!(
            " (stopped after waiting: statement_timeout = {:?}, lock_timeout = {:?}; the statement hangs on a lock or runs too long)",
            options.statement_timeout, options.lock_timeout
        )
    } else {
        String::new()
    };
    let mut diagnostic = Diagnostic::new(
        meta.id,
        meta.default_severity,
        &file.path,
        range,
        format!("{what}: {}{timeout}", failure.message),
    )
    .with_data("migration", display_path(&file.path));
    if let Some(code) = &failure.code {
        diagnostic = diagnostic.with_data("sqlstate", code.clone());
    }
    diagnostic
}

/// The statement of `file` the server pointed at, else its start.
fn failure_range(file: &MigrationFile, failure: &Failure) -> TextRange {
    let text = file.text.as_deref().unwrap_or_default();
    failure.offset.map_or_else(
        || TextRange::empty(TextSize::new(0)),
        |offset| statement_at(text, offset),
    )
}

fn drifted(meta: &RuleMeta, path: &Path, what: &str, differences: &[Difference]) -> Diagnostic {
    let listed: Vec<String> = differences.iter().map(ToString::to_string).collect();
    let changes: Vec<serde_json::Value> = differences.iter().map(Difference::to_json).collect();
    Diagnostic::new(
        meta.id,
        meta.default_severity,
        path,
        TextRange::empty(TextSize::new(0)),
        format!("{what}: {}", listed.join("; ")),
    )
    .with_data("migration", display_path(path))
    .with_data("differences", listed)
    .with_data("changes", changes)
}

/// The range of the statement containing `offset`, or an empty range there.
fn statement_at(text: &str, offset: usize) -> TextRange {
    let offset = TextSize::from_usize(offset.min(text.len()));
    SqlFile::parse(text, Dialect::Postgres)
        .statements
        .iter()
        .map(|statement| statement.range)
        .find(|range| range.start() <= offset && offset <= range.end())
        .unwrap_or_else(|| TextRange::empty(offset))
}

/// The first `DROP`/`ALTER` statement that names the object's own name (the last part of
/// `schema.table.column`), which is most likely the one that lost it.
fn statement_naming(text: &str, qualified: &str) -> Option<TextRange> {
    let name = qualified.rsplit('.').next()?;
    SqlFile::parse(text, Dialect::Postgres)
        .statements
        .iter()
        .find(|statement| {
            let tokens = statement.tokens();
            (tokens.starts_with_words(&["DROP"]) || tokens.starts_with_words(&["ALTER"]))
                && statement.tokens.iter().any(|token| match &token.token {
                    sqlparser::tokenizer::Token::Word(word) => {
                        word.value.eq_ignore_ascii_case(name)
                    }
                    _ => false,
                })
        })
        .map(|statement| statement.range)
}
