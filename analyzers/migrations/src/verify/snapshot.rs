//! A schema as the catalogs describe it, keyed so that two snapshots compare semantically.
//!
//! Every object is one entry: a key naming its kind and qualified name
//! (`column public.orders.total`) and its attributes (`type`, `not null`, `default`, …).
//! Columns are keyed by name, so column order is not drift; function bodies and view
//! definitions are compared with whitespace collapsed. Objects that belong to an extension
//! are the extension's business and left out; the extension itself is in.

use std::collections::BTreeMap;
use std::fmt;

use postgres::Client;

/// Schemas that hold no migration's objects.
const SYSTEM_SCHEMAS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

/// Excludes rows for objects an extension owns (`classid` is the catalog of the object).
fn not_from_extension(catalog: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = '{catalog}'::regclass \
         AND dep.objid = {oid} AND dep.deptype = 'e')"
    )
}

/// The kinds of object in a snapshot, in the order they are listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectKind {
    Schema,
    Extension,
    Collation,
    Type,
    Table,
    View,
    MaterializedView,
    Sequence,
    Column,
    Constraint,
    Index,
    Trigger,
    Function,
    Policy,
}

impl ObjectKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Schema => "schema",
            ObjectKind::Extension => "extension",
            ObjectKind::Collation => "collation",
            ObjectKind::Type => "type",
            ObjectKind::Table => "table",
            ObjectKind::View => "view",
            ObjectKind::MaterializedView => "materialized view",
            ObjectKind::Sequence => "sequence",
            ObjectKind::Column => "column",
            ObjectKind::Constraint => "constraint",
            ObjectKind::Index => "index",
            ObjectKind::Trigger => "trigger",
            ObjectKind::Function => "function",
            ObjectKind::Policy => "policy",
        }
    }
}

/// One object: its kind and qualified name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub kind: ObjectKind,
    /// `public.orders.total` for a column, `public.orders.orders_pkey` for a constraint.
    pub name: String,
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.as_str(), self.name)
    }
}

/// An object's attributes, by name.
pub type Attributes = BTreeMap<&'static str, String>;

/// The schema of one database.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub objects: BTreeMap<ObjectKey, Attributes>,
}

impl Snapshot {
    /// Reads the schema of the database `client` is connected to.
    ///
    /// # Errors
    /// When a catalog query fails.
    pub fn take(client: &mut Client) -> Result<Self, postgres::Error> {
        let mut snapshot = Self::default();
        for query in QUERIES {
            for row in client.query(&query.sql(), &[])? {
                let kind = query.kind;
                let name: String = row.try_get(0)?;
                let mut attributes = Attributes::new();
                for (index, attribute) in query.attributes.iter().enumerate() {
                    let value: Option<String> = row.try_get(index + 1)?;
                    let value = value.unwrap_or_default();
                    let value = if query.normalize.contains(attribute) {
                        normalize_expression(&value)
                    } else {
                        value
                    };
                    attributes.insert(attribute, value);
                }
                snapshot
                    .objects
                    .insert(ObjectKey { kind, name }, attributes);
            }
        }
        Ok(snapshot)
    }
}

/// The spellings of the transaction's start time: Postgres keeps a default written
/// `CURRENT_TIMESTAMP` as such and `now()` as `now()`, but they are the same value.
const NOW_SYNONYMS: [&str; 2] = ["CURRENT_TIMESTAMP", "transaction_timestamp()"];

/// An expression or body as compared: runs of whitespace collapsed to one space (a function
/// re-indented by a down migration is the same function), and synonyms of `now()` spelled
/// `now()`.
pub(crate) fn normalize_expression(text: &str) -> String {
    let mut collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for synonym in NOW_SYNONYMS {
        collapsed = replace_word(&collapsed, synonym, "now()");
    }
    collapsed
}

/// Replaces `word` where it is not part of a longer identifier.
fn replace_word(text: &str, word: &str, with: &str) -> String {
    let is_ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + word.len()..].chars().next();
        let whole = !before.is_some_and(is_ident) && !after.is_some_and(is_ident);
        out.push_str(&rest[..at]);
        out.push_str(if whole { with } else { word });
        rest = &rest[at + word.len()..];
    }
    out.push_str(rest);
    out
}

/// One catalog query: the first column is the object's name, the others its attributes.
struct CatalogQuery {
    kind: ObjectKind,
    attributes: &'static [&'static str],
    /// Attributes compared with whitespace collapsed.
    normalize: &'static [&'static str],
    select: &'static str,
    /// Appended after the select: `FROM …` with its `WHERE`, using the placeholders
    /// `{system}` and `{no_extension:<catalog>:<oid>}`.
    from: &'static str,
}

impl CatalogQuery {
    fn sql(&self) -> String {
        let mut from = self.from.replace("{system}", SYSTEM_SCHEMAS);
        while let Some(start) = from.find("{no_extension:") {
            let Some(length) = from[start..].find('}') else {
                break;
            };
            let spec = &from[start + "{no_extension:".len()..start + length];
            let (catalog, oid) = spec.split_once(':').unwrap_or((spec, "oid"));
            let condition = not_from_extension(catalog, oid);
            from.replace_range(start..=start + length, &condition);
        }
        format!("SELECT {} {from} ORDER BY 1", self.select)
    }
}

const QUERIES: [CatalogQuery; 14] = [
    CatalogQuery {
        kind: ObjectKind::Schema,
        attributes: &[],
        normalize: &[],
        select: "n.nspname::text",
        from: "FROM pg_namespace n WHERE {system} AND {no_extension:pg_namespace:n.oid}",
    },
    CatalogQuery {
        kind: ObjectKind::Extension,
        attributes: &["schema"],
        normalize: &[],
        select: "e.extname::text, n.nspname::text",
        from: "FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace",
    },
    CatalogQuery {
        kind: ObjectKind::Collation,
        attributes: &["provider", "locale", "deterministic"],
        normalize: &[],
        select: "n.nspname || '.' || c.collname, c.collprovider::text, \
                 coalesce(c.colliculocale, c.collcollate), c.collisdeterministic::text",
        from: "FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace \
               WHERE {system} AND {no_extension:pg_collation:c.oid}",
    },
    CatalogQuery {
        kind: ObjectKind::Type,
        attributes: &["kind", "definition"],
        normalize: &[],
        select: "n.nspname || '.' || t.typname, \
                 CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' WHEN 'r' THEN 'range' ELSE 'composite' END, \
                 CASE t.typtype \
                   WHEN 'e' THEN (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) \
                   WHEN 'd' THEN format_type(t.typbasetype, t.typtypmod) || coalesce(' DEFAULT ' || t.typdefault, '') || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END \
                   ELSE (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) \
                 END",
        from: "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
               WHERE {system} AND {no_extension:pg_type:t.oid} \
               AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND \
                    (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))",
    },
    CatalogQuery {
        kind: ObjectKind::Table,
        attributes: &["row level security"],
        normalize: &[],
        select: "n.nspname || '.' || c.relname, c.relrowsecurity::text",
        from: "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
               WHERE c.relkind IN ('r', 'p', 'f') AND {system} AND {no_extension:pg_class:c.oid}",
    },
    CatalogQuery {
        kind: ObjectKind::View,
        attributes: &["definition"],
        normalize: &["definition"],
        select: "n.nspname || '.' || c.relname, pg_get_viewdef(c.oid)",
        from: "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
               WHERE c.relkind = 'v' AND {system} AND {no_extension:pg_class:c.oid}",
    },
    CatalogQuery {
        kind: ObjectKind::MaterializedView,
        attributes: &["definition"],
        normalize: &["definition"],
        select: "n.nspname || '.' || c.relname, pg_get_viewdef(c.oid)",
        from: "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
               WHERE c.relkind = 'm' AND {system} AND {no_extension:pg_class:c.oid}",
    },
    CatalogQuery {
        kind: ObjectKind::Sequence,
        attributes: &["type", "increment", "owned by"],
        normalize: &[],
        select: "n.nspname || '.' || c.relname, format_type(s.seqtypid, NULL), s.seqincrement::text, \
                 (SELECT oc.relname || '.' || a.attname FROM pg_depend d \
                    JOIN pg_class oc ON oc.oid = d.refobjid \
                    JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid \
                    AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1)",
        from: "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
               JOIN pg_sequence s ON s.seqrelid = c.oid \
               WHERE {system} AND {no_extension:pg_class:c.oid}",
    },
    CatalogQuery {
        kind: ObjectKind::Column,
        attributes: &[
            "type",
            "not null",
            "default",
            "identity",
            "generated",
            "collation",
        ],
        normalize: &["default"],
        select: "n.nspname || '.' || c.relname || '.' || a.attname, \
                 format_type(a.atttypid, a.atttypmod), a.attnotnull::text, \
                 pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text, \
                 CASE WHEN a.attcollation <> t.typcollation THEN coll.collname::text END",
        from: "FROM pg_attribute a \
               JOIN pg_class c ON c.oid = a.attrelid \
               JOIN pg_namespace n ON n.oid = c.relnamespace \
               JOIN pg_type t ON t.oid = a.atttypid \
               LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
               LEFT JOIN pg_collation coll ON coll.oid = a.attcollation \
               WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f') \
               AND {system} AND {no_extension:pg_class:c.oid}",
    },
    CatalogQuery {
        kind: ObjectKind::Constraint,
        attributes: &["definition", "validated"],
        normalize: &["definition"],
        select: "n.nspname || '.' || coalesce(c.relname, t.typname) || '.' || con.conname, \
                 pg_get_constraintdef(con.oid), con.convalidated::text",
        from: "FROM pg_constraint con \
               JOIN pg_namespace n ON n.oid = con.connamespace \
               LEFT JOIN pg_class c ON c.oid = con.conrelid \
               LEFT JOIN pg_type t ON t.oid = con.contypid \
               WHERE {system} AND {no_extension:pg_constraint:con.oid} \
               AND (c.oid IS NULL OR {no_extension:pg_class:c.oid})",
    },
    CatalogQuery {
        kind: ObjectKind::Index,
        attributes: &["definition", "valid"],
        normalize: &["definition"],
        select: "n.nspname || '.' || i.relname, pg_get_indexdef(i.oid), x.indisvalid::text",
        from: "FROM pg_index x \
               JOIN pg_class i ON i.oid = x.indexrelid \
               JOIN pg_class c ON c.oid = x.indrelid \
               JOIN pg_namespace n ON n.oid = i.relnamespace \
               WHERE {system} AND {no_extension:pg_class:c.oid}",
    },
    CatalogQuery {
        kind: ObjectKind::Trigger,
        attributes: &["definition", "enabled"],
        normalize: &["definition"],
        select: "n.nspname || '.' || c.relname || '.' || tg.tgname, pg_get_triggerdef(tg.oid), tg.tgenabled::text",
        from: "FROM pg_trigger tg \
               JOIN pg_class c ON c.oid = tg.tgrelid \
               JOIN pg_namespace n ON n.oid = c.relnamespace \
               WHERE NOT tg.tgisinternal AND {system} AND {no_extension:pg_class:c.oid}",
    },
    CatalogQuery {
        kind: ObjectKind::Function,
        attributes: &["returns", "language", "volatility", "body"],
        normalize: &["body"],
        select: "n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', \
                 pg_get_function_result(p.oid), l.lanname::text, p.provolatile::text, p.prosrc",
        from: "FROM pg_proc p \
               JOIN pg_namespace n ON n.oid = p.pronamespace \
               JOIN pg_language l ON l.oid = p.prolang \
               WHERE {system} AND {no_extension:pg_proc:p.oid}",
    },
    CatalogQuery {
        kind: ObjectKind::Policy,
        attributes: &["command", "using", "check"],
        normalize: &["using", "check"],
        select: "n.nspname || '.' || c.relname || '.' || pol.polname, pol.polcmd::text, \
                 pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid)",
        from: "FROM pg_policy pol \
               JOIN pg_class c ON c.oid = pol.polrelid \
               JOIN pg_namespace n ON n.oid = c.relnamespace \
               WHERE {system}",
    },
];

#[cfg(test)]
mod tests {
    use super::normalize_expression;

    #[test]
    fn whitespace_and_now_synonyms_are_not_differences() {
        assert_eq!(normalize_expression("\n  select\n\t1  "), "select 1");
        assert_eq!(normalize_expression("CURRENT_TIMESTAMP"), "now()");
        assert_eq!(
            normalize_expression("(transaction_timestamp() + '1 day'::interval)"),
            "(now() + '1 day'::interval)"
        );
        assert_eq!(
            normalize_expression("my_CURRENT_TIMESTAMP()"),
            "my_CURRENT_TIMESTAMP()"
        );
    }
}
