//! Applying the edits of one file to its text.
//!
//! Edits are validated before anything is spliced: each must lie inside the text on UTF-8
//! character boundaries, and no two may conflict. Two edits conflict when their ranges overlap
//! ([`TextRange::overlaps`]: touching ranges do not) or when both are insertions at the same
//! offset, because the order of the two inserted texts would be a guess. An insertion at the start
//! of a replaced range goes before the replacement, one at its end goes after it.
//!
//! [`apply_edits`] is strict: even two identical edits conflict. Dropping duplicates proposed by
//! different fixes is the planner's job, which knows they come from different diagnostics.

use std::path::{Path, PathBuf};

use commerce_diagnostics::{Edit, TextRange, TextSize};

/// Why a set of edits cannot be applied to a text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error(
        "edit {range:?} of {} ends past the end of the text ({len} bytes); the fix was computed for another version of the file: re-run the analysis",
        path.display()
    )]
    OutOfBounds {
        path: PathBuf,
        range: TextRange,
        len: usize,
    },
    #[error(
        "edit {range:?} of {} splits a UTF-8 character at byte {offset:?}; edits must start and end on character boundaries",
        path.display()
    )]
    NotCharBoundary {
        path: PathBuf,
        range: TextRange,
        offset: TextSize,
    },
    #[error(
        "edits {first:?} and {second:?} of {} overlap; a fix's edits must not overlap, and fixes that do are applied in separate passes",
        path.display()
    )]
    Overlap {
        path: PathBuf,
        first: TextRange,
        second: TextRange,
    },
    #[error(
        "two insertions at byte {offset:?} of {}: their order is ambiguous; combine them into one edit",
        path.display()
    )]
    AmbiguousInsertions { path: PathBuf, offset: TextSize },
    #[error(
        "edit {range:?} is for {}, but the other edits are for {}; apply each file's edits separately",
        found.display(),
        expected.display()
    )]
    MixedFiles {
        expected: PathBuf,
        found: PathBuf,
        range: TextRange,
    },
}

/// Applies the edits of one file to its `text`, in any order given.
///
/// Errors, naming the offending range, when an edit lies outside the text or off a character
/// boundary, when two edits conflict (see the module docs), or when the edits name more than one
/// file. Nothing is applied unless every edit is valid.
pub fn apply_edits(text: &str, edits: &[Edit]) -> Result<String, EditError> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|edit| edit.range);
    check_sorted_edits(text, &sorted)?;
    Ok(splice(text, &sorted))
}

/// Checks edits of one file, sorted by range, against `text` without applying them.
pub(crate) fn check_sorted_edits(text: &str, sorted: &[&Edit]) -> Result<(), EditError> {
    let Some(first) = sorted.first() else {
        return Ok(());
    };
    for edit in sorted {
        check_same_file(&first.path, edit)?;
        check_inside(text, edit)?;
    }
    for pair in sorted.windows(2) {
        check_disjoint(&pair[0].path, pair[0].range, pair[1].range)?;
    }
    Ok(())
}

/// True when two edits of the same file cannot both be applied (see the module docs).
pub(crate) fn ranges_conflict(a: TextRange, b: TextRange) -> bool {
    let same_offset_insertions = a.is_empty() && b.is_empty() && a.start() == b.start();
    same_offset_insertions || a.overlaps(b)
}

fn check_disjoint(path: &Path, first: TextRange, second: TextRange) -> Result<(), EditError> {
    if !ranges_conflict(first, second) {
        return Ok(());
    }
    if first.is_empty() && second.is_empty() {
        return Err(EditError::AmbiguousInsertions {
            path: path.to_path_buf(),
            offset: first.start(),
        });
    }
    Err(EditError::Overlap {
        path: path.to_path_buf(),
        first,
        second,
    })
}

fn check_same_file(expected: &Path, edit: &Edit) -> Result<(), EditError> {
    if edit.path == expected {
        return Ok(());
    }
    Err(EditError::MixedFiles {
        expected: expected.to_path_buf(),
        found: edit.path.clone(),
        range: edit.range,
    })
}

fn check_inside(text: &str, edit: &Edit) -> Result<(), EditError> {
    let range = edit.range;
    if range.end().to_usize() > text.len() {
        return Err(EditError::OutOfBounds {
            path: edit.path.clone(),
            range,
            len: text.len(),
        });
    }
    for offset in [range.start(), range.end()] {
        if !text.is_char_boundary(offset.to_usize()) {
            return Err(EditError::NotCharBoundary {
                path: edit.path.clone(),
                range,
                offset,
            });
        }
    }
    Ok(())
}

/// Replaces each range by its new text. The edits must have passed [`check_sorted_edits`], which
/// guarantees every slice below lies on character boundaries and each edit starts at or after
/// the end of the previous one.
fn splice(text: &str, sorted: &[&Edit]) -> String {
    let inserted: usize = sorted.iter().map(|edit| edit.new_text.len()).sum();
    let mut out = String::with_capacity(text.len() + inserted);
    let mut cursor = 0;
    for edit in sorted {
        let range = edit.range.to_usize_range();
        out.push_str(&text[cursor..range.start]);
        out.push_str(&edit.new_text);
        cursor = range.end;
    }
    out.push_str(&text[cursor..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(start: u32, end: u32, new_text: &str) -> Edit {
        Edit::replacement("a.ts", TextRange::new(start.into(), end.into()), new_text)
    }

    #[test]
    fn applies_edits_given_in_any_order() {
        let edits = [edit(6, 11, "there"), edit(0, 5, "Hi")];
        assert_eq!(apply_edits("hello world", &edits).unwrap(), "Hi there");
    }

    #[test]
    fn no_edits_leaves_the_text_alone() {
        assert_eq!(apply_edits("same", &[]).unwrap(), "same");
    }

    #[test]
    fn insertions_touching_a_replacement_go_on_its_side() {
        let edits = [edit(1, 2, "X"), edit(1, 1, "<"), edit(2, 2, ">")];
        assert_eq!(apply_edits("abc", &edits).unwrap(), "a<X>c");
    }

    #[test]
    fn touching_replacements_are_not_overlapping() {
        let edits = [edit(0, 2, "1"), edit(2, 4, "2")];
        assert_eq!(apply_edits("abcd", &edits).unwrap(), "12");
    }

    #[test]
    fn overlapping_edits_are_rejected_naming_both_ranges() {
        let error = apply_edits("abcdef", &[edit(0, 3, ""), edit(2, 5, "")]).unwrap_err();
        assert_eq!(
            error,
            EditError::Overlap {
                path: "a.ts".into(),
                first: TextRange::new(0.into(), 3.into()),
                second: TextRange::new(2.into(), 5.into()),
            }
        );
        assert!(error.to_string().contains("0..3 and 2..5 of a.ts"));
    }

    #[test]
    fn an_insertion_strictly_inside_a_replacement_overlaps() {
        let error = apply_edits("abcdef", &[edit(1, 4, "x"), edit(2, 2, "y")]).unwrap_err();
        assert!(matches!(error, EditError::Overlap { .. }));
    }

    #[test]
    fn two_insertions_at_one_offset_are_ambiguous() {
        let error = apply_edits("abc", &[edit(1, 1, "x"), edit(1, 1, "y")]).unwrap_err();
        assert_eq!(
            error,
            EditError::AmbiguousInsertions {
                path: "a.ts".into(),
                offset: 1.into(),
            }
        );
    }

    #[test]
    fn edits_past_the_end_are_rejected() {
        let error = apply_edits("abc", &[edit(2, 4, "")]).unwrap_err();
        assert_eq!(
            error,
            EditError::OutOfBounds {
                path: "a.ts".into(),
                range: TextRange::new(2.into(), 4.into()),
                len: 3,
            }
        );
        assert!(error.to_string().contains("edit 2..4 of a.ts"));
    }

    #[test]
    fn edits_inside_a_multibyte_character_are_rejected() {
        // 'é' is two bytes: offset 2 falls inside it.
        let error = apply_edits("héllo", &[edit(2, 3, "e")]).unwrap_err();
        assert_eq!(
            error,
            EditError::NotCharBoundary {
                path: "a.ts".into(),
                range: TextRange::new(2.into(), 3.into()),
                offset: 2.into(),
            }
        );
    }

    #[test]
    fn multibyte_characters_are_replaced_whole() {
        assert_eq!(apply_edits("héllo", &[edit(1, 3, "e")]).unwrap(), "hello");
    }

    #[test]
    fn edits_of_two_files_are_rejected() {
        let other = Edit::insertion("b.ts", 0.into(), "x");
        let error = apply_edits("abc", &[edit(0, 1, ""), other]).unwrap_err();
        assert!(matches!(error, EditError::MixedFiles { .. }));
    }
}
