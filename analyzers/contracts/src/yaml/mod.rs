//! YAML and JSON text to a located tree: every value and every mapping key keeps its byte range,
//! so a finding about `paths./pets.get.responses.200` can point at that exact line.
//!
//! JSON is parsed as the YAML 1.2 it is. Plain scalars are resolved by the YAML 1.2 core schema
//! (`null`, `true`, numbers); anchors and aliases are expanded under a node budget, so an alias
//! bomb is an error rather than an out-of-memory. The tree is built without recursion and
//! nesting is capped, so neither parsing nor dropping a hostile file can overflow the stack.

mod json;

use std::collections::HashMap;

use commerce_diagnostics::{TextRange, TextSize};
use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError, Span};
use serde_json::Value as Json;

/// Deeper nesting than this is not an API description but an attack on the parser.
pub const MAX_DEPTH: usize = 256;

/// How many nodes alias expansion may create, beyond the text's own nodes.
const ALIAS_NODE_BUDGET: usize = 1_000_000;

/// A value of the document and the byte range it covers.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub range: TextRange,
}

/// The value of a [`Node`].
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One `key: value` of a mapping.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_range: TextRange,
    pub value: Node,
}

/// Something wrong with the text that does not stop it from being read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlIssue {
    pub message: String,
    pub range: TextRange,
}

/// A parsed document and what was wrong with it.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    pub root: Node,
    pub issues: Vec<YamlIssue>,
}

/// Why the text could not be read at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    pub message: String,
    pub range: TextRange,
}

impl Node {
    /// The value of `key` when this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    /// The entry of `key` when this is a mapping that has it (the last one, as parsers that
    /// accept duplicate keys do).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries().iter().rev().find(|entry| entry.key == key)
    }

    /// The entries of a mapping; none for any other value.
    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The items of a sequence; none for any other value.
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(value) => Some(value),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match &self.value {
            Value::Number(number) => number.as_f64(),
            _ => None,
        }
    }

    /// A non-negative integer (`3`, or `3.0` as some generators write it).
    pub fn as_u64(&self) -> Option<u64> {
        match &self.value {
            Value::Number(number) => number.as_u64().or_else(|| {
                let value = number.as_f64()?;
                // Truncation is exact here: the value is a whole number within u64's range.
                #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                (value.fract() == 0.0 && (0.0..1.8e19).contains(&value)).then_some(value as u64)
            }),
            _ => None,
        }
    }

    /// The value as JSON (for enums, defaults, examples and validation).
    pub fn to_json(&self) -> Json {
        match &self.value {
            Value::Null => Json::Null,
            Value::Bool(value) => Json::Bool(*value),
            Value::Number(number) => Json::Number(number.clone()),
            Value::String(text) => Json::String(text.clone()),
            Value::Seq(items) => Json::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => Json::Object(
                entries
                    .iter()
                    .map(|entry| (entry.key.clone(), entry.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Parses one YAML (or JSON) document.
///
/// # Errors
/// On a syntax error, a second document in the stream, nesting deeper than [`MAX_DEPTH`], an
/// unknown alias, or aliases that would expand past the node budget.
pub fn parse(text: &str) -> Result<Document, YamlError> {
    // JSON (what large generated specs are) takes the fast path; anything it rejects may still
    // be YAML flow style, which the YAML parser then reads (or explains).
    if text.trim_start().starts_with(['{', '['])
        && let Ok(document) = json::parse(text)
    {
        return Ok(document);
    }
    Builder::new(text).run()
}

/// The entries of a mapping being read, indexed by key once there are many of them.
#[derive(Default)]
struct MapBuilder {
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
}

/// Up to this many entries a linear search finds duplicates faster than hashing.
const LINEAR_KEYS: usize = 16;

impl MapBuilder {
    /// Adds an entry; a key written again replaces the earlier value in place (as JSON and
    /// YAML parsers that accept duplicates do) and is reported.
    fn insert(&mut self, entry: Entry, text: &str) -> Option<YamlIssue> {
        let existing = if self.entries.len() < LINEAR_KEYS {
            self.entries.iter().position(|known| known.key == entry.key)
        } else {
            if self.index.is_empty() {
                self.index = self
                    .entries
                    .iter()
                    .enumerate()
                    .map(|(position, known)| (known.key.clone(), position))
                    .collect();
            }
            self.index.get(&entry.key).copied()
        };
        match existing {
            Some(position) => {
                let first = &mut self.entries[position];
                let issue = duplicate_key(text, &entry.key, first.key_range, entry.key_range);
                *first = entry;
                Some(issue)
            }
            None => {
                if !self.index.is_empty() {
                    self.index.insert(entry.key.clone(), self.entries.len());
                }
                self.entries.push(entry);
                None
            }
        }
    }
}

/// The issue for a key written twice in one mapping.
fn duplicate_key(text: &str, key: &str, first: TextRange, again: TextRange) -> YamlIssue {
    let before = text.get(..first.start().to_usize()).unwrap_or(text);
    let line = before.bytes().filter(|byte| *byte == b'\n').count() + 1;
    YamlIssue {
        message: format!(
            "duplicate key `{key}` (first on line {line}): the later value replaces the earlier one"
        ),
        range: again,
    }
}

/// A collection being built, with where it started.
enum Open {
    Seq {
        start: TextSize,
        items: Vec<Node>,
        anchor: usize,
    },
    Map {
        start: TextSize,
        entries: MapBuilder,
        /// A key read whose value has not been read yet.
        pending_key: Option<(String, TextRange)>,
        anchor: usize,
    },
}

struct Builder<'t> {
    text: &'t str,
    offsets: Offsets<'t>,
    stack: Vec<Open>,
    anchors: HashMap<usize, Node>,
    alias_budget: usize,
    issues: Vec<YamlIssue>,
    root: Option<Node>,
}

impl<'t> Builder<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text,
            offsets: Offsets::new(text),
            stack: Vec::new(),
            anchors: HashMap::new(),
            alias_budget: ALIAS_NODE_BUDGET,
            issues: Vec::new(),
            root: None,
        }
    }

    fn run(mut self) -> Result<Document, YamlError> {
        let mut parser = Parser::new_from_str(self.text);
        let mut documents = 0;
        while let Some(event) = parser.next_event() {
            let (event, span) = event.map_err(|error| self.scan_error(&error))?;
            match event {
                Event::DocumentStart(_) => {
                    documents += 1;
                    if documents > 1 {
                        return Err(self.error(
                            "the file holds more than one YAML document; an API description is one document",
                            span,
                        ));
                    }
                }
                Event::Scalar(value, style, anchor, tag) => {
                    let range = self.range(span);
                    let node = Node {
                        value: resolve_scalar(&value, style, tag.as_deref()),
                        range,
                    };
                    self.add(node, anchor)?;
                }
                Event::SequenceStart(anchor, _) => {
                    let start = self.offset(span.start);
                    let items = Vec::new();
                    self.open(
                        Open::Seq {
                            start,
                            items,
                            anchor,
                        },
                        span,
                    )?;
                }
                Event::MappingStart(anchor, _) => {
                    let start = self.offset(span.start);
                    let entries = MapBuilder::default();
                    let open = Open::Map {
                        start,
                        entries,
                        pending_key: None,
                        anchor,
                    };
                    self.open(open, span)?;
                }
                Event::SequenceEnd | Event::MappingEnd => self.close(span)?,
                Event::Alias(id) => {
                    let node = self.alias(id, span)?;
                    self.add(node, 0)?;
                }
                Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
            }
        }
        let root = self.root.unwrap_or(Node {
            value: Value::Null,
            range: TextRange::empty(TextSize::new(0)),
        });
        Ok(Document {
            root,
            issues: self.issues,
        })
    }

    fn open(&mut self, open: Open, span: Span) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.error(
                &format!("nesting deeper than {MAX_DEPTH} levels; flatten the document"),
                span,
            ));
        }
        self.stack.push(open);
        Ok(())
    }

    fn close(&mut self, span: Span) -> Result<(), YamlError> {
        let Some(open) = self.stack.pop() else {
            return Err(self.error("a collection ends that never started", span));
        };
        // A block collection ends where the next token starts: give the whitespace back.
        let start = match &open {
            Open::Seq { start, .. } | Open::Map { start, .. } => *start,
        };
        let end = self.offset(span.end).max(start);
        let content = self
            .text
            .get(start.to_usize()..end.to_usize())
            .map_or(0, |text| text.trim_end().len());
        let end = start + TextSize::from_usize(content);
        let (node, anchor) = match open {
            Open::Seq {
                start,
                items,
                anchor,
            } => (
                Node {
                    value: Value::Seq(items),
                    range: TextRange::new(start, end.max(start)),
                },
                anchor,
            ),
            Open::Map {
                start,
                entries,
                anchor,
                ..
            } => (
                Node {
                    value: Value::Map(entries.entries),
                    range: TextRange::new(start, end.max(start)),
                },
                anchor,
            ),
        };
        self.add(node, anchor)
    }

    /// Adds a finished node to the collection being built (as an item, a key or a value).
    fn add(&mut self, node: Node, anchor: usize) -> Result<(), YamlError> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let written_key = self.key_text(node.range);
        let text = self.text;
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Open::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Open::Map {
                entries,
                pending_key,
                ..
            }) => {
                match pending_key.take() {
                    Some((key, key_range)) => {
                        let entry = Entry {
                            key,
                            key_range,
                            value: node,
                        };
                        if let Some(issue) = entries.insert(entry, text) {
                            self.issues.push(issue);
                        }
                        Ok(())
                    }
                    None => {
                        let range = node.range;
                        let key = match node.value {
                            Value::String(text) => text,
                            Value::Null => String::new(),
                            Value::Bool(value) => value.to_string(),
                            Value::Number(number) => number.to_string(),
                            Value::Seq(_) | Value::Map(_) => {
                                return Err(YamlError {
                                message: "a mapping key is itself a collection; OpenAPI keys are strings".to_owned(),
                                range,
                            });
                            }
                        };
                        *pending_key = Some((written_key.unwrap_or(key), range));
                        Ok(())
                    }
                }
            }
        }
    }

    /// The source text of a plain key such as `200` (which resolves to a number but names a
    /// status code), so keys compare as written.
    fn key_text(&self, range: TextRange) -> Option<String> {
        let raw = self.text.get(range.to_usize_range())?;
        let plain = !raw.starts_with(['"', '\'', '|', '>', '&', '*', '!']);
        (plain && !raw.is_empty() && !raw.contains('\n')).then(|| raw.trim_end().to_owned())
    }

    fn alias(&mut self, id: usize, span: Span) -> Result<Node, YamlError> {
        let Some(node) = self.anchors.get(&id) else {
            return Err(self.error("an alias refers to an unknown anchor", span));
        };
        let size = node_count(node);
        if size > self.alias_budget {
            return Err(self.error(
                "aliases expand to too many nodes (an alias bomb?); write the values out",
                span,
            ));
        }
        self.alias_budget -= size;
        let mut node = node.clone();
        node.range = self.range(span);
        Ok(node)
    }

    fn offset(&mut self, marker: Marker) -> TextSize {
        TextSize::from_usize(self.offsets.byte_of(marker.index()))
    }

    fn range(&mut self, span: Span) -> TextRange {
        let start = self.offset(span.start);
        let end = self.offset(span.end);
        TextRange::new(start, end.max(start))
    }

    fn error(&mut self, message: &str, span: Span) -> YamlError {
        YamlError {
            message: message.to_owned(),
            range: self.range(span),
        }
    }

    fn scan_error(&mut self, error: &ScanError) -> YamlError {
        let at = self.offset(*error.marker());
        YamlError {
            message: format!("invalid YAML: {}", error.info()),
            range: TextRange::empty(at),
        }
    }
}

/// How many nodes a tree holds, counted without recursion.
fn node_count(node: &Node) -> usize {
    let mut count = 0;
    let mut pending = vec![node];
    while let Some(node) = pending.pop() {
        count += 1;
        match &node.value {
            Value::Seq(items) => pending.extend(items),
            Value::Map(entries) => pending.extend(entries.iter().map(|entry| &entry.value)),
            _ => {}
        }
    }
    count
}

/// The YAML 1.2 core schema: what a scalar means given how it was written.
fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&saphyr_parser::Tag>) -> Value {
    if let Some(tag) = tag
        && tag.is_yaml_core_schema()
        && tag.suffix == "str"
    {
        return Value::String(text.to_owned());
    }
    if style != ScalarStyle::Plain {
        return Value::String(text.to_owned());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => number(text).map_or_else(|| Value::String(text.to_owned()), Value::Number),
    }
}

/// A plain scalar read as a number, when it is one by the core schema.
fn number(text: &str) -> Option<serde_json::Number> {
    let first = text.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return None;
    }
    let unsigned = text.trim_start_matches(['-', '+']);
    if let Some(hex) = unsigned.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok().map(Into::into);
    }
    if let Some(octal) = unsigned.strip_prefix("0o") {
        return i64::from_str_radix(octal, 8).ok().map(Into::into);
    }
    let digits = text.strip_prefix('+').unwrap_or(text);
    if let Ok(integer) = digits.parse::<i64>() {
        return Some(integer.into());
    }
    if let Ok(integer) = digits.parse::<u64>() {
        return Some(integer.into());
    }
    let looks_like_float = unsigned
        .bytes()
        .all(|byte| byte.is_ascii_digit() || matches!(byte, b'.' | b'e' | b'E' | b'-' | b'+'));
    if !looks_like_float {
        return None;
    }
    digits
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
}

/// Turns the parser's character indices into byte offsets. Positions arrive almost in order,
/// so a cursor that walks from the last position keeps this linear; ASCII text needs no walk.
struct Offsets<'t> {
    text: &'t str,
    ascii: bool,
    char_index: usize,
    byte_index: usize,
}

impl<'t> Offsets<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text,
            ascii: text.is_ascii(),
            char_index: 0,
            byte_index: 0,
        }
    }

    fn byte_of(&mut self, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(self.text.len());
        }
        while self.char_index < char_index {
            let Some(character) = self.text[self.byte_index..].chars().next() else {
                return self.byte_index;
            };
            self.byte_index += character.len_utf8();
            self.char_index += 1;
        }
        while self.char_index > char_index {
            let Some(character) = self.text[..self.byte_index].chars().next_back() else {
                return 0;
            };
            self.byte_index -= character.len_utf8();
            self.char_index -= 1;
        }
        self.byte_index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, range: TextRange) -> &str {
        &text[range.to_usize_range()]
    }

    #[test]
    fn keys_and_values_keep_their_ranges() {
        let text =
            "openapi: 3.0.0\npaths:\n  /pets:\n    get:\n      summary: Pets «list»\n      x: 1\n";
        let document = parse(text).expect("parses");
        let get = document
            .root
            .get("paths")
            .and_then(|paths| paths.get("/pets"))
            .and_then(|item| item.entry("get"))
            .expect("get");
        assert_eq!(at(text, get.key_range), "get");
        let summary = get.value.entry("summary").expect("summary");
        assert_eq!(at(text, summary.value.range), "Pets «list»");
        let x = get.value.entry("x").expect("x");
        assert_eq!(at(text, x.key_range), "x");
        assert_eq!(x.value.as_u64(), Some(1));
    }

    #[test]
    fn json_takes_the_fast_path_with_the_same_ranges() {
        let text = "{\"paths\": {\"/a\": {\"get\": {\"responses\": {\"200\": {}}}}}, \"n\": 1.5}";
        let document = parse(text).expect("parses");
        let responses = document
            .root
            .get("paths")
            .and_then(|paths| paths.get("/a"))
            .and_then(|item| item.get("get"))
            .and_then(|get| get.get("responses"))
            .expect("responses");
        assert_eq!(at(text, responses.entries()[0].key_range), "\"200\"");
        assert_eq!(responses.entries()[0].key, "200");
        assert_eq!(document.root.get("n").and_then(Node::as_f64), Some(1.5));
    }

    #[test]
    fn plain_scalars_follow_the_core_schema() {
        let text = "a: ~\nb: true\nc: 0x1F\nd: '12'\ne: -3\nf: 1e3\ng: 1.2.3\n200: ok\n";
        let root = parse(text).expect("parses").root;
        assert_eq!(root.get("a").map(|node| &node.value), Some(&Value::Null));
        assert_eq!(root.get("b").and_then(Node::as_bool), Some(true));
        assert_eq!(root.get("c").and_then(Node::as_u64), Some(31));
        assert_eq!(root.get("d").and_then(Node::as_str), Some("12"));
        assert_eq!(root.get("e").and_then(Node::as_f64), Some(-3.0));
        assert_eq!(root.get("f").and_then(Node::as_u64), Some(1000));
        assert_eq!(root.get("g").and_then(Node::as_str), Some("1.2.3"));
        assert_eq!(root.get("200").and_then(Node::as_str), Some("ok"));
    }

    #[test]
    fn json_and_yaml_paths_build_the_same_tree() {
        let text = "{\"a\": [1, -2.5, 1e3, true, null, \"x\\u00e9\\n\"], \"b\": {}, \"a\": 0}";
        let fast = parse(text).expect("parses");
        let slow = Builder::new(text).run().expect("parses");
        assert_eq!(fast.root.to_json(), slow.root.to_json());
        assert_eq!(
            fast.root.entries()[1].key_range,
            slow.root.entries()[1].key_range
        );
        assert_eq!(fast.issues.len(), 1);
        assert_eq!(fast.issues, slow.issues);
        assert_eq!(
            fast.root.get("a").map(Node::to_json),
            Some(serde_json::json!(0))
        );
        // Flow-style YAML is not JSON, and still parses.
        let flow = parse("{a: b}").expect("YAML flow mapping");
        assert_eq!(flow.root.get("a").and_then(Node::as_str), Some("b"));
        assert!(parse("{\"a\": [}").is_err());
        let pair = parse("[\"\\ud83d\\ude00\"]").expect("a surrogate pair");
        assert_eq!(pair.root.items()[0].as_str(), Some("\u{1F600}"));
    }

    #[test]
    fn duplicate_keys_are_issues_and_the_last_wins() {
        let document = parse("a: 1\nb: 2\na: 3\n").expect("parses");
        assert_eq!(document.root.get("a").and_then(Node::as_u64), Some(3));
        assert_eq!(document.issues.len(), 1);
        assert!(
            document.issues[0].message.starts_with("duplicate key `a`"),
            "{}",
            document.issues[0].message
        );
        assert_eq!(document.issues[0].range.start(), TextSize::new(10));
    }

    #[test]
    fn aliases_expand_and_bombs_are_refused() {
        let root = parse("a: &x {k: v}\nb: *x\n").expect("parses").root;
        let value = |key: &str| {
            root.get(key)
                .and_then(|node| node.get("k"))
                .and_then(Node::as_str)
        };
        assert_eq!(value("b"), Some("v"));
        assert_eq!(value("a"), value("b"));
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..9 {
            let previous = format!("*a{}", level - 1);
            let items = [previous.as_str(); 10].join(", ");
            bomb.push_str(&format!("a{level}: &a{level} [{items}]\n"));
        }
        let error = parse(&bomb).expect_err("refused");
        assert!(error.message.contains("alias bomb"), "{}", error.message);
    }

    #[test]
    fn bad_text_is_an_error_with_a_place() {
        let error = parse("a: [1, 2\nb: c\n").expect_err("unclosed");
        assert!(
            error.message.starts_with("invalid YAML"),
            "{}",
            error.message
        );
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        // The scanner's own recursion limit or ours, whichever trips first.
        let error = parse(&deep).expect_err("too deep");
        assert!(
            error.message.contains("nesting deeper") || error.message.contains("recursion limit"),
            "{}",
            error.message
        );
        let nested_maps = "a:\n"
            .repeat(300)
            .lines()
            .enumerate()
            .fold(String::new(), |text, (depth, line)| {
                text + &" ".repeat(depth) + line + "\n"
            });
        let error = parse(&nested_maps).expect_err("too deep");
        assert!(
            error.message.contains("nesting deeper"),
            "{}",
            error.message
        );
        assert!(parse("a: 1\n---\nb: 2\n").is_err());
    }
}
