//! Suites from `commerce.toml` (`[suites.<name>] tags = [...] budget = "60s"`) turned into
//! nextest filtersets.
//!
//! Tags: `unit` is every library, binary and proc-macro's own tests; `integration` is every
//! `tests/` target; a tag containing `(` is a nextest filterset used as written; any other tag
//! (letters, digits, `_`) is a name prefix and selects tests with a path segment starting with
//! it, so `payments` selects `payments::refund` and `tests::payments_retry`.
//!
//! Doctests are outside nextest: a suite runs them with `cargo test --doc` when it has the
//! `unit` tag (or `doctests = true`), unless it says `doctests = false`.

use std::time::Duration;

use commerce_project::{Config, SuiteConfig};

use crate::error::RunnerError;

/// The suite run when none is named.
pub const DEFAULT_SUITE: &str = "fast";
/// Every test, whatever `commerce.toml` defines (unless it defines a suite of that name).
pub const ALL_SUITE: &str = "all";

/// A suite ready to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suite {
    pub name: String,
    /// `None` runs every test.
    pub filterset: Option<String>,
    pub budget: Option<Duration>,
    /// The `cargo test` target flags that select the same tests, when the tags can be said
    /// that way (for the fallback without nextest).
    pub cargo_test_targets: Option<Vec<&'static str>>,
    /// Also run the libraries' doctests (`cargo test --doc`; nextest cannot run them).
    pub doctests: bool,
}

/// The suite `name`, or the default one: `fast` when configured, else every test. `all` is
/// every test unless `commerce.toml` defines a suite of that name.
///
/// # Errors
/// An unknown suite name, or a tag that is not a valid tag.
pub fn resolve(config: &Config, name: Option<&str>) -> Result<Suite, RunnerError> {
    match name {
        Some(name) => match config.suites.get(name) {
            Some(suite) => from_config(name, suite),
            None if name == ALL_SUITE => Ok(every_test()),
            None => Err(unknown_suite(config, name)),
        },
        None => match config.suites.get(DEFAULT_SUITE) {
            Some(suite) => from_config(DEFAULT_SUITE, suite),
            None => Ok(every_test()),
        },
    }
}

fn every_test() -> Suite {
    Suite {
        name: ALL_SUITE.to_owned(),
        filterset: None,
        budget: None,
        cargo_test_targets: Some(Vec::new()),
        doctests: true,
    }
}

fn from_config(name: &str, suite: &SuiteConfig) -> Result<Suite, RunnerError> {
    let tags = suite
        .tags
        .iter()
        .map(|tag| {
            Tag::parse(tag).ok_or_else(|| RunnerError::InvalidTag {
                suite: name.to_owned(),
                tag: tag.clone(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let filterset = (!tags.is_empty()).then(|| {
        tags.iter()
            .map(Tag::filterset)
            .collect::<Vec<_>>()
            .join(" | ")
    });
    let cargo_test_targets = tags
        .iter()
        .map(Tag::cargo_test_targets)
        .collect::<Option<Vec<_>>>()
        .map(|flags| flags.concat());
    let doctests = suite.doctests.unwrap_or_else(|| tags.contains(&Tag::Unit));
    Ok(Suite {
        name: name.to_owned(),
        filterset,
        budget: suite.budget,
        cargo_test_targets,
        doctests,
    })
}

fn unknown_suite(config: &Config, name: &str) -> RunnerError {
    let known: Vec<&str> = config.suites.keys().map(String::as_str).collect();
    RunnerError::UnknownSuite {
        name: name.to_owned(),
        known: known.join(", "),
        suggestion: commerce_diagnostics::suggest::nearest(name, known.iter().copied())
            .map(str::to_owned),
    }
}

/// One suite tag.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Tag {
    Unit,
    Integration,
    Filterset(String),
    NamePrefix(String),
}

impl Tag {
    fn parse(tag: &str) -> Option<Self> {
        let tag = tag.trim();
        Some(match tag {
            "unit" => Tag::Unit,
            "integration" => Tag::Integration,
            _ if tag.contains('(') => Tag::Filterset(tag.to_owned()),
            _ if !tag.is_empty()
                && tag
                    .chars()
                    .all(|char| char.is_ascii_alphanumeric() || char == '_') =>
            {
                Tag::NamePrefix(tag.to_owned())
            }
            _ => return None,
        })
    }

    fn filterset(&self) -> String {
        match self {
            Tag::Unit => "kind(lib) | kind(bin) | kind(proc-macro)".to_owned(),
            Tag::Integration => "kind(test)".to_owned(),
            Tag::Filterset(expression) => format!("({expression})"),
            Tag::NamePrefix(prefix) => format!("test(/(^|::){prefix}/)"),
        }
    }

    fn cargo_test_targets(&self) -> Option<Vec<&'static str>> {
        match self {
            Tag::Unit => Some(vec!["--lib", "--bins"]),
            Tag::Integration => Some(vec!["--tests"]),
            Tag::Filterset(_) | Tag::NamePrefix(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn config(text: &str) -> Config {
        Config::parse(text, Path::new("commerce.toml")).expect("valid config")
    }

    #[test]
    fn the_default_suite_is_fast_unit_tests_with_its_budget() {
        let suite = resolve(&Config::default(), None).expect("default suite");
        assert_eq!(suite.name, "fast");
        assert_eq!(
            suite.filterset.as_deref(),
            Some("kind(lib) | kind(bin) | kind(proc-macro)")
        );
        assert_eq!(suite.budget, Some(Duration::from_secs(60)));
        assert_eq!(suite.cargo_test_targets, Some(vec!["--lib", "--bins"]));
        assert!(suite.doctests);
    }

    #[test]
    fn doctests_come_with_unit_tests_unless_the_suite_says_otherwise() {
        let config = config(
            "[suites.fast]\ntags = [\"unit\"]\ndoctests = false\n[suites.docs]\ntags = [\"integration\"]\ndoctests = true\n[suites.slow]\ntags = [\"integration\"]\n",
        );
        let doctests = |name| resolve(&config, Some(name)).expect("suite").doctests;
        assert!(!doctests("fast"));
        assert!(doctests("docs"));
        assert!(!doctests("slow"));
        assert!(doctests("all"));
    }

    #[test]
    fn custom_tags_become_filtersets_or_name_prefixes() {
        let config = config(
            "[suites.payments]\ntags = [\"integration\", \"payments\", \"test(/refund/) & package(shop)\"]\n",
        );
        let suite = resolve(&config, Some("payments")).expect("suite");
        assert_eq!(
            suite.filterset.as_deref(),
            Some("kind(test) | test(/(^|::)payments/) | (test(/refund/) & package(shop))")
        );
        assert_eq!(suite.budget, None);
        assert_eq!(suite.cargo_test_targets, None);
    }

    #[test]
    fn without_a_fast_suite_the_default_runs_everything() {
        let config = config("[suites.slow]\ntags = [\"integration\"]\n");
        let suite = resolve(&config, None).expect("suite");
        assert_eq!(suite.filterset, None);
        assert_eq!(suite.name, "all");
        let all = resolve(&Config::default(), Some("all")).expect("all");
        assert_eq!(all.filterset, None);
    }

    #[test]
    fn an_unknown_suite_suggests_the_nearest() {
        let error = resolve(&Config::default(), Some("fsat")).expect_err("unknown");
        assert_eq!(
            error.to_string(),
            "unknown suite `fsat`; commerce.toml defines: fast, integration\n  help: did you mean `fast`?"
        );
    }

    #[test]
    fn a_tag_that_is_not_a_word_or_filterset_is_rejected() {
        let config = config("[suites.odd]\ntags = [\"pay ments\"]\n");
        let error = resolve(&config, Some("odd")).expect_err("invalid tag");
        assert!(matches!(error, RunnerError::InvalidTag { tag, .. } if tag == "pay ments"));
    }
}
