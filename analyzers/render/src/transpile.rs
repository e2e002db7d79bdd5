//! TypeScript, TSX and JSX to CommonJS JavaScript, in Rust with swc: types stripped, JSX
//! through React's automatic development runtime (`react/jsx-dev-runtime`), ES modules to
//! `require`/`exports`, and a source map from every generated position back to the source.

use std::path::Path;

use commerce_frontend::Dialect;
use swc_common::Spanned;
use swc_common::errors::{EmitterWriter, HANDLER, Handler};
use swc_common::sync::Lrc;
use swc_common::{FileName, GLOBALS, Globals, Mark, SourceMap, comments::SingleThreadedComments};
use swc_ecma_ast::{Callee, Expr, Ident, Lit, MetaPropKind, Program};
use swc_ecma_codegen::text_writer::JsWriter;
use swc_ecma_codegen::{Emitter, to_code_default};
use swc_ecma_parser::{Parser, StringInput, lexer::Lexer};
use swc_ecma_transforms_base::fixer::fixer;
use swc_ecma_transforms_base::helpers::{HELPERS, Helpers, inject_helpers};
use swc_ecma_transforms_base::hygiene::hygiene;
use swc_ecma_transforms_base::resolver;
use swc_ecma_transforms_module::common_js::{self, FeatureFlag};
use swc_ecma_transforms_module::path::Resolver;
use swc_ecma_transforms_react::{Options as ReactOptions, Runtime, react};
use swc_ecma_transforms_typescript::typescript;
use swc_ecma_visit::{Visit, VisitMut, VisitMutWith, VisitWith, visit_mut_pass};

/// One module transpiled: the CommonJS code, the specifiers it `require`s (in order, each
/// once), and where each generated position came from.
#[derive(Clone, Debug)]
pub struct Transpiled {
    pub code: String,
    pub requires: Vec<String>,
    pub map: PositionMap,
}

/// Generated (line, column) -> source (line, column), all 1-based, sorted by the generated
/// position: the source map, kept in memory to map stack frames back.
#[derive(Clone, Debug, Default)]
pub struct PositionMap {
    entries: Vec<((u32, u32), (u32, u32))>,
}

impl PositionMap {
    /// The source position of generated `line:column` (1-based, as V8 prints them): the
    /// nearest mapping at or before it on the same line, else the first after it on that line.
    pub fn original(&self, line: u32, column: u32) -> Option<(u32, u32)> {
        let after = self
            .entries
            .partition_point(|(generated, _)| *generated <= (line, column));
        let before = after
            .checked_sub(1)
            .map(|index| self.entries[index])
            .filter(|(generated, _)| generated.0 == line);
        before
            .or_else(|| {
                self.entries
                    .get(after)
                    .copied()
                    .filter(|(generated, _)| generated.0 == line)
            })
            .map(|(_, source)| source)
    }
}

/// Why a module could not be transpiled: its syntax error, with where it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} ({line}:{column})")]
pub struct TranspileError {
    pub message: String,
    /// 1-based.
    pub line: u32,
    pub column: u32,
}

/// Transpiles `text` (the source of `path`, whose extension picks the dialect) to CommonJS.
/// Never panics: swc's parser panics on a few malformed inputs (a JSX namespaced name used as
/// a member's object, `<a:b.c>`), which become an error at the top of the file.
///
/// # Errors
/// When the text does not parse, or the extension is not TypeScript/JavaScript.
pub fn transpile(path: &Path, text: &str) -> Result<Transpiled, TranspileError> {
    std::panic::catch_unwind(|| transpile_unguarded(path, text)).unwrap_or_else(|_| {
        Err(TranspileError {
            message: "swc could not parse this file (its parser failed on it)".to_owned(),
            line: 1,
            column: 1,
        })
    })
}

fn transpile_unguarded(path: &Path, text: &str) -> Result<Transpiled, TranspileError> {
    let Some(dialect) = Dialect::of(path) else {
        return Err(TranspileError {
            message: format!("`{}` is not a TypeScript/JavaScript file", path.display()),
            line: 1,
            column: 1,
        });
    };
    let cm: Lrc<SourceMap> = Lrc::default();
    let file = cm.new_source_file(
        Lrc::new(FileName::Real(path.to_path_buf())),
        text.to_owned(),
    );
    let comments = SingleThreadedComments::default();
    // Transform errors (a JSX namespace name, say) go to the handler; we keep only the parse's.
    let handler = Handler::with_emitter(
        false,
        false,
        Box::new(EmitterWriter::new(
            Box::new(std::io::sink()),
            None,
            false,
            false,
        )),
    );
    GLOBALS.set(&Globals::new(), || {
        HANDLER.set(&handler, || {
            let lexer = Lexer::new(
                dialect.syntax(),
                swc_ecma_ast::EsVersion::latest(),
                StringInput::from(&*file),
                Some(&comments),
            );
            let mut parser = Parser::new_from(lexer);
            let parsed = parser.parse_program();
            let errors = parser.take_errors();
            let mut program = match (parsed, errors.into_iter().next()) {
                (Ok(program), None) => program,
                (Ok(_), Some(error)) | (Err(error), _) => {
                    let location = cm.lookup_char_pos(error.span().lo);
                    return Err(TranspileError {
                        message: error.kind().msg().into_owned(),
                        line: u32::try_from(location.line).unwrap_or(u32::MAX),
                        column: u32::try_from(location.col.0 + 1).unwrap_or(u32::MAX),
                    });
                }
            };
            let unresolved_mark = Mark::new();
            let top_level_mark = Mark::new();
            HELPERS.set(&Helpers::new(false), || {
                program.mutate(resolver(
                    unresolved_mark,
                    top_level_mark,
                    dialect.is_typescript(),
                ));
                if dialect.is_typescript() {
                    program.mutate(typescript::typescript(
                        typescript::Config::default(),
                        unresolved_mark,
                        top_level_mark,
                    ));
                }
                program.mutate(react(
                    cm.clone(),
                    Some(&comments),
                    ReactOptions {
                        runtime: Some(Runtime::Automatic),
                        development: Some(true),
                        ..ReactOptions::default()
                    },
                    top_level_mark,
                    unresolved_mark,
                ));
                if program.is_module() {
                    program.mutate(common_js::common_js(
                        Resolver::Default,
                        unresolved_mark,
                        swc_ecma_transforms_module::util::Config::default(),
                        FeatureFlag {
                            support_block_scoping: true,
                            support_arrow: true,
                        },
                    ));
                }
                program.mutate(visit_mut_pass(ImportMeta { unresolved_mark }));
                program.mutate(inject_helpers(unresolved_mark));
                program.mutate(hygiene());
                program.mutate(fixer(Some(&comments)));
            });
            Ok(emit(&cm, &program))
        })
    })
}

/// The code of `program` with its position map and the specifiers it requires.
fn emit(cm: &Lrc<SourceMap>, program: &Program) -> Transpiled {
    let mut code = Vec::new();
    let mut mappings = Vec::new();
    {
        let mut emitter = Emitter {
            cfg: swc_ecma_codegen::Config::default(),
            cm: cm.clone(),
            comments: None,
            wr: JsWriter::new(cm.clone(), "\n", &mut code, Some(&mut mappings)),
        };
        // Writing into a Vec cannot fail; a failure would only truncate the code.
        let _ = emitter.emit_program(program);
    }
    let code =
        String::from_utf8(code).unwrap_or_else(|_| to_code_default(cm.clone(), None, program));
    let mut entries: Vec<((u32, u32), (u32, u32))> = mappings
        .into_iter()
        .filter(|(pos, _)| !pos.is_dummy())
        .filter_map(|(pos, generated)| {
            let source = cm.try_lookup_char_pos(pos).ok()?;
            Some((
                (generated.line + 1, generated.col + 1),
                (
                    u32::try_from(source.line).ok()?,
                    u32::try_from(source.col.0 + 1).ok()?,
                ),
            ))
        })
        .collect();
    entries.sort_unstable();
    entries.dedup_by_key(|(generated, _)| *generated);
    let mut requires = Requires::default();
    program.visit_with(&mut requires);
    Transpiled {
        code,
        requires: requires.specifiers,
        map: PositionMap { entries },
    }
}

/// The `import.meta` the CommonJS transform leaves (it lowers `.url`, `.dirname`, ...; not
/// Vite's `import.meta.env` nor `import.meta.hot`), which CommonJS cannot parse: read from
/// the global the worker defines instead.
struct ImportMeta {
    unresolved_mark: Mark,
}

/// The global the worker sets to a development server's `import.meta`.
const IMPORT_META_GLOBAL: &str = "__commerce_import_meta";

impl VisitMut for ImportMeta {
    fn visit_mut_expr(&mut self, expr: &mut Expr) {
        if let Expr::MetaProp(meta) = expr
            && meta.kind == MetaPropKind::ImportMeta
        {
            let context = swc_common::SyntaxContext::empty().apply_mark(self.unresolved_mark);
            *expr = Expr::Ident(Ident::new(IMPORT_META_GLOBAL.into(), meta.span, context));
            return;
        }
        expr.visit_mut_children_with(self);
    }
}

/// The string literals passed to `require(...)` calls.
#[derive(Default)]
struct Requires {
    specifiers: Vec<String>,
}

impl Visit for Requires {
    fn visit_call_expr(&mut self, call: &swc_ecma_ast::CallExpr) {
        if let Callee::Expr(callee) = &call.callee
            && let Expr::Ident(name) = &**callee
            && name.sym == "require"
            && let [argument] = call.args.as_slice()
            && let Expr::Lit(Lit::Str(specifier)) = &*argument.expr
        {
            let specifier = specifier.value.to_string_lossy().into_owned();
            if !self.specifiers.contains(&specifier) {
                self.specifiers.push(specifier);
            }
        }
        call.visit_children_with(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsx_becomes_commonjs_with_the_dev_runtime_and_a_map_back_to_the_source() {
        let source = "import type { X } from './types';\nimport { Card } from '@/card';\n\nexport default function Page(props: { name: string }) {\n  const n: number = props.name.length;\n  return <Card title={props.name} n={n} />;\n}\n";
        let transpiled = transpile(Path::new("app/page.tsx"), source).expect("transpiles");
        assert!(
            transpiled.code.contains("react/jsx-dev-runtime"),
            "{}",
            transpiled.code
        );
        assert!(transpiled.code.contains("exports"), "{}", transpiled.code);
        assert!(!transpiled.code.contains(": number"), "{}", transpiled.code);
        assert_eq!(transpiled.requires, ["react/jsx-dev-runtime", "@/card"]);
        let (line, column) = generated_position(&transpiled.code, "props.name.length");
        assert_eq!(transpiled.map.original(line, column), Some((5, 21)));
    }

    #[test]
    fn a_parser_panic_is_an_error() {
        let error = transpile(Path::new("a.tsx"), "const x = <a:b.c />;\n")
            .expect_err("swc's parser panics on it");
        assert_eq!((error.line, error.column), (1, 1), "{error}");
    }

    #[test]
    fn a_syntax_error_says_where() {
        let error = transpile(
            Path::new("a.tsx"),
            "export default function () {\n  return <div>;\n}\n",
        )
        .expect_err("does not parse");
        assert_eq!(error.line, 3, "{error}");
    }

    #[test]
    fn vites_import_meta_reads_the_workers_global_and_the_url_stays_nodes() {
        let source =
            "export const dev = import.meta.env.DEV;\nexport const url = import.meta.url;\n";
        let transpiled = transpile(Path::new("app/root.tsx"), source).expect("transpiles");
        assert!(
            !transpiled.code.contains("import.meta"),
            "{}",
            transpiled.code
        );
        assert!(
            transpiled.code.contains("__commerce_import_meta.env.DEV"),
            "{}",
            transpiled.code
        );
        assert!(
            transpiled.code.contains("__filename"),
            "{}",
            transpiled.code
        );
    }

    /// The 1-based line and column of `needle` in `code`.
    fn generated_position(code: &str, needle: &str) -> (u32, u32) {
        let offset = code.find(needle).expect("the generated code has it");
        let line = code[..offset].matches('\n').count();
        let column = offset - code[..offset].rfind('\n').map_or(0, |newline| newline + 1);
        (
            u32::try_from(line + 1).expect("small"),
            u32::try_from(column + 1).expect("small"),
        )
    }
}
