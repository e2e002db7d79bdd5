//! The migration rules, one per file. Each rule file declares its rule with `declare_rule!`,
//! and exports a `RULE: Rule` naming its check (for a static rule, with its keyword scan for
//! statements sqlparser could not read), registered in [`RULES`].

use std::path::Path;

use commerce_diagnostics::{Diagnostic, RuleMeta, TextRange};
use sqlparser::ast;

use crate::layout::{Direction, Migration, MigrationFile};
use crate::sql::ddl::{AlterOperation, alter_operations};
use crate::sql::{SqlFile, Statement, TokenSlice};

pub mod adding_field_with_default;
pub mod adding_foreign_key_constraint;
pub mod adding_not_nullable_field;
pub mod adding_required_field;
pub mod adding_serial_primary_key_field;
pub mod applied_migration_edited;
pub mod audit_not_append_only;
pub mod ban_char_field;
pub mod ban_concurrent_index_creation_in_transaction;
pub mod ban_drop_column;
pub mod ban_drop_database;
pub mod ban_drop_default;
pub mod ban_drop_not_null;
pub mod ban_drop_table;
pub mod ban_drop_view;
pub mod ban_truncate_cascade;
pub mod changing_column_type;
pub mod code_references_dropped_column;
pub mod constraint_missing_not_valid;
pub mod constraint_not_enforced;
pub mod constraint_not_validated;
pub mod destructive_change;
pub mod disallowed_unique_constraint;
pub mod down_drift;
pub mod down_fails;
pub mod invalid_migration;
pub mod irreversible_down;
pub mod missing_down_migration;
pub mod needs_newer_postgres;
pub mod prefer_bigint_over_int;
pub mod prefer_bigint_over_smallint;
pub mod prefer_identity;
pub mod prefer_robust_stmts;
pub mod prefer_text_field;
pub mod prefer_timestamp_tz;
pub mod query_without_tenant_scope;
pub mod renaming_column;
pub mod renaming_table;
pub mod require_concurrent_index_creation;
pub mod require_concurrent_index_deletion;
pub mod require_timeout_settings;
pub mod reup_drift;
pub mod reup_fails;
pub mod transaction_nesting;
pub mod unparsable_statement;
pub mod up_fails;

mod column_types;
mod fixes;
#[cfg(test)]
mod test_support;

commerce_diagnostics::rule_registry! {
    /// Every migration rule, one line each; `lint` runs the file checks over each migration
    /// file.
    pub(crate) static RULES: [Rule] = [
        adding_field_with_default,
        adding_foreign_key_constraint,
        adding_not_nullable_field,
        adding_required_field,
        adding_serial_primary_key_field,
        applied_migration_edited,
        audit_not_append_only,
        ban_char_field,
        ban_concurrent_index_creation_in_transaction,
        ban_drop_column,
        ban_drop_database,
        ban_drop_default,
        ban_drop_not_null,
        ban_drop_table,
        ban_drop_view,
        ban_truncate_cascade,
        changing_column_type,
        code_references_dropped_column,
        constraint_missing_not_valid,
        constraint_not_enforced,
        constraint_not_validated,
        destructive_change,
        disallowed_unique_constraint,
        down_drift,
        down_fails,
        invalid_migration,
        irreversible_down,
        missing_down_migration,
        needs_newer_postgres,
        prefer_bigint_over_int,
        prefer_bigint_over_smallint,
        prefer_identity,
        prefer_robust_stmts,
        prefer_text_field,
        prefer_timestamp_tz,
        query_without_tenant_scope,
        renaming_column,
        renaming_table,
        require_concurrent_index_creation,
        require_concurrent_index_deletion,
        require_timeout_settings,
        reup_drift,
        reup_fails,
        transaction_nesting,
        unparsable_statement,
        up_fails,
    ];
}

/// A migration rule in the registry.
pub(crate) type Rule = commerce_diagnostics::Rule<Check>;

/// How a migration rule runs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Check {
    /// A static check over each migration file.
    File(FileCheck),
    /// Reported where its analysis finds it: discovery (`invalid-migration`), the base ref
    /// (`applied-migration-edited`), the project's Rust code (`code-references-dropped-column`,
    /// `rust/query-without-tenant-scope`) or the round trip (`verify`).
    Reported,
}

/// A static check over one migration file, and its keyword scan.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FileCheck {
    /// Postgres-only rules (locks, `CONCURRENTLY`, column types) are skipped for SQLite.
    pub postgres_only: bool,
    /// Whether the rule also reads down files (most rules judge only what an up does).
    pub checks_down: bool,
    pub check: fn(&MigrationSource<'_>) -> Vec<Diagnostic>,
    /// For a statement sqlparser could not read: the words that suggest this rule's finding,
    /// and where they are.
    pub keyword_scan: Option<fn(TokenSlice<'_>) -> Option<TextRange>>,
}

/// One migration file as the rules see it.
#[derive(Debug)]
pub(crate) struct MigrationSource<'a> {
    pub migration: &'a Migration,
    pub direction: Direction,
    pub file: &'a MigrationFile,
    pub text: &'a str,
    pub sql: &'a SqlFile,
    /// Whether other migrations of the directory have down files.
    pub directory_is_reversible: bool,
    created_tables: std::collections::HashSet<String>,
}

impl<'a> MigrationSource<'a> {
    pub fn new(
        migration: &'a Migration,
        direction: Direction,
        file: &'a MigrationFile,
        text: &'a str,
        sql: &'a SqlFile,
        directory_is_reversible: bool,
    ) -> Self {
        Self {
            migration,
            direction,
            file,
            text,
            sql,
            directory_is_reversible,
            created_tables: crate::sql::ddl::created_tables(&sql.statements),
        }
    }

    pub fn path(&self) -> &'a Path {
        &self.file.path
    }

    /// A diagnostic of `meta`'s rule at `range` of this file, with `data.migration` set.
    pub fn diagnostic(
        &self,
        meta: &RuleMeta,
        range: TextRange,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(meta.id, meta.default_severity, self.path(), range, message)
            .with_data("migration", display_path(self.path()))
    }

    pub fn statements(&self) -> &'a [Statement] {
        &self.sql.statements
    }

    /// The statements sqlparser read, with their syntax trees.
    pub fn parsed(&self) -> impl Iterator<Item = (&'a Statement, &'a ast::Statement)> {
        self.sql
            .statements
            .iter()
            .filter_map(|statement| statement.ast().map(|parsed| (statement, parsed)))
    }

    /// Every `ALTER TABLE` operation of this file, one by one.
    pub(crate) fn alterations(&self) -> impl Iterator<Item = AlterOperation<'a>> {
        self.statements().iter().flat_map(alter_operations)
    }

    /// The `ALTER TABLE` operations on tables this file did not create: the ones that can lock
    /// or break what others are using.
    pub(crate) fn alterations_of_existing_tables(
        &self,
    ) -> impl Iterator<Item = AlterOperation<'a>> + '_ {
        self.alterations()
            .filter(|operation| !self.creates_table(operation.table))
    }

    /// Whether this file created the table (so nobody else can be waiting on it).
    pub fn creates_table(&self, name: &ast::ObjectName) -> bool {
        self.creates_table_keyed(&crate::sql::ddl::table_key(name))
    }

    /// As [`Self::creates_table`], for a name already reduced by `table_key`.
    pub fn creates_table_keyed(&self, key: &str) -> bool {
        self.created_tables.contains(key)
    }

    /// Whether `statement` runs inside a transaction: the tool's own, or a `BEGIN` earlier in
    /// the file that no `COMMIT`/`ROLLBACK` has closed.
    pub fn in_transaction_at(&self, statement: &Statement) -> bool {
        self.file.in_transaction || self.explicit_transaction_open_at(statement)
    }

    fn explicit_transaction_open_at(&self, statement: &Statement) -> bool {
        let mut open = false;
        for earlier in self.statements() {
            if std::ptr::eq(earlier, statement) {
                break;
            }
            let tokens = earlier.tokens();
            if is_transaction_start(tokens) {
                open = true;
            } else if is_transaction_end(tokens) {
                open = false;
            }
        }
        open
    }
}

/// `BEGIN`, `BEGIN TRANSACTION`, `START TRANSACTION` (not a `BEGIN … END` body).
pub(crate) fn is_transaction_start(tokens: TokenSlice<'_>) -> bool {
    tokens.starts_with_words(&["START", "TRANSACTION"])
        || (tokens.starts_with_words(&["BEGIN"])
            && (tokens.len() == 1
                || tokens.words_at(1, &["TRANSACTION"])
                || tokens.words_at(1, &["WORK"])
                || tokens.words_at(1, &["ISOLATION"])))
}

/// `COMMIT`, `END`, `ROLLBACK` (not `ROLLBACK TO SAVEPOINT`).
pub(crate) fn is_transaction_end(tokens: TokenSlice<'_>) -> bool {
    tokens.starts_with_words(&["COMMIT"])
        || (tokens.starts_with_words(&["END"]) && tokens.len() <= 2)
        || (tokens.starts_with_words(&["ROLLBACK"]) && tokens.find_words(&["TO"]).is_none())
}

/// The sqlx queries of the Rust file `path` (relative to `root`); none when it cannot be
/// read or does not parse (another rule's business).
pub(crate) fn file_queries(
    fs: &dyn commerce_project::FileSystem,
    root: &Path,
    path: &Path,
) -> Vec<commerce_rust::SqlxQuery> {
    let Ok(text) = fs.read_to_string(&root.join(path)) else {
        return Vec::new();
    };
    // Cheap: most Rust files run no query, and parsing is what costs.
    if !text.contains("query") {
        return Vec::new();
    }
    commerce_rust::sqlx_queries(&text).unwrap_or_default()
}

/// A path as reports show it: `/` separators.
pub(crate) fn display_path(path: &Path) -> String {
    path.components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// `name` as written in messages: `orders`, `public.orders`.
pub(crate) fn shown(name: &impl std::fmt::Display) -> String {
    format!("`{name}`")
}
