//! The facade every front end calls: the CLI today, the language server and the runner later.
//!
//! [`Analysis`] knows every rule, applies the `[rules]` levels of `commerce.toml`, checks files in
//! parallel and drives the fix engine. It never fails on bad input: unreadable, oversized or
//! unparsable files and panicking rules all become diagnostics.

mod analyzer;
mod fix;
mod levels;
mod live;
mod render;
mod rules;
mod subcommands;
mod suppression;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use commerce_codemods::ContentHashes;
use commerce_diagnostics::render::Sources;
use commerce_diagnostics::{Diagnostic, RuleMeta, RuleRegistry, sort_and_dedup};
use commerce_project::{ChangeStatus, FileSystem, Inventory, Project};
use rayon::prelude::*;

pub use analyzer::{Analyzer, ProjectFindings, ProjectScope};
pub use commerce_frontend::{Route, RouteKind};
pub use subcommands::{
    ContractRoutes, ContractTest, ContractsDiff, Findings, FrontendRoutes, MigrationsVerify,
    frontend_graph,
};

/// What the front ends need of the contracts analyzer beyond findings: spec sources, the
/// oasdiff levels `contracts diff` gates on, and the contract test's transport and settings.
pub mod contracts {
    pub use commerce_contracts::contract_test::{
        Exchange, HttpExchange, HttpOptions, TestFlags, TestOptions, TestTarget,
    };
    pub use commerce_contracts::load::DEFAULT_MAX_SPEC_BYTES;
    pub use commerce_contracts::{Level, LoadError, Loaded, SourceReader, SpecSource, load::load};
}

/// What the front ends need of the migrations analyzer: the database the round trip runs on.
pub mod migrations {
    pub use commerce_migrations::{
        DEFAULT_PROBE_SEED, PostgresServer, VerifyError, VerifyOptions, VerifyReport,
    };
}

/// What the front ends need of the frontend analyzer beyond findings: the route table.
pub mod frontend {
    pub use commerce_frontend::{ModuleGraph, routes_json, routes_table};
}
pub use fix::FixRequest;
pub use live::{LiveCheck, LiveProject};
pub use rules::internal_error::panic_message;

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct CheckRequest {
    /// Files or directories, relative to the project root or absolute; empty means everything.
    pub paths: Vec<PathBuf>,
    /// Analyzers to run; empty means all.
    pub only: Vec<Analyzer>,
    /// Check only files changed since the merge base with this ref.
    pub base: Option<String>,
}

/// Everything a check found, with what is needed to render and fix it.
#[derive(Debug)]
pub struct CheckResult {
    pub diagnostics: Vec<Diagnostic>,
    /// The text of every checked file, keyed by project-relative path.
    pub sources: Sources,
    /// Content hashes at analysis time, so fixes never overwrite a file changed since.
    pub hashes: ContentHashes,
    pub files_checked: usize,
    /// Every file of the project inventory (the import graph needs them all when a fix is
    /// re-checked).
    pub project_files: Vec<PathBuf>,
    pub analyzers: Vec<Analyzer>,
    /// The frontend's routes, each OK or failing; `None` when the frontend analyzer did not run.
    pub routes: Option<Vec<Route>>,
    /// Work that was skipped and why, with how to fix it (the render step without Node or
    /// without the app's node_modules): shown to the user, never a failure.
    pub notices: Vec<String>,
    pub elapsed: Duration,
}

/// One file's current text, for [`Analysis::check_document`].
#[derive(Debug, Clone, Copy)]
pub struct Document<'a> {
    /// Project-relative.
    pub path: &'a Path,
    pub text: &'a str,
    /// Every file of the project, when whole-project analyzers should run too.
    pub project_files: Option<&'a [PathBuf]>,
}

/// Setup problems the user must fix before anything can be checked.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error(transparent)]
    Config(#[from] commerce_project::ConfigError),
    #[error(transparent)]
    Git(#[from] commerce_project::GitError),
}

/// Every rule of every analyzer, the rule levels of one project, and the checks themselves.
#[derive(Debug)]
pub struct Analysis {
    registry: RuleRegistry,
    levels: levels::RuleLevels,
}

/// Every rule the tool knows, whatever the project's configuration.
pub fn all_rules() -> Vec<RuleMeta> {
    let mut rules = rules::rules();
    rules.extend(
        analyzer::Analyzer::ALL
            .iter()
            .flat_map(|analyzer| analyzer.rules()),
    );
    rules
}

impl Analysis {
    /// The analysis for `project`; fails when `[rules]` names a rule that does not exist.
    pub fn new(project: &Project) -> Result<Self, AnalysisError> {
        let registry = RuleRegistry::new(all_rules());
        project.check_rule_ids(&registry)?;
        let levels = levels::RuleLevels::from_config(project.config());
        Ok(Self { registry, levels })
    }

    pub fn registry(&self) -> &RuleRegistry {
        &self.registry
    }

    /// Checks the project's files (or the requested subset) with the requested analyzers.
    pub fn check(
        &self,
        project: &Project,
        fs: Arc<dyn FileSystem>,
        request: &CheckRequest,
    ) -> Result<CheckResult, AnalysisError> {
        let started = Instant::now();
        let analyzers = analyzer::selected(&request.only);
        let claims = analyzer::Claims::new(project, fs.as_ref(), &analyzers);
        let scope = self.inventory(project, fs.as_ref(), request, &claims)?;
        let inventory = scope.checked();

        let mut diagnostics = Vec::new();
        let mut sources = Sources::default();
        let mut hashes = ContentHashes::default();
        let checked: Vec<_> = inventory
            .files
            .par_iter()
            .filter(|path| analyzers.iter().any(|analyzer| analyzer.wants(path)))
            .map(|path| self.check_one(project, fs.as_ref(), path, &analyzers))
            .collect();
        // Every file a selected analyzer read, per file or at project level.
        let files_checked = inventory.files.len();
        for file in checked {
            diagnostics.extend(file.diagnostics);
            if let Some(text) = file.text {
                hashes.record(&file.path, text.as_bytes());
                sources.insert(file.path, text);
            }
        }
        diagnostics.extend(rules::file_too_large::skipped_file_diagnostics(
            &inventory.skipped,
        ));
        let oversized = analyzer::oversized(&scope.whole);
        let project_scope = analyzer::ProjectScope {
            project,
            fs,
            files: &scope.whole.files,
            oversized: &oversized,
            selected: scope
                .selected
                .as_ref()
                .map(|selected| selected.files.as_slice()),
            base: request.base.as_deref(),
        };
        let (checked_files, routes, notices) = self.check_project(&project_scope, &analyzers);
        for found in checked_files {
            diagnostics.extend(found.diagnostics);
            if let Some(text) = found.text {
                hashes.record(&found.path, text.as_bytes());
                sources.insert(found.path, text);
            }
        }
        sort_and_dedup(&mut diagnostics);
        rules::unreadable_file::one_per_file(&mut diagnostics);
        Ok(CheckResult {
            diagnostics,
            sources,
            hashes,
            files_checked,
            project_files: scope.whole.files.clone(),
            analyzers,
            routes,
            notices,
            elapsed: started.elapsed(),
        })
    }

    /// The diagnostics of one file's text, with the project's rule levels applied. Panics in a
    /// rule become a `commerce/internal-error` diagnostic.
    pub fn check_text(&self, path: &Path, text: &str, analyzers: &[Analyzer]) -> Vec<Diagnostic> {
        let mut diagnostics = Vec::new();
        for analyzer in analyzers.iter().filter(|analyzer| analyzer.wants(path)) {
            match rules::internal_error::catch_rule_panic(|| analyzer.check_file(path, text)) {
                Ok(found) => diagnostics.extend(found),
                Err(panic_message) => diagnostics.push(rules::internal_error::panic_diagnostic(
                    *analyzer,
                    path,
                    &panic_message,
                )),
            }
        }
        self.finish_file(path, Some(text), &mut diagnostics);
        diagnostics
    }

    /// Everything the analyzers find in one file whose current text is `text` (an editor buffer,
    /// a fix in progress): its per-file findings, and the project-level findings about it
    /// computed with `text` in place of the file on disk. Analyzers that need the whole project
    /// (the import graph) run only when `project_files` lists it.
    pub fn check_document(
        &self,
        project: &Project,
        fs: Arc<dyn FileSystem>,
        document: Document<'_>,
        analyzers: &[Analyzer],
    ) -> Vec<Diagnostic> {
        let Document {
            path,
            text,
            project_files,
        } = document;
        let analyzers: Vec<Analyzer> = analyzers
            .iter()
            .copied()
            .filter(|analyzer| !analyzer.needs_whole_project() || project_files.is_some())
            .collect();
        let files = project_files.map_or_else(|| vec![path.to_path_buf()], <[PathBuf]>::to_vec);
        let live = LiveProject::with_files(fs, files);
        live.set_text(project, path, text);
        self.check_live(project, &live, path, &analyzers)
            .diagnostics
    }

    /// The project-level findings (a migration history, the import graph, spec drift), with
    /// suppressions and rule levels applied per file as for per-file findings, and the
    /// frontend's routes when it ran.
    fn check_project(
        &self,
        scope: &analyzer::ProjectScope<'_>,
        analyzers: &[Analyzer],
    ) -> (Vec<CheckedFile>, Option<Vec<Route>>, Vec<String>) {
        let mut by_path: std::collections::BTreeMap<PathBuf, Vec<Diagnostic>> = Default::default();
        let mut routes = None;
        let mut notices = Vec::new();
        for analyzer in analyzers {
            let found = self.project_findings(scope, *analyzer);
            routes = routes.or(found.routes);
            notices.extend(found.notices);
            for diagnostic in found.diagnostics {
                by_path
                    .entry(diagnostic.path.clone())
                    .or_default()
                    .push(diagnostic);
            }
        }
        let checked = by_path
            .into_iter()
            .map(|(path, mut diagnostics)| {
                let text = scope
                    .fs
                    .read_to_string(&scope.project.root().join(&path))
                    .ok();
                self.finish_file(&path, text.as_deref(), &mut diagnostics);
                CheckedFile {
                    path,
                    text,
                    diagnostics,
                }
            })
            .collect();
        (checked, routes, notices)
    }

    /// One project-level analyzer's raw findings; a panic becomes a finding on commerce.toml.
    fn project_findings(
        &self,
        scope: &analyzer::ProjectScope<'_>,
        analyzer: Analyzer,
    ) -> ProjectFindings {
        rules::internal_error::catch_rule_panic(|| analyzer.check_project(scope)).unwrap_or_else(
            |panic_message| {
                let path = subcommands::config_path(scope.project);
                vec![rules::internal_error::panic_diagnostic(
                    analyzer,
                    &path,
                    &panic_message,
                )]
                .into()
            },
        )
    }

    /// Suppression comments of the file, then the configured rule levels.
    fn finish_file(&self, path: &Path, text: Option<&str>, diagnostics: &mut Vec<Diagnostic>) {
        if let Some(text) = text {
            suppression::apply(path, text, diagnostics);
        }
        self.levels.apply(diagnostics);
    }

    /// The whole project's files (project-level analyzers need them all, e.g. for the import
    /// graph) and, when `PATHS` or `--base` narrow the check, the files selected.
    fn inventory(
        &self,
        project: &Project,
        fs: &dyn FileSystem,
        request: &CheckRequest,
        claims: &analyzer::Claims<'_>,
    ) -> Result<Scope, AnalysisError> {
        let root = project.root();
        let whole = claims.inventory(fs, root);
        let mut selected = (!request.paths.is_empty()).then(|| {
            let paths: Vec<PathBuf> = request.paths.iter().map(|path| root.join(path)).collect();
            commerce_project::inventory_claimed(fs, root, &paths, &|path| claims.claims(path))
        });
        if let Some(base) = &request.base {
            let changed: std::collections::HashSet<PathBuf> =
                commerce_project::changed_files(root, base)?
                    .into_iter()
                    .filter(|change| change.status != ChangeStatus::Deleted)
                    .map(|change| change.path)
                    .collect();
            let narrowed = selected.get_or_insert_with(|| whole.clone());
            narrowed.files.retain(|path| changed.contains(path));
            narrowed
                .skipped
                .retain(|skipped| changed.contains(&skipped.path));
        }
        Ok(Scope { whole, selected })
    }

    fn check_one(
        &self,
        project: &Project,
        fs: &dyn FileSystem,
        path: &Path,
        analyzers: &[Analyzer],
    ) -> CheckedFile {
        match fs.read_to_string(&project.root().join(path)) {
            Ok(text) => CheckedFile {
                diagnostics: self.check_text(path, &text, analyzers),
                path: path.to_path_buf(),
                text: Some(text),
            },
            Err(error) => CheckedFile {
                diagnostics: vec![rules::unreadable_file::diagnostic(path, &error)],
                path: path.to_path_buf(),
                text: None,
            },
        }
    }
}

/// The files of one check (see [`Analysis::inventory`]).
struct Scope {
    whole: Inventory,
    selected: Option<Inventory>,
}

impl Scope {
    /// The files the per-file analyzers check.
    fn checked(&self) -> &Inventory {
        self.selected.as_ref().unwrap_or(&self.whole)
    }
}

struct CheckedFile {
    path: PathBuf,
    text: Option<String>,
    diagnostics: Vec<Diagnostic>,
}
