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
use std::collections::HashMap;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use commerce_project::{FileSystem, OsFs};
use oxc_resolver::{FileMetadata, ResolveError};

/// Workspace packages by name, each with its absolute directory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct WorkspaceLinks {
    packages: HashMap<String, PathBuf>,
}

impl WorkspaceLinks {
    pub(crate) fn new(packages: HashMap<String, PathBuf>) -> Self {
        Self { packages }
    }

    /// `node_modules` directories (and `node_modules/@scope` of a workspace package's scope)
    /// exist wherever a package manager could have linked a workspace package into them.
    fn is_link_dir(&self, path: &Path) -> bool {
        if self.packages.is_empty() {
            return false;
        }
        let mut components = path.components().rev();
        match components.next().and_then(|last| last.as_os_str().to_str()) {
            Some("node_modules") => true,
            Some(scope) if scope.starts_with('@') => {
                components
                    .next()
                    .is_some_and(|parent| parent.as_os_str() == "node_modules")
                    && self.packages.keys().any(|name| {
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
            if components[node_modules].as_os_str() != "node_modules" {
                return None;
            }
            let (dir, taken) = self.link_at(&components[node_modules + 1..])?;
            (taken == name_len).then_some(dir)
        })
    }
}

/// The resolver's view of the project: our file system plus the workspace links.
#[derive(Clone, Debug)]
pub(crate) struct ResolverFs {
    fs: Arc<dyn FileSystem>,
    links: Arc<WorkspaceLinks>,
}

impl ResolverFs {
    pub(crate) fn new(fs: Arc<dyn FileSystem>, links: Arc<WorkspaceLinks>) -> Self {
        Self { fs, links }
    }

    fn kind(&self, path: &Path) -> io::Result<FileMetadata> {
        let real = self.links.real_path(path);
        if self.fs.is_file(&real) {
            Ok(FileMetadata::new(true, false, false))
        } else if self.fs.is_dir(&real) || self.links.is_link_dir(&real) {
            Ok(FileMetadata::new(false, true, false))
        } else {
            Err(not_found(path))
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
        self.fs.read_to_string(&self.links.real_path(path))
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
        let canonical = normalize(&self.links.real_path(path));
        self.kind(&canonical)?;
        Ok(canonical)
    }
}

/// `path` without `.` and with each `..` applied to the component before it.
pub(crate) fn normalize(path: &Path) -> PathBuf {
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
        let links = WorkspaceLinks::new(HashMap::from([
            ("@acme/ui".to_owned(), PathBuf::from("/p/packages/ui")),
            ("utils".to_owned(), PathBuf::from("/p/packages/utils")),
        ]));
        ResolverFs::new(Arc::new(memory), Arc::new(links))
    }

    #[test]
    fn workspace_packages_appear_linked_in_every_node_modules() {
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
    fn other_paths_are_plain_files_and_directories() {
        let fs = fs();
        let file = fs
            .symlink_metadata(Path::new("/p/web/src/a.ts"))
            .expect("file");
        assert!(file.is_file() && !file.is_symlink());
        assert!(fs.metadata(Path::new("/p/web")).expect("dir").is_dir());
        assert!(fs.metadata(Path::new("/p/node_modules/react")).is_err());
        assert!(fs.metadata(Path::new("/p/node_modules/@other")).is_err());
        // Where a package manager would link workspace packages.
        for dir in [
            "/p/node_modules",
            "/p/web/src/node_modules",
            "/p/node_modules/@acme",
        ] {
            assert!(
                fs.metadata(Path::new(dir)).expect("a directory").is_dir(),
                "{dir}"
            );
        }
        assert!(fs.read_link(Path::new("/p/web/src/a.ts")).is_err());
        assert_eq!(
            fs.canonicalize(Path::new("/p/web/./src/../src/a.ts"))
                .expect("exists"),
            Path::new("/p/web/src/a.ts")
        );
    }
}
