//! [`LiveProject`]: what an editor session keeps between analyses, so that re-checking one
//! edited file costs about that file and not the whole project.
//!
//! The open documents' texts lie over the disk in one shared [`OverlayFs`]; the frontend's
//! import graph is loaded once ([`FrontendIndex`]) and updated with the files that changed
//! since the last analysis. The other project-level analyzers (migrations, contracts) read
//! few files and run whole each time.
//!
//! Invariant: [`Analysis::check_live`] on a path finds exactly what
//! [`Analysis::check_document`] finds on the same texts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use commerce_diagnostics::{Diagnostic, sort_and_dedup};
use commerce_frontend::FrontendIndex;
use commerce_project::{FileSystem, OverlayFs, Project};

use crate::analyzer::{Analyzer, ProjectScope};
use crate::{Analysis, rules};

/// One project as an editor sees it: the files on disk, the unsaved buffers over them, and
/// the frontend index built from both.
#[derive(Debug)]
pub struct LiveProject {
    overlay: Arc<OverlayFs>,
    /// Every file of the project inventory (project-relative), listed once.
    files: Vec<PathBuf>,
    frontend: Mutex<Frontend>,
}

#[derive(Debug, Default)]
enum Frontend {
    /// Not built yet, or dropped after a crash: the next analysis loads it.
    #[default]
    Unloaded,
    Loaded {
        index: Box<FrontendIndex>,
        /// Files whose text changed since the index last read them.
        stale: BTreeSet<PathBuf>,
    },
}

/// What [`Analysis::check_live`] found.
#[derive(Debug, Default)]
pub struct LiveCheck {
    /// The findings in the checked file, rule levels and suppressions applied.
    pub diagnostics: Vec<Diagnostic>,
    /// Other files whose project-level findings changed with this analysis (an edit here
    /// broke a cycle there), project-relative and sorted: an editor re-checks those it shows.
    pub also_changed: Vec<PathBuf>,
    /// The frontend index had to be built first (the first analysis, or after a file was
    /// created or deleted).
    pub indexed: bool,
}

impl LiveProject {
    /// The project's files on `base` (the disk), with no buffer open yet.
    pub fn new(project: &Project, base: Arc<dyn FileSystem>) -> Self {
        let files = commerce_project::inventory(base.as_ref(), project.root(), &[]).files;
        Self::with_files(base, files)
    }

    /// `files` (project-relative, sorted) on `base`, with no buffer open yet.
    pub(crate) fn with_files(base: Arc<dyn FileSystem>, files: Vec<PathBuf>) -> Self {
        Self {
            overlay: Arc::new(OverlayFs::new(base)),
            files,
            frontend: Mutex::default(),
        }
    }

    /// The project's files, project-relative and sorted.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The files as the analyses read them: the disk, with the open buffers over it.
    pub fn fs(&self) -> Arc<dyn FileSystem> {
        self.overlay.clone()
    }

    /// Whether the frontend index still has to be built (the next analysis will take longer).
    pub fn needs_indexing(&self) -> bool {
        matches!(*self.lock_frontend(), Frontend::Unloaded)
    }

    /// The buffer of the file at `path` (project-relative) now reads `text`.
    pub fn set_text(&self, project: &Project, path: &Path, text: &str) {
        self.overlay.set(project.root().join(path), text);
        self.mark_stale(path);
    }

    /// The buffer of `path` was closed: the file on disk shows through again.
    pub fn close(&self, project: &Project, path: &Path) {
        self.overlay.remove(&project.root().join(path));
        self.mark_stale(path);
    }

    /// The file at `path` changed on disk (created, changed or deleted outside the editor).
    pub fn changed_on_disk(&self, path: &Path) {
        self.mark_stale(path);
    }

    /// The project's files and the files that exist only as open buffers (new, unsaved).
    fn files_with_buffers(&self, project: &Project) -> Vec<PathBuf> {
        let buffers = self.overlay.paths().into_iter().filter_map(|path| {
            path.strip_prefix(project.root())
                .ok()
                .map(Path::to_path_buf)
        });
        let files: BTreeSet<PathBuf> = self.files.iter().cloned().chain(buffers).collect();
        files.into_iter().collect()
    }

    fn mark_stale(&self, path: &Path) {
        if let Frontend::Loaded { stale, .. } = &mut *self.lock_frontend() {
            stale.insert(path.to_path_buf());
        }
    }

    /// A poisoned lock means an update panicked half-way: the index is dropped and loaded
    /// again by the next analysis.
    fn lock_frontend(&self) -> std::sync::MutexGuard<'_, Frontend> {
        self.frontend.lock().unwrap_or_else(|poisoned| {
            let mut frontend = poisoned.into_inner();
            *frontend = Frontend::Unloaded;
            self.frontend.clear_poison();
            frontend
        })
    }
}

impl Analysis {
    /// Everything the analyzers find in the file at `path` (project-relative) as `live` has
    /// it now, like [`Analysis::check_document`] but with the frontend index kept between
    /// calls: only the files changed since the last call are read again.
    pub fn check_live(
        &self,
        project: &Project,
        live: &LiveProject,
        path: &Path,
        analyzers: &[Analyzer],
    ) -> LiveCheck {
        let fs = live.fs();
        let Ok(text) = fs.read_to_string(&project.root().join(path)) else {
            return LiveCheck::default();
        };
        let mut check = LiveCheck {
            diagnostics: self.check_text(path, &text, analyzers),
            ..LiveCheck::default()
        };
        let mut found = Vec::new();
        let selected = [path.to_path_buf()];
        let scope = ProjectScope {
            project,
            fs,
            files: &live.files,
            selected: Some(&selected),
            base: None,
        };
        for analyzer in analyzers
            .iter()
            .filter(|analyzer| analyzer.reports_on_project_file(path))
        {
            if *analyzer == Analyzer::Frontend {
                self.frontend_findings(project, live, path, &mut check, &mut found);
            } else {
                found.extend(
                    self.project_findings(&scope, *analyzer)
                        .diagnostics
                        .into_iter()
                        .filter(|diagnostic| diagnostic.path == path),
                );
            }
        }
        self.finish_file(path, Some(&text), &mut found);
        check.diagnostics.extend(found);
        sort_and_dedup(&mut check.diagnostics);
        check
    }

    /// The frontend index's findings in `path`, after bringing the index up to date.
    fn frontend_findings(
        &self,
        project: &Project,
        live: &LiveProject,
        path: &Path,
        check: &mut LiveCheck,
        found: &mut Vec<Diagnostic>,
    ) {
        let mut frontend = live.lock_frontend();
        let updated = rules::internal_error::catch_rule_panic(|| match &mut *frontend {
            Frontend::Unloaded => {
                let index = FrontendIndex::load(
                    live.fs(),
                    project.root(),
                    &live.files_with_buffers(project),
                    &project.config().frontend,
                );
                *frontend = Frontend::Loaded {
                    index: Box::new(index),
                    stale: BTreeSet::new(),
                };
                (Vec::new(), true)
            }
            Frontend::Loaded { index, stale } => {
                let stale: Vec<PathBuf> = std::mem::take(stale).into_iter().collect();
                let update = index.update(&stale);
                (update.changed, update.reloaded)
            }
        });
        match (updated, &*frontend) {
            (Ok((changed, indexed)), Frontend::Loaded { index, .. }) => {
                check.also_changed = changed.into_iter().filter(|file| file != path).collect();
                check.indexed = indexed;
                found.extend(index.diagnostics_in(path).iter().cloned());
                let skipped = index.skipped().iter().filter(|file| file.path == path);
                found.extend(rules::file_too_large::skipped_file_diagnostics(
                    &skipped.cloned().collect::<Vec<_>>(),
                ));
            }
            (Ok(_), Frontend::Unloaded) => {}
            (Err(message), _) => {
                *frontend = Frontend::Unloaded;
                found.push(rules::internal_error::panic_diagnostic(
                    Analyzer::Frontend,
                    path,
                    &message,
                ));
            }
        }
    }
}
