//! The analyzers `check --only` can select, and which files and rules each one owns.

use std::path::Path;

use std::path::PathBuf;
use std::sync::Arc;

use commerce_diagnostics::{Diagnostic, RuleMeta};
use commerce_project::{FileSystem, Project};

/// What a project-level analyzer sees: the project, its files, and which of them the user
/// asked about (`None`: everything).
#[derive(Debug)]
pub struct ProjectScope<'a> {
    pub project: &'a Project,
    /// Shared, because the frontend's resolver keeps its file system for as long as it lives.
    pub fs: Arc<dyn FileSystem>,
    /// Every file of the project inventory (project-relative).
    pub files: &'a [PathBuf],
    /// The inventory files (project-relative) selected by `PATHS` or `--base`.
    pub selected: Option<&'a [PathBuf]>,
    /// `--base`: the ref changes are measured against (contracts diff the specs with it).
    pub base: Option<&'a str>,
}

/// What a project-level analyzer found.
#[derive(Debug, Default)]
pub struct ProjectFindings {
    pub diagnostics: Vec<Diagnostic>,
    /// The frontend's routes, each OK or with its problems (only the frontend finds routes).
    pub routes: Option<Vec<commerce_frontend::Route>>,
    /// What the user should know about work that was skipped (the render step without Node).
    pub notices: Vec<String>,
}

impl From<Vec<Diagnostic>> for ProjectFindings {
    fn from(diagnostics: Vec<Diagnostic>) -> Self {
        Self {
            diagnostics,
            routes: None,
            notices: Vec::new(),
        }
    }
}

/// One family of rules over one kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Analyzer {
    /// TypeScript/JavaScript: import graph, cycles, routes, props.
    Frontend,
    /// OpenAPI specs and the routes in code.
    Contracts,
    /// SQL migrations.
    Migrations,
    /// The test suite itself, in every language.
    Tests,
}

impl Analyzer {
    pub const ALL: [Analyzer; 4] = [
        Analyzer::Frontend,
        Analyzer::Contracts,
        Analyzer::Migrations,
        Analyzer::Tests,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Analyzer::Frontend => "frontend",
            Analyzer::Contracts => "contracts",
            Analyzer::Migrations => "migrations",
            Analyzer::Tests => "tests",
        }
    }

    /// The rules this analyzer runs. Empty for an analyzer that is not built yet.
    pub fn rules(self) -> Vec<RuleMeta> {
        match self {
            Analyzer::Frontend => {
                let mut rules = commerce_frontend::rules();
                rules.extend(commerce_render::rules());
                rules
            }
            Analyzer::Contracts => commerce_contracts::rules(),
            Analyzer::Migrations => commerce_migrations::rules(),
            Analyzer::Tests => commerce_testsuite::rules(),
        }
    }

    /// True when the analyzer has at least one rule.
    pub fn is_available(self) -> bool {
        !self.rules().is_empty()
    }

    /// Whether this analyzer reads `path` at all.
    pub fn wants(self, path: &Path) -> bool {
        match self {
            Analyzer::Frontend | Analyzer::Contracts | Analyzer::Migrations => false,
            Analyzer::Tests => {
                commerce_frontend::parse::is_frontend_source(path)
                    || path.extension().is_some_and(|extension| extension == "rs")
            }
        }
    }

    /// Runs the analyzer's project-level rules once (nothing for purely per-file analyzers).
    pub fn check_project(self, scope: &ProjectScope<'_>) -> ProjectFindings {
        match self {
            Analyzer::Migrations => commerce_migrations::lint(
                scope.fs.as_ref(),
                scope.project.root(),
                &scope.project.config().migrations,
                &commerce_migrations::LintScope {
                    only: scope.selected,
                    base: scope.base,
                    files: scope.files,
                },
            )
            .into(),
            Analyzer::Contracts => commerce_contracts::check_project(
                scope.fs.as_ref(),
                scope.project.root(),
                &scope.project.config().contracts,
                scope.base,
            )
            .into(),
            Analyzer::Frontend => {
                let config = &scope.project.config().frontend;
                let (report, notices) = crate::render::frontend_report(
                    Arc::clone(&scope.fs),
                    scope.project.root(),
                    scope.files,
                    config,
                    config.render.enabled,
                );
                let mut diagnostics = report.diagnostics;
                diagnostics.extend(crate::rules::file_too_large::skipped_file_diagnostics(
                    &report.skipped,
                ));
                ProjectFindings {
                    diagnostics,
                    routes: Some(report.routes),
                    notices,
                }
            }
            Analyzer::Tests => ProjectFindings::default(),
        }
    }

    /// Whether the project-level rules need every file of the project (the import graph) and
    /// not only the file being re-checked.
    pub fn needs_whole_project(self) -> bool {
        self == Analyzer::Frontend
    }

    /// Whether the analyzer's project-level rules can report on `path`, so an edited text of it
    /// must be re-checked at project level.
    pub fn reports_on_project_file(self, path: &Path) -> bool {
        match self {
            // Migrations, and the Rust files whose sqlx queries are checked against them.
            Analyzer::Migrations => has_extension(path, &["sql", "rs"]),
            // Specs, and the Rust files whose routes are matched against them.
            Analyzer::Contracts => has_extension(path, &["yaml", "yml", "json", "rs"]),
            Analyzer::Frontend => commerce_frontend::is_frontend_source(path),
            Analyzer::Tests => false,
        }
    }

    /// Whether the analyzer reads `path` at all, per file or at project level: where a changed
    /// file outside the Rust packages goes (`test --changed`, `watch`).
    pub fn reads(self, path: &Path) -> bool {
        self.wants(path) || self.reports_on_project_file(path)
    }

    /// Runs the analyzer's per-file rules over one file.
    pub fn check_file(self, path: &Path, text: &str) -> Vec<Diagnostic> {
        match self {
            Analyzer::Frontend | Analyzer::Contracts | Analyzer::Migrations => Vec::new(),
            Analyzer::Tests => commerce_testsuite::check_file(path, text),
        }
    }
}

/// Which project files the selected analyzers read, under the project's configuration. Only
/// these are listed, measured and read, so an image or a font is never a finding and
/// `--only X` touches only what X reads.
pub(crate) struct Claims<'a> {
    analyzers: &'a [Analyzer],
    frontend: &'a commerce_project::FrontendConfig,
    contracts: commerce_contracts::ContractFiles,
    migrations_dir: PathBuf,
}

impl<'a> Claims<'a> {
    pub(crate) fn new(project: &'a Project, analyzers: &'a [Analyzer]) -> Self {
        let config = project.config();
        Self {
            analyzers,
            frontend: &config.frontend,
            contracts: commerce_contracts::ContractFiles::new(&config.contracts),
            migrations_dir: commerce_project::lexically_normal(
                &commerce_migrations::migrations_dir(&config.migrations),
            ),
        }
    }

    /// Whether a selected analyzer reads the project-relative `path`.
    pub(crate) fn claims(&self, path: &Path) -> bool {
        self.analyzers.iter().any(|analyzer| match analyzer {
            // The sources, and the manifests that make workspace packages resolvable.
            Analyzer::Frontend => {
                commerce_frontend::is_analyzed_source(path, self.frontend)
                    || path.file_name().is_some_and(|name| name == "package.json")
            }
            Analyzer::Contracts => self.contracts.claims(path),
            // The migrations, and the Rust files whose sqlx queries may name dropped columns.
            Analyzer::Migrations => {
                path.starts_with(&self.migrations_dir) || has_extension(path, &["rs"])
            }
            Analyzer::Tests => analyzer.wants(path),
        })
    }
}

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| extensions.contains(&extension))
}

/// The analyzers a request names, or all of them.
pub(crate) fn selected(only: &[Analyzer]) -> Vec<Analyzer> {
    if only.is_empty() {
        Analyzer::ALL.to_vec()
    } else {
        let mut analyzers = only.to_vec();
        analyzers.sort();
        analyzers.dedup();
        analyzers
    }
}
