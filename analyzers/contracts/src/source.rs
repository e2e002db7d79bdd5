//! Where a spec's text comes from: a file read through the [`FileSystem`], or a file as it is in
//! a git revision (`git:REF:path`, read with `git show REF:path`).

use std::fmt;
use std::path::{Component, Path, PathBuf};

use commerce_project::{FileSystem, GitError};

/// A spec file, on disk or in git.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SpecSource {
    /// A path, relative to the project root or absolute.
    Path(PathBuf),
    /// `path` (relative to the repository root) as it is at `reference`.
    Git { reference: String, path: PathBuf },
}

impl SpecSource {
    /// Reads `git:REF:path` as a git source and anything else as a path.
    pub fn parse(text: &str) -> Self {
        if let Some(rest) = text.strip_prefix("git:")
            && let Some((reference, path)) = rest.split_once(':')
            && !reference.is_empty()
            && !path.is_empty()
        {
            return SpecSource::Git {
                reference: reference.to_owned(),
                path: PathBuf::from(path),
            };
        }
        SpecSource::Path(PathBuf::from(text))
    }

    /// The file `reference` (a relative path from a `$ref`) names, next to this one.
    pub fn sibling(&self, reference: &str) -> Self {
        let join = |path: &Path| normalize(&path.parent().unwrap_or(Path::new("")).join(reference));
        match self {
            SpecSource::Path(path) => SpecSource::Path(join(path)),
            SpecSource::Git {
                reference: rev,
                path,
            } => SpecSource::Git {
                reference: rev.clone(),
                path: join(path),
            },
        }
    }

    /// The path reports show for this source.
    pub fn display_path(&self) -> PathBuf {
        match self {
            SpecSource::Path(path) => path.clone(),
            SpecSource::Git { path, .. } => path.clone(),
        }
    }
}

impl fmt::Display for SpecSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecSource::Path(path) => write!(f, "{}", path.display()),
            SpecSource::Git { reference, path } => {
                write!(f, "git:{reference}:{}", path.display())
            }
        }
    }
}

/// `a/./b/../c` as `a/c`, without touching the disk (the file may only exist in git).
fn normalize(path: &Path) -> PathBuf {
    let mut normalized = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !normalized.pop() {
                    normalized.push("..");
                }
            }
            other => normalized.push(other),
        }
    }
    normalized
}

/// Why a spec's text could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {source_name}: {error}")]
    Io {
        source_name: String,
        #[source]
        error: std::io::Error,
    },
    #[error(
        "{source_name} is {size} bytes; specs over {limit} bytes are not read (split it into files joined by $ref)"
    )]
    TooLarge {
        source_name: String,
        size: u64,
        limit: u64,
    },
    #[error("{source_name} is not valid UTF-8; save it as UTF-8")]
    NotUtf8 { source_name: String },
    #[error("git not found on PATH; install git to read `{source_name}`")]
    GitMissing { source_name: String },
    #[error("`git show {object}` failed: {stderr}; check the ref and the path")]
    Git { object: String, stderr: String },
}

/// Reads spec sources relative to a project root.
#[derive(Clone, Copy, Debug)]
pub struct SourceReader<'a> {
    pub fs: &'a dyn FileSystem,
    /// Relative paths and git commands are resolved from here.
    pub root: &'a Path,
    pub max_bytes: u64,
}

impl SourceReader<'_> {
    /// The text of `source`.
    ///
    /// # Errors
    /// When the file cannot be read, is larger than `max_bytes`, is not UTF-8, or git cannot
    /// show it.
    pub fn read(&self, source: &SpecSource) -> Result<String, ReadError> {
        let source_name = source.to_string();
        let bytes = match source {
            SpecSource::Path(path) => {
                let path = self.root.join(path);
                let io = |error| ReadError::Io {
                    source_name: source_name.clone(),
                    error,
                };
                let size = self.fs.file_len(&path).map_err(io)?;
                self.check_size(&source_name, size)?;
                self.fs.read(&path).map_err(io)?
            }
            SpecSource::Git { reference, path } => self.git_show(reference, path, &source_name)?,
        };
        self.check_size(&source_name, bytes.len() as u64)?;
        String::from_utf8(bytes).map_err(|_| ReadError::NotUtf8 { source_name })
    }

    fn check_size(&self, source_name: &str, size: u64) -> Result<(), ReadError> {
        if size > self.max_bytes {
            return Err(ReadError::TooLarge {
                source_name: source_name.to_owned(),
                size,
                limit: self.max_bytes,
            });
        }
        Ok(())
    }

    fn git_show(
        &self,
        reference: &str,
        path: &Path,
        source_name: &str,
    ) -> Result<Vec<u8>, ReadError> {
        let object = format!("{reference}:{}", path.to_string_lossy().replace('\\', "/"));
        commerce_project::git_show(self.root, &object).map_err(|error| match error {
            GitError::NotInstalled => ReadError::GitMissing {
                source_name: source_name.to_owned(),
            },
            GitError::CommandFailed { stderr, .. } => ReadError::Git { object, stderr },
            other => ReadError::Git {
                object,
                stderr: other.to_string(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_sources_and_paths_parse() {
        assert_eq!(
            SpecSource::parse("git:origin/main:api/openapi.yaml"),
            SpecSource::Git {
                reference: "origin/main".to_owned(),
                path: PathBuf::from("api/openapi.yaml")
            }
        );
        assert_eq!(
            SpecSource::parse("api/openapi.yaml"),
            SpecSource::Path(PathBuf::from("api/openapi.yaml"))
        );
        assert_eq!(
            SpecSource::parse("git:HEAD"),
            SpecSource::Path(PathBuf::from("git:HEAD"))
        );
    }

    #[test]
    fn siblings_resolve_next_to_the_file() {
        let source = SpecSource::parse("git:HEAD:api/v1/openapi.yaml");
        assert_eq!(
            source.sibling("../common/schemas.yaml").to_string(),
            "git:HEAD:api/common/schemas.yaml"
        );
        let source = SpecSource::parse("openapi.yaml");
        assert_eq!(
            source.sibling("./schemas/pet.yaml"),
            SpecSource::Path(PathBuf::from("schemas/pet.yaml"))
        );
    }
}
