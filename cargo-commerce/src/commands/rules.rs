//! `cargo commerce rules` and `cargo commerce explain RULE`.

use commerce_diagnostics::{RuleRegistry, doc_text};

use super::CliError;
use crate::Exit;
use crate::cli::{ListFormat, RulesArgs};

pub fn list(args: &RulesArgs) -> Result<Exit, CliError> {
    let registry = every_rule();
    match args.format {
        ListFormat::Human => {
            let width = registry.iter().map(|rule| rule.id.len()).max().unwrap_or(0);
            for rule in registry.iter() {
                println!(
                    "{:width$}  {:7}  {:13}  {}",
                    rule.id,
                    rule.default_severity.as_str(),
                    rule.fix.as_str(),
                    rule.summary()
                );
            }
        }
        ListFormat::Json => {
            let rules: Vec<_> = registry
                .iter()
                .map(|rule| {
                    serde_json::json!({
                        "id": rule.id,
                        "severity": rule.default_severity.as_str(),
                        "fix": rule.fix.as_str(),
                        "summary": rule.summary(),
                        "doc": doc_text(rule.doc),
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&rules).unwrap_or_default()
            );
        }
    }
    Ok(Exit::Clean)
}

pub fn explain(rule: &str) -> Result<Exit, CliError> {
    let registry = every_rule();
    let Some(meta) = registry.get(rule) else {
        return Err(CliError::UnknownRule {
            rule: rule.to_owned(),
            suggestion: registry.suggest(rule),
        });
    };
    println!("# {}\n", meta.id);
    println!(
        "Default severity: {}. {}.\n",
        meta.default_severity,
        capitalize(meta.fix.as_str())
    );
    println!("{}", doc_text(meta.doc));
    Ok(Exit::Clean)
}

/// The analyzers' rules and the test runner's (`tests/failed`, `tests/flaky`, …).
fn every_rule() -> RuleRegistry {
    let mut rules = commerce_analysis::all_rules();
    rules.extend(commerce_runner::rules());
    RuleRegistry::new(rules)
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
