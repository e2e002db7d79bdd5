//! [`OverlayFs`]: another file system with some files' text replaced, for analysing unsaved
//! editor buffers and the texts of a fix in progress as if they were on disk.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

use super::{EntryKind, FileSystem, Listing};

/// `base` with the files of `overlay` (absolute paths, as `base` spells them) replaced by
/// their text. Files only in the overlay are listed too.
///
/// The texts can change while the overlay is shared (`set` and `remove` take `&self`): the
/// language server keeps one behind an `Arc` for its open documents, and the analyses it
/// hands the overlay to see each buffer as it is now.
#[derive(Debug)]
pub struct OverlayFs {
    base: Arc<dyn FileSystem>,
    overlay: RwLock<BTreeMap<PathBuf, String>>,
}

impl OverlayFs {
    pub fn new(base: Arc<dyn FileSystem>) -> Self {
        Self {
            base,
            overlay: RwLock::default(),
        }
    }

    /// Replaces (or adds) the file at `path` with `text`.
    pub fn set(&self, path: impl Into<PathBuf>, text: impl Into<String>) {
        self.overlay
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(path.into(), text.into());
    }

    /// Drops the text of `path`: the base file system's file shows through again.
    pub fn remove(&self, path: &Path) {
        self.overlay
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(path);
    }

    /// The files the overlay holds a text for, sorted.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.texts().keys().cloned().collect()
    }

    /// A poisoned lock still holds whole texts (every write is one insert or remove).
    fn texts(&self) -> RwLockReadGuard<'_, BTreeMap<PathBuf, String>> {
        self.overlay.read().unwrap_or_else(PoisonError::into_inner)
    }
}

impl FileSystem for OverlayFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.texts().get(path) {
            Some(text) => Ok(text.as_bytes().to_vec()),
            None => self.base.read(path),
        }
    }

    fn is_file(&self, path: &Path) -> bool {
        self.texts().contains_key(path) || self.base.is_file(path)
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.base.is_dir(path)
            || self
                .texts()
                .keys()
                .any(|file| file.starts_with(path) && file != path)
    }

    fn entry_kind(&self, path: &Path) -> Option<EntryKind> {
        let texts = self.texts();
        if texts.contains_key(path) {
            return Some(EntryKind::File);
        }
        self.base.entry_kind(path).or_else(|| {
            texts
                .keys()
                .any(|file| file.starts_with(path) && file != path)
                .then_some(EntryKind::Dir)
        })
    }

    fn file_len(&self, path: &Path) -> io::Result<u64> {
        match self.texts().get(path) {
            Some(text) => Ok(text.len() as u64),
            None => self.base.file_len(path),
        }
    }

    fn walk(&self, root: &Path) -> io::Result<Listing> {
        let mut listing = match self.base.walk(root) {
            Ok(listing) => listing,
            Err(error) if error.kind() == io::ErrorKind::NotFound && self.is_dir(root) => {
                Listing::default()
            }
            Err(error) => return Err(error),
        };
        let added = self
            .texts()
            .keys()
            .filter(|file| file.starts_with(root))
            .filter(|file| listing.files.binary_search(file).is_err())
            .cloned()
            .collect::<Vec<_>>();
        listing.files.extend(added);
        listing.files.sort();
        Ok(listing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryFs;

    #[test]
    fn overlay_texts_win_and_new_files_are_listed() {
        let base: MemoryFs = [("/p/a.sql", "old"), ("/p/b.sql", "b")]
            .into_iter()
            .collect();
        let overlay = OverlayFs::new(Arc::new(base));
        overlay.set("/p/a.sql", "new");
        overlay.set("/p/new/c.sql", "c");
        assert_eq!(
            overlay.read_to_string(Path::new("/p/a.sql")).unwrap(),
            "new"
        );
        assert_eq!(overlay.read_to_string(Path::new("/p/b.sql")).unwrap(), "b");
        assert_eq!(overlay.file_len(Path::new("/p/a.sql")).unwrap(), 3);
        assert!(overlay.is_dir(Path::new("/p/new")));
        assert_eq!(
            overlay.entry_kind(Path::new("/p/new/c.sql")),
            Some(EntryKind::File)
        );
        assert_eq!(
            overlay.entry_kind(Path::new("/p/new")),
            Some(EntryKind::Dir)
        );
        assert_eq!(
            overlay.entry_kind(Path::new("/p/b.sql")),
            Some(EntryKind::File)
        );
        assert_eq!(overlay.entry_kind(Path::new("/p/none.sql")), None);
        let files = overlay.walk(Path::new("/p")).unwrap().files;
        assert_eq!(
            files,
            [
                PathBuf::from("/p/a.sql"),
                PathBuf::from("/p/b.sql"),
                PathBuf::from("/p/new/c.sql")
            ]
        );
        overlay.remove(Path::new("/p/a.sql"));
        assert_eq!(
            overlay.read_to_string(Path::new("/p/a.sql")).unwrap(),
            "old"
        );
        assert_eq!(overlay.paths(), [PathBuf::from("/p/new/c.sql")]);
    }
}
