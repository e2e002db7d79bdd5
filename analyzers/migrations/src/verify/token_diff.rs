//! What differs between two definitions, token by token, with a little context around each
//! change: `… WHERE (o.total > [-(0)-]{+(10)+}::numeric) …` (the `git diff --word-diff` marks).
//! Definitions run to thousands of characters; the change is usually a few tokens of them.

use similar::{Algorithm, DiffTag, capture_diff_slices};

/// Tokens of unchanged text kept on each side of a change, whitespace not counted.
const CONTEXT_TOKENS: usize = 14;

/// A diff longer than this is cut: past it, the definition was rewritten rather than edited,
/// and the finding's data holds both texts.
const MAX_DIFF_CHARS: usize = 600;

/// Where unchanged text is left out.
const ELLIPSIS: &str = " … ";

/// `expected` and `actual` as one line: unchanged text in short runs around each change,
/// removed tokens in `[-…-]`, added ones in `{+…+}`.
pub fn token_diff(expected: &str, actual: &str) -> String {
    let old = tokens(expected);
    let new = tokens(actual);
    let ops = capture_diff_slices(Algorithm::Myers, &old, &new);
    let runs = merge_changes(&old, &new, &ops);
    let last = runs.len().saturating_sub(1);
    let mut out = String::new();
    for (index, run) in runs.iter().enumerate() {
        match run {
            Run::Same(tokens) => out.push_str(&context(tokens, index > 0, index < last)),
            Run::Changed { removed, added } => {
                if !removed.is_empty() {
                    out.push_str(&format!("[-{}-]", removed.concat()));
                }
                if !added.is_empty() {
                    out.push_str(&format!("{{+{}+}}", added.concat()));
                }
            }
        }
    }
    let out = out.trim();
    match out.char_indices().nth(MAX_DIFF_CHARS) {
        Some((cut, _)) => format!(
            "{} … (diff cut; both texts are in the finding's data)",
            &out[..cut]
        ),
        None => out.to_owned(),
    }
}

/// A stretch of the diff: unchanged tokens, or a change.
enum Run<'a> {
    Same(Vec<&'a str>),
    Changed {
        removed: Vec<&'a str>,
        added: Vec<&'a str>,
    },
}

/// The diff as runs, neighbouring changes merged with the whitespace between them, so that
/// `a, b c` to `a c` reads `a[-, b-] c` and not `a[-,-] [-b -]c`.
fn merge_changes<'a>(old: &[&'a str], new: &[&'a str], ops: &[similar::DiffOp]) -> Vec<Run<'a>> {
    let mut runs: Vec<Run<'a>> = Vec::new();
    for (index, op) in ops.iter().enumerate() {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        let between_changes = index > 0 && index + 1 < ops.len();
        let blank = old[old_range.clone()]
            .iter()
            .all(|token| token.trim().is_empty());
        if tag == DiffTag::Equal && !(between_changes && blank) {
            runs.push(Run::Same(old[old_range].to_vec()));
            continue;
        }
        if !matches!(runs.last(), Some(Run::Changed { .. })) {
            runs.push(Run::Changed {
                removed: Vec::new(),
                added: Vec::new(),
            });
        }
        if let Some(Run::Changed { removed, added }) = runs.last_mut() {
            removed.extend_from_slice(&old[old_range]);
            added.extend_from_slice(&new[new_range]);
        }
    }
    runs
}

/// An unchanged run: its first tokens when a change comes before it (`keep_head`), its last
/// when one follows (`keep_tail`), the rest elided.
fn context(run: &[&str], keep_head: bool, keep_tail: bool) -> String {
    let counted = |token: &&str| !token.trim().is_empty();
    let head_end = if keep_head {
        run.iter()
            .enumerate()
            .filter(|(_, token)| counted(token))
            .nth(CONTEXT_TOKENS - 1)
            .map_or(run.len(), |(at, _)| at + 1)
    } else {
        0
    };
    let tail_start = if keep_tail {
        run.iter()
            .enumerate()
            .rev()
            .filter(|(_, token)| counted(token))
            .nth(CONTEXT_TOKENS - 1)
            .map_or(0, |(at, _)| at)
    } else {
        run.len()
    };
    if head_end >= tail_start {
        return run.concat();
    }
    format!(
        "{}{ELLIPSIS}{}",
        run[..head_end].concat(),
        run[tail_start..].concat()
    )
}

/// SQL as the catalogs print it, cut into tokens: quoted literals and identifiers whole,
/// words and numbers, runs of whitespace, and every other character on its own.
fn tokens(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut rest = text;
    while let Some(first) = rest.chars().next() {
        let length = match first {
            '\'' | '"' => quoted_length(rest, first),
            _ if first.is_whitespace() => rest
                .find(|ch: char| !ch.is_whitespace())
                .unwrap_or(rest.len()),
            _ if is_word(first) => rest.find(|ch: char| !is_word(ch)).unwrap_or(rest.len()),
            _ => first.len_utf8(),
        };
        let (token, remainder) = rest.split_at(length);
        tokens.push(token);
        rest = remainder;
    }
    tokens
}

fn is_word(ch: char) -> bool {
    ch.is_alphanumeric() || ch == '_' || ch == '$'
}

/// The length of the literal quoted by `quote` that `text` starts with (a doubled quote is
/// part of it); an unclosed one runs to the end.
fn quoted_length(text: &str, quote: char) -> usize {
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((at, ch)) = chars.next() {
        if ch == quote {
            if chars.peek().is_some_and(|(_, next)| *next == quote) {
                chars.next();
                continue;
            }
            return at + ch.len_utf8();
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_identifiers_are_single_tokens() {
        assert_eq!(
            tokens("SELECT 'it''s', \"Odd Name\".x_1 FROM t"),
            [
                "SELECT",
                " ",
                "'it''s'",
                ",",
                " ",
                "\"Odd Name\"",
                ".",
                "x_1",
                " ",
                "FROM",
                " ",
                "t"
            ]
        );
    }

    #[test]
    fn a_change_in_a_long_definition_is_shown_with_a_little_context() {
        let columns: Vec<String> = (0..200).map(|index| format!("o.column_{index}")).collect();
        let expected = format!(
            "SELECT {} FROM orders o WHERE (o.total > (0)::numeric)",
            columns.join(", ")
        );
        let actual = expected.replace("(0)::numeric", "(10)::numeric");
        assert_eq!(
            token_diff(&expected, &actual),
            "… , o.column_199 FROM orders o WHERE (o.total > ([-0-]{+10+})::numeric)"
        );
        let both_ends = format!("SELECT o.id, {} FROM orders o", columns.join(", "));
        let changed = both_ends
            .replace("SELECT o.id", "SELECT o.uuid")
            .replace("FROM orders", "FROM archived_orders");
        assert_eq!(
            token_diff(&both_ends, &changed),
            "SELECT o.[-id-]{+uuid+}, o.column_0, o.column_1, o.column_2, o … column_196, o.column_197, o.column_198, o.column_199 FROM [-orders-]{+archived_orders+} o"
        );
    }

    #[test]
    fn a_rewrite_is_cut_short() {
        let old: Vec<String> = (0..400).map(|index| format!("a{index}")).collect();
        let new: Vec<String> = (0..400).map(|index| format!("b{index}")).collect();
        let shown = token_diff(&old.join(" "), &new.join(" "));
        assert!(
            shown.ends_with(" … (diff cut; both texts are in the finding's data)"),
            "{shown}"
        );
        assert!(shown.chars().count() < MAX_DIFF_CHARS + 60, "{shown}");
    }

    #[test]
    fn added_and_removed_tokens_are_marked() {
        assert_eq!(
            token_diff("SELECT a, b FROM t", "SELECT a FROM t WHERE a"),
            "SELECT a[-, b-] FROM t{+ WHERE a+}"
        );
    }
}
