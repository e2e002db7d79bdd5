//! `[rules]` in commerce.toml: a rule turned off, or its severity changed.

use std::collections::HashMap;

use commerce_diagnostics::{Diagnostic, Severity};
use commerce_project::Config;

/// The configured severity of each rule listed in `[rules]`; `None` means the rule is off.
/// Rules not listed keep their default.
#[derive(Debug, Default)]
pub(crate) struct RuleLevels {
    levels: HashMap<String, Option<Severity>>,
}

impl RuleLevels {
    pub(crate) fn from_config(config: &Config) -> Self {
        let levels = config
            .rule_levels()
            .iter()
            .map(|setting| (setting.id.clone(), setting.level.severity()))
            .collect();
        Self { levels }
    }

    /// Drops the diagnostics of rules turned off and sets the configured severities.
    pub(crate) fn apply(&self, diagnostics: &mut Vec<Diagnostic>) {
        if self.levels.is_empty() {
            return;
        }
        diagnostics.retain_mut(|diagnostic| match self.levels.get(&diagnostic.rule) {
            None => true,
            Some(None) => false,
            Some(Some(severity)) => {
                diagnostic.severity = *severity;
                true
            }
        });
    }
}
