//! The project an editor session serves.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use commerce_analysis::{Analysis, LiveProject};
use commerce_project::{Config, OsFs, Project};
use lsp_types::Uri;

use crate::convert;
use crate::uri::path_from_uri;

/// The project and the analysis configured for it, replaced whole when commerce.toml changes.
#[derive(Debug)]
pub(super) struct Workspace {
    pub(super) project: Project,
    pub(super) analysis: Analysis,
    /// The open buffers over the disk, and the frontend index kept between analyses.
    pub(super) live: LiveProject,
}

impl Workspace {
    /// The project at `root` with its commerce.toml; the error says what is wrong with it.
    pub(super) fn load(root: &Path) -> Result<Self, String> {
        let project = Project::discover(root).map_err(|error| error.to_string())?;
        let analysis = Analysis::new(&project).map_err(|error| error.to_string())?;
        Ok(Self::of(project, analysis))
    }

    pub(super) fn of(project: Project, analysis: Analysis) -> Self {
        let live = LiveProject::new(&project, Arc::new(OsFs));
        Self {
            project,
            analysis,
            live,
        }
    }

    /// The project at `root` with the default configuration.
    pub(super) fn with_defaults(root: &Path) -> Self {
        let project = Project::new(root, Config::default());
        let analysis = Analysis::new(&project)
            .expect("the default configuration names no rules, so it is always valid");
        Self::of(project, analysis)
    }

    /// The project-relative path of a document.
    pub(super) fn relative(&self, uri: &Uri) -> Option<PathBuf> {
        Some(convert::relative_path(
            self.project.root(),
            &path_from_uri(uri)?,
        ))
    }

    /// The project's files, with `path` among them (an unsaved new file joins them).
    pub(super) fn files_with(&self, path: &Path) -> Vec<PathBuf> {
        let mut files = self.live.files().to_vec();
        if let Err(index) = files.binary_search_by(|file| file.as_path().cmp(path)) {
            files.insert(index, path.to_path_buf());
        }
        files
    }
}
