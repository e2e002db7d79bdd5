//! The SQL of sqlx queries in a Rust file: the string literal of the checked macros
//! (`sqlx::query!("..")`, `query_as!(T, "..")`, `query_scalar!`, their `_unchecked` forms) and
//! of the unchecked functions (`sqlx::query("..")`, `query_as::<_, T>("..")`,
//! `query_scalar("..")`), raw strings included.

use std::collections::HashMap;
use std::ops::Range;

use commerce_diagnostics::{TextRange, TextSize};
use proc_macro2::TokenTree;
use syn::visit::{self, Visit};
use syn::{
    Attribute, Expr, ExprCall, ExprLit, ItemConst, ItemFn, ItemMod, Lit, LitStr, Macro, Meta,
};

use crate::parse::{ParseError, SpanMap, with_parsed_file};

/// The sqlx macros whose first string literal is the query.
const QUERY_MACROS: [&str; 6] = [
    "query",
    "query_as",
    "query_scalar",
    "query_unchecked",
    "query_as_unchecked",
    "query_scalar_unchecked",
];

/// The sqlx functions whose first argument is the query.
const QUERY_FUNCTIONS: [&str; 6] = [
    "query",
    "query_as",
    "query_scalar",
    "query_with",
    "query_as_with",
    "query_scalar_with",
];

/// One query string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqlxQuery {
    /// The SQL, escapes resolved.
    pub sql: String,
    /// The whole string literal, quotes included.
    pub literal: TextRange,
    /// Inside a test function (`#[test]`, `#[tokio::test]`, …) or a `#[cfg(test)]` item.
    pub in_test: bool,
    /// Where `sql` starts in the file when the literal holds it byte for byte (no escapes).
    verbatim_at: Option<TextSize>,
}

impl SqlxQuery {
    /// The bytes of the file that hold `sql[range]`: exact when the literal has no escapes,
    /// else the whole literal.
    pub fn range_of(&self, range: Range<usize>) -> TextRange {
        match self.verbatim_at {
            Some(start) if range.end <= self.sql.len() => TextRange::from_usize_range(
                start.to_usize() + range.start..start.to_usize() + range.end,
            ),
            _ => self.literal,
        }
    }
}

/// Every sqlx query string in the Rust source `text`, in source order. A query function
/// called with the name of a string `const` of the same file (`sqlx::query(BY_ID)`) gets that
/// const's literal. Queries inside other macros' arguments (`tokio::join!(sqlx::query!(..))`)
/// are not seen: syn keeps those as tokens.
pub fn sqlx_queries(text: &str) -> Result<Vec<SqlxQuery>, ParseError> {
    with_parsed_file(text, |file, spans| {
        let mut consts = Consts::default();
        consts.visit_file(file);
        let mut collector = Collector {
            text,
            spans,
            consts: consts.strings,
            found: Vec::new(),
            test_depth: 0,
        };
        collector.visit_file(file);
        collector.found
    })
}

/// The string `const`s of a file, by name (a name given twice, in two modules, is left out:
/// which one a call means is not told here).
#[derive(Default)]
struct Consts {
    strings: HashMap<String, Option<LitStr>>,
}

impl<'ast> Visit<'ast> for Consts {
    fn visit_item_const(&mut self, item: &'ast ItemConst) {
        if let Expr::Lit(ExprLit {
            lit: Lit::Str(literal),
            ..
        }) = &*item.expr
        {
            self.strings
                .entry(item.ident.to_string())
                .and_modify(|seen| *seen = None)
                .or_insert_with(|| Some(literal.clone()));
        }
        visit::visit_item_const(self, item);
    }
}

struct Collector<'s> {
    text: &'s str,
    spans: &'s SpanMap,
    consts: HashMap<String, Option<LitStr>>,
    found: Vec<SqlxQuery>,
    /// How many test items enclose the node being visited.
    test_depth: usize,
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_fn(&mut self, item: &'ast ItemFn) {
        let is_test = is_test_item(&item.attrs);
        self.test_depth += usize::from(is_test);
        visit::visit_item_fn(self, item);
        self.test_depth -= usize::from(is_test);
    }

    fn visit_item_mod(&mut self, item: &'ast ItemMod) {
        let is_test = is_test_item(&item.attrs);
        self.test_depth += usize::from(is_test);
        visit::visit_item_mod(self, item);
        self.test_depth -= usize::from(is_test);
    }

    fn visit_macro(&mut self, mac: &'ast Macro) {
        let is_query = mac
            .path
            .segments
            .last()
            .is_some_and(|segment| QUERY_MACROS.contains(&segment.ident.to_string().as_str()));
        if is_query && let Some(literal) = first_string_literal(mac) {
            self.push(&literal);
        }
        visit::visit_macro(self, mac);
    }

    fn visit_expr_call(&mut self, call: &'ast ExprCall) {
        if is_query_function(&call.func) {
            match call.args.first() {
                Some(Expr::Lit(ExprLit {
                    lit: Lit::Str(literal),
                    ..
                })) => self.push(literal),
                Some(Expr::Path(path)) => {
                    let named = path
                        .path
                        .get_ident()
                        .and_then(|name| self.consts.get(&name.to_string()).cloned().flatten());
                    if let Some(literal) = named {
                        self.push(&literal);
                    }
                }
                _ => {}
            }
        }
        visit::visit_expr_call(self, call);
    }
}

impl Collector<'_> {
    fn push(&mut self, literal: &LitStr) {
        let sql = literal.value();
        let range = self.spans.range(literal.span());
        let source = &self.text[range.to_usize_range()];
        // The value starts after the opening quote (and a raw string's `r#`).
        let verbatim_at = source
            .find('"')
            .map(|quote| quote + 1)
            .filter(|open| {
                source[*open..]
                    .strip_prefix(sql.as_str())
                    .is_some_and(|rest| rest.starts_with('"'))
            })
            .map(|open| range.start() + TextSize::from_usize(open));
        self.found.push(SqlxQuery {
            sql,
            literal: range,
            in_test: self.test_depth > 0,
            verbatim_at,
        });
    }
}

/// A test function, or an item under `#[cfg(test)]` (`cfg(all(test, …))` too).
fn is_test_item(attributes: &[Attribute]) -> bool {
    attributes.iter().any(|attribute| {
        crate::test_fns::test_attribute_path(attribute).is_some()
            || (attribute.path().is_ident("cfg")
                && matches!(&attribute.meta, Meta::List(list) if names_test(list.tokens.clone())))
    })
}

/// Whether the cfg predicate `tokens` asks for `test`, at any depth (`all(test, …)`), not
/// under `not(…)`.
fn names_test(tokens: proc_macro2::TokenStream) -> bool {
    let mut negated = false;
    for token in tokens {
        match token {
            TokenTree::Ident(ident) if ident == "test" => return true,
            TokenTree::Ident(ident) => negated = ident == "not",
            TokenTree::Group(group) if !negated && names_test(group.stream()) => return true,
            _ => negated = false,
        }
    }
    false
}

/// `sqlx::query`, `query_as::<_, T>` (imported from sqlx): a path of one segment, or one
/// starting with `sqlx`, ending in a query function.
fn is_query_function(func: &Expr) -> bool {
    let Expr::Path(path) = func else {
        return false;
    };
    let segments = &path.path.segments;
    let from_sqlx =
        segments.len() == 1 || segments.first().is_some_and(|first| first.ident == "sqlx");
    from_sqlx
        && segments
            .last()
            .is_some_and(|last| QUERY_FUNCTIONS.contains(&last.ident.to_string().as_str()))
}

/// The first string literal among a macro's arguments: the query of `query!("..", a)` and
/// of `query_as!(Row, "..", a)`.
fn first_string_literal(mac: &Macro) -> Option<LitStr> {
    mac.tokens
        .clone()
        .into_iter()
        .find_map(|token| match token {
            TokenTree::Literal(literal) => match Lit::new(literal) {
                Lit::Str(string) => Some(string),
                _ => None,
            },
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queries(text: &str) -> Vec<SqlxQuery> {
        sqlx_queries(text).unwrap_or_else(|error| panic!("{error:?}"))
    }

    #[test]
    fn finds_every_macro_and_function_form() {
        let text = r####"
use sqlx::{query, query_as};

async fn load(pool: &PgPool) {
    let a = sqlx::query!("SELECT note FROM orders WHERE id = $1", 1).fetch_one(pool).await;
    let b = query_as!(Order, r#"SELECT id, "total" FROM orders"#).fetch_all(pool).await;
    let c = sqlx::query_scalar!("SELECT count(*) FROM lines");
    let d = sqlx::query("DELETE FROM carts").execute(pool).await;
    let e = query_as::<_, Order>("SELECT * FROM orders\nWHERE id = $1");
    let f = sqlx::query_scalar::<_, i64>(r"SELECT 1");
    let not_sql = format!("SELECT {}", 1);
    let other = client.query("SELECT from_another_client", &[]);
    let elsewhere = db::query("SELECT from_another_module");
}
"####;
        let found = queries(text);
        let sql: Vec<&str> = found.iter().map(|query| query.sql.as_str()).collect();
        assert_eq!(
            sql,
            [
                "SELECT note FROM orders WHERE id = $1",
                r#"SELECT id, "total" FROM orders"#,
                "SELECT count(*) FROM lines",
                "DELETE FROM carts",
                "SELECT * FROM orders\nWHERE id = $1",
                "SELECT 1",
            ]
        );
        // The `\n` escape puts that literal's SQL apart from its source bytes.
        for (index, query) in found.iter().enumerate() {
            let keyword = query.range_of(0..6);
            if index == 4 {
                assert_eq!(keyword, query.literal);
            } else {
                assert_eq!(&text[keyword.to_usize_range()], &query.sql[..6]);
            }
        }
        assert_eq!(
            &text[found[1].literal.to_usize_range()],
            r##"r#"SELECT id, "total" FROM orders"#"##
        );
    }

    #[test]
    fn a_literal_with_escapes_is_pointed_at_whole() {
        let text = "fn f() { sqlx::query(\"SELECT \\\"note\\\" FROM orders\"); }";
        let found = queries(text);
        assert_eq!(found[0].sql, "SELECT \"note\" FROM orders");
        assert_eq!(found[0].range_of(7..13), found[0].literal);
    }

    #[test]
    fn a_string_const_passed_to_a_query_function_is_read_at_the_const() {
        let text = r#"
const BY_ID: &str = "SELECT * FROM orders WHERE id = $1";
fn a() { sqlx::query(BY_ID); sqlx::query_as::<_, Order>(BY_ID); sqlx::query(other::BY_ID); }
mod x { const TWICE: &str = "SELECT 1"; }
mod y { const TWICE: &str = "SELECT 2"; fn b() { sqlx::query(TWICE); } }
"#;
        let found = queries(text);
        assert_eq!(found.len(), 2);
        assert!(found.iter().all(|query| query.literal == found[0].literal));
        assert_eq!(
            &text[found[0].literal.to_usize_range()],
            "\"SELECT * FROM orders WHERE id = $1\""
        );
    }

    #[test]
    fn queries_in_tests_are_marked() {
        let text = r#"
fn app() { sqlx::query("SELECT 1"); }
#[tokio::test]
async fn a() { sqlx::query("SELECT 2"); }
#[cfg(test)]
mod tests { fn helper() { sqlx::query!("SELECT 3"); } }
#[cfg(all(test, feature = "pg"))]
fn b() { sqlx::query("SELECT 4"); }
#[cfg(feature = "test-utils")]
fn c() { sqlx::query("SELECT 5"); }
#[cfg(not(test))]
fn d() { sqlx::query("SELECT 6"); }
"#;
        let in_test: Vec<bool> = queries(text).iter().map(|query| query.in_test).collect();
        assert_eq!(in_test, [false, true, true, true, false, false]);
    }

    #[test]
    fn a_file_that_does_not_parse_is_an_error() {
        assert!(sqlx_queries("fn f( { sqlx::query!(\"SELECT 1\") }").is_err());
    }
}
