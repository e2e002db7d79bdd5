//! Comparing two snapshots: every difference, and the ones that lose data.

use std::fmt;

use super::creation_time::CreationWindow;
use super::snapshot::{Attributes, ObjectKey, ObjectKind, Snapshot};
use super::token_diff::token_diff;

/// Values at most this long together are quoted whole; longer ones are shown as a diff.
const QUOTED_WHOLE_CHARS: usize = 80;

/// One way `actual` differs from `expected`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Difference {
    /// In `expected`, not in `actual`.
    Missing(ObjectKey, Attributes),
    /// In `actual`, not in `expected`.
    Extra(ObjectKey, Attributes),
    /// In both, with one attribute different. Compared within a run's window, the values
    /// have its creation-time literals written as their keywords (`'now'::timestamp …`).
    Changed {
        object: ObjectKey,
        attribute: &'static str,
        expected: String,
        actual: String,
    },
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::Missing(object, attributes) => {
                write!(f, "{object} is missing{}", summary(attributes))
            }
            Difference::Extra(object, attributes) => {
                write!(f, "{object} is left over{}", summary(attributes))
            }
            Difference::Changed {
                object,
                attribute,
                expected,
                actual,
            } if expected.chars().count() + actual.chars().count() <= QUOTED_WHOLE_CHARS => write!(
                f,
                "{object}: {attribute} should be {} but is {}",
                shown(expected),
                shown(actual)
            ),
            Difference::Changed {
                object,
                attribute,
                expected,
                actual,
            } => write!(
                f,
                "{object}: {attribute} differs: {}",
                token_diff(expected, actual)
            ),
        }
    }
}

impl Difference {
    /// The difference for machines, with the full values: `{"object", "change", …}`.
    pub fn to_json(&self) -> serde_json::Value {
        let attributes = |attributes: &Attributes| {
            attributes
                .iter()
                .map(|(name, value)| ((*name).to_owned(), serde_json::Value::from(value.as_str())))
                .collect::<serde_json::Map<_, _>>()
        };
        match self {
            Difference::Missing(object, found) => serde_json::json!({
                "object": object.to_string(),
                "change": "missing",
                "expected": attributes(found),
            }),
            Difference::Extra(object, found) => serde_json::json!({
                "object": object.to_string(),
                "change": "left over",
                "actual": attributes(found),
            }),
            Difference::Changed {
                object,
                attribute,
                expected,
                actual,
            } => serde_json::json!({
                "object": object.to_string(),
                "change": "changed",
                "attribute": attribute,
                "expected": expected,
                "actual": actual,
            }),
        }
    }
}

fn shown(value: &str) -> String {
    if value.is_empty() {
        "empty".to_owned()
    } else {
        format!("`{value}`")
    }
}

/// ` (type integer, not null true)`: the attributes that say what the object was.
fn summary(attributes: &Attributes) -> String {
    let parts: Vec<String> = attributes
        .iter()
        .filter(|(name, value)| !value.is_empty() && **name != "body" && **name != "definition")
        .map(|(name, value)| format!("{name} {value}"))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// Every difference between the schema expected and the one found, in object order. Within
/// `window`, values that differ only in creation-time literals are the same.
pub fn compare(
    expected: &Snapshot,
    actual: &Snapshot,
    window: Option<&CreationWindow>,
) -> Vec<Difference> {
    let mut differences = Vec::new();
    for (object, attributes) in &expected.objects {
        match actual.objects.get(object) {
            None => differences.push(Difference::Missing(object.clone(), attributes.clone())),
            Some(found) => {
                for (attribute, value) in attributes {
                    let other = found.get(attribute).map_or("", String::as_str);
                    if value == other {
                        continue;
                    }
                    let (expected, actual) = match window {
                        Some(window) => (window.mask(value), window.mask(other)),
                        None => (value.into(), other.into()),
                    };
                    if expected != actual {
                        differences.push(Difference::Changed {
                            object: object.clone(),
                            attribute,
                            expected: expected.into_owned(),
                            actual: actual.into_owned(),
                        });
                    }
                }
            }
        }
    }
    for (object, attributes) in &actual.objects {
        if !expected.objects.contains_key(object) {
            differences.push(Difference::Extra(object.clone(), attributes.clone()));
        }
    }
    differences
}

/// A change of schema that can lose data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loss {
    pub object: ObjectKey,
    pub description: String,
}

/// What `after` lost of `before`'s data: tables, columns (of tables that remain),
/// constraints (of tables that remain), enum values, and column types narrowed or changed
/// to a type not known to hold every value.
pub fn losses(before: &Snapshot, after: &Snapshot) -> Vec<Loss> {
    let mut losses = Vec::new();
    for difference in compare(before, after, None) {
        match difference {
            Difference::Missing(object, attributes) => {
                if is_renamed(&object, &attributes, before, after) {
                    continue;
                }
                if let Some(description) = lost_object(&object, &attributes, after) {
                    losses.push(Loss {
                        object,
                        description,
                    });
                }
            }
            Difference::Changed {
                object,
                attribute,
                expected,
                actual,
            } => {
                let description = match (object.kind, attribute) {
                    (ObjectKind::Column, "type") => type_change(&expected, &actual),
                    (ObjectKind::Type, "definition") => lost_enum_values(&expected, &actual),
                    _ => None,
                };
                if let Some(description) = description {
                    losses.push(Loss {
                        object,
                        description,
                    });
                }
            }
            Difference::Extra(..) => {}
        }
    }
    losses
}

/// Whether a missing table or column lives on under a new name: a new table with exactly its
/// columns, or a new column of the same table with exactly its attributes. A rename keeps the
/// data (`renaming-column` and `renaming-table` warn about the code that still uses the name).
fn is_renamed(
    object: &ObjectKey,
    attributes: &Attributes,
    before: &Snapshot,
    after: &Snapshot,
) -> bool {
    let new_objects = || {
        after
            .objects
            .iter()
            .filter(|(key, _)| key.kind == object.kind && !before.objects.contains_key(key))
    };
    match object.kind {
        ObjectKind::Column => {
            let table = parent(&object.name);
            new_objects().any(|(key, found)| parent(&key.name) == table && found == attributes)
        }
        ObjectKind::Table => {
            let columns = columns_of(before, &object.name);
            !columns.is_empty()
                && new_objects().any(|(key, _)| columns_of(after, &key.name) == columns)
        }
        _ => false,
    }
}

/// `schema.table` of `schema.table.column`.
fn parent(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(parent, _)| parent)
}

/// The columns of `table`, by column name.
fn columns_of<'a>(snapshot: &'a Snapshot, table: &str) -> Vec<(&'a str, &'a Attributes)> {
    snapshot
        .objects
        .iter()
        .filter(|(key, _)| key.kind == ObjectKind::Column && parent(&key.name) == table)
        .map(|(key, attributes)| (key.name.rsplit('.').next().unwrap_or_default(), attributes))
        .collect()
}

fn lost_object(object: &ObjectKey, attributes: &Attributes, after: &Snapshot) -> Option<String> {
    let table_remains = |name: &str| {
        let table = name.rsplit_once('.').map_or(name, |(table, _)| table);
        after.objects.contains_key(&ObjectKey {
            kind: ObjectKind::Table,
            name: table.to_owned(),
        })
    };
    match object.kind {
        ObjectKind::Table => Some(format!(
            "table {} is dropped with all its rows",
            object.name
        )),
        ObjectKind::MaterializedView => Some(format!(
            "materialized view {} is dropped with its contents",
            object.name
        )),
        ObjectKind::Column if table_remains(&object.name) => Some(format!(
            "column {} ({}) is dropped with its values",
            object.name,
            attributes.get("type").map_or("", String::as_str)
        )),
        ObjectKind::Constraint if table_remains(&object.name) => Some(format!(
            "constraint {} ({}) no longer protects the data",
            object.name,
            attributes.get("definition").map_or("", String::as_str)
        )),
        ObjectKind::Type if attributes.get("kind").is_some_and(|kind| kind == "enum") => {
            Some(format!("enum {} is dropped", object.name))
        }
        _ => None,
    }
}

fn lost_enum_values(expected: &str, actual: &str) -> Option<String> {
    let after: Vec<&str> = actual.split(", ").collect();
    let lost: Vec<&str> = expected
        .split(", ")
        .filter(|value| !value.is_empty() && !after.contains(value))
        .collect();
    (!lost.is_empty()).then(|| format!("enum values {} are removed", lost.join(", ")))
}

/// A column type as the catalog formats it, reduced to what widening depends on.
#[derive(Debug, PartialEq)]
enum TypeShape {
    /// smallint, integer, bigint: the width rank.
    Integer(u8),
    /// numeric(precision, scale), or unbounded.
    Numeric(Option<(u32, u32)>),
    /// varchar(n)/char(n) with their length, text/varchar without one as `None`.
    Text(Option<u32>),
    Other(String),
}

fn shape(formatted: &str) -> TypeShape {
    let (name, modifiers) = match formatted.split_once('(') {
        Some((name, rest)) => (name.trim(), rest.trim_end_matches(')')),
        None => (formatted.trim(), ""),
    };
    let numbers: Vec<u32> = modifiers
        .split(',')
        .filter_map(|part| part.trim().parse().ok())
        .collect();
    match name {
        "smallint" => TypeShape::Integer(1),
        "integer" => TypeShape::Integer(2),
        "bigint" => TypeShape::Integer(3),
        "numeric" => TypeShape::Numeric(match numbers.as_slice() {
            [precision] => Some((*precision, 0)),
            [precision, scale] => Some((*precision, *scale)),
            _ => None,
        }),
        "text" | "character varying" | "character" | "citext" => {
            TypeShape::Text(numbers.first().copied())
        }
        _ => TypeShape::Other(formatted.to_owned()),
    }
}

/// Why changing a column from `before` to `after` can lose values; `None` for a widening.
fn type_change(before: &str, after: &str) -> Option<String> {
    let narrowed = |detail: &str| {
        Some(format!(
            "type narrowed from `{before}` to `{after}`{detail}"
        ))
    };
    match (shape(before), shape(after)) {
        (TypeShape::Integer(from), TypeShape::Integer(to)) => {
            if to < from {
                narrowed(": large values no longer fit")
            } else {
                None
            }
        }
        (TypeShape::Integer(_), TypeShape::Numeric(None)) => None,
        (TypeShape::Numeric(from), TypeShape::Numeric(to)) => match (from, to) {
            (_, None) => None,
            (None, Some(_)) => narrowed(": digits beyond the new precision are lost"),
            (Some((p1, s1)), Some((p2, s2))) if p2 - s2.min(p2) < p1 - s1.min(p1) || s2 < s1 => {
                narrowed(": digits beyond the new precision are lost")
            }
            _ => None,
        },
        (TypeShape::Numeric(_), TypeShape::Integer(_)) => narrowed(": fractions are rounded away"),
        (TypeShape::Text(from), TypeShape::Text(to)) => match (from, to) {
            (_, None) => None,
            (None, Some(_)) => narrowed(": longer values no longer fit"),
            (Some(from), Some(to)) if to < from => narrowed(": longer values no longer fit"),
            _ => None,
        },
        _ => Some(format!(
            "type changed from `{before}` to `{after}`, which is not known to keep every value"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An object of a test snapshot: kind, name, attributes.
    type Entry<'a> = (ObjectKind, &'a str, &'a [(&'static str, &'a str)]);

    fn snapshot(objects: &[Entry<'_>]) -> Snapshot {
        Snapshot {
            objects: objects
                .iter()
                .map(|(kind, name, attributes)| {
                    (
                        ObjectKey {
                            kind: *kind,
                            name: (*name).to_owned(),
                        },
                        attributes
                            .iter()
                            .map(|(key, value)| (*key, (*value).to_owned()))
                            .collect(),
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn differences_name_the_object_and_attribute() {
        let expected = snapshot(&[
            (ObjectKind::Table, "public.orders", &[]),
            (
                ObjectKind::Column,
                "public.orders.total",
                &[("type", "integer"), ("default", "0")],
            ),
            (
                ObjectKind::Column,
                "public.orders.note",
                &[("type", "text"), ("default", "")],
            ),
        ]);
        let actual = snapshot(&[
            (ObjectKind::Table, "public.orders", &[]),
            (
                ObjectKind::Column,
                "public.orders.total",
                &[("type", "integer"), ("default", "")],
            ),
            (
                ObjectKind::Index,
                "public.orders_note",
                &[("definition", "CREATE INDEX …")],
            ),
        ]);
        let shown: Vec<String> = compare(&expected, &actual, None)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            [
                "column public.orders.note is missing (type text)",
                "column public.orders.total: default should be `0` but is empty",
                "index public.orders_note is left over",
            ]
        );
    }

    #[test]
    fn renamed_tables_and_columns_keep_their_data() {
        let before = snapshot(&[
            (ObjectKind::Table, "public.basket", &[]),
            (
                ObjectKind::Column,
                "public.basket.id",
                &[("type", "bigint")],
            ),
            (ObjectKind::Table, "public.builds", &[]),
            (
                ObjectKind::Column,
                "public.builds.build_time",
                &[("type", "timestamp with time zone")],
            ),
        ]);
        let after = snapshot(&[
            (ObjectKind::Table, "public.cart", &[]),
            (ObjectKind::Column, "public.cart.id", &[("type", "bigint")]),
            (ObjectKind::Table, "public.builds", &[]),
            (
                ObjectKind::Column,
                "public.builds.build_finished",
                &[("type", "timestamp with time zone")],
            ),
        ]);
        assert_eq!(losses(&before, &after), []);
        let retyped = snapshot(&[
            (ObjectKind::Table, "public.builds", &[]),
            (
                ObjectKind::Column,
                "public.builds.build_finished",
                &[("type", "date")],
            ),
        ]);
        assert_eq!(
            losses(&before, &retyped).len(),
            2,
            "a different type is not a rename"
        );
    }

    #[test]
    fn losses_are_tables_columns_constraints_enum_values_and_narrowed_types() {
        let before = snapshot(&[
            (ObjectKind::Table, "public.orders", &[]),
            (ObjectKind::Table, "public.carts", &[]),
            (ObjectKind::Column, "public.carts.id", &[("type", "bigint")]),
            (
                ObjectKind::Column,
                "public.orders.note",
                &[("type", "text")],
            ),
            (
                ObjectKind::Column,
                "public.orders.code",
                &[("type", "character varying(64)")],
            ),
            (
                ObjectKind::Column,
                "public.orders.total",
                &[("type", "numeric(12,2)")],
            ),
            (
                ObjectKind::Column,
                "public.orders.qty",
                &[("type", "integer")],
            ),
            (ObjectKind::Column, "public.orders.ref", &[("type", "text")]),
            (
                ObjectKind::Constraint,
                "public.orders.orders_total_check",
                &[("definition", "CHECK ((total >= 0))")],
            ),
            (
                ObjectKind::Type,
                "public.status",
                &[("kind", "enum"), ("definition", "'new', 'paid', 'void'")],
            ),
        ]);
        let after = snapshot(&[
            (ObjectKind::Table, "public.orders", &[]),
            (
                ObjectKind::Column,
                "public.orders.code",
                &[("type", "character varying(32)")],
            ),
            (
                ObjectKind::Column,
                "public.orders.total",
                &[("type", "numeric(14,2)")],
            ),
            (
                ObjectKind::Column,
                "public.orders.qty",
                &[("type", "bigint")],
            ),
            (ObjectKind::Column, "public.orders.ref", &[("type", "uuid")]),
            (
                ObjectKind::Type,
                "public.status",
                &[("kind", "enum"), ("definition", "'new', 'paid'")],
            ),
        ]);
        let described: Vec<String> = losses(&before, &after)
            .into_iter()
            .map(|loss| loss.description)
            .collect();
        assert_eq!(
            described,
            [
                "enum values 'void' are removed",
                "table public.carts is dropped with all its rows",
                "type narrowed from `character varying(64)` to `character varying(32)`: longer values no longer fit",
                "column public.orders.note (text) is dropped with its values",
                "type changed from `text` to `uuid`, which is not known to keep every value",
                "constraint public.orders.orders_total_check (CHECK ((total >= 0))) no longer protects the data",
            ]
        );
    }
}
