//! The contracts analysis of a whole project, as `cargo commerce check` runs it: every spec of
//! `[contracts] specs` loaded (its issues reported), diffed against the same file at the base
//! ref, and matched against the routes of the files `[contracts] routes` names.

use std::path::{Path, PathBuf};

use commerce_diagnostics::Diagnostic;
use commerce_project::{ContractsConfig, FileSystem};
use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::load::{self, DEFAULT_MAX_SPEC_BYTES, Loaded};
use crate::report;
use crate::routes::{self, CodeRoute, RustFile};
use crate::rules::{operation_without_route, route_missing_from_spec, unparsable_route_file};
use crate::source::{SourceReader, SpecSource};

/// Every contracts finding of the project at `root`: spec issues, the breaking changes of each
/// spec since `base_ref` (default: `[contracts] base`; none when neither is set), and routes
/// in code against the specs. `files` are the project's files (relative to `root`, as the
/// shared inventory lists them: this analysis never walks the tree itself); paths in findings
/// are relative to `root` too. Bad input (a spec that does not parse, a Rust file that does
/// not) is a diagnostic or nothing, never an error.
pub fn check_project(
    fs: &dyn FileSystem,
    root: &Path,
    files: &[PathBuf],
    config: &ContractsConfig,
    base_ref: Option<&str>,
) -> Vec<Diagnostic> {
    let reader = SourceReader {
        fs,
        root,
        max_bytes: DEFAULT_MAX_SPEC_BYTES,
    };
    let base_ref = base_ref.or(config.base.as_deref());
    let mut diagnostics = Vec::new();
    let mut heads = Vec::new();
    for path in matching(files, &config.specs) {
        let head = match load::load(&reader, &SpecSource::Path(path.clone())) {
            Ok(head) => head,
            Err(error) => {
                diagnostics.extend(error.to_diagnostic().map(|(diagnostic, _)| diagnostic));
                continue;
            }
        };
        diagnostics.extend(
            head.issues
                .iter()
                .map(|issue| report::issue_diagnostic(issue, &head.spec)),
        );
        if let Some(reference) = base_ref {
            diagnostics.extend(drift_since(&reader, reference, &path, &head));
        }
        heads.push(head);
    }
    let (code, problems) = project_routes(fs, root, files, config);
    diagnostics.extend(problems);
    diagnostics.extend(route_diagnostics(&code, &heads, config));
    diagnostics
}

/// Routes in code against the specs only (what `cargo commerce contracts routes` reports): the routes
/// found, and the diagnostics of the route rules (plus `contracts/invalid-spec` for a spec that
/// cannot be loaded). `files` as for [`check_project`].
pub fn check_routes(
    fs: &dyn FileSystem,
    root: &Path,
    files: &[PathBuf],
    config: &ContractsConfig,
) -> (Vec<CodeRoute>, Vec<Diagnostic>) {
    let reader = SourceReader {
        fs,
        root,
        max_bytes: DEFAULT_MAX_SPEC_BYTES,
    };
    let mut diagnostics = Vec::new();
    let mut heads = Vec::new();
    for path in matching(files, &config.specs) {
        match load::load(&reader, &SpecSource::Path(path)) {
            Ok(head) => {
                // A spec problem (a `servers` URL that is not one) explains a mismatch.
                diagnostics.extend(
                    head.issues
                        .iter()
                        .map(|issue| report::issue_diagnostic(issue, &head.spec)),
                );
                heads.push(head);
            }
            Err(error) => {
                diagnostics.extend(error.to_diagnostic().map(|(diagnostic, _)| diagnostic))
            }
        }
    }
    let (code, problems) = project_routes(fs, root, files, config);
    diagnostics.extend(problems);
    diagnostics.extend(route_diagnostics(&code, &heads, config));
    (code, diagnostics)
}

/// Both route rules; nothing when no route was found (no `[contracts] routes`, or no router in
/// those files), since every operation would then look unserved. Routes without any spec
/// configured are one note on how to configure one, not a warning per route; routes whose
/// specs all failed to load are not compared (the load errors are reported).
fn route_diagnostics(
    code: &[CodeRoute],
    heads: &[Loaded],
    config: &ContractsConfig,
) -> Vec<Diagnostic> {
    let Some(first) = code.first() else {
        return Vec::new();
    };
    if config.specs.is_empty() {
        return vec![route_missing_from_spec::no_spec(first, code.len())];
    }
    if heads.is_empty() {
        return Vec::new();
    }
    let specs: Vec<&Loaded> = heads.iter().collect();
    let mut diagnostics = route_missing_from_spec::check(code, &specs);
    diagnostics.extend(operation_without_route::check(code, &specs));
    diagnostics
}

/// The breaking changes of the spec at `path` since `reference`; none when the spec is new (or
/// its base version cannot be read).
fn drift_since(
    reader: &SourceReader<'_>,
    reference: &str,
    path: &Path,
    head: &Loaded,
) -> Vec<Diagnostic> {
    let source = SpecSource::Git {
        reference: reference.to_owned(),
        path: path.to_path_buf(),
    };
    let Ok(base) = load::load(reader, &source) else {
        return Vec::new();
    };
    crate::diff::diff(&base.spec, &head.spec)
        .iter()
        .map(|finding| report::finding_diagnostic(finding, &base.spec, &head.spec))
        .collect()
}

/// The routes the project's code serves (see [`routes::code_routes`]), and a
/// `contracts/unparsable-route-file` finding for each file that could not be read as Rust;
/// nothing when `[contracts] routes` names no files. `files` as for [`check_project`].
pub fn project_routes(
    fs: &dyn FileSystem,
    root: &Path,
    files: &[PathBuf],
    config: &ContractsConfig,
) -> (Vec<CodeRoute>, Vec<Diagnostic>) {
    if config.routes.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let mut rust_files = Vec::new();
    let mut problems = Vec::new();
    for path in matching(files, &config.routes) {
        let text = match fs.read_to_string(&root.join(&path)) {
            Ok(text) => text,
            Err(error) => {
                problems.push(unparsable_route_file::unreadable(&path, &error));
                continue;
            }
        };
        match commerce_rust::file_routes(&text) {
            Ok(routes) => rust_files.push(RustFile { path, routes }),
            Err(error) => problems.push(unparsable_route_file::diagnostic(&path, &error)),
        }
    }
    (routes::code_routes(&rust_files), problems)
}

/// Which project files the contracts analysis reads: the specs and the route files that
/// `[contracts]` names.
#[derive(Debug)]
pub struct ContractFiles {
    specs: GlobSet,
    routes: GlobSet,
    patterns: Vec<String>,
}

impl ContractFiles {
    pub fn new(config: &ContractsConfig) -> Self {
        Self {
            specs: glob_set(&config.specs),
            routes: glob_set(&config.routes),
            patterns: config.specs.iter().chain(&config.routes).cloned().collect(),
        }
    }

    /// Where every claimed file lies (project-relative directories and files: each pattern's
    /// part before its first wildcard), so only those places need listing; `None` when a
    /// pattern starts with a wildcard and a file may be anywhere.
    pub fn places(&self) -> Option<Vec<PathBuf>> {
        self.patterns
            .iter()
            .map(|pattern| {
                let literal = commerce_project::glob_literal_prefix(pattern);
                (!literal.as_os_str().is_empty()).then_some(literal)
            })
            .collect()
    }

    /// Whether the project-relative `path` is a spec or a route file.
    pub fn claims(&self, path: &Path) -> bool {
        self.specs.is_match(path) || self.routes.is_match(path)
    }
}

/// The files matching any of `patterns` (validated when the config was loaded; an invalid
/// one matches nothing).
fn matching(files: &[PathBuf], patterns: &[String]) -> Vec<PathBuf> {
    let set = glob_set(patterns);
    files
        .iter()
        .filter(|path| set.is_match(path))
        .cloned()
        .collect()
}

fn glob_set(patterns: &[String]) -> GlobSet {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        if let Ok(glob) = Glob::new(pattern) {
            builder.add(glob);
        }
    }
    builder.build().unwrap_or_else(|_| GlobSet::empty())
}
