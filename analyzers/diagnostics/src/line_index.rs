//! Conversion between byte offsets and line/column positions.
//!
//! Three column units are in use: UTF-8 bytes (internal), Unicode scalar values (what people and
//! our JSON/SARIF output count, 1-based) and UTF-16 code units (what LSP clients count, 0-based).
//! Lines end at `\n`, `\r\n` or a lone `\r`, as editors treat them.

use serde::{Deserialize, Serialize};

use crate::text::{TextRange, TextSize};

/// A 1-based line and 1-based column counted in Unicode scalar values, as shown to people and
/// written to the stable JSON output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SourcePosition {
    pub line: u32,
    pub column: u32,
}

/// A pair of [`SourcePosition`]s; `end` is exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SourceRange {
    pub start: SourcePosition,
    pub end: SourcePosition,
}

/// A 0-based line and 0-based column in UTF-16 code units, as the LSP counts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Utf16Position {
    pub line: u32,
    pub character: u32,
}

/// A non-ASCII character inside a line: its byte offset from the line start and its widths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct WideChar {
    offset_in_line: u32,
    utf8_len: u8,
    utf16_len: u8,
}

/// Maps byte offsets of one text to line/column positions and back.
///
/// Invariant: `line_starts[0] == 0` and the starts are strictly increasing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    line_starts: Vec<TextSize>,
    /// Per line, the non-ASCII characters in it; empty for ASCII-only lines (the common case).
    wide_chars: Vec<Vec<WideChar>>,
    /// Per line, the byte length of its terminator (0 for the last line, 2 for `\r\n`).
    terminator_lens: Vec<u8>,
    len: TextSize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![TextSize::new(0)];
        let mut wide_chars = vec![Vec::new()];
        let mut terminator_lens = Vec::new();
        let bytes = text.as_bytes();
        let mut line_start = 0usize;
        let mut chars = text.char_indices().peekable();
        while let Some((offset, ch)) = chars.next() {
            match ch {
                '\n' | '\r' => {
                    let mut next = offset + 1;
                    if ch == '\r' && bytes.get(next) == Some(&b'\n') {
                        chars.next();
                        next += 1;
                    }
                    terminator_lens.push((next - offset) as u8);
                    line_starts.push(TextSize::from_usize(next));
                    wide_chars.push(Vec::new());
                    line_start = next;
                }
                ch if !ch.is_ascii() => {
                    let line = wide_chars.last_mut().expect("one entry per line");
                    line.push(WideChar {
                        offset_in_line: (offset - line_start) as u32,
                        utf8_len: ch.len_utf8() as u8,
                        utf16_len: ch.len_utf16() as u8,
                    });
                }
                _ => {}
            }
        }
        terminator_lens.push(0);
        Self {
            line_starts,
            wide_chars,
            terminator_lens,
            len: TextSize::of(text),
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The byte offset at which the 0-based `line` starts, if the line exists.
    pub fn line_start(&self, line: u32) -> Option<TextSize> {
        self.line_starts.get(line as usize).copied()
    }

    /// The byte range of the 0-based `line`, including its line terminator.
    pub fn line_range(&self, line: u32) -> Option<TextRange> {
        let start = self.line_start(line)?;
        let end = self.line_start(line + 1).unwrap_or(self.len);
        Some(TextRange::new(start, end))
    }

    /// The 0-based line containing `offset` and the byte column inside it. Offsets past the end
    /// are clamped to the end of the text.
    fn line_and_byte_column(&self, offset: TextSize) -> (u32, u32) {
        let offset = offset.min(self.len);
        let line = self.line_starts.partition_point(|start| *start <= offset) - 1;
        let column = offset - self.line_starts[line];
        (line as u32, column.to_u32())
    }

    /// The 1-based line and 1-based character column of `offset`.
    pub fn source_position(&self, offset: TextSize) -> SourcePosition {
        let (line, byte_column) = self.line_and_byte_column(offset);
        let extra_bytes: u32 = self
            .wide_chars_before(line, byte_column)
            .map(|wide| u32::from(wide.utf8_len) - 1)
            .sum();
        SourcePosition {
            line: line + 1,
            column: byte_column - extra_bytes + 1,
        }
    }

    pub fn source_range(&self, range: TextRange) -> SourceRange {
        SourceRange {
            start: self.source_position(range.start()),
            end: self.source_position(range.end()),
        }
    }

    /// The byte offset of a 1-based line and 1-based character column; `None` when the line
    /// does not exist. A column past the end of the line is clamped to the line end.
    pub fn offset_of(&self, position: SourcePosition) -> Option<TextSize> {
        let line = position.line.checked_sub(1)?;
        let wanted_chars = position.column.checked_sub(1)?;
        self.offset_in_line(line, wanted_chars, |_| 1)
    }

    /// The LSP position of `offset`.
    pub fn utf16_position(&self, offset: TextSize) -> Utf16Position {
        let (line, byte_column) = self.line_and_byte_column(offset);
        let saved: u32 = self
            .wide_chars_before(line, byte_column)
            .map(|wide| u32::from(wide.utf8_len) - u32::from(wide.utf16_len))
            .sum();
        Utf16Position {
            line,
            character: byte_column - saved,
        }
    }

    /// The byte offset of an LSP position; `None` when the line does not exist. A character
    /// past the end of the line is clamped to the line end, as the LSP specification asks, and
    /// one between the two halves of a surrogate pair to the start of that character, so the
    /// offset is always a char boundary.
    pub fn offset_of_utf16(&self, position: Utf16Position) -> Option<TextSize> {
        self.offset_in_line(position.line, position.character, |wide| {
            u32::from(wide.utf16_len)
        })
    }

    fn wide_chars_before(&self, line: u32, byte_column: u32) -> impl Iterator<Item = &WideChar> {
        self.wide_chars[line as usize]
            .iter()
            .take_while(move |wide| wide.offset_in_line < byte_column)
    }

    /// Walks `line` to the column `units`, where `width(wide)` is how many units a wide
    /// character counts for. A column that falls inside a character is moved to its start.
    fn offset_in_line(
        &self,
        line: u32,
        units: u32,
        width: impl Fn(&WideChar) -> u32,
    ) -> Option<TextSize> {
        let range = self.line_range(line)?;
        let mut byte_column = units;
        for wide in &self.wide_chars[line as usize] {
            if wide.offset_in_line >= byte_column {
                break;
            }
            let width = width(wide);
            if byte_column < wide.offset_in_line + width {
                byte_column = wide.offset_in_line;
                break;
            }
            byte_column += u32::from(wide.utf8_len) - width;
        }
        let content_end = range.end() - TextSize::new(self.terminator_lens[line as usize].into());
        Some((range.start() + TextSize::new(byte_column)).min(content_end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pos(line: u32, column: u32) -> SourcePosition {
        SourcePosition { line, column }
    }

    #[test]
    fn positions_in_lf_crlf_and_cr_text() {
        let text = "ab\ncd\r\nef\rgh";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        assert_eq!(index.source_position(0.into()), pos(1, 1));
        assert_eq!(index.source_position(2.into()), pos(1, 3));
        assert_eq!(index.source_position(3.into()), pos(2, 1));
        assert_eq!(index.source_position(7.into()), pos(3, 1));
        assert_eq!(index.source_position(10.into()), pos(4, 1));
        assert_eq!(index.source_position(12.into()), pos(4, 3));
        assert_eq!(index.offset_of(pos(3, 2)), Some(8.into()));
        assert_eq!(index.offset_of(pos(5, 1)), None);
    }

    #[test]
    fn wide_characters_count_as_one_column_and_their_utf16_width() {
        // 'é' is 2 bytes / 1 UTF-16 unit, '😀' is 4 bytes / 2 UTF-16 units.
        let text = "é😀x\nok";
        let index = LineIndex::new(text);
        let x = TextSize::new(6);
        assert_eq!(index.source_position(x), pos(1, 3));
        assert_eq!(
            index.utf16_position(x),
            Utf16Position {
                line: 0,
                character: 3
            }
        );
        assert_eq!(index.offset_of(pos(1, 3)), Some(x));
        assert_eq!(
            index.offset_of_utf16(Utf16Position {
                line: 0,
                character: 3
            }),
            Some(x)
        );
    }

    #[test]
    fn columns_past_the_line_end_are_clamped() {
        let index = LineIndex::new("ab\ncd");
        assert_eq!(index.offset_of(pos(1, 99)), Some(2.into()));
        assert_eq!(
            index.offset_of_utf16(Utf16Position {
                line: 1,
                character: 99
            }),
            Some(5.into())
        );
    }

    #[test]
    fn a_utf16_position_inside_a_surrogate_pair_is_the_start_of_its_character() {
        // '😀' is two UTF-16 units and four bytes: character 2 is between its halves.
        let index = LineIndex::new("a😀b");
        let inside = Utf16Position {
            line: 0,
            character: 2,
        };
        assert_eq!(index.offset_of_utf16(inside), Some(1.into()));
        let after = Utf16Position {
            line: 0,
            character: 3,
        };
        assert_eq!(index.offset_of_utf16(after), Some(5.into()));
    }

    proptest! {
        #[test]
        fn every_utf16_position_is_a_char_boundary(text in "[a\u{e9}\u{1F600}\n]{0,30}", line in 0u32..4, character in 0u32..40) {
            let index = LineIndex::new(&text);
            if let Some(offset) = index.offset_of_utf16(Utf16Position { line, character }) {
                prop_assert!(text.is_char_boundary(offset.to_usize()));
            }
        }

        #[test]
        fn every_char_boundary_round_trips(text in "[a-c\u{e9}\u{1F600}\r\n]{0,40}") {
            let index = LineIndex::new(&text);
            for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
                // An offset between "\r" and "\n" is not a position a person can point at.
                if offset > 0 && text.as_bytes()[offset - 1] == b'\r' && text.as_bytes().get(offset) == Some(&b'\n') {
                    continue;
                }
                let offset = TextSize::from_usize(offset);
                let position = index.source_position(offset);
                prop_assert_eq!(index.offset_of(position), Some(offset));
                let utf16 = index.utf16_position(offset);
                prop_assert_eq!(index.offset_of_utf16(utf16), Some(offset));
            }
        }
    }
}
