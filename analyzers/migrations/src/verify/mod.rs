//! The round trip: every migration applied in order on a real Postgres, and each checked one
//! taken up, down and up again, comparing the schema read from the catalogs at each step.
//!
//! For a checked migration, on the database at the previous version:
//! 1. apply up (failure: `up-fails`, and the history stops); snapshot; what it lost compared
//!    with the previous snapshot is `destructive-change`;
//! 2. apply down (`down-fails`); snapshot; any difference with the previous snapshot is
//!    `down-drift`;
//! 3. apply up again (`reup-fails`); snapshot; any difference with step 1 is `reup-drift`.
//!
//! Each file runs the way its tool runs it: inside one transaction unless it opts out, else
//! as one query string. Every statement runs under `statement_timeout` and `lock_timeout`, so
//! a migration stuck behind a lock fails instead of hanging.
//!
//! Definitions that differ only in literals PostgreSQL folded from the clock during this run
//! (`'now'::timestamp` in a view) are the same (`creation_time.rs`). On a server older than
//! the PostgreSQL the project targets (`target.rs`), the first file that fails in a way the
//! newer server could accept is reported as `needs-newer-postgres`, and the history stops.

mod check_values;
mod creation_time;
mod diff;
mod probe;
mod report;
mod scratch;
pub mod server;
mod snapshot;
mod sqlite;
mod target;
mod token_diff;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use commerce_diagnostics::{Diagnostic, sort_and_dedup};
use commerce_project::{Dialect, FileSystem, MigrationsConfig};
use postgres::Client;

pub use creation_time::CreationWindow;
pub use diff::{Difference, Loss, compare, losses};
pub use probe::{NotAppendOnly, NotEnforced, ProbeReport};
pub use server::{PostgresServer, ServerError};
pub use snapshot::{ObjectKey, ObjectKind, Snapshot};
pub use target::TargetVersion;

use crate::layout::{Migration, MigrationFile, discover};
use crate::lint::{is_selected, migrations_dir};
use creation_time::RunClock;
use report::Reporter;
use scratch::ScratchDatabases;
use target::{ServerVersion, VersionGap, project_target};

/// What to verify and how long a statement may take.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Check every migration, ignoring `lint_from` and `only`.
    pub all: bool,
    /// Check only the migrations one of whose files is listed (changed against the base
    /// ref), relative to the project root or absolute. Every migration is still applied.
    pub only: Option<Vec<PathBuf>>,
    /// The longest any one statement may run.
    pub statement_timeout: Duration,
    /// The longest any one statement may wait for a lock.
    pub lock_timeout: Duration,
    /// Seeds the values of the constraint probes: the same seed, the same inserts.
    pub probe_seed: u64,
}

/// The constraint probes' seed unless one is given.
pub const DEFAULT_PROBE_SEED: u64 = 0x5EED;

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            all: false,
            only: None,
            statement_timeout: Duration::from_secs(60),
            lock_timeout: Duration::from_secs(10),
            probe_seed: DEFAULT_PROBE_SEED,
        }
    }
}

/// What the round trip found, and how long each migration took.
#[derive(Debug, Default)]
pub struct VerifyReport {
    pub diagnostics: Vec<Diagnostic>,
    pub timings: Vec<MigrationTiming>,
    /// The constraint probes on the final schema (empty when the history stopped early).
    pub probes: ProbeReport,
    /// The Postgres server's version (`15.18`); `None` on SQLite.
    pub server_version: Option<String>,
    /// The PostgreSQL the project targets, when it says.
    pub target: Option<TargetVersion>,
    /// What the user should know that is no finding: images whose tag names no version.
    pub notes: Vec<String>,
}

/// The time one migration took: each step, and in all (snapshots and copies included).
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationTiming {
    /// The up file, relative to the project root.
    pub migration: PathBuf,
    /// Whether it was round-tripped (else only applied).
    pub checked: bool,
    pub up: Duration,
    pub down: Option<Duration>,
    pub reup: Option<Duration>,
    pub total: Duration,
}

/// Why the round trip could not run at all. Findings about the migrations are diagnostics,
/// never errors.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{}", with_causes(.0))]
    Server(#[from] ServerError),
    #[error(
        "`[migrations] dialect = \"sqlite\"`: this history's round trip runs on SQLite (`verify_sqlite`), not on a Postgres server"
    )]
    UnsupportedDialect,
    #[error("cannot {action} on the in-memory SQLite database: {source}")]
    Sqlite {
        action: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot {action} on the Postgres server: {}", with_causes(.source))]
    Database {
        action: String,
        #[source]
        source: postgres::Error,
    },
}

/// `error`'s message followed by each cause it does not already quote: the driver says
/// only "error connecting to server" or "db error", its cause says why.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(current) = cause {
        let said = current.to_string();
        if !message.contains(&said) {
            message.push_str(": ");
            message.push_str(&said);
        }
        cause = current.source();
    }
    message
}

impl VerifyError {
    fn database(action: impl Into<String>) -> impl FnOnce(postgres::Error) -> Self {
        let action = action.into();
        move |source| VerifyError::Database { action, source }
    }
}

/// Verifies the migrations of `config.dir` under `root` on `server`.
///
/// Which migrations are checked: all with `options.all`; otherwise those at or after
/// `lint_from`, and of those only the listed ones when `options.only` is given. Every
/// migration is applied, checked or not, in order.
///
/// # Errors
/// Only when the round trip cannot run: an unsupported dialect, or the server refusing the
/// scratch databases. Migrations that fail are findings.
pub fn verify(
    fs: &dyn FileSystem,
    root: &Path,
    config: &MigrationsConfig,
    server: &PostgresServer,
    options: &VerifyOptions,
) -> Result<VerifyReport, VerifyError> {
    if config.dialect != Dialect::Postgres {
        return Err(VerifyError::UnsupportedDialect);
    }
    let discovery = discover(fs, root, &migrations_dir(config));
    let target = project_target(fs, root, config);
    let db = Postgres::new(server, options)?;
    let server_version = db.version;
    let gap = VersionGap::between(
        server_version,
        target.version.as_ref(),
        server.is_ephemeral(),
    );
    let mut run = RoundTrip::new(db, options, gap);
    if run.history(&discovery.migrations, root, config)? {
        run.report_unvalidated_constraints()?;
        run.probe_constraints()?;
    }
    Ok(VerifyReport {
        server_version: Some(server_version.to_string()),
        target: target.version,
        notes: target.notes,
        ..run.finish()
    })
}

/// [`verify`] for a SQLite history (`[migrations] dialect = "sqlite"`), on an in-memory
/// database: the same round trip, the schema read from `sqlite_master` and the table pragmas.
/// There are no constraint probes.
///
/// # Errors
/// When the SQLite database cannot be opened or its schema read.
pub fn verify_sqlite(
    fs: &dyn FileSystem,
    root: &Path,
    config: &MigrationsConfig,
    options: &VerifyOptions,
) -> Result<VerifyReport, VerifyError> {
    let discovery = discover(fs, root, &migrations_dir(config));
    let mut run = RoundTrip::new(sqlite::Sqlite::open(options)?, options, None);
    run.history(&discovery.migrations, root, config)?;
    Ok(run.finish())
}

/// Where a round trip runs: a scratch Postgres database or an in-memory SQLite one.
trait Database {
    /// Runs a migration file the way its tool does.
    fn apply(&mut self, file: &MigrationFile) -> Applied;
    fn snapshot(&mut self) -> Result<Snapshot, VerifyError>;
    /// Replaces the database with an empty one.
    fn reset(&mut self) -> Result<(), VerifyError>;
    /// The instants a literal folded from the clock during this run can hold, where the
    /// database folds them.
    fn creation_window(&self) -> Option<CreationWindow>;
}

/// A scratch database on a Postgres server, with an open connection to it.
struct Postgres<'a> {
    scratch: ScratchDatabases<'a>,
    database: String,
    client: Client,
    version: ServerVersion,
    clock: RunClock,
}

impl<'a> Postgres<'a> {
    fn new(server: &'a PostgresServer, options: &'a VerifyOptions) -> Result<Self, VerifyError> {
        let mut scratch = ScratchDatabases::new(server, options)?;
        let (database, mut client) = fresh_database(&mut scratch)?;
        let version = ServerVersion::read(&mut client)
            .map_err(VerifyError::database("read the server's version"))?;
        let clock = RunClock::read(&mut client)
            .map_err(VerifyError::database("read the server's clock"))?;
        Ok(Self {
            scratch,
            database,
            client,
            version,
            clock,
        })
    }
}

impl Database for Postgres<'_> {
    fn apply(&mut self, file: &MigrationFile) -> Applied {
        apply(&mut self.client, file)
    }

    fn snapshot(&mut self) -> Result<Snapshot, VerifyError> {
        Snapshot::take(&mut self.client)
            .map_err(VerifyError::database("read the schema from the catalogs"))
    }

    fn reset(&mut self) -> Result<(), VerifyError> {
        let (database, client) = fresh_database(&mut self.scratch)?;
        let stale = std::mem::replace(&mut self.database, database);
        self.client = client;
        self.scratch.drop_database(&stale)
    }

    fn creation_window(&self) -> Option<CreationWindow> {
        Some(self.clock.window())
    }
}

/// The state of one round trip through a history.
///
/// The round trip runs in place on one database: up, down and up again leave it at the up's
/// schema whenever the migration is sound, which the final snapshot confirms. Only when it
/// does not (a failed or drifting down, a failed re-up) is the database rebuilt, from
/// `template0` and every up so far. Copying the database before each migration instead would
/// cost a `CREATE DATABASE` (0.1-0.6 s measured here) per migration, against milliseconds for
/// the migrations themselves.
struct RoundTrip<'a, D> {
    /// The database at the last applied migration.
    db: D,
    options: &'a VerifyOptions,
    /// Its schema, when known (migrations applied without a check do not read it).
    schema: Option<Snapshot>,
    /// The up migrations applied so far, to rebuild the database from, each with whether
    /// it was checked.
    applied: Vec<(&'a Migration, bool)>,
    reporter: Reporter,
    timings: Vec<MigrationTiming>,
    probes: ProbeReport,
    /// Set when the server is older than the project's PostgreSQL.
    gap: Option<VersionGap>,
    /// Whether a file failed on such a server: the history stops.
    halted: bool,
}

impl<'a, D: Database> RoundTrip<'a, D> {
    fn new(db: D, options: &'a VerifyOptions, gap: Option<VersionGap>) -> Self {
        Self {
            db,
            options,
            schema: None,
            applied: Vec::new(),
            reporter: Reporter::default(),
            timings: Vec::new(),
            probes: ProbeReport::default(),
            gap,
            halted: false,
        }
    }

    /// Applies every migration in order, round-tripping the checked ones: all with
    /// `options.all`, else those at or after `lint_from` and listed in `options.only`.
    /// Whether the whole history applied.
    fn history(
        &mut self,
        migrations: &'a [Migration],
        root: &Path,
        config: &MigrationsConfig,
    ) -> Result<bool, VerifyError> {
        let only = self.options.only.as_ref().map(|paths| {
            paths
                .iter()
                .map(|path| path.strip_prefix(root).unwrap_or(path).to_path_buf())
                .collect::<Vec<_>>()
        });
        for migration in migrations {
            let checked = self.options.all || is_selected(migration, config, only.as_deref());
            if !self.step(migration, checked)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn finish(self) -> VerifyReport {
        let mut diagnostics = self.reporter.into_diagnostics();
        sort_and_dedup(&mut diagnostics);
        VerifyReport {
            diagnostics,
            timings: self.timings,
            probes: self.probes,
            ..VerifyReport::default()
        }
    }

    /// Reports `file`'s failure with `report`, or, when the server is older than the
    /// project's PostgreSQL and a newer one could accept what failed, as needing the newer
    /// one, which stops the history.
    fn failed(
        &mut self,
        file: &MigrationFile,
        failure: &Failure,
        report: impl FnOnce(&mut Reporter, &VerifyOptions),
    ) {
        let text = file.text.as_deref().unwrap_or_default();
        match &self.gap {
            Some(gap) if gap.may_explain(failure, text) => {
                self.reporter.needs_newer_postgres(file, failure, gap);
                self.halted = true;
            }
            _ => report(&mut self.reporter, self.options),
        }
    }

    /// The differences from `expected` to `actual`, creation-time literals aside.
    fn drift(&self, expected: &Snapshot, actual: &Snapshot) -> Vec<Difference> {
        compare(expected, actual, self.db.creation_window().as_ref())
    }

    /// Applies (and, when `checked`, round-trips) one migration. `Ok(false)` when the
    /// history cannot go on because the up migration fails.
    fn step(&mut self, migration: &'a Migration, checked: bool) -> Result<bool, VerifyError> {
        let started = Instant::now();
        let mut timing = MigrationTiming {
            migration: migration.up.path.clone(),
            checked,
            up: Duration::ZERO,
            down: None,
            reup: None,
            total: Duration::ZERO,
        };
        let going_on = if checked {
            self.round_trip(migration, &mut timing)?
        } else {
            self.apply_only(migration, &mut timing)
        };
        if going_on {
            self.applied.push((migration, checked));
        }
        timing.total = started.elapsed();
        self.timings.push(timing);
        Ok(going_on)
    }

    fn apply_only(&mut self, migration: &Migration, timing: &mut MigrationTiming) -> bool {
        let applied = self.db.apply(&migration.up);
        timing.up = applied.elapsed;
        self.schema = None;
        match applied.result {
            Ok(()) => true,
            Err(failure) => {
                self.failed(&migration.up, &failure, |reporter, options| {
                    reporter.up_fails(migration, &failure, options);
                });
                false
            }
        }
    }

    fn round_trip(
        &mut self,
        migration: &'a Migration,
        timing: &mut MigrationTiming,
    ) -> Result<bool, VerifyError> {
        let before = match self.schema.take() {
            Some(schema) => schema,
            None => self.db.snapshot()?,
        };
        let up = self.db.apply(&migration.up);
        timing.up = up.elapsed;
        if let Err(failure) = up.result {
            self.failed(&migration.up, &failure, |reporter, options| {
                reporter.up_fails(migration, &failure, options);
            });
            return Ok(false);
        }
        let after_up = self.db.snapshot()?;
        self.reporter
            .destructive(migration, losses(&before, &after_up));

        if let Some(down) = &migration.down {
            let ended_at_up =
                self.down_and_up_again(migration, down, &before, &after_up, timing)?;
            if self.halted {
                return Ok(false);
            }
            if !ended_at_up {
                self.rebuild_through(migration)?;
            }
        }
        self.schema = Some(after_up);
        Ok(true)
    }

    /// Steps 2 and 3. Whether the database ended exactly at the up's schema.
    fn down_and_up_again(
        &mut self,
        migration: &Migration,
        down: &MigrationFile,
        before: &Snapshot,
        after_up: &Snapshot,
        timing: &mut MigrationTiming,
    ) -> Result<bool, VerifyError> {
        let reverted = self.db.apply(down);
        timing.down = Some(reverted.elapsed);
        if let Err(failure) = reverted.result {
            self.failed(down, &failure, |reporter, options| {
                reporter.down_fails(down, &failure, options);
            });
            // A down in a transaction rolled back to the up's schema; one outside did not.
            return Ok(self.db.snapshot()? == *after_up);
        }
        let after_down = self.db.snapshot()?;
        let drift = self.drift(before, &after_down);
        self.reporter.down_drift(down, drift);

        let again = self.db.apply(&migration.up);
        timing.reup = Some(again.elapsed);
        if let Err(failure) = again.result {
            self.failed(&migration.up, &failure, |reporter, options| {
                reporter.reup_fails(migration, &failure, options);
            });
            return Ok(false);
        }
        let after_reup = self.db.snapshot()?;
        let drift = self.drift(after_up, &after_reup);
        let clean = drift.is_empty();
        self.reporter.reup_drift(migration, drift);
        Ok(clean)
    }

    /// Replaces the database with a fresh one holding every up so far and `migration`'s:
    /// where the history goes on after a round trip that did not end at the up's schema.
    fn rebuild_through(&mut self, migration: &'a Migration) -> Result<(), VerifyError> {
        self.db.reset()?;
        let earlier_ups = self.applied.iter().map(|(earlier, _)| *earlier);
        for earlier in earlier_ups.chain([migration]) {
            // Each succeeded on this very history a moment ago.
            if let Err(failure) = self.db.apply(&earlier.up).result {
                self.reporter.up_fails(earlier, &failure, self.options);
            }
        }
        Ok(())
    }

    /// The migration that most likely added the object `qualified` (`schema.table.name`):
    /// the latest applied up naming it, else the latest mentioning `fallback`; `None` unless
    /// that migration was checked.
    fn checked_adder(&self, qualified: &str, fallback: &str) -> Option<&'a Migration> {
        let name = unqualified(qualified);
        let latest_mentioning = |needle: &str| {
            self.applied
                .iter()
                .rev()
                .find(|(migration, _)| up_mentions(migration, needle))
        };
        match latest_mentioning(&name).or_else(|| latest_mentioning(fallback)) {
            Some((migration, true)) => Some(migration),
            _ => None,
        }
    }
}

/// What only Postgres has: `NOT VALID` constraints and the constraint probes.
impl<'a> RoundTrip<'a, Postgres<'a>> {
    /// Constraints still `NOT VALID` after the whole history, each reported on the checked
    /// migration that added it: the latest up naming it, or, for an unnamed one, the latest
    /// up with a `NOT VALID`.
    fn report_unvalidated_constraints(&mut self) -> Result<(), VerifyError> {
        let schema = match self.schema.take() {
            Some(schema) => schema,
            None => self.db.snapshot()?,
        };
        let unvalidated = schema.objects.iter().filter(|(key, attributes)| {
            key.kind == ObjectKind::Constraint
                && attributes
                    .get("validated")
                    .is_some_and(|value| value == "false")
        });
        for (key, attributes) in unvalidated {
            if let Some(migration) = self.checked_adder(&key.name, "not valid") {
                let definition = attributes.get("definition").map_or("", String::as_str);
                self.reporter.not_validated(migration, key, definition);
            }
        }
        Ok(())
    }

    /// The constraint and append-only probes on the final schema, each constraint that
    /// accepted a violating row, and each audit table that let a row change, reported on the
    /// checked migration that added it (or created its table).
    fn probe_constraints(&mut self) -> Result<(), VerifyError> {
        self.probes = probe::probe_constraints(&mut self.db.client, self.options.probe_seed)
            .map_err(VerifyError::database("probe the constraints"))?;
        for finding in &self.probes.not_enforced {
            if let Some(migration) = self.checked_adder(&finding.name, &unqualified(&finding.table))
            {
                self.reporter.not_enforced(migration, finding);
            }
        }
        for finding in &self.probes.not_append_only {
            if let Some(migration) =
                self.checked_adder(&finding.table, &unqualified(&finding.table))
            {
                self.reporter.not_append_only(migration, finding);
            }
        }
        Ok(())
    }
}

/// An empty database and a connection to it. From `template0`, which is never modified, so a
/// dirty `template1` cannot leak into the history.
fn fresh_database(scratch: &mut ScratchDatabases<'_>) -> Result<(String, Client), VerifyError> {
    let database = scratch.create()?;
    let client = scratch.connect(&database)?;
    Ok((database, client))
}

/// `orders` of `public.Orders`, lower case, as an up file is searched for it.
fn unqualified(table: &str) -> String {
    table.rsplit('.').next().unwrap_or_default().to_lowercase()
}

/// Whether the up file mentions `needle` (lower case), in any case.
fn up_mentions(migration: &Migration, needle: &str) -> bool {
    migration
        .up
        .text
        .as_deref()
        .is_ok_and(|text| text.to_lowercase().contains(needle))
}

/// A migration file that failed: Postgres' error and where in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub message: String,
    /// The SQLSTATE code, when the server sent one.
    pub code: Option<String>,
    /// The byte offset in the file the server pointed at.
    pub offset: Option<usize>,
}

impl Failure {
    /// Whether `statement_timeout` or `lock_timeout` stopped the statement.
    pub fn timed_out(&self) -> bool {
        matches!(self.code.as_deref(), Some("57014" | "55P03"))
    }
}

struct Applied {
    result: Result<(), Failure>,
    elapsed: Duration,
}

/// Runs a migration file the way sqlx and diesel do: in one transaction unless the file
/// opts out, else as one query string.
fn apply(client: &mut Client, file: &MigrationFile) -> Applied {
    let started = Instant::now();
    let result = match &file.text {
        Err(error) => Err(Failure {
            message: format!("cannot read the file: {error}"),
            code: None,
            offset: None,
        }),
        Ok(text) => {
            run_sql(client, text, file.in_transaction).map_err(|error| failure(&error, text))
        }
    };
    Applied {
        result,
        elapsed: started.elapsed(),
    }
}

fn run_sql(client: &mut Client, text: &str, in_transaction: bool) -> Result<(), postgres::Error> {
    if in_transaction {
        let mut transaction = client.transaction()?;
        transaction.batch_execute(text)?;
        transaction.commit()
    } else {
        client.batch_execute(text)
    }
}

fn failure(error: &postgres::Error, text: &str) -> Failure {
    let Some(database_error) = error.as_db_error() else {
        return Failure {
            message: error.to_string(),
            code: None,
            offset: None,
        };
    };
    let offset = match database_error.position() {
        Some(postgres::error::ErrorPosition::Original(position)) => text
            .char_indices()
            .nth((*position as usize).saturating_sub(1))
            .map(|(offset, _)| offset),
        _ => None,
    };
    let mut message = format!(
        "{}: {}",
        database_error.severity(),
        database_error.message()
    );
    if let Some(detail) = database_error.detail() {
        message.push_str(&format!(" ({detail})"));
    }
    Failure {
        message,
        code: Some(database_error.code().code().to_owned()),
        offset,
    }
}

#[cfg(test)]
mod tests;
