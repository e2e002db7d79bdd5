//! The tool's own findings (`commerce/…`): things that stopped a file from being analysed.

pub(crate) mod file_too_large;
pub(crate) mod internal_error;
pub(crate) mod suppression_without_reason;
pub(crate) mod unreadable_file;

use commerce_diagnostics::RuleMeta;

commerce_diagnostics::rule_registry! {
    /// The tool's own rules, one line each; each is reported where the analysis meets it.
    static RULES: [commerce_diagnostics::Rule] = [
        file_too_large,
        internal_error,
        suppression_without_reason,
        unreadable_file,
    ];
}

pub(crate) fn rules() -> Vec<RuleMeta> {
    RULES.iter().map(|rule| rule.meta).collect()
}
