//! Content hashes recorded at analysis time, so a fix never overwrites a file changed since.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The BLAKE3 hash of a file's bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentHash(blake3::Hash);

impl ContentHash {
    pub fn of(bytes: &[u8]) -> Self {
        Self(blake3::hash(bytes))
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({})", self.0.to_hex())
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_hex())
    }
}

/// The content hash of every analysed file, keyed by project-relative path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentHashes(BTreeMap<PathBuf, ContentHash>);

impl ContentHashes {
    /// Records the hash of `bytes` as the analysed content of `path`.
    pub fn record(&mut self, path: &Path, bytes: &[u8]) {
        self.0.insert(path.to_path_buf(), ContentHash::of(bytes));
    }

    pub fn get(&self, path: &Path) -> Option<ContentHash> {
        self.0.get(path).copied()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(PathBuf, ContentHash)> for ContentHashes {
    fn from_iter<I: IntoIterator<Item = (PathBuf, ContentHash)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_bytes_hash_equal_and_different_bytes_differ() {
        assert_eq!(ContentHash::of(b"abc"), ContentHash::of(b"abc"));
        assert_ne!(ContentHash::of(b"abc"), ContentHash::of(b"abd"));
    }

    #[test]
    fn recorded_hashes_are_found_by_path() {
        let mut hashes = ContentHashes::default();
        hashes.record(Path::new("web/a.ts"), b"export {}");
        assert_eq!(hashes.len(), 1);
        assert_eq!(
            hashes.get(Path::new("web/a.ts")),
            Some(ContentHash::of(b"export {}"))
        );
        assert_eq!(hashes.get(Path::new("web/b.ts")), None);
    }

    #[test]
    fn displays_as_hex() {
        let shown = ContentHash::of(b"").to_string();
        assert_eq!(shown.len(), 64);
        assert!(shown.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
