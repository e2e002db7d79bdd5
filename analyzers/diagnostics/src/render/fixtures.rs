//! The small, shared set of diagnostics every renderer's snapshot is taken on, chosen to hit each
//! awkward case once: a safe fix, an unsafe fix, a display-only fix, a related label in another
//! file and in the same file, help, every severity, a tab-indented line, multi-byte characters,
//! a CRLF file and a file that is not in [`Sources`].

use std::time::Duration;

use serde_json::json;

use super::{Sources, Summary};
use crate::{Diagnostic, Edit, Fix, RuleMeta, RuleRegistry, Severity, TextRange, sort_and_dedup};

const CART_TEST: &str = "import { total } from './crat';\n\nit.only('sums the cart', () => {\n\texpect(total([1, 2])).toBe(3);\n});\n";
const A: &str = "import { b } from './b';\nexport const a = () => b();\n";
const B: &str = "import { a } from './a';\nexport const b = () => a();\n";
pub(crate) const I18N: &str = "export const grüße = \"Grüße 😀\"; export { tschüß };\n";
const MIGRATION: &str = "CREATE TABLE orders (\r\n  id int PRIMARY KEY,\r\n  note text\r\n);\r\n";

/// Every file of the fixture except `openapi/shop.yaml` and `openapi/base.yaml`, which stand for
/// files whose text the renderer never got.
pub(crate) fn sources() -> Sources {
    [
        ("web/src/cart.test.ts", CART_TEST),
        ("web/src/a.ts", A),
        ("web/src/b.ts", B),
        ("web/src/i18n.ts", I18N),
        ("migrations/20240101000000_init.sql", MIGRATION),
    ]
    .into_iter()
    .collect()
}

/// The byte range of the `nth` (0-based) occurrence of `needle` in `text`.
fn find(text: &str, needle: &str, nth: usize) -> TextRange {
    let start = text
        .match_indices(needle)
        .nth(nth)
        .map(|(start, _)| start)
        .unwrap_or_else(|| panic!("fixture text has no {needle:?} #{nth}"));
    TextRange::from_usize_range(start..start + needle.len())
}

pub(crate) fn diagnostics() -> Vec<Diagnostic> {
    let mut diagnostics = vec![
        focused_test(),
        unresolved_import(),
        loose_assertion(),
        import_cycle(),
        missing_export(),
        int_primary_key(),
        removed_path(),
    ];
    sort_and_dedup(&mut diagnostics);
    diagnostics
}

fn focused_test() -> Diagnostic {
    let path = "web/src/cart.test.ts";
    let only = find(CART_TEST, "it.only", 0);
    Diagnostic::new(
        "tests/focused-or-skipped-test",
        Severity::Error,
        path,
        only,
        "`it.only` runs this test alone and silently skips the rest of the file",
    )
    .with_help("remove `.only` before merging")
    .with_fix(Fix::safe(
        "Remove `.only`",
        vec![Edit::replacement(path, only, "it")],
    ))
}

fn unresolved_import() -> Diagnostic {
    Diagnostic::new(
        "frontend/unresolved-import",
        Severity::Warning,
        "web/src/cart.test.ts",
        find(CART_TEST, "'./crat'", 0),
        "cannot resolve `./crat` from `web/src/cart.test.ts`",
    )
    .with_help("did you mean `./cart`?")
    .with_data("specifier", "./crat")
}

/// On a tab-indented line, so the caret has to follow the tab's expansion.
fn loose_assertion() -> Diagnostic {
    Diagnostic::new(
        "tests/prefer-strict-equal",
        Severity::Info,
        "web/src/cart.test.ts",
        find(CART_TEST, "toBe", 0),
        "`toBe` compares by identity; `toStrictEqual` also checks types and structure",
    )
}

fn import_cycle() -> Diagnostic {
    Diagnostic::new(
        "frontend/import-cycle",
        Severity::Error,
        "web/src/a.ts",
        find(A, "import { b } from './b';", 0),
        "import cycle: web/src/a.ts -> web/src/b.ts -> web/src/a.ts",
    )
    .with_related(
        "web/src/b.ts",
        find(B, "import { a } from './a';", 0),
        "`web/src/b.ts` imports `./a`, closing the cycle",
    )
    .with_data("members", json!(["web/src/a.ts", "web/src/b.ts"]))
    .with_data("cycle", json!(["web/src/a.ts", "web/src/b.ts"]))
    .with_data("runtime", true)
}

/// Multi-byte characters before and inside the range, so columns must count characters.
fn missing_export() -> Diagnostic {
    Diagnostic::new(
        "frontend/missing-export",
        Severity::Error,
        "web/src/i18n.ts",
        find(I18N, "tschüß", 0),
        "`tschüß` is exported but never declared in this module",
    )
}

/// In a CRLF file, with a related label in the same file.
fn int_primary_key() -> Diagnostic {
    let path = "migrations/20240101000000_init.sql";
    let int = find(MIGRATION, "int", 0);
    Diagnostic::new(
        "migrations/prefer-bigint-over-int",
        Severity::Warning,
        path,
        int,
        "`int` primary keys overflow at 2,147,483,647 rows",
    )
    .with_related(path, find(MIGRATION, "orders", 0), "in table `orders`")
    .with_fix(Fix::unsafe_edit(
        "Use `bigint`",
        vec![Edit::replacement(path, int, "bigint")],
    ))
    .with_data("migration", path)
}

/// Its file, its related file and its fix's file are all missing from [`sources`].
fn removed_path() -> Diagnostic {
    let range = TextRange::new(120.into(), 140.into());
    Diagnostic::new(
        "contracts/api-path-removed-without-deprecation",
        Severity::Error,
        "openapi/shop.yaml",
        range,
        "GET /carts/{id} was removed without being deprecated first",
    )
    .with_related("openapi/base.yaml", range, "declared here in the base spec")
    .with_fix(Fix::display_only(
        "Restore the operation with `deprecated: true`",
        vec![Edit::insertion(
            "openapi/shop.yaml",
            120.into(),
            "  /carts/{id}:\n    get:\n      deprecated: true\n",
        )],
    ))
    .with_data("method", "GET")
    .with_data("path", "/carts/{id}")
    .with_data("level", "error")
}

/// Six files analyzed, 12 ms.
pub(crate) fn summary(diagnostics: &[Diagnostic]) -> Summary {
    Summary::of(diagnostics, 6, Duration::from_millis(12))
}

crate::declare_rule! {
    /// ## What it does
    /// Flags `it.only`, `describe.only`, `it.skip` and friends.
    ///
    /// ## Why is this bad?
    /// A focused test makes CI run one test and report success.
    pub FocusedOrSkippedTest {
        id: "tests/focused-or-skipped-test",
        severity: Severity::Error,
        fix: crate::FixAvailability::Always,
    }
}

crate::declare_rule! {
    /// ## What it does
    /// Flags imports whose specifier resolves to no file.
    pub UnresolvedImport {
        id: "frontend/unresolved-import",
        severity: Severity::Error,
        fix: crate::FixAvailability::Sometimes,
    }
}

crate::declare_rule! {
    /// ## What it does
    /// Suggests `toStrictEqual` over `toBe` for values that are not primitives.
    pub PreferStrictEqual {
        id: "tests/prefer-strict-equal",
        severity: Severity::Info,
        fix: crate::FixAvailability::None,
    }
}

/// Some of the fixture's rules: the others are left out so that results without a registered
/// rule are covered too.
pub(crate) fn registry() -> RuleRegistry {
    let rules: Vec<RuleMeta> = vec![
        FocusedOrSkippedTest::META,
        UnresolvedImport::META,
        PreferStrictEqual::META,
    ];
    RuleRegistry::new(rules)
}
