//! Output renderers: the stable JSON shape (DESIGN §5), SARIF 2.1.0, GitHub workflow commands
//! and the rustc-like human format.
//!
//! Renderers are pure: they take diagnostics plus the [`Sources`] they point into and return a
//! `String` or a `serde_json::Value`; the CLI decides where it goes. A diagnostic, label or edit
//! whose file is not in [`Sources`] still renders, at line 1 column 1 without a snippet, because
//! a report must never be lost to a missing file.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use std::collections::BTreeMap;
use std::path::{MAIN_SEPARATOR, Path, PathBuf};
use std::time::Duration;

use crate::{Diagnostic, LineIndex, Severity, SourcePosition, SourceRange, TextRange, TextSize};

/// The text of one file and its line index, built once and shared by every renderer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    pub text: String,
    pub index: LineIndex,
}

impl SourceFile {
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let index = LineIndex::new(&text);
        Self { text, index }
    }

    /// The 1-based, character-counted position of `range`. Ends past the text or inside a
    /// multi-byte character (an analyzer bug, or a file that changed since analysis) are snapped
    /// back to the nearest character boundary instead of failing.
    pub fn source_range(&self, range: TextRange) -> SourceRange {
        SourceRange {
            start: self.index.source_position(self.snap(range.start())),
            end: self.index.source_position(self.snap(range.end())),
        }
    }

    /// `offset` clamped to the text and moved back to a character boundary.
    pub(crate) fn snap(&self, offset: TextSize) -> TextSize {
        TextSize::from_usize(self.text.floor_char_boundary(offset.to_usize()))
    }
}

/// The files diagnostics point into, keyed by their project-relative path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sources {
    files: BTreeMap<PathBuf, SourceFile>,
}

impl Sources {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the text of the file at the project-relative `path`.
    pub fn insert(&mut self, path: impl Into<PathBuf>, text: impl Into<String>) {
        self.files.insert(path.into(), SourceFile::new(text));
    }

    pub fn get(&self, path: &Path) -> Option<&SourceFile> {
        self.files.get(path)
    }

    /// How many files' texts are known.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The position of `range` in the file at `path`, or the start of the file when its text
    /// is unknown.
    pub fn source_range(&self, path: &Path, range: TextRange) -> SourceRange {
        self.get(path)
            .map_or(FILE_START, |file| file.source_range(range))
    }
}

impl<P: Into<PathBuf>, T: Into<String>> FromIterator<(P, T)> for Sources {
    fn from_iter<I: IntoIterator<Item = (P, T)>>(files: I) -> Self {
        let mut sources = Sources::new();
        for (path, text) in files {
            sources.insert(path, text);
        }
        sources
    }
}

/// Where a location in a file we have no text for is reported.
const FILE_START: SourceRange = SourceRange {
    start: SourcePosition { line: 1, column: 1 },
    end: SourcePosition { line: 1, column: 1 },
};

/// The counts a report closes with.
///
/// `infos` is not part of the stable JSON summary (DESIGN §5); the human format uses it so that a
/// run with only informational findings does not claim "no problems".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// How many files were analyzed (not how many have findings).
    pub files: usize,
    pub elapsed_ms: u64,
}

impl Summary {
    pub fn of(diagnostics: &[Diagnostic], files: usize, elapsed: Duration) -> Self {
        let count = |severity| {
            diagnostics
                .iter()
                .filter(|diagnostic| diagnostic.severity == severity)
                .count()
        };
        Self {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
            files,
            elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// `path` with `/` separators on every platform, as every output format promises.
pub(crate) fn slash_path(path: &Path) -> String {
    let path = path.to_string_lossy();
    if MAIN_SEPARATOR == '/' {
        path.into_owned()
    } else {
        path.replace(MAIN_SEPARATOR, "/")
    }
}

#[cfg(test)]
pub(crate) mod fixtures;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_inside_a_character_or_past_the_end_snap_back() {
        // 'é' occupies bytes 1..3; byte 2 is inside it.
        let file = SourceFile::new("aé\nb");
        let range = file.source_range(TextRange::new(2.into(), 99.into()));
        assert_eq!(range.start, SourcePosition { line: 1, column: 2 });
        assert_eq!(range.end, SourcePosition { line: 2, column: 2 });
    }

    #[test]
    fn unknown_files_report_the_file_start() {
        let sources: Sources = [("a.ts", "x\ny")].into_iter().collect();
        let range = TextRange::new(2.into(), 3.into());
        assert_eq!(sources.source_range(Path::new("b.ts"), range), FILE_START);
        assert_eq!(
            sources.source_range(Path::new("a.ts"), range).start,
            SourcePosition { line: 2, column: 1 }
        );
    }

    #[test]
    fn summary_counts_each_severity() {
        let diagnostic =
            |severity| Diagnostic::new("tests/demo", severity, "a.ts", TextRange::default(), "m");
        let diagnostics = [
            diagnostic(Severity::Error),
            diagnostic(Severity::Warning),
            diagnostic(Severity::Warning),
            diagnostic(Severity::Info),
        ];
        let summary = Summary::of(&diagnostics, 7, Duration::from_micros(12_900));
        assert_eq!(
            summary,
            Summary {
                errors: 1,
                warnings: 2,
                infos: 1,
                files: 7,
                elapsed_ms: 12
            }
        );
    }
}
