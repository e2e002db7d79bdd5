//! The analyses behind the subcommands other than `check` (`contracts diff|routes|test`,
//! `routes`, `migrations verify`, `graph`). Their findings take the road `check`'s take: each
//! analyzer runs under `catch_unwind` (a panic is a `commerce/internal-error` finding), then
//! `commerce-ignore` comments and the `[rules]` levels apply, and the result is sorted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use commerce_contracts::contract_test::{Exchange, TestOptions};
use commerce_contracts::routes::CodeRoute;
use commerce_contracts::{LoadError, Loaded, SourceReader, SpecSource};
use commerce_diagnostics::render::Sources;
use commerce_diagnostics::{Diagnostic, sort_and_dedup};
use commerce_frontend::{ModuleGraph, Route};
use commerce_migrations::{PostgresServer, VerifyError, VerifyOptions, VerifyReport};
use commerce_project::{Dialect, FileSystem, Project};

use crate::rules::internal_error::{catch_rule_panic, panic_diagnostic};
use crate::{Analysis, Analyzer};

/// A subcommand's findings, ready to render.
#[derive(Debug, Default)]
pub struct Findings {
    pub diagnostics: Vec<Diagnostic>,
    /// The texts the findings point into, by the path the findings use.
    pub sources: Sources,
}

/// `contracts diff`: the findings and how many documents the two specs have.
#[derive(Debug)]
pub struct ContractsDiff {
    pub findings: Findings,
    pub documents: usize,
}

/// `contracts routes`: the routes found in code and the route rules' findings.
#[derive(Debug)]
pub struct ContractRoutes {
    pub routes: Vec<CodeRoute>,
    pub findings: Findings,
}

/// `contracts test`: how many requests were sent, and what the responses broke.
#[derive(Debug)]
pub struct ContractTest {
    pub requests: usize,
    pub findings: Findings,
}

/// `routes`: the frontend's routes with their status and the route rules' findings (and the
/// render step's, when it ran).
#[derive(Debug)]
pub struct FrontendRoutes {
    pub routes: Vec<Route>,
    pub findings: Findings,
    /// Why routes were not rendered, with how to fix it.
    pub notices: Vec<String>,
}

/// `migrations verify`: the round trip's report, its diagnostics treated like `check`'s.
#[derive(Debug)]
pub struct MigrationsVerify {
    pub report: VerifyReport,
    pub findings: Findings,
}

/// The prefixes of the frontend rules that judge routes (`frontend/route-broken-import`, …,
/// and the render step's `frontend/render-error`, `frontend/render-console-error`).
const FRONTEND_ROUTE_RULES: [&str; 2] = ["frontend/route-", "frontend/render-"];

impl Analysis {
    /// `contracts diff BASE HEAD`: the breaking changes between two specs.
    ///
    /// # Errors
    /// When either spec cannot be read or parsed at all.
    pub fn contracts_diff(
        &self,
        reader: &SourceReader<'_>,
        base: &SpecSource,
        head: &SpecSource,
    ) -> Result<ContractsDiff, LoadError> {
        let diffed = catch_rule_panic(|| commerce_contracts::diff_sources(reader, base, head));
        let (base, head, diagnostics) = match diffed {
            Ok(result) => result?,
            Err(message) => {
                let path = PathBuf::from(head.to_string());
                return Ok(ContractsDiff {
                    findings: self.findings(vec![panic_diagnostic(
                        Analyzer::Contracts,
                        &path,
                        &message,
                    )]),
                    documents: 0,
                });
            }
        };
        // The head's files by path, the base's by source (`git:REF:path`), so both versions
        // of one file can be shown.
        let base_files = base
            .spec
            .documents
            .iter()
            .map(|document| (PathBuf::from(&document.source), document.text.clone()));
        let head_files = head
            .spec
            .documents
            .iter()
            .map(|document| (document.path.clone(), document.text.clone()));
        let sources: Sources = base_files.chain(head_files).collect();
        Ok(ContractsDiff {
            findings: self.finish_findings(diagnostics, sources),
            documents: base.spec.documents.len() + head.spec.documents.len(),
        })
    }

    /// `contracts routes`: the axum routes of `[contracts] routes` against `[contracts] specs`.
    pub fn contracts_routes(&self, project: &Project, fs: &dyn FileSystem) -> ContractRoutes {
        let claims = crate::analyzer::Claims::new(project, fs, &[Analyzer::Contracts]);
        let inventory = claims.inventory(fs, project.root());
        let oversized = crate::analyzer::oversized(&inventory);
        let files = crate::analyzer::with_oversized(&inventory.files, &oversized);
        let checked = catch_rule_panic(|| {
            commerce_contracts::check_routes(
                fs,
                project.root(),
                &files,
                &project.config().contracts,
            )
        });
        let (routes, diagnostics) = checked.unwrap_or_else(|message| {
            let crashed = panic_diagnostic(Analyzer::Contracts, &config_path(project), &message);
            (Vec::new(), vec![crashed])
        });
        ContractRoutes {
            routes,
            findings: self.finish_project_findings(project, fs, diagnostics),
        }
    }

    /// `contracts test`: every operation of `loaded` called through `exchange`.
    pub fn contract_test(
        &self,
        loaded: &Loaded,
        exchange: &mut dyn Exchange,
        options: &TestOptions,
    ) -> ContractTest {
        let sources: Sources = loaded
            .spec
            .documents
            .iter()
            .map(|document| (document.path.clone(), document.text.clone()))
            .collect();
        let tested = catch_rule_panic(|| {
            commerce_contracts::contract_test::run_contract_tests(loaded, exchange, options)
        });
        let (requests, diagnostics) = match tested {
            Ok(report) => (report.requests, report.diagnostics),
            Err(message) => {
                let path = loaded
                    .spec
                    .documents
                    .first()
                    .map_or_else(PathBuf::new, |document| document.path.clone());
                (
                    0,
                    vec![panic_diagnostic(Analyzer::Contracts, &path, &message)],
                )
            }
        };
        ContractTest {
            requests,
            findings: self.finish_findings(diagnostics, sources),
        }
    }

    /// `routes`: the frontend's routes and the findings of the route rules; with `render`,
    /// every route rendered on Node first (`routes --render`).
    pub fn frontend_routes(
        &self,
        project: &Project,
        fs: Arc<dyn FileSystem>,
        render: bool,
    ) -> FrontendRoutes {
        let reported = catch_rule_panic(|| frontend_report(project, Arc::clone(&fs), render));
        let (routes, diagnostics, notices) = match reported {
            Ok((report, notices)) => {
                let routes = report
                    .diagnostics
                    .into_iter()
                    .filter(|diagnostic| {
                        FRONTEND_ROUTE_RULES
                            .iter()
                            .any(|prefix| diagnostic.rule.starts_with(prefix))
                    })
                    .collect();
                (report.routes, routes, notices)
            }
            Err(message) => {
                let crashed = panic_diagnostic(Analyzer::Frontend, &config_path(project), &message);
                (Vec::new(), vec![crashed], Vec::new())
            }
        };
        FrontendRoutes {
            routes,
            findings: self.finish_project_findings(project, fs.as_ref(), diagnostics),
            notices,
        }
    }

    /// `migrations verify`: the round trip on `server` (Postgres) or in memory (SQLite, when
    /// `[migrations] dialect` says so; `server` is then not used).
    ///
    /// # Errors
    /// When the database cannot be set up or a step of the round trip cannot run at all.
    pub fn verify_migrations(
        &self,
        project: &Project,
        fs: &dyn FileSystem,
        server: Option<&PostgresServer>,
        options: &VerifyOptions,
    ) -> Result<MigrationsVerify, VerifyError> {
        let config = &project.config().migrations;
        let verified = catch_rule_panic(|| match (config.dialect, server) {
            (Dialect::Postgres, Some(server)) => {
                commerce_migrations::verify(fs, project.root(), config, server, options)
            }
            (Dialect::Postgres, None) => Err(VerifyError::UnsupportedDialect),
            _ => commerce_migrations::verify_sqlite(fs, project.root(), config, options),
        });
        let mut report = match verified {
            Ok(report) => report?,
            Err(message) => VerifyReport {
                diagnostics: vec![panic_diagnostic(
                    Analyzer::Migrations,
                    &config_path(project),
                    &message,
                )],
                ..VerifyReport::default()
            },
        };
        let diagnostics = std::mem::take(&mut report.diagnostics);
        Ok(MigrationsVerify {
            findings: self.finish_project_findings(project, fs, diagnostics),
            report,
        })
    }

    /// The findings of an analysis over project files, each file's texts read from `fs`.
    fn finish_project_findings(
        &self,
        project: &Project,
        fs: &dyn FileSystem,
        diagnostics: Vec<Diagnostic>,
    ) -> Findings {
        let mut paths: Vec<&Path> = diagnostics
            .iter()
            .flat_map(|diagnostic| {
                let edits = diagnostic
                    .fix
                    .iter()
                    .flat_map(|fix| fix.edits.iter().map(|edit| edit.path.as_path()));
                std::iter::once(diagnostic.path.as_path()).chain(edits)
            })
            .collect();
        paths.sort();
        paths.dedup();
        let sources: Sources = paths
            .into_iter()
            .filter_map(|path| {
                let text = fs.read_to_string(&project.root().join(path)).ok()?;
                Some((path.to_path_buf(), text))
            })
            .collect();
        self.finish_findings(diagnostics, sources)
    }

    /// What `check` does to its findings, for findings whose texts are in `sources`: each
    /// file's `commerce-ignore` comments, then the `[rules]` levels; sorted.
    pub fn finish_findings(&self, diagnostics: Vec<Diagnostic>, sources: Sources) -> Findings {
        let mut by_path: BTreeMap<PathBuf, Vec<Diagnostic>> = BTreeMap::new();
        for diagnostic in diagnostics {
            by_path
                .entry(diagnostic.path.clone())
                .or_default()
                .push(diagnostic);
        }
        let mut finished = Vec::new();
        for (path, mut diagnostics) in by_path {
            let text = sources.get(&path).map(|file| file.text.as_str());
            self.finish_file(&path, text, &mut diagnostics);
            finished.extend(diagnostics);
        }
        sort_and_dedup(&mut finished);
        Findings {
            diagnostics: finished,
            sources,
        }
    }

    fn findings(&self, diagnostics: Vec<Diagnostic>) -> Findings {
        self.finish_findings(diagnostics, Sources::default())
    }
}

/// `graph`: the import graph of the project's frontend.
pub fn frontend_graph(project: &Project, fs: Arc<dyn FileSystem>) -> ModuleGraph {
    frontend_report(project, fs, false).0.graph
}

fn frontend_report(
    project: &Project,
    fs: Arc<dyn FileSystem>,
    render: bool,
) -> (commerce_frontend::FrontendReport, Vec<String>) {
    let files = commerce_project::inventory(fs.as_ref(), project.root(), &[]).files;
    crate::render::frontend_report(
        fs,
        project.root(),
        &files,
        &project.config().frontend,
        render,
    )
}

/// Where a finding about the whole project goes: its commerce.toml.
pub(crate) fn config_path(project: &Project) -> PathBuf {
    project.config_path().map_or_else(
        || PathBuf::from(commerce_project::CONFIG_FILE_NAME),
        |config| project.relative(config),
    )
}
