//! What an analyzer reports: a [`Diagnostic`] with labels, help and an optional [`Fix`].

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::text::TextRange;

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a fix may be applied without a person reading it first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Shown to the user, never applied by `--fix`.
    DisplayOnly,
    /// Changes behaviour or may be wrong: applied only with `--unsafe-fixes`.
    Unsafe,
    /// Keeps the program's meaning: applied by `--fix`.
    Safe,
}

impl Applicability {
    pub const fn as_str(self) -> &'static str {
        match self {
            Applicability::DisplayOnly => "display-only",
            Applicability::Unsafe => "unsafe",
            Applicability::Safe => "safe",
        }
    }
}

/// One replacement of a byte range of one file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Edit {
    /// Relative to the project root.
    pub path: PathBuf,
    pub range: TextRange,
    pub new_text: String,
}

impl Edit {
    pub fn replacement(
        path: impl Into<PathBuf>,
        range: TextRange,
        new_text: impl Into<String>,
    ) -> Self {
        Self {
            path: path.into(),
            range,
            new_text: new_text.into(),
        }
    }

    pub fn deletion(path: impl Into<PathBuf>, range: TextRange) -> Self {
        Self::replacement(path, range, "")
    }

    pub fn insertion(
        path: impl Into<PathBuf>,
        at: crate::TextSize,
        new_text: impl Into<String>,
    ) -> Self {
        Self::replacement(path, TextRange::empty(at), new_text)
    }

    /// Creates the file `path` with `text`: an insertion at the start of a file that does not
    /// exist. The fix engine writes it only if nothing exists at `path` by then.
    pub fn new_file(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        Self::insertion(path, crate::TextSize::new(0), text)
    }

    /// Whether this edit can create a file: an insertion at the start.
    pub fn can_create(&self) -> bool {
        self.range == TextRange::empty(crate::TextSize::new(0))
    }
}

/// A set of edits that together repair one diagnostic.
///
/// Invariant: the edits of one fix do not overlap each other.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fix {
    pub title: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn new(title: impl Into<String>, applicability: Applicability, edits: Vec<Edit>) -> Self {
        Self {
            title: title.into(),
            applicability,
            edits,
        }
    }

    pub fn safe(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Self::new(title, Applicability::Safe, edits)
    }

    pub fn unsafe_edit(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Self::new(title, Applicability::Unsafe, edits)
    }

    pub fn display_only(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Self::new(title, Applicability::DisplayOnly, edits)
    }
}

/// A secondary location that explains a diagnostic (the other end of a cycle, the declaration a
/// call site disagrees with, ...).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Label {
    pub path: PathBuf,
    pub range: TextRange,
    pub message: String,
}

/// A finding of one rule at one place in one file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// The stable, namespaced rule id, e.g. `tests/focused-or-skipped-test`.
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    /// Relative to the project root.
    pub path: PathBuf,
    pub range: TextRange,
    pub related: Vec<Label>,
    pub help: Option<String>,
    pub fix: Option<Fix>,
    /// Rule-specific facts for machines (DESIGN §5); an empty object when a rule has none.
    pub data: serde_json::Map<String, serde_json::Value>,
}

impl Diagnostic {
    pub fn new(
        rule: impl Into<String>,
        severity: Severity,
        path: impl Into<PathBuf>,
        range: TextRange,
        message: impl Into<String>,
    ) -> Self {
        Self {
            rule: rule.into(),
            severity,
            message: message.into(),
            path: path.into(),
            range,
            related: Vec::new(),
            help: None,
            fix: None,
            data: serde_json::Map::new(),
        }
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    #[must_use]
    pub fn with_related(
        mut self,
        path: impl Into<PathBuf>,
        range: TextRange,
        message: impl Into<String>,
    ) -> Self {
        self.related.push(Label {
            path: path.into(),
            range,
            message: message.into(),
        });
        self
    }

    #[must_use]
    pub fn with_data(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.data.insert(key.to_owned(), value.into());
        self
    }

    /// The order in which diagnostics are reported: by file, then position, then rule.
    pub fn sort_key(&self) -> (&Path, TextRange, &str) {
        (&self.path, self.range, &self.rule)
    }
}

/// Sorts diagnostics into report order and removes exact duplicates (two analyzers, or two
/// passes, reporting the same finding).
pub fn sort_and_dedup(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then_with(|| a.message.cmp(&b.message))
    });
    diagnostics.dedup();
}
