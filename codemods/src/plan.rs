//! One pass of the planner: which fixes to apply now, which to defer, which are invalid.
//!
//! Fixes are considered in a deterministic order (by file, then range, then rule) and taken
//! greedily while none of their edits conflicts with an edit already taken this pass. An edit
//! identical to one already taken (two diagnostics proposing the same import, say) is dropped
//! rather than counted as a conflict. A conflicting fix is deferred: the next pass re-analyses
//! the changed files, so it comes back with fresh offsets if it is still needed.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use commerce_diagnostics::{Edit, Fix, TextRange};

use crate::edit::{EditError, check_sorted_edits, ranges_conflict};

/// A fix proposed by one diagnostic, with its edits sorted and identical edits removed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Candidate {
    pub rule: String,
    /// The file of the diagnostic that proposed the fix.
    pub origin: PathBuf,
    pub fix: Fix,
}

impl Candidate {
    pub fn new(rule: &str, origin: &Path, fix: &Fix) -> Self {
        let mut fix = fix.clone();
        fix.edits.sort();
        fix.edits.dedup();
        Self {
            rule: rule.to_owned(),
            origin: origin.to_path_buf(),
            fix,
        }
    }

    /// The files the fix edits, in order, each once.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        let mut previous: Option<&Path> = None;
        self.fix.edits.iter().filter_map(move |edit| {
            let path = edit.path.as_path();
            let first_time = previous != Some(path);
            previous = Some(path);
            first_time.then_some(path)
        })
    }

    fn first_edit(&self) -> Option<(&Path, TextRange)> {
        let edit = self.fix.edits.first()?;
        Some((&edit.path, edit.range))
    }

    /// By file, then range (of the first edit), then rule; the remaining fields only make the
    /// order total, so that exact duplicates end up side by side.
    fn planning_order(&self, other: &Self) -> Ordering {
        self.first_edit()
            .cmp(&other.first_edit())
            .then_with(|| self.rule.cmp(&other.rule))
            .then_with(|| self.fix.title.cmp(&other.fix.title))
            .then_with(|| self.fix.edits.cmp(&other.fix.edits))
            .then_with(|| self.origin.cmp(&other.origin))
            .then_with(|| self.fix.applicability.cmp(&other.fix.applicability))
    }
}

/// Why a fix can never be applied as proposed: a bug in the rule that made it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidFix {
    #[error("the fix has no edits")]
    NoEdits,
    #[error(
        "the fix involves {}, which was not analysed, so the result cannot be re-checked",
        path.display()
    )]
    UnknownFile { path: PathBuf },
    #[error(transparent)]
    Edit(#[from] EditError),
}

/// What one pass does with one candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Take,
    /// Conflicts with a fix taken earlier in this pass.
    Defer,
    Reject(InvalidFix),
}

/// Decides, for every candidate, whether this pass takes, defers or rejects it. Candidates come
/// back in planning order, exact duplicates merged.
pub(crate) fn plan(
    mut candidates: Vec<Candidate>,
    texts: &BTreeMap<PathBuf, String>,
) -> Vec<(Candidate, Verdict)> {
    candidates.sort_by(|a, b| a.planning_order(b));
    candidates.dedup();
    let mut taken = TakenEdits::default();
    candidates
        .into_iter()
        .map(|candidate| {
            let verdict = match validate(&candidate, texts) {
                Err(invalid) => Verdict::Reject(invalid),
                Ok(()) if taken.try_take(&candidate.fix.edits) => Verdict::Take,
                Ok(()) => Verdict::Defer,
            };
            (candidate, verdict)
        })
        .collect()
}

/// Checks a candidate against the current texts: every file known (or created by one
/// insertion at its start), every edit inside its text, on character boundaries, and no two of
/// its own edits in conflict.
fn validate(candidate: &Candidate, texts: &BTreeMap<PathBuf, String>) -> Result<(), InvalidFix> {
    if candidate.fix.edits.is_empty() {
        return Err(InvalidFix::NoEdits);
    }
    known_text(texts, &candidate.origin)?;
    for path in candidate.paths() {
        let edits: Vec<&Edit> = candidate
            .fix
            .edits
            .iter()
            .filter(|edit| edit.path == path)
            .collect();
        let text = match known_text(texts, path) {
            Ok(text) => text,
            Err(_) if is_creation(&edits) => "",
            Err(unknown) => return Err(unknown),
        };
        check_sorted_edits(text, &edits)?;
    }
    Ok(())
}

/// Whether the edits of a file that was not analysed create it: one insertion at its start.
pub(crate) fn is_creation(edits: &[&Edit]) -> bool {
    matches!(edits, [edit] if edit.can_create())
}

fn known_text<'t>(
    texts: &'t BTreeMap<PathBuf, String>,
    path: &Path,
) -> Result<&'t str, InvalidFix> {
    texts
        .get(path)
        .map(String::as_str)
        .ok_or_else(|| InvalidFix::UnknownFile {
            path: path.to_path_buf(),
        })
}

/// The edits taken so far in one pass, per file and by range.
///
/// Invariant: no two taken edits of a file conflict, so sorted by range each one ends at or
/// before the start of the next, and their ends never decrease.
#[derive(Debug, Default)]
struct TakenEdits(BTreeMap<PathBuf, BTreeMap<TextRange, String>>);

impl TakenEdits {
    /// Takes all of `edits` if none conflicts with a taken edit; otherwise takes nothing.
    fn try_take(&mut self, edits: &[Edit]) -> bool {
        let new: Vec<&Edit> = edits.iter().filter(|edit| !self.contains(edit)).collect();
        if new.iter().any(|edit| self.conflicts(edit)) {
            return false;
        }
        for edit in new {
            self.0
                .entry(edit.path.clone())
                .or_default()
                .insert(edit.range, edit.new_text.clone());
        }
        true
    }

    fn contains(&self, edit: &Edit) -> bool {
        self.0
            .get(&edit.path)
            .and_then(|taken| taken.get(&edit.range))
            .is_some_and(|new_text| *new_text == edit.new_text)
    }

    /// Only taken ranges starting at or before `edit`'s end can conflict with it; walking those
    /// backwards, the first one ending before `edit` starts ends the search (see the invariant).
    fn conflicts(&self, edit: &Edit) -> bool {
        let Some(taken) = self.0.get(&edit.path) else {
            return false;
        };
        taken
            .range(..=TextRange::empty(edit.range.end()))
            .rev()
            .take_while(|(range, _)| range.end() >= edit.range.start())
            .any(|(range, _)| ranges_conflict(*range, edit.range))
    }
}

#[cfg(test)]
mod tests {
    use commerce_diagnostics::TextSize;
    use proptest::prelude::*;

    use super::*;

    fn edit(path: &str, start: u32, end: u32, new_text: &str) -> Edit {
        Edit::replacement(path, TextRange::new(start.into(), end.into()), new_text)
    }

    fn candidate(rule: &str, edits: Vec<Edit>) -> Candidate {
        Candidate::new(rule, Path::new("a.ts"), &Fix::safe(rule, edits))
    }

    fn texts(entries: &[(&str, &str)]) -> BTreeMap<PathBuf, String> {
        entries
            .iter()
            .map(|(path, text)| (PathBuf::from(path), (*text).to_owned()))
            .collect()
    }

    fn verdicts(
        candidates: Vec<Candidate>,
        texts: &BTreeMap<PathBuf, String>,
    ) -> Vec<(String, Verdict)> {
        plan(candidates, texts)
            .into_iter()
            .map(|(candidate, verdict)| (candidate.rule, verdict))
            .collect()
    }

    #[test]
    fn overlapping_fix_is_deferred_and_the_earlier_one_taken() {
        let texts = texts(&[("a.ts", "abcdef")]);
        let later = candidate("r/later", vec![edit("a.ts", 2, 5, "x")]);
        let earlier = candidate("r/earlier", vec![edit("a.ts", 0, 3, "y")]);
        assert_eq!(
            verdicts(vec![later, earlier], &texts),
            [
                ("r/earlier".to_owned(), Verdict::Take),
                ("r/later".to_owned(), Verdict::Defer)
            ]
        );
    }

    #[test]
    fn ties_on_position_are_broken_by_rule() {
        let texts = texts(&[("a.ts", "abcdef")]);
        let b = candidate("r/b", vec![edit("a.ts", 0, 3, "b")]);
        let a = candidate("r/a", vec![edit("a.ts", 0, 3, "a")]);
        assert_eq!(
            verdicts(vec![b, a], &texts),
            [
                ("r/a".to_owned(), Verdict::Take),
                ("r/b".to_owned(), Verdict::Defer)
            ]
        );
    }

    #[test]
    fn identical_edits_of_two_fixes_are_applied_once() {
        let texts = texts(&[("a.ts", "abc")]);
        let import = edit("a.ts", 0, 0, "import x;\n");
        let first = candidate("r/one", vec![import.clone(), edit("a.ts", 1, 2, "B")]);
        let second = candidate("r/two", vec![import, edit("a.ts", 2, 3, "C")]);
        assert_eq!(
            verdicts(vec![first, second], &texts),
            [
                ("r/one".to_owned(), Verdict::Take),
                ("r/two".to_owned(), Verdict::Take)
            ]
        );
    }

    #[test]
    fn different_insertions_at_one_offset_conflict() {
        let texts = texts(&[("a.ts", "abc")]);
        let first = candidate("r/one", vec![edit("a.ts", 1, 1, "x")]);
        let second = candidate("r/two", vec![edit("a.ts", 1, 1, "y")]);
        assert_eq!(verdicts(vec![first, second], &texts)[1].1, Verdict::Defer);
    }

    #[test]
    fn exact_duplicate_fixes_are_merged() {
        let texts = texts(&[("a.ts", "abc")]);
        let fix = candidate("r/one", vec![edit("a.ts", 1, 2, "x")]);
        assert_eq!(verdicts(vec![fix.clone(), fix], &texts).len(), 1);
    }

    #[test]
    fn a_deferred_fix_takes_none_of_its_edits() {
        let texts = texts(&[("a.ts", "abcdef")]);
        let first = candidate("r/one", vec![edit("a.ts", 0, 2, "x")]);
        // Its second edit does not conflict, but the fix is applied whole or not at all.
        let second = candidate(
            "r/two",
            vec![edit("a.ts", 1, 2, "y"), edit("a.ts", 4, 5, "z")],
        );
        let third = candidate("r/three", vec![edit("a.ts", 4, 5, "w")]);
        let verdicts = verdicts(vec![first, second, third], &texts);
        assert_eq!(verdicts[1], ("r/two".to_owned(), Verdict::Defer));
        assert_eq!(verdicts[2], ("r/three".to_owned(), Verdict::Take));
    }

    #[test]
    fn invalid_fixes_are_rejected_with_the_reason() {
        let texts = texts(&[("a.ts", "abc")]);
        let unknown = candidate("r/unknown", vec![edit("b.ts", 0, 1, "x")]);
        let past_end = candidate("r/past-end", vec![edit("a.ts", 2, 9, "x")]);
        let empty = candidate("r/empty", Vec::new());
        let self_overlapping = candidate(
            "r/self",
            vec![edit("a.ts", 0, 2, "x"), edit("a.ts", 1, 3, "y")],
        );
        let verdicts = verdicts(vec![unknown, past_end, empty, self_overlapping], &texts);
        let reasons: Vec<String> = verdicts
            .iter()
            .map(|(rule, verdict)| match verdict {
                Verdict::Reject(reason) => format!("{rule}: {reason}"),
                other => format!("{rule}: unexpected {other:?}"),
            })
            .collect();
        insta::assert_debug_snapshot!(reasons);
    }

    #[test]
    fn the_origin_file_must_be_known() {
        let texts = texts(&[("a.ts", "abc")]);
        let fix = Candidate::new(
            "r/x",
            Path::new("gone.ts"),
            &Fix::safe("x", vec![edit("a.ts", 0, 1, "x")]),
        );
        assert_eq!(
            plan(vec![fix], &texts)[0].1,
            Verdict::Reject(InvalidFix::UnknownFile {
                path: "gone.ts".into()
            })
        );
    }

    #[test]
    fn paths_lists_each_file_once() {
        let fix = candidate(
            "r/x",
            vec![
                edit("b.ts", 0, 1, ""),
                edit("a.ts", 0, 1, ""),
                edit("a.ts", 2, 3, ""),
            ],
        );
        let paths: Vec<&Path> = fix.paths().collect();
        assert_eq!(paths, [Path::new("a.ts"), Path::new("b.ts")]);
    }

    /// Random single-edit fixes on a 40-byte text, some of them in conflict.
    fn random_fixes() -> impl Strategy<Value = Vec<Candidate>> {
        let edit = (0u32..=40, 0u32..=6, "[xy]{0,2}").prop_map(|(start, len, text)| {
            let end = (start + len).min(40);
            Edit::replacement(
                "a.ts",
                TextRange::new(TextSize::new(start), end.into()),
                text,
            )
        });
        let fix = (prop::collection::vec(edit, 1..3), 0u8..4).prop_map(|(edits, rule)| {
            let mut edits = edits;
            edits.sort();
            edits.dedup_by(|b, a| ranges_conflict(a.range, b.range));
            candidate(&format!("r/{rule}"), edits)
        });
        prop::collection::vec(fix, 0..12)
    }

    proptest! {
        /// Every fix is accounted for: taken, deferred because it conflicts with a taken edit,
        /// or rejected; and the taken edits can be applied together.
        #[test]
        fn every_fix_is_taken_deferred_or_rejected(fixes in random_fixes()) {
            let texts = texts(&[("a.ts", &"a".repeat(40))]);
            let mut distinct = fixes.clone();
            distinct.sort_by(|a, b| a.planning_order(b));
            distinct.dedup();
            let planned = plan(fixes, &texts);
            prop_assert_eq!(planned.len(), distinct.len());

            let mut taken: Vec<Edit> = planned
                .iter()
                .filter(|(_, verdict)| *verdict == Verdict::Take)
                .flat_map(|(candidate, _)| candidate.fix.edits.clone())
                .collect();
            taken.sort();
            taken.dedup();
            let applied = crate::apply_edits(&texts[Path::new("a.ts")], &taken);
            prop_assert!(applied.is_ok(), "taken edits conflict: {:?}", applied);

            for (candidate, verdict) in &planned {
                if *verdict == Verdict::Defer {
                    let blocked_by_taken = candidate.fix.edits.iter().any(|edit| {
                        !taken.contains(edit)
                            && taken.iter().any(|other| ranges_conflict(other.range, edit.range))
                    });
                    prop_assert!(blocked_by_taken, "deferred without a conflict: {:?}", candidate);
                }
            }
        }
    }
}
