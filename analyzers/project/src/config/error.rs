//! [`ConfigError`]: what is wrong in `commerce.toml`, where, and what to write instead.

use std::ops::Range;
use std::path::{Path, PathBuf};

use commerce_diagnostics::{LineIndex, SourcePosition, SourceRange, TextRange, suggest};
use toml::de::DeTable;

use super::RuleSetting;
use super::locate::{Location, Target, locate};

const FIRST_POSITION: SourcePosition = SourcePosition { line: 1, column: 1 };

/// An invalid `commerce.toml`. Displays like rustc: `commerce.toml:3:1: unknown key `rootz` in
/// [frontend]` followed by `  help: did you mean `roots`?`; [`ConfigError::range`] lets a CLI
/// show the source line with a caret under the offending text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{}:{}:{}: {}{}",
    .details.path.display(),
    .details.source_range.start.line,
    .details.source_range.start.column,
    .details.message,
    help_line(.details.help.as_deref())
)]
pub struct ConfigError {
    /// Boxed so that `Result<_, ConfigError>` stays one pointer wide on the happy path.
    details: Box<Details>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Details {
    kind: ConfigErrorKind,
    path: PathBuf,
    message: String,
    help: Option<String>,
    suggestion: Option<String>,
    range: TextRange,
    source_range: SourceRange,
}

/// What kind of mistake a [`ConfigError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConfigErrorKind {
    /// Not valid TOML.
    Syntax,
    /// A key or section the schema does not have.
    UnknownKey,
    /// A value outside a fixed set (levels, dialects, gates).
    UnknownValue,
    /// A value of the wrong TOML type.
    WrongType,
    /// A value of the right type that fails validation (bad duration, glob or percentage).
    InvalidValue,
    /// A `[rules]` key that names no known rule.
    UnknownRule,
    /// A file too large to be a configuration file.
    TooLarge,
}

impl ConfigError {
    pub fn kind(&self) -> ConfigErrorKind {
        self.details.kind
    }

    /// The config file, as the caller named it.
    pub fn path(&self) -> &Path {
        &self.details.path
    }

    /// What is wrong, without the location or help.
    pub fn message(&self) -> &str {
        &self.details.message
    }

    /// What to do about it, shown on a `help:` line.
    pub fn help(&self) -> Option<&str> {
        self.details.help.as_deref()
    }

    /// The nearest valid key, value or rule id to a mistyped one.
    pub fn suggestion(&self) -> Option<&str> {
        self.details.suggestion.as_deref()
    }

    /// The byte range of the offending text.
    pub fn range(&self) -> TextRange {
        self.details.range
    }

    /// [`ConfigError::range`] as 1-based lines and columns.
    pub fn source_range(&self) -> SourceRange {
        self.details.source_range
    }

    /// The 1-based line of the offending text.
    pub fn line(&self) -> u32 {
        self.details.source_range.start.line
    }

    /// The 1-based column (in characters) of the offending text.
    pub fn column(&self) -> u32 {
        self.details.source_range.start.column
    }

    fn new(details: Details) -> Self {
        Self {
            details: Box::new(details),
        }
    }

    /// Reports a `[rules]` key that names no rule of the registry; `suggestion` is the nearest
    /// known id, if any.
    pub fn unknown_rule(path: &Path, setting: &RuleSetting, suggestion: Option<&str>) -> Self {
        Self::new(Details {
            kind: ConfigErrorKind::UnknownRule,
            path: path.to_path_buf(),
            message: format!("unknown rule `{}` in [rules]", setting.id),
            help: Some(suggestion.map_or_else(
                || "rule ids are namespaced, e.g. `frontend/import-cycle`".to_owned(),
                did_you_mean,
            )),
            suggestion: suggestion.map(str::to_owned),
            range: setting.range,
            source_range: setting.source_range,
        })
    }

    pub(super) fn too_large(path: &Path, len: usize, limit: usize) -> Self {
        Self::new(Details {
            kind: ConfigErrorKind::TooLarge,
            path: path.to_path_buf(),
            message: format!(
                "the file is {len} bytes; a configuration file is at most {limit} bytes"
            ),
            help: Some("is this the right file?".to_owned()),
            suggestion: None,
            range: TextRange::default(),
            source_range: SourceRange {
                start: FIRST_POSITION,
                end: FIRST_POSITION,
            },
        })
    }

    /// Converts a toml/serde error. The caller guarantees that `text` is at most
    /// [`super::MAX_CONFIG_BYTES`] long, so every offset fits a [`TextRange`].
    pub(super) fn from_toml(error: &toml::de::Error, text: &str, path: &Path) -> Self {
        let span = clamp_span(error.span(), text);
        let diagnosis = match DeTable::parse(text) {
            Err(_) => Diagnosis::plain(ConfigErrorKind::Syntax, error.message()),
            Ok(document) => match locate(document.get_ref(), &span) {
                Some(location) => diagnose(error.message(), &location),
                None => Diagnosis::plain(ConfigErrorKind::InvalidValue, error.message()),
            },
        };
        let range = TextRange::from_usize_range(span);
        Self::new(Details {
            kind: diagnosis.kind,
            path: path.to_path_buf(),
            message: diagnosis.message,
            help: diagnosis.help,
            suggestion: diagnosis.suggestion,
            range,
            source_range: LineIndex::new(text).source_range(range),
        })
    }
}

/// A [`ConfigError`] without its place.
struct Diagnosis {
    kind: ConfigErrorKind,
    message: String,
    help: Option<String>,
    suggestion: Option<String>,
}

impl Diagnosis {
    fn plain(kind: ConfigErrorKind, message: &str) -> Self {
        Self {
            kind,
            message: message.to_owned(),
            help: None,
            suggestion: None,
        }
    }
}

/// Rewrites serde's message about a located key or value into one that names the key and table.
fn diagnose(message: &str, location: &Location) -> Diagnosis {
    if let Some((name, candidates)) = parse_unknown(message, "unknown field") {
        return unknown_key(name, &candidates, location);
    }
    if let Some((name, candidates)) = parse_unknown(message, "unknown variant") {
        return unknown_value(name, &candidates, location);
    }
    if let Some(expected) = expected_type(message) {
        return wrong_type(&expected, location);
    }
    Diagnosis {
        kind: ConfigErrorKind::InvalidValue,
        message: format!("invalid value for {}: {message}", subject(location)),
        help: None,
        suggestion: None,
    }
}

fn unknown_key(name: &str, candidates: &[&str], location: &Location) -> Diagnosis {
    let table = location.table();
    let top_level = table.is_empty();
    let suggestion = suggest::nearest(name, candidates.iter().copied());
    let bracket = |key: &str| {
        if top_level {
            format!("[{key}]")
        } else {
            key.to_owned()
        }
    };
    let help = match suggestion {
        Some(nearest) => did_you_mean(&bracket(nearest)),
        None if top_level => format!("valid sections: {}", quoted_list(candidates, bracket)),
        None => format!("valid keys: {}", quoted_list(candidates, bracket)),
    };
    Diagnosis {
        kind: ConfigErrorKind::UnknownKey,
        message: if top_level {
            format!("unknown section `[{name}]`")
        } else {
            format!("unknown key `{name}` in [{table}]")
        },
        help: Some(help),
        suggestion: suggestion.map(str::to_owned),
    }
}

fn unknown_value(name: &str, candidates: &[&str], location: &Location) -> Diagnosis {
    let suggestion = suggest::nearest(name, candidates.iter().copied());
    let help = suggestion.map_or_else(
        || format!("expected one of {}", quoted_list(candidates, str::to_owned)),
        did_you_mean,
    );
    Diagnosis {
        kind: ConfigErrorKind::UnknownValue,
        message: format!("unknown value `{name}` for {}", subject(location)),
        help: Some(help),
        suggestion: suggestion.map(str::to_owned),
    }
}

fn wrong_type(expected: &str, location: &Location) -> Diagnosis {
    let found = match location.target {
        Target::Value { type_name, .. } => with_article(type_name),
        Target::Key => "a key".to_owned(),
    };
    Diagnosis {
        kind: ConfigErrorKind::WrongType,
        message: format!(
            "expected {expected} for {}, found {found}",
            subject(location)
        ),
        help: None,
        suggestion: None,
    }
}

/// Parses serde's `<prefix> `name`, expected one of `a`, `b`` (or `expected `a` or `b``, or
/// `there are no fields`) into the name and the valid names.
fn parse_unknown<'m>(message: &'m str, prefix: &str) -> Option<(&'m str, Vec<&'m str>)> {
    let rest = message.strip_prefix(prefix)?.strip_prefix(" `")?;
    let (name, rest) = rest.split_once('`')?;
    let candidates = rest.split('`').skip(1).step_by(2).collect();
    Some((name, candidates))
}

/// The type serde or toml expected, in TOML's words, from an "invalid type" message.
fn expected_type(message: &str) -> Option<String> {
    // toml's own wording when a string-or-table (an enum) gets anything else.
    if message == "wanted string or table" {
        return Some("a string".to_owned());
    }
    let (_, expected) = message
        .strip_prefix("invalid type: ")?
        .rsplit_once(", expected ")?;
    Some(toml_type_name(expected))
}

fn toml_type_name(serde_name: &str) -> String {
    match serde_name {
        "a sequence" => "an array".to_owned(),
        "a map" => "a table".to_owned(),
        name if name.starts_with("struct ") => "a table".to_owned(),
        "f64" | "f32" | "i64" | "i32" | "u64" | "u32" | "u16" | "u8" => "a number".to_owned(),
        name => name.to_owned(),
    }
}

/// "`roots` in [frontend]", "items of `roots` in [frontend]" or "`frontend`" at the top level.
fn subject(location: &Location) -> String {
    let key = match location.target {
        Target::Value { in_array: true, .. } => format!("items of `{}`", location.key()),
        _ => format!("`{}`", location.key()),
    };
    let table = location.table();
    if table.is_empty() {
        key
    } else {
        format!("{key} in [{table}]")
    }
}

fn quoted_list(names: &[&str], decorate: impl Fn(&str) -> String) -> String {
    names
        .iter()
        .map(|name| format!("`{}`", decorate(name)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn did_you_mean(name: &str) -> String {
    format!("did you mean `{name}`?")
}

fn with_article(type_name: &str) -> String {
    let article = if type_name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {type_name}")
}

fn help_line(help: Option<&str>) -> String {
    help.map(|help| format!("\n  help: {help}"))
        .unwrap_or_default()
}

/// The error span, kept inside the text (toml points one past the end for an unexpected end).
fn clamp_span(span: Option<Range<usize>>, text: &str) -> Range<usize> {
    let span = span.unwrap_or(0..0);
    let end = span.end.min(text.len());
    span.start.min(end)..end
}
