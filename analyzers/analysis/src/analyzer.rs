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
    /// Inventory files over its size limit (reported as `commerce/file-too-large`): a spec may
    /// be larger, and the contracts analyzer loads one up to its own limit.
    pub oversized: &'a [PathBuf],
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
                &with_oversized(scope.files, scope.oversized),
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
    /// Where the Rust files Cargo builds lie (`None`: anywhere), read only when migrations run.
    rust_places: Option<Vec<PathBuf>>,
}

impl<'a> Claims<'a> {
    pub(crate) fn new(
        project: &'a Project,
        fs: &dyn FileSystem,
        analyzers: &'a [Analyzer],
    ) -> Self {
        let config = project.config();
        let rust_places = if analyzers.contains(&Analyzer::Migrations) {
            commerce_project::rust_places(fs, project.root())
        } else {
            None
        };
        Self {
            analyzers,
            frontend: &config.frontend,
            contracts: commerce_contracts::ContractFiles::new(&config.contracts),
            migrations_dir: commerce_project::lexically_normal(
                &commerce_migrations::migrations_dir(&config.migrations),
            ),
            rust_places,
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
            // The migrations, and the Rust files (those Cargo builds) whose sqlx queries may
            // name dropped columns.
            Analyzer::Migrations => {
                path.starts_with(&self.migrations_dir)
                    || (has_extension(path, &["rs"])
                        && commerce_project::is_in_places(path, self.rust_places.as_deref()))
            }
            Analyzer::Tests => analyzer.wants(path),
        })
    }
}

/// `files` and the `oversized` ones, sorted (borrowed when nothing is oversized).
pub(crate) fn with_oversized<'a>(
    files: &'a [PathBuf],
    oversized: &[PathBuf],
) -> std::borrow::Cow<'a, [PathBuf]> {
    if oversized.is_empty() {
        return std::borrow::Cow::Borrowed(files);
    }
    let mut all: Vec<PathBuf> = files.iter().chain(oversized).cloned().collect();
    all.sort();
    std::borrow::Cow::Owned(all)
}

/// The project-relative paths of the files an inventory skipped for their size.
pub(crate) fn oversized(inventory: &commerce_project::Inventory) -> Vec<PathBuf> {
    inventory
        .skipped
        .iter()
        .filter(|skipped| {
            matches!(
                skipped.reason,
                commerce_project::SkipReason::TooLarge { .. }
            )
        })
        .map(|skipped| skipped.path.clone())
        .collect()
}

impl Claims<'_> {
    /// Where the selected analyzers' files can lie (project-relative), or `None` when some
    /// may be anywhere: the frontend reads every `package.json` and the test-suite rules
    /// every test file; migrations read their directory and the Rust files of the places the
    /// root `Cargo.toml` names (anywhere without one).
    fn places(&self) -> Option<Vec<PathBuf>> {
        let mut places = Vec::new();
        for analyzer in self.analyzers {
            match analyzer {
                Analyzer::Contracts => places.extend(self.contracts.places()?),
                Analyzer::Migrations => {
                    places.push(self.migrations_dir.clone());
                    places.extend(self.rust_places.clone()?);
                }
                Analyzer::Frontend | Analyzer::Tests => return None,
            }
        }
        Some(places)
    }

    /// The claimed files of the project at `root`, listing only the places they can lie in.
    pub(crate) fn inventory(
        &self,
        fs: &dyn FileSystem,
        root: &Path,
    ) -> commerce_project::Inventory {
        let claims = |path: &Path| self.claims(path);
        match self.places() {
            Some(places) => commerce_project::inventory_claimed_in(fs, root, &places, &claims),
            None => commerce_project::inventory_claimed(fs, root, &[], &claims),
        }
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

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::Mutex;

    use commerce_project::{Config, FileSystem, Listing, MemoryFs, Project};

    use super::*;
    use crate::{Analysis, CheckRequest};

    /// A file system that records the root of every walk.
    #[derive(Debug)]
    struct RecordsWalks {
        files: MemoryFs,
        walked: Mutex<Vec<PathBuf>>,
    }

    impl FileSystem for RecordsWalks {
        fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
            self.files.read(path)
        }
        fn is_file(&self, path: &Path) -> bool {
            self.files.is_file(path)
        }
        fn is_dir(&self, path: &Path) -> bool {
            self.files.is_dir(path)
        }
        fn file_len(&self, path: &Path) -> io::Result<u64> {
            self.files.file_len(path)
        }
        fn walk(&self, root: &Path) -> io::Result<Listing> {
            self.walked
                .lock()
                .expect("not poisoned")
                .push(root.to_path_buf());
            self.files.walk(root)
        }
    }

    const SPEC: &str = "openapi: 3.0.3\ninfo: {title: shop, version: '1'}\npaths:\n  /orders:\n    get:\n      responses:\n        '200': {description: ok}\n";
    const ROUTES: &str = "fn app() -> axum::Router {\n    axum::Router::new().route(\"/orders\", axum::routing::get(list))\n}\n";

    #[test]
    fn only_contracts_lists_only_the_places_its_globs_name_and_never_walks_again() {
        let config = Config::parse(
            "[contracts]\nspecs = [\"api/*.yaml\"]\nroutes = [\"server/src/**/*.rs\"]\n",
            Path::new("commerce.toml"),
        )
        .expect("valid config");
        let project = Project::new("/p", config);
        let fs = Arc::new(RecordsWalks {
            files: MemoryFs::new()
                .with_file("/p/api/openapi.yaml", SPEC)
                .with_file("/p/server/src/main.rs", ROUTES)
                .with_file("/p/web/app.ts", "export const a = 1;\n")
                .with_file("/p/migrations/1_init.sql", "CREATE TABLE t (id int);\n"),
            walked: Mutex::new(Vec::new()),
        });
        let request = CheckRequest {
            only: vec![Analyzer::Contracts],
            ..CheckRequest::default()
        };
        let result = Analysis::new(&project)
            .expect("known rules")
            .check(&project, Arc::clone(&fs) as Arc<dyn FileSystem>, &request)
            .expect("checks");
        assert_eq!(result.diagnostics, []);
        assert_eq!(
            result.project_files,
            [
                PathBuf::from("api/openapi.yaml"),
                PathBuf::from("server/src/main.rs")
            ]
        );
        assert_eq!(
            *fs.walked.lock().expect("not poisoned"),
            [PathBuf::from("/p/api"), PathBuf::from("/p/server/src")]
        );
    }

    #[test]
    fn a_pattern_that_starts_with_a_wildcard_lists_the_whole_tree() {
        let config = Config::parse(
            "[contracts]\nspecs = [\"**/openapi.yaml\"]\n",
            Path::new("commerce.toml"),
        )
        .expect("valid config");
        let project = Project::new("/p", config);
        let claims = Claims::new(&project, &MemoryFs::new(), &[Analyzer::Contracts]);
        assert_eq!(claims.places(), None);
        let fs = MemoryFs::new()
            .with_file("/p/deep/api/openapi.yaml", SPEC)
            .with_file("/p/web/app.ts", "");
        assert_eq!(
            claims.inventory(&fs, Path::new("/p")).files,
            [PathBuf::from("deep/api/openapi.yaml")]
        );
    }

    /// `(rule, path)` of each migrations finding of a check with `only`.
    fn migration_findings(
        project: &Project,
        fs: &Arc<RecordsWalks>,
        only: Vec<Analyzer>,
    ) -> Vec<(String, String)> {
        let request = CheckRequest {
            only,
            ..CheckRequest::default()
        };
        let result = Analysis::new(project)
            .expect("known rules")
            .check(project, Arc::clone(fs) as Arc<dyn FileSystem>, &request)
            .expect("checks");
        result
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.rule.starts_with("migrations/"))
            .map(|diagnostic| {
                let path = diagnostic.path.display().to_string();
                (diagnostic.rule.clone(), path)
            })
            .collect()
    }

    #[test]
    fn only_migrations_lists_its_directory_and_the_rust_places_of_the_manifest() {
        let query = r#"fn note() { sqlx::query!("SELECT note FROM orders"); }"#;
        let fs = Arc::new(RecordsWalks {
            files: MemoryFs::new()
                .with_file(
                    "/p/Cargo.toml",
                    "[package]\nname = \"shop\"\n\n[workspace]\nmembers = [\"crates/*\"]\n",
                )
                .with_file(
                    "/p/migrations/20240101000000_note.sql",
                    "ALTER TABLE orders DROP COLUMN note;\n",
                )
                .with_file("/p/src/orders.rs", query)
                .with_file("/p/fixtures/not_built.rs", query)
                .with_file("/p/web/app.ts", "export const a = 1;\n"),
            walked: Mutex::new(Vec::new()),
        });
        let project = Project::new("/p", Config::default());
        let only = migration_findings(&project, &fs, vec![Analyzer::Migrations]);
        // (The lint discovers its migrations by walking their directory itself, as `verify`.)
        let mut walked = fs.walked.lock().expect("not poisoned").clone();
        walked.sort();
        walked.dedup();
        assert_eq!(
            walked,
            [PathBuf::from("/p/migrations"), PathBuf::from("/p/src")]
        );
        assert!(
            only.contains(&(
                "migrations/code-references-dropped-column".to_owned(),
                "src/orders.rs".to_owned()
            )),
            "{only:?}"
        );
        // A full check walks everything and finds exactly the same migration findings.
        assert_eq!(migration_findings(&project, &fs, Vec::new()), only);
    }

    #[test]
    fn a_spec_over_the_inventory_size_limit_is_reported_and_still_compared() {
        let config = Config::parse(
            "[contracts]\nspecs = [\"api/*.yaml\"]\nroutes = [\"src/**/*.rs\"]\n",
            Path::new("commerce.toml"),
        )
        .expect("valid config");
        let project = Project::new("/p", config);
        let padding = "x".repeat(3 * 1024 * 1024);
        let spec = SPEC.replace(
            "version: '1'",
            &format!("version: '1', description: '{padding}'"),
        );
        let routes = ROUTES.replace(
            ".route(\"/orders\", axum::routing::get(list))",
            ".route(\"/orders\", axum::routing::get(list)).route(\"/carts\", axum::routing::get(list))",
        );
        let fs = MemoryFs::new()
            .with_file("/p/api/openapi.yaml", spec)
            .with_file("/p/src/main.rs", routes);
        let request = CheckRequest {
            only: vec![Analyzer::Contracts],
            ..CheckRequest::default()
        };
        let result = Analysis::new(&project)
            .expect("known rules")
            .check(&project, Arc::new(fs), &request)
            .expect("checks");
        let found: Vec<(String, String)> = result
            .diagnostics
            .iter()
            .map(|diagnostic| {
                (
                    diagnostic.rule.clone(),
                    diagnostic.path.display().to_string(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    "commerce/file-too-large".to_owned(),
                    "api/openapi.yaml".to_owned()
                ),
                (
                    "contracts/route-missing-from-spec".to_owned(),
                    "src/main.rs".to_owned()
                ),
            ]
        );
    }
}
