//! Finds what a TOML error span points at: which key, in which table.
//!
//! serde errors carry a byte span but not the key path, so to say "unknown key `rootz` in
//! [frontend]" the document is parsed again (spans only) and searched for that span.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The key or value an error span points at.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Location {
    /// The table keys from the document root down to the key itself (array indices omitted).
    pub keys: Vec<String>,
    pub target: Target,
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Target {
    /// The span is the key itself (unknown or duplicate key).
    Key,
    /// The span is the value, or an item of an array value.
    Value {
        type_name: &'static str,
        in_array: bool,
    },
}

impl Location {
    /// The key the span is about, e.g. `roots`.
    pub fn key(&self) -> &str {
        self.keys.last().map_or("", String::as_str)
    }

    /// The table holding the key, as a TOML header would name it (`suites.fast`); empty for
    /// the top level.
    pub fn table(&self) -> String {
        let parents = &self.keys[..self.keys.len().saturating_sub(1)];
        parents
            .iter()
            .map(|key| quote_key(key))
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// The location of `span` in a parsed document; `None` when nothing has exactly that span.
pub(super) fn locate(document: &DeTable<'_>, span: &Range<usize>) -> Option<Location> {
    find_in_table(document, span, &mut Vec::new())
}

fn find_in_table(
    table: &DeTable<'_>,
    span: &Range<usize>,
    keys: &mut Vec<String>,
) -> Option<Location> {
    for (key, value) in table {
        keys.push(key.get_ref().to_string());
        if key.span() == *span {
            return Some(Location {
                keys: keys.clone(),
                target: Target::Key,
            });
        }
        if let Some(found) = find_in_value(value, span, keys, false) {
            return Some(found);
        }
        keys.pop();
    }
    None
}

fn find_in_value(
    value: &Spanned<DeValue<'_>>,
    span: &Range<usize>,
    keys: &mut Vec<String>,
    in_array: bool,
) -> Option<Location> {
    if value.span() == *span {
        return Some(Location {
            keys: keys.clone(),
            target: Target::Value {
                type_name: value.get_ref().type_str(),
                in_array,
            },
        });
    }
    match value.get_ref() {
        DeValue::Table(table) => find_in_table(table, span, keys),
        DeValue::Array(items) => items
            .iter()
            .find_map(|item| find_in_value(item, span, keys, true)),
        _ => None,
    }
}

/// A key as TOML would need it written: bare when it can be, quoted otherwise.
fn quote_key(key: &str) -> String {
    let is_bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if is_bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locate_text(text: &str, needle: &str) -> Option<Location> {
        let document = DeTable::parse(text).expect("valid TOML");
        let start = text.find(needle)?;
        locate(document.get_ref(), &(start..start + needle.len()))
    }

    #[test]
    fn finds_keys_in_headers_dotted_keys_and_nested_tables() {
        let text = "[suites.fast]\ntagz = []\n[frontend]\nrootz = 1\n";
        let location = locate_text(text, "tagz").expect("found");
        assert_eq!(location.keys, ["suites", "fast", "tagz"]);
        assert_eq!(location.target, Target::Key);
        assert_eq!(location.table(), "suites.fast");
        assert_eq!(location.key(), "tagz");

        let location = locate_text("frontend.rootz = 1\n", "rootz").expect("found");
        assert_eq!(location.keys, ["frontend", "rootz"]);
    }

    #[test]
    fn finds_values_and_array_items() {
        let text = "[frontend]\nroots = [\"web\", 1]\n";
        let location = locate_text(text, "1").expect("found");
        assert_eq!(location.keys, ["frontend", "roots"]);
        assert_eq!(
            location.target,
            Target::Value {
                type_name: "integer",
                in_array: true
            }
        );
    }

    #[test]
    fn quotes_keys_that_are_not_bare() {
        let text = "[suites.\"smoke.eu\"]\nbudget = 1\n";
        let location = locate_text(text, "1").expect("found");
        assert_eq!(location.table(), "suites.\"smoke.eu\"");
    }

    #[test]
    fn gives_up_on_spans_that_match_nothing() {
        let document = DeTable::parse("x = 1").expect("valid TOML");
        assert_eq!(locate(document.get_ref(), &(1..3)), None);
    }
}
