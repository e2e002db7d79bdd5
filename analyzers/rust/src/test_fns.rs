//! The test functions of a Rust file and their `#[ignore]` attributes.

use commerce_diagnostics::TextRange;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Attribute, Expr, ExprLit, ItemFn, ItemMod, Lit, Meta};

use crate::parse::{ParseError, SpanMap, with_parsed_file};

/// A function the test harness runs: it carries a test attribute such as `#[test]`,
/// `#[tokio::test]`, `#[sqlx::test]`, `#[rstest]` or `#[test_case(..)]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestFunction {
    pub name: String,
    /// The path of the function inside this file: the inline modules around it, then its name
    /// (`tests::adds_vat`). This is how the harness names the test, after the file's own
    /// module path.
    pub path: String,
    /// The byte range of the function's name.
    pub name_range: TextRange,
    /// The test attribute's path as written: `test`, `tokio::test`, `rstest`, `test_case`.
    pub attribute: String,
    pub ignore: Option<Ignore>,
}

/// An `#[ignore]` attribute on a test function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ignore {
    /// The byte range of the whole attribute, `#[` to `]`.
    pub range: TextRange,
    /// The text of `#[ignore = "why"]`; `None` for a bare `#[ignore]`.
    pub reason: Option<String>,
}

/// Every test function in the Rust source `text`, in source order, including those in nested
/// inline modules.
///
/// Only attributes written on the function count: a test attribute produced by another macro,
/// or an `ignore` inside `#[cfg_attr(.., ignore)]`, is not seen.
pub fn test_functions(text: &str) -> Result<Vec<TestFunction>, ParseError> {
    with_parsed_file(text, |file, spans| {
        let mut collector = Collector {
            spans,
            modules: Vec::new(),
            found: Vec::new(),
        };
        collector.visit_file(file);
        collector.found
    })
}

struct Collector<'s> {
    spans: &'s SpanMap,
    /// The names of the inline modules around the item being visited.
    modules: Vec<String>,
    found: Vec<TestFunction>,
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_mod(&mut self, module: &'ast ItemMod) {
        self.modules.push(module.ident.to_string());
        visit::visit_item_mod(self, module);
        self.modules.pop();
    }

    fn visit_item_fn(&mut self, function: &'ast ItemFn) {
        if let Some(attribute) = function.attrs.iter().find_map(test_attribute_path) {
            self.found.push(self.test_function(function, attribute));
        }
        visit::visit_item_fn(self, function);
    }
}

impl Collector<'_> {
    fn test_function(&self, function: &ItemFn, attribute: String) -> TestFunction {
        let name = function.sig.ident.to_string();
        let path = self
            .modules
            .iter()
            .chain([&name])
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("::");
        TestFunction {
            path,
            name_range: self.spans.range(function.sig.ident.span()),
            attribute,
            ignore: function.attrs.iter().find_map(|attr| self.ignore(attr)),
            name,
        }
    }

    fn ignore(&self, attribute: &Attribute) -> Option<Ignore> {
        if !attribute.path().is_ident("ignore") {
            return None;
        }
        Some(Ignore {
            range: self.spans.range(attribute.span()),
            reason: ignore_reason(&attribute.meta),
        })
    }
}

/// The path of `attribute` as written (`tokio::test`) when it marks a test function.
///
/// A test attribute's last segment is `test` (`#[test]`, `#[tokio::test]`, `#[sqlx::test]`,
/// `#[test_log::test]`), ends in `_test` (`#[wasm_bindgen_test]`), or names a test-generating
/// macro: `#[rstest]`, `#[test_case(..)]`, `#[test_matrix(..)]`, googletest's `#[gtest]`.
pub(crate) fn test_attribute_path(attribute: &Attribute) -> Option<String> {
    let path = attribute.path();
    let last = path.segments.last()?.ident.to_string();
    let is_test = last == "test"
        || last.ends_with("_test")
        || matches!(
            last.as_str(),
            "rstest" | "test_case" | "test_matrix" | "gtest"
        );
    is_test.then(|| {
        path.segments
            .iter()
            .map(|segment| segment.ident.to_string())
            .collect::<Vec<_>>()
            .join("::")
    })
}

/// `"why"` of `#[ignore = "why"]`. Other forms (`#[ignore]`, and the malformed
/// `#[ignore("why")]` that rustc rejects) carry no reason the harness would print.
fn ignore_reason(meta: &Meta) -> Option<String> {
    match meta {
        Meta::NameValue(name_value) => match &name_value.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(reason),
                ..
            }) => Some(reason.value()),
            _ => None,
        },
        Meta::Path(_) | Meta::List(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use commerce_diagnostics::TextSize;

    use super::*;

    fn slice(text: &str, range: TextRange) -> &str {
        &text[range.to_usize_range()]
    }

    fn parse(text: &str) -> Vec<TestFunction> {
        test_functions(text).unwrap_or_else(|error| panic!("{error:?}"))
    }

    #[test]
    fn finds_tests_in_nested_modules_with_their_paths() {
        let text = r#"
fn helper() {}

#[test]
fn top_level() {}

#[cfg(test)]
mod tests {
    #[test]
    fn adds_vat() {}

    mod rounding {
        #[tokio::test]
        async fn rounds_half_up() {}
    }

    fn not_a_test() {}
}
"#;
        let found = parse(text);
        let paths: Vec<&str> = found.iter().map(|test| test.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "top_level",
                "tests::adds_vat",
                "tests::rounding::rounds_half_up"
            ]
        );
        for test in &found {
            assert_eq!(slice(text, test.name_range), test.name);
        }
        assert_eq!(found[2].attribute, "tokio::test");
    }

    #[test]
    fn recognises_every_test_attribute_form() {
        let text = r#"
#[test] fn plain() {}
#[tokio::test(flavor = "multi_thread")] async fn tokio() {}
#[sqlx::test(migrations = "migrations")] async fn sqlx(pool: PgPool) {}
#[rstest] fn rstest(#[case] n: u32) {}
#[test_case(1 ; "one")] #[test_case(2 ; "two")] fn cases(n: u32) {}
#[wasm_bindgen_test] fn wasm() {}
#[cfg(test)] fn cfg_only() {}
#[bench] fn bench() {}
#[contest] fn contest() {}
"#;
        let found: Vec<(String, String)> = parse(text)
            .into_iter()
            .map(|test| (test.name, test.attribute))
            .collect();
        let expected = [
            ("plain", "test"),
            ("tokio", "tokio::test"),
            ("sqlx", "sqlx::test"),
            ("rstest", "rstest"),
            ("cases", "test_case"),
            ("wasm", "wasm_bindgen_test"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(name, attribute)| ((*name).to_owned(), (*attribute).to_owned()))
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn reads_ignore_with_and_without_a_reason() {
        let text = r#"
#[test] #[ignore]
fn bare() {}

#[ignore = "needs a live Stripe key"]
#[test]
fn with_reason() {}

#[test]
#[ignore("malformed")]
fn malformed() {}

#[test]
#[cfg_attr(miri, ignore)]
fn conditional() {}

#[ignore] fn not_a_test() {}
"#;
        let found = parse(text);
        let ignores: Vec<(&str, Option<&str>)> = found
            .iter()
            .map(|test| {
                let ignore = test.ignore.as_ref();
                (
                    test.name.as_str(),
                    ignore.map(|ignore| slice(text, ignore.range)),
                )
            })
            .collect();
        assert_eq!(
            ignores,
            [
                ("bare", Some("#[ignore]")),
                (
                    "with_reason",
                    Some("#[ignore = \"needs a live Stripe key\"]")
                ),
                ("malformed", Some("#[ignore(\"malformed\")]")),
                ("conditional", None),
            ]
        );
        let reasons: Vec<Option<&str>> = found
            .iter()
            .filter_map(|test| test.ignore.as_ref())
            .map(|ignore| ignore.reason.as_deref())
            .collect();
        assert_eq!(reasons, [None, Some("needs a live Stripe key"), None]);
    }

    #[test]
    fn ranges_are_byte_offsets_after_multi_byte_text_a_bom_and_a_shebang() {
        let text = "\u{feff}#!/usr/bin/env run-cargo-script\n//! Prix: 9,99 € 😀\n\
                    const É: &str = \"ü\";\n#[test] #[ignore] fn größe() {}\n";
        let found = parse(text);
        assert_eq!(found.len(), 1);
        assert_eq!(slice(text, found[0].name_range), "größe");
        let ignore = found[0].ignore.as_ref().expect("ignored");
        assert_eq!(slice(text, ignore.range), "#[ignore]");
    }

    #[test]
    fn a_file_without_tests_has_none() {
        assert_eq!(parse(""), []);
        assert_eq!(parse("pub fn price() -> u64 { 1 }"), []);
    }

    #[test]
    fn unparsable_rust_is_an_error_at_the_offending_token() {
        let text = "#[test]\nfn f() { let x = ; }\n";
        let error = test_functions(text).expect_err("missing expression");
        assert_eq!(slice(text, error.range), ";");
        assert_eq!(error.message, "expected an expression");
    }

    #[test]
    fn an_unclosed_delimiter_points_at_it() {
        let text = "mod tests {\n    #[test]\n    fn f() {}\n";
        let error = test_functions(text).expect_err("unclosed module");
        assert_eq!(error.range, TextRange::empty(TextSize::new(10)));
        assert!(error.message.contains("unbalanced delimiter"), "{error}");
    }

    #[test]
    fn an_error_at_the_end_of_the_file_points_at_the_end() {
        let text = "struct Price";
        let error = test_functions(text).expect_err("missing body");
        assert_eq!(error.range, TextRange::empty(TextSize::of(text)));
        assert!(
            error.message.starts_with("unexpected end of input"),
            "{error}"
        );
    }

    #[test]
    fn error_positions_account_for_a_stripped_shebang() {
        let text = "#!/usr/bin/env run-cargo-script\nfn f() { 1 + }\n";
        let error = test_functions(text).expect_err("missing operand");
        assert_eq!(
            error.range.start().to_usize(),
            text.rfind('}').expect("brace")
        );
    }

    #[test]
    fn error_positions_account_for_a_byte_order_mark() {
        let text = "\u{feff}fn é() { let = 1; }";
        let error = test_functions(text).expect_err("missing pattern");
        assert_eq!(slice(text, error.range), "=");
    }

    #[test]
    fn the_thread_local_source_map_is_cleared_after_a_parse() {
        let earlier: proc_macro2::TokenStream = "fn kept() {}".parse().expect("tokens");
        let span = earlier.into_iter().next().expect("a token").span();
        assert_eq!(span.source_text().as_deref(), Some("fn"));
        parse("#[test] fn t() {}");
        // Spans from before the clear no longer resolve (proc-macro2 panics or answers wrong).
        let after = std::panic::catch_unwind(|| span.source_text());
        assert!(!matches!(after, Ok(Some(text)) if text == "fn"));
    }
}
