//! Driving the fix engine: which texts it may change, how it re-parses and re-analyses.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use commerce_codemods::{FixError, FixHost, FixOptions, FixOutcome, WriteReport};
use commerce_project::Project;

use crate::{Analysis, Analyzer, CheckResult};

/// Which fixes to apply.
#[derive(Debug, Clone, Copy, Default)]
pub struct FixRequest {
    /// Also apply unsafe fixes (`--unsafe-fixes`).
    pub unsafe_fixes: bool,
}

impl Analysis {
    /// Applies the fixes of `result` in memory, in passes, re-parsing and re-analysing every
    /// changed file. Writes nothing: see [`Analysis::write_fixes`].
    pub fn fix(&self, result: &CheckResult, request: FixRequest) -> Result<FixOutcome, FixError> {
        let sources = fixable_sources(result);
        let mut host = AnalysisFixHost {
            analysis: self,
            analyzers: &result.analyzers,
        };
        let options = FixOptions {
            unsafe_fixes: request.unsafe_fixes,
            ..FixOptions::default()
        };
        commerce_codemods::fix_all(sources, &result.diagnostics, &mut host, &options)
    }

    /// Writes the fixed files (only if none changed on disk since the check) and updates
    /// `result` to describe the fixed project: its remaining diagnostics and new texts.
    pub fn write_fixes(
        &self,
        project: &Project,
        result: &mut CheckResult,
        outcome: FixOutcome,
    ) -> Result<WriteReport, FixError> {
        let report = commerce_codemods::write_outcome(project.root(), &outcome, &result.hashes)?;
        for (path, file) in outcome.files {
            result.hashes.record(&path, file.fixed.as_bytes());
            result.sources.insert(path, file.fixed);
        }
        result.diagnostics = outcome.remaining;
        Ok(report)
    }
}

impl Analysis {
    /// Fixes one text in memory (an editor buffer) with every analyzer; `None` when nothing
    /// applies. Fixes that reach into other files are left out: they need `check --fix`.
    pub fn fix_text(
        &self,
        path: &Path,
        text: &str,
        request: FixRequest,
    ) -> Result<Option<String>, FixError> {
        let diagnostics = self.check_text(path, text, &Analyzer::ALL);
        let sources = BTreeMap::from([(path.to_path_buf(), text.to_owned())]);
        let mut host = AnalysisFixHost {
            analysis: self,
            analyzers: &Analyzer::ALL,
        };
        let options = FixOptions {
            unsafe_fixes: request.unsafe_fixes,
            ..FixOptions::default()
        };
        let outcome = commerce_codemods::fix_all(sources, &diagnostics, &mut host, &options)?;
        Ok(outcome
            .files
            .get(path)
            .filter(|file| file.is_changed())
            .map(|file| file.fixed.clone()))
    }
}

/// The texts the fixes of `result` touch, as they were analysed.
fn fixable_sources(result: &CheckResult) -> BTreeMap<PathBuf, String> {
    result
        .diagnostics
        .iter()
        .filter_map(|diagnostic| diagnostic.fix.as_ref())
        .flat_map(|fix| &fix.edits)
        .filter_map(|edit| {
            let source = result.sources.get(&edit.path)?;
            Some((edit.path.clone(), source.text.clone()))
        })
        .collect()
}

/// The language knowledge the fix engine needs, from the analyzers themselves.
struct AnalysisFixHost<'a> {
    analysis: &'a Analysis,
    analyzers: &'a [Analyzer],
}

impl FixHost for AnalysisFixHost<'_> {
    fn analyze(&mut self, path: &Path, text: &str) -> Vec<commerce_diagnostics::Diagnostic> {
        self.analysis.check_text(path, text, self.analyzers)
    }

    fn parses(&mut self, path: &Path, text: &str) -> bool {
        still_parses(path, text)
    }
}

/// Whether `text` parses with the parser of `path`'s language. Files of languages we do not
/// parse are taken as parsing: no fix targets them today.
pub(crate) fn still_parses(path: &Path, text: &str) -> bool {
    if commerce_frontend::is_frontend_source(path) {
        commerce_frontend::parse_module(path, text).is_ok()
    } else if path.extension().is_some_and(|extension| extension == "rs") {
        commerce_rust::test_functions(text).is_ok()
    } else {
        true
    }
}
