//! Test databases on one PostgreSQL per run, migrated once into a template, isolated per test.
//!
//! The server: `DATABASE_URL` when set (`cargo commerce test` sets it to the ephemeral cluster
//! it starts once per run and stops at the end); else the cluster the test runner's children
//! share, started by the first test process from the machine's binaries and stopped by a
//! watchdog as soon as the test runner (`cargo nextest run`, `cargo test`) exits, Ctrl-C
//! included (see [`commerce_pg::shared`]).
//!
//! The migrations (sqlx's layout: `<version>_<name>.sql` or `.up.sql`, applied in version
//! order; the kit applies them itself and keeps no `_sqlx_migrations` table) are applied once
//! per run into a template database (`commerce_tpl_<hash of the files>`; on a server named by
//! `DATABASE_URL` it stays, and later runs with the same files reuse it), with the side-effect log
//! ([`crate::side_effects`]) installed on every table. Each test then picks an [`Isolation`]:
//!
//! - [`Isolation::Transaction`] (default): the test's pool has one connection inside a
//!   transaction that is never committed; the app's own `pool.begin()` becomes a savepoint.
//!   Dropping the [`TestDb`] (a pass, a failure or a panic) closes the connection, and
//!   Postgres rolls everything back. Concurrent requests share that one connection.
//! - [`Isolation::Database`]: a fresh database cloned from the template, dropped at the end.
//!   For code that commits, holds several connections, or races.
//! - [`Isolation::Schema`]: a schema per worker (migrated once per run, reset to the
//!   migrations' own rows before each test), chosen through `search_path`. For code that
//!   commits, cheaper than a database when migrations are quick.
//!
//! ```
//! use commerce_testkit::{TestDb, Isolation};
//!
//! # let dir = tempfile_dir();
//! # std::fs::write(dir.join("1_items.sql"), "CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL);").unwrap();
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let db = TestDb::start(&dir).await;
//! sqlx::query("INSERT INTO items (name) VALUES ('kept only in this test')")
//!     .execute(db.pool())
//!     .await
//!     .unwrap();
//! let log = db.side_effects().await;
//! commerce_testkit::assert_side_effects!(log, inserted { items: 1 });
//! drop(db); // rolled back
//!
//! let db = TestDb::start_with(&dir, Isolation::Database).await;
//! let count: i64 = sqlx::query_scalar("SELECT count(*) FROM items").fetch_one(db.pool()).await.unwrap();
//! assert_eq!(count, 0);
//! # });
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # fn tempfile_dir() -> std::path::PathBuf {
//! #     let dir = std::env::temp_dir().join(format!("kit-doc-db-{}", std::process::id()));
//! #     std::fs::create_dir_all(&dir).unwrap();
//! #     dir
//! # }
//! ```

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgDatabaseError, PgErrorPosition, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool};

use crate::case::TestCase;
use crate::side_effects::{self, SideEffects};

/// How a test is kept apart from the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Isolation {
    /// One connection in a transaction rolled back at the end.
    #[default]
    Transaction,
    /// A fresh database cloned from the migrated template.
    Database,
    /// The worker's own schema, reset before the test, through `search_path`.
    Schema,
}

/// Why no test database could be had.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DbError {
    #[error("{0}")]
    Server(String),
    #[error("DATABASE_URL is not a Postgres URL: {0}")]
    Url(String),
    #[error("cannot read the migrations in {}: {message}", dir.display())]
    Migrations { dir: PathBuf, message: String },
    #[error(
        "migration {}:{line} failed while building the test template: {message}",
        file.display()
    )]
    Migration {
        file: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{context}: {message}")]
    Sql { context: String, message: String },
}

fn sql_error(context: &str) -> impl FnOnce(sqlx::Error) -> DbError + '_ {
    move |error| DbError::Sql {
        context: context.to_owned(),
        message: error.to_string(),
    }
}

/// One migration file.
#[derive(Debug, Clone)]
struct MigrationFile {
    version: u64,
    path: PathBuf,
    sql: String,
}

/// The migrations of a directory, and the names of the databases built from them.
#[derive(Debug, Clone)]
struct Migrations {
    files: Vec<MigrationFile>,
    hash: u64,
}

impl Migrations {
    fn read(dir: &Path) -> Result<Self, DbError> {
        let error = |message: String| DbError::Migrations {
            dir: dir.to_path_buf(),
            message,
        };
        let entries = std::fs::read_dir(dir).map_err(|e| error(e.to_string()))?;
        let mut files = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| error(e.to_string()))?.path();
            let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
                continue;
            };
            if !name.ends_with(".sql") || name.ends_with(".down.sql") {
                continue;
            }
            let Some(version) = name
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|digits| digits.parse().ok())
            else {
                continue;
            };
            let sql = std::fs::read_to_string(&path)
                .map_err(|e| error(format!("{}: {e}", path.display())))?;
            files.push(MigrationFile { version, path, sql });
        }
        files.sort_by(|a, b| a.version.cmp(&b.version).then(a.path.cmp(&b.path)));
        let mut text = format!("kit-schema-{}\n", side_effects::SCHEMA_VERSION);
        for file in &files {
            text.push_str(&format!("{}\n{}\n", file.version, file.sql));
        }
        Ok(Self {
            files,
            hash: crate::seed::stable_hash(text.as_bytes()),
        })
    }

    fn template(&self) -> String {
        format!("commerce_tpl_{:016x}", self.hash)
    }

    /// The database transaction-isolated tests share, cloned from the template.
    fn shared(&self) -> String {
        format!("commerce_run_{:016x}", self.hash)
    }

    /// Applies every file on `conn`, each in its own transaction unless it starts with
    /// sqlx's `-- no-transaction`.
    async fn apply(&self, conn: &mut PgConnection) -> Result<(), DbError> {
        for file in &self.files {
            let outcome = if file.sql.trim_start().starts_with("-- no-transaction") {
                sqlx::raw_sql(AssertSqlSafe(file.sql.clone()))
                    .execute(&mut *conn)
                    .await
                    .map(drop)
            } else {
                let mut tx = conn.begin().await.map_err(sql_error("BEGIN"))?;
                match sqlx::raw_sql(AssertSqlSafe(file.sql.clone()))
                    .execute(&mut *tx)
                    .await
                {
                    Ok(_) => tx.commit().await,
                    Err(error) => Err(error),
                }
            };
            if let Err(error) = outcome {
                return Err(migration_error(file, &error));
            }
        }
        Ok(())
    }
}

/// The file and line a migration failed at: Postgres reports a character position in the
/// statement text.
fn migration_error(file: &MigrationFile, error: &sqlx::Error) -> DbError {
    let position = error
        .as_database_error()
        .and_then(|error| error.try_downcast_ref::<PgDatabaseError>())
        .and_then(|error| match error.position() {
            Some(PgErrorPosition::Original(position)) => Some(position),
            _ => None,
        });
    let line = position.map_or(1, |position| {
        1 + file
            .sql
            .chars()
            .take(position.saturating_sub(1))
            .filter(|c| *c == '\n')
            .count()
    });
    DbError::Migration {
        file: file.path.clone(),
        line,
        message: error
            .as_database_error()
            .map_or_else(|| error.to_string(), |error| error.message().to_owned()),
    }
}

/// The server every test of this process uses: `DATABASE_URL`, else the shared cluster.
fn server() -> Result<PgConnectOptions, DbError> {
    static SERVER: OnceLock<Result<String, DbError>> = OnceLock::new();
    let url = SERVER
        .get_or_init(|| match std::env::var("DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => Ok(url),
            _ => {
                let binaries = commerce_pg::Binaries::find()
                    .map_err(|error| DbError::Server(error.to_string()))?;
                commerce_pg::shared(&binaries, std::os::unix::process::parent_id())
                    .map_err(|error| DbError::Server(error.to_string()))
            }
        })
        .clone()?;
    url.parse::<PgConnectOptions>()
        .map_err(|error| DbError::Url(error.to_string()))
}

/// The migrations of `dir`, read once per process.
fn migrations_of(dir: &Path) -> Result<Migrations, DbError> {
    static READ: Mutex<Vec<(PathBuf, Migrations)>> = Mutex::new(Vec::new());
    let mut read = READ
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, migrations)) = read.iter().find(|(known, _)| known == dir) {
        return Ok(migrations.clone());
    }
    let migrations = Migrations::read(dir)?;
    read.push((dir.to_path_buf(), migrations.clone()));
    Ok(migrations)
}

/// The template and the shared database of `migrations`, built once per run. The outcome is
/// remembered per process (a failed migration too), so later tests pay nothing.
async fn prepare(server: &PgConnectOptions, migrations: &Migrations) -> Result<(), DbError> {
    static BUILT: Mutex<Vec<(u64, Result<(), DbError>)>> = Mutex::new(Vec::new());
    let known = BUILT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .find(|(hash, _)| *hash == migrations.hash)
        .map(|(_, outcome)| outcome.clone());
    if let Some(outcome) = known {
        return outcome;
    }
    let outcome = build(server, migrations).await;
    BUILT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push((migrations.hash, outcome.clone()));
    outcome
}

/// Builds the template and the shared database unless another process did, under an
/// advisory lock so parallel test processes build them once.
async fn build(server: &PgConnectOptions, migrations: &Migrations) -> Result<(), DbError> {
    let mut admin = admin(server).await?;
    let key = migrations.hash as i64;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(key)
        .execute(&mut admin)
        .await
        .map_err(sql_error("taking the template lock"))?;
    let outcome = build_locked(server, &mut admin, migrations).await;
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(key)
        .execute(&mut admin)
        .await;
    outcome
}

async fn build_locked(
    server: &PgConnectOptions,
    admin: &mut PgConnection,
    migrations: &Migrations,
) -> Result<(), DbError> {
    let (template, shared) = (migrations.template(), migrations.shared());
    if database_exists(admin, &shared).await? {
        return Ok(());
    }
    // A half-built template from a killed process.
    execute(admin, &format!("DROP DATABASE IF EXISTS {template}")).await?;
    execute(admin, &format!("CREATE DATABASE {template}")).await?;
    let built = async {
        let mut conn = connect(server, &template).await?;
        migrations.apply(&mut conn).await?;
        side_effects::install(&mut conn, "public").await?;
        conn.close()
            .await
            .map_err(sql_error("closing the template"))
    }
    .await;
    if let Err(error) = built {
        let _ = execute(admin, &format!("DROP DATABASE IF EXISTS {template}")).await;
        return Err(error);
    }
    execute(
        admin,
        &format!("CREATE DATABASE {shared} TEMPLATE {template}"),
    )
    .await
}

async fn database_exists(conn: &mut PgConnection, name: &str) -> Result<bool, DbError> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(conn)
        .await
        .map_err(sql_error("listing databases"))
}

pub(crate) async fn execute(conn: &mut PgConnection, sql: &str) -> Result<(), DbError> {
    sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
        .execute(conn)
        .await
        .map(drop)
        .map_err(|error| DbError::Sql {
            context: sql.lines().next().unwrap_or_default().to_owned(),
            message: error.to_string(),
        })
}

async fn admin(server: &PgConnectOptions) -> Result<PgConnection, DbError> {
    let database = server.get_database().unwrap_or("postgres").to_owned();
    connect(server, &database).await
}

async fn connect(server: &PgConnectOptions, database: &str) -> Result<PgConnection, DbError> {
    PgConnection::connect_with(&server.clone().database(database))
        .await
        .map_err(|error| DbError::Sql {
            context: format!("connecting to database `{database}`"),
            message: error.to_string(),
        })
}

/// A pool of one connection inside a transaction that is never committed.
async fn transaction_pool(options: PgConnectOptions) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .idle_timeout(None)
        .max_lifetime(None)
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _| {
            Box::pin(async move {
                // Opened through sqlx and never closed (the guard is forgotten, so it does not
                // roll back): sqlx counts the connection as in a transaction, and the app's own
                // `begin()` nests as a savepoint.
                conn.begin().await.map(std::mem::forget)
            })
        })
        .connect_with(options)
        .await
}

/// Whether connecting failed because the database does not exist (yet).
fn missing_database(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|error| error.code())
        .is_some_and(|code| code == "3D000")
}

/// A test's database: a pool the app under test uses, and the side-effect log.
///
/// Dropped (the test passed, failed or panicked), it rolls back or drops what the test did;
/// while the test panics, the replay line is printed.
#[derive(Debug)]
pub struct TestDb {
    pool: PgPool,
    isolation: Isolation,
    /// The schema the log and the app's tables live in.
    schema: String,
    /// A fresh database to drop at the end.
    owned_database: Option<(PgConnectOptions, String)>,
    /// Holds the worker schema's advisory lock for the test's life.
    _schema_lock: Option<PgConnection>,
    /// The log rows the test read, named in the report when it fails.
    touched: Mutex<Vec<i64>>,
    case: TestCase,
}

impl TestDb {
    /// A transaction-isolated database with the migrations of `migrations_dir`.
    ///
    /// # Panics
    /// When no database can be had; the message says why (Postgres not installed, a
    /// migration's file and line).
    pub async fn start(migrations_dir: impl AsRef<Path>) -> Self {
        Self::start_with(migrations_dir, Isolation::Transaction).await
    }

    /// A database isolated as `isolation` says.
    ///
    /// # Panics
    /// As [`TestDb::start`].
    pub async fn start_with(migrations_dir: impl AsRef<Path>, isolation: Isolation) -> Self {
        let case = TestCase::current();
        Self::try_start(migrations_dir.as_ref(), isolation, case)
            .await
            .unwrap_or_else(|error| panic!("no test database: {error}"))
    }

    /// Like [`TestDb::start_with`] for a given test context, with the error returned.
    ///
    /// # Errors
    /// See [`DbError`].
    pub async fn try_start(
        migrations_dir: &Path,
        isolation: Isolation,
        case: TestCase,
    ) -> Result<Self, DbError> {
        let server = server()?;
        let migrations = migrations_of(migrations_dir)?;
        match isolation {
            Isolation::Transaction => {
                let shared = server.clone().database(&migrations.shared());
                // The shared database is created last, whole, from the finished template: when
                // a connection to it opens, there is nothing to build and no lock to take, so a
                // fresh test process pays one connection and its BEGIN.
                let pool = match transaction_pool(shared.clone()).await {
                    Err(error) if missing_database(&error) => {
                        prepare(&server, &migrations).await?;
                        transaction_pool(shared).await
                    }
                    opened => opened,
                }
                .map_err(sql_error("opening the test transaction"))?;
                Ok(Self {
                    pool,
                    isolation,
                    schema: "public".to_owned(),
                    owned_database: None,
                    _schema_lock: None,
                    touched: Mutex::default(),
                    case,
                })
            }
            Isolation::Database => {
                prepare(&server, &migrations).await?;
                static FRESH: AtomicUsize = AtomicUsize::new(0);
                let name = format!(
                    "commerce_t_{}_{}_{}",
                    migrations.hash as u32,
                    std::process::id(),
                    FRESH.fetch_add(1, Ordering::Relaxed)
                );
                let mut admin = admin(&server).await?;
                let version: String = sqlx::query_scalar("SHOW server_version_num")
                    .fetch_one(&mut admin)
                    .await
                    .map_err(sql_error("reading the server version"))?;
                // Postgres 15's default copy WAL-logs every block; copying the files was faster
                // for a small template (by hand with psql on a 20-migration history: 0.17-0.49 s
                // against 0.42-0.84 s, on a loaded machine).
                let strategy = if version.parse::<u32>().is_ok_and(|v| v >= 150_000) {
                    " STRATEGY FILE_COPY"
                } else {
                    ""
                };
                execute(
                    &mut admin,
                    &format!(
                        "CREATE DATABASE {name} TEMPLATE {}{strategy}",
                        migrations.template()
                    ),
                )
                .await?;
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .connect_with(server.clone().database(&name))
                    .await
                    .map_err(sql_error("connecting to the fresh database"))?;
                Ok(Self {
                    pool,
                    isolation,
                    schema: "public".to_owned(),
                    owned_database: Some((server, name)),
                    _schema_lock: None,
                    touched: Mutex::default(),
                    case,
                })
            }
            Isolation::Schema => {
                prepare(&server, &migrations).await?;
                let shared = server.clone().database(&migrations.shared());
                let mut lock = PgConnection::connect_with(&shared)
                    .await
                    .map_err(sql_error("connecting to the shared database"))?;
                let schema = claim_schema(&mut lock, &migrations, case.worker()).await?;
                side_effects::reset_schema(&mut lock, &schema).await?;
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .connect_with(shared.options([("search_path", schema.as_str())]))
                    .await
                    .map_err(sql_error("connecting to the worker schema"))?;
                Ok(Self {
                    pool,
                    isolation,
                    schema,
                    owned_database: None,
                    _schema_lock: Some(lock),
                    touched: Mutex::default(),
                    case,
                })
            }
        }
    }

    /// The pool to give the app under test.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// How this database is isolated.
    pub fn isolation(&self) -> Isolation {
        self.isolation
    }

    /// The test's context: seed, generator, worker, temp dir.
    pub fn case(&self) -> &TestCase {
        &self.case
    }

    /// Every write to an application table so far, in statement order.
    ///
    /// # Panics
    /// When the log cannot be read.
    pub async fn side_effects(&self) -> SideEffects {
        self.side_effects_since(0).await
    }

    /// The position of the side-effect log now, to read only what follows.
    ///
    /// # Panics
    /// When the log cannot be read.
    pub async fn mark(&self) -> i64 {
        sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT coalesce(max(seq), 0) FROM {}.test_log",
            self.schema
        )))
        .fetch_one(&self.pool)
        .await
        .unwrap_or_else(|error| panic!("cannot read the side-effect log: {error}"))
    }

    /// The writes logged after `mark` (from [`TestDb::mark`]).
    ///
    /// # Panics
    /// When the log cannot be read.
    pub async fn side_effects_since(&self, mark: i64) -> SideEffects {
        let log = side_effects::read(&self.pool, &self.schema, mark)
            .await
            .unwrap_or_else(|error| panic!("cannot read the side-effect log: {error}"));
        self.touched
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(log.seqs());
        log
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // The rows a failing test touched, for the report (when the runner asked).
            crate::telemetry::failing_test(
                &self.case,
                &self.schema,
                &self
                    .touched
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
        }
        let Some((server, name)) = self.owned_database.take() else {
            return;
        };
        // Dropped outside any runtime the test may be tearing down: a thread of its own.
        let dropped = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(mut admin) = admin(&server).await {
                    let _ = execute(
                        &mut admin,
                        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    )
                    .await;
                }
            });
        });
        let _ = dropped.join();
    }
}

/// The first worker schema from `worker` on whose advisory lock `conn` gets; created (the
/// migrations applied in it) when it does not exist yet.
async fn claim_schema(
    conn: &mut PgConnection,
    migrations: &Migrations,
    worker: usize,
) -> Result<String, DbError> {
    for slot in worker.. {
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
            .bind(migrations.hash as i32)
            .bind(slot as i32)
            .fetch_one(&mut *conn)
            .await
            .map_err(sql_error("taking a worker schema"))?;
        if !taken {
            continue;
        }
        let schema = format!("commerce_w{slot}");
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
                .bind(&schema)
                .fetch_one(&mut *conn)
                .await
                .map_err(sql_error("listing schemas"))?;
        if !exists {
            execute(
                conn,
                &format!("CREATE SCHEMA {schema}; SET search_path TO {schema}"),
            )
            .await?;
            let built = async {
                migrations.apply(conn).await?;
                side_effects::install(conn, &schema).await?;
                side_effects::snapshot_schema(conn, &schema).await
            }
            .await;
            execute(conn, "SET search_path TO DEFAULT").await?;
            if let Err(error) = built {
                let _ = execute(conn, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await;
                return Err(error);
            }
        }
        return Ok(schema);
    }
    unreachable!("some worker slot is free")
}
