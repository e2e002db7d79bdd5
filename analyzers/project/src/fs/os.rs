//! [`OsFs`]: the real disk.

use std::io;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use ignore::{DirEntry, WalkBuilder, WalkState};

use super::{EntryKind, FileSystem, Listing, ListingError, is_always_skipped_dir};

/// The real file system. Every error message names the path it is about, which `std::fs`
/// errors alone do not.
///
/// [`FileSystem::walk`] returns absolute paths: a relative root is made absolute against the
/// current directory (without resolving symbolic links, so paths stay as the user spells them).
#[derive(Clone, Copy, Debug, Default)]
pub struct OsFs;

impl FileSystem for OsFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path).map_err(|error| with_path(path, error))
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn file_len(&self, path: &Path) -> io::Result<u64> {
        std::fs::metadata(path)
            .map(|metadata| metadata.len())
            .map_err(|error| with_path(path, error))
    }

    fn entry_kind(&self, path: &Path) -> Option<EntryKind> {
        let metadata = std::fs::metadata(path).ok()?;
        if metadata.is_file() {
            Some(EntryKind::File)
        } else if metadata.is_dir() {
            Some(EntryKind::Dir)
        } else {
            None
        }
    }

    fn walk(&self, root: &Path) -> io::Result<Listing> {
        let root = std::path::absolute(root).map_err(|error| with_path(root, error))?;
        // Fail early, with the path in the message, rather than as the walk's first entry.
        std::fs::metadata(&root).map_err(|error| with_path(&root, error))?;
        // Directories are read on every core: a big frontend has thousands of them.
        let listing = Mutex::new(Listing::default());
        walker(&root).run(|| {
            Box::new(|entry| {
                let mut listing = listing.lock().unwrap_or_else(PoisonError::into_inner);
                match entry {
                    Ok(entry) if entry.file_type().is_some_and(|kind| kind.is_file()) => {
                        listing.files.push(entry.into_path());
                    }
                    Ok(_) => {}
                    Err(error) => listing.errors.push(ListingError {
                        path: error_path(&error).map(Path::to_path_buf),
                        message: error.to_string(),
                    }),
                }
                WalkState::Continue
            })
        });
        let mut listing = listing.into_inner().unwrap_or_else(PoisonError::into_inner);
        listing.files.sort();
        listing
            .errors
            .sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
        Ok(listing)
    }
}

/// A walker with the listing rules of [`super`]: standard filters (hidden entries, `.ignore`,
/// `.gitignore`, git excludes) even outside a git repository, no symlink following.
fn walker(root: &Path) -> ignore::WalkParallel {
    WalkBuilder::new(root)
        .standard_filters(true)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|entry| !is_skipped_dir(entry))
        .build_parallel()
}

fn is_skipped_dir(entry: &DirEntry) -> bool {
    entry.depth() > 0
        && entry.file_type().is_some_and(|kind| kind.is_dir())
        && is_always_skipped_dir(entry.file_name())
}

/// The innermost path an `ignore` error names.
fn error_path(error: &ignore::Error) -> Option<&Path> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::Loop { child, .. } => Some(child),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Partial(errors) => errors.iter().find_map(error_path),
        _ => None,
    }
}

fn with_path(path: &Path, error: io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn write(root: &Path, relative: &str, contents: &[u8]) {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create dirs");
        std::fs::write(path, contents).expect("write");
    }

    fn listed(root: &Path) -> Vec<PathBuf> {
        OsFs.files_under(root)
            .expect("root exists")
            .iter()
            .map(|path| {
                path.strip_prefix(root)
                    .expect("absolute under root")
                    .to_path_buf()
            })
            .collect()
    }

    #[test]
    fn entry_kinds_come_from_one_look_up() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "web/a.ts", b"");
        assert_eq!(
            OsFs.entry_kind(&dir.path().join("web/a.ts")),
            Some(EntryKind::File)
        );
        assert_eq!(
            OsFs.entry_kind(&dir.path().join("web")),
            Some(EntryKind::Dir)
        );
        assert_eq!(OsFs.entry_kind(&dir.path().join("web/b.ts")), None);
    }

    #[test]
    fn lists_paths_under_the_root_as_spelled() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "web/a.ts", b"");
        let root = dir.path().join("web/../web");
        let files = OsFs.files_under(&root).expect("exists");
        assert_eq!(files, [root.join("a.ts")]);
    }

    #[test]
    fn git_excludes_apply_outside_a_git_repository() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), ".git/info/exclude", b"secret.ts\n");
        write(dir.path(), "secret.ts", b"");
        write(dir.path(), "public.ts", b"");
        assert_eq!(listed(dir.path()), [PathBuf::from("public.ts")]);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_end_and_links_are_not_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "web/a.ts", b"");
        std::os::unix::fs::symlink(dir.path().join("web"), dir.path().join("web/loop"))
            .expect("symlink");
        std::os::unix::fs::symlink(dir.path().join("web/a.ts"), dir.path().join("web/b.ts"))
            .expect("symlink");
        assert_eq!(listed(dir.path()), [PathBuf::from("web/a.ts")]);
    }

    #[test]
    fn errors_name_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("missing.ts");
        for error in [
            OsFs.read(&missing).expect_err("missing"),
            OsFs.file_len(&missing).expect_err("missing"),
            OsFs.walk(&missing).expect_err("missing"),
        ] {
            assert_eq!(error.kind(), io::ErrorKind::NotFound);
            assert!(
                error
                    .to_string()
                    .starts_with(&missing.display().to_string())
            );
        }
        write(dir.path(), "bin.ts", b"\xff\xfe");
        let error = OsFs
            .read_to_string(&dir.path().join("bin.ts"))
            .expect_err("not UTF-8");
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(error.to_string().contains("bin.ts is not valid UTF-8"));
    }

    #[test]
    fn reports_file_kinds_and_sizes() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "web/a.ts", b"12345");
        assert!(OsFs.is_dir(&dir.path().join("web")));
        assert!(OsFs.is_file(&dir.path().join("web/a.ts")));
        assert!(!OsFs.is_file(&dir.path().join("web")));
        assert_eq!(
            OsFs.file_len(&dir.path().join("web/a.ts")).expect("exists"),
            5
        );
        assert_eq!(
            OsFs.read(&dir.path().join("web/a.ts")).expect("exists"),
            b"12345"
        );
    }
}
