//! The fix loop: plan a pass, apply it, revert what no longer parses, re-analyse, repeat.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use commerce_diagnostics::{Applicability, Diagnostic, Edit, sort_and_dedup};

use crate::edit::apply_edits;
use crate::error::FixError;
use crate::outcome::{AppliedFix, FileOutcome, FixOutcome, RejectedFix, RevertedFix};
use crate::plan::{Candidate, InvalidFix, Verdict, plan};

/// Which fixes to apply, and how long to keep going.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixOptions {
    /// Also apply fixes marked unsafe (`--unsafe-fixes`). Display-only fixes are never applied.
    pub unsafe_fixes: bool,
    /// Passes after which fixes that keep coming are a rule bug ([`FixError::TooManyPasses`]).
    pub max_passes: usize,
}

impl Default for FixOptions {
    fn default() -> Self {
        Self {
            unsafe_fixes: false,
            max_passes: 10,
        }
    }
}

impl FixOptions {
    fn allows(&self, applicability: Applicability) -> bool {
        match applicability {
            Applicability::Safe => true,
            Applicability::Unsafe => self.unsafe_fixes,
            Applicability::DisplayOnly => false,
        }
    }
}

/// The language knowledge the engine needs, supplied by whoever drives it (CLI, LSP, runner).
pub trait FixHost {
    /// Re-analyses one file's current text, returning its fresh diagnostics (used for the next
    /// pass). Called for every file a pass changed, then for every file holding a diagnostic
    /// whose fix edits a changed file, since that fix's offsets are stale.
    fn analyze(&mut self, path: &Path, text: &str) -> Vec<Diagnostic>;

    /// Does the text parse with its language's parser? A fix after which a file it touches
    /// does not parse is reverted, so a file that did not parse to begin with is left alone.
    fn parses(&mut self, path: &Path, text: &str) -> bool;
}

/// Applies the fixes of `diagnostics` to `sources` (project-relative path to text at analysis
/// time) in passes, until a pass finds nothing left to apply. Writes nothing: see
/// [`write_outcome`](crate::write_outcome).
///
/// Each pass takes the allowed fixes in a deterministic order, defers those that conflict with
/// one already taken, and applies the rest. If a changed file no longer parses, the pass finds
/// the fixes responsible by adding them one at a time and reverts each of them whole, in all of
/// its files; the others are kept. A reverted fix is not tried again with the same edits. The
/// changed files are then re-analysed for the next pass. Fails with
/// [`FixError::TooManyPasses`] when fixes are still coming after `options.max_passes` passes.
pub fn fix_all(
    sources: BTreeMap<PathBuf, String>,
    diagnostics: &[Diagnostic],
    host: &mut dyn FixHost,
    options: &FixOptions,
) -> Result<FixOutcome, FixError> {
    let mut run = FixRun::new(sources, diagnostics);
    loop {
        let selected = run.plan_pass(options);
        if selected.is_empty() {
            return Ok(run.finish());
        }
        if run.passes == options.max_passes {
            return Err(too_many_passes(run.passes, &selected));
        }
        run.apply_pass(selected, host)?;
    }
}

/// The state of one `fix_all` call between passes.
#[derive(Debug)]
struct FixRun {
    originals: BTreeMap<PathBuf, String>,
    /// Same keys as `originals`: the text with every kept fix applied.
    texts: BTreeMap<PathBuf, String>,
    /// The current diagnostics, by the file they were reported in.
    diagnostics: BTreeMap<PathBuf, Vec<Diagnostic>>,
    records: BTreeMap<PathBuf, FileRecord>,
    /// Files a fix created: not analysed, their original text is empty.
    created: BTreeSet<PathBuf>,
    rejected: Vec<RejectedFix>,
    /// Fixes reverted or rejected once, never to be tried again.
    settled: HashSet<Candidate>,
    fixes_applied: usize,
    passes: usize,
}

#[derive(Debug, Default)]
struct FileRecord {
    applied: Vec<AppliedFix>,
    reverted: Vec<RevertedFix>,
}

impl FixRun {
    fn new(sources: BTreeMap<PathBuf, String>, diagnostics: &[Diagnostic]) -> Self {
        let mut by_file: BTreeMap<PathBuf, Vec<Diagnostic>> = BTreeMap::new();
        for diagnostic in diagnostics {
            by_file
                .entry(diagnostic.path.clone())
                .or_default()
                .push(diagnostic.clone());
        }
        Self {
            texts: sources.clone(),
            originals: sources,
            diagnostics: by_file,
            records: BTreeMap::new(),
            created: BTreeSet::new(),
            rejected: Vec::new(),
            settled: HashSet::new(),
            fixes_applied: 0,
            passes: 0,
        }
    }

    /// The fixes this pass takes. Invalid fixes are recorded as rejected on the way.
    fn plan_pass(&mut self, options: &FixOptions) -> Vec<Candidate> {
        let candidates: Vec<Candidate> = self
            .diagnostics
            .values()
            .flatten()
            .filter_map(|diagnostic| {
                let fix = diagnostic.fix.as_ref()?;
                options
                    .allows(fix.applicability)
                    .then(|| Candidate::new(&diagnostic.rule, &diagnostic.path, fix))
            })
            .filter(|candidate| !self.settled.contains(candidate))
            .collect();
        let mut selected = Vec::new();
        for (candidate, verdict) in plan(candidates, &self.texts) {
            match verdict {
                Verdict::Take => selected.push(candidate),
                // Re-analysis brings it back with fresh offsets if it is still needed.
                Verdict::Defer => {}
                Verdict::Reject(reason) => self.reject(candidate, reason),
            }
        }
        selected
    }

    fn apply_pass(
        &mut self,
        selected: Vec<Candidate>,
        host: &mut dyn FixHost,
    ) -> Result<(), FixError> {
        self.passes += 1;
        let (kept, texts) = self.keep_parsing(selected, host)?;
        let changed = self.commit(&kept, texts);
        self.reanalyse(&changed, host);
        Ok(())
    }

    /// Applies `fixes` to the current texts and returns the kept fixes with the texts of the
    /// files they touch. When a touched file no longer parses, the fixes are instead added one
    /// at a time in planning order, and each one that breaks a file it touches is reverted
    /// whole (with its other files), so the fixes that parse are still kept.
    fn keep_parsing(
        &mut self,
        fixes: Vec<Candidate>,
        host: &mut dyn FixHost,
    ) -> Result<(Vec<Candidate>, BTreeMap<PathBuf, String>), FixError> {
        let texts = apply_fixes(&self.texts, &fixes)?;
        if texts.iter().all(|(path, text)| host.parses(path, text)) {
            return Ok((fixes, texts));
        }
        let mut kept: Vec<Candidate> = Vec::new();
        for fix in fixes {
            let sharing_a_file = kept.iter().filter(|other| shares_a_file(other, &fix));
            let trial = apply_fixes(&self.texts, sharing_a_file.chain([&fix]))?;
            let unparsable = fix.paths().find(|path| {
                trial
                    .get(*path)
                    .is_some_and(|text| !host.parses(path, text))
            });
            match unparsable {
                Some(path) => {
                    let path = path.to_path_buf();
                    self.revert(fix, &path);
                }
                None => kept.push(fix),
            }
        }
        let texts = apply_fixes(&self.texts, &kept)?;
        Ok((kept, texts))
    }

    fn revert(&mut self, fix: Candidate, unparsable: &Path) {
        let reverted = RevertedFix {
            rule: fix.rule.clone(),
            title: fix.fix.title.clone(),
            unparsable: unparsable.to_path_buf(),
        };
        for path in fix.paths() {
            let record = self.record(path);
            if !record.reverted.contains(&reverted) {
                record.reverted.push(reverted.clone());
            }
        }
        self.settled.insert(fix);
    }

    fn reject(&mut self, fix: Candidate, reason: InvalidFix) {
        self.settled.insert(fix.clone());
        self.rejected.push(RejectedFix::new(fix, reason));
    }

    /// Keeps the pass's fixes and new texts; returns the files whose text changed.
    fn commit(
        &mut self,
        kept: &[Candidate],
        texts: BTreeMap<PathBuf, String>,
    ) -> BTreeSet<PathBuf> {
        self.fixes_applied += kept.len();
        for fix in kept {
            for path in fix.paths() {
                self.record(path).applied.push(AppliedFix::of(fix));
            }
        }
        let mut changed = BTreeSet::new();
        for (path, text) in texts {
            if !self.originals.contains_key(&path) {
                self.originals.insert(path.clone(), String::new());
                self.created.insert(path.clone());
            }
            if self.texts.get(&path) != Some(&text) {
                changed.insert(path.clone());
                self.texts.insert(path, text);
            }
        }
        changed
    }

    /// Replaces the diagnostics of every changed file, and of every file whose diagnostics
    /// carry fixes or related labels into a changed file, by a fresh analysis.
    fn reanalyse(&mut self, changed: &BTreeSet<PathBuf>, host: &mut dyn FixHost) {
        let stale = self.files_pointing_into(changed);
        for path in changed.iter().chain(&stale) {
            if let Some(text) = self.texts.get(path) {
                let fresh = host.analyze(path, text);
                self.diagnostics.insert(path.clone(), fresh);
            }
        }
    }

    /// The files whose diagnostics hold offsets into a changed file: a fix's edits, or a
    /// related label (a query in code pointing at the migration that drops its column).
    fn files_pointing_into(&self, changed: &BTreeSet<PathBuf>) -> Vec<PathBuf> {
        let edits_changed_file = |diagnostic: &Diagnostic| {
            diagnostic
                .fix
                .as_ref()
                .is_some_and(|fix| fix.edits.iter().any(|edit| changed.contains(&edit.path)))
                || diagnostic
                    .related
                    .iter()
                    .any(|label| changed.contains(&label.path))
        };
        self.diagnostics
            .iter()
            .filter(|(path, diagnostics)| {
                !changed.contains(*path) && diagnostics.iter().any(edits_changed_file)
            })
            .map(|(path, _)| path.clone())
            .collect()
    }

    fn record(&mut self, path: &Path) -> &mut FileRecord {
        self.records.entry(path.to_path_buf()).or_default()
    }

    fn finish(mut self) -> FixOutcome {
        let files = self
            .originals
            .into_iter()
            .zip(self.texts.into_values())
            .filter_map(|((path, original), fixed)| {
                let record = self.records.remove(&path)?;
                let file = FileOutcome {
                    created: self.created.contains(&path),
                    original,
                    fixed,
                    applied: record.applied,
                    reverted: record.reverted,
                };
                Some((path, file))
            })
            .collect();
        let mut remaining: Vec<Diagnostic> = self.diagnostics.into_values().flatten().collect();
        sort_and_dedup(&mut remaining);
        FixOutcome {
            files,
            rejected: self.rejected,
            remaining,
            fixes_applied: self.fixes_applied,
            passes: self.passes,
        }
    }
}

/// The texts of the files `fixes` touch, with all their edits applied. The planner guarantees
/// the edits are valid and do not conflict, and that a file without a text is one they create;
/// identical edits of two fixes are applied once.
fn apply_fixes<'c>(
    texts: &BTreeMap<PathBuf, String>,
    fixes: impl IntoIterator<Item = &'c Candidate>,
) -> Result<BTreeMap<PathBuf, String>, FixError> {
    let mut edits_by_file: BTreeMap<&Path, Vec<Edit>> = BTreeMap::new();
    for edit in fixes.into_iter().flat_map(|fix| &fix.fix.edits) {
        edits_by_file
            .entry(&edit.path)
            .or_default()
            .push(edit.clone());
    }
    edits_by_file
        .into_iter()
        .map(|(path, mut edits)| {
            let text = texts.get(path).map_or("", String::as_str);
            edits.sort();
            edits.dedup();
            let fixed = apply_edits(text, &edits).map_err(|source| FixError::ConflictingEdits {
                path: path.to_path_buf(),
                source,
            })?;
            Ok((path.to_path_buf(), fixed))
        })
        .collect()
}

fn shares_a_file(a: &Candidate, b: &Candidate) -> bool {
    a.paths().any(|path| b.paths().any(|other| other == path))
}

fn too_many_passes(passes: usize, pending: &[Candidate]) -> FixError {
    let paths: BTreeSet<PathBuf> = pending
        .iter()
        .flat_map(Candidate::paths)
        .map(Path::to_path_buf)
        .collect();
    let rules: BTreeSet<String> = pending.iter().map(|fix| fix.rule.clone()).collect();
    FixError::TooManyPasses {
        passes,
        paths: paths.into_iter().collect(),
        rules: rules.into_iter().collect(),
    }
}
