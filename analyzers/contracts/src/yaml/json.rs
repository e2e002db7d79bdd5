//! A located JSON parser: the fast path for `.json` specs (JSON is YAML, but a YAML parser
//! reads it several times slower). It builds the same [`Node`] tree, with the same ranges and
//! the same duplicate-key issues, as the YAML path.

use commerce_diagnostics::{TextRange, TextSize};

use super::{Document, Entry, MAX_DEPTH, MapBuilder, Node, Value, YamlError, YamlIssue};

/// Parses `text` as one JSON value.
///
/// # Errors
/// On anything that is not JSON, or nesting deeper than [`MAX_DEPTH`].
pub(super) fn parse(text: &str) -> Result<Document, YamlError> {
    let mut parser = JsonParser {
        text,
        bytes: text.as_bytes(),
        at: 0,
        issues: Vec::new(),
    };
    parser.skip_whitespace();
    let root = parser.value(0)?;
    parser.skip_whitespace();
    if parser.at < parser.bytes.len() {
        return Err(parser.error("unexpected text after the JSON value"));
    }
    Ok(Document {
        root,
        issues: parser.issues,
    })
}

struct JsonParser<'t> {
    text: &'t str,
    bytes: &'t [u8],
    at: usize,
    issues: Vec<YamlIssue>,
}

impl JsonParser<'_> {
    fn error(&self, message: &str) -> YamlError {
        YamlError {
            message: format!("invalid JSON: {message}"),
            range: TextRange::empty(TextSize::from_usize(self.at.min(self.bytes.len()))),
        }
    }

    fn range(&self, start: usize) -> TextRange {
        TextRange::from_usize_range(start..self.at)
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), YamlError> {
        self.skip_whitespace();
        if self.bytes.get(self.at) == Some(&byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected `{}`", byte as char)))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, YamlError> {
        if depth >= MAX_DEPTH {
            return Err(YamlError {
                message: format!("nesting deeper than {MAX_DEPTH} levels; flatten the document"),
                range: TextRange::empty(TextSize::from_usize(self.at)),
            });
        }
        self.skip_whitespace();
        let start = self.at;
        let value = match self.bytes.get(self.at) {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return Err(self.error("expected a value")),
            None => return Err(self.error("unexpected end of input")),
        };
        Ok(Node {
            value,
            range: self.range(start),
        })
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, YamlError> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, YamlError> {
        self.at += 1;
        let mut entries = MapBuilder::default();
        self.skip_whitespace();
        if self.bytes.get(self.at) == Some(&b'}') {
            self.at += 1;
            return Ok(Value::Map(entries.entries));
        }
        loop {
            self.skip_whitespace();
            if self.bytes.get(self.at) != Some(&b'"') {
                return Err(self.error("expected a string key"));
            }
            let key_start = self.at;
            let key = self.string()?;
            let key_range = self.range(key_start);
            self.expect(b':')?;
            let value = self.value(depth + 1)?;
            let entry = Entry {
                key,
                key_range,
                value,
            };
            if let Some(issue) = entries.insert(entry, self.text) {
                self.issues.push(issue);
            }
            self.skip_whitespace();
            match self.bytes.get(self.at) {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Value::Map(entries.entries));
                }
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, YamlError> {
        self.at += 1;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.bytes.get(self.at) == Some(&b']') {
            self.at += 1;
            return Ok(Value::Seq(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_whitespace();
            match self.bytes.get(self.at) {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Value::Seq(items));
                }
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    /// A string starting at the opening quote; the cursor ends after the closing one.
    fn string(&mut self) -> Result<String, YamlError> {
        self.at += 1;
        let start = self.at;
        // The common case: no escapes, so the text can be copied as it is.
        while let Some(&byte) = self.bytes.get(self.at) {
            match byte {
                b'"' => {
                    let text = self.text[start..self.at].to_owned();
                    self.at += 1;
                    return Ok(text);
                }
                b'\\' => break,
                0..0x20 => return Err(self.error("control character in a string")),
                _ => self.at += 1,
            }
        }
        let mut text = self.text[start..self.at].to_owned();
        loop {
            let Some(&byte) = self.bytes.get(self.at) else {
                return Err(self.error("unterminated string"));
            };
            match byte {
                b'"' => {
                    self.at += 1;
                    return Ok(text);
                }
                b'\\' => {
                    self.at += 1;
                    self.escape(&mut text)?;
                }
                0..0x20 => return Err(self.error("control character in a string")),
                _ => {
                    let run_start = self.at;
                    while let Some(&next) = self.bytes.get(self.at) {
                        if next == b'"' || next == b'\\' || next < 0x20 {
                            break;
                        }
                        self.at += 1;
                    }
                    text.push_str(&self.text[run_start..self.at]);
                }
            }
        }
    }

    fn escape(&mut self, text: &mut String) -> Result<(), YamlError> {
        let Some(&kind) = self.bytes.get(self.at) else {
            return Err(self.error("unterminated escape"));
        };
        self.at += 1;
        let character = match kind {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => self.unicode_escape()?,
            _ => return Err(self.error("unknown escape")),
        };
        text.push(character);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, YamlError> {
        let digits = self
            .text
            .get(self.at..self.at + 4)
            .ok_or_else(|| self.error("short \\u escape"))?;
        let value = u32::from_str_radix(digits, 16).map_err(|_| self.error("bad \\u escape"))?;
        self.at += 4;
        Ok(value)
    }

    /// `\uXXXX`, joining a surrogate pair; a lone surrogate becomes U+FFFD.
    fn unicode_escape(&mut self) -> Result<char, YamlError> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) && self.bytes[self.at..].starts_with(b"\\u") {
            self.at += 2;
            let second = self.hex4()?;
            let combined =
                0x10000 + ((first - 0xD800) << 10) + (second.wrapping_sub(0xDC00) & 0x3FF);
            return Ok(char::from_u32(combined).unwrap_or('\u{FFFD}'));
        }
        Ok(char::from_u32(first).unwrap_or('\u{FFFD}'))
    }

    fn number(&mut self) -> Result<Value, YamlError> {
        let start = self.at;
        while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.bytes.get(self.at) {
            self.at += 1;
        }
        let text = &self.text[start..self.at];
        let number = text
            .parse::<i64>()
            .map(serde_json::Number::from)
            .or_else(|_| text.parse::<u64>().map(serde_json::Number::from))
            .ok()
            .or_else(|| {
                text.parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
            });
        number
            .map(Value::Number)
            .ok_or_else(|| self.error("bad number"))
    }
}
