//! `// commerce-ignore <rule>: <reason>` (`-- …` in SQL, `# …` in YAML): a finding the team
//! has decided to keep. A comment alone on its line covers the next line; a comment after code
//! covers its own line.

use std::path::Path;

use commerce_diagnostics::{Diagnostic, LineIndex, TextRange, TextSize};

use crate::rules::suppression_without_reason;

const MARKER: &str = "commerce-ignore";

/// One suppression comment.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Suppression {
    /// The 0-based line whose findings the comment covers.
    covers: u32,
    rules: Vec<String>,
    has_reason: bool,
    range: TextRange,
}

/// Removes the diagnostics a suppression comment covers and reports comments without a reason.
pub(crate) fn apply(path: &Path, text: &str, diagnostics: &mut Vec<Diagnostic>) {
    if !text.contains(MARKER) {
        return;
    }
    let index = LineIndex::new(text);
    let suppressions = parse(text);
    diagnostics.retain(|diagnostic| {
        let line = index.source_position(diagnostic.range.start()).line - 1;
        !suppressions.iter().any(|suppression| {
            suppression.covers == line && suppression.rules.contains(&diagnostic.rule)
        })
    });
    diagnostics.extend(
        suppressions
            .iter()
            .filter(|suppression| !suppression.has_reason)
            .map(|suppression| {
                suppression_without_reason::diagnostic(path, suppression.range, &suppression.rules)
            }),
    );
}

fn parse(text: &str) -> Vec<Suppression> {
    let mut suppressions = Vec::new();
    let mut line_start = 0usize;
    for (line, content) in text.split_inclusive('\n').enumerate() {
        if let Some(suppression) = parse_line(content, line_start, line as u32) {
            suppressions.push(suppression);
        }
        line_start += content.len();
    }
    suppressions
}

/// A suppression in a `//`, `--` or `#` comment of one line.
fn parse_line(content: &str, line_start: usize, line: u32) -> Option<Suppression> {
    let marker = content.find(MARKER)?;
    let before = content[..marker].trim_end();
    if !(before.ends_with("//") || before.ends_with("--") || before.ends_with('#')) {
        return None;
    }
    let rest = content[marker + MARKER.len()..].trim_end_matches(['\r', '\n']);
    let (rules, reason) = match rest.split_once(':') {
        // A rule id has one `/`, never `: `; the reason follows the first `: `.
        Some((rules, reason)) if !reason.starts_with('/') => (rules, reason.trim()),
        _ => (rest, ""),
    };
    let rules: Vec<String> = rules
        .split([',', ' '])
        .map(str::trim)
        .filter(|rule| !rule.is_empty())
        .map(str::to_owned)
        .collect();
    if rules.is_empty() {
        return None;
    }
    let start = line_start + before.len() - comment_token_len(before);
    let end = line_start + content.trim_end_matches(['\r', '\n']).len();
    let own_line = before[..before.len() - comment_token_len(before)]
        .trim()
        .is_empty();
    Some(Suppression {
        covers: if own_line { line + 1 } else { line },
        rules,
        has_reason: !reason.is_empty(),
        range: TextRange::new(TextSize::from_usize(start), TextSize::from_usize(end)),
    })
}

fn comment_token_len(before: &str) -> usize {
    if before.ends_with('#') { 1 } else { 2 }
}

#[cfg(test)]
mod tests {
    use commerce_diagnostics::Severity;

    use super::*;

    fn finding(text: &str, line: usize) -> Diagnostic {
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let range = TextRange::at(TextSize::from_usize(start), TextSize::new(1));
        Diagnostic::new(
            "tests/focused-or-skipped-test",
            Severity::Error,
            "a.test.ts",
            range,
            "focused",
        )
    }

    #[test]
    fn own_line_comments_cover_the_next_line_trailing_ones_their_own() {
        let text = "// commerce-ignore tests/focused-or-skipped-test: debugging the flaky cart test\nit.only('a');\nit.only('b'); // commerce-ignore tests/focused-or-skipped-test: same\nit.only('c');\n";
        let mut diagnostics = vec![finding(text, 1), finding(text, 2), finding(text, 3)];
        apply(Path::new("a.test.ts"), text, &mut diagnostics);
        let lines: Vec<u32> = diagnostics
            .iter()
            .map(|diagnostic| {
                LineIndex::new(text)
                    .source_position(diagnostic.range.start())
                    .line
            })
            .collect();
        assert_eq!(lines, [4]);
    }

    #[test]
    fn other_rules_and_plain_text_are_not_suppressed() {
        let text = "// commerce-ignore frontend/import-cycle: reason\nit.only('a');\nconst s = 'commerce-ignore tests/focused-or-skipped-test: no';\nit.only('b');\n";
        let mut diagnostics = vec![finding(text, 1), finding(text, 3)];
        apply(Path::new("a.test.ts"), text, &mut diagnostics);
        assert_eq!(diagnostics.len(), 2);
    }

    #[test]
    fn a_missing_reason_is_itself_a_warning() {
        let text = "-- commerce-ignore migrations/ban-drop-column\nALTER TABLE t DROP COLUMN c;\n";
        let mut diagnostics = Vec::new();
        apply(Path::new("m.sql"), text, &mut diagnostics);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].rule, "commerce/suppression-without-reason");
        assert_eq!(
            &text[diagnostics[0].range.to_usize_range()],
            "-- commerce-ignore migrations/ban-drop-column"
        );
    }

    #[test]
    fn several_rules_in_one_comment() {
        let text = "# commerce-ignore contracts/a, contracts/b: legacy endpoint\nx\n";
        let suppressions = parse(text);
        assert_eq!(suppressions[0].rules, ["contracts/a", "contracts/b"]);
        assert!(suppressions[0].has_reason);
    }
}
