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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use commerce_diagnostics::{Diagnostic, sort_and_dedup};
use commerce_frontend::FrontendIndex;
use commerce_project::{FileSystem, OverlayFs, Project};

use crate::analyzer::{Analyzer, ProjectScope};
use crate::{Analysis, rules};

/// One project as an editor sees it: the files on disk, the unsaved buffers over them, and
/// the frontend index built from both.
///
/// Invariant: the editor's thread never waits for an analysis. Marking a file stale takes only
/// the `stale` lock, held for one insert; the index's lock is held by analyses alone.
#[derive(Debug)]
pub struct LiveProject {
    overlay: Arc<OverlayFs>,
    /// Every file of the project inventory (project-relative, sorted), listed again by the
    /// next analysis after a file is created or deleted.
    files: RwLock<Arc<[PathBuf]>>,
    /// The inventory's files over its size limit (a spec may be larger: contracts load it).
    oversized: RwLock<Arc<[PathBuf]>>,
    /// A file was created or deleted since the inventory was listed.
    relist: AtomicBool,
    /// `None` until the first analysis builds it, and again after an update crashed.
    frontend: Mutex<Option<Box<FrontendIndex>>>,
    /// Files whose text changed since the index last read them.
    stale: Mutex<BTreeSet<PathBuf>>,
    /// Whether the index is built, readable without waiting for an analysis.
    indexed: AtomicBool,
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
        let inventory = commerce_project::inventory(base.as_ref(), project.root(), &[]);
        let oversized = crate::analyzer::oversized(&inventory);
        let live = Self::with_files(base, inventory.files);
        *live
            .oversized
            .write()
            .unwrap_or_else(PoisonError::into_inner) = oversized.into();
        live
    }

    /// `files` (project-relative, sorted) on `base`, with no buffer open yet.
    pub(crate) fn with_files(base: Arc<dyn FileSystem>, files: Vec<PathBuf>) -> Self {
        Self {
            overlay: Arc::new(OverlayFs::new(base)),
            files: RwLock::new(files.into()),
            oversized: RwLock::new(Arc::new([])),
            relist: AtomicBool::new(false),
            frontend: Mutex::default(),
            stale: Mutex::default(),
            indexed: AtomicBool::new(false),
        }
    }

    /// The project's files, project-relative and sorted (shared: every analysis asks).
    pub fn files(&self) -> Arc<[PathBuf]> {
        Arc::clone(&self.files.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The files as the analyses read them: the disk, with the open buffers over it.
    pub fn fs(&self) -> Arc<dyn FileSystem> {
        self.overlay.clone()
    }

    /// Whether the frontend index still has to be built (the next analysis will take longer).
    pub fn needs_indexing(&self) -> bool {
        !self.indexed.load(Ordering::Acquire)
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

    /// The file at `path` changed on disk outside the editor.
    pub fn changed_on_disk(&self, path: &Path) {
        self.mark_stale(path);
    }

    /// The file at `path` was created or deleted outside the editor. The next analysis lists
    /// the project's files again and updates the index with it (on its own thread: the
    /// editor's thread only takes note).
    pub fn created_or_deleted_on_disk(&self, path: &Path) {
        self.relist.store(true, Ordering::Release);
        self.mark_stale(path);
    }

    /// Lists the project's files again if one was created or deleted since the last listing.
    fn relist_files(&self, project: &Project) {
        if self.relist.swap(false, Ordering::AcqRel) {
            let inventory = commerce_project::inventory(self.overlay.as_ref(), project.root(), &[]);
            *self
                .oversized
                .write()
                .unwrap_or_else(PoisonError::into_inner) =
                crate::analyzer::oversized(&inventory).into();
            *self.files.write().unwrap_or_else(PoisonError::into_inner) = inventory.files.into();
        }
    }

    /// The project's files and the files that exist only as open buffers (new, unsaved).
    fn files_with_buffers(&self, project: &Project) -> Vec<PathBuf> {
        let buffers = self.overlay.paths().into_iter().filter_map(|path| {
            path.strip_prefix(project.root())
                .ok()
                .map(Path::to_path_buf)
        });
        let files: BTreeSet<PathBuf> = self.files().iter().cloned().chain(buffers).collect();
        files.into_iter().collect()
    }

    /// Even before the index is built: a load under way may have read the old text.
    fn mark_stale(&self, path: &Path) {
        self.stale
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(path.to_path_buf());
    }

    /// The files changed since the last call that are the project's (listed, or open
    /// buffers) or were and are gone: a change to a gitignored file changes nothing.
    fn take_stale_project_files(&self, project: &Project) -> Vec<PathBuf> {
        let stale = std::mem::take(&mut *self.stale.lock().unwrap_or_else(PoisonError::into_inner));
        if stale.is_empty() {
            return Vec::new();
        }
        let files = self.files();
        let buffers = self.overlay.paths();
        stale
            .into_iter()
            .filter(|path| {
                let absolute = project.root().join(path);
                files.binary_search(path).is_ok()
                    || buffers.contains(&absolute)
                    || !self.overlay.is_file(&absolute)
            })
            .collect()
    }

    /// A poisoned lock means an update panicked half-way: the index is dropped and loaded
    /// again by the next analysis.
    fn lock_frontend(&self) -> MutexGuard<'_, Option<Box<FrontendIndex>>> {
        self.frontend.lock().unwrap_or_else(|poisoned| {
            let mut frontend = poisoned.into_inner();
            *frontend = None;
            self.indexed.store(false, Ordering::Release);
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
        live.relist_files(project);
        let files = live.files();
        let oversized = Arc::clone(
            &live
                .oversized
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        );
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
            files: &files,
            oversized: &oversized,
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
        let updated = rules::internal_error::catch_rule_panic(|| {
            let stale = live.take_stale_project_files(project);
            match frontend.as_mut() {
                None => {
                    let index = FrontendIndex::load(
                        live.fs(),
                        project.root(),
                        &live.files_with_buffers(project),
                        &project.config().frontend,
                    );
                    *frontend = Some(Box::new(index));
                    live.indexed.store(true, Ordering::Release);
                    (Vec::new(), true)
                }
                Some(index) => {
                    let update = index.update(&stale);
                    (update.changed, update.reloaded)
                }
            }
        });
        match (updated, frontend.as_ref()) {
            (Ok((changed, indexed)), Some(index)) => {
                check.also_changed = changed.into_iter().filter(|file| file != path).collect();
                check.indexed = indexed;
                found.extend(index.diagnostics_in(path).iter().cloned());
                let skipped = index.skipped().iter().filter(|file| file.path == path);
                found.extend(rules::file_too_large::skipped_file_diagnostics(
                    &skipped.cloned().collect::<Vec<_>>(),
                ));
            }
            (Ok(_), None) => {}
            (Err(message), _) => {
                *frontend = None;
                live.indexed.store(false, Ordering::Release);
                found.push(rules::internal_error::panic_diagnostic(
                    Analyzer::Frontend,
                    path,
                    &message,
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use commerce_project::{Config, MemoryFs};

    use super::*;
    use crate::Document;

    const A: &str = "import { b } from \"./b\";\nexport const a = () => b;\n";
    const B: &str = "import { a } from \"./a\";\nexport const b = () => a;\n";

    fn rules(diagnostics: &[Diagnostic]) -> Vec<&str> {
        diagnostics
            .iter()
            .map(|diagnostic| diagnostic.rule.as_str())
            .collect()
    }

    #[test]
    fn edits_update_the_index_and_find_what_a_fresh_check_finds() {
        let files = |b: &str| -> MemoryFs {
            [("/p/web/a.ts", A), ("/p/web/b.ts", b)]
                .into_iter()
                .collect()
        };
        let project = Project::new("/p", Config::default());
        let analysis = Analysis::new(&project).expect("default config");
        let live = LiveProject::new(&project, Arc::new(files(B)));
        let a = Path::new("web/a.ts");
        assert!(live.needs_indexing());

        let first = analysis.check_live(&project, &live, a, &Analyzer::ALL);
        assert!(first.indexed);
        assert!(!live.needs_indexing());
        assert_eq!(rules(&first.diagnostics), ["frontend/import-cycle"]);

        // b.ts no longer imports a.ts, in an unsaved buffer.
        let edited = "export const b = () => 1;\n";
        live.set_text(&project, Path::new("web/b.ts"), edited);
        let second = analysis.check_live(&project, &live, a, &Analyzer::ALL);
        assert!(!second.indexed);
        assert_eq!(rules(&second.diagnostics), Vec::<&str>::new());

        let fresh = analysis.check_document(
            &project,
            Arc::new(files(edited)),
            Document {
                path: a,
                text: A,
                project_files: Some(&live.files()),
            },
            &Analyzer::ALL,
        );
        assert_eq!(second.diagnostics, fresh);

        // Closing the buffer brings the disk's b.ts back, and the cycle with it.
        live.close(&project, Path::new("web/b.ts"));
        let third = analysis.check_live(&project, &live, a, &Analyzer::ALL);
        assert_eq!(rules(&third.diagnostics), ["frontend/import-cycle"]);
    }

    fn frontend_rules(analysis: &Analysis, project: &Project, live: &LiveProject) -> Vec<String> {
        let check = analysis.check_live(project, live, Path::new("web/a.ts"), &Analyzer::ALL);
        check
            .diagnostics
            .iter()
            .map(|diagnostic| format!("{}: {}", diagnostic.rule, diagnostic.message))
            .collect()
    }

    #[test]
    fn files_created_and_deleted_on_disk_update_the_index_and_the_file_list() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("web")).expect("web dir");
        std::fs::write(root.join(".gitignore"), "web/generated/\n").expect("gitignore");
        std::fs::write(root.join("web/a.ts"), "import { c } from \"./c\";\nc();\n").expect("a.ts");
        let project = Project::new(root, Config::default());
        let analysis = Analysis::new(&project).expect("default config");
        let live = LiveProject::new(&project, Arc::new(commerce_project::OsFs));
        let unresolved = frontend_rules(&analysis, &project, &live);
        assert_eq!(unresolved.len(), 1, "{unresolved:?}");
        assert!(
            unresolved[0].starts_with("frontend/unresolved-import"),
            "{unresolved:?}"
        );

        std::fs::write(root.join("web/c.ts"), "export const c = () => 1;\n").expect("c.ts");
        live.created_or_deleted_on_disk(Path::new("web/c.ts"));
        // A file the inventory ignores does not join the project.
        std::fs::create_dir_all(root.join("web/generated")).expect("generated dir");
        std::fs::write(root.join("web/generated/x.ts"), "export const x = 1;\n").expect("x.ts");
        live.created_or_deleted_on_disk(Path::new("web/generated/x.ts"));
        assert_eq!(
            frontend_rules(&analysis, &project, &live),
            Vec::<String>::new()
        );
        assert!(live.files().contains(&PathBuf::from("web/c.ts")));
        assert!(!live.files().contains(&PathBuf::from("web/generated/x.ts")));

        std::fs::remove_file(root.join("web/c.ts")).expect("delete c.ts");
        live.created_or_deleted_on_disk(Path::new("web/c.ts"));
        assert_eq!(frontend_rules(&analysis, &project, &live), unresolved);
        assert!(!live.files().contains(&PathBuf::from("web/c.ts")));
    }

    #[test]
    fn a_tsconfig_changed_on_disk_changes_how_imports_resolve() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("web/lib")).expect("web dir");
        let tsconfig = |target: &str| {
            format!(
                r#"{{ "compilerOptions": {{ "baseUrl": ".", "paths": {{ "@/*": ["{target}"] }} }} }}"#
            )
        };
        std::fs::write(root.join("tsconfig.json"), tsconfig("web/lib/*")).expect("tsconfig");
        std::fs::write(root.join("web/a.ts"), "import { b } from \"@/b\";\nb();\n").expect("a.ts");
        std::fs::write(root.join("web/lib/b.ts"), "export const b = () => 1;\n").expect("b.ts");
        let project = Project::new(root, Config::default());
        let analysis = Analysis::new(&project).expect("default config");
        let live = LiveProject::new(&project, Arc::new(commerce_project::OsFs));
        assert_eq!(
            frontend_rules(&analysis, &project, &live),
            Vec::<String>::new()
        );

        std::fs::write(root.join("tsconfig.json"), tsconfig("web/missing/*")).expect("tsconfig");
        live.changed_on_disk(Path::new("tsconfig.json"));
        let broken = frontend_rules(&analysis, &project, &live);
        assert_eq!(broken.len(), 1, "{broken:?}");
        assert!(
            broken[0].starts_with("frontend/unresolved-import"),
            "{broken:?}"
        );
    }
}
