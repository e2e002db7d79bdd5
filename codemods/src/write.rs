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
/// `expected`. If any check fails nothing is written. Each file is then replaced atomically: a
/// temporary file in the same directory, written, given the original's permissions, synced and
/// renamed over the target (a symlink inside the root is followed, so the link is kept).
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
        .map(|(path, file)| plan_write(&root, path, &file.original, &file.fixed, expected))
        .collect::<Result<Vec<_>, _>>()?;
    let mut report = WriteReport::default();
    for write in planned {
        write_atomically(&write.target, write.contents.as_bytes()).map_err(|source| {
            FixError::Write {
                path: write.path.to_path_buf(),
                source,
                written: report.written.clone(),
            }
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
    let directory = target.parent().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the target has no parent directory",
        )
    })?;
    let permissions = fs::metadata(target)?.permissions();
    let mut temp = NamedTempFile::new_in(directory)?;
    temp.write_all(contents)?;
    temp.as_file().set_permissions(permissions)?;
    temp.as_file().sync_all()?;
    temp.persist(target).map_err(|error| error.error)?;
    sync_directory(directory)
}

/// Makes the rename itself durable.
#[cfg(unix)]
fn sync_directory(directory: &Path) -> io::Result<()> {
    fs::File::open(directory)?.sync_all()
}

#[cfg(not(unix))]
fn sync_directory(_directory: &Path) -> io::Result<()> {
    Ok(())
}
