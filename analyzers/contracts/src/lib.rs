//! OpenAPI contracts: a located, lenient loader for OpenAPI 3.0/3.1 ([`load`]), a `$ref`-aware
//! structural diff that reports oasdiff's checks ([`diff`]), and the diagnostics both become.
//!
//! ```text
//! text ──yaml──▶ located tree ──load──▶ Spec (schemas in an arena, $refs followed)
//! Spec × Spec ──diff──▶ Findings (oasdiff id + level) ──report──▶ Diagnostics
//! ```

pub mod conformance;
pub mod contract_test;
pub mod diff;
pub mod load;
pub mod model;
pub mod project;
pub mod report;
pub mod routes;
pub mod rules;
pub mod source;
pub mod stub;
pub mod yaml;

use commerce_diagnostics::{Diagnostic, RuleMeta};

pub use diff::{Finding, Level};
pub use load::{LoadError, LoadIssue, Loaded};
pub use project::{ContractFiles, check_project, check_routes, project_routes};
pub use source::{SourceReader, SpecSource};

/// The metadata of every rule this crate reports.
pub fn rules() -> Vec<RuleMeta> {
    let mut rules: Vec<RuleMeta> = rules::RULES.iter().map(|rule| rule.meta).collect();
    rules.extend(rules::oasdiff::CHECKS.iter().map(|check| check.meta));
    rules
}

/// The diff of two loaded specs as diagnostics in the head spec, after the issues the loader
/// found in either (each once, in the spec it is about).
pub fn diff_loaded(base: &Loaded, head: &Loaded) -> Vec<Diagnostic> {
    let mut diagnostics: Vec<Diagnostic> = base
        .issues
        .iter()
        .map(|issue| report::issue_diagnostic(issue, &base.spec))
        .chain(
            head.issues
                .iter()
                .map(|issue| report::issue_diagnostic(issue, &head.spec)),
        )
        .collect();
    diagnostics.extend(
        diff::diff(&base.spec, &head.spec)
            .iter()
            .map(|finding| report::finding_diagnostic(finding, &base.spec, &head.spec)),
    );
    diagnostics
}

/// Loads both sources and diffs them.
///
/// # Errors
/// When either spec cannot be loaded at all (see [`LoadError`]).
pub fn diff_sources(
    reader: &SourceReader<'_>,
    base: &SpecSource,
    head: &SpecSource,
) -> Result<(Loaded, Loaded, Vec<Diagnostic>), LoadError> {
    // The two specs are independent: load them on two threads.
    let (base, head) = std::thread::scope(|scope| {
        let base = scope.spawn(|| load::load(reader, base));
        let head = load::load(reader, head);
        (join_loader(base), head)
    });
    let (base, head) = (base?, head?);
    let diagnostics = diff_loaded(&base, &head);
    Ok((base, head, diagnostics))
}

/// The result of a loader thread; a panic inside it is resumed on the caller's thread, as if
/// the load had run there.
fn join_loader(
    handle: std::thread::ScopedJoinHandle<'_, Result<Loaded, LoadError>>,
) -> Result<Loaded, LoadError> {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}
