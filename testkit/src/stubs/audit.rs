//! Append-only audit tables, as SQL the app applies as a migration ([`sql`], or
//! `cargo commerce audit sql [--hash-chain] [--tables …]`), and the kit's assertion on the
//! ordered transitions of one aggregate ([`assert_transitions!`](crate::assert_transitions)).
//!
//! Each table (`email_audit`, `order_state_audit`, `webhook_audit`, `payment_audit`) records
//! one aggregate's state changes (`aggregate_id`, `to_state`, `actor`, `data`, `recorded_at`
//! from the app's clock). On insert, a trigger takes a per-aggregate lock, assigns `seq` (1, 2,
//! … per aggregate) and `from_state` (the last `to_state`), and refuses a transition missing
//! from `audit_transitions` (SQLSTATE 23514, so the app counts it as a constraint violation).
//! A statement trigger refuses `UPDATE`, `DELETE` and `TRUNCATE`, naming the table. With the
//! hash chain, each row stores `row_hash = sha256(prev_hash ‖ row content)` over the previous
//! row of its aggregate (PostgreSQL 11+'s built-in `sha256`, no pgcrypto), and
//! `commerce_audit_chain_breaks('order_state_audit')` lists the rows whose chain no longer
//! holds.
//!
//! ```
//! use commerce_testkit::stubs::audit::{AuditOptions, AuditTable, sql};
//!
//! let all = sql(&AuditOptions::default());
//! assert!(all.contains("CREATE TABLE order_state_audit ("));
//! assert!(all.contains("BEFORE UPDATE OR DELETE OR TRUNCATE ON payment_audit"));
//! assert!(!all.contains("row_hash bytea"));
//!
//! let orders = sql(&AuditOptions { hash_chain: true, tables: vec![AuditTable::OrderState] });
//! assert!(orders.contains("row_hash bytea NOT NULL"));
//! assert!(!orders.contains("email_audit"));
//! assert_eq!(AuditTable::parse("order"), Some(AuditTable::OrderState));
//! assert_eq!(AuditTable::parse("webhook_audit"), Some(AuditTable::Webhook));
//! ```

use std::fmt::Write as _;

use sqlx::PgPool;

/// The marker in each audit table's comment: `migrations verify` probes the tables carrying
/// it (and any named `*_audit`) for rows that can be changed.
pub const APPEND_ONLY_MARKER: &str = "commerce:append-only";

/// One audit table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AuditTable {
    Email,
    OrderState,
    Webhook,
    Payment,
}

impl AuditTable {
    /// Every table, in the order [`sql`] creates them.
    pub const ALL: [AuditTable; 4] = [
        AuditTable::Email,
        AuditTable::OrderState,
        AuditTable::Webhook,
        AuditTable::Payment,
    ];

    /// The table's name.
    pub fn table(self) -> &'static str {
        match self {
            AuditTable::Email => "email_audit",
            AuditTable::OrderState => "order_state_audit",
            AuditTable::Webhook => "webhook_audit",
            AuditTable::Payment => "payment_audit",
        }
    }

    /// The aggregate it records (`order`), as [`assert_transitions!`](crate::assert_transitions)
    /// names it.
    pub fn aggregate(self) -> &'static str {
        match self {
            AuditTable::Email => "email",
            AuditTable::OrderState => "order",
            AuditTable::Webhook => "webhook",
            AuditTable::Payment => "payment",
        }
    }

    /// The table of an aggregate (`order`) or a table name (`order_state_audit`), also
    /// without its `_audit` suffix (`order_state`).
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim();
        Self::ALL.into_iter().find(|table| {
            name == table.aggregate()
                || name == table.table()
                || Some(name) == table.table().strip_suffix("_audit")
        })
    }

    /// The transitions allowed out of the box (`None`: the aggregate's first row); an app
    /// adds its own with `INSERT INTO audit_transitions`.
    pub fn transitions(self) -> &'static [(Option<&'static str>, &'static str)] {
        match self {
            AuditTable::Email => &[
                (None, "queued"),
                (Some("queued"), "sent"),
                (Some("queued"), "failed"),
                (Some("queued"), "suppressed"),
                (Some("failed"), "queued"),
                (Some("sent"), "delivered"),
                (Some("sent"), "bounced"),
                (Some("sent"), "complained"),
                (Some("delivered"), "complained"),
            ],
            AuditTable::OrderState => &[
                (None, "pending"),
                (Some("pending"), "paid"),
                (Some("pending"), "cancelled"),
                (Some("paid"), "shipped"),
                (Some("paid"), "refunded"),
                (Some("paid"), "cancelled"),
                (Some("shipped"), "delivered"),
                (Some("delivered"), "refunded"),
            ],
            AuditTable::Webhook => &[
                (None, "received"),
                (Some("received"), "processed"),
                (Some("received"), "ignored"),
                (Some("received"), "failed"),
                (Some("failed"), "failed"),
                (Some("failed"), "processed"),
            ],
            // Stripe's PaymentIntent statuses.
            AuditTable::Payment => &[
                (None, "requires_payment_method"),
                (None, "requires_confirmation"),
                (Some("requires_payment_method"), "requires_confirmation"),
                (Some("requires_payment_method"), "canceled"),
                (Some("requires_confirmation"), "requires_action"),
                (Some("requires_confirmation"), "processing"),
                (Some("requires_confirmation"), "canceled"),
                (Some("requires_action"), "processing"),
                (Some("requires_action"), "requires_payment_method"),
                (Some("requires_action"), "canceled"),
                (Some("processing"), "succeeded"),
                (Some("processing"), "requires_capture"),
                (Some("processing"), "requires_payment_method"),
                (Some("requires_capture"), "succeeded"),
                (Some("requires_capture"), "canceled"),
            ],
        }
    }
}

/// What [`sql`] generates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditOptions {
    /// Chain each aggregate's rows with `sha256`.
    pub hash_chain: bool,
    /// The tables to create (all by default).
    pub tables: Vec<AuditTable>,
}

impl Default for AuditOptions {
    fn default() -> Self {
        Self {
            hash_chain: false,
            tables: AuditTable::ALL.to_vec(),
        }
    }
}

/// The functions every audit table shares.
const SHARED: &str = r#"CREATE TABLE audit_transitions (
    audit_table text NOT NULL,
    from_state text,
    to_state text NOT NULL
);
COMMENT ON TABLE audit_transitions IS 'The state changes each audit table accepts; a NULL from_state is an aggregate''s first row.';
CREATE UNIQUE INDEX audit_transitions_unique ON audit_transitions (audit_table, coalesce(from_state, ''), to_state);

-- UPDATE, DELETE and TRUNCATE of an audit table (a statement trigger, so it fires even when no
-- row matches).
CREATE FUNCTION commerce_audit_reject() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'audit rows are never changed or removed; insert a row recording the correction instead';
END $$;

-- The hash of one row: over the previous row's hash and the row's content.
CREATE FUNCTION commerce_audit_row_hash(prev bytea, aggregate_id text, seq bigint, from_state text,
                                        to_state text, actor text, data jsonb, recorded_at timestamptz)
RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(coalesce(prev, ''::bytea) || convert_to(jsonb_build_array(
        aggregate_id, seq, from_state, to_state, actor, data, extract(epoch FROM recorded_at))::text, 'UTF8'))
$$;

-- On insert: one aggregate at a time, the next seq, from_state from the last row, the
-- transition checked, and the hash chain when the table has a row_hash column.
CREATE FUNCTION commerce_audit_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_seq bigint;
    last_state text;
    last_hash bytea;
    legal boolean;
    allowed text;
    chained boolean := EXISTS (SELECT 1 FROM pg_attribute
                               WHERE attrelid = TG_RELID AND attname = 'row_hash' AND NOT attisdropped);
BEGIN
    IF NEW.seq IS NOT NULL THEN
        RAISE EXCEPTION '%: seq is assigned on insert (per aggregate); leave it out of the INSERT', TG_TABLE_NAME
            USING ERRCODE = 'check_violation';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext(TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME), hashtext(NEW.aggregate_id));
    EXECUTE format('SELECT seq, to_state, %s FROM %I.%I WHERE aggregate_id = $1 ORDER BY seq DESC LIMIT 1',
                   CASE WHEN chained THEN 'row_hash' ELSE 'NULL::bytea' END,
                   TG_TABLE_SCHEMA, TG_TABLE_NAME)
        INTO last_seq, last_state, last_hash USING NEW.aggregate_id;
    IF NEW.from_state IS NOT NULL AND NEW.from_state IS DISTINCT FROM last_state THEN
        RAISE EXCEPTION 'stale transition in %: % says it moves from %, but its last recorded state is %',
            TG_TABLE_NAME, NEW.aggregate_id, NEW.from_state, coalesce(last_state, '(none)')
            USING ERRCODE = 'check_violation';
    END IF;
    NEW.from_state := last_state;
    NEW.seq := coalesce(last_seq, 0) + 1;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.audit_transitions WHERE audit_table = $1 '
                   'AND from_state IS NOT DISTINCT FROM $2 AND to_state = $3)', TG_TABLE_SCHEMA)
        INTO legal USING TG_TABLE_NAME, NEW.from_state, NEW.to_state;
    IF NOT legal THEN
        EXECUTE format('SELECT string_agg(to_state, '', '' ORDER BY to_state) FROM %I.audit_transitions '
                       'WHERE audit_table = $1 AND from_state IS NOT DISTINCT FROM $2', TG_TABLE_SCHEMA)
            INTO allowed USING TG_TABLE_NAME, NEW.from_state;
        RAISE EXCEPTION 'illegal transition in %: % cannot go from % to % (allowed: %)',
            TG_TABLE_NAME, NEW.aggregate_id, coalesce(NEW.from_state, '(start)'), NEW.to_state,
            coalesce(allowed, 'nothing')
            USING ERRCODE = 'check_violation',
                  HINT = 'if the transition is legal, add it: INSERT INTO audit_transitions VALUES (table, from, to)';
    END IF;
    IF chained THEN
        NEW.prev_hash := last_hash;
        NEW.row_hash := commerce_audit_row_hash(last_hash, NEW.aggregate_id, NEW.seq, NEW.from_state,
                                                NEW.to_state, NEW.actor, NEW.data, NEW.recorded_at);
    END IF;
    RETURN NEW;
END $$;
"#;

/// Lists the rows of a hash-chained audit table whose chain does not hold.
const CHAIN_BREAKS: &str = r#"
-- The rows of a hash-chained audit table whose hash or link to the previous row is wrong:
-- SELECT * FROM commerce_audit_chain_breaks('order_state_audit').
CREATE FUNCTION commerce_audit_chain_breaks(audit_table regclass)
RETURNS TABLE (aggregate_id text, seq bigint) LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY EXECUTE format(
        'SELECT a.aggregate_id, a.seq FROM (SELECT t.*, lag(t.row_hash) OVER (PARTITION BY t.aggregate_id ORDER BY t.seq) AS linked, '
        'lag(t.seq) OVER (PARTITION BY t.aggregate_id ORDER BY t.seq) AS previous_seq FROM %s t) a '
        'WHERE a.prev_hash IS DISTINCT FROM a.linked OR a.seq <> coalesce(a.previous_seq, 0) + 1 '
        'OR a.row_hash IS DISTINCT FROM commerce_audit_row_hash(a.prev_hash, a.aggregate_id, a.seq, '
        'a.from_state, a.to_state, a.actor, a.data, a.recorded_at) ORDER BY 1, 2', audit_table);
END $$;
"#;

/// The migration: `audit_transitions`, the shared functions, then each table of `options`
/// with its triggers and default transitions.
pub fn sql(options: &AuditOptions) -> String {
    let mut out = String::from(
        "-- Append-only audit tables, from `cargo commerce audit sql` (commerce_testkit::stubs::audit).\n\
         -- Apply as a migration. Record the time from the app's clock (`recorded_at`), not now().\n\n",
    );
    out.push_str(SHARED);
    if options.hash_chain {
        out.push_str(CHAIN_BREAKS);
    }
    let mut tables = options.tables.clone();
    tables.sort_unstable();
    tables.dedup();
    for table in tables {
        let name = table.table();
        let chain_columns = if options.hash_chain {
            "    prev_hash bytea,\n    row_hash bytea NOT NULL,\n"
        } else {
            ""
        };
        let _ = write!(
            out,
            "\nCREATE TABLE {name} (\n\
             \x20   id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n\
             \x20   aggregate_id text NOT NULL,\n\
             \x20   seq bigint NOT NULL,\n\
             \x20   from_state text,\n\
             \x20   to_state text NOT NULL,\n\
             \x20   actor text NOT NULL DEFAULT 'system',\n\
             \x20   data jsonb NOT NULL DEFAULT '{{}}',\n\
             \x20   recorded_at timestamptz NOT NULL,\n\
             {chain_columns}\
             \x20   UNIQUE (aggregate_id, seq)\n\
             );\n\
             COMMENT ON TABLE {name} IS '{APPEND_ONLY_MARKER}: the {aggregate} state changes, never updated or deleted';\n\
             CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {name}\n\
             \x20   FOR EACH STATEMENT EXECUTE FUNCTION commerce_audit_reject();\n\
             CREATE TRIGGER {name}_sequence BEFORE INSERT ON {name}\n\
             \x20   FOR EACH ROW EXECUTE FUNCTION commerce_audit_before_insert();\n",
            aggregate = table.aggregate(),
        );
        let values: Vec<String> = table
            .transitions()
            .iter()
            .map(|(from, to)| {
                let from = from.map_or_else(|| "NULL".to_owned(), |from| format!("'{from}'"));
                format!("('{name}', {from}, '{to}')")
            })
            .collect();
        let _ = writeln!(
            out,
            "INSERT INTO audit_transitions (audit_table, from_state, to_state) VALUES\n    {};",
            values.join(",\n    ")
        );
    }
    out
}

/// The ordered `to_state`s of one aggregate in the audit table of `aggregate` (`order`, or a
/// table name).
///
/// # Errors
/// When `aggregate` names no audit table, or the query fails (the table does not exist: the
/// audit migration was not applied).
pub async fn transitions(
    pool: &PgPool,
    aggregate: &str,
    aggregate_id: &str,
) -> Result<Vec<String>, AuditError> {
    let table = AuditTable::parse(aggregate)
        .ok_or_else(|| AuditError::UnknownAggregate(aggregate.to_owned()))?;
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT to_state FROM {} WHERE aggregate_id = $1 ORDER BY seq",
        table.table()
    )))
    .bind(aggregate_id)
    .fetch_all(pool)
    .await
    .map_err(|error| AuditError::Query {
        table: table.table(),
        message: error.to_string(),
    })
}

/// Why the transitions could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    #[error(
        "`{0}` is no audit aggregate: use email, order, webhook or payment (or the table's name)"
    )]
    UnknownAggregate(String),
    #[error(
        "cannot read {table}: {message} (is the migration from `cargo commerce audit sql` applied?)"
    )]
    Query {
        table: &'static str,
        message: String,
    },
}

/// What [`assert_transitions!`](crate::assert_transitions) reads from: a [`crate::TestDb`] or a
/// pool.
pub trait AuditSource {
    fn audit_pool(&self) -> &PgPool;
}

impl AuditSource for PgPool {
    fn audit_pool(&self) -> &PgPool {
        self
    }
}

impl AuditSource for crate::TestDb {
    fn audit_pool(&self) -> &PgPool {
        self.pool()
    }
}

/// Asserts the ordered states of one aggregate are exactly `expected`.
///
/// # Panics
/// When they differ (both lists shown), or they cannot be read.
#[track_caller]
pub fn check_transitions(
    aggregate: &str,
    aggregate_id: &str,
    found: Result<Vec<String>, AuditError>,
    expected: &[&str],
) {
    let found = found.unwrap_or_else(|error| panic!("{error}"));
    assert!(
        found == expected,
        "the {aggregate} {aggregate_id} went through {found:?}, expected {expected:?}"
    );
}

/// Asserts the ordered transitions of one aggregate in its audit table:
/// `assert_transitions!(db, "order", id, ["pending", "paid", "shipped"])` (in an async test;
/// `db` is a [`TestDb`](crate::TestDb) or a `PgPool`, `id` anything `Display`).
#[macro_export]
macro_rules! assert_transitions {
    ($db:expr, $aggregate:expr, $id:expr, [$($state:expr),* $(,)?]) => {{
        let id = ($id).to_string();
        let found = $crate::stubs::audit::transitions(
            $crate::stubs::audit::AuditSource::audit_pool(&$db), $aggregate, &id,
        ).await;
        $crate::stubs::audit::check_transitions($aggregate, &id, found, &[$($state),*]);
    }};
}
