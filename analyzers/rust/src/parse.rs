//! Parsing a Rust file with syn and turning proc-macro2 spans into byte ranges of its text.
//!
//! proc-macro2 (with `span-locations`) records every parsed text in a thread-local source map
//! that is never freed on its own. [`with_parsed_file`] clears it once the caller has turned
//! the spans it needs into [`TextRange`]s, so a long-running process (the language server, a
//! rayon pool over thousands of files) does not keep every file it ever read.

use commerce_diagnostics::{LineIndex, SourcePosition, TextRange, TextSize};
use proc_macro2::{LineColumn, Span};

/// A Rust file that did not parse: where, and syn's description of the problem.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// The byte range of the offending token (empty at the end of the file for a missing one).
    pub range: TextRange,
    pub message: String,
}

/// Maps spans of one parse to byte ranges of the text that was parsed.
#[derive(Debug)]
pub(crate) struct SpanMap {
    /// How many bytes `syn::parse_file` stripped before parsing (a byte order mark, a shebang
    /// line): its spans count from there.
    base: usize,
    len: usize,
}

impl SpanMap {
    /// The byte range of `span`, clamped into the text so a span that is not from this parse
    /// (a call-site span, say) can never index past it.
    pub(crate) fn range(&self, span: Span) -> TextRange {
        let bytes = span.byte_range();
        let clamp = |offset: usize| (self.base + offset).min(self.len);
        let (start, end) = (clamp(bytes.start), clamp(bytes.end));
        TextRange::from_usize_range(start.min(end)..end)
    }
}

/// Clears proc-macro2's thread-local source map when dropped, also on unwinding.
struct ForgetThreadSpans;

impl Drop for ForgetThreadSpans {
    fn drop(&mut self) {
        proc_macro2::extra::invalidate_current_thread_spans();
    }
}

/// Parses `text` as a Rust file and hands the syntax tree to `extract`, which must turn every
/// span it keeps into a [`TextRange`] through the [`SpanMap`].
///
/// Invariant: no proc-macro2 span outlives this call. Spans of any other syn parse on this
/// thread that is still alive become invalid too, which is why every Rust parse in the
/// workspace goes through this crate.
pub(crate) fn with_parsed_file<T>(
    text: &str,
    extract: impl FnOnce(&syn::File, &SpanMap) -> T,
) -> Result<T, ParseError> {
    let _forget = ForgetThreadSpans;
    if u32::try_from(text.len()).is_err() {
        return Err(ParseError {
            range: TextRange::empty(TextSize::new(0)),
            message: format!(
                "the file is too large to parse ({} bytes; the limit is 4 GiB)",
                text.len()
            ),
        });
    }
    match syn::parse_file(text) {
        Ok(file) => {
            let spans = SpanMap {
                base: stripped_prefix_len(text, &file),
                len: text.len(),
            };
            Ok(extract(&file, &spans))
        }
        Err(error) => Err(ParseError {
            range: error_range(text, &error),
            message: describe(&error),
        }),
    }
}

/// The bytes `syn::parse_file` stripped before parsing: a byte order mark, then a shebang line
/// (which it keeps in `file.shebang`, without its newline).
fn stripped_prefix_len(text: &str, file: &syn::File) -> usize {
    let bom = if text.starts_with(BOM) {
        BOM.len_utf8()
    } else {
        0
    };
    bom + file.shebang.as_ref().map_or(0, String::len)
}

const BOM: char = '\u{feff}';

/// The range of a syn error in `text`.
///
/// A failed parse does not say whether syn stripped a shebang line, so byte offsets cannot be
/// corrected for it; line/column positions can: stripping keeps the newline, so lines keep
/// their numbers, and only the first line's columns shift (by the byte order mark).
fn error_range(text: &str, error: &syn::Error) -> TextRange {
    let span = error.span();
    // Only the call-site span has no source text: syn uses it for "unexpected end of input".
    if span.source_text().is_none() {
        return TextRange::empty(TextSize::of(text));
    }
    let index = LineIndex::new(text);
    let bom_columns = u32::from(text.starts_with(BOM));
    let offset = |position: LineColumn| {
        let line = u32::try_from(position.line).unwrap_or(u32::MAX);
        let column = u32::try_from(position.column).unwrap_or(u32::MAX);
        let first_line_shift = if line == 1 { bom_columns } else { 0 };
        index
            .offset_of(SourcePosition {
                line,
                column: column.saturating_add(1 + first_line_shift),
            })
            .unwrap_or_else(|| TextSize::of(text))
    };
    let (start, end) = (offset(span.start()), offset(span.end()));
    TextRange::new(start.min(end), end)
}

/// syn's message, with its tokenizer failure (which names no cause) explained.
fn describe(error: &syn::Error) -> String {
    let message = error.to_string();
    if message == "cannot parse string into token stream" {
        "unbalanced delimiter or unterminated literal or comment: the file cannot be split into tokens"
            .to_owned()
    } else {
        message
    }
}
