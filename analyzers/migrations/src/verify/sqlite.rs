//! The round trip's database for SQLite histories: an in-memory database (bundled SQLite, so
//! nothing needs installing), its schema read from `sqlite_master` and the table pragmas.

use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::snapshot::{Attributes, ObjectKey, ObjectKind, Snapshot, normalize_expression};
use super::{Applied, CreationWindow, Database, Failure, VerifyError, VerifyOptions};
use crate::layout::MigrationFile;

/// How many SQLite virtual-machine steps run between two checks of the statement timeout.
const STEPS_BETWEEN_TIMEOUT_CHECKS: i32 = 10_000;

pub(super) struct Sqlite {
    connection: Connection,
    statement_timeout: Duration,
}

impl Sqlite {
    pub fn open(options: &VerifyOptions) -> Result<Self, VerifyError> {
        Ok(Self {
            connection: open_in_memory()?,
            statement_timeout: options.statement_timeout,
        })
    }

    fn read_schema(&self) -> rusqlite::Result<Snapshot> {
        let mut snapshot = Snapshot::default();
        let mut objects = self.connection.prepare(
            "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        )?;
        let rows = objects.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
            ))
        })?;
        let mut tables = Vec::new();
        for row in rows {
            let (kind, name, table, sql) = row?;
            let kind = match kind.as_str() {
                "table" => {
                    tables.push(name.clone());
                    ObjectKind::Table
                }
                "view" => ObjectKind::View,
                "index" => ObjectKind::Index,
                "trigger" => ObjectKind::Trigger,
                _ => continue,
            };
            let mut attributes = Attributes::new();
            if kind != ObjectKind::Table {
                attributes.insert("definition", normalize_expression(&sql));
                attributes.insert("table", table);
            }
            snapshot
                .objects
                .insert(ObjectKey { kind, name }, attributes);
        }
        for table in tables {
            self.read_columns(&table, &mut snapshot)?;
            self.read_foreign_keys(&table, &mut snapshot)?;
        }
        Ok(snapshot)
    }

    fn read_columns(&self, table: &str, snapshot: &mut Snapshot) -> rusqlite::Result<()> {
        let mut columns = self.connection.prepare(
            "SELECT name, type, \"notnull\", coalesce(dflt_value, ''), pk FROM pragma_table_info(?1)",
        )?;
        let rows = columns.query_map([table], |row| {
            let mut attributes = Attributes::new();
            attributes.insert("type", row.get::<_, String>(1)?);
            attributes.insert("not null", (row.get::<_, i64>(2)? != 0).to_string());
            attributes.insert("default", normalize_expression(&row.get::<_, String>(3)?));
            attributes.insert("primary key position", row.get::<_, i64>(4)?.to_string());
            Ok((format!("{table}.{}", row.get::<_, String>(0)?), attributes))
        })?;
        for row in rows {
            let (name, attributes) = row?;
            let key = ObjectKey {
                kind: ObjectKind::Column,
                name,
            };
            snapshot.objects.insert(key, attributes);
        }
        Ok(())
    }

    /// Foreign keys have no names in SQLite: each is keyed by its columns and target.
    fn read_foreign_keys(&self, table: &str, snapshot: &mut Snapshot) -> rusqlite::Result<()> {
        let mut keys = self.connection.prepare(
            "SELECT id, \"table\", group_concat(\"from\", ', '), group_concat(coalesce(\"to\", ''), ', '), \
                    on_update, on_delete \
             FROM pragma_foreign_key_list(?1) GROUP BY id ORDER BY id",
        )?;
        let rows = keys.query_map([table], |row| {
            let target: String = row.get(1)?;
            let from: String = row.get(2)?;
            let to: String = row.get(3)?;
            let mut attributes = Attributes::new();
            attributes.insert(
                "definition",
                format!("FOREIGN KEY ({from}) REFERENCES {target}({to})"),
            );
            attributes.insert("on update", row.get::<_, String>(4)?);
            attributes.insert("on delete", row.get::<_, String>(5)?);
            Ok((format!("{table}.fk({from})->{target}"), attributes))
        })?;
        for row in rows {
            let (name, attributes) = row?;
            let key = ObjectKey {
                kind: ObjectKind::Constraint,
                name,
            };
            snapshot.objects.insert(key, attributes);
        }
        Ok(())
    }
}

impl Sqlite {
    /// SQLite's message, without the SQL it quotes (the diagnostic is on the file already).
    fn describe(&self, error: &rusqlite::Error) -> String {
        match error {
            rusqlite::Error::SqliteFailure(failure, _)
                if failure.code == rusqlite::ErrorCode::OperationInterrupted =>
            {
                format!(
                    "interrupted after statement_timeout = {:?}: the migration runs too long",
                    self.statement_timeout
                )
            }
            rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
            other => other.to_string(),
        }
    }
}

impl Database for Sqlite {
    fn apply(&mut self, file: &MigrationFile) -> Applied {
        let started = Instant::now();
        let deadline = started + self.statement_timeout;
        // A migration that never ends (a runaway recursive query) is interrupted. Should the
        // handler not install, the migration merely runs without a time limit.
        let _ = self.connection.progress_handler(
            STEPS_BETWEEN_TIMEOUT_CHECKS,
            Some(move || Instant::now() > deadline),
        );
        let result = match &file.text {
            Err(error) => Err(format!("cannot read the file: {error}")),
            Ok(text) => run_sql(&self.connection, text, file.in_transaction)
                .map_err(|error| self.describe(&error)),
        };
        let _ = self.connection.progress_handler(0, None::<fn() -> bool>);
        Applied {
            result: result.map_err(|message| Failure {
                message,
                code: None,
                offset: None,
            }),
            elapsed: started.elapsed(),
        }
    }

    fn snapshot(&mut self) -> Result<Snapshot, VerifyError> {
        self.read_schema().map_err(|source| VerifyError::Sqlite {
            action: "read the schema".to_owned(),
            source,
        })
    }

    fn reset(&mut self) -> Result<(), VerifyError> {
        self.connection = open_in_memory()?;
        Ok(())
    }

    /// SQLite keeps a definition as written: it folds no clock into it.
    fn creation_window(&self) -> Option<CreationWindow> {
        None
    }
}

fn open_in_memory() -> Result<Connection, VerifyError> {
    let connection = Connection::open_in_memory().map_err(|source| VerifyError::Sqlite {
        action: "open an in-memory database".to_owned(),
        source,
    })?;
    // As sqlx opens SQLite databases: foreign keys enforced.
    connection
        .execute_batch("PRAGMA foreign_keys = ON")
        .map_err(|source| VerifyError::Sqlite {
            action: "enable foreign keys".to_owned(),
            source,
        })?;
    Ok(connection)
}

/// As sqlx runs a SQLite migration: in one transaction unless it opts out.
fn run_sql(connection: &Connection, text: &str, in_transaction: bool) -> rusqlite::Result<()> {
    if !in_transaction {
        return connection.execute_batch(text);
    }
    connection.execute_batch("BEGIN")?;
    match connection.execute_batch(text) {
        Ok(()) => connection.execute_batch("COMMIT"),
        Err(error) => {
            // The failure is what matters; a rollback that fails too changes nothing.
            let _ = connection.execute_batch("ROLLBACK");
            Err(error)
        }
    }
}
