//! GitHub Actions workflow commands (`--format github`): one `::error`/`::warning`/`::notice`
//! line per diagnostic, which GitHub turns into annotations on the pull request's diff.

use std::fmt::Write as _;

use super::{Sources, slash_path};
use crate::{Diagnostic, Severity};

/// One workflow command per diagnostic, each ending in a newline.
pub fn render(diagnostics: &[Diagnostic], sources: &Sources) -> String {
    diagnostics
        .iter()
        .map(|diagnostic| command(diagnostic, sources) + "\n")
        .collect()
}

fn command(diagnostic: &Diagnostic, sources: &Sources) -> String {
    let range = sources.source_range(&diagnostic.path, diagnostic.range);
    format!(
        "::{name} file={file},line={line},col={col},endLine={end_line},endColumn={end_col},title={title}::{message}",
        name = command_name(diagnostic.severity),
        file = escape_property(&slash_path(&diagnostic.path)),
        line = range.start.line,
        col = range.start.column,
        end_line = range.end.line,
        end_col = range.end.column,
        title = escape_property(&diagnostic.rule),
        message = escape_data(&annotation_text(diagnostic, sources)),
    )
}

const fn command_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// The message, then one line per related location and the help: an annotation is all a
/// reviewer sees, and it can span several lines.
fn annotation_text(diagnostic: &Diagnostic, sources: &Sources) -> String {
    let mut text = diagnostic.message.clone();
    for label in &diagnostic.related {
        let start = sources.source_range(&label.path, label.range).start;
        let path = slash_path(&label.path);
        let _ = write!(
            text,
            "\n{path}:{}:{}: {}",
            start.line, start.column, label.message
        );
    }
    if let Some(help) = &diagnostic.help {
        let _ = write!(text, "\nhelp: {help}");
    }
    text
}

/// Escapes a command's message, as the Actions runner's `escapeData` does.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property's value, as the Actions runner's `escapeProperty` does: `:` and
/// `,` would otherwise end the value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TextRange;
    use crate::render::fixtures;

    #[test]
    fn commands_match_the_snapshot() {
        let output = render(&fixtures::diagnostics(), &fixtures::sources());
        insta::assert_snapshot!(output);
    }

    #[test]
    fn data_escapes_percent_first_then_line_breaks() {
        assert_eq!(escape_data("100%\r\ndone: a,b"), "100%25%0D%0Adone: a,b");
        assert_eq!(escape_data("%0A"), "%250A");
    }

    #[test]
    fn properties_also_escape_colon_and_comma() {
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn hostile_paths_and_messages_stay_on_one_line() {
        let diagnostic = Diagnostic::new(
            "tests/demo",
            Severity::Info,
            "dir,with:odd\nname.ts",
            TextRange::default(),
            "line one\nline two",
        );
        let output = render(&[diagnostic], &crate::render::Sources::new());
        assert_eq!(
            output,
            "::notice file=dir%2Cwith%3Aodd%0Aname.ts,line=1,col=1,endLine=1,endColumn=1,title=tests/demo::line one%0Aline two\n"
        );
    }
}
