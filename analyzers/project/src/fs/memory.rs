//! [`MemoryFs`]: files held in a map, for tests and for the language server's unsaved buffers.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io;
use std::path::{Component, Path, PathBuf};

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use super::{FileSystem, Listing, ListingError, is_always_skipped_dir, is_hidden};

/// Ignore files in the order of precedence the `ignore` crate (and so [`super::OsFs`]) uses: a
/// match in any `.ignore` wins over every `.gitignore`.
const IGNORE_FILE_NAMES: [&str; 2] = [".ignore", ".gitignore"];

/// An in-memory file tree. Directories exist implicitly, as the ancestors of stored files.
///
/// Paths are stored and returned as given, minus `.` components (`./web/a.ts` is `web/a.ts`);
/// use one spelling (all absolute or all relative) throughout. `.gitignore` and `.ignore` files
/// stored in the map are honoured by [`FileSystem::walk`] exactly as on disk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryFs {
    files: BTreeMap<PathBuf, Vec<u8>>,
}

impl MemoryFs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file, builder style: `MemoryFs::new().with_file("web/a.ts", "export {}")`.
    #[must_use]
    pub fn with_file(mut self, path: impl AsRef<Path>, contents: impl Into<Vec<u8>>) -> Self {
        self.insert(path, contents);
        self
    }

    /// Creates or overwrites a file; returns the previous contents.
    pub fn insert(
        &mut self,
        path: impl AsRef<Path>,
        contents: impl Into<Vec<u8>>,
    ) -> Option<Vec<u8>> {
        self.files.insert(normalize(path.as_ref()), contents.into())
    }

    /// Deletes a file; returns its contents.
    pub fn remove(&mut self, path: impl AsRef<Path>) -> Option<Vec<u8>> {
        self.files.remove(&normalize(path.as_ref()))
    }

    fn contents(&self, path: &Path) -> io::Result<&[u8]> {
        self.files
            .get(&normalize(path))
            .map(Vec::as_slice)
            .ok_or_else(|| not_found(path))
    }

    /// Files strictly inside the directory `dir`, in path order.
    fn files_inside<'a>(&'a self, dir: &'a Path) -> impl Iterator<Item = &'a PathBuf> {
        self.files
            .keys()
            .filter(move |path| path.starts_with(dir) && path.as_path() != dir)
    }
}

impl<P: AsRef<Path>, C: Into<Vec<u8>>> FromIterator<(P, C)> for MemoryFs {
    fn from_iter<I: IntoIterator<Item = (P, C)>>(files: I) -> Self {
        files.into_iter().fold(Self::new(), |fs, (path, contents)| {
            fs.with_file(path, contents)
        })
    }
}

impl FileSystem for MemoryFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.contents(path).map(<[u8]>::to_vec)
    }

    fn is_file(&self, path: &Path) -> bool {
        self.files.contains_key(&normalize(path))
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.files_inside(&normalize(path)).next().is_some()
    }

    fn file_len(&self, path: &Path) -> io::Result<u64> {
        self.contents(path).map(|contents| contents.len() as u64)
    }

    fn walk(&self, root: &Path) -> io::Result<Listing> {
        let root = normalize(root);
        if self.files.contains_key(&root) {
            return Ok(Listing {
                files: vec![root],
                errors: Vec::new(),
            });
        }
        if !self.is_dir(&root) {
            return Err(not_found(&root));
        }
        let mut rules = IgnoreRules::new(self);
        let files = self
            .files_inside(&root)
            .filter(|path| rules.is_listed(&root, path))
            .cloned()
            .collect();
        Ok(Listing {
            files,
            errors: rules.errors,
        })
    }
}

/// The ignore files met during one walk, each parsed once.
struct IgnoreRules<'a> {
    fs: &'a MemoryFs,
    /// Keyed by the ignore file's path; `None` when there is no such file.
    matchers: HashMap<PathBuf, Option<Gitignore>>,
    errors: Vec<ListingError>,
}

impl<'a> IgnoreRules<'a> {
    fn new(fs: &'a MemoryFs) -> Self {
        Self {
            fs,
            matchers: HashMap::new(),
            errors: Vec::new(),
        }
    }

    /// Whether the walk from `root` lists `file`: no component below `root` may be hidden,
    /// an always-skipped directory, or ignored (an ignored directory hides all it contains).
    fn is_listed(&mut self, root: &Path, file: &Path) -> bool {
        let Ok(relative) = file.strip_prefix(root) else {
            return false;
        };
        let depth = relative.components().count();
        let mut current = root.to_path_buf();
        for (index, component) in relative.components().enumerate() {
            current.push(component);
            let is_dir = index + 1 < depth;
            let name = component.as_os_str();
            if is_hidden(name)
                || (is_dir && is_always_skipped_dir(name))
                || self.is_ignored(&current, is_dir)
            {
                return false;
            }
        }
        true
    }

    /// The verdict of the ignore files above `path`: the first match wins, `.ignore` files
    /// before `.gitignore` files, deeper directories before shallower ones.
    fn is_ignored(&mut self, path: &Path, is_dir: bool) -> bool {
        for file_name in IGNORE_FILE_NAMES {
            for dir in path.ancestors().skip(1) {
                let Some(matcher) = self.matcher(dir.join(file_name)) else {
                    continue;
                };
                match matcher.matched(path, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
        }
        false
    }

    fn matcher(&mut self, ignore_file: PathBuf) -> Option<&Gitignore> {
        match self.matchers.entry(ignore_file) {
            Entry::Occupied(entry) => entry.into_mut().as_ref(),
            Entry::Vacant(entry) => {
                let matcher = build_matcher(self.fs, entry.key(), &mut self.errors);
                entry.insert(matcher).as_ref()
            }
        }
    }
}

/// Parses the ignore file at `path`, if stored. A bad line is reported and skipped, as git
/// and the `ignore` crate do, so one typo does not disable the whole file.
fn build_matcher(fs: &MemoryFs, path: &Path, errors: &mut Vec<ListingError>) -> Option<Gitignore> {
    let contents = fs.files.get(path)?;
    let mut builder = GitignoreBuilder::new(path.parent().unwrap_or(Path::new("")));
    for line in String::from_utf8_lossy(contents).lines() {
        if let Err(error) = builder.add_line(Some(path.to_path_buf()), line) {
            errors.push(ignore_file_error(path, &error));
        }
    }
    match builder.build() {
        Ok(matcher) => Some(matcher),
        Err(error) => {
            errors.push(ignore_file_error(path, &error));
            None
        }
    }
}

fn ignore_file_error(path: &Path, error: &ignore::Error) -> ListingError {
    ListingError {
        path: Some(path.to_path_buf()),
        message: format!("{}: {error}", path.display()),
    }
}

fn normalize(path: &Path) -> PathBuf {
    path.components()
        .filter(|component| *component != Component::CurDir)
        .collect()
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{}: no such file or directory", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(fs: &MemoryFs, root: &str) -> Vec<String> {
        fs.files_under(Path::new(root))
            .expect("root exists")
            .iter()
            .map(|path| path.display().to_string())
            .collect()
    }

    #[test]
    fn reads_writes_and_removes_files() {
        let mut fs = MemoryFs::new().with_file("./web/a.ts", "export {}");
        assert!(fs.is_file(Path::new("web/a.ts")));
        assert!(fs.is_dir(Path::new("web")));
        assert!(fs.is_dir(Path::new(".")));
        assert!(!fs.is_dir(Path::new("web/a.ts")));
        assert!(!fs.is_file(Path::new("web")));
        assert_eq!(fs.file_len(Path::new("web/a.ts")).expect("stored"), 9);
        assert_eq!(
            fs.insert("web/a.ts", "export const a = 1;"),
            Some(b"export {}".to_vec())
        );
        assert_eq!(
            fs.read_to_string(Path::new("web/a.ts")).expect("stored"),
            "export const a = 1;"
        );
        assert!(fs.remove("web/a.ts").is_some());
        assert!(!fs.is_dir(Path::new("web")));
        let error = fs.read(Path::new("web/a.ts")).expect_err("removed");
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        assert_eq!(error.to_string(), "web/a.ts: no such file or directory");
    }

    #[test]
    fn non_utf8_text_is_invalid_data_naming_the_file() {
        let fs = MemoryFs::new().with_file("/p/logo.ts", b"ok\xff".to_vec());
        let error = fs
            .read_to_string(Path::new("/p/logo.ts"))
            .expect_err("not UTF-8");
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            error.to_string(),
            "/p/logo.ts is not valid UTF-8 (invalid byte at offset 2); save it as UTF-8 or exclude it"
        );
    }

    #[test]
    fn walk_skips_hidden_build_and_dependency_directories() {
        let fs: MemoryFs = [
            "/p/web/a.ts",
            "/p/.git/config",
            "/p/.env",
            "/p/target/debug/x.rs",
            "/p/web/node_modules/react/index.js",
            "/p/web/target.ts",
        ]
        .into_iter()
        .map(|path| (path, ""))
        .collect();
        assert_eq!(listed(&fs, "/p"), ["/p/web/a.ts", "/p/web/target.ts"]);
    }

    #[test]
    fn walk_honours_nested_gitignore_and_negation() {
        let fs: MemoryFs = [
            ("/p/.gitignore", "*.log\ndist/\n"),
            ("/p/app.log", ""),
            ("/p/dist/bundle.js", ""),
            ("/p/web/.gitignore", "!keep.log\ngenerated/\n"),
            ("/p/web/keep.log", ""),
            ("/p/web/generated/api.ts", ""),
            ("/p/web/src/generated.ts", ""),
            ("/p/web/src/a.ts", ""),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            listed(&fs, "/p"),
            [
                "/p/web/keep.log",
                "/p/web/src/a.ts",
                "/p/web/src/generated.ts"
            ]
        );
    }

    #[test]
    fn dot_ignore_files_win_over_gitignore() {
        let fs: MemoryFs = [
            ("/p/.gitignore", "*.snap\n"),
            ("/p/web/.ignore", "!*.snap\nlocal.ts\n"),
            ("/p/web/a.snap", ""),
            ("/p/web/local.ts", ""),
        ]
        .into_iter()
        .collect();
        assert_eq!(listed(&fs, "/p"), ["/p/web/a.snap"]);
    }

    #[test]
    fn ignore_files_above_the_walk_root_apply() {
        let fs: MemoryFs = [
            ("/p/.gitignore", "*.log\n"),
            ("/p/web/a.log", ""),
            ("/p/web/a.ts", ""),
        ]
        .into_iter()
        .collect();
        assert_eq!(listed(&fs, "/p/web"), ["/p/web/a.ts"]);
    }

    #[test]
    fn relative_paths_are_listed_as_stored() {
        let fs: MemoryFs = [
            (".gitignore", "*.log\n"),
            ("web/a.ts", ""),
            ("web/b.log", ""),
            ("web/web/c.ts", ""),
        ]
        .into_iter()
        .collect();
        assert_eq!(listed(&fs, "."), ["web/a.ts", "web/web/c.ts"]);
        assert_eq!(listed(&fs, "web"), ["web/a.ts", "web/web/c.ts"]);
    }

    #[test]
    fn walking_a_file_lists_it_and_a_missing_root_is_an_error() {
        let fs = MemoryFs::new().with_file("/p/a.ts", "");
        assert_eq!(listed(&fs, "/p/a.ts"), ["/p/a.ts"]);
        let error = fs.walk(Path::new("/q")).expect_err("missing");
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn a_bad_ignore_line_is_reported_and_the_rest_still_applies() {
        let fs: MemoryFs = [
            ("/p/.gitignore", "a{b\n*.log\n"),
            ("/p/x.log", ""),
            ("/p/x.ts", ""),
        ]
        .into_iter()
        .collect();
        let listing = fs.walk(Path::new("/p")).expect("exists");
        assert_eq!(listing.files, [PathBuf::from("/p/x.ts")]);
        assert_eq!(listing.errors.len(), 1);
        assert_eq!(
            listing.errors[0].path.as_deref(),
            Some(Path::new("/p/.gitignore"))
        );
        assert!(
            listing.errors[0].message.contains("a{b"),
            "{:?}",
            listing.errors
        );
    }
}
