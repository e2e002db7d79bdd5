//! Test support for the rules: projects in memory (inline or from a fixture directory), the
//! findings of one rule, and snapshots of its diagnostics and of its fixes applied through the
//! real fix engine, with a check that every fixed file still parses.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use commerce_codemods::FixHost;
use commerce_codemods::testing::fix_for_snapshot;
use commerce_diagnostics::render::Sources;
use commerce_diagnostics::render::human::{HumanOptions, render_diagnostics};
use commerce_diagnostics::{Diagnostic, LineIndex};
use commerce_project::{FrontendConfig, MemoryFs};

use crate::{FrontendReport, check_project, parse_module};

/// Where every test project lives in memory.
pub(crate) const ROOT: &str = "/p";

/// A project of text files, keyed by path relative to [`ROOT`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Project {
    pub files: BTreeMap<PathBuf, String>,
    pub config: FrontendConfig,
}

/// The project in `fixtures/rules/frontend/<name>/`.
pub(crate) fn fixture(name: &str) -> Project {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/rules/frontend")
        .join(name);
    let mut files = BTreeMap::new();
    read_dir(&dir, &dir, &mut files);
    assert!(!files.is_empty(), "no fixture files in {}", dir.display());
    Project {
        files,
        config: FrontendConfig::default(),
    }
}

fn read_dir(root: &Path, dir: &Path, files: &mut BTreeMap<PathBuf, String>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            read_dir(root, &path, files);
        } else {
            let text = std::fs::read_to_string(&path).expect("UTF-8 fixture");
            let relative = path.strip_prefix(root).expect("inside the fixture");
            files.insert(relative.to_path_buf(), text);
        }
    }
}

impl Project {
    pub fn new(files: &[(&str, &str)]) -> Self {
        Self {
            files: files
                .iter()
                .map(|(path, text)| (PathBuf::from(path), (*text).to_owned()))
                .collect(),
            config: FrontendConfig::default(),
        }
    }

    #[must_use]
    pub fn with_config(mut self, config: FrontendConfig) -> Self {
        self.config = config;
        self
    }

    pub fn memory_fs(&self) -> MemoryFs {
        self.files
            .iter()
            .map(|(path, text)| (Path::new(ROOT).join(path), text.as_bytes()))
            .collect()
    }

    pub fn report(&self) -> FrontendReport {
        let files: Vec<PathBuf> = self.files.keys().cloned().collect();
        check_project(
            Arc::new(self.memory_fs()),
            Path::new(ROOT),
            &files,
            &self.config,
        )
    }

    /// The diagnostics of one rule.
    pub fn diagnostics(&self, rule: &str) -> Vec<Diagnostic> {
        self.report()
            .diagnostics
            .into_iter()
            .filter(|diagnostic| diagnostic.rule == rule)
            .collect()
    }

    /// One line per finding of `rule`: `path:line:column message`.
    pub fn findings(&self, rule: &str) -> Vec<String> {
        self.diagnostics(rule)
            .iter()
            .map(|diagnostic| {
                let index = LineIndex::new(self.text(&diagnostic.path));
                let start = index.source_position(diagnostic.range.start());
                format!(
                    "{}:{}:{} {}",
                    diagnostic.path.display(),
                    start.line,
                    start.column,
                    diagnostic.message
                )
            })
            .collect()
    }

    fn text(&self, path: &Path) -> &str {
        self.files.get(path).map_or("", String::as_str)
    }

    fn sources(&self) -> Sources {
        self.files
            .iter()
            .map(|(path, text)| (path.clone(), text.clone()))
            .collect()
    }

    /// The diagnostics of `rule` as `cargo commerce check` prints them, their `data`, then
    /// the diff of every fix (safe and unsafe) applied through the fix engine, then what the
    /// rule still finds in the fixed project.
    ///
    /// # Panics
    /// When the engine rejects a fix or a fix leaves a file that no longer parses.
    pub fn snapshot(&self, rule: &str) -> String {
        let diagnostics = self.diagnostics(rule);
        let mut snapshot =
            render_diagnostics(&diagnostics, &self.sources(), HumanOptions { color: false });
        for diagnostic in diagnostics
            .iter()
            .filter(|diagnostic| !diagnostic.data.is_empty())
        {
            let data = serde_json::to_string(&diagnostic.data).unwrap_or_default();
            let _ = writeln!(snapshot, "data {}: {data}", diagnostic.path.display());
        }
        if diagnostics
            .iter()
            .all(|diagnostic| diagnostic.fix.is_none())
        {
            return snapshot;
        }
        let fixed = self.fixed(&diagnostics, &mut snapshot);
        snapshot.push_str("--- still found after the fixes ---\n");
        for finding in fixed.findings(rule) {
            let _ = writeln!(snapshot, "{finding}");
        }
        snapshot
    }

    /// Applies the fixes of `diagnostics` through the engine, appends the diff to `snapshot`,
    /// and returns the fixed project.
    fn fixed(&self, diagnostics: &[Diagnostic], snapshot: &mut String) -> Project {
        let outcome = fix_for_snapshot(self.files.clone(), diagnostics, &mut OnePassHost);
        snapshot.push_str("--- fixes applied (safe and unsafe) ---\n");
        snapshot.push_str(&outcome.diff());
        let mut fixed = self.clone();
        for (path, file) in &outcome.files {
            if let Err(error) = parse_module(path, &file.fixed) {
                panic!(
                    "{}: the fixed text no longer parses: {error:?}",
                    path.display()
                );
            }
            fixed.files.insert(path.clone(), file.fixed.clone());
        }
        fixed
    }
}

/// A host for one pass of fixes. The engine re-analyses file by file, with the other files of
/// the pass not yet updated; these rules read the whole project, so their answers would be
/// stale. One pass is applied here, and the whole fixed project is checked again after.
struct OnePassHost;

impl FixHost for OnePassHost {
    fn analyze(&mut self, _: &Path, _: &str) -> Vec<Diagnostic> {
        Vec::new()
    }

    fn parses(&mut self, path: &Path, text: &str) -> bool {
        !crate::is_frontend_source(path) || parse_module(path, text).is_ok()
    }
}
