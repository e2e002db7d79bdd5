//! Rule metadata and the registry that `cargo commerce rules` / `explain` read.
//!
//! A rule's documentation is its doc comment: [`declare_rule!`] captures the `///` lines of the
//! rule's declaration, so the text `explain` prints and the text rustdoc shows cannot drift apart.

use std::fmt;

use crate::Severity;

/// Whether a rule can offer fixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixAvailability {
    None,
    Sometimes,
    Always,
}

impl FixAvailability {
    pub const fn as_str(self) -> &'static str {
        match self {
            FixAvailability::None => "no fix",
            FixAvailability::Sometimes => "fix sometimes",
            FixAvailability::Always => "fix",
        }
    }
}

/// The static description of one rule.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RuleMeta {
    /// Stable, namespaced id: `frontend/…`, `contracts/…`, `migrations/…`, `tests/…`.
    pub id: &'static str,
    pub default_severity: Severity,
    pub fix: FixAvailability,
    /// The rule's doc comment in Markdown (What it does / Why is this bad? / Example / Fix safety).
    pub doc: &'static str,
}

impl RuleMeta {
    /// The namespace before the `/`, e.g. `tests`.
    pub fn namespace(&self) -> &'static str {
        self.id
            .split_once('/')
            .map_or(self.id, |(namespace, _)| namespace)
    }

    /// The first sentence of the doc's first paragraph ("What it does"), for one-line
    /// listings and SARIF's short description.
    pub fn summary(&self) -> String {
        let paragraph: Vec<&str> = self
            .doc
            .lines()
            .map(str::trim)
            .skip_while(|line| line.is_empty() || line.starts_with('#'))
            .take_while(|line| !line.is_empty())
            .collect();
        let paragraph = paragraph.join(" ");
        match paragraph.find(". ") {
            Some(end) => paragraph[..=end].to_owned(),
            None => paragraph,
        }
    }
}

impl fmt::Debug for RuleMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuleMeta")
            .field("id", &self.id)
            .field("default_severity", &self.default_severity)
            .field("fix", &self.fix)
            .finish_non_exhaustive()
    }
}

/// Declares a rule: a unit struct carrying its doc comment and a `META` constant.
///
/// ```
/// commerce_diagnostics::declare_rule! {
///     /// ## What it does
///     /// Flags things.
///     pub ExampleRule {
///         id: "tests/example",
///         severity: commerce_diagnostics::Severity::Warning,
///         fix: commerce_diagnostics::FixAvailability::None,
///     }
/// }
/// assert_eq!(ExampleRule::META.summary(), "Flags things.");
/// ```
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])+
        $vis:vis $name:ident {
            id: $id:literal,
            severity: $severity:expr,
            fix: $fix:expr $(,)?
        }
    ) => {
        $(#[doc = $doc])+
        #[derive(Debug, Clone, Copy, Default)]
        $vis struct $name;

        impl $name {
            pub const META: $crate::RuleMeta = $crate::RuleMeta {
                id: $id,
                default_severity: $severity,
                fix: $fix,
                doc: concat!($($doc, "\n"),+),
            };
        }
    };
}

/// Every rule the tool knows, in a stable order.
#[derive(Debug, Default)]
pub struct RuleRegistry {
    rules: Vec<RuleMeta>,
}

impl RuleRegistry {
    /// # Panics
    /// When two rules share an id: ids are the stable interface, a clash is a programming error.
    pub fn new(mut rules: Vec<RuleMeta>) -> Self {
        rules.sort_by_key(|rule| rule.id);
        for pair in rules.windows(2) {
            assert_ne!(pair[0].id, pair[1].id, "two rules declare the same id");
        }
        Self { rules }
    }

    pub fn iter(&self) -> impl Iterator<Item = &RuleMeta> {
        self.rules.iter()
    }

    pub fn get(&self, id: &str) -> Option<&RuleMeta> {
        self.rules
            .binary_search_by_key(&id, |rule| rule.id)
            .ok()
            .map(|index| &self.rules[index])
    }

    /// The known rule id closest to a mistyped one, if any is close enough to be a typo.
    pub fn suggest(&self, id: &str) -> Option<&'static str> {
        crate::suggest::nearest(id, self.rules.iter().map(|rule| rule.id))
    }
}

/// Removes the one leading space rustdoc leaves on each `///` line.
pub fn doc_text(doc: &str) -> String {
    doc.lines()
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::declare_rule! {
        /// ## What it does
        /// Checks a thing
        /// across lines. And more.
        ///
        /// ## Why is this bad?
        /// Because.
        pub DemoRule {
            id: "tests/demo",
            severity: Severity::Warning,
            fix: FixAvailability::Always,
        }
    }

    #[test]
    fn doc_comment_becomes_rule_doc() {
        let meta = DemoRule::META;
        assert_eq!(meta.namespace(), "tests");
        assert_eq!(meta.summary(), "Checks a thing across lines.");
        assert_eq!(
            doc_text(meta.doc),
            "## What it does\nChecks a thing\nacross lines. And more.\n\n## Why is this bad?\nBecause."
        );
    }

    #[test]
    fn registry_finds_and_suggests() {
        let registry = RuleRegistry::new(vec![DemoRule::META]);
        assert!(registry.get("tests/demo").is_some());
        assert!(registry.get("tests/dem").is_none());
        assert_eq!(registry.suggest("tests/dmeo"), Some("tests/demo"));
        assert_eq!(registry.suggest("frontend/import-cycle"), None);
    }
}
