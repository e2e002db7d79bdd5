//! Files changed on this branch, from the `git` CLI: what `--base REF` / `--changed` select.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A file that differs between the merge base with the base ref and the working tree.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChangedFile {
    /// Relative to the directory [`changed_files`] ran in.
    pub path: PathBuf,
    pub status: ChangeStatus,
}

/// How a [`ChangedFile`] changed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeStatus {
    /// New and tracked (committed or staged); copies count as added.
    Added,
    /// Content, mode or type changed, or left unmerged by a conflict.
    Modified,
    Deleted,
    /// Moved from `from` (relative like `path`), possibly with edits.
    Renamed {
        from: PathBuf,
    },
    /// New and not tracked by git, nor ignored.
    Untracked,
}

/// Why the changed files could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git not found on PATH; install git or drop --base/--changed")]
    NotInstalled,
    #[error("{} is not inside a git repository; run `git init` or drop --base/--changed", path.display())]
    NotARepository { path: PathBuf },
    #[error("the repository at {} has no commits yet; commit once or drop --base/--changed", path.display())]
    NoCommits { path: PathBuf },
    #[error(
        "unknown git ref `{reference}`; check its spelling, or run `git fetch` if it names a remote branch"
    )]
    UnknownRef { reference: String },
    #[error(
        "`{reference}` and HEAD have no common ancestor; choose a base on this branch's history"
    )]
    NoMergeBase { reference: String },
    #[error("`{command}` failed: {stderr}")]
    CommandFailed { command: String, stderr: String },
    #[error("cannot run git: {0}")]
    Io(#[source] io::Error),
}

/// The files changed in `root`'s repository since it forked from `base_ref`: the working tree
/// (so uncommitted edits count) against the merge base of `base_ref` and `HEAD`, plus untracked
/// files. Paths are relative to `root`; changes outside `root` are left out. Sorted by path.
///
/// # Errors
/// See [`GitError`]: git missing, not a repository, no commits, unknown ref, unrelated
/// histories, or a git command failing.
pub fn changed_files(root: &Path, base_ref: &str) -> Result<Vec<ChangedFile>, GitError> {
    Git::new(OsStr::new("git"), root).changed_files(base_ref)
}

/// The contents of `paths` (relative to `root`) as they were where this branch forked from
/// `base_ref` (the merge base with `HEAD`, as for [`changed_files`]). A path that did not
/// exist there is left out.
///
/// # Errors
/// As [`changed_files`].
pub fn files_at_fork(
    root: &Path,
    base_ref: &str,
    paths: &[PathBuf],
) -> Result<BTreeMap<PathBuf, Vec<u8>>, GitError> {
    Git::new(OsStr::new("git"), root).files_at_fork(base_ref, paths)
}

/// Whether `reference` names a commit in `root`'s repository (`false` outside git too).
pub fn commit_exists(root: &Path, reference: &str) -> bool {
    Git::new(OsStr::new("git"), root)
        .resolve_commit(reference)
        .is_ok_and(|commit| commit.is_some())
}

/// The change under test as a unified diff: the working tree against the point where this
/// branch forked from `base_ref`, paths relative to `root`.
///
/// # Errors
/// As [`changed_files`].
pub fn diff_since_fork(root: &Path, base_ref: &str) -> Result<String, GitError> {
    let git = Git::new(OsStr::new("git"), root);
    let merge_base = git.fork_point(base_ref)?;
    let diff = git.run(&[
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--relative",
        &merge_base,
        "--",
    ])?;
    Ok(String::from_utf8_lossy(&diff).into_owned())
}

/// The contents of `object` (`REF:path`, as `git show` takes it) in `root`'s repository.
///
/// # Errors
/// [`GitError::NotInstalled`], or [`GitError::CommandFailed`] with git's message when the
/// object does not exist.
pub fn show(root: &Path, object: &str) -> Result<Vec<u8>, GitError> {
    Git::new(OsStr::new("git"), root).run(&["show", object])
}

/// The `git` program run in one directory.
struct Git<'a> {
    program: &'a OsStr,
    dir: &'a Path,
}

impl<'a> Git<'a> {
    fn new(program: &'a OsStr, dir: &'a Path) -> Self {
        Self { program, dir }
    }

    fn changed_files(&self, base_ref: &str) -> Result<Vec<ChangedFile>, GitError> {
        let merge_base = self.fork_point(base_ref)?;
        let diff = self.run(&[
            "diff",
            "--name-status",
            "-z",
            "-M",
            "--relative",
            "--no-ext-diff",
            &merge_base,
            "--",
        ])?;
        let mut changes = parse_name_status(&diff).map_err(|record| GitError::CommandFailed {
            command: "git diff --name-status".to_owned(),
            stderr: format!("unexpected output near `{record}`"),
        })?;
        let untracked = self.run(&["ls-files", "--others", "--exclude-standard", "-z"])?;
        changes.extend(nul_separated(&untracked).map(|path| ChangedFile {
            path: path_from_bytes(path),
            status: ChangeStatus::Untracked,
        }));
        changes.sort();
        Ok(changes)
    }

    /// The merge base of `base_ref` and `HEAD`: where this branch forked.
    fn fork_point(&self, base_ref: &str) -> Result<String, GitError> {
        self.ensure_repository()?;
        if self.resolve_commit("HEAD")?.is_none() {
            return Err(GitError::NoCommits {
                path: self.dir.to_path_buf(),
            });
        }
        let base = self
            .resolve_commit(base_ref)?
            .ok_or_else(|| GitError::UnknownRef {
                reference: base_ref.to_owned(),
            })?;
        self.merge_base(&base, base_ref)
    }

    fn files_at_fork(
        &self,
        base_ref: &str,
        paths: &[PathBuf],
    ) -> Result<BTreeMap<PathBuf, Vec<u8>>, GitError> {
        let merge_base = self.fork_point(base_ref)?;
        let mut files = BTreeMap::new();
        for path in paths {
            // `./` makes the path relative to `dir`, as `changed_files` paths are.
            let object = format!(
                "{merge_base}:./{}",
                path.to_string_lossy().replace('\\', "/")
            );
            let output = self.output(&["cat-file", "blob", &object])?;
            // A path the fork point does not have is not an error: the file is new.
            if output.status.success() {
                files.insert(path.clone(), output.stdout);
            }
        }
        Ok(files)
    }

    fn ensure_repository(&self) -> Result<(), GitError> {
        match self.run(&["rev-parse", "--is-inside-work-tree"]) {
            Err(GitError::CommandFailed { stderr, .. })
                if stderr.contains("not a git repository") =>
            {
                Err(GitError::NotARepository {
                    path: self.dir.to_path_buf(),
                })
            }
            other => other.map(drop),
        }
    }

    /// The commit `reference` names, or `None` when it names none. A reference starting with
    /// `-` names none: git would read it as an option.
    fn resolve_commit(&self, reference: &str) -> Result<Option<String>, GitError> {
        if reference.is_empty() || reference.starts_with('-') {
            return Ok(None);
        }
        let output = self.output(&[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{reference}^{{commit}}"),
        ])?;
        Ok(output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned()))
    }

    fn merge_base(&self, base: &str, base_ref: &str) -> Result<String, GitError> {
        let output = self.output(&["merge-base", base, "HEAD"])?;
        // Exit status 1 without a message means the histories share no commit.
        if output.status.code() == Some(1) && output.stderr.is_empty() {
            return Err(GitError::NoMergeBase {
                reference: base_ref.to_owned(),
            });
        }
        let stdout = self.checked(&["merge-base", base, "HEAD"], output)?;
        Ok(String::from_utf8_lossy(&stdout).trim().to_owned())
    }

    /// Runs git and returns its standard output, failing on a non-zero exit.
    fn run(&self, args: &[&str]) -> Result<Vec<u8>, GitError> {
        let output = self.output(args)?;
        self.checked(args, output)
    }

    fn checked(&self, args: &[&str], output: std::process::Output) -> Result<Vec<u8>, GitError> {
        if output.status.success() {
            Ok(output.stdout)
        } else {
            Err(GitError::CommandFailed {
                command: format!("git {}", args.join(" ")),
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            })
        }
    }

    fn output(&self, args: &[&str]) -> Result<std::process::Output, GitError> {
        Command::new(self.program)
            .args(args)
            .current_dir(self.dir)
            // English messages, so "not a git repository" can be recognised.
            .env("LC_ALL", "C")
            // A read-only query must not take the index lock another git process may hold.
            .env("GIT_OPTIONAL_LOCKS", "0")
            .stdin(Stdio::null())
            .output()
            .map_err(|error| match error.kind() {
                io::ErrorKind::NotFound => GitError::NotInstalled,
                _ => GitError::Io(error),
            })
    }
}

/// Parses `git diff --name-status -z`: a status, then one path (two for renames and copies).
/// On malformed output, returns the record where parsing stopped.
fn parse_name_status(output: &[u8]) -> Result<Vec<ChangedFile>, String> {
    let mut fields = nul_separated(output);
    let mut changes = Vec::new();
    while let Some(status) = fields.next() {
        let mut next_path = || {
            fields
                .next()
                .map(path_from_bytes)
                .ok_or_else(|| String::from_utf8_lossy(status).into_owned())
        };
        let (path, status) = match status.first() {
            Some(b'A') => (next_path()?, ChangeStatus::Added),
            Some(b'D') => (next_path()?, ChangeStatus::Deleted),
            Some(b'M' | b'T' | b'U') => (next_path()?, ChangeStatus::Modified),
            Some(b'R') => {
                let from = next_path()?;
                (next_path()?, ChangeStatus::Renamed { from })
            }
            Some(b'C') => {
                next_path()?;
                (next_path()?, ChangeStatus::Added)
            }
            _ => return Err(String::from_utf8_lossy(status).into_owned()),
        };
        changes.push(ChangedFile { path, status });
    }
    Ok(changes)
}

fn nul_separated(output: &[u8]) -> impl Iterator<Item = &[u8]> {
    output
        .split(|byte| *byte == 0)
        .filter(|field| !field.is_empty())
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(OsStr::from_bytes(bytes))
}

/// Git writes UTF-8 paths on Windows.
#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::testing::git;

    fn write(dir: &Path, relative: &str, contents: &str) {
        let path = dir.join(relative);
        fs::create_dir_all(path.parent().expect("has a parent")).expect("create dirs");
        fs::write(path, contents).expect("write");
    }

    fn change(path: &str, status: ChangeStatus) -> ChangedFile {
        ChangedFile {
            path: PathBuf::from(path),
            status,
        }
    }

    const RENAMED_TEXT: &str = "line one\nline two\nline three\nline four\nline five\n";

    /// A repository with `main` and a `feature` branch forked from it, then main moving on.
    fn repository() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        git(root, &["init", "--quiet"]);
        write(root, ".gitignore", "*.log\n");
        write(root, "web/edited.ts", "export const a = 1;\n");
        write(root, "web/deleted.ts", "export const b = 2;\n");
        write(root, "web/old_name.ts", RENAMED_TEXT);
        write(root, "api/untouched.rs", "fn main() {}\n");
        git(root, &["add", "."]);
        git(root, &["commit", "--quiet", "-m", "base"]);
        git(root, &["checkout", "--quiet", "-b", "feature"]);
        write(root, "web/added.ts", "export const c = 3;\n");
        git(root, &["rm", "--quiet", "web/deleted.ts"]);
        git(root, &["mv", "web/old_name.ts", "web/new_name.ts"]);
        git(root, &["add", "."]);
        git(root, &["commit", "--quiet", "-m", "feature work"]);
        // Main moves on after the fork: its changes are not this branch's.
        git(root, &["checkout", "--quiet", "main"]);
        write(root, "api/main_only.rs", "fn f() {}\n");
        git(root, &["add", "."]);
        git(root, &["commit", "--quiet", "-m", "main moves on"]);
        git(root, &["checkout", "--quiet", "feature"]);
        // Uncommitted work: an edit, a staged file and an untracked one; ignored files stay out.
        write(root, "web/edited.ts", "export const a = 10;\n");
        write(root, "web/staged.ts", "export {};\n");
        git(root, &["add", "web/staged.ts"]);
        write(root, "notes/todo.md", "- ship it\n");
        write(root, "debug.log", "noise\n");
        dir
    }

    #[test]
    fn lists_committed_uncommitted_and_untracked_changes_since_the_fork() {
        let repo = repository();
        let changes = changed_files(repo.path(), "main").expect("git works");
        assert_eq!(
            changes,
            [
                change("notes/todo.md", ChangeStatus::Untracked),
                change("web/added.ts", ChangeStatus::Added),
                change("web/deleted.ts", ChangeStatus::Deleted),
                change("web/edited.ts", ChangeStatus::Modified),
                change(
                    "web/new_name.ts",
                    ChangeStatus::Renamed {
                        from: PathBuf::from("web/old_name.ts")
                    }
                ),
                change("web/staged.ts", ChangeStatus::Added),
            ]
        );
    }

    #[test]
    fn paths_are_relative_to_a_project_in_a_subdirectory() {
        let repo = repository();
        let changes = changed_files(&repo.path().join("web"), "main").expect("git works");
        let paths: Vec<_> = changes.iter().map(|change| change.path.clone()).collect();
        assert_eq!(
            paths,
            [
                "added.ts",
                "deleted.ts",
                "edited.ts",
                "new_name.ts",
                "staged.ts"
            ]
            .map(PathBuf::from)
        );
    }

    #[test]
    fn files_at_the_fork_are_read_as_they_were_there() {
        let repo = repository();
        let web = repo.path().join("web");
        let paths = ["edited.ts", "added.ts", "old_name.ts"].map(PathBuf::from);
        let files = files_at_fork(&web, "main", &paths).expect("git works");
        assert_eq!(
            files,
            BTreeMap::from([
                (
                    PathBuf::from("edited.ts"),
                    b"export const a = 1;\n".to_vec()
                ),
                (
                    PathBuf::from("old_name.ts"),
                    RENAMED_TEXT.as_bytes().to_vec()
                ),
            ]),
            "the edit is not there yet, the added file is not there at all"
        );
        let error = files_at_fork(repo.path(), "origin/main", &paths).expect_err("unknown ref");
        assert!(matches!(error, GitError::UnknownRef { .. }), "{error:?}");
    }

    #[test]
    fn an_unknown_ref_is_named_with_a_hint() {
        let repo = repository();
        for reference in ["origin/main", "-p", ""] {
            let error = changed_files(repo.path(), reference).expect_err("unknown ref");
            assert!(
                matches!(&error, GitError::UnknownRef { reference: named } if named == reference)
            );
        }
        let error = changed_files(repo.path(), "origin/main").expect_err("unknown ref");
        assert_eq!(
            error.to_string(),
            "unknown git ref `origin/main`; check its spelling, or run `git fetch` if it names a remote branch"
        );
    }

    #[test]
    fn unrelated_histories_have_no_merge_base() {
        let repo = repository();
        git(repo.path(), &["checkout", "--quiet", "--orphan", "island"]);
        git(repo.path(), &["commit", "--quiet", "-m", "island"]);
        let error = changed_files(repo.path(), "main").expect_err("no merge base");
        assert!(matches!(error, GitError::NoMergeBase { .. }), "{error:?}");
    }

    #[test]
    fn a_repository_without_commits_says_so() {
        let dir = tempfile::tempdir().expect("tempdir");
        git(dir.path(), &["init", "--quiet"]);
        let error = changed_files(dir.path(), "main").expect_err("no commits");
        assert!(matches!(error, GitError::NoCommits { .. }), "{error:?}");
    }

    #[test]
    fn a_directory_outside_any_repository_is_not_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let error = changed_files(dir.path(), "main").expect_err("not a repository");
        assert!(
            matches!(error, GitError::NotARepository { .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains("is not inside a git repository"));
    }

    #[test]
    fn a_missing_git_binary_is_reported_plainly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let program = OsStr::new("git-that-is-not-installed-anywhere");
        let error = Git::new(program, dir.path())
            .changed_files("main")
            .expect_err("no git");
        assert_eq!(
            error.to_string(),
            "git not found on PATH; install git or drop --base/--changed"
        );
    }

    #[test]
    fn name_status_records_parse_and_malformed_ones_are_rejected() {
        let output = b"M\0a.ts\0R087\0old.ts\0new.ts\0C100\0src.ts\0copy.ts\0T\0link\0";
        assert_eq!(
            parse_name_status(output),
            Ok(vec![
                change("a.ts", ChangeStatus::Modified),
                change(
                    "new.ts",
                    ChangeStatus::Renamed {
                        from: PathBuf::from("old.ts")
                    }
                ),
                change("copy.ts", ChangeStatus::Added),
                change("link", ChangeStatus::Modified),
            ])
        );
        assert_eq!(
            parse_name_status(b"R100\0only-one.ts\0"),
            Err("R100".to_owned())
        );
        assert_eq!(parse_name_status(b"?\0x\0"), Err("?".to_owned()));
    }
}
