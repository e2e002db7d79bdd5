//! API descriptions and policy tables read from files: JSON, or YAML turned into the same
//! [`serde_json::Value`], so the auth matrix takes an OpenAPI spec and its policy table in
//! either.
//!
//! YAML is read with `saphyr-parser` (events, no recursion), and nesting deeper than
//! [`MAX_DEPTH`] is an error, so a hostile file cannot overflow the stack. A plain scalar means what it would in JSON: `null` (and `~` or
//! nothing), `true`/`false` (also capitalised), a JSON number, or a `0x`/`0o` integer;
//! anything else, and every quoted or block scalar, is a string. Mapping keys are kept as
//! written (`200:` is the key `"200"`). Anchors and aliases are expanded, up to a budget of
//! nodes, so an alias bomb is an error. Merge keys (`<<`) are not expanded.
//!
//! ```
//! use commerce_testkit::document::parse;
//! use serde_json::json;
//!
//! let yaml = "openapi: 3.1.0\npaths:\n  /orders/{id}:\n    get:\n      responses:\n        200: {description: ok}\n";
//! assert_eq!(
//!     parse(yaml).unwrap(),
//!     json!({ "openapi": "3.1.0", "paths": { "/orders/{id}": { "get": { "responses": { "200": { "description": "ok" } } } } } })
//! );
//! let error = parse("paths: [unclosed").unwrap_err();
//! assert_eq!(error.to_string(), "line 2, column 1: while parsing a flow sequence, expected ',' or ']'");
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use saphyr_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Number, Value};

/// Deeper nesting than this is no API description.
pub const MAX_DEPTH: usize = 256;

/// How many nodes aliases may add to a document: far more than any real spec, far less than
/// an alias bomb expands to.
const ALIAS_BUDGET: usize = 1_000_000;

/// Why a document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: {source}", path.display())]
    File {
        path: PathBuf,
        source: Box<DocumentError>,
    },
}

fn syntax(line: usize, column: usize, message: impl Into<String>) -> DocumentError {
    DocumentError::Syntax {
        line,
        column,
        message: message.into(),
    }
}

/// Reads a JSON or YAML file (by its content: JSON is YAML too, and takes a faster path).
///
/// # Errors
/// When the file cannot be read or is not one JSON or YAML document; the error names the
/// file, line and column.
pub fn read(path: impl AsRef<Path>) -> Result<Value, DocumentError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| DocumentError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text).map_err(|error| DocumentError::File {
        path: path.to_path_buf(),
        source: Box::new(error),
    })
}

/// Parses one JSON or YAML document.
///
/// # Errors
/// On a syntax error, a second document, a complex mapping key, an unknown alias, aliases
/// expanding past the budget, or nesting deeper than [`MAX_DEPTH`].
pub fn parse(text: &str) -> Result<Value, DocumentError> {
    if text.trim_start().starts_with(['{', '['])
        && let Ok(value) = serde_json::from_str(text)
    {
        return Ok(value);
    }
    Builder::default().run(text)
}

/// A collection being read: its value so far, its anchor, and how many nodes it holds.
enum Open {
    Seq(Vec<Value>, usize, usize),
    /// The entries, the key waiting for its value, the anchor, the node count.
    Map(Map<String, Value>, Option<String>, usize, usize),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    /// Anchored values and their node counts.
    anchors: HashMap<usize, (Value, usize)>,
    aliased: usize,
    root: Option<Value>,
    documents: usize,
}

impl Builder {
    fn run(mut self, text: &str) -> Result<Value, DocumentError> {
        let mut parser = Parser::new_from_str(text);
        while let Some(next) = parser.next_event() {
            let (event, span) = next.map_err(|error| {
                let at = error.marker();
                syntax(at.line(), at.col() + 1, error.info())
            })?;
            let (line, column) = (span.start.line(), span.start.col() + 1);
            match event {
                Event::DocumentStart(_) => {
                    self.documents += 1;
                    if self.documents > 1 {
                        return Err(syntax(line, column, "a second document: expected one"));
                    }
                }
                Event::Scalar(text, style, anchor, tag) => {
                    if let Some(Open::Map(_, key @ None, ..)) = self.stack.last_mut() {
                        *key = Some(text.into_owned());
                        continue;
                    }
                    let string = style != ScalarStyle::Plain
                        || tag.is_some_and(|tag| tag.is_yaml_core_schema() && tag.suffix == "str");
                    let value = if string {
                        Value::String(text.into_owned())
                    } else {
                        plain(&text)
                    };
                    self.add(value, 1, anchor);
                }
                Event::Alias(anchor) => {
                    let Some((value, nodes)) = self.anchors.get(&anchor).cloned() else {
                        return Err(syntax(line, column, "an alias to no anchor"));
                    };
                    self.aliased += nodes;
                    if self.aliased > ALIAS_BUDGET {
                        return Err(syntax(
                            line,
                            column,
                            format!("aliases expand past {ALIAS_BUDGET} nodes"),
                        ));
                    }
                    if let Some(Open::Map(_, key @ None, ..)) = self.stack.last_mut() {
                        *key = Some(value.as_str().map(str::to_owned).ok_or_else(|| {
                            syntax(line, column, "a mapping key that is not a scalar")
                        })?);
                        continue;
                    }
                    self.add(value, nodes, 0);
                }
                Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                    if let Some(Open::Map(_, None, ..)) = self.stack.last() {
                        return Err(syntax(line, column, "a mapping key that is not a scalar"));
                    }
                    if self.stack.len() == MAX_DEPTH {
                        return Err(syntax(
                            line,
                            column,
                            format!("nested deeper than {MAX_DEPTH} levels"),
                        ));
                    }
                    self.stack
                        .push(if matches!(event, Event::SequenceStart(..)) {
                            Open::Seq(Vec::new(), anchor, 1)
                        } else {
                            Open::Map(Map::new(), None, anchor, 1)
                        });
                }
                Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                    Some(Open::Seq(items, anchor, nodes)) => {
                        self.add(Value::Array(items), nodes, anchor);
                    }
                    Some(Open::Map(entries, _, anchor, nodes)) => {
                        self.add(Value::Object(entries), nodes, anchor);
                    }
                    None => return Err(syntax(line, column, "an end with nothing open")),
                },
                Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
            }
        }
        Ok(self.root.unwrap_or(Value::Null))
    }

    /// Puts a finished node in its parent (or makes it the document).
    fn add(&mut self, value: Value, nodes: usize, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, (value.clone(), nodes));
        }
        match self.stack.last_mut() {
            Some(Open::Seq(items, _, count)) => {
                items.push(value);
                *count += nodes;
            }
            Some(Open::Map(entries, key, _, count)) => {
                if let Some(key) = key.take() {
                    entries.insert(key, value);
                }
                *count += nodes;
            }
            None => self.root = Some(value),
        }
    }
}

/// A plain scalar: null, a boolean, a number, else the text.
fn plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let radix = [("0x", 16), ("0o", 8)]
        .into_iter()
        .find_map(|(prefix, radix)| Some((text.strip_prefix(prefix)?, radix)));
    if let Some((digits, radix)) = radix {
        if let Ok(number) = u64::from_str_radix(digits, radix) {
            return Value::Number(number.into());
        }
    } else if let Ok(number) = serde_json::from_str::<Number>(text) {
        return Value::Number(number);
    }
    Value::String(text.to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn scalars_resolve_as_json_would_and_quoted_ones_stay_strings() {
        let value = parse(
            "a: ~\nb: True\nc: 42\nd: -1.5e3\ne: 0x1F\nf: '42'\ng: !!str 7\nh: 1.0.0\ni: |\n  text\n",
        )
        .unwrap();
        assert_eq!(
            value,
            json!({ "a": null, "b": true, "c": 42, "d": -1500.0, "e": 31, "f": "42", "g": "7",
                    "h": "1.0.0", "i": "text\n" })
        );
    }

    #[test]
    fn anchors_expand_and_a_bomb_is_an_error() {
        let value = parse("base: &b {x: 1}\ncopy: *b\nlist: [&s one, *s]\n").unwrap();
        assert_eq!(
            value,
            json!({ "base": { "x": 1 }, "copy": { "x": 1 }, "list": ["one", "one"] })
        );
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..9 {
            let previous = format!("*a{}", level - 1);
            bomb.push_str(&format!(
                "a{level}: &a{level} [{}]\n",
                vec![previous; 10].join(", ")
            ));
        }
        let error = parse(&bomb).unwrap_err().to_string();
        assert!(error.contains("aliases expand past"), "{error}");
    }

    #[test]
    fn errors_say_where() {
        let error = parse("a: 1\nb: [1, 2\n").unwrap_err().to_string();
        assert!(error.starts_with("line "), "{error}");
        let error = parse("a: 1\n---\nb: 2\n").unwrap_err().to_string();
        assert_eq!(error, "line 2, column 1: a second document: expected one");
        let error = parse("? [a, b]\n: 1\n").unwrap_err().to_string();
        assert!(
            error.contains("a mapping key that is not a scalar"),
            "{error}"
        );
        let path = std::env::temp_dir().join("commerce-kit-no-such-spec.yaml");
        let error = read(&path).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!("cannot read {}", path.display())),
            "{error}"
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let flow = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        parse(&flow(100)).unwrap();
        // The parser's own limit stops flow style, the builder's stops block style.
        for text in [flow(100_000), "- ".repeat(100_000)] {
            let error = parse(&text).unwrap_err().to_string();
            assert!(
                error.ends_with("recursion limit exceeded")
                    || error.ends_with("nested deeper than 256 levels"),
                "{error}"
            );
        }
    }
}
