//! Open documents: the editor's unsaved text, which analysis reads instead of the disk.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use commerce_diagnostics::{LineIndex, TextRange, TextSize, Utf16Position};
use lsp_types::{Position, Range, TextDocumentContentChangeEvent};

/// One open document at one version.
#[derive(Debug, Clone)]
pub struct Document {
    pub version: i32,
    pub text: String,
    pub index: LineIndex,
    /// The newest version of the document, shared by every snapshot of it: an analysis whose
    /// snapshot is older has been overtaken and is dropped before it starts.
    latest: Arc<AtomicI32>,
}

impl Document {
    pub fn new(version: i32, text: String) -> Self {
        let index = LineIndex::new(&text);
        Self {
            version,
            text,
            index,
            latest: Arc::new(AtomicI32::new(version)),
        }
    }

    /// Whether a newer version of the document exists than this snapshot's.
    pub fn is_outdated(&self) -> bool {
        self.latest.load(Ordering::Acquire) != self.version
    }

    /// Applies `didChange` events in order (incremental or full-text), then takes `version`.
    pub fn apply_changes(&mut self, version: i32, changes: Vec<TextDocumentContentChangeEvent>) {
        for change in changes {
            match change.range {
                Some(range) => {
                    let range = self.text_range(range);
                    self.text
                        .replace_range(range.to_usize_range(), &change.text);
                }
                None => self.text = change.text,
            }
            self.index = LineIndex::new(&self.text);
        }
        self.version = version;
        self.latest.store(version, Ordering::Release);
    }

    /// The byte range of an LSP range; positions past a line's end or the text's end are
    /// clamped, as the protocol asks.
    pub fn text_range(&self, range: Range) -> TextRange {
        let start = self.offset(range.start);
        let end = self.offset(range.end).max(start);
        TextRange::new(start, end)
    }

    fn offset(&self, position: Position) -> TextSize {
        self.index
            .offset_of_utf16(Utf16Position {
                line: position.line,
                character: position.character,
            })
            .unwrap_or_else(|| TextSize::of(&self.text))
    }

    /// The LSP range of a byte range.
    pub fn lsp_range(&self, range: TextRange) -> Range {
        lsp_range(&self.index, range)
    }
}

/// The LSP range of a byte range in the text `index` was built from.
pub fn lsp_range(index: &LineIndex, range: TextRange) -> Range {
    let position = |offset| {
        let utf16 = index.utf16_position(offset);
        Position::new(utf16.line, utf16.character)
    };
    Range::new(position(range.start()), position(range.end()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(
        range: Option<((u32, u32), (u32, u32))>,
        text: &str,
    ) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: range.map(|((l1, c1), (l2, c2))| {
                Range::new(Position::new(l1, c1), Position::new(l2, c2))
            }),
            range_length: None,
            text: text.to_owned(),
        }
    }

    #[test]
    fn incremental_changes_use_utf16_positions() {
        // '😀' is two UTF-16 units: "x" after it is at character 3 of line 0.
        let mut document = Document::new(1, "é😀x\nit.only()\n".to_owned());
        document.apply_changes(2, vec![change(Some(((0, 3), (0, 4))), "y")]);
        assert_eq!(document.text, "é😀y\nit.only()\n");
        document.apply_changes(
            3,
            vec![
                change(Some(((1, 2), (1, 7))), ""),
                change(Some(((1, 0), (1, 0))), "  "),
            ],
        );
        assert_eq!(document.text, "é😀y\n  it()\n");
        assert_eq!(document.version, 3);
        document.apply_changes(4, vec![change(None, "new")]);
        assert_eq!(document.text, "new");
    }

    #[test]
    fn a_snapshot_knows_when_it_is_overtaken() {
        let mut document = Document::new(1, "a".to_owned());
        let snapshot = document.clone();
        assert!(!snapshot.is_outdated());
        document.apply_changes(2, vec![change(None, "b")]);
        assert!(snapshot.is_outdated());
        assert!(!document.is_outdated());
    }

    #[test]
    fn a_change_inside_a_surrogate_pair_keeps_the_document() {
        // Character 1 is between the halves of '😀': the change starts before the emoji.
        let mut document = Document::new(1, "😀x".to_owned());
        document.apply_changes(2, vec![change(Some(((0, 1), (0, 1))), "y")]);
        assert_eq!(document.text, "y😀x");
        document.apply_changes(3, vec![change(Some(((0, 2), (0, 3))), "")]);
        assert_eq!(document.text, "yx");
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        let mut document = Document::new(1, "ab\ncd".to_owned());
        document.apply_changes(2, vec![change(Some(((0, 99), (7, 0))), "!")]);
        assert_eq!(document.text, "ab!");
    }
}
