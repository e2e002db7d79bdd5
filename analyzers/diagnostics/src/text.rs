//! Byte offsets and ranges into a source file.
//!
//! Offsets are UTF-8 byte offsets stored as `u32`: a file over 4 GiB is skipped by the inventory
//! long before it reaches an analyzer, and halving the size of every span keeps diagnostics small.

use std::fmt;
use std::ops::{Add, Range, Sub};

use serde::{Deserialize, Serialize};

/// A UTF-8 byte offset into a source text.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TextSize(u32);

impl TextSize {
    pub const fn new(offset: u32) -> Self {
        Self(offset)
    }

    /// The length of `text` in bytes.
    ///
    /// # Panics
    /// When the text is 4 GiB or longer; callers reject such inputs before analysis.
    pub fn of(text: &str) -> Self {
        Self::from_usize(text.len())
    }

    /// # Panics
    /// When `offset` does not fit in 32 bits (see [`TextSize::of`]).
    pub fn from_usize(offset: usize) -> Self {
        Self(u32::try_from(offset).expect("source offsets fit in 32 bits"))
    }

    pub const fn to_u32(self) -> u32 {
        self.0
    }

    pub const fn to_usize(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Debug for TextSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<u32> for TextSize {
    fn from(offset: u32) -> Self {
        Self(offset)
    }
}

impl Add for TextSize {
    type Output = TextSize;
    fn add(self, rhs: TextSize) -> TextSize {
        TextSize(self.0 + rhs.0)
    }
}

impl Sub for TextSize {
    type Output = TextSize;
    fn sub(self, rhs: TextSize) -> TextSize {
        TextSize(self.0 - rhs.0)
    }
}

/// A half-open byte range `start..end` into a source text.
///
/// Invariant: `start <= end`.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TextRange {
    start: TextSize,
    end: TextSize,
}

impl TextRange {
    /// # Panics
    /// When `start > end`.
    pub fn new(start: TextSize, end: TextSize) -> Self {
        assert!(start <= end, "invalid text range {start:?}..{end:?}");
        Self { start, end }
    }

    pub fn at(start: TextSize, len: TextSize) -> Self {
        Self::new(start, start + len)
    }

    pub fn empty(offset: TextSize) -> Self {
        Self::new(offset, offset)
    }

    /// The range covering all of `text`.
    pub fn up_to(text: &str) -> Self {
        Self::new(TextSize::new(0), TextSize::of(text))
    }

    pub fn from_usize_range(range: Range<usize>) -> Self {
        Self::new(
            TextSize::from_usize(range.start),
            TextSize::from_usize(range.end),
        )
    }

    pub const fn start(self) -> TextSize {
        self.start
    }

    pub const fn end(self) -> TextSize {
        self.end
    }

    pub fn len(self) -> TextSize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn contains_range(self, other: TextRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// True when the two ranges share at least one byte, or when an empty range sits strictly
    /// inside the other. Touching ranges (`a.end == b.start`) do not overlap, so an insertion at
    /// the end of a replaced span is allowed.
    pub fn overlaps(self, other: TextRange) -> bool {
        if self.is_empty() || other.is_empty() {
            let (point, span) = if self.is_empty() {
                (self.start, other)
            } else {
                (other.start, self)
            };
            return span.start < point && point < span.end;
        }
        self.start < other.end && other.start < self.end
    }

    pub fn to_usize_range(self) -> Range<usize> {
        self.start.to_usize()..self.end.to_usize()
    }
}

impl fmt::Debug for TextRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start.0, self.end.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: u32, end: u32) -> TextRange {
        TextRange::new(start.into(), end.into())
    }

    #[test]
    fn overlapping_and_touching_ranges() {
        assert!(range(0, 5).overlaps(range(4, 6)));
        assert!(!range(0, 5).overlaps(range(5, 6)));
        assert!(range(0, 5).overlaps(range(2, 2)));
        assert!(!range(0, 5).overlaps(range(5, 5)));
        assert!(!range(0, 5).overlaps(range(0, 0)));
        assert!(!range(3, 3).overlaps(range(3, 3)));
    }

    #[test]
    #[should_panic(expected = "invalid text range")]
    fn inverted_range_is_rejected() {
        let _ = range(5, 1);
    }
}
