//! The [`FileSystem`] trait every analyzer reads through, with a real ([`OsFs`]) and an in-memory
//! ([`MemoryFs`]) implementation that list files by the same rules.
//!
//! Listing rules, shared by both implementations:
//! - `.gitignore` and `.ignore` files are honoured whether or not the tree is a git repository
//!   (`.ignore` wins over `.gitignore`; a deeper file wins over a shallower one);
//! - hidden files and directories (`.git`, `.github`, …) are skipped;
//! - directories named `target` or `node_modules` are always skipped;
//! - symbolic links are never followed, so a link loop cannot make a walk hang.

mod memory;
mod os;
mod overlay;

use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};

pub use memory::MemoryFs;
pub use os::OsFs;
pub use overlay::OverlayFs;

/// Directory names that hold build output or installed dependencies: never project sources,
/// and large enough to make every walk slow.
const ALWAYS_SKIPPED_DIRS: [&str; 2] = ["target", "node_modules"];

/// Read access to the project's files.
///
/// Analyzers never touch the disk directly: they get a `&dyn FileSystem`, so the CLI hands them
/// [`OsFs`], and tests and the language server (unsaved buffers) hand them a [`MemoryFs`].
pub trait FileSystem: Send + Sync + fmt::Debug {
    /// The bytes of the file at `path`.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;

    /// Whether `path` is a file. Never follows into errors: a missing path is simply not a file.
    fn is_file(&self, path: &Path) -> bool;

    /// Whether `path` is a directory.
    fn is_dir(&self, path: &Path) -> bool;

    /// The size of the file at `path` in bytes, without reading it.
    fn file_len(&self, path: &Path) -> io::Result<u64>;

    /// Every file under `root` (or `root` itself when it is a file), sorted, by the listing rules
    /// of this module; parts of the tree that could not be read are reported in
    /// [`Listing::errors`] instead of failing the whole walk.
    ///
    /// # Errors
    /// When `root` does not exist or cannot be read at all.
    fn walk(&self, root: &Path) -> io::Result<Listing>;

    /// The file at `path` as UTF-8 text.
    ///
    /// # Errors
    /// As [`FileSystem::read`], and [`io::ErrorKind::InvalidData`] naming the file and the first
    /// invalid byte when it is not UTF-8.
    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        let bytes = self.read(path)?;
        String::from_utf8(bytes).map_err(|error| not_utf8_error(path, &error))
    }

    /// Whether `path` is a file, a directory or nothing, asked once: [`OsFs`] answers with one
    /// system call where `is_file` then `is_dir` would make two (module resolution probes
    /// tens of thousands of paths that do not exist).
    fn entry_kind(&self, path: &Path) -> Option<EntryKind> {
        if self.is_file(path) {
            Some(EntryKind::File)
        } else if self.is_dir(path) {
            Some(EntryKind::Dir)
        } else {
            None
        }
    }

    /// The files of [`FileSystem::walk`], dropping the errors.
    ///
    /// # Errors
    /// When `root` does not exist or cannot be read at all.
    fn files_under(&self, root: &Path) -> io::Result<Vec<PathBuf>> {
        Ok(self.walk(root)?.files)
    }
}

/// `path` without `.` and with each `..` applied to the component before it, as Node's
/// `path.resolve` and module resolvers spell paths (symbolic links are not followed).
pub fn lexically_normal(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !normal.pop() {
                    normal.push(component);
                }
            }
            other => normal.push(other),
        }
    }
    normal
}

/// What a path names, from [`FileSystem::entry_kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
}

/// The result of [`FileSystem::walk`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    /// Sorted file paths: absolute for [`OsFs`], spelled as stored for [`MemoryFs`].
    pub files: Vec<PathBuf>,
    /// Directories, entries or ignore files that could not be read, sorted by path.
    pub errors: Vec<ListingError>,
}

/// One part of a tree that a walk had to leave out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingError {
    /// The entry the error is about, when known.
    pub path: Option<PathBuf>,
    pub message: String,
}

fn not_utf8_error(path: &Path, error: &std::string::FromUtf8Error) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "{} is not valid UTF-8 (invalid byte at offset {}); save it as UTF-8 or exclude it",
            path.display(),
            error.utf8_error().valid_up_to()
        ),
    )
}

/// Whether a directory with this name is skipped by every walk.
fn is_always_skipped_dir(name: &std::ffi::OsStr) -> bool {
    ALWAYS_SKIPPED_DIRS.iter().any(|skipped| name == *skipped)
}

/// Whether an entry with this name is hidden (dot-file or dot-directory).
fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One tree exercising every listing rule, written to disk and to memory.
    const TREE: [(&str, &str); 16] = [
        (".gitignore", "*.log\ndist/\n/root-only.ts\n"),
        ("app.log", ""),
        ("root-only.ts", ""),
        ("dist/bundle.js", ""),
        (".github/workflows/ci.yml", ""),
        (".env", ""),
        ("target/debug/build.rs", ""),
        ("web/node_modules/react/index.js", ""),
        ("web/.gitignore", "!keep.log\ngenerated/\n"),
        ("web/.ignore", "*.snap\n"),
        ("web/keep.log", ""),
        ("web/a.snap", ""),
        ("web/generated/api.ts", ""),
        ("web/src/root-only.ts", ""),
        ("web/src/target.ts", ""),
        ("web/src/app.tsx", ""),
    ];

    const LISTED: [&str; 4] = [
        "web/keep.log",
        "web/src/app.tsx",
        "web/src/root-only.ts",
        "web/src/target.ts",
    ];

    fn relative(files: &[PathBuf], root: &Path) -> Vec<String> {
        files
            .iter()
            .map(|path| {
                let relative = path.strip_prefix(root).expect("under the root");
                relative.display().to_string()
            })
            .collect()
    }

    #[test]
    fn disk_and_memory_list_the_same_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, contents) in TREE {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create dirs");
            std::fs::write(path, contents).expect("write");
        }
        let memory: MemoryFs = TREE
            .iter()
            .map(|(path, contents)| (Path::new("/p").join(path), *contents))
            .collect();

        let on_disk = OsFs.files_under(dir.path()).expect("exists");
        let in_memory = memory.files_under(Path::new("/p")).expect("exists");
        assert_eq!(relative(&on_disk, dir.path()), LISTED);
        assert_eq!(relative(&in_memory, Path::new("/p")), LISTED);
    }
}
