//! The change under test as a diff, and each failure's share of it.

use std::collections::BTreeMap;
use std::path::Path;

use super::assemble::truncate_end;
use crate::report::Report;
use crate::workspace::Workspace;

/// The change's diff is cut here: a report is read by people and uploaded as an artifact.
pub(super) const MAX_DIFF_BYTES: usize = 256 * 1024;

/// Each failure gets the part of the change's diff inside its test's package.
pub(super) fn attach_diffs(report: &mut Report, workspace: &Workspace, project_root: &Path) {
    let Some(diff) = report
        .change
        .as_ref()
        .and_then(|change| change.diff.clone())
    else {
        return;
    };
    let packages: BTreeMap<&str, &str> = report
        .tests
        .iter()
        .map(|test| (test.id.as_str(), test.package.as_str()))
        .collect();
    for failure in &mut report.failures {
        let Some(member) = packages
            .get(failure.test.as_str())
            .and_then(|package| workspace.packages.get(*package))
        else {
            continue;
        };
        let absolute = workspace.root.join(&member.dir);
        let prefix = absolute
            .strip_prefix(project_root)
            .unwrap_or(&absolute)
            .to_string_lossy()
            .replace('\\', "/");
        let sections: Vec<&str> = diff_sections(&diff)
            .filter(|(path, _)| prefix.is_empty() || path.starts_with(&format!("{prefix}/")))
            .map(|(_, section)| section)
            .collect();
        if !sections.is_empty() {
            failure.diff = Some(sections.concat());
        }
    }
}

/// `git diff` output split per file: (path, the file's section).
pub(super) fn diff_sections(diff: &str) -> impl Iterator<Item = (&str, &str)> {
    let starts: Vec<usize> = diff
        .match_indices("diff --git a/")
        .map(|(index, _)| index)
        .filter(|index| *index == 0 || diff.as_bytes()[index - 1] == b'\n')
        .collect();
    let ends: Vec<usize> = starts.iter().skip(1).copied().chain([diff.len()]).collect();
    starts.into_iter().zip(ends).map(move |(start, end)| {
        let section = &diff[start..end];
        let path = section["diff --git a/".len()..]
            .split(" b/")
            .next()
            .unwrap_or_default();
        (path, section)
    })
}

/// The change under test: the working tree against `base` (its merge base with HEAD); `None`
/// outside git.
pub(super) fn git_diff(root: &Path, base: &str) -> Option<String> {
    let diff = commerce_project::diff_since_fork(root, base).ok()?;
    Some(truncate_end(&diff, MAX_DIFF_BYTES))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_split_per_file() {
        let diff = "diff --git a/crates/a/src/lib.rs b/crates/a/src/lib.rs\n-a\n+b\ndiff --git a/README.md b/README.md\n+x\n";
        let sections: Vec<(&str, &str)> = diff_sections(diff).collect();
        assert_eq!(sections.len(), 2);
        assert_eq!(sections[0].0, "crates/a/src/lib.rs");
        assert_eq!(
            sections[1],
            ("README.md", "diff --git a/README.md b/README.md\n+x\n")
        );
    }
}
