//! The one shape every analyzer registers its rules in, as ruff's `codes.rs` and squawk's rule
//! enum do: a rule is one file under `src/rules/` (its [`declare_rule!`](crate::declare_rule)
//! declaration, check, fix and tests) exporting `RULE: Rule<C>`, its `pub mod` line and one
//! line in the analyzer's [`rule_registry!`](crate::rule_registry) in `src/rules/mod.rs`. (The
//! `mod` line stays a plain item: rustfmt does not see modules a macro declares.)
//!
//! That list is all the analyzer knows of its rules: it runs them from it (through `C`, the
//! analyzer's own check shape), lists their metadata for `[rules]` levels, suppressions,
//! `cargo commerce rules` and `explain`, and tests that every rule file is in it and documented.

use crate::RuleMeta;

/// One registered rule: what it declares, and how its analyzer runs it.
///
/// `C` is the analyzer's check shape (the frontend's phases, a migration file check with its
/// keyword scan). `()` is for a rule its analyzer's pipeline reports where it finds it (a spec
/// that does not load, a round trip's drift): there is nothing to run on its own.
#[derive(Debug, Clone, Copy)]
pub struct Rule<C: 'static = ()> {
    pub meta: RuleMeta,
    pub check: C,
}

impl<C> Rule<C> {
    pub const fn new(meta: RuleMeta, check: C) -> Self {
        Self { meta, check }
    }
}

impl Rule {
    /// A rule its analyzer's pipeline reports (see [`Rule`]).
    pub const fn reported(meta: RuleMeta) -> Self {
        Self { meta, check: () }
    }
}

/// The sections every rule's doc comment has, in this order.
pub const DOC_SECTIONS: [&str; 4] = [
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Fix safety",
];

/// What is wrong with a registry, each problem a sentence: a rule file (`(stem, text)` of each
/// `src/rules/*.rs`) that declares a rule but is not registered, a registered rule (`(module,
/// meta)`) whose file name is not its id's name, whose doc lacks a section, or whose id is
/// registered twice. Empty when the registry is whole.
pub fn registry_problems(
    files: &[(String, String)],
    registered: &[(&str, RuleMeta)],
) -> Vec<String> {
    let mut problems = Vec::new();
    for (stem, text) in files {
        let declares = text.contains("declare_rule!") && stem != "mod";
        if declares && !registered.iter().any(|(module, _)| module == stem) {
            problems.push(format!(
                "src/rules/{stem}.rs declares a rule but is not in the rule_registry! of src/rules/mod.rs"
            ));
        }
    }
    for (index, (module, meta)) in registered.iter().enumerate() {
        let name = meta.id.rsplit('/').next().unwrap_or(meta.id);
        if name.replace('-', "_") != *module {
            problems.push(format!(
                "`{}` lives in `{module}`: name its file `{}.rs`",
                meta.id,
                name.replace('-', "_")
            ));
        }
        let doc = crate::doc_text(meta.doc);
        let mut from = 0;
        for section in DOC_SECTIONS {
            match doc[from..].find(section) {
                Some(at) => from += at + section.len(),
                None => problems.push(format!(
                    "`{}` ({module}.rs): its doc comment lacks `{section}` (sections: {})",
                    meta.id,
                    DOC_SECTIONS.join(", ")
                )),
            }
        }
        if registered[..index]
            .iter()
            .any(|(_, other)| other.id == meta.id)
        {
            problems.push(format!("`{}` is registered twice", meta.id));
        }
    }
    problems
}

/// An analyzer's rule registry: a static slice of its rule modules' `RULE`s, one line per
/// rule, and a test that every `src/rules/*.rs` declaring a rule is listed and documented (see
/// [`registry_problems`]).
///
/// ```text
/// pub mod import_cycle;
/// pub mod missing_export;
///
/// commerce_diagnostics::rule_registry! {
///     /// Every frontend rule.
///     pub(crate) static RULES: [Rule<Check>] = [
///         import_cycle,
///         missing_export,
///     ];
/// }
/// ```
///
/// The test the registry generates reads `src/rules/` of the crate that invokes it, so it must
/// be invoked in `src/rules/mod.rs`.
#[macro_export]
macro_rules! rule_registry {
    (
        $(#[$attr:meta])*
        $vis:vis static $registry:ident: [$rule:ty] = [
            $($module:ident),+ $(,)?
        ];
    ) => {
        $(#[$attr])*
        $vis static $registry: &[$rule] = &[$($module::RULE),+];

        #[cfg(test)]
        mod rule_registry_tests {
            #[test]
            fn every_rule_file_is_registered_and_documented() {
                let dir = ::std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
                let mut files = Vec::new();
                for entry in ::std::fs::read_dir(&dir).expect("src/rules is readable") {
                    let path = entry.expect("src/rules lists").path();
                    if path.extension().is_some_and(|extension| extension == "rs") {
                        let stem = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
                        let text = ::std::fs::read_to_string(&path).expect("a rule file is UTF-8");
                        files.push((stem, text));
                    }
                }
                let registered = [$((stringify!($module), super::$module::RULE.meta)),+];
                let problems = $crate::registry_problems(&files, &registered);
                assert!(problems.is_empty(), "{}", problems.join("\n"));
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FixAvailability, Severity};

    const DOC: &str = " ## What it does\n x\n\n ## Why is this bad?\n y\n\n ## Example\n z\n\n ## Fix safety\n none\n";

    fn meta(id: &'static str, doc: &'static str) -> RuleMeta {
        RuleMeta {
            id,
            default_severity: Severity::Warning,
            fix: FixAvailability::None,
            doc,
        }
    }

    fn file(stem: &str, declares: bool) -> (String, String) {
        let text = if declares {
            "declare_rule! { }"
        } else {
            "fn helper() {}"
        };
        (stem.to_owned(), text.to_owned())
    }

    #[test]
    fn a_whole_registry_has_no_problems() {
        let files = [
            file("mod", true),
            file("a_rule", true),
            file("helpers", false),
        ];
        assert_eq!(
            registry_problems(&files, &[("a_rule", meta("tests/a-rule", DOC))]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn an_unregistered_file_a_misnamed_file_a_missing_section_and_a_twin_are_problems() {
        let files = [file("a_rule", true), file("forgotten", true)];
        let registered = [
            ("a_rule", meta("tests/a-rule", DOC)),
            ("other", meta("tests/not-other", DOC)),
            (
                "a_rule",
                meta("tests/a-rule", " ## What it does\n x\n ## Example\n"),
            ),
        ];
        let problems = registry_problems(&files, &registered);
        assert_eq!(
            problems,
            [
                "src/rules/forgotten.rs declares a rule but is not in the rule_registry! of src/rules/mod.rs",
                "`tests/not-other` lives in `other`: name its file `not_other.rs`",
                "`tests/a-rule` (a_rule.rs): its doc comment lacks `## Why is this bad?` (sections: ## What it does, ## Why is this bad?, ## Example, ## Fix safety)",
                "`tests/a-rule` (a_rule.rs): its doc comment lacks `## Fix safety` (sections: ## What it does, ## Why is this bad?, ## Example, ## Fix safety)",
                "`tests/a-rule` is registered twice",
            ]
        );
    }
}
