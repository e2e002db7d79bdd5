//! The human format (`--format human`), laid out like rustc and ruff by `annotate-snippets`:
//!
//! ```text
//! error[tests/focused-or-skipped-test]: `it.only` runs this test alone
//!  --> web/src/cart.test.ts:3:1
//!   |
//! 3 | it.only('sums the cart', () => {
//!   | ^^^^^^^
//!   |
//!   = help: remove `.only` before merging
//!   = fix (safe): Remove `.only`
//! ```
//!
//! followed by one summary line. Without color the output depends only on its inputs, so it
//! can be snapshot-tested byte for byte.

use std::ops::Range;
use std::path::Path;

use annotate_snippets::{
    Annotation, AnnotationKind, Element, Group, Level, Origin, Renderer, Snippet,
    normalize_untrusted_str,
};

use super::{SourceFile, Sources, Summary, slash_path};
use crate::{Applicability, Diagnostic, Label, Severity, TextRange, TextSize};

/// How to render; the caller decides color from `NO_COLOR`, `--color` and whether stdout is a
/// terminal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HumanOptions {
    pub color: bool,
}

/// How many diagnostics carry a fix that `--fix` applies, and how many more need
/// `--unsafe-fixes`. Display-only fixes are never applied, so they are not counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FixCounts {
    pub safe: usize,
    pub unsafe_only: usize,
}

impl FixCounts {
    pub fn of(diagnostics: &[Diagnostic]) -> Self {
        let count = |applicability| {
            diagnostics
                .iter()
                .filter(|diagnostic| {
                    diagnostic
                        .fix
                        .as_ref()
                        .is_some_and(|fix| fix.applicability == applicability)
                })
                .count()
        };
        Self {
            safe: count(Applicability::Safe),
            unsafe_only: count(Applicability::Unsafe),
        }
    }
}

/// Every diagnostic, each followed by a blank line, then the summary line; ends in a newline.
pub fn render(
    diagnostics: &[Diagnostic],
    sources: &Sources,
    summary: &Summary,
    options: HumanOptions,
) -> String {
    let mut output = render_diagnostics(diagnostics, sources, options);
    output.push_str(&render_summary(
        summary,
        FixCounts::of(diagnostics),
        options,
    ));
    output.push('\n');
    output
}

/// Every diagnostic, each followed by a blank line, without a summary (for errors in the
/// user's configuration, shown the way diagnostics are).
pub fn render_diagnostics(
    diagnostics: &[Diagnostic],
    sources: &Sources,
    options: HumanOptions,
) -> String {
    let renderer = if options.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut output = String::new();
    for diagnostic in diagnostics {
        output.push_str(&renderer.render(&[diagnostic_group(diagnostic, sources)]));
        output.push_str("\n\n");
    }
    output
}

/// The closing line, e.g. `Found 2 errors and 1 warning in 3 files (12 ms); 1 fix available
/// with --fix`, without a trailing newline.
pub fn render_summary(summary: &Summary, fixes: FixCounts, options: HumanOptions) -> String {
    let line = summary_line(summary, fixes);
    if options.color {
        let bold = anstyle::Style::new().bold();
        format!("{bold}{line}{bold:#}")
    } else {
        line
    }
}

fn summary_line(summary: &Summary, fixes: FixCounts) -> String {
    let files = plural(summary.files, "file", "files");
    let elapsed = elapsed(summary.elapsed_ms);
    let findings: Vec<String> = [
        (summary.errors, "error", "errors"),
        (summary.warnings, "warning", "warnings"),
        (summary.infos, "info", "infos"),
    ]
    .into_iter()
    .filter(|(count, _, _)| *count > 0)
    .map(|(count, singular, plural_form)| plural(count, singular, plural_form))
    .collect();
    if findings.is_empty() {
        return format!("No problems found in {files} ({elapsed})");
    }
    let mut line = format!("Found {} in {files} ({elapsed})", join_words(&findings));
    if let Some(fixes) = fixes_note(fixes) {
        line.push_str("; ");
        line.push_str(&fixes);
    }
    line
}

/// `1 fix available with --fix`, `2 fixes available with --fix (1 more with --unsafe-fixes)`,
/// or `None` when nothing can be applied.
fn fixes_note(fixes: FixCounts) -> Option<String> {
    let count = |n| plural(n, "fix", "fixes");
    match (fixes.safe, fixes.unsafe_only) {
        (0, 0) => None,
        (0, unsafe_only) => Some(format!(
            "{} available with --unsafe-fixes",
            count(unsafe_only)
        )),
        (safe, 0) => Some(format!("{} available with --fix", count(safe))),
        (safe, unsafe_only) => Some(format!(
            "{} available with --fix ({unsafe_only} more with --unsafe-fixes)",
            count(safe)
        )),
    }
}

fn plural(count: usize, singular: &str, plural: &str) -> String {
    format!("{count} {}", if count == 1 { singular } else { plural })
}

/// `a`, `a and b`, `a, b and c`.
fn join_words(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn elapsed(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{}.{:02} s", ms / 1000, ms % 1000 / 10)
    }
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    }
}

/// The diagnostic's header, its primary location with the related labels of the same file, the
/// related labels of other files (one snippet per file), then help and the fix's title.
fn diagnostic_group<'a>(diagnostic: &'a Diagnostic, sources: &'a Sources) -> Group<'a> {
    let title = level(diagnostic.severity)
        .primary_title(diagnostic.message.as_str())
        .id(diagnostic.rule.as_str());
    let mut elements = file_elements(
        sources,
        &diagnostic.path,
        Some(diagnostic.range),
        labels_in(&diagnostic.related, &diagnostic.path),
    );
    for path in other_label_paths(diagnostic) {
        elements.extend(file_elements(
            sources,
            path,
            None,
            labels_in(&diagnostic.related, path),
        ));
    }
    if let Some(help) = &diagnostic.help {
        elements.push(Level::HELP.message(normalize_untrusted_str(help)).into());
    }
    if let Some(fix) = &diagnostic.fix {
        let name = format!("fix ({})", fix.applicability.as_str());
        let message = Level::NOTE
            .with_name(name)
            .message(normalize_untrusted_str(&fix.title));
        elements.push(message.into());
    }
    Group::with_title(title).elements(elements)
}

fn labels_in<'a>(labels: &'a [Label], path: &'a Path) -> Vec<&'a Label> {
    labels.iter().filter(|label| label.path == path).collect()
}

/// The files of related labels other than the diagnostic's own, in order of first appearance.
fn other_label_paths(diagnostic: &Diagnostic) -> Vec<&Path> {
    let mut paths: Vec<&Path> = Vec::new();
    for label in &diagnostic.related {
        if label.path != diagnostic.path && !paths.contains(&label.path.as_path()) {
            paths.push(&label.path);
        }
    }
    paths
}

/// One file's part of a diagnostic: a snippet carrying the primary span (if the diagnostic is in
/// this file) and the labels, or — when the file's text is unknown — its path at 1:1 followed by
/// the labels' messages as notes.
fn file_elements<'a>(
    sources: &'a Sources,
    path: &'a Path,
    primary: Option<TextRange>,
    labels: Vec<&'a Label>,
) -> Vec<Element<'a>> {
    let display_path = slash_path(path);
    let Some(file) = sources.get(path) else {
        let origin = Origin::path(display_path).line(1).char_column(1);
        let notes = labels.into_iter().map(|label| {
            Level::NOTE
                .message(normalize_untrusted_str(&label.message))
                .into()
        });
        return std::iter::once(origin.into()).chain(notes).collect();
    };
    let ranges: Vec<TextRange> = primary
        .into_iter()
        .chain(labels.iter().map(|label| label.range))
        .collect();
    let excerpt = Excerpt::new(file, &ranges);
    let primary = primary.map(|range| AnnotationKind::Primary.span(excerpt.span(file, range)));
    let context = labels.into_iter().map(|label| -> Annotation<'a> {
        AnnotationKind::Context
            .span(excerpt.span(file, label.range))
            .label(label.message.as_str())
    });
    let snippet = Snippet::source(excerpt.source)
        .line_start(excerpt.first_line)
        .path(display_path)
        .annotations(primary.into_iter().chain(context));
    vec![snippet.into()]
}

/// The whole lines of a file that a diagnostic's spans touch. Handing `annotate-snippets` only
/// these keeps rendering proportional to the diagnostic, not to the file.
struct Excerpt<'a> {
    source: &'a str,
    /// 1-based line number of the excerpt's first line.
    first_line: usize,
    /// Byte offset of the excerpt in the file.
    offset: usize,
}

impl<'a> Excerpt<'a> {
    /// Callers pass the primary span or at least one label; with no ranges at all the excerpt
    /// would simply be the first line.
    fn new(file: &'a SourceFile, ranges: &[TextRange]) -> Self {
        let first = ranges
            .iter()
            .map(|range| file.snap(range.start()))
            .min()
            .unwrap_or_default();
        let last = ranges
            .iter()
            .map(|range| file.snap(last_byte(*range)))
            .max()
            .unwrap_or_default();
        let first_line = file.index.source_position(first).line;
        let last_line = file.index.source_position(last).line;
        let start = line_bounds(file, first_line).start;
        let end = line_bounds(file, last_line).end;
        Self {
            source: &file.text[start..end],
            first_line: first_line as usize,
            offset: start,
        }
    }

    /// `range` relative to the excerpt, snapped to character boundaries and clamped to it (a
    /// span that runs into the final line break ends at the line's last character).
    fn span(&self, file: &SourceFile, range: TextRange) -> Range<usize> {
        let clamp = |offset: TextSize| {
            file.snap(offset)
                .to_usize()
                .saturating_sub(self.offset)
                .min(self.source.len())
        };
        clamp(range.start())..clamp(range.end())
    }
}

/// The offset of the last byte a non-empty range covers (its start when empty), so that a range
/// ending right after a line break does not pull the next line into the excerpt.
fn last_byte(range: TextRange) -> TextSize {
    if range.is_empty() {
        range.start()
    } else {
        range.end() - TextSize::new(1)
    }
}

/// The byte range of the 1-based `line` without its line terminator.
fn line_bounds(file: &SourceFile, line: u32) -> Range<usize> {
    let Some(range) = file.index.line_range(line.saturating_sub(1)) else {
        return file.text.len()..file.text.len();
    };
    let content = file.text[range.to_usize_range()].trim_end_matches(['\r', '\n']);
    range.start().to_usize()..range.start().to_usize() + content.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    fn plain() -> HumanOptions {
        HumanOptions { color: false }
    }

    fn fixture_output(options: HumanOptions) -> String {
        let diagnostics = fixtures::diagnostics();
        let summary = fixtures::summary(&diagnostics);
        render(&diagnostics, &fixtures::sources(), &summary, options)
    }

    #[test]
    fn plain_output_matches_the_snapshot() {
        insta::assert_snapshot!(fixture_output(plain()));
    }

    #[test]
    fn plain_output_has_no_escape_codes_or_carriage_returns() {
        let output = fixture_output(plain());
        assert!(!output.contains('\u{1b}'), "{output}");
        assert!(!output.contains('\r'), "{output}");
    }

    #[test]
    fn color_is_used_only_when_asked_for() {
        let colored = fixture_output(HumanOptions { color: true });
        assert!(colored.contains('\u{1b}'));
        let stripped = strip_escapes(&colored);
        assert_eq!(stripped, fixture_output(plain()));
    }

    /// Removes ANSI SGR sequences (`ESC [ ... m`), all that the styled renderer emits.
    fn strip_escapes(text: &str) -> String {
        let mut output = String::new();
        let mut chars = text.chars();
        while let Some(ch) = chars.next() {
            if ch == '\u{1b}' {
                chars.by_ref().find(|ch| *ch == 'm');
            } else {
                output.push(ch);
            }
        }
        output
    }

    #[test]
    fn caret_follows_multi_byte_characters_and_tabs() {
        let output = fixture_output(plain());
        // `tschüß` is 6 characters wide, after 41 characters of which one is a wide emoji.
        assert!(
            output.contains(&format!(
                "1 | {}\n  | {}^^^^^^\n",
                fixtures::I18N.trim_end(),
                " ".repeat(42)
            )),
            "{output}"
        );
        // The tab before `expect` is shown as four spaces and the caret is shifted to match.
        assert!(
            output.contains(
                "4 |     expect(total([1, 2])).toBe(3);\n  |                           ^^^^\n"
            ),
            "{output}"
        );
    }

    #[test]
    fn empty_report_says_so() {
        let summary = Summary {
            files: 1,
            elapsed_ms: 3,
            ..Summary::default()
        };
        assert_eq!(
            render(&[], &Sources::new(), &summary, plain()),
            "No problems found in 1 file (3 ms)\n"
        );
    }

    #[test]
    fn summary_pluralises_and_lists_fixes() {
        let summary = Summary {
            errors: 2,
            warnings: 1,
            infos: 0,
            files: 3,
            elapsed_ms: 12,
        };
        let line =
            |safe, unsafe_only| render_summary(&summary, FixCounts { safe, unsafe_only }, plain());
        assert_eq!(
            line(1, 0),
            "Found 2 errors and 1 warning in 3 files (12 ms); 1 fix available with --fix"
        );
        assert_eq!(
            line(2, 1),
            "Found 2 errors and 1 warning in 3 files (12 ms); 2 fixes available with --fix (1 more with --unsafe-fixes)"
        );
        assert_eq!(
            line(0, 3),
            "Found 2 errors and 1 warning in 3 files (12 ms); 3 fixes available with --unsafe-fixes"
        );
        assert_eq!(
            line(0, 0),
            "Found 2 errors and 1 warning in 3 files (12 ms)"
        );
        let all = Summary {
            errors: 1,
            warnings: 2,
            infos: 3,
            files: 1,
            elapsed_ms: 2345,
        };
        assert_eq!(
            render_summary(&all, FixCounts::default(), plain()),
            "Found 1 error, 2 warnings and 3 infos in 1 file (2.34 s)"
        );
    }

    #[test]
    fn out_of_range_and_mid_character_spans_do_not_panic() {
        let sources: Sources = [("a.ts", "é😀\r\nx"), ("empty.ts", "")]
            .into_iter()
            .collect();
        let diagnostics = [
            Diagnostic::new(
                "tests/demo",
                Severity::Error,
                "a.ts",
                TextRange::new(1.into(), 4.into()),
                "mid-char",
            ),
            Diagnostic::new(
                "tests/demo",
                Severity::Error,
                "a.ts",
                TextRange::new(7.into(), 99.into()),
                "past the end",
            ),
            Diagnostic::new(
                "tests/demo",
                Severity::Error,
                "a.ts",
                TextRange::new(6.into(), 7.into()),
                "inside CRLF",
            ),
            Diagnostic::new(
                "tests/demo",
                Severity::Error,
                "empty.ts",
                TextRange::new(0.into(), 5.into()),
                "empty file",
            )
            .with_related("a.ts", TextRange::new(99.into(), 99.into()), "far away"),
        ];
        let output = render(
            &diagnostics,
            &sources,
            &Summary::of(&diagnostics, 2, Default::default()),
            plain(),
        );
        insta::assert_snapshot!(output);
    }
}
