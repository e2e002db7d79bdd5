//! What the fix engine did, per file, and what is left to fix by hand.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use commerce_diagnostics::{Applicability, Diagnostic};

use crate::diff::{creation_diff, unified_diff};
use crate::plan::{Candidate, InvalidFix};

/// A fix that was applied and kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedFix {
    pub rule: String,
    pub title: String,
    pub applicability: Applicability,
}

impl AppliedFix {
    pub(crate) fn of(candidate: &Candidate) -> Self {
        Self {
            rule: candidate.rule.clone(),
            title: candidate.fix.title.clone(),
            applicability: candidate.fix.applicability,
        }
    }
}

/// A fix that was applied and then undone, because a file it touches no longer parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevertedFix {
    pub rule: String,
    pub title: String,
    /// The file that no longer parsed: this one, or another file of a multi-file fix.
    pub unparsable: PathBuf,
}

impl fmt::Display for RevertedFix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: reverted because {} no longer parses with it",
            self.rule,
            self.title,
            self.unparsable.display()
        )
    }
}

/// A fix that was never applied because it cannot be: a bug in the rule that proposed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedFix {
    pub rule: String,
    pub title: String,
    /// The file of the diagnostic that proposed the fix.
    pub origin: PathBuf,
    pub reason: InvalidFix,
}

impl RejectedFix {
    pub(crate) fn new(candidate: Candidate, reason: InvalidFix) -> Self {
        Self {
            rule: candidate.rule,
            title: candidate.fix.title,
            origin: candidate.origin,
            reason,
        }
    }
}

impl fmt::Display for RejectedFix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} (proposed in {}) cannot be applied: {}",
            self.rule,
            self.title,
            self.origin.display(),
            self.reason
        )
    }
}

/// One file the engine applied or reverted fixes in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOutcome {
    /// Whether a fix creates the file (it was not analysed, and must not exist when written).
    pub created: bool,
    /// The text at analysis time; empty for a created file.
    pub original: String,
    /// The text with every kept fix applied.
    pub fixed: String,
    /// In the order they were applied; a multi-file fix is listed in each of its files.
    pub applied: Vec<AppliedFix>,
    pub reverted: Vec<RevertedFix>,
}

impl FileOutcome {
    pub fn is_changed(&self) -> bool {
        self.created || self.original != self.fixed
    }
}

/// Everything [`fix_all`](crate::fix_all) did.
#[derive(Debug, Clone, PartialEq)]
pub struct FixOutcome {
    /// Every file a fix was applied to or reverted in, by project-relative path.
    pub files: BTreeMap<PathBuf, FileOutcome>,
    /// Fixes that could not be applied as proposed, each listed once.
    pub rejected: Vec<RejectedFix>,
    /// The diagnostics left after fixing, in report order: a fresh analysis of every changed
    /// file, and the original diagnostics of the others.
    pub remaining: Vec<Diagnostic>,
    /// How many fixes were applied and kept, each multi-file fix counted once.
    pub fixes_applied: usize,
    /// How many passes applied or tried fixes.
    pub passes: usize,
}

impl FixOutcome {
    /// The files whose text changed, in path order.
    pub fn changed_files(&self) -> impl Iterator<Item = (&Path, &FileOutcome)> {
        self.files
            .iter()
            .filter(|(_, file)| file.is_changed())
            .map(|(path, file)| (path.as_path(), file))
    }

    /// The unified diff of every changed file, in path order (what `--diff` prints).
    pub fn diff(&self) -> String {
        self.changed_files()
            .map(|(path, file)| {
                if file.created {
                    creation_diff(path, &file.fixed)
                } else {
                    unified_diff(path, &file.original, &file.fixed)
                }
            })
            .collect()
    }
}
