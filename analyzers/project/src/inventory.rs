//! The inventory: which files of the project an analysis run reads, and which it must skip.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Component, Path, PathBuf};

use crate::fs::FileSystem;

/// Files larger than this are reported, not read: they are minified bundles, dumps or
/// generated code, and reading them would dominate the run.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

/// What [`inventory_with`] lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InventoryOptions {
    /// Files over this size are skipped as [`SkipReason::TooLarge`].
    pub max_file_bytes: u64,
    /// File extensions (without the dot) to list from directories; empty lists every file.
    /// Files named explicitly are always considered.
    pub extensions: Vec<String>,
}

impl Default for InventoryOptions {
    fn default() -> Self {
        Self {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            extensions: Vec::new(),
        }
    }
}

impl InventoryOptions {
    fn wants_extension(&self, path: &Path) -> bool {
        self.extensions.is_empty()
            || path.extension().is_some_and(|extension| {
                self.extensions
                    .iter()
                    .any(|wanted| extension == wanted.as_str())
            })
    }
}

/// The files to analyze and the ones left out, both relative to the project root and sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inventory {
    pub files: Vec<PathBuf>,
    pub skipped: Vec<SkippedFile>,
}

/// A file (or named path) the inventory could not include, and why.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SkippedFile {
    /// Relative to the project root when inside it, else as given.
    pub path: PathBuf,
    pub reason: SkipReason,
}

/// Why a file was left out of the inventory.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipReason {
    TooLarge {
        bytes: u64,
        limit: u64,
    },
    NotUtf8,
    /// Could not be read, or (for a named path) does not exist or lies outside the project.
    Unreadable(String),
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::TooLarge { bytes, limit } => {
                write!(f, "too large ({bytes} bytes, the limit is {limit})")
            }
            SkipReason::NotUtf8 => f.write_str("not UTF-8"),
            SkipReason::Unreadable(message) => write!(f, "unreadable: {message}"),
        }
    }
}

/// [`inventory_with`] with the default options.
pub fn inventory(fs: &dyn FileSystem, root: &Path, paths: &[PathBuf]) -> Inventory {
    inventory_with(fs, root, paths, &InventoryOptions::default())
}

/// Lists the files under `paths` (files or directories, relative to `root` or absolute; the
/// whole `root` when empty) that are within the size limit. Nothing is read: which files are
/// text is for the analyzer that claims them to find out, so an image or a font that no
/// analyzer reads is never a finding. `root` must be spelled as `fs` spells paths: absolute for [`crate::OsFs`]
/// ([`crate::Project::root`] is).
///
/// Directories are walked by the [`FileSystem::walk`] rules (gitignore-aware); a file named
/// explicitly is included even when ignored, as in ripgrep.
pub fn inventory_with(
    fs: &dyn FileSystem,
    root: &Path,
    paths: &[PathBuf],
    options: &InventoryOptions,
) -> Inventory {
    collect(fs, root, paths, options, &|_| true)
}

/// [`inventory`] of the files `claims` accepts (it sees project-relative paths): the others
/// are neither measured nor listed, so a file no analyzer reads costs nothing and is never a
/// finding. Problems with the walk or with a named path are still reported.
pub fn inventory_claimed(
    fs: &dyn FileSystem,
    root: &Path,
    paths: &[PathBuf],
    claims: &dyn Fn(&Path) -> bool,
) -> Inventory {
    collect(fs, root, paths, &InventoryOptions::default(), claims)
}

/// [`inventory_claimed`] over `places` only (project-relative directories, walked, and files;
/// a place that does not exist is nothing, not a problem): for analyzers whose claims all lie
/// under known places, so the rest of the tree is never listed.
pub fn inventory_claimed_in(
    fs: &dyn FileSystem,
    root: &Path,
    places: &[PathBuf],
    claims: &dyn Fn(&Path) -> bool,
) -> Inventory {
    let options = InventoryOptions::default();
    let mut collector = Collector::new(root);
    for place in places {
        let target = lexical_join(root, place);
        if !target.starts_with(root) {
            continue;
        }
        if fs.is_dir(&target) {
            collector.add_dir(fs, &target, &options);
        } else if fs.is_file(&target) {
            collector.candidates.insert(target);
        }
    }
    collector.finish(fs, &options, claims)
}

/// The part of a glob before its first wildcard, as a path (`src/**/*.rs` → `src`): the
/// place [`inventory_claimed_in`] lists for it. Empty when the glob starts with a wildcard.
pub fn glob_literal_prefix(pattern: &str) -> PathBuf {
    Path::new(pattern)
        .components()
        .filter(|component| *component != Component::CurDir)
        .take_while(|component| {
            !component
                .as_os_str()
                .to_string_lossy()
                .contains(['*', '?', '[', '{', '\\'])
        })
        .collect()
}

fn collect(
    fs: &dyn FileSystem,
    root: &Path,
    paths: &[PathBuf],
    options: &InventoryOptions,
    claims: &dyn Fn(&Path) -> bool,
) -> Inventory {
    let mut collector = Collector::new(root);
    if paths.is_empty() {
        collector.add_dir(fs, root, options);
    } else {
        for path in paths {
            collector.add_named(fs, path, options);
        }
    }
    collector.finish(fs, options, claims)
}

/// Gathers candidate files, then checks each once.
struct Collector<'a> {
    root: &'a Path,
    candidates: BTreeSet<PathBuf>,
    skipped: Vec<SkippedFile>,
}

impl<'a> Collector<'a> {
    fn new(root: &'a Path) -> Self {
        Self {
            root,
            candidates: BTreeSet::new(),
            skipped: Vec::new(),
        }
    }

    fn add_named(&mut self, fs: &dyn FileSystem, path: &Path, options: &InventoryOptions) {
        let target = lexical_join(self.root, path);
        if !target.starts_with(self.root) {
            let message = format!("outside the project root {}", self.root.display());
            self.skip(path.to_path_buf(), SkipReason::Unreadable(message));
        } else if fs.is_file(&target) {
            self.candidates.insert(target);
        } else if fs.is_dir(&target) {
            self.add_dir(fs, &target, options);
        } else {
            let message = "no such file or directory".to_owned();
            self.skip(target, SkipReason::Unreadable(message));
        }
    }

    fn add_dir(&mut self, fs: &dyn FileSystem, dir: &Path, options: &InventoryOptions) {
        match fs.walk(dir) {
            Ok(listing) => {
                let wanted = listing
                    .files
                    .into_iter()
                    .filter(|file| options.wants_extension(file));
                self.candidates.extend(wanted);
                for error in listing.errors {
                    let path = error.path.unwrap_or_else(|| dir.to_path_buf());
                    self.skip(path, SkipReason::Unreadable(error.message));
                }
            }
            Err(error) => self.skip(dir.to_path_buf(), SkipReason::Unreadable(error.to_string())),
        }
    }

    fn skip(&mut self, path: PathBuf, reason: SkipReason) {
        let path = self.relative(&path);
        self.skipped.push(SkippedFile { path, reason });
    }

    fn relative(&self, path: &Path) -> PathBuf {
        path.strip_prefix(self.root).unwrap_or(path).to_path_buf()
    }

    fn finish(
        mut self,
        fs: &dyn FileSystem,
        options: &InventoryOptions,
        claims: &dyn Fn(&Path) -> bool,
    ) -> Inventory {
        let mut files = Vec::new();
        for candidate in std::mem::take(&mut self.candidates) {
            if !claims(&self.relative(&candidate)) {
                continue;
            }
            match check_file(fs, &candidate, options.max_file_bytes) {
                Ok(()) => files.push(self.relative(&candidate)),
                Err(reason) => self.skip(candidate, reason),
            }
        }
        self.skipped.sort();
        self.skipped.dedup();
        Inventory {
            files,
            skipped: self.skipped,
        }
    }
}

/// `base` joined with `path`, `.` and `..` resolved lexically, so `../elsewhere` cannot pass for
/// a path inside the project.
fn lexical_join(base: &Path, path: &Path) -> PathBuf {
    let mut joined = base.to_path_buf();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                joined.pop();
            }
            other => joined.push(other),
        }
    }
    joined
}

/// Whether the file at `path` can be analyzed: its size is known and within the limit. The
/// file is not read.
fn check_file(fs: &dyn FileSystem, path: &Path, max_bytes: u64) -> Result<(), SkipReason> {
    let bytes = fs
        .file_len(path)
        .map_err(|error| SkipReason::Unreadable(error.to_string()))?;
    if bytes > max_bytes {
        return Err(SkipReason::TooLarge {
            bytes,
            limit: max_bytes,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;
    use crate::fs::{Listing, MemoryFs, OsFs};

    fn paths(paths: &[&str]) -> Vec<PathBuf> {
        paths.iter().map(PathBuf::from).collect()
    }

    fn skipped(path: &str, reason: SkipReason) -> SkippedFile {
        SkippedFile {
            path: PathBuf::from(path),
            reason,
        }
    }

    fn shop() -> MemoryFs {
        [
            ("/p/.gitignore", "*.log\n"),
            ("/p/web/a.ts", "export {}"),
            ("/p/web/b.tsx", "export {}"),
            ("/p/web/debug.log", "noise"),
            ("/p/migrations/0001_init.sql", "create table t ();"),
            ("/p/README.md", "# shop"),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn the_whole_root_by_default_relative_and_sorted() {
        let found = inventory(&shop(), Path::new("/p"), &[]);
        assert_eq!(
            found.files,
            paths(&[
                "README.md",
                "migrations/0001_init.sql",
                "web/a.ts",
                "web/b.tsx"
            ])
        );
        assert!(found.skipped.is_empty());
    }

    #[test]
    fn named_paths_restrict_it_and_overlaps_count_once() {
        let named = paths(&["web", "/p/web/a.ts", "web/debug.log"]);
        let found = inventory(&shop(), Path::new("/p"), &named);
        // An ignored file named explicitly is still included, as in ripgrep.
        assert_eq!(
            found.files,
            paths(&["web/a.ts", "web/b.tsx", "web/debug.log"])
        );
    }

    #[test]
    fn missing_and_outside_paths_are_reported() {
        let named = paths(&[
            "web/missing.ts",
            "../elsewhere/x.ts",
            "/q/y.ts",
            "web/../README.md",
        ]);
        let found = inventory(&shop(), Path::new("/p"), &named);
        assert_eq!(found.files, paths(&["README.md"]));
        let outside = SkipReason::Unreadable("outside the project root /p".to_owned());
        let missing = SkipReason::Unreadable("no such file or directory".to_owned());
        assert_eq!(
            found.skipped,
            [
                skipped("/q/y.ts", outside.clone()),
                skipped("../elsewhere/x.ts", outside),
                skipped("web/missing.ts", missing),
            ]
        );
    }

    #[test]
    fn extensions_filter_walked_files_only() {
        let options = InventoryOptions {
            extensions: vec!["ts".to_owned(), "tsx".to_owned()],
            ..InventoryOptions::default()
        };
        let found = inventory_with(&shop(), Path::new("/p"), &[], &options);
        assert_eq!(found.files, paths(&["web/a.ts", "web/b.tsx"]));
        let named = inventory_with(&shop(), Path::new("/p"), &paths(&["README.md"]), &options);
        assert_eq!(named.files, paths(&["README.md"]));
    }

    #[test]
    fn oversized_files_are_skipped_with_the_reason_and_binary_ones_are_listed_unread() {
        let fs = shop()
            .with_file("/p/web/bundle.min.js", "x".repeat(101))
            .with_file("/p/web/logo.ts", b"\x89PNG\xff".to_vec());
        let options = InventoryOptions {
            max_file_bytes: 100,
            ..InventoryOptions::default()
        };
        let found = inventory_with(&fs, Path::new("/p"), &paths(&["web"]), &options);
        assert_eq!(
            found.files,
            paths(&["web/a.ts", "web/b.tsx", "web/logo.ts"])
        );
        assert_eq!(
            found.skipped,
            [skipped(
                "web/bundle.min.js",
                SkipReason::TooLarge {
                    bytes: 101,
                    limit: 100
                }
            )]
        );
        assert_eq!(
            found.skipped[0].reason.to_string(),
            "too large (101 bytes, the limit is 100)"
        );
    }

    /// A file system whose files all fail to read, as a permission error would.
    #[derive(Debug)]
    struct UnreadableFs(MemoryFs);

    impl FileSystem for UnreadableFs {
        fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
            Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("{}: permission denied", path.display()),
            ))
        }
        fn is_file(&self, path: &Path) -> bool {
            self.0.is_file(path)
        }
        fn is_dir(&self, path: &Path) -> bool {
            self.0.is_dir(path)
        }
        fn file_len(&self, path: &Path) -> io::Result<u64> {
            self.0.file_len(path)
        }
        fn walk(&self, root: &Path) -> io::Result<Listing> {
            self.0.walk(root)
        }
    }

    /// The inventory never reads a file: a file system whose every read fails still lists
    /// them all (the analyzer that reads one reports what went wrong).
    #[test]
    fn the_inventory_reads_no_file() {
        let fs = UnreadableFs(
            MemoryFs::new()
                .with_file("/p/a.ts", "")
                .with_file("/p/favicon.ico", b"\0\0\x01\0".to_vec()),
        );
        let found = inventory(&fs, Path::new("/p"), &[]);
        assert_eq!(found.files, paths(&["a.ts", "favicon.ico"]));
        assert!(found.skipped.is_empty());
    }

    fn write(root: &Path, relative: &str, contents: &[u8]) {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create dirs");
        std::fs::write(path, contents).expect("write");
    }

    #[test]
    fn on_disk_with_gitignore_binary_and_oversized_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, ".gitignore", b"dist/\n");
        write(root, "dist/app.js", b"ignored");
        write(root, "web/a.ts", b"export {}");
        write(root, "web/latin1.ts", b"caf\xe9");
        let oversized = usize::try_from(DEFAULT_MAX_FILE_BYTES).expect("fits") + 1;
        write(root, "web/bundle.min.js", &vec![b'x'; oversized]);
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("web"), root.join("web/loop")).expect("symlink");

        let found = inventory(&OsFs, root, &[]);
        assert_eq!(found.files, paths(&["web/a.ts", "web/latin1.ts"]));
        assert_eq!(
            found.skipped,
            [skipped(
                "web/bundle.min.js",
                SkipReason::TooLarge {
                    bytes: DEFAULT_MAX_FILE_BYTES + 1,
                    limit: DEFAULT_MAX_FILE_BYTES
                }
            )]
        );
    }
}
