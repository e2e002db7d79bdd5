//! Unified diffs of fixed files, for `--diff` and for showing a fix before applying it.

use std::path::Path;

use similar::TextDiff;

/// Lines of unchanged context around each change, as `git diff` shows.
const CONTEXT_LINES: usize = 3;

/// A git-style unified diff (`--- a/path`, `+++ b/path`) of one file; empty when nothing changed.
pub fn unified_diff(path: &Path, old: &str, new: &str) -> String {
    let shown = slash_path(path);
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(CONTEXT_LINES)
        .header(&format!("a/{shown}"), &format!("b/{shown}"))
        .to_string()
}

/// The path with `/` separators on every platform, as diff headers and messages show it.
fn slash_path(path: &Path) -> String {
    path.components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_change_with_context() {
        let old = "import { a } from './a';\nimport { b } from './b';\n\nexport function total() {\n  return a() + b();\n}\n\nexport const x = 1;\nexport const y = 2;\nexport const z = 3;\n";
        let new = old.replace("import { b }", "import type { b }");
        insta::assert_snapshot!(unified_diff(Path::new("web/src/cart.ts"), old, &new));
    }

    #[test]
    fn missing_final_newline_is_marked() {
        let diff = unified_diff(Path::new("a.ts"), "a\nb", "a\nc");
        assert!(diff.contains("\\ No newline at end of file"), "{diff}");
    }

    #[test]
    fn unchanged_text_has_no_diff() {
        assert_eq!(unified_diff(Path::new("a.ts"), "same\n", "same\n"), "");
    }
}
