//! Driving the fix engine: which texts it may change, how it re-parses and re-analyses.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use commerce_codemods::{FixError, FixHost, FixOptions, FixOutcome, WriteReport};
use commerce_project::{FileSystem, OverlayFs, Project};

use crate::{Analysis, Analyzer, CheckResult, Document};

/// Which fixes to apply.
#[derive(Debug, Clone, Copy, Default)]
pub struct FixRequest {
    /// Also apply unsafe fixes (`--unsafe-fixes`).
    pub unsafe_fixes: bool,
}

impl FixRequest {
    fn options(self) -> FixOptions {
        FixOptions {
            unsafe_fixes: self.unsafe_fixes,
            ..FixOptions::default()
        }
    }
}

impl Analysis {
    /// Applies the fixes of `result` in memory, in passes, re-parsing and re-analysing every
    /// changed file (project-level rules see the fixed texts). Writes nothing: see
    /// [`Analysis::write_fixes`].
    pub fn fix(
        &self,
        project: &Project,
        fs: Arc<dyn FileSystem>,
        result: &CheckResult,
        request: FixRequest,
    ) -> Result<FixOutcome, FixError> {
        let mut host = AnalysisFixHost::new(self, project, fs, &result.analyzers);
        host.project_files = Some(&result.project_files);
        commerce_codemods::fix_all(
            fixable_sources(result),
            &result.diagnostics,
            &mut host,
            &request.options(),
        )
    }

    /// Fixes one text in memory (an editor buffer) with every analyzer; `None` when nothing
    /// applies. Fixes that reach into other files are left out: they need `check --fix`.
    pub fn fix_text(
        &self,
        project: &Project,
        fs: Arc<dyn FileSystem>,
        document: Document<'_>,
        request: FixRequest,
    ) -> Result<Option<String>, FixError> {
        let Document { path, text, .. } = document;
        let diagnostics = self.check_document(project, Arc::clone(&fs), document, &Analyzer::ALL);
        let sources = BTreeMap::from([(path.to_path_buf(), text.to_owned())]);
        let mut host = AnalysisFixHost::new(self, project, fs, &Analyzer::ALL);
        host.project_files = document.project_files;
        let outcome =
            commerce_codemods::fix_all(sources, &diagnostics, &mut host, &request.options())?;
        Ok(outcome
            .files
            .get(path)
            .filter(|file| file.is_changed())
            .map(|file| file.fixed.clone()))
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

/// The texts the fixes of `result` involve, as they were analysed: the files they edit, the
/// files whose diagnostics propose them, and the files whose diagnostics point into other
/// files (related labels), which are re-analysed when a fix changes the file pointed at.
fn fixable_sources(result: &CheckResult) -> BTreeMap<PathBuf, String> {
    result
        .diagnostics
        .iter()
        .flat_map(|diagnostic| {
            let fixed = diagnostic.fix.iter().flat_map(|fix| {
                std::iter::once(&diagnostic.path).chain(fix.edits.iter().map(|edit| &edit.path))
            });
            let pointing = (!diagnostic.related.is_empty()).then_some(&diagnostic.path);
            fixed.chain(pointing)
        })
        .filter_map(|path| {
            let source = result.sources.get(path)?;
            Some((path.clone(), source.text.clone()))
        })
        .collect()
}

/// The language knowledge the fix engine needs, from the analyzers themselves. It remembers
/// every text a pass produced, so re-analysis sees the project as the fixes left it.
struct AnalysisFixHost<'a> {
    analysis: &'a Analysis,
    project: &'a Project,
    fs: Arc<dyn FileSystem>,
    analyzers: &'a [Analyzer],
    /// Every file of the project, so whole-project analyzers re-check fixes too.
    project_files: Option<&'a [PathBuf]>,
    fixed_texts: BTreeMap<PathBuf, String>,
}

impl<'a> AnalysisFixHost<'a> {
    fn new(
        analysis: &'a Analysis,
        project: &'a Project,
        fs: Arc<dyn FileSystem>,
        analyzers: &'a [Analyzer],
    ) -> Self {
        Self {
            analysis,
            project,
            fs,
            analyzers,
            project_files: None,
            fixed_texts: BTreeMap::new(),
        }
    }
}

impl FixHost for AnalysisFixHost<'_> {
    fn analyze(&mut self, path: &Path, text: &str) -> Vec<commerce_diagnostics::Diagnostic> {
        self.fixed_texts.insert(path.to_path_buf(), text.to_owned());
        let overlay = OverlayFs::new(Arc::clone(&self.fs));
        for (fixed, fixed_text) in &self.fixed_texts {
            overlay.set(self.project.root().join(fixed), fixed_text.as_str());
        }
        let document = Document {
            path,
            text,
            project_files: self.project_files,
        };
        self.analysis
            .check_document(self.project, Arc::new(overlay), document, self.analyzers)
    }

    /// SQL is judged against the text before the fix (the last pass's, else the file's): the
    /// rules fall back to a keyword scan for statements sqlparser does not know, so a file
    /// with such a statement stays fixable, but a fix that leaves more of the file unreadable
    /// than before is reverted.
    fn parses(&mut self, path: &Path, text: &str) -> bool {
        if path.extension().is_some_and(|extension| extension == "sql") {
            let dialect = self.project.config().migrations.dialect;
            let before = self
                .fixed_texts
                .get(path)
                .cloned()
                .or_else(|| self.fs.read_to_string(&self.project.root().join(path)).ok());
            let unreadable_before = before.map_or(0, |before| {
                commerce_migrations::unparsed_statements(&before, dialect)
            });
            return commerce_migrations::unparsed_statements(text, dialect) <= unreadable_before;
        }
        still_parses(path, text)
    }
}

/// Whether `text` parses with the parser of `path`'s language (SQL: see
/// [`AnalysisFixHost::parses`]). Files of languages we do not parse are taken as parsing.
fn still_parses(path: &Path, text: &str) -> bool {
    if commerce_frontend::is_frontend_source(path) {
        commerce_frontend::parse_module(path, text).is_ok()
    } else if path.extension().is_some_and(|extension| extension == "rs") {
        commerce_rust::test_functions(text).is_ok()
    } else {
        true
    }
}

#[cfg(test)]
mod tests {
    use commerce_project::{Config, MemoryFs};

    use super::*;

    /// A fix that breaks a migration's SQL is reverted; one in a file whose other statement
    /// sqlparser cannot read (a DO block) is still applied.
    #[test]
    fn sql_is_parsed_again_before_a_fix_is_kept() {
        let fs: MemoryFs = [
            ("/p/migrations/1_a.sql", "CREATE INDEX i ON t (c);\n"),
            (
                "/p/migrations/2_b.sql",
                "DO $$ BEGIN PERFORM 1; END $$ LANGUAGE plpgsql STRANGE;\nCREATE INDEX j ON t (c);\n",
            ),
        ]
        .into_iter()
        .collect();
        let project = Project::new("/p", Config::default());
        let analysis = Analysis::new(&project).expect("analysis");
        let mut host = AnalysisFixHost::new(&analysis, &project, Arc::new(fs), &[]);
        let a = Path::new("migrations/1_a.sql");
        assert!(host.parses(a, "CREATE INDEX CONCURRENTLY i ON t (c);\n"));
        assert!(!host.parses(a, "CREATE INDEX CONCURRENTLY CONCURRENTLY i ON t (c);\n"));
        assert!(!host.parses(a, "CREATE INDEX 'i ON t (c);\n"));
        let b = Path::new("migrations/2_b.sql");
        assert!(host.parses(
            b,
            "DO $$ BEGIN PERFORM 1; END $$ LANGUAGE plpgsql STRANGE;\nCREATE INDEX CONCURRENTLY j ON t (c);\n"
        ));
        assert!(!host.parses(
            b,
            "DO $$ BEGIN PERFORM 1; END $$ LANGUAGE plpgsql STRANGE;\nCREATE INDEX CONCURRENTLY ON ON t (c);\n"
        ));
        // A file a fix creates starts from nothing unreadable.
        let new = Path::new("migrations/2_b.down.sql");
        assert!(host.parses(new, "DROP INDEX j;\n"));
        assert!(!host.parses(new, "DROP INDEX (;\n"));
    }
}
