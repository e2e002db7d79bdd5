//! Side effects read from the database itself: an `AFTER INSERT OR UPDATE OR DELETE` row
//! trigger on every application table appends (table, operation, key, old row, new row) to a
//! `test_log` table, in statement order. Assertions are exact: a write the test did not list
//! fails it, named.
//!
//! ```
//! use commerce_testkit::side_effects::{LogEntry, Op, SideEffects};
//! use commerce_testkit::assert_side_effects;
//!
//! let entry = |seq, table: &str, op| LogEntry {
//!     seq, table: table.to_owned(), op, key: serde_json::json!({ "id": seq }), old: None, new: None,
//! };
//! let log = SideEffects::from(vec![
//!     entry(1, "orders", Op::Insert),
//!     entry(2, "order_lines", Op::Insert),
//!     entry(3, "order_lines", Op::Insert),
//!     entry(4, "inventory", Op::Update),
//!     entry(5, "inventory", Op::Update),
//! ]);
//! assert_side_effects!(log, inserted { orders: 1, order_lines: 2 }, updated { inventory: 2 });
//!
//! let unexpected = std::panic::catch_unwind(|| {
//!     assert_side_effects!(log, inserted { orders: 1, order_lines: 2 });
//! });
//! assert!(unexpected.is_err()); // the two inventory updates were not listed
//! ```

use serde_json::Value;
use sqlx::{AssertSqlSafe, PgConnection, PgPool, Row};

use crate::db::{DbError, execute};

/// Bumped when the log's shape changes, so templates built by an older kit are rebuilt.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// A kind of write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    Insert,
    Update,
    Delete,
}

impl Op {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "INSERT" => Some(Op::Insert),
            "UPDATE" => Some(Op::Update),
            "DELETE" => Some(Op::Delete),
            _ => None,
        }
    }

    /// The word the assertion macro uses.
    pub fn past_tense(self) -> &'static str {
        match self {
            Op::Insert => "inserted",
            Op::Update => "updated",
            Op::Delete => "deleted",
        }
    }
}

/// One logged row write.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    /// Statement order across the whole log.
    pub seq: i64,
    pub table: String,
    pub op: Op,
    /// The primary key columns of the row.
    pub key: Value,
    /// The row before (updates, deletes).
    pub old: Option<Value>,
    /// The row after (inserts, updates).
    pub new: Option<Value>,
}

/// The writes a test made, in statement order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SideEffects {
    pub entries: Vec<LogEntry>,
}

impl From<Vec<LogEntry>> for SideEffects {
    fn from(entries: Vec<LogEntry>) -> Self {
        Self { entries }
    }
}

impl SideEffects {
    /// How many rows of `table` saw `op`.
    pub fn count(&self, table: &str, op: Op) -> usize {
        self.entries
            .iter()
            .filter(|entry| entry.table == table && entry.op == op)
            .count()
    }

    /// The entries of `table`.
    pub fn of<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a LogEntry> + 'a {
        self.entries
            .iter()
            .filter(move |entry| entry.table == table)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The log positions of the entries (to link a failing test to the rows it touched).
    pub fn seqs(&self) -> Vec<i64> {
        self.entries.iter().map(|entry| entry.seq).collect()
    }

    /// Asserts the writes are exactly `expected` ((op, table, rows)); any other write fails.
    ///
    /// # Panics
    /// With a message naming each unexpected or missing write.
    #[track_caller]
    pub fn assert_exact(&self, expected: &[(Op, &str, usize)]) {
        let mut actual: Vec<(Op, &str, usize)> = Vec::new();
        for entry in &self.entries {
            match actual
                .iter_mut()
                .find(|(op, table, _)| *op == entry.op && *table == entry.table)
            {
                Some(found) => found.2 += 1,
                None => actual.push((entry.op, &entry.table, 1)),
            }
        }
        let mut problems = Vec::new();
        for (op, table, count) in &actual {
            let wanted = expected
                .iter()
                .find(|(o, t, _)| o == op && t == table)
                .map_or(0, |(_, _, n)| *n);
            if wanted == 0 {
                let keys: Vec<String> = self
                    .entries
                    .iter()
                    .filter(|entry| entry.op == *op && entry.table == *table)
                    .map(|entry| format!("{} (log seq {})", entry.key, entry.seq))
                    .collect();
                problems.push(format!(
                    "unexpected side effect: {} {count} row(s) of `{table}`: {}",
                    op.past_tense(),
                    keys.join(", ")
                ));
            } else if wanted != *count {
                problems.push(format!(
                    "expected {} {wanted} row(s) of `{table}`, but {count} were",
                    op.past_tense()
                ));
            }
        }
        for (op, table, wanted) in expected {
            if *wanted > 0 && !actual.iter().any(|(o, t, _)| o == op && t == table) {
                problems.push(format!(
                    "expected {} {wanted} row(s) of `{table}`, but none were",
                    op.past_tense()
                ));
            }
        }
        if !problems.is_empty() {
            panic!(
                "side effects differ from the expected ones:\n  {}\nlogged writes, in order:\n{}",
                problems.join("\n  "),
                self.describe()
            );
        }
    }

    /// One line per write, in order.
    pub fn describe(&self) -> String {
        self.entries
            .iter()
            .map(|entry| {
                format!(
                    "  #{} {} {} {}",
                    entry.seq,
                    entry.op.past_tense(),
                    entry.table,
                    entry.key
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Asserts a [`SideEffects`] holds exactly the listed writes:
/// `assert_side_effects!(log, inserted { orders: 1 }, updated { inventory: 2 })`;
/// `assert_side_effects!(log)` asserts nothing was written.
#[macro_export]
macro_rules! assert_side_effects {
    (@op inserted) => { $crate::side_effects::Op::Insert };
    (@op updated) => { $crate::side_effects::Op::Update };
    (@op deleted) => { $crate::side_effects::Op::Delete };
    ($log:expr $(, $op:ident { $($table:ident : $count:expr),* $(,)? })* $(,)?) => {
        $log.assert_exact(&[
            $($( ($crate::assert_side_effects!(@op $op), stringify!($table), $count as usize), )*)*
        ])
    };
}

/// Reads the log of `schema` after `mark`.
pub(crate) async fn read(pool: &PgPool, schema: &str, mark: i64) -> Result<SideEffects, DbError> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT seq, table_name, op, key, old, new FROM {schema}.test_log WHERE seq > $1 ORDER BY seq"
    )))
    .bind(mark)
    .fetch_all(pool)
    .await
    .map_err(|error| DbError::Sql {
        context: "reading test_log".to_owned(),
        message: error.to_string(),
    })?;
    Ok(SideEffects {
        entries: rows
            .iter()
            .filter_map(|row| {
                Some(LogEntry {
                    seq: row.get("seq"),
                    table: row.get("table_name"),
                    op: Op::parse(row.get::<&str, _>("op"))?,
                    key: row.get("key"),
                    old: row.get("old"),
                    new: row.get("new"),
                })
            })
            .collect(),
    })
}

/// The application tables of `schema`: ordinary and partitioned roots, not the kit's own.
async fn tables(
    conn: &mut PgConnection,
    schema: &str,
) -> Result<Vec<(String, Vec<String>)>, DbError> {
    let rows = sqlx::query(
        "SELECT c.relname::text AS name,
                coalesce((SELECT array_agg(a.attname::text ORDER BY a.attnum)
                          FROM pg_index i JOIN pg_attribute a
                            ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                          WHERE i.indrelid = c.oid AND i.indisprimary), '{}') AS key
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND c.relname NOT IN ('test_log', '_sqlx_migrations')
         ORDER BY c.relname",
    )
    .bind(schema)
    .fetch_all(conn)
    .await
    .map_err(|error| DbError::Sql {
        context: "listing tables".to_owned(),
        message: error.to_string(),
    })?;
    Ok(rows
        .iter()
        .map(|row| (row.get("name"), row.get("key")))
        .collect())
}

/// Creates `test_log` and the logging trigger on every table of `schema`.
pub(crate) async fn install(conn: &mut PgConnection, schema: &str) -> Result<(), DbError> {
    execute(
        conn,
        &format!(
            r#"
CREATE TABLE {schema}.test_log (
    seq bigserial PRIMARY KEY,
    tx bigint NOT NULL DEFAULT txid_current(),
    table_name text NOT NULL,
    op text NOT NULL,
    key jsonb NOT NULL,
    old jsonb,
    new jsonb
);
CREATE FUNCTION {schema}.commerce_log() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row_json jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
    key_json jsonb := '{{}}';
    col text;
BEGIN
    IF TG_NARGS > 0 THEN
        FOREACH col IN ARRAY TG_ARGV LOOP
            key_json := key_json || jsonb_build_object(col, row_json -> col);
        END LOOP;
    END IF;
    INSERT INTO {schema}.test_log (table_name, op, key, old, new)
    VALUES (TG_TABLE_NAME, TG_OP, key_json,
            CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
            CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
    RETURN NULL;
END $$;
"#
        ),
    )
    .await?;
    let mut triggers = String::new();
    for (table, key) in tables(conn, schema).await? {
        let arguments: Vec<String> = key.iter().map(|column| quote_literal(column)).collect();
        triggers.push_str(&format!(
            "CREATE TRIGGER commerce_log AFTER INSERT OR UPDATE OR DELETE ON {schema}.{} \
             FOR EACH ROW EXECUTE FUNCTION {schema}.commerce_log({});\n",
            quote_ident(&table),
            arguments.join(", ")
        ));
    }
    if !triggers.is_empty() {
        execute(conn, &triggers).await?;
    }
    Ok(())
}

/// Records what the migrations left in `schema` (rows and sequence positions) in
/// `<schema>_seed`, and the statement that puts it back.
pub(crate) async fn snapshot_schema(conn: &mut PgConnection, schema: &str) -> Result<(), DbError> {
    let seed = format!("{schema}_seed");
    execute(
        conn,
        &format!("DROP SCHEMA IF EXISTS {seed} CASCADE; CREATE SCHEMA {seed}"),
    )
    .await?;
    let mut names = vec![format!("{schema}.test_log")];
    let mut inserts = String::new();
    for (table, _) in tables(conn, schema).await? {
        let qualified = format!("{schema}.{}", quote_ident(&table));
        names.push(qualified.clone());
        let has_rows: bool = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT EXISTS (SELECT 1 FROM {qualified})"
        )))
        .fetch_one(&mut *conn)
        .await
        .map_err(|error| DbError::Sql {
            context: format!("reading {qualified}"),
            message: error.to_string(),
        })?;
        if !has_rows {
            continue;
        }
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT quote_ident(a.attname::text) FROM pg_attribute a
             JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
               AND a.attgenerated = '' ORDER BY a.attnum",
        )
        .bind(schema)
        .bind(&table)
        .fetch_all(&mut *conn)
        .await
        .map_err(|error| DbError::Sql {
            context: format!("listing the columns of {qualified}"),
            message: error.to_string(),
        })?;
        let copy = format!("{seed}.{}", quote_ident(&table));
        let columns = columns.join(", ");
        execute(
            conn,
            &format!("CREATE TABLE {copy} AS SELECT {columns} FROM {qualified}"),
        )
        .await?;
        inserts.push_str(&format!(
            "INSERT INTO {qualified} ({columns}) OVERRIDING SYSTEM VALUE SELECT {columns} FROM {copy};\n"
        ));
    }
    let sequences = sqlx::query(
        "SELECT quote_ident(sequencename::text) AS name, last_value FROM pg_sequences
         WHERE schemaname = $1",
    )
    .bind(schema)
    .fetch_all(&mut *conn)
    .await
    .map_err(|error| DbError::Sql {
        context: "listing sequences".to_owned(),
        message: error.to_string(),
    })?;
    let mut positions = String::new();
    for row in &sequences {
        let name: String = row.get("name");
        let sequence = format!("{schema}.{name}");
        match row.get::<Option<i64>, _>("last_value") {
            Some(value) => positions.push_str(&format!(
                "SELECT setval({}, {value}, true);\n",
                quote_literal(&sequence)
            )),
            None => positions.push_str(&format!("ALTER SEQUENCE {sequence} RESTART;\n")),
        }
    }
    let reset = format!(
        "BEGIN;\nSET LOCAL session_replication_role = replica;\nTRUNCATE {} RESTART IDENTITY;\n{inserts}{positions}COMMIT;",
        names.join(", ")
    );
    execute(
        conn,
        &format!(
            "CREATE TABLE {seed}.reset (sql text NOT NULL); INSERT INTO {seed}.reset VALUES ({})",
            quote_literal(&reset)
        ),
    )
    .await
}

/// Puts `schema` back to what its migrations left (its rows, its sequences), log emptied.
pub(crate) async fn reset_schema(conn: &mut PgConnection, schema: &str) -> Result<(), DbError> {
    let reset: String = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT sql FROM {schema}_seed.reset"
    )))
    .fetch_one(&mut *conn)
    .await
    .map_err(|error| DbError::Sql {
        context: format!("reading how to reset schema {schema}"),
        message: error.to_string(),
    })?;
    execute(conn, &reset).await
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
