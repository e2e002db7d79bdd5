//! Writing fixed files: only if unchanged since analysis, only inside the project root, atomically.

use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::FixError;
use crate::hash::{ContentHash, ContentHashes};
use crate::outcome::FixOutcome;

/// The files a write changed, by project-relative path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    pub written: Vec<PathBuf>,
}

/// Writes every changed file of `outcome` under `root`.
///
/// First checks every target: it must resolve inside `root` (no `..`, no absolute path, no
/// symlink leading out) and its bytes on disk must still have the hash recorded at analysis in
/// `expected`; a file a fix creates must not exist, and its directory must. If any check fails
/// nothing is written. Each file is then replaced atomically: a temporary file in the same
/// directory, written, given the original's permissions, synced and renamed over the target
/// (a symlink inside the root is followed, so the link is kept). A created file is linked into
/// place only if the name is still free, so it never replaces a file that appeared meanwhile.
pub fn write_outcome(
    root: &Path,
    outcome: &FixOutcome,
    expected: &ContentHashes,
) -> Result<WriteReport, FixError> {
    let root = fs::canonicalize(root).map_err(|source| FixError::Root {
        root: root.to_path_buf(),
        source,
    })?;
    let planned = outcome
        .changed_files()
        .map(|(path, file)| {
            if file.created {
                plan_creation(&root, path, &file.fixed)
            } else {
                plan_write(&root, path, &file.original, &file.fixed, expected)
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut report = WriteReport::default();
    for write in planned {
        let written = if write.created {
            create_atomically(&write.target, write.contents.as_bytes())
        } else {
            write_atomically(&write.target, write.contents.as_bytes())
        };
        written.map_err(|source| FixError::Write {
            path: write.path.to_path_buf(),
            source,
            written: report.written.clone(),
        })?;
        report.written.push(write.path.to_path_buf());
    }
    Ok(report)
}

/// One file that passed every check and may be written.
#[derive(Debug)]
struct PlannedWrite<'o> {
    path: &'o Path,
    /// Canonical, inside the root.
    target: PathBuf,
    contents: &'o str,
    created: bool,
}

fn plan_write<'o>(
    root: &Path,
    path: &'o Path,
    original: &str,
    contents: &'o str,
    expected: &ContentHashes,
) -> Result<PlannedWrite<'o>, FixError> {
    let target = resolve_inside(root, path)?;
    let expected_hash = expected.get(path).ok_or_else(|| FixError::NotAnalysed {
        path: path.to_path_buf(),
    })?;
    let on_disk = fs::read(&target).map_err(|source| FixError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    // The text that was fixed must be the analysed one, and the file must still hold it.
    let unchanged = ContentHash::of(&on_disk) == expected_hash
        && ContentHash::of(original.as_bytes()) == expected_hash;
    if !unchanged {
        return Err(FixError::FileChanged {
            path: path.to_path_buf(),
        });
    }
    Ok(PlannedWrite {
        path,
        target,
        contents,
        created: false,
    })
}

/// A file a fix creates: its directory resolves inside `root`, and nothing is at its name.
fn plan_creation<'o>(
    root: &Path,
    path: &'o Path,
    contents: &'o str,
) -> Result<PlannedWrite<'o>, FixError> {
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(FixError::OutsideRoot {
            path: path.to_path_buf(),
            root: root.to_path_buf(),
        });
    };
    let directory = if parent.as_os_str().is_empty() {
        root.to_path_buf()
    } else {
        resolve_inside(root, parent)?
    };
    let target = directory.join(name);
    if fs::symlink_metadata(&target).is_ok() {
        return Err(FixError::AlreadyExists {
            path: path.to_path_buf(),
        });
    }
    Ok(PlannedWrite {
        path,
        target,
        contents,
        created: true,
    })
}

/// The canonical path of project-relative `path`, refused unless it stays inside `root`
/// (itself canonical). A file deleted since analysis counts as changed.
fn resolve_inside(root: &Path, path: &Path) -> Result<PathBuf, FixError> {
    let outside = || FixError::OutsideRoot {
        path: path.to_path_buf(),
        root: root.to_path_buf(),
    };
    let plainly_relative = path
        .components()
        .all(|component| matches!(component, Component::Normal(_) | Component::CurDir));
    if !plainly_relative {
        return Err(outside());
    }
    let target = fs::canonicalize(root.join(path)).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => FixError::FileChanged {
            path: path.to_path_buf(),
        },
        _ => FixError::Read {
            path: path.to_path_buf(),
            source,
        },
    })?;
    if !target.starts_with(root) {
        return Err(outside());
    }
    Ok(target)
}

/// Replaces `target` by `contents` so that readers see the old file or the new one, never half.
fn write_atomically(target: &Path, contents: &[u8]) -> io::Result<()> {
    let permissions = fs::metadata(target)?.permissions();
    place(target, contents, Some(permissions), Placement::Replace)
}

/// Creates `target` with `contents`, whole or not at all, failing if something is at its name.
fn create_atomically(target: &Path, contents: &[u8]) -> io::Result<()> {
    // The temporary file is private (0600); a source file is readable like its neighbours.
    #[cfg(unix)]
    let permissions = {
        use std::os::unix::fs::PermissionsExt;
        Some(fs::Permissions::from_mode(NEW_FILE_MODE))
    };
    #[cfg(not(unix))]
    let permissions = None;
    place(target, contents, permissions, Placement::CreateOnly)
}

/// Whether [`place`] may replace a file at the target.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Placement {
    Replace,
    CreateOnly,
}

/// Writes `contents` to a temporary file beside `target`, syncs it, and renames it into place.
fn place(
    target: &Path,
    contents: &[u8],
    permissions: Option<fs::Permissions>,
    placement: Placement,
) -> io::Result<()> {
    let directory = target.parent().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the target has no parent directory",
        )
    })?;
    let mut temp = NamedTempFile::new_in(directory)?;
    temp.write_all(contents)?;
    if let Some(permissions) = permissions {
        temp.as_file().set_permissions(permissions)?;
    }
    temp.as_file().sync_all()?;
    let placed = match placement {
        Placement::Replace => temp.persist(target),
        Placement::CreateOnly => temp.persist_noclobber(target),
    };
    placed.map_err(|error| error.error)?;
    sync_directory(directory)
}

/// The permissions of a file a fix creates, as `touch` gives them under the usual umask.
#[cfg(unix)]
const NEW_FILE_MODE: u32 = 0o644;

/// Makes the rename itself durable.
#[cfg(unix)]
fn sync_directory(directory: &Path) -> io::Result<()> {
    fs::File::open(directory)?.sync_all()
}

#[cfg(not(unix))]
fn sync_directory(_directory: &Path) -> io::Result<()> {
    Ok(())
}
