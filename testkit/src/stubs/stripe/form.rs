//! Stripe's form encoding: `application/x-www-form-urlencoded` with bracket paths
//! (`metadata[order]=42`, `payment_method_types[]=card`, `payment_method_types[0]=card`,
//! `shipping[address][city]=Paris`), read into a JSON tree whose leaves are strings.

use serde_json::{Map, Value};

/// Why a body is not a form Stripe would read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("Invalid request: the parameter name `{0}` has unbalanced brackets")]
    Brackets(String),
    #[error("Invalid request: the parameter `{0}` is given both as a value and as a hash or array")]
    Conflict(String),
    #[error("Invalid request: the body is not UTF-8 form data")]
    NotUtf8,
}

/// Reads a form body or query string.
///
/// # Errors
/// On a malformed name, a value given twice with different shapes, or a body that is not
/// UTF-8.
pub fn parse(body: &[u8]) -> Result<Map<String, Value>, FormError> {
    if std::str::from_utf8(body).is_err() {
        return Err(FormError::NotUtf8);
    }
    let mut root = Map::new();
    for (name, value) in form_urlencoded::parse(body) {
        if name.is_empty() {
            continue;
        }
        let path = split(&name)?;
        insert(&mut root, &name, &path, value.into_owned())?;
    }
    Ok(arrays(root))
}

/// `a[b][]` → `["a", "b", ""]`.
fn split(name: &str) -> Result<Vec<String>, FormError> {
    let bad = || FormError::Brackets(name.to_owned());
    let (head, mut rest) = name
        .split_once('[')
        .map_or((name, ""), |(head, rest)| (head, rest));
    if head.is_empty() || head.contains(']') {
        return Err(bad());
    }
    let mut path = vec![head.to_owned()];
    if name.contains('[') {
        loop {
            let (segment, after) = rest.split_once(']').ok_or_else(bad)?;
            if segment.contains('[') {
                return Err(bad());
            }
            path.push(segment.to_owned());
            if after.is_empty() {
                break;
            }
            rest = after.strip_prefix('[').ok_or_else(bad)?;
        }
    }
    Ok(path)
}

fn insert(
    map: &mut Map<String, Value>,
    name: &str,
    path: &[String],
    value: String,
) -> Result<(), FormError> {
    let conflict = || FormError::Conflict(name.to_owned());
    let key = if path[0].is_empty() {
        // `[]` appends: the next free index.
        map.len().to_string()
    } else {
        path[0].clone()
    };
    if path.len() == 1 {
        if matches!(map.get(&key), Some(Value::Object(_))) {
            return Err(conflict());
        }
        map.insert(key, Value::String(value));
        return Ok(());
    }
    let child = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(child) = child else {
        return Err(conflict());
    };
    insert(child, name, &path[1..], value)
}

/// Objects whose keys are exactly `0..n` become arrays.
fn arrays(map: Map<String, Value>) -> Map<String, Value> {
    map.into_iter()
        .map(|(key, value)| (key, array(value)))
        .collect()
}

fn array(value: Value) -> Value {
    let Value::Object(map) = value else {
        return value;
    };
    let map = arrays(map);
    let indexed =
        !map.is_empty() && (0..map.len()).all(|index| map.contains_key(&index.to_string()));
    if indexed {
        let mut items: Vec<(usize, Value)> = map
            .into_iter()
            .filter_map(|(key, value)| Some((key.parse().ok()?, value)))
            .collect();
        items.sort_by_key(|(index, _)| *index);
        Value::Array(items.into_iter().map(|(_, value)| value).collect())
    } else {
        Value::Object(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_brackets_arrays_and_nesting() {
        let form = parse(
            b"amount=2000&metadata[order]=42&payment_method_types[]=card&payment_method_types[]=link\
              &expand[0]=latest_charge&shipping[address][city]=Paris&description=a+b%26c",
        )
        .unwrap();
        assert_eq!(
            Value::Object(form),
            json!({
                "amount": "2000",
                "metadata": { "order": "42" },
                "payment_method_types": ["card", "link"],
                "expand": ["latest_charge"],
                "shipping": { "address": { "city": "Paris" } },
                "description": "a b&c",
            })
        );
    }

    #[test]
    fn refuses_malformed_names_and_conflicts() {
        assert_eq!(
            parse(b"metadata[a=1").unwrap_err(),
            FormError::Brackets("metadata[a".to_owned())
        );
        assert!(matches!(parse(b"a]=1"), Err(FormError::Brackets(_))));
        assert!(matches!(parse(b"a[b]c=1"), Err(FormError::Brackets(_))));
        assert!(matches!(
            parse(b"metadata=x&metadata[a]=1"),
            Err(FormError::Conflict(_))
        ));
        assert!(matches!(
            parse(b"metadata[a]=1&metadata=x"),
            Err(FormError::Conflict(_))
        ));
        assert_eq!(parse(b"\xff=1").unwrap_err(), FormError::NotUtf8);
    }
}
