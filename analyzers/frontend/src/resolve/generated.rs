//! Missing files that a build step writes: a relative import of a file the project ignores
//! (`.gitignore`) is of generated output not built yet (`keys.generated.ts`, React Router's
//! `./+types/page` through `rootDirs` into `.react-router/types`), not a broken import.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use commerce_project::FileSystem;
use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// The extensions a specifier without one may stand for.
const IMPLIED_EXTENSIONS: [&str; 8] = [
    ".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".json",
];

/// `.gitignore` lookups through the project's [`FileSystem`], one parse per directory.
#[derive(Debug)]
pub(crate) struct IgnoredFiles {
    fs: Arc<dyn FileSystem>,
    root: PathBuf,
    matchers: Mutex<HashMap<PathBuf, Option<Arc<Gitignore>>>>,
}

impl IgnoredFiles {
    pub(crate) fn new(fs: Arc<dyn FileSystem>, root: &Path) -> Self {
        Self {
            fs,
            root: root.to_path_buf(),
            matchers: Mutex::default(),
        }
    }

    /// Whether `candidate` (absolute, as a specifier wrote it: maybe without extension) is a
    /// file, or in a directory, that the project's `.gitignore` files exclude.
    ///
    /// TypeScript's output spelling counts too: `./gen.js` stands for an ignored `gen.ts`.
    pub(crate) fn covers(&self, candidate: &Path) -> bool {
        let mut spellings = vec![candidate.to_path_buf()];
        spellings.extend(IMPLIED_EXTENSIONS.iter().map(|extension| {
            let mut spelled = candidate.as_os_str().to_owned();
            spelled.push(extension);
            PathBuf::from(spelled)
        }));
        let sources = match candidate
            .extension()
            .and_then(|extension| extension.to_str())
        {
            Some("js") => &["ts", "tsx", "d.ts"][..],
            Some("jsx") => &["tsx"][..],
            Some("mjs") => &["mts", "d.mts"][..],
            Some("cjs") => &["cts", "d.cts"][..],
            _ => &[][..],
        };
        spellings.extend(
            sources
                .iter()
                .map(|extension| candidate.with_extension(extension)),
        );
        spellings.iter().any(|path| self.is_ignored(path))
    }

    /// The verdict of the deepest `.gitignore` with an opinion, from the file's directory up to
    /// the project root.
    fn is_ignored(&self, path: &Path) -> bool {
        if !path.starts_with(&self.root) {
            return false;
        }
        for dir in path.ancestors().skip(1) {
            if !dir.starts_with(&self.root) {
                break;
            }
            let Some(matcher) = self.matcher(dir) else {
                continue;
            };
            let Ok(relative) = path.strip_prefix(dir) else {
                continue;
            };
            match matcher.matched_path_or_any_parents(relative, false) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        false
    }

    fn matcher(&self, dir: &Path) -> Option<Arc<Gitignore>> {
        let mut matchers = self.matchers.lock().unwrap_or_else(PoisonError::into_inner);
        matchers
            .entry(dir.to_path_buf())
            .or_insert_with(|| self.read_matcher(dir))
            .clone()
    }

    fn read_matcher(&self, dir: &Path) -> Option<Arc<Gitignore>> {
        let file = dir.join(".gitignore");
        if !self.fs.is_file(&file) {
            return None;
        }
        let text = self.fs.read_to_string(&file).ok()?;
        let mut builder = GitignoreBuilder::new(dir);
        for line in text.lines() {
            // A bad line is skipped, as git does; the rest of the file still applies.
            let _ = builder.add_line(Some(file.clone()), line);
        }
        builder.build().ok().map(Arc::new)
    }
}

#[cfg(test)]
mod tests {
    use commerce_project::MemoryFs;

    use super::*;

    #[test]
    fn ignored_files_and_directories_count_with_or_without_extension() {
        let fs = MemoryFs::new()
            .with_file(
                "/p/.gitignore",
                "packages/i18n/src/keys.generated.ts\n.react-router/\n",
            )
            .with_file("/p/web/.gitignore", "dist/\n");
        let ignored = IgnoredFiles::new(Arc::new(fs), Path::new("/p"));
        assert!(ignored.covers(Path::new("/p/packages/i18n/src/keys.generated")));
        assert!(ignored.covers(Path::new("/p/.react-router/types/app/+types/page")));
        assert!(ignored.covers(Path::new("/p/web/dist/index")));
        // `.js` as TypeScript's ESM imports spell a `.ts` file.
        assert!(ignored.covers(Path::new("/p/packages/i18n/src/keys.generated.js")));
        assert!(!ignored.covers(Path::new("/p/packages/i18n/src/keys.generated.mjs")));
        assert!(!ignored.covers(Path::new("/p/web/src/missing")));
        assert!(!ignored.covers(Path::new("/elsewhere/x")));
    }
}
