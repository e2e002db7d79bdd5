//! Properties of `apply_edits` and of the fix loop.

use std::path::Path;

use commerce_codemods::{FixOptions, apply_edits, fix_all};
use commerce_diagnostics::{Diagnostic, Edit, TextRange};
use proptest::prelude::*;

use crate::host::{WordHost, WordRule, balanced_parens, sources};

/// The byte offsets of `text` that are character boundaries, end included.
fn boundaries(text: &str) -> Vec<usize> {
    text.char_indices()
        .map(|(offset, _)| offset)
        .chain([text.len()])
        .collect()
}

/// True when the two edits can both apply: disjoint, touching, or an insertion at either end of
/// a replacement; two insertions at one offset cannot.
fn independent(a: &Edit, b: &Edit) -> bool {
    let (a, b) = (a.range.to_usize_range(), b.range.to_usize_range());
    let same_offset_insertions = a.is_empty() && b.is_empty() && a.start == b.start;
    !same_offset_insertions && (a.end <= b.start || b.end <= a.start)
}

/// Applies edits one at a time from the end of the text, the obvious way.
fn naive_apply(text: &str, edits: &[Edit]) -> String {
    let mut sorted = edits.to_vec();
    sorted.sort_by_key(|edit| edit.range);
    let mut out = text.to_owned();
    for edit in sorted.iter().rev() {
        out.replace_range(edit.range.to_usize_range(), &edit.new_text);
    }
    out
}

/// A text with multi-byte characters and non-conflicting edits on its character boundaries,
/// given in shuffled order.
fn text_and_edits() -> impl Strategy<Value = (String, Vec<Edit>)> {
    "[ab é漢🎉\n]{0,24}".prop_flat_map(|text| {
        let offsets = boundaries(&text);
        let count = offsets.len();
        let edit = (0..count, 0..count, "[xé🎉]{0,3}");
        prop::collection::vec(edit, 0..8).prop_flat_map(move |picks| {
            let mut edits: Vec<Edit> = Vec::new();
            for (a, b, new_text) in picks {
                let (start, end) = (offsets[a.min(b)], offsets[a.max(b)]);
                let edit =
                    Edit::replacement("a.ts", TextRange::from_usize_range(start..end), new_text);
                if edits.iter().all(|taken| independent(taken, &edit)) {
                    edits.push(edit);
                }
            }
            (Just(text.clone()), Just(edits).prop_shuffle())
        })
    })
}

/// Text that parses to begin with, rich in overlapping (`aba`), adjacent (`abab`) and nested
/// (`(())`) matches of the rules below.
fn parsable_text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("a"),
        Just("b"),
        Just("c"),
        Just("()"),
        Just("(ba)"),
        Just("(a)")
    ];
    prop::collection::vec(token, 0..12).prop_map(|tokens| tokens.concat())
}

proptest! {
    #[test]
    fn apply_edits_matches_applying_one_by_one_from_the_end((text, edits) in text_and_edits()) {
        prop_assert_eq!(apply_edits(&text, &edits), Ok(naive_apply(&text, &edits)));
    }

    /// Arbitrary ranges (off boundaries, past the end, overlapping) never panic; when accepted,
    /// the result is the obvious one.
    #[test]
    fn apply_edits_never_panics(
        text in "[aé🎉]{0,8}",
        picks in prop::collection::vec((0u32..40, 0u32..40, "[xy]{0,2}"), 0..5),
    ) {
        let edits: Vec<Edit> = picks
            .into_iter()
            .map(|(a, b, new_text)| {
                let range = TextRange::new(a.min(b).into(), a.max(b).into());
                Edit::replacement("a.ts", range, new_text)
            })
            .collect();
        if let Ok(applied) = apply_edits(&text, &edits) {
            prop_assert_eq!(applied, naive_apply(&text, &edits));
        }
    }

    /// With conflicting fixes (`ab` and `ba` overlap in `aba`), fixes that break parsing and
    /// fixes that enable others, no fix is lost silently: whatever is left is exactly what a fresh
    /// analysis of the result finds, and every fixable diagnostic left was reported as reverted.
    #[test]
    fn no_fix_is_lost_silently(text in parsable_text()) {
        let sources = sources(&[("a.ts", &text)]);
        let rules = vec![
            WordRule::safe("demo/ab", "ab", "c"),
            WordRule::safe("demo/ba", "ba", "c"),
            WordRule::safe("demo/empty-parens", "()", ""),
        ];
        let mut host = WordHost::new(rules, &sources);
        host.forbidden = vec!["cc"];
        let diagnostics = host.analyse_all();
        let options = FixOptions { max_passes: 30, ..FixOptions::default() };

        let outcome = fix_all(sources, &diagnostics, &mut host, &options).unwrap();

        let fixed = outcome
            .files
            .get(Path::new("a.ts"))
            .map_or(text.as_str(), |file| file.fixed.as_str());
        let parses = balanced_parens(fixed) && !fixed.contains("cc");
        prop_assert!(fixed == text || parses, "{:?} -> {:?}", text, fixed);

        let mut fresh = host.diagnostics(Path::new("a.ts"), fixed);
        commerce_diagnostics::sort_and_dedup(&mut fresh);
        prop_assert_eq!(&outcome.remaining, &fresh);
        prop_assert!(outcome.rejected.is_empty());
        for diagnostic in &outcome.remaining {
            prop_assert!(reported_as_reverted(&outcome, diagnostic), "{:?} lost", diagnostic);
        }
    }
}

fn reported_as_reverted(outcome: &commerce_codemods::FixOutcome, diagnostic: &Diagnostic) -> bool {
    let Some(fix) = &diagnostic.fix else {
        return true;
    };
    outcome.files.get(&diagnostic.path).is_some_and(|file| {
        file.reverted
            .iter()
            .any(|reverted| reverted.rule == diagnostic.rule && reverted.title == fix.title)
    })
}
