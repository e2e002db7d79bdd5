use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use commerce_diagnostics::{Diagnostic, FixAvailability, Severity, TextRange, declare_rule};

use crate::Analyzer;

use commerce_diagnostics::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a file on which one of our rules crashed.
    ///
    /// ## Why is this bad?
    /// A crashed rule checked nothing in that file, so a clean report would be a lie. The other
    /// files and the other analyzers are still checked; this diagnostic says which file was not.
    ///
    /// ## Example
    /// ```text
    /// error[commerce/internal-error]: the tests analyzer crashed on this file: index out of bounds
    /// ```
    ///
    /// ## Fix safety
    /// There is no fix: this is a bug in cargo commerce. Please report it with the file that
    /// triggers it.
    pub InternalError {
        id: "commerce/internal-error",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::reported(InternalError::META);

/// Runs `rule`, turning a panic into its message.
pub(crate) fn catch_rule_panic<T>(rule: impl FnOnce() -> T) -> Result<T, String> {
    panic::catch_unwind(AssertUnwindSafe(rule)).map_err(|payload| panic_message(payload.as_ref()))
}

/// The message of a caught panic's payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

pub(crate) fn panic_diagnostic(analyzer: Analyzer, path: &Path, message: &str) -> Diagnostic {
    Diagnostic::new(
        InternalError::META.id,
        InternalError::META.default_severity,
        path,
        TextRange::default(),
        format!("the {} analyzer crashed on this file: {message}", analyzer.name()),
    )
    .with_help("this is a bug in cargo commerce: please report it with this file; the other files were still checked")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_messages() {
        assert_eq!(catch_rule_panic(|| 7), Ok(7));
        let caught = catch_rule_panic(|| -> u8 { panic!("boom {}", 1) });
        assert_eq!(caught, Err("boom 1".to_owned()));
        let caught = catch_rule_panic(|| -> u8 { panic!("static boom") });
        assert_eq!(caught, Err("static boom".to_owned()));
    }
}
