//! A `FixHost` test double that really re-analyses text: word-replacement rules, and a parser
//! that only checks parentheses balance and forbidden words.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use commerce_codemods::FixHost;
use commerce_diagnostics::{Applicability, Diagnostic, Edit, Fix, Severity, TextRange};

/// Every occurrence of `from` is a diagnostic whose fix replaces it by `to`.
#[derive(Debug, Clone)]
pub struct WordRule {
    pub rule: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub applicability: Applicability,
    /// A second file whose first occurrence of `from` the same fix also replaces.
    pub also_in: Option<&'static str>,
}

impl WordRule {
    pub fn safe(rule: &'static str, from: &'static str, to: &'static str) -> Self {
        Self {
            rule,
            from,
            to,
            applicability: Applicability::Safe,
            also_in: None,
        }
    }

    #[must_use]
    pub fn with_applicability(mut self, applicability: Applicability) -> Self {
        self.applicability = applicability;
        self
    }

    #[must_use]
    pub fn also_in(mut self, path: &'static str) -> Self {
        self.also_in = Some(path);
        self
    }
}

#[derive(Debug)]
pub struct WordHost {
    pub rules: Vec<WordRule>,
    /// Text containing one of these does not "parse".
    pub forbidden: Vec<&'static str>,
    /// The host's view of every file, kept up to date by `analyze`.
    pub texts: BTreeMap<PathBuf, String>,
    /// Every `analyze` call, in order.
    pub analysed: Vec<PathBuf>,
}

impl WordHost {
    pub fn new(rules: Vec<WordRule>, sources: &BTreeMap<PathBuf, String>) -> Self {
        Self {
            rules,
            forbidden: Vec::new(),
            texts: sources.clone(),
            analysed: Vec::new(),
        }
    }

    /// The diagnostics of every file, as a first analysis would report them.
    pub fn analyse_all(&self) -> Vec<Diagnostic> {
        self.texts
            .iter()
            .flat_map(|(path, text)| self.diagnostics(path, text))
            .collect()
    }

    pub fn diagnostics(&self, path: &Path, text: &str) -> Vec<Diagnostic> {
        self.rules
            .iter()
            .flat_map(|rule| {
                text.match_indices(rule.from).map(move |(start, found)| {
                    self.diagnostic(rule, path, start..start + found.len())
                })
            })
            .collect()
    }

    fn diagnostic(
        &self,
        rule: &WordRule,
        path: &Path,
        range: std::ops::Range<usize>,
    ) -> Diagnostic {
        let range = TextRange::from_usize_range(range);
        let mut edits = vec![Edit::replacement(path, range, rule.to)];
        edits.extend(self.partner_edit(rule, path));
        let title = format!("replace `{}` with `{}`", rule.from, rule.to);
        Diagnostic::new(rule.rule, Severity::Warning, path, range, title.clone())
            .with_fix(Fix::new(title, rule.applicability, edits))
    }

    fn partner_edit(&self, rule: &WordRule, path: &Path) -> Option<Edit> {
        let partner = Path::new(rule.also_in?);
        if partner == path {
            return None;
        }
        let start = self.texts.get(partner)?.find(rule.from)?;
        let range = TextRange::from_usize_range(start..start + rule.from.len());
        Some(Edit::replacement(partner, range, rule.to))
    }
}

impl FixHost for WordHost {
    fn analyze(&mut self, path: &Path, text: &str) -> Vec<Diagnostic> {
        self.analysed.push(path.to_path_buf());
        self.texts.insert(path.to_path_buf(), text.to_owned());
        self.diagnostics(path, text)
    }

    fn parses(&mut self, _path: &Path, text: &str) -> bool {
        balanced_parens(text) && !self.forbidden.iter().any(|word| text.contains(word))
    }
}

pub fn balanced_parens(text: &str) -> bool {
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => match depth.checked_sub(1) {
                Some(lower) => depth = lower,
                None => return false,
            },
            _ => {}
        }
    }
    depth == 0
}

pub fn sources(files: &[(&str, &str)]) -> BTreeMap<PathBuf, String> {
    files
        .iter()
        .map(|(path, text)| (PathBuf::from(path), (*text).to_owned()))
        .collect()
}
