//! Constraint probes: on the schema every migration built, with its tables emptied, insert one
//! valid row per table (parents first), then for every foreign key, unique, check and not-null
//! constraint one insert that violates it, each in a savepoint. Postgres must reject each with
//! the constraint's SQLSTATE; one it accepts is a constraint that does not hold (triggers
//! disabled, a rule rewriting the insert, …).
//!
//! Then the append-only probes: every audit table (named `*_audit`, or commented
//! `commerce:append-only`) gets one row if it has none, and an `UPDATE` and a `DELETE` of it
//! are tried, each in a savepoint; one that succeeds is an audit trail that can be rewritten.
//!
//! Everything runs in one transaction that is rolled back, so the database is left as the
//! migrations left it. Values come from a seeded generator: the same seed, the same inserts.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::check_values;

use postgres::{Client, Transaction};

/// SQLSTATEs of the violations probed.
const FOREIGN_KEY_VIOLATION: &str = "23503";
const UNIQUE_VIOLATION: &str = "23505";
const CHECK_VIOLATION: &str = "23514";
const NOT_NULL_VIOLATION: &str = "23502";

/// The comment marker of an append-only table (`cargo commerce audit sql` writes it).
const APPEND_ONLY_MARKER: &str = "commerce:append-only";

/// How many valid rows each table gets before the violating inserts.
const VALID_ROWS_PER_TABLE: usize = 2;

/// How many rows are drawn for one valid row before the table is given up: each attempt takes
/// other check candidates and other random values (`reserved <= on_hand`, `ends > starts`).
const VALID_ROW_ATTEMPTS: usize = 12;

/// Schemas that hold no migration's tables, and tables an extension owns.
const USER_TABLES: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' \
     AND NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = 'pg_class'::regclass \
                     AND dep.objid = c.oid AND dep.deptype = 'e')";

/// What the probes found: the constraints that let a violating row in, and how many were
/// tried.
#[derive(Debug, Clone, Default)]
pub struct ProbeReport {
    pub not_enforced: Vec<NotEnforced>,
    /// Audit tables that let a row be updated or deleted.
    pub not_append_only: Vec<NotAppendOnly>,
    /// Audit tables probed.
    pub audit_tables: usize,
    /// Constraints a violating insert was tried for.
    pub probed: usize,
    /// Constraints that rejected it with their SQLSTATE.
    pub held: usize,
    /// Constraints no probe could be built for (no valid row for the table, a type without
    /// generated values, a check no candidate value violates), or whose probe failed for
    /// another reason.
    pub inconclusive: usize,
    /// How long the probes took, the catalog reads included.
    pub elapsed: Duration,
}

/// A constraint that accepted a row violating it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotEnforced {
    /// `public.orders.orders_customer_fk`, or `public.orders.total` for a not-null column.
    pub name: String,
    /// `foreign key`, `unique`, `check`, `not null`.
    pub kind: &'static str,
    /// `pg_get_constraintdef`, or `NOT NULL`.
    pub definition: String,
    /// The insert Postgres accepted.
    pub insert: String,
    /// The table, `schema.table`, unquoted.
    pub table: String,
}

/// An audit table that let one of its rows change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAppendOnly {
    /// `public.payment_audit`, unquoted.
    pub table: String,
    /// `UPDATE` or `DELETE`.
    pub operation: &'static str,
    /// The statement Postgres accepted.
    pub statement: String,
}

/// Probes every constraint of the database `client` is connected to, seeded with `seed`.
///
/// # Errors
/// When a catalog query or the transaction itself fails; failing probe inserts are outcomes.
pub(crate) fn probe_constraints(
    client: &mut Client,
    seed: u64,
) -> Result<ProbeReport, postgres::Error> {
    let started = Instant::now();
    let mut transaction = client.transaction()?;
    let schema = ProbeSchema::read(&mut transaction)?;
    let mut run = ProbeRun {
        transaction,
        values: Values::new(seed),
        rows: BTreeMap::new(),
        attempt: 0,
        report: ProbeReport::default(),
    };
    run.empty_tables(&schema)?;
    for table in schema.parents_first() {
        // Two rows, so that two keys of one child can point at two different parents (a
        // `follower <> followed` check).
        for _ in 0..VALID_ROWS_PER_TABLE {
            run.insert_valid_row(&schema, table)?;
        }
    }
    for constraint in &schema.constraints {
        run.probe(&schema, constraint)?;
    }
    for (table_id, table) in &schema.tables {
        for column in table
            .columns
            .iter()
            .filter(|column| column.not_null && !column.generated)
        {
            run.probe_not_null(&schema, *table_id, column)?;
        }
    }
    for (table_id, table) in &schema.tables {
        if table.append_only {
            run.probe_append_only(&schema, *table_id)?;
        }
    }
    // Dropping the transaction rolls every probe back.
    Ok(ProbeReport {
        elapsed: started.elapsed(),
        ..run.report
    })
}

/// One table of the final schema.
#[derive(Debug)]
struct Table {
    /// `"public"."orders"`, ready for SQL.
    quoted: String,
    /// `public.orders`, for reports.
    name: String,
    columns: Vec<Column>,
    /// Named `*_audit` or commented [`APPEND_ONLY_MARKER`].
    append_only: bool,
}

#[derive(Debug, Clone)]
struct Column {
    number: i16,
    quoted: String,
    name: String,
    /// `format_type`: `character varying(20)`, `shop.status`.
    sql_type: String,
    /// `pg_type.typcategory` of the type (of the base type for a domain).
    category: String,
    base_type: String,
    /// The declared length of `varchar(n)`/`char(n)`, when there is one.
    max_length: Option<usize>,
    first_enum_label: Option<String>,
    not_null: bool,
    /// A default or an identity fills it when the insert leaves it out.
    has_default: bool,
    generated: bool,
    identity: bool,
}

#[derive(Debug)]
struct Constraint {
    table: u32,
    name: String,
    kind: ConstraintKind,
    definition: String,
    columns: Vec<i16>,
    /// For a foreign key: the referenced table and its columns, in the same order.
    references: Option<(u32, Vec<i16>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConstraintKind {
    ForeignKey,
    Unique,
    Check,
}

impl ConstraintKind {
    const fn as_str(self) -> &'static str {
        match self {
            ConstraintKind::ForeignKey => "foreign key",
            ConstraintKind::Unique => "unique",
            ConstraintKind::Check => "check",
        }
    }

    const fn sqlstate(self) -> &'static str {
        match self {
            ConstraintKind::ForeignKey => FOREIGN_KEY_VIOLATION,
            ConstraintKind::Unique => UNIQUE_VIOLATION,
            ConstraintKind::Check => CHECK_VIOLATION,
        }
    }
}

/// The tables and constraints of the final schema, from the catalogs.
#[derive(Debug)]
struct ProbeSchema {
    tables: BTreeMap<u32, Table>,
    constraints: Vec<Constraint>,
}

impl ProbeSchema {
    fn read(transaction: &mut Transaction<'_>) -> Result<Self, postgres::Error> {
        let mut tables = BTreeMap::new();
        let table_rows = transaction.query(
            &format!(
                "SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname), \
                        n.nspname || '.' || c.relname, \
                        c.relname LIKE '%\\_audit' \
                          OR coalesce(obj_description(c.oid, 'pg_class'), '') LIKE '%{APPEND_ONLY_MARKER}%' \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE (c.relkind = 'p' OR (c.relkind = 'r' AND NOT c.relispartition)) \
                   AND {USER_TABLES} ORDER BY 3"
            ),
            &[],
        )?;
        for row in table_rows {
            let oid: u32 = row.try_get(0)?;
            tables.insert(
                oid,
                Table {
                    quoted: row.try_get(1)?,
                    name: row.try_get(2)?,
                    columns: Vec::new(),
                    append_only: row.try_get(3)?,
                },
            );
        }
        let column_rows = transaction.query(
            "SELECT a.attrelid, a.attnum, quote_ident(a.attname), a.attname::text, \
                    format_type(a.atttypid, a.atttypmod), coalesce(b.typcategory, t.typcategory)::text, \
                    coalesce(b.typname, t.typname)::text, \
                    CASE WHEN coalesce(b.typname, t.typname) IN ('varchar', 'bpchar') AND a.atttypmod > 4 \
                         THEN a.atttypmod - 4 END, \
                    (SELECT e.enumlabel::text FROM pg_enum e \
                     WHERE e.enumtypid = coalesce(b.oid, t.oid) ORDER BY e.enumsortorder LIMIT 1), \
                    a.attnotnull OR coalesce(t.typnotnull, false), \
                    a.atthasdef OR a.attidentity <> '', a.attgenerated <> '', a.attidentity <> '' \
             FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
             LEFT JOIN pg_type b ON t.typtype = 'd' AND b.oid = t.typbasetype \
             WHERE a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum",
            &[],
        )?;
        for row in column_rows {
            let oid: u32 = row.try_get(0)?;
            let Some(table) = tables.get_mut(&oid) else {
                continue;
            };
            let max_length: Option<i32> = row.try_get(7)?;
            table.columns.push(Column {
                number: row.try_get(1)?,
                quoted: row.try_get(2)?,
                name: row.try_get(3)?,
                sql_type: row.try_get(4)?,
                category: row.try_get(5)?,
                base_type: row.try_get(6)?,
                max_length: max_length.and_then(|length| usize::try_from(length).ok()),
                first_enum_label: row.try_get(8)?,
                not_null: row.try_get(9)?,
                has_default: row.try_get(10)?,
                generated: row.try_get(11)?,
                identity: row.try_get(12)?,
            });
        }
        let constraint_rows = transaction.query(
            "SELECT con.conrelid, con.conname::text, con.contype::text, pg_get_constraintdef(con.oid), \
                    con.conkey, con.confrelid, con.confkey \
             FROM pg_constraint con WHERE con.contype IN ('f', 'u', 'p', 'c') AND con.conrelid <> 0 \
             ORDER BY con.conrelid, con.conname",
            &[],
        )?;
        let mut constraints = Vec::new();
        for row in constraint_rows {
            let table: u32 = row.try_get(0)?;
            let kind = match row.try_get::<_, String>(2)?.as_str() {
                "f" => ConstraintKind::ForeignKey,
                "c" => ConstraintKind::Check,
                _ => ConstraintKind::Unique,
            };
            if !tables.contains_key(&table) {
                continue;
            }
            let referenced: u32 = row.try_get(5)?;
            let referenced_columns: Option<Vec<i16>> = row.try_get(6)?;
            constraints.push(Constraint {
                table,
                name: row.try_get(1)?,
                kind,
                definition: row.try_get(3)?,
                columns: row.try_get::<_, Option<Vec<i16>>>(4)?.unwrap_or_default(),
                references: (kind == ConstraintKind::ForeignKey)
                    .then(|| (referenced, referenced_columns.unwrap_or_default())),
            });
        }
        Ok(Self {
            tables,
            constraints,
        })
    }

    /// Every table after the tables its foreign keys reference (tables in a cycle last).
    fn parents_first(&self) -> Vec<u32> {
        let mut ordered: Vec<u32> = Vec::new();
        let mut placed: BTreeSet<u32> = BTreeSet::new();
        loop {
            let ready: Vec<u32> = self
                .tables
                .keys()
                .copied()
                .filter(|table| !placed.contains(table))
                .filter(|table| {
                    self.foreign_keys_of(*table)
                        .all(|(parent, _)| parent == *table || placed.contains(&parent))
                })
                .collect();
            if ready.is_empty() {
                break;
            }
            placed.extend(&ready);
            ordered.extend(ready);
        }
        ordered.extend(self.tables.keys().filter(|table| !placed.contains(table)));
        ordered
    }

    fn foreign_keys_of(&self, table: u32) -> impl Iterator<Item = (u32, &Constraint)> {
        self.constraints
            .iter()
            .filter(move |constraint| constraint.table == table)
            .filter_map(|constraint| Some((constraint.references.as_ref()?.0, constraint)))
    }

    fn checks_of(&self, table: u32) -> impl Iterator<Item = &Constraint> {
        self.constraints.iter().filter(move |constraint| {
            constraint.table == table && constraint.kind == ConstraintKind::Check
        })
    }
}

/// A deterministic generator of column values (splitmix64).
#[derive(Debug)]
struct Values {
    state: u64,
}

impl Values {
    fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = self.state;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^ (mixed >> 31)
    }

    /// A fresh value for `column` as a SQL literal, or `None` for a type without generated
    /// values. Small numbers, so `numeric(4,2)` and `smallint` take them. A column its checks
    /// give `candidates` for takes the `attempt`-th (rotating).
    fn fresh(&mut self, column: &Column, candidates: &[String], attempt: usize) -> Option<String> {
        let number = self.next() % 90 + 1;
        let text = match (column.category.as_str(), column.base_type.as_str()) {
            (_, _) if !candidates.is_empty() => candidates[attempt % candidates.len()].clone(),
            ("E", _) => column.first_enum_label.clone()?,
            ("N", _) => number.to_string(),
            ("S", _) => {
                let text = format!("p{:x}", self.next());
                column
                    .max_length
                    .map_or(text.clone(), |length| text.chars().take(length).collect())
            }
            ("B", _) => "true".to_owned(),
            ("D", "time" | "timetz") => format!("12:00:{:02}", number % 60),
            ("D", _) => format!("2024-01-{:02}", number % 28 + 1),
            ("T", _) => format!("{number} minutes"),
            ("I", _) => format!("10.0.{}.{}", number, self.next() % 250 + 1),
            // One element: a `cardinality(…) > 0` check holds.
            ("A", "_int2" | "_int4" | "_int8" | "_numeric" | "_float4" | "_float8") => {
                format!("{{{number}}}")
            }
            ("A", _) => format!("{{p{:x}}}", self.next() % 4096),
            (_, "uuid") => format!("00000000-0000-4000-8000-{:012x}", self.next() >> 16),
            (_, "json" | "jsonb") => "{}".to_owned(),
            (_, "bytea") => format!("\\x{:02x}", number),
            _ => return None,
        };
        Some(literal(&text, &column.sql_type))
    }
}

/// `'text'::type`, quotes doubled.
fn literal(text: &str, sql_type: &str) -> String {
    format!("'{}'::{sql_type}", text.replace('\'', "''"))
}

/// Values that break common checks, by type category: negative and zero amounts, empty and
/// unknown strings, dates far away, empty arrays.
fn check_breakers(column: &Column) -> Vec<String> {
    let texts: &[&str] = match column.category.as_str() {
        "N" => &["-1", "0", "-1000", "100000"],
        "S" => &["", "zz-not-allowed", " "],
        "B" => &["false", "true"],
        "D" => &["1900-01-01", "2999-12-31"],
        "A" => &["{}"],
        _ => &[],
    };
    texts
        .iter()
        .map(|text| literal(text, &column.sql_type))
        .collect()
}

/// The values of one row, by column number; a column left out takes its default.
type Row = BTreeMap<i16, String>;

struct ProbeRun<'a> {
    transaction: Transaction<'a>,
    values: Values,
    /// The valid rows of each table that has any, as inserted (every column, read back).
    rows: BTreeMap<u32, Vec<Row>>,
    /// Which attempt at a valid row this is (see [`VALID_ROW_ATTEMPTS`]).
    attempt: usize,
    report: ProbeReport,
}

impl ProbeRun<'_> {
    /// Rows the migrations inserted (seed data) would make the probes' outcome depend on
    /// them: the probes start from empty tables.
    fn empty_tables(&mut self, schema: &ProbeSchema) -> Result<(), postgres::Error> {
        if schema.tables.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = schema
            .tables
            .values()
            .map(|table| table.quoted.as_str())
            .collect();
        let truncate = format!("TRUNCATE {} CASCADE", names.join(", "));
        if self.in_savepoint(&truncate)? {
            return Ok(());
        }
        // An append-only table's trigger refuses TRUNCATE: with user triggers off (needs a
        // superuser, as the ephemeral cluster is); else the probes start from the seed rows.
        self.in_savepoint(&format!(
            "SET LOCAL session_replication_role = replica; {truncate}; \
             SET LOCAL session_replication_role = origin"
        ))
        .map(drop)
    }

    /// Runs `sql` in a savepoint, kept when it succeeds, rolled back when it fails; whether
    /// it succeeded.
    fn in_savepoint(&mut self, sql: &str) -> Result<bool, postgres::Error> {
        self.transaction.batch_execute("SAVEPOINT commerce_probe")?;
        if self.transaction.batch_execute(sql).is_ok() {
            self.transaction
                .batch_execute("RELEASE SAVEPOINT commerce_probe")?;
            Ok(true)
        } else {
            self.transaction
                .batch_execute("ROLLBACK TO SAVEPOINT commerce_probe")?;
            Ok(false)
        }
    }

    /// A row for `table` that satisfies its constraints as far as they can be guessed:
    /// foreign keys point at the parents' valid rows, text columns take what their checks
    /// suggest (`check_values`), an array column holds the element a membership check names.
    fn fresh_row(&mut self, schema: &ProbeSchema, table_id: u32) -> Option<Row> {
        let table = &schema.tables[&table_id];
        let mut row = Row::new();
        // The n-th key of the row at the n-th parent row, shifted by the rows the table has
        // and the attempt, so a second row (or a retry) points elsewhere (a unique key).
        let shift = self.rows.get(&table_id).map_or(0, Vec::len) + self.attempt;
        for (nth, (parent, foreign_key)) in schema.foreign_keys_of(table_id).enumerate() {
            let (_, parent_columns) = foreign_key.references.as_ref()?;
            let parent_row = self
                .rows
                .get(&parent)
                .map(|rows| &rows[(nth + shift) % rows.len()]);
            match parent_row {
                Some(parent_row) => {
                    for (column, parent_column) in foreign_key.columns.iter().zip(parent_columns) {
                        row.insert(*column, parent_row.get(parent_column)?.clone());
                    }
                }
                // No parent row (a self-reference, a cycle): a key with a NULL column is not
                // checked (MATCH SIMPLE), so its nullable columns point nowhere; the others
                // (a composite key's `tenant_id`) take their value from another key or a
                // fresh one.
                None => {
                    let mut nulled = false;
                    for number in &foreign_key.columns {
                        let column = table
                            .columns
                            .iter()
                            .find(|column| column.number == *number)?;
                        if !column.not_null && !row.contains_key(number) {
                            row.insert(*number, "NULL".to_owned());
                            nulled = true;
                        }
                    }
                    if !nulled {
                        return None;
                    }
                }
            }
        }
        for column in &table.columns {
            if column.generated || row.contains_key(&column.number) {
                continue;
            }
            let definitions: Vec<&str> = schema
                .checks_of(table_id)
                .filter(|check| check.columns.contains(&column.number))
                .map(|check| check.definition.as_str())
                .collect();
            let candidates = if column.category == "S" {
                check_values::text_candidates(&definitions, &mut || self.values.next())
            } else {
                definitions
                    .iter()
                    .find_map(|definition| first_quoted_literal(definition))
                    .into_iter()
                    .collect()
            };
            if let Some(value) = self.values.fresh(column, &candidates, self.attempt) {
                row.insert(column.number, value);
            } else if column.not_null && !column.has_default {
                return None;
            }
        }
        // `a = ANY (b)`: the array holds the element's value.
        for check in schema.checks_of(table_id) {
            let Some((element, array)) = check_values::membership(&check.definition) else {
                continue;
            };
            let column_named = |name: &str| table.columns.iter().find(|column| column.name == name);
            if let (Some(element), Some(array)) = (column_named(&element), column_named(&array))
                && let Some(value) = row.get(&element.number).cloned()
            {
                row.insert(array.number, format!("ARRAY[{value}]::{}", array.sql_type));
            }
        }
        Some(row)
    }

    /// A fresh row the table's checks accept (drawn again, as a valid row is, while one
    /// refuses it), so a probe of a key fails on the key alone.
    fn fresh_checked_row(
        &mut self,
        schema: &ProbeSchema,
        table_id: u32,
    ) -> Result<Option<Row>, postgres::Error> {
        let table = &schema.tables[&table_id];
        let expressions: Vec<&str> = schema
            .checks_of(table_id)
            .filter_map(|check| check_expression(&check.definition))
            .collect();
        let mut found = None;
        'attempts: for attempt in 0..VALID_ROW_ATTEMPTS {
            self.attempt = attempt;
            let Some(row) = self.fresh_row(schema, table_id) else {
                continue;
            };
            for expression in &expressions {
                if self.violates(table, &row, expression)? {
                    continue 'attempts;
                }
            }
            found = Some(row);
            break;
        }
        self.attempt = 0;
        Ok(found)
    }

    /// A copy of the first valid row inserted into `table_id`.
    fn valid_row(&self, table_id: u32) -> Option<Row> {
        self.rows.get(&table_id)?.first().cloned()
    }

    /// Inserts one valid row into `table_id`, drawing again (other candidates, other values)
    /// while Postgres refuses the row, at most [`VALID_ROW_ATTEMPTS`] times.
    fn insert_valid_row(
        &mut self,
        schema: &ProbeSchema,
        table_id: u32,
    ) -> Result<(), postgres::Error> {
        for attempt in 0..VALID_ROW_ATTEMPTS {
            self.attempt = attempt;
            if self.try_insert_valid_row(schema, table_id)? {
                break;
            }
        }
        self.attempt = 0;
        Ok(())
    }

    /// Whether one drawn row went in.
    fn try_insert_valid_row(
        &mut self,
        schema: &ProbeSchema,
        table_id: u32,
    ) -> Result<bool, postgres::Error> {
        let Some(row) = self.fresh_row(schema, table_id) else {
            return Ok(false);
        };
        let table = &schema.tables[&table_id];
        let read_back: Vec<String> = table
            .columns
            .iter()
            .map(|column| format!("{}::text", column.quoted))
            .collect();
        let sql = format!(
            "{} RETURNING {}",
            insert_sql(table, &row),
            read_back.join(", ")
        );
        self.transaction.batch_execute("SAVEPOINT commerce_probe")?;
        match self.transaction.query_one(&sql, &[]) {
            Ok(inserted) => {
                self.transaction
                    .batch_execute("RELEASE SAVEPOINT commerce_probe")?;
                let mut stored = Row::new();
                for (index, column) in table.columns.iter().enumerate() {
                    let value: Option<String> = inserted.try_get(index)?;
                    if let Some(value) = value {
                        stored.insert(column.number, literal(&value, &column.sql_type));
                    }
                }
                self.rows.entry(table_id).or_default().push(stored);
                Ok(true)
            }
            Err(_) => {
                self.transaction
                    .batch_execute("ROLLBACK TO SAVEPOINT commerce_probe")?;
                Ok(false)
            }
        }
    }

    fn probe(
        &mut self,
        schema: &ProbeSchema,
        constraint: &Constraint,
    ) -> Result<(), postgres::Error> {
        let violating = match constraint.kind {
            ConstraintKind::Unique => self.duplicate_row(schema, constraint),
            ConstraintKind::ForeignKey => self.orphan_row(schema, constraint),
            ConstraintKind::Check => self.check_breaking_row(schema, constraint)?,
        };
        let table = &schema.tables[&constraint.table];
        let Some(row) = violating else {
            self.report.inconclusive += 1;
            return Ok(());
        };
        let kind = constraint.kind;
        self.try_violation(table, &row, kind.sqlstate(), || NotEnforced {
            name: format!("{}.{}", table.name, constraint.name),
            kind: kind.as_str(),
            definition: constraint.definition.clone(),
            insert: String::new(),
            table: table.name.clone(),
        })
    }

    fn probe_not_null(
        &mut self,
        schema: &ProbeSchema,
        table_id: u32,
        column: &Column,
    ) -> Result<(), postgres::Error> {
        let table = &schema.tables[&table_id];
        let Some(mut row) = self.valid_row(table_id) else {
            self.report.inconclusive += 1;
            return Ok(());
        };
        row.insert(column.number, "NULL".to_owned());
        self.try_violation(table, &row, NOT_NULL_VIOLATION, || NotEnforced {
            name: format!("{}.{}", table.name, column.name),
            kind: "not null",
            definition: "NOT NULL".to_owned(),
            insert: String::new(),
            table: table.name.clone(),
        })
    }

    /// Tries to update and to delete one row of an audit table, each in a savepoint rolled
    /// back; records each that succeeded. The row is one the constraint probes inserted, else
    /// one inserted with user triggers off (an audit table's insert trigger may refuse
    /// generated values, a sequence column or an illegal transition).
    fn probe_append_only(
        &mut self,
        schema: &ProbeSchema,
        table_id: u32,
    ) -> Result<(), postgres::Error> {
        let table = &schema.tables[&table_id];
        self.report.audit_tables += 1;
        let exists = format!("SELECT EXISTS (SELECT 1 FROM {})", table.quoted);
        let has_row = |run: &mut Self| -> Result<bool, postgres::Error> {
            Ok(run.transaction.query_one(&exists, &[])?.get(0))
        };
        if !has_row(self)?
            && let Some(row) = self.fresh_row(schema, table_id)
        {
            self.in_savepoint(&format!(
                "SET LOCAL session_replication_role = replica; {}; \
                 SET LOCAL session_replication_role = origin",
                insert_sql(table, &row)
            ))?;
        }
        // A column an UPDATE may set to itself (not generated, not an identity).
        let settable = table
            .columns
            .iter()
            .find(|column| !column.generated && !column.identity);
        if !has_row(self)? || settable.is_none() {
            self.report.inconclusive += 2;
            return Ok(());
        }
        let one_row = format!("WHERE ctid = (SELECT ctid FROM {} LIMIT 1)", table.quoted);
        let column = settable.map_or("", |column| column.quoted.as_str());
        for (operation, statement) in [
            (
                "UPDATE",
                format!("UPDATE {} SET {column} = {column} {one_row}", table.quoted),
            ),
            ("DELETE", format!("DELETE FROM {} {one_row}", table.quoted)),
        ] {
            self.report.probed += 1;
            self.transaction.batch_execute("SAVEPOINT commerce_probe")?;
            let outcome = self.transaction.execute(&statement, &[]);
            self.transaction
                .batch_execute("ROLLBACK TO SAVEPOINT commerce_probe")?;
            match outcome {
                Ok(0) => self.report.inconclusive += 1,
                Ok(_) => self.report.not_append_only.push(NotAppendOnly {
                    table: table.name.clone(),
                    operation,
                    statement,
                }),
                Err(_) => self.report.held += 1,
            }
        }
        Ok(())
    }

    /// A fresh row with the constraint's columns copied from the table's valid row.
    fn duplicate_row(&mut self, schema: &ProbeSchema, constraint: &Constraint) -> Option<Row> {
        let existing = self.rows.get(&constraint.table)?.first()?.clone();
        let mut row = self.fresh_checked_row(schema, constraint.table).ok()??;
        for column in &constraint.columns {
            row.insert(*column, existing.get(column)?.clone());
        }
        Some(row)
    }

    /// A fresh row whose foreign key columns name no parent row.
    fn orphan_row(&mut self, schema: &ProbeSchema, constraint: &Constraint) -> Option<Row> {
        self.rows.get(&constraint.table)?;
        let mut row = self.fresh_checked_row(schema, constraint.table).ok()??;
        let table = &schema.tables[&constraint.table];
        for number in &constraint.columns {
            let column = table
                .columns
                .iter()
                .find(|column| column.number == *number)?;
            // A value the parent's single valid row does not hold: a different fresh one.
            let mut value = self.values.fresh(column, &[], 0)?;
            if Some(&value) == row.get(number) {
                value = self.values.fresh(column, &[], 0)?;
            }
            row.insert(*number, value);
        }
        Some(row)
    }

    /// A fresh row with one checked column changed (to a typical breaking value, or to another
    /// checked column's value) so that Postgres itself evaluates the check to false.
    fn check_breaking_row(
        &mut self,
        schema: &ProbeSchema,
        constraint: &Constraint,
    ) -> Result<Option<Row>, postgres::Error> {
        let Some(expression) = check_expression(&constraint.definition) else {
            return Ok(None);
        };
        // A copy of a valid row: Postgres checks NOT NULL and CHECK constraints before unique
        // keys and foreign keys, so the copy fails on the broken check alone.
        let Some(row) = self.valid_row(constraint.table) else {
            return Ok(None);
        };
        let table = &schema.tables[&constraint.table];
        for number in &constraint.columns {
            let Some(column) = table.columns.iter().find(|column| column.number == *number) else {
                continue;
            };
            // The other checked columns' values break checks comparing columns (`a <> b`).
            let copies = constraint
                .columns
                .iter()
                .filter(|other| *other != number)
                .filter_map(|other| row.get(other).cloned());
            for breaker in check_breakers(column).into_iter().chain(copies) {
                let mut candidate = row.clone();
                candidate.insert(*number, breaker);
                if self.violates(table, &candidate, expression)? {
                    return Ok(Some(candidate));
                }
            }
        }
        Ok(None)
    }

    /// Whether `expression` is false for `row`, evaluated over a one-row stand-in for the
    /// table (so nothing is inserted to find out).
    fn violates(
        &mut self,
        table: &Table,
        row: &Row,
        expression: &str,
    ) -> Result<bool, postgres::Error> {
        let columns: Vec<String> = table
            .columns
            .iter()
            .map(|column| {
                let value = row
                    .get(&column.number)
                    .cloned()
                    .unwrap_or_else(|| format!("NULL::{}", column.sql_type));
                format!("{value} AS {}", column.quoted)
            })
            .collect();
        let sql = format!(
            "SELECT coalesce(NOT ({expression}), false) FROM (SELECT {}) AS probe",
            columns.join(", ")
        );
        self.transaction.batch_execute("SAVEPOINT commerce_check")?;
        let outcome = self.transaction.query_one(&sql, &[]);
        self.transaction
            .batch_execute("ROLLBACK TO SAVEPOINT commerce_check")?;
        Ok(outcome.is_ok_and(|answer| answer.get::<_, bool>(0)))
    }

    /// Inserts `row` in a savepoint, with deferred constraints checked at once, and records
    /// whether Postgres rejected it with `sqlstate`.
    fn try_violation(
        &mut self,
        table: &Table,
        row: &Row,
        sqlstate: &str,
        finding: impl FnOnce() -> NotEnforced,
    ) -> Result<(), postgres::Error> {
        let insert = insert_sql(table, row);
        self.report.probed += 1;
        self.transaction.batch_execute("SAVEPOINT commerce_probe")?;
        let outcome = self
            .transaction
            .batch_execute(&format!("{insert}; SET CONSTRAINTS ALL IMMEDIATE"));
        self.transaction
            .batch_execute("ROLLBACK TO SAVEPOINT commerce_probe")?;
        match outcome {
            Ok(()) => self.report.not_enforced.push(NotEnforced {
                insert,
                ..finding()
            }),
            Err(error) if error.code().is_some_and(|code| code.code() == sqlstate) => {
                self.report.held += 1;
            }
            Err(_) => self.report.inconclusive += 1,
        }
        Ok(())
    }
}

/// `INSERT INTO t (a, b) OVERRIDING SYSTEM VALUE VALUES (…)`: explicit values win over
/// identity columns, so a duplicate key can be written.
fn insert_sql(table: &Table, row: &Row) -> String {
    let (columns, values): (Vec<&str>, Vec<&str>) = table
        .columns
        .iter()
        .filter_map(|column| Some((column.quoted.as_str(), row.get(&column.number)?.as_str())))
        .unzip();
    if columns.is_empty() {
        return format!("INSERT INTO {} DEFAULT VALUES", table.quoted);
    }
    let overriding = if table.columns.iter().any(|column| column.identity) {
        " OVERRIDING SYSTEM VALUE"
    } else {
        ""
    };
    format!(
        "INSERT INTO {} ({}){overriding} VALUES ({})",
        table.quoted,
        columns.join(", "),
        values.join(", ")
    )
}

/// The expression of `CHECK (expr) [NOT VALID] [NO INHERIT]`.
fn check_expression(definition: &str) -> Option<&str> {
    let rest = definition.strip_prefix("CHECK ")?;
    let rest = rest.strip_suffix(" NOT VALID").unwrap_or(rest);
    Some(rest.strip_suffix(" NO INHERIT").unwrap_or(rest))
}

/// The first `'…'` literal of a check, e.g. `new` of `status = ANY (ARRAY['new'::text, …])`:
/// a value the check most likely allows.
fn first_quoted_literal(definition: &str) -> Option<String> {
    let start = definition.find('\'')? + 1;
    let length = definition[start..].find('\'')?;
    Some(definition[start..start + length].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_values() {
        let mut first = Values::new(7);
        let mut again = Values::new(7);
        let mut other = Values::new(8);
        let drawn: Vec<u64> = (0..4).map(|_| first.next()).collect();
        assert_eq!(drawn, (0..4).map(|_| again.next()).collect::<Vec<_>>());
        assert_ne!(drawn, (0..4).map(|_| other.next()).collect::<Vec<_>>());
    }

    #[test]
    fn check_definitions_are_read() {
        assert_eq!(
            check_expression("CHECK ((total >= (0)::numeric)) NOT VALID"),
            Some("((total >= (0)::numeric))")
        );
        assert_eq!(
            first_quoted_literal("CHECK ((status = ANY (ARRAY['new'::text, 'paid'::text])))"),
            Some("new".to_owned())
        );
        assert_eq!(literal("it's", "text"), "'it''s'::text");
    }
}
