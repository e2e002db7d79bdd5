//! The tool's own findings (`commerce/…`): things that stopped a file from being analysed.

pub(crate) mod file_too_large;
pub(crate) mod internal_error;
pub(crate) mod suppression_without_reason;
pub(crate) mod unreadable_file;

use commerce_diagnostics::RuleMeta;

pub(crate) fn rules() -> Vec<RuleMeta> {
    vec![
        file_too_large::FileTooLarge::META,
        internal_error::InternalError::META,
        suppression_without_reason::SuppressionWithoutReason::META,
        unreadable_file::UnreadableFile::META,
    ]
}
