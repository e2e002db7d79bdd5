//! Why fixing or writing fixes stopped.

use std::io;
use std::path::PathBuf;

use crate::edit::EditError;

/// Everything that stops the fix engine or the write of its result.
#[derive(Debug, thiserror::Error)]
pub enum FixError {
    #[error(
        "fixes of {rules} in {files} were still being produced after {passes} passes; a fix that keeps re-triggering its own diagnostic is a bug in that rule: report it, and run without --fix meanwhile",
        rules = .rules.join(", "),
        files = display_paths(.paths)
    )]
    TooManyPasses {
        passes: usize,
        paths: Vec<PathBuf>,
        rules: Vec<String>,
    },
    #[error(
        "the fix engine combined conflicting edits for {}: {source}; this is a bug in commerce_codemods, please report it",
        path.display()
    )]
    ConflictingEdits {
        path: PathBuf,
        #[source]
        source: EditError,
    },
    #[error("{} changed since it was analysed; re-run the check", path.display())]
    FileChanged { path: PathBuf },
    #[error(
        "{} was not part of the analysis (no content hash was recorded for it); re-run the check",
        path.display()
    )]
    NotAnalysed { path: PathBuf },
    #[error(
        "refusing to create {}: a file is already there (it was not analysed, or appeared since); re-run the check",
        path.display()
    )]
    AlreadyExists { path: PathBuf },
    #[error(
        "refusing to write {}: it is outside the project root {}; fixes only edit files inside the project",
        path.display(),
        root.display()
    )]
    OutsideRoot { path: PathBuf, root: PathBuf },
    #[error("cannot open the project root {}: {source}", root.display())]
    Root {
        root: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot read {} to check it is unchanged since analysis: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "cannot write {}: {source}; {}",
        path.display(),
        written_note(.written)
    )]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
        /// Files already written before the failure; a fix spanning them may be incomplete.
        written: Vec<PathBuf>,
    },
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|path| path.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn written_note(written: &[PathBuf]) -> String {
    if written.is_empty() {
        return "no file was changed".to_owned();
    }
    format!(
        "{} had already been written: review them with `git diff` before re-running",
        display_paths(written)
    )
}
