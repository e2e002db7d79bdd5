//! Unified diffs of fixed files, for `--diff` and for showing a fix before applying it.

use std::path::Path;

use similar::TextDiff;

/// Lines of unchanged context around each change, as `git diff` shows.
const CONTEXT_LINES: usize = 3;

/// A git-style unified diff (`--- a/path`, `+++ b/path`) of one file; empty when nothing changed.
pub fn unified_diff(path: &Path, old: &str, new: &str) -> String {
    let shown = slash_path(path);
    diff_with_header(&format!("a/{shown}"), &shown, old, new)
}

/// The diff of a file a fix creates: from `/dev/null`, as `git diff` shows a new file.
pub fn creation_diff(path: &Path, new: &str) -> String {
    diff_with_header("/dev/null", &slash_path(path), "", new)
}

fn diff_with_header(old_header: &str, shown: &str, old: &str, new: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(CONTEXT_LINES)
        .header(old_header, &format!("b/{shown}"))
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
    fn a_created_file_comes_from_dev_null() {
        let diff = creation_diff(Path::new("db/1_a.down.sql"), "DROP TABLE a;\n");
        assert!(
            diff.starts_with("--- /dev/null\n+++ b/db/1_a.down.sql\n"),
            "{diff}"
        );
        assert!(diff.contains("+DROP TABLE a;"), "{diff}");
    }

    #[test]
    fn unchanged_text_has_no_diff() {
        assert_eq!(unified_diff(Path::new("a.ts"), "same\n", "same\n"), "");
    }
}
