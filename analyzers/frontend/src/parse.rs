//! Parsing TypeScript and JavaScript files with swc, and mapping swc spans to our byte ranges.
//!
//! The parser is driven straight from the file's text: no `SourceMap`, no swc `GLOBALS`, no
//! shared state, so [`parse_module`] can run on many threads at once.

use std::path::Path;

use commerce_diagnostics::{TextRange, TextSize};
use swc_common::input::StringInput;
use swc_common::{BytePos, Span, Spanned};
use swc_ecma_ast::{EsVersion, Module, ModuleItem};
use swc_ecma_parser::error::Error as SwcError;
use swc_ecma_parser::lexer::Lexer;
use swc_ecma_parser::{EsSyntax, Parser, Syntax, TsSyntax};

/// Where the text of every parsed file starts in swc's position space. `BytePos(0)` is swc's
/// "dummy" position, so a file starts at 1 (as it would in a fresh `SourceMap`) and a real
/// position `p` is byte offset `p - 1`.
const FILE_START: BytePos = BytePos(1);

/// The dialect a file is parsed as, chosen from its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// `.ts`, `.mts`, `.cts`.
    TypeScript,
    /// `.tsx`.
    Tsx,
    /// `.d.ts` (and `.d.mts`, `.d.cts`): ambient declarations only.
    Declaration,
    /// `.js` and `.jsx`: an ES module that may contain JSX, as React projects write it.
    JavaScriptJsx,
    /// `.mjs`: an ES module without JSX.
    JavaScript,
    /// `.cjs`: a CommonJS script (sloppy mode, top-level `return` allowed), no JSX.
    CommonJs,
}

impl Dialect {
    /// The extensions [`Dialect::of`] accepts, for messages.
    pub const EXTENSIONS: [&'static str; 8] =
        ["ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs"];

    /// The dialect of `path`, or `None` when it is not a TypeScript/JavaScript source file.
    pub fn of(path: &Path) -> Option<Dialect> {
        let extension = path.extension()?.to_str()?;
        let dialect = match extension {
            "ts" | "mts" | "cts" if is_declaration_file(path) => Dialect::Declaration,
            "ts" | "mts" | "cts" => Dialect::TypeScript,
            "tsx" => Dialect::Tsx,
            "js" | "jsx" => Dialect::JavaScriptJsx,
            "mjs" => Dialect::JavaScript,
            "cjs" => Dialect::CommonJs,
            _ => return None,
        };
        Some(dialect)
    }

    /// TypeScript, TSX and declaration files: the dialects whose imports TypeScript may erase.
    pub fn is_typescript(self) -> bool {
        matches!(
            self,
            Dialect::TypeScript | Dialect::Tsx | Dialect::Declaration
        )
    }

    /// The swc parser syntax of the dialect (TSX and JSX enabled where the extension allows).
    pub fn syntax(self) -> Syntax {
        let typescript = |tsx, dts| {
            Syntax::Typescript(TsSyntax {
                tsx,
                dts,
                decorators: true,
                ..TsSyntax::default()
            })
        };
        let ecmascript = |jsx| {
            Syntax::Es(EsSyntax {
                jsx,
                decorators: true,
                ..EsSyntax::default()
            })
        };
        match self {
            Dialect::TypeScript => typescript(false, false),
            Dialect::Tsx => typescript(true, false),
            Dialect::Declaration => typescript(false, true),
            Dialect::JavaScriptJsx => ecmascript(true),
            Dialect::JavaScript | Dialect::CommonJs => ecmascript(false),
        }
    }
}

/// `x.d.ts`, `x.d.mts`, `x.d.cts`.
fn is_declaration_file(path: &Path) -> bool {
    path.file_stem()
        .and_then(|stem| stem.to_str())
        .is_some_and(|stem| stem.ends_with(".d"))
}

/// True for the TypeScript/JavaScript source files the frontend analyzers read:
/// `.ts .tsx .mts .cts .js .jsx .mjs .cjs` (including `.d.ts`).
pub fn is_frontend_source(path: &Path) -> bool {
    Dialect::of(path).is_some()
}

/// A file that did not parse: where, and swc's description of the problem.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// The byte range of the offending token (empty at the end of the file for a missing one).
    pub range: TextRange,
    pub message: String,
}

/// A parsed file: its swc AST and the mapping from swc spans to byte ranges of its text.
///
/// Invariant: every span inside `module` lies in `FILE_START..FILE_START + len`.
#[derive(Debug)]
pub struct ParsedModule {
    module: Module,
    dialect: Dialect,
    len: TextSize,
}

impl ParsedModule {
    /// The AST. A CommonJS script's statements appear as the module's items.
    pub fn module(&self) -> &Module {
        &self.module
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The byte offset in the file's text of an swc position of this module.
    ///
    /// Positions outside the file (swc's dummy position, or a span from another parse) are
    /// clamped into it rather than trusted, so a stray span can never index past the text.
    pub fn offset(&self, position: BytePos) -> TextSize {
        TextSize::new(position.0.saturating_sub(FILE_START.0)).min(self.len)
    }

    /// The byte range in the file's text of an swc span of this module.
    pub fn range(&self, span: Span) -> TextRange {
        let (start, end) = (self.offset(span.lo), self.offset(span.hi));
        TextRange::new(start.min(end), end)
    }
}

/// Parses the TypeScript/JavaScript file `path` (used only for its extension) with `text` as
/// its contents.
///
/// Errors the parser recovers from count as errors: a file that only parses with recovery is
/// not valid source, and the fix engine's "the result still parses" check relies on that. The
/// error reported is the first one in the file.
pub fn parse_module(path: &Path, text: &str) -> Result<ParsedModule, ParseError> {
    let dialect = Dialect::of(path).ok_or_else(|| unsupported_extension(path))?;
    let len = text_size(text)?;
    let input = StringInput::new(text, FILE_START, FILE_START + BytePos(len.to_u32()));
    let lexer = Lexer::new(dialect.syntax(), EsVersion::EsNext, input, None);
    let mut parser = Parser::new_from(lexer);
    let parsed = match dialect {
        Dialect::CommonJs => parser.parse_commonjs().map(|script| Module {
            span: script.span,
            body: script.body.into_iter().map(ModuleItem::Stmt).collect(),
            shebang: script.shebang,
        }),
        _ => parser.parse_module(),
    };
    let mut errors = parser.take_errors();
    let module = match parsed {
        Ok(module) => module,
        Err(fatal) => {
            errors.push(fatal);
            Module::default()
        }
    };
    let parsed = ParsedModule {
        module,
        dialect,
        len,
    };
    match errors.iter().min_by_key(|error| error.span().lo) {
        Some(first) => Err(parsed.parse_error(first)),
        None => Ok(parsed),
    }
}

impl ParsedModule {
    fn parse_error(&self, error: &SwcError) -> ParseError {
        ParseError {
            range: self.range(error.span()),
            message: error.kind().msg().into_owned(),
        }
    }
}

/// The text's length, if swc's 32-bit positions (with their reserved values) can address it.
fn text_size(text: &str) -> Result<TextSize, ParseError> {
    const LIMIT: u32 = BytePos::PLACEHOLDER.0 - FILE_START.0;
    match u32::try_from(text.len()) {
        Ok(len) if len < LIMIT => Ok(TextSize::new(len)),
        _ => Err(ParseError {
            range: TextRange::empty(TextSize::new(0)),
            message: format!(
                "the file is too large to parse ({} bytes; the parser handles files under {LIMIT} bytes)",
                text.len()
            ),
        }),
    }
}

fn unsupported_extension(path: &Path) -> ParseError {
    ParseError {
        range: TextRange::empty(TextSize::new(0)),
        message: format!(
            "`{}` is not a TypeScript/JavaScript file: expected one of the extensions .{}",
            path.display(),
            Dialect::EXTENSIONS.join(" .")
        ),
    }
}

#[cfg(test)]
mod tests {
    use swc_ecma_ast::{CallExpr, Ident};
    use swc_ecma_visit::{Visit, VisitWith};

    use super::*;

    fn parse(name: &str, text: &str) -> Result<ParsedModule, ParseError> {
        parse_module(Path::new(name), text)
    }

    /// The text of every identifier named `name`, found through the parsed module's spans.
    fn identifier_texts<'t>(parsed: &ParsedModule, text: &'t str, name: &str) -> Vec<&'t str> {
        struct Finder<'a> {
            name: &'a str,
            spans: Vec<Span>,
        }
        impl Visit for Finder<'_> {
            fn visit_ident(&mut self, ident: &Ident) {
                if ident.sym == self.name {
                    self.spans.push(ident.span);
                }
            }
        }
        let mut finder = Finder {
            name,
            spans: Vec::new(),
        };
        parsed.module().visit_with(&mut finder);
        finder
            .spans
            .into_iter()
            .map(|span| &text[parsed.range(span).to_usize_range()])
            .collect()
    }

    #[test]
    fn dialect_follows_the_extension() {
        let cases = [
            ("a.ts", Some(Dialect::TypeScript)),
            ("a.mts", Some(Dialect::TypeScript)),
            ("a.cts", Some(Dialect::TypeScript)),
            ("a.tsx", Some(Dialect::Tsx)),
            ("types/a.d.ts", Some(Dialect::Declaration)),
            ("a.d.mts", Some(Dialect::Declaration)),
            ("a.js", Some(Dialect::JavaScriptJsx)),
            ("a.jsx", Some(Dialect::JavaScriptJsx)),
            ("a.mjs", Some(Dialect::JavaScript)),
            ("a.cjs", Some(Dialect::CommonJs)),
            ("a.d.tsx", Some(Dialect::Tsx)),
            ("a.rs", None),
            ("Makefile", None),
            ("a.ts.bak", None),
        ];
        for (path, expected) in cases {
            assert_eq!(Dialect::of(Path::new(path)), expected, "{path}");
            assert_eq!(is_frontend_source(Path::new(path)), expected.is_some());
        }
    }

    #[test]
    fn each_dialect_parses_its_own_syntax() {
        let cases = [
            ("a.ts", "const n = <number>value; enum E { A }"),
            ("a.mts", "export const n: number = 1; await n;"),
            ("a.cts", "import fs = require('fs'); export = fs;"),
            ("a.tsx", "const el = <Cart<Item> lines={[] as Item[]} />;"),
            (
                "a.d.ts",
                "export declare const n: number; export function f(): void;",
            ),
            (
                "a.js",
                "export const App = () => <main>{items.length}</main>;",
            ),
            (
                "a.jsx",
                "export default function App() { return <><p /></>; }",
            ),
            ("a.mjs", "import x from './x.mjs'; await x();"),
            (
                "a.cjs",
                "const x = require('x'); if (!x) return; module.exports = x;",
            ),
        ];
        for (path, text) in cases {
            let parsed = parse(path, text).unwrap_or_else(|error| panic!("{path}: {error:?}"));
            assert!(!parsed.module().body.is_empty(), "{path}");
        }
    }

    #[test]
    fn syntax_of_another_dialect_is_an_error() {
        assert!(parse("a.ts", "const el = <p>hi</p>;").is_err());
        assert!(parse("a.mjs", "const el = <p>hi</p>;").is_err());
        assert!(parse("a.js", "const n: number = 1;").is_err());
        // Top-level `return` is CommonJS only.
        assert!(parse("a.mjs", "return;").is_err());
    }

    #[test]
    fn spans_map_to_byte_ranges_after_multi_byte_text() {
        let text = "// prix: 9,99 € — 😀\nconst s = \"é😀\"; it(\"ü\", () => {});\n";
        let parsed = parse("a.test.ts", text).expect("valid TypeScript");
        assert_eq!(identifier_texts(&parsed, text, "s"), ["s"]);
        assert_eq!(identifier_texts(&parsed, text, "it"), ["it"]);
        let call = parsed.range(first_call(&parsed).span);
        assert_eq!(call.start().to_usize(), text.find("it(").expect("call"));
        assert_eq!(&text[call.to_usize_range()], "it(\"ü\", () => {})");
        assert_eq!(
            parsed.range(parsed.module().span).end(),
            TextSize::of(text.trim_end())
        );
    }

    fn first_call(parsed: &ParsedModule) -> CallExpr {
        struct FirstCall(Option<CallExpr>);
        impl Visit for FirstCall {
            fn visit_call_expr(&mut self, call: &CallExpr) {
                self.0.get_or_insert_with(|| call.clone());
            }
        }
        let mut finder = FirstCall(None);
        parsed.module().visit_with(&mut finder);
        finder.0.expect("a call expression")
    }

    #[test]
    fn a_syntax_error_reports_the_offending_token() {
        let text = "const ok = \"é\";\nconst = 1;\n";
        let error = parse("a.ts", text).expect_err("missing binding name");
        let equals = text.find("= 1").expect("second line");
        assert_eq!(error.range.start().to_usize(), equals);
        assert_eq!(&text[error.range.to_usize_range()], "=");
        assert!(!error.message.is_empty());
    }

    #[test]
    fn the_first_error_in_the_file_is_reported() {
        // A recoverable error (`with` in strict mode) before a fatal one.
        let text = "with (cart) {}\nconst = 1;\n";
        let error = parse("a.js", text).expect_err("two errors");
        assert_eq!(&text[error.range.to_usize_range()], "with");
    }

    #[test]
    fn recoverable_errors_fail_the_parse() {
        let text = "const enum D {\n  d = 10\n  g = 2\n}\n";
        let error = parse("a.ts", text).expect_err("missing comma is recovered, still an error");
        assert!(error.range.start().to_usize() > 0);
    }

    #[test]
    fn commonjs_is_sloppy_mode_and_modules_are_strict() {
        let text = "var mode = 0644;\n";
        assert!(parse("a.cjs", text).is_ok());
        let error = parse("a.mjs", text).expect_err("legacy octal in strict mode");
        assert_eq!(&text[error.range.to_usize_range()], "0644");
    }

    #[test]
    fn an_error_at_the_end_of_the_file_stays_inside_the_text() {
        let text = "describe(\"cart\", () => {";
        let error = parse("a.test.ts", text).expect_err("unclosed block");
        assert!(error.range.end().to_usize() <= text.len());
    }

    #[test]
    fn unsupported_extensions_are_an_error_not_a_guess() {
        let error = parse("styles.css", "a {}").expect_err("not a script");
        assert!(error.message.contains("styles.css"), "{}", error.message);
        assert!(error.message.contains(".tsx"), "{}", error.message);
    }

    #[test]
    fn empty_and_byte_order_marked_files_parse() {
        assert!(parse("a.ts", "").is_ok());
        let text = "\u{feff}export const x = 1;";
        let parsed = parse("a.ts", text).expect("BOM is whitespace");
        assert_eq!(identifier_texts(&parsed, text, "x"), ["x"]);
    }

    #[test]
    fn out_of_file_positions_are_clamped() {
        let parsed = parse("a.ts", "x;").expect("valid");
        assert_eq!(parsed.offset(BytePos::DUMMY), TextSize::new(0));
        assert_eq!(parsed.offset(BytePos(1000)), TextSize::new(2));
        let inverted = Span {
            lo: BytePos(3),
            hi: BytePos(2),
        };
        assert_eq!(parsed.range(inverted), TextRange::empty(TextSize::new(1)));
    }

    #[test]
    fn parsed_modules_can_cross_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<ParsedModule>();
        let texts = ["it.only('a', () => {});", "const = ;", "export {};"];
        let results: Vec<bool> = std::thread::scope(|scope| {
            let handles: Vec<_> = texts
                .iter()
                .map(|text| scope.spawn(move || parse("a.test.ts", text).is_ok()))
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().expect("no panic"))
                .collect()
        });
        assert_eq!(results, [true, false, true]);
    }
}
