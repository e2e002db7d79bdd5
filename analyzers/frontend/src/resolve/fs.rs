//! Our [`FileSystem`] as `oxc_resolver`'s file system, so resolution reads through the same
//! trait as every analyzer (and runs on [`commerce_project::MemoryFs`] in tests).
//!
//! Our trait knows no symbolic links, so real links are followed silently (the OS does it) and
//! never reported as links. What the resolver does need links for is workspaces: package
//! managers link each workspace package into `node_modules`, and resolution must land on the
//! package's own files (a graph node), not on a path inside `node_modules` (an external
//! package). [`WorkspaceLinks`] presents every `node_modules/<workspace package>` as a link to
//! the package's directory, whether or not the package manager has run.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use commerce_project::{EntryKind, FileSystem, OsFs};
use oxc_resolver::{FileMetadata, ResolveError};

/// Workspace packages by name, each with its absolute directory, linked into the
/// `node_modules` of every directory holding a `package.json`, as package managers link them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct WorkspaceLinks {
    packages: HashMap<String, PathBuf>,
    /// Directories with a `package.json`: only their `node_modules` hold links.
    package_dirs: HashSet<PathBuf>,
}

impl WorkspaceLinks {
    pub(crate) fn new(packages: HashMap<String, PathBuf>, package_dirs: HashSet<PathBuf>) -> Self {
        Self {
            packages,
            package_dirs,
        }
    }

    /// Whether `node_modules` (a path ending in that component) holds links.
    fn holds_links(&self, node_modules: &Path) -> bool {
        !self.packages.is_empty()
            && node_modules
                .parent()
                .is_some_and(|dir| self.package_dirs.contains(dir))
    }

    /// The `node_modules` of a package directory (and its `@scope` directories of workspace
    /// packages) exist wherever a package manager could have linked a workspace package.
    fn is_link_dir(&self, path: &Path) -> bool {
        match path.file_name().and_then(|name| name.to_str()) {
            Some("node_modules") => self.holds_links(path),
            Some(scope) if scope.starts_with('@') => {
                path.parent().is_some_and(|parent| {
                    parent
                        .file_name()
                        .is_some_and(|name| name == "node_modules")
                        && self.holds_links(parent)
                }) && self.packages.keys().any(|name| {
                    name.strip_prefix(scope)
                        .is_some_and(|rest| rest.starts_with('/'))
                })
            }
            _ => false,
        }
    }

    /// The package linked by the components right after a `node_modules` component, and how
    /// many components its name takes (2 for `@scope/name`).
    fn link_at(&self, rest: &[Component<'_>]) -> Option<(&Path, usize)> {
        let first = rest.first()?.as_os_str().to_str()?;
        if first.starts_with('@') {
            let second = rest.get(1)?.as_os_str().to_str()?;
            let dir = self.packages.get(&format!("{first}/{second}"))?;
            Some((dir, 2))
        } else {
            Some((self.packages.get(first)?, 1))
        }
    }

    /// `path` with every `node_modules/<workspace package>` replaced by the package directory.
    fn real_path<'p>(&self, path: &'p Path) -> Cow<'p, Path> {
        let is_node_modules = |component: &Component<'_>| component.as_os_str() == "node_modules";
        if self.packages.is_empty() || !path.components().any(|c| is_node_modules(&c)) {
            return Cow::Borrowed(path);
        }
        let components: Vec<Component<'_>> = path.components().collect();
        let mut real = PathBuf::new();
        let mut index = 0;
        while index < components.len() {
            if is_node_modules(&components[index])
                && self.package_dirs.contains(&real)
                && let Some((dir, taken)) = self.link_at(&components[index + 1..])
            {
                real = dir.to_path_buf();
                index += 1 + taken;
                continue;
            }
            real.push(components[index]);
            index += 1;
        }
        Cow::Owned(real)
    }

    /// The package directory `path` links to, when `path` itself is
    /// `…/node_modules/<workspace package>`.
    fn link_target(&self, path: &Path) -> Option<&Path> {
        let components: Vec<Component<'_>> = path.components().collect();
        [1, 2].into_iter().find_map(|name_len| {
            let node_modules = components.len().checked_sub(name_len + 1)?;
            let holder: PathBuf = components[..=node_modules].iter().collect();
            if components[node_modules].as_os_str() != "node_modules" || !self.holds_links(&holder)
            {
                return None;
            }
            let (dir, taken) = self.link_at(&components[node_modules + 1..])?;
            (taken == name_len).then_some(dir)
        })
    }
}

/// The resolver's view of the project: our file system plus the workspace links.
#[derive(Debug)]
pub(crate) struct ResolverFs {
    fs: Arc<dyn FileSystem>,
    links: Arc<WorkspaceLinks>,
    /// Whether each `node_modules` directory the resolver looked into exists on the file
    /// system. With workspace links every `node_modules` exists for the resolver; one that does
    /// not exist on disk holds nothing but the links, and the other paths inside it are
    /// answered without a system call.
    real_node_modules: Mutex<HashMap<PathBuf, bool>>,
    /// What each real path is: the resolver caches by the path it asks for, and through links
    /// many of those name one real path.
    kinds: Mutex<HashMap<PathBuf, Option<FileMetadata>>>,
}

impl ResolverFs {
    pub(crate) fn new(fs: Arc<dyn FileSystem>, links: Arc<WorkspaceLinks>) -> Self {
        Self {
            fs,
            links,
            real_node_modules: Mutex::default(),
            kinds: Mutex::default(),
        }
    }

    /// Whether `real` lies inside a `node_modules` directory that exists only for the links.
    fn inside_virtual_node_modules(&self, real: &Path) -> bool {
        let Some(dir) = real
            .ancestors()
            .skip(1)
            .find(|dir| dir.file_name().is_some_and(|name| name == "node_modules"))
        else {
            return false;
        };
        if !self.links.holds_links(dir) {
            return false;
        }
        let mut known = self
            .real_node_modules
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        !*known
            .entry(dir.to_path_buf())
            .or_insert_with(|| self.fs.is_dir(dir))
    }

    fn kind(&self, path: &Path) -> io::Result<FileMetadata> {
        if path.file_name() == Some(MISSING_BASE.as_ref()) {
            return Ok(FileMetadata::new(true, false, false));
        }
        let real = self.links.real_path(path);
        let known = self
            .kinds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(real.as_ref())
            .copied();
        let kind = match known {
            Some(kind) => kind,
            None => {
                let kind = self.look_up(&real);
                self.kinds
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(real.into_owned(), kind);
                kind
            }
        };
        kind.ok_or_else(|| not_found(path))
    }

    /// A tsconfig whose `extends` names a package that is not installed (no `node_modules`
    /// yet, as in CI before `npm install`) would fail to load, and every import of every file
    /// under it with it. Such a base becomes an empty tsconfig ([`MISSING_BASE`]): the
    /// tsconfig's own `paths` and `baseUrl` still apply. Other files are returned as they are.
    fn without_missing_bases(&self, path: &Path, text: String) -> String {
        let is_json = path
            .extension()
            .is_some_and(|extension| extension == "json");
        if !is_json || path.file_name() == Some("package.json".as_ref()) {
            return text;
        }
        let Some(dir) = path.parent() else {
            return text;
        };
        let missing = extends_values(&text)
            .into_iter()
            .filter(|(_, base)| {
                !crate::resolve::is_path_specifier(base)
                    && crate::resolve::package_name(base)
                        .is_some_and(|name| !self.is_installed(dir, name))
            })
            .collect::<Vec<_>>();
        if missing.is_empty() {
            return text;
        }
        let replacement = serde_json::to_string(&dir.join(MISSING_BASE).to_string_lossy())
            .unwrap_or_else(|_| format!("\"./{MISSING_BASE}\""));
        let mut rewritten = text;
        for (range, _) in missing.into_iter().rev() {
            rewritten.replace_range(range, &replacement);
        }
        rewritten
    }

    /// Whether the package `name` can be found from `dir` the way Node looks: in the
    /// `node_modules` of `dir` or of one of its ancestors (workspace links included).
    fn is_installed(&self, dir: &Path, name: &str) -> bool {
        dir.ancestors()
            .any(|ancestor| self.kind(&ancestor.join("node_modules").join(name)).is_ok())
    }

    fn look_up(&self, real: &Path) -> Option<FileMetadata> {
        if self.links.is_link_dir(real) {
            Some(FileMetadata::new(false, true, false))
        } else if self.inside_virtual_node_modules(real) {
            None
        } else {
            match self.fs.entry_kind(real)? {
                EntryKind::File => Some(FileMetadata::new(true, false, false)),
                EntryKind::Dir => Some(FileMetadata::new(false, true, false)),
            }
        }
    }
}

impl oxc_resolver::FileSystem for ResolverFs {
    /// `oxc_resolver` builds its own file system when given none: the real disk, no links.
    fn new() -> Self {
        Self::new(Arc::new(OsFs), Arc::default())
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.fs.read(&self.links.real_path(path))
    }

    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        if path.file_name() == Some(MISSING_BASE.as_ref()) {
            return Ok("{}".to_owned());
        }
        let text = self.fs.read_to_string(&self.links.real_path(path))?;
        Ok(self.without_missing_bases(path, text))
    }

    fn metadata(&self, path: &Path) -> io::Result<FileMetadata> {
        self.kind(path)
    }

    fn symlink_metadata(&self, path: &Path) -> io::Result<FileMetadata> {
        if self.links.link_target(path).is_some() {
            return Ok(FileMetadata::new(false, false, true));
        }
        self.kind(path)
    }

    fn read_link(&self, path: &Path) -> Result<PathBuf, ResolveError> {
        self.links
            .link_target(path)
            .map(Path::to_path_buf)
            .ok_or_else(|| {
                ResolveError::from(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} is not a workspace package link", path.display()),
                ))
            })
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        let canonical = commerce_project::lexically_normal(&self.links.real_path(path));
        self.kind(&canonical)?;
        Ok(canonical)
    }
}

/// The file name an `extends` of a package that is not installed is pointed to: an empty
/// tsconfig, served without touching the file system.
const MISSING_BASE: &str = "commerce-missing-tsconfig-base.json";

/// Every string in the `"extends"` value of a tsconfig text (one string, or an array of them),
/// with the byte range of its literal (quotes included). Comments before the key are not
/// understood: a commented-out `"extends"` is taken as real, which at worst replaces a base
/// that was not used anyway.
fn extends_values(text: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let Some(key) = text.find("\"extends\"") else {
        return Vec::new();
    };
    let mut rest = text[key + "\"extends\"".len()..].char_indices().peekable();
    let offset = key + "\"extends\"".len();
    let mut values = Vec::new();
    let mut in_array = false;
    // Skip `:` and whitespace; read one string literal, or those of one array.
    while let Some((index, character)) = rest.next() {
        match character {
            ':' => {}
            '[' if !in_array && values.is_empty() => in_array = true,
            ',' if in_array => {}
            character if character.is_whitespace() => {}
            '"' => {
                let start = offset + index;
                let mut value = String::new();
                let mut escaped = false;
                let mut end = None;
                for (index, character) in rest.by_ref() {
                    match (escaped, character) {
                        (false, '\\') => escaped = true,
                        (false, '"') => {
                            end = Some(offset + index + 1);
                            break;
                        }
                        (_, character) => {
                            escaped = false;
                            value.push(character);
                        }
                    }
                }
                let Some(end) = end else {
                    break;
                };
                values.push((start..end, value));
                if !in_array {
                    break;
                }
            }
            _ => break,
        }
    }
    values
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{}: no such file or directory", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use commerce_project::MemoryFs;
    use oxc_resolver::FileSystem as _;

    use super::*;

    fn fs() -> ResolverFs {
        let memory = MemoryFs::new()
            .with_file("/p/packages/ui/src/index.ts", "export {}")
            .with_file("/p/packages/ui/package.json", "{}")
            .with_file("/p/packages/utils/index.ts", "export {}")
            .with_file("/p/web/src/a.ts", "");
        let links = WorkspaceLinks::new(
            HashMap::from([
                ("@acme/ui".to_owned(), PathBuf::from("/p/packages/ui")),
                ("utils".to_owned(), PathBuf::from("/p/packages/utils")),
            ]),
            ["/p", "/p/web"].into_iter().map(PathBuf::from).collect(),
        );
        ResolverFs::new(Arc::new(memory), Arc::new(links))
    }

    #[test]
    fn workspace_packages_appear_linked_beside_every_package_json() {
        let fs = fs();
        for link in ["/p/node_modules/@acme/ui", "/p/web/node_modules/utils"] {
            let link = Path::new(link);
            assert!(fs.symlink_metadata(link).expect("a link").is_symlink());
            assert!(fs.metadata(link).expect("a directory").is_dir());
        }
        assert_eq!(
            fs.read_link(Path::new("/p/node_modules/@acme/ui"))
                .expect("a link"),
            Path::new("/p/packages/ui")
        );
        let inside = Path::new("/p/web/node_modules/@acme/ui/src/index.ts");
        assert_eq!(fs.read_to_string(inside).expect("linked file"), "export {}");
        assert_eq!(
            fs.canonicalize(inside).expect("exists"),
            Path::new("/p/packages/ui/src/index.ts")
        );
    }

    #[test]
    fn extends_values_are_found_as_a_string_or_an_array() {
        let values = |text: &str| -> Vec<String> {
            extends_values(text)
                .into_iter()
                .map(|(range, value)| {
                    assert_eq!(&text[range], format!("\"{value}\""));
                    value
                })
                .collect()
        };
        assert_eq!(
            values(r#"{ "extends": "@a/b/base", "compilerOptions": { "x": "y" } }"#),
            ["@a/b/base"]
        );
        assert_eq!(
            values("{\n  \"extends\": [\"./x.json\", \"pkg/y\"],\n  \"compilerOptions\": {} }"),
            ["./x.json", "pkg/y"]
        );
        assert_eq!(values(r#"{ "compilerOptions": {} }"#), Vec::<String>::new());
        assert_eq!(
            values(r#"{ "extends": "unterminated"#),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_base_from_a_package_that_is_not_installed_becomes_empty() {
        let fs = fs();
        let tsconfig = r#"{ "extends": ["@missing/config/base", "@acme/ui/tsconfig"], "compilerOptions": { "baseUrl": "." } }"#;
        let rewritten =
            fs.without_missing_bases(Path::new("/p/web/tsconfig.json"), tsconfig.to_owned());
        assert_eq!(
            rewritten,
            format!(
                r#"{{ "extends": ["/p/web/{MISSING_BASE}", "@acme/ui/tsconfig"], "compilerOptions": {{ "baseUrl": "." }} }}"#
            )
        );
        let base = Path::new("/p/web").join(MISSING_BASE);
        assert!(fs.metadata(&base).expect("served").is_file());
        assert_eq!(fs.read_to_string(&base).expect("served"), "{}");
        // package.json files and tsconfigs without missing bases are left alone.
        let manifest = r#"{ "eslintConfig": { "extends": "react-app" } }"#;
        assert_eq!(
            fs.without_missing_bases(Path::new("/p/package.json"), manifest.to_owned()),
            manifest
        );
    }

    #[test]
    fn other_paths_are_plain_files_and_directories() {
        let fs = fs();
        let file = fs
            .symlink_metadata(Path::new("/p/web/src/a.ts"))
            .expect("file");
        assert!(file.is_file() && !file.is_symlink());
        assert!(fs.metadata(Path::new("/p/web")).expect("dir").is_dir());
        assert!(fs.metadata(Path::new("/p/node_modules/react")).is_err());
        assert!(fs.metadata(Path::new("/p/node_modules/@other")).is_err());
        // Where a package manager would link workspace packages: beside a package.json.
        for dir in [
            "/p/node_modules",
            "/p/web/node_modules",
            "/p/node_modules/@acme",
        ] {
            assert!(
                fs.metadata(Path::new(dir)).expect("a directory").is_dir(),
                "{dir}"
            );
        }
        assert!(fs.metadata(Path::new("/p/web/src/node_modules")).is_err());
        assert!(
            fs.symlink_metadata(Path::new("/p/web/src/node_modules/utils"))
                .is_err()
        );
        assert!(fs.read_link(Path::new("/p/web/src/a.ts")).is_err());
        assert_eq!(
            fs.canonicalize(Path::new("/p/web/./src/../src/a.ts"))
                .expect("exists"),
            Path::new("/p/web/src/a.ts")
        );
    }
}
