//! `tests/focused-or-skipped-test`: `it.only`, `fit`, `.skip`, `xit` in TypeScript/JavaScript
//! tests, and `#[ignore]` without a reason on Rust tests.

use std::collections::HashSet;
use std::path::Path;

use commerce_diagnostics::{
    Diagnostic, Edit, Fix, FixAvailability, Rule, Severity, TextRange, TextSize, declare_rule,
};
use commerce_frontend::{ParsedModule, parse_module};
use commerce_rust::{TestFunction, test_functions};
use swc_common::{Span, Spanned};
use swc_ecma_ast::{
    CallExpr, Callee, Decl, Expr, ExprOrSpread, Ident, Lit, MemberExpr, MemberProp, Module,
    ModuleDecl, ModuleItem, ObjectPatProp, Pat, Stmt, VarDeclarator,
};
use swc_ecma_visit::{Visit, VisitWith};

use crate::test_files::is_frontend_test_file;

use super::Check;

declare_rule! {
    /// ## What it does
    /// Flags focused tests (`it.only`, `describe.only`, `test.only.each`, `fit`, `fdescribe`,
    /// `ftest`) and skipped tests (`it.skip`, `describe.skip`, `xit`, `xdescribe`, `xtest`) in
    /// TypeScript/JavaScript test files, and Rust tests marked `#[ignore]` without a reason.
    ///
    /// TypeScript/JavaScript test files are those named `*.test.*`, `*.spec.*` or `*.cy.*`, and
    /// every script under a `__tests__`, `test`, `tests`, `e2e` or `cypress` directory. Only
    /// calls on the test globals count (`describe`, `it`, `test`, `context`, `suite`,
    /// `specify` and their `f`/`x` aliases), unless the module declares or imports its own
    /// binding of that name from somewhere other than a test framework (`vitest`,
    /// `@jest/globals`, `mocha`, `node:test`, `bun:test`, `@playwright/test`, `ava`, `uvu`).
    /// A run-time skip that states a condition, such as Playwright's
    /// `test.skip(browserName === "webkit", "reason")`, is not reported.
    ///
    /// ## Why is this bad?
    /// A focused test makes the runner skip every other test in the file or the whole run, and
    /// the run still passes: one forgotten `.only` silently turns off the suite in CI. A
    /// skipped test looks like coverage but checks nothing, and nobody is reminded to bring it
    /// back. An ignored Rust test at least can say why: `cargo test` and nextest print the
    /// reason of `#[ignore = "…"]` next to the skipped test.
    ///
    /// ## Example
    /// ```ts
    /// it.only("adds a line", () => { /* … */ });
    /// xit("applies vouchers", () => { /* … */ });
    /// ```
    /// ```rust
    /// #[test]
    /// #[ignore]
    /// fn charges_a_real_card() {}
    /// ```
    ///
    /// Use instead:
    /// ```ts
    /// it("adds a line", () => { /* … */ });
    /// it("applies vouchers", () => { /* … */ });
    /// ```
    /// ```rust
    /// #[test]
    /// #[ignore = "needs a live Stripe sandbox"]
    /// fn charges_a_real_card() {}
    /// ```
    ///
    /// ## Fix safety
    /// Focused tests have a safe fix: it deletes `.only` (`it.only(` becomes `it(`) or the
    /// leading `f` of an alias (`fit(` becomes `it(`), which only widens the run back to every
    /// test. An alias gets no fix when the module binds its own `it` (the renamed call would
    /// reach that binding instead of the global). Skipped tests and ignored Rust tests have no fix: whether to repair, delete or
    /// keep skipping the test, and why, is for a person to decide.
    pub FocusedOrSkippedTest {
        id: "tests/focused-or-skipped-test",
        severity: Severity::Error,
        fix: FixAvailability::Sometimes,
    }
}

pub(crate) const RULE: Rule<Check> = Rule::new(FocusedOrSkippedTest::META, check);

/// Checks one file: TypeScript/JavaScript test files and Rust files; others have no findings.
/// A file that does not parse has none either (each analyzer's parse-error rule reports it).
pub fn check(path: &Path, text: &str) -> Vec<Diagnostic> {
    if is_frontend_test_file(path) {
        check_frontend(path, text)
    } else if path.extension().is_some_and(|extension| extension == "rs") {
        check_rust(path, text)
    } else {
        Vec::new()
    }
}

/// The globals that declare a test or a suite in Jest, Vitest, Mocha (BDD and TDD), Jasmine,
/// node:test, Bun, Playwright and Cypress.
const TEST_GLOBALS: [&str; 6] = ["describe", "it", "test", "context", "suite", "specify"];

/// The globals that name a suite rather than a single test.
const SUITE_GLOBALS: [&str; 3] = ["describe", "context", "suite"];

/// Aliases that focus (`fit` is `it.only`), each with the global it stands for.
const FOCUSED_ALIASES: [(&str, &str); 3] =
    [("fit", "it"), ("fdescribe", "describe"), ("ftest", "test")];

/// Aliases that skip (`xit` is `it.skip`), each with the global it stands for.
const SKIPPED_ALIASES: [(&str, &str); 5] = [
    ("xit", "it"),
    ("xdescribe", "describe"),
    ("xtest", "test"),
    ("xcontext", "context"),
    ("xspecify", "specify"),
];

/// Modules whose exports are the test globals themselves; importing `it` from one of them
/// does not shadow the global.
const TEST_FRAMEWORKS: [&str; 8] = [
    "vitest",
    "@jest/globals",
    "mocha",
    "node:test",
    "bun:test",
    "@playwright/test",
    "ava",
    "uvu",
];

fn check_frontend(path: &Path, text: &str) -> Vec<Diagnostic> {
    let Ok(parsed) = parse_module(path, text) else {
        return Vec::new();
    };
    let mut finder = TestCallFinder {
        path,
        parsed: &parsed,
        shadowed: shadowed_test_names(parsed.module()),
        diagnostics: Vec::new(),
    };
    parsed.module().visit_with(&mut finder);
    finder.diagnostics
}

/// Finds focusing and skipping calls of the test globals.
struct TestCallFinder<'a> {
    path: &'a Path,
    parsed: &'a ParsedModule,
    /// Test global names this module binds itself: calls through them are not the globals.
    shadowed: HashSet<&'a str>,
    diagnostics: Vec<Diagnostic>,
}

impl Visit for TestCallFinder<'_> {
    fn visit_call_expr(&mut self, call: &CallExpr) {
        if let Callee::Expr(callee) = &call.callee
            && let Some(chain) = CalleeChain::of(callee)
        {
            self.check_call(call, &chain);
        }
        call.visit_children_with(self);
    }
}

impl TestCallFinder<'_> {
    fn check_call(&mut self, call: &CallExpr, chain: &CalleeChain<'_>) {
        let root = chain.root.sym.as_str();
        if self.shadowed.contains(root) {
            return;
        }
        if let Some((alias, global)) = alias_of(&FOCUSED_ALIASES, root) {
            self.focused_alias(chain.root, alias, global);
        } else if let Some((alias, global)) = alias_of(&SKIPPED_ALIASES, root) {
            self.skipped_alias(chain.root, alias, global);
        } else if TEST_GLOBALS.contains(&root) {
            for (index, member) in chain.members.iter().enumerate() {
                match member_name(member) {
                    Some("only") => self.focused_member(chain, index),
                    Some("skip") if !is_run_time_skip(call, chain) => {
                        self.skipped_member(chain, index);
                    }
                    _ => {}
                }
            }
        }
    }

    /// `it.only(…)`: the fix deletes `.only`, from the end of its object to the end of the
    /// member, so `it\n  .only(` becomes `it(` too.
    fn focused_member(&mut self, chain: &CalleeChain<'_>, index: usize) {
        let member = chain.members[index];
        let callee = chain.text_through(index);
        let only = self.range(Span::new(member.obj.span_hi(), member.span.hi));
        let diagnostic = self
            .diagnostic(
                Severity::Error,
                member.span,
                focused_message(&callee, chain.subject()),
            )
            .with_help("remove `.only` before committing")
            .with_fix(Fix::safe(
                "Remove `.only`",
                vec![Edit::deletion(self.path, only)],
            ));
        self.diagnostics.push(diagnostic);
    }

    /// `fit(…)`: the fix deletes the leading `f`. There is no fix when the module binds its
    /// own `it` (the call would go to it instead of the global), nor when the alias is spelled
    /// with escapes (`f\u0069t`), where the first byte is not the `f`.
    fn focused_alias(&mut self, root: &Ident, alias: &str, global: &str) {
        let range = self.range(root.span);
        let diagnostic = self
            .diagnostic(
                Severity::Error,
                root.span,
                focused_message(alias, subject_of(global)),
            )
            .with_help(format!("rename `{alias}` to `{global}` before committing"));
        let renamable = !self.shadowed.contains(global) && range.len() == TextSize::of(alias);
        let diagnostic = if renamable {
            let leading_f = TextRange::at(range.start(), TextSize::new(1));
            diagnostic.with_fix(Fix::safe(
                format!("Rename `{alias}` to `{global}`"),
                vec![Edit::deletion(self.path, leading_f)],
            ))
        } else {
            diagnostic
        };
        self.diagnostics.push(diagnostic);
    }

    fn skipped_member(&mut self, chain: &CalleeChain<'_>, index: usize) {
        let member = chain.members[index];
        let message = skipped_message(&chain.text_through(index), chain.subject());
        let diagnostic = self
            .diagnostic(Severity::Warning, member.span, message)
            .with_help("fix the test and remove `.skip`, or delete it");
        self.diagnostics.push(diagnostic);
    }

    fn skipped_alias(&mut self, root: &Ident, alias: &str, global: &str) {
        let message = skipped_message(alias, subject_of(global));
        let diagnostic = self
            .diagnostic(Severity::Warning, root.span, message)
            .with_help(format!(
                "fix the test and rename `{alias}` to `{global}`, or delete it"
            ));
        self.diagnostics.push(diagnostic);
    }

    fn diagnostic(&self, severity: Severity, span: Span, message: String) -> Diagnostic {
        Diagnostic::new(
            FocusedOrSkippedTest::META.id,
            severity,
            self.path,
            self.range(span),
            message,
        )
    }

    fn range(&self, span: Span) -> TextRange {
        self.parsed.range(span)
    }
}

fn focused_message(callee: &str, subject: &str) -> String {
    format!("`{callee}` focuses this {subject}: every other test in the run is silently skipped")
}

fn skipped_message(callee: &str, subject: &str) -> String {
    format!("`{callee}` skips this {subject}: it never runs, yet the run still passes")
}

fn alias_of(
    aliases: &[(&'static str, &'static str)],
    name: &str,
) -> Option<(&'static str, &'static str)> {
    aliases.iter().copied().find(|(alias, _)| *alias == name)
}

fn subject_of(global: &str) -> &'static str {
    if SUITE_GLOBALS.contains(&global) {
        "suite"
    } else {
        "test"
    }
}

/// A callee such as `test.only.each` seen as its root identifier and the member accesses on
/// it. Tagged templates are looked through (`` test.only.each`table`(…) ``); calls are not,
/// because the inner call (`test.only.each([…])` of `test.only.each([…])(…)`) is checked on its
/// own.
struct CalleeChain<'a> {
    root: &'a Ident,
    /// From the root outwards: `test.only`, then `test.only.each`.
    members: Vec<&'a MemberExpr>,
}

impl<'a> CalleeChain<'a> {
    fn of(callee: &'a Expr) -> Option<Self> {
        let mut members = Vec::new();
        let mut expr = callee;
        loop {
            match expr {
                Expr::Ident(root) => {
                    members.reverse();
                    return Some(CalleeChain { root, members });
                }
                Expr::Member(member) => {
                    members.push(member);
                    expr = &member.obj;
                }
                Expr::TaggedTpl(tagged) => expr = &tagged.tag,
                _ => return None,
            }
        }
    }

    fn contains(&self, name: &str) -> bool {
        self.members
            .iter()
            .any(|member| member_name(member) == Some(name))
    }

    /// `test.describe.only` for the member at `index`, for messages.
    fn text_through(&self, index: usize) -> String {
        let mut text = self.root.sym.to_string();
        for member in &self.members[..=index] {
            match member_name(member) {
                Some(name) => {
                    text.push('.');
                    text.push_str(name);
                }
                None => text.push_str("[…]"),
            }
        }
        text
    }

    /// Playwright's `test.describe.only` is a suite although its root is `test`.
    fn subject(&self) -> &'static str {
        if self.contains("describe") {
            "suite"
        } else {
            subject_of(self.root.sym.as_str())
        }
    }
}

fn member_name(member: &MemberExpr) -> Option<&str> {
    match &member.prop {
        MemberProp::Ident(name) => Some(name.sym.as_str()),
        MemberProp::PrivateName(_) | MemberProp::Computed(_) => None,
    }
}

/// Playwright's `test.skip()` and `test.skip(condition, "reason")` skip the running test (or
/// the tests of a `describe`) at run time, when their condition holds, and state why; they are
/// not skipped declarations. A declaration has a title and a body (`test.skip("title", fn)`)
/// or a table (`test.skip.each([…])`).
fn is_run_time_skip(call: &CallExpr, chain: &CalleeChain<'_>) -> bool {
    if chain.contains("each") {
        return false;
    }
    let has_title = call.args.first().is_some_and(|arg| is_title(&arg.expr));
    let has_body = call.args.iter().any(is_function);
    !has_title && !has_body
}

fn is_title(expr: &Expr) -> bool {
    matches!(expr, Expr::Lit(Lit::Str(_)) | Expr::Tpl(_))
}

fn is_function(arg: &ExprOrSpread) -> bool {
    matches!(*arg.expr, Expr::Arrow(_) | Expr::Fn(_))
}

/// The names this module binds at its top level other than through a test framework's
/// exports: declarations (`function fit() {}`, `const { xit } = helpers`), imports from other
/// modules and `import it = require(…)`. Ambient `declare` bindings create no value and do not
/// count.
fn shadowed_test_names(module: &Module) -> HashSet<&str> {
    let mut names = HashSet::new();
    for item in &module.body {
        match item {
            ModuleItem::ModuleDecl(ModuleDecl::Import(import))
                if !is_test_framework(&import.src.value) =>
            {
                let locals = import.specifiers.iter().map(|specifier| specifier.local());
                names.extend(locals.map(|local| local.sym.as_str()));
            }
            ModuleItem::ModuleDecl(ModuleDecl::TsImportEquals(import)) => {
                names.insert(import.id.sym.as_str());
            }
            ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(export)) => {
                declared_names(&export.decl, &mut names);
            }
            ModuleItem::Stmt(Stmt::Decl(decl)) => declared_names(decl, &mut names),
            _ => {}
        }
    }
    names
}

fn is_test_framework(source: &impl PartialEq<str>) -> bool {
    TEST_FRAMEWORKS.iter().any(|framework| source == *framework)
}

fn declared_names<'a>(decl: &'a Decl, names: &mut HashSet<&'a str>) {
    match decl {
        Decl::Fn(function) if !function.declare => {
            names.insert(function.ident.sym.as_str());
        }
        Decl::Class(class) if !class.declare => {
            names.insert(class.ident.sym.as_str());
        }
        Decl::TsEnum(enumeration) if !enumeration.declare => {
            names.insert(enumeration.id.sym.as_str());
        }
        Decl::Var(var) if !var.declare => {
            let own = var
                .decls
                .iter()
                .filter(|declarator| !requires_test_framework(declarator));
            own.for_each(|declarator| bound_names(&declarator.name, names));
        }
        Decl::Using(using) => {
            using
                .decls
                .iter()
                .for_each(|declarator| bound_names(&declarator.name, names));
        }
        _ => {}
    }
}

/// `const { test } = require("node:test")`: CommonJS spelling of a framework import.
fn requires_test_framework(declarator: &VarDeclarator) -> bool {
    let Some(Expr::Call(call)) = declarator.init.as_deref() else {
        return false;
    };
    let Callee::Expr(callee) = &call.callee else {
        return false;
    };
    let is_require = matches!(&**callee, Expr::Ident(ident) if ident.sym == "require");
    let source = match call.args.as_slice() {
        [ExprOrSpread { spread: None, expr }] => match &**expr {
            Expr::Lit(Lit::Str(source)) => Some(&source.value),
            _ => None,
        },
        _ => None,
    };
    is_require && source.is_some_and(is_test_framework)
}

/// Every identifier a binding pattern declares (`{ a, b: [c, ...d] = [] }` -> a, c, d).
fn bound_names<'a>(pattern: &'a Pat, names: &mut HashSet<&'a str>) {
    match pattern {
        Pat::Ident(binding) => {
            names.insert(binding.id.sym.as_str());
        }
        Pat::Array(array) => array
            .elems
            .iter()
            .flatten()
            .for_each(|element| bound_names(element, names)),
        Pat::Object(object) => {
            for property in &object.props {
                match property {
                    ObjectPatProp::KeyValue(key_value) => bound_names(&key_value.value, names),
                    ObjectPatProp::Assign(assign) => {
                        names.insert(assign.key.id.sym.as_str());
                    }
                    ObjectPatProp::Rest(rest) => bound_names(&rest.arg, names),
                }
            }
        }
        Pat::Rest(rest) => bound_names(&rest.arg, names),
        Pat::Assign(assign) => bound_names(&assign.left, names),
        Pat::Invalid(_) | Pat::Expr(_) => {}
    }
}

fn check_rust(path: &Path, text: &str) -> Vec<Diagnostic> {
    let Ok(tests) = test_functions(text) else {
        return Vec::new();
    };
    tests
        .iter()
        .filter_map(|test| ignored_without_reason(path, test))
        .collect()
}

/// `#[ignore]` (or a blank `#[ignore = ""]`) on a test function.
fn ignored_without_reason(path: &Path, test: &TestFunction) -> Option<Diagnostic> {
    let ignore = test.ignore.as_ref()?;
    let has_reason = ignore
        .reason
        .as_deref()
        .is_some_and(|reason| !reason.trim().is_empty());
    if has_reason {
        return None;
    }
    let diagnostic = Diagnostic::new(
        FocusedOrSkippedTest::META.id,
        Severity::Warning,
        path,
        ignore.range,
        format!("test `{}` is ignored without a reason", test.name),
    )
    .with_help(
        "say why, e.g. `#[ignore = \"needs a running Postgres\"]`: cargo and nextest print the \
         reason next to the skipped test",
    );
    Some(diagnostic)
}

#[cfg(test)]
mod tests {
    use commerce_codemods::FixOptions;
    use commerce_codemods::testing::{fix_text, rule_snapshot};
    use commerce_diagnostics::{Applicability, LineIndex, doc_text};

    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            (
                $name,
                include_str!(concat!(
                    "../../../../fixtures/rules/tests/focused-or-skipped-test/",
                    $name
                )),
            )
        };
    }

    /// One finding as people read it: where it starts (line:column), its severity, and the
    /// source text it points at.
    fn found(name: &str, text: &str) -> Vec<(String, Severity, String)> {
        let index = LineIndex::new(text);
        check(Path::new(name), text)
            .iter()
            .map(|diagnostic| {
                assert_eq!(diagnostic.rule, "tests/focused-or-skipped-test");
                assert_eq!(diagnostic.path, Path::new(name));
                let start = index.source_position(diagnostic.range.start());
                (
                    format!("{}:{}", start.line, start.column),
                    diagnostic.severity,
                    text[diagnostic.range.to_usize_range()].to_owned(),
                )
            })
            .collect()
    }

    fn expected(findings: &[(&str, Severity, &str)]) -> Vec<(String, Severity, String)> {
        findings
            .iter()
            .map(|(at, severity, source)| ((*at).to_owned(), *severity, (*source).to_owned()))
            .collect()
    }

    /// What each fix's edits replace, and with what.
    fn fix_edits(name: &str, text: &str) -> Vec<(String, String)> {
        check(Path::new(name), text)
            .iter()
            .filter_map(|diagnostic| diagnostic.fix.as_ref())
            .inspect(|fix| assert_eq!(fix.applicability, Applicability::Safe))
            .flat_map(|fix| &fix.edits)
            .map(|edit| {
                assert_eq!(edit.path, Path::new(name));
                let replaced = text[edit.range.to_usize_range()].to_owned();
                (replaced, edit.new_text.clone())
            })
            .collect()
    }

    /// Applies every fix through the real engine, as `check --fix` would.
    fn apply_fixes(name: &str, text: &str) -> String {
        let options = FixOptions {
            unsafe_fixes: true,
            ..FixOptions::default()
        };
        fix_text(name, text, &options, check).expect("the fix engine accepts every fix")
    }

    /// Whether `text` parses with the parser of `path`'s language.
    fn parses(path: &Path, text: &str) -> bool {
        if path.extension().is_some_and(|extension| extension == "rs") {
            commerce_rust::test_functions(text).is_ok()
        } else {
            parse_module(path, text).is_ok()
        }
    }

    /// The fixed text still parses, and nothing focused is left in it.
    fn assert_fixes_are_complete(name: &str, text: &str) -> String {
        let fixed = apply_fixes(name, text);
        if let Err(error) = parse_module(Path::new(name), &fixed) {
            panic!("{name}: the fixed text no longer parses: {error:?}\n{fixed}");
        }
        let left: Vec<_> = check(Path::new(name), &fixed)
            .into_iter()
            .filter(|diagnostic| diagnostic.fix.is_some())
            .collect();
        assert_eq!(left, [], "{name}: fixable findings survive their fix");
        fixed
    }

    /// The shared rule snapshot: diagnostics as `check` prints them, then the fix diff.
    fn listing(name: &str, text: &str) -> String {
        rule_snapshot(name, text, check, parses)
    }

    #[test]
    fn focused_members_are_errors_with_a_fix_that_deletes_only() {
        let (name, text) = fixture!("focused.test.ts");
        assert_eq!(
            found(name, text),
            expected(&[
                ("3:1", Severity::Error, "describe.only"),
                ("4:3", Severity::Error, "it.only"),
                ("8:3", Severity::Error, "it.concurrent.only"),
                ("12:3", Severity::Error, "test.only"),
                ("16:3", Severity::Error, "test.only"),
                ("23:3", Severity::Error, "it\n    .only"),
            ])
        );
        let mut deletions = vec![(".only".to_owned(), String::new()); 5];
        deletions.push(("\n    .only".to_owned(), String::new()));
        assert_eq!(fix_edits(name, text), deletions);
        let fixed = assert_fixes_are_complete(name, text);
        assert!(fixed.contains("describe(\"cart — prices in €\""));
        assert!(fixed.contains("  it.concurrent(\"totals"));
        assert!(fixed.contains("  test.each([1, 2])"));
        assert!(fixed.contains("  it(\"prices the line in €\""));
        insta::assert_snapshot!("focused", listing(name, text));
    }

    #[test]
    fn focused_aliases_are_errors_with_a_fix_that_deletes_the_f() {
        let (name, text) = fixture!("focused-aliases.spec.js");
        assert_eq!(
            found(name, text),
            expected(&[
                ("3:1", Severity::Error, "fdescribe"),
                ("4:3", Severity::Error, "fit"),
                ("8:3", Severity::Error, "ftest"),
                ("10:3", Severity::Error, "fit"),
                ("13:1", Severity::Error, "context.only"),
                ("14:3", Severity::Error, "specify.only"),
                ("17:1", Severity::Error, "suite.only"),
            ])
        );
        let edits = fix_edits(name, text);
        let replaced: Vec<&str> = edits.iter().map(|(old, _)| old.as_str()).collect();
        assert_eq!(replaced, ["f", "f", "f", "f", ".only", ".only", ".only"]);
        let fixed = assert_fixes_are_complete(name, text);
        assert!(fixed.starts_with("// Jest, Jasmine and Mocha globals, no imports.\n\ndescribe("));
        assert!(fixed.contains("  it.each([[\"EUR\"], [\"GBP\"]])"));
        insta::assert_snapshot!("focused_aliases", listing(name, text));
    }

    #[test]
    fn skipped_tests_are_warnings_without_a_fix() {
        let (name, text) = fixture!("skipped.spec.tsx");
        assert_eq!(
            found(name, text),
            expected(&[
                ("4:1", Severity::Warning, "describe.skip"),
                ("10:1", Severity::Warning, "it.skip"),
                ("12:1", Severity::Warning, "test.skip"),
                ("14:1", Severity::Warning, "xit"),
                ("15:1", Severity::Warning, "xdescribe"),
                ("16:1", Severity::Warning, "xtest"),
            ])
        );
        assert_eq!(fix_edits(name, text), []);
        insta::assert_snapshot!("skipped", listing(name, text));
    }

    #[test]
    fn playwright_suites_and_run_time_skips() {
        let (name, text) = fixture!("playwright.spec.ts");
        assert_eq!(
            found(name, text),
            expected(&[
                ("3:1", Severity::Error, "test.describe.only"),
                ("15:3", Severity::Warning, "test.describe.skip"),
                ("19:3", Severity::Warning, "test.skip"),
            ])
        );
        let diagnostics = check(Path::new(name), text);
        assert_eq!(
            diagnostics[0].message,
            "`test.describe.only` focuses this suite: every other test in the run is silently \
             skipped"
        );
        assert_fixes_are_complete(name, text);
        insta::assert_snapshot!("playwright", listing(name, text));
    }

    #[test]
    fn module_bindings_shadow_the_globals_but_framework_imports_do_not() {
        let (name, text) = fixture!("shadowed.test.js");
        assert_eq!(
            found(name, text),
            expected(&[
                ("17:1", Severity::Error, "test.only"),
                ("20:1", Severity::Warning, "it.skip"),
            ])
        );
        assert_fixes_are_complete(name, text);
        insta::assert_snapshot!("shadowed", listing(name, text));
    }

    #[test]
    fn every_binding_form_shadows() {
        let text = "\
import it from \"./it\";
import * as describe from \"./describe\";
import test = require(\"./test\");
export function fit() {}
class xit {}
let { context, nested: [suite], ...specify } = helpers;
const [fdescribe = 1] = [];
enum xtest { A }

it.only(); describe.only(); test.only(); fit(); xit(); context.only(); suite.only();
specify.only(); fdescribe(); xtest();
";
        assert_eq!(found("shadow.test.ts", text), []);
    }

    #[test]
    fn an_alias_is_not_renamed_onto_a_shadowed_global_or_through_escapes() {
        let shadowed = "const it = (name: string) => name;\nfit(\"x\", () => {});\n";
        let escaped = "f\\u0069t(\"y\", () => {});\n";
        for (name, text, source) in [
            ("shadowed.test.ts", shadowed, "fit"),
            ("escaped.test.ts", escaped, "f\\u0069t"),
        ] {
            let findings = found(name, text);
            assert_eq!(findings.len(), 1, "{name}");
            assert_eq!(findings[0].2, source);
            assert_eq!(fix_edits(name, text), [], "{name}");
        }
    }

    #[test]
    fn ambient_declarations_do_not_shadow() {
        let text = "declare const it: (name: string) => void;\nit.only(\"x\");\n";
        assert_eq!(
            found("ambient.test.ts", text),
            expected(&[("2:1", Severity::Error, "it.only")])
        );
    }

    #[test]
    fn clean_tests_have_no_findings() {
        let (name, text) = fixture!("clean.test.ts");
        assert_eq!(found(name, text), []);
    }

    #[test]
    fn ignored_rust_tests_without_a_reason_are_warnings() {
        let (name, text) = fixture!("ignored.rs");
        assert_eq!(
            found(name, text),
            expected(&[
                ("4:1", Severity::Warning, "#[ignore]"),
                ("17:5", Severity::Warning, "#[ignore]"),
                ("21:5", Severity::Warning, "#[ignore = \"  \"]"),
            ])
        );
        let diagnostics = check(Path::new(name), text);
        assert_eq!(
            diagnostics[0].message,
            "test `rounds_half_cents_up` is ignored without a reason"
        );
        assert!(
            diagnostics
                .iter()
                .all(|diagnostic| diagnostic.fix.is_none())
        );
        insta::assert_snapshot!("ignored", listing(name, text));
    }

    #[test]
    fn messages_say_what_happens_and_what_to_do() {
        let (name, text) = fixture!("focused-aliases.spec.js");
        let fdescribe = &check(Path::new(name), text)[0];
        assert_eq!(
            fdescribe.message,
            "`fdescribe` focuses this suite: every other test in the run is silently skipped"
        );
        assert_eq!(
            fdescribe.help.as_deref(),
            Some("rename `fdescribe` to `describe` before committing")
        );
        let (name, text) = fixture!("skipped.spec.tsx");
        let it_skip = &check(Path::new(name), text)[1];
        assert_eq!(
            it_skip.message,
            "`it.skip` skips this test: it never runs, yet the run still passes"
        );
        assert_eq!(
            it_skip.help.as_deref(),
            Some("fix the test and remove `.skip`, or delete it")
        );
    }

    #[test]
    fn focus_outside_test_files_is_not_reported() {
        let (_, text) = fixture!("focused.test.ts");
        assert_eq!(check(Path::new("web/src/cart.ts"), text), []);
        assert_eq!(check(Path::new("README.md"), text), []);
        assert_eq!(
            found("web/src/__tests__/cart.ts", text).len(),
            found("focused.test.ts", text).len()
        );
    }

    #[test]
    fn unparsable_files_have_no_findings() {
        assert_eq!(
            check(Path::new("cart.test.ts"), "it.only(\"x\", () => {"),
            []
        );
        assert_eq!(
            check(Path::new("cart.test.ts"), "it.only(\"x\"); const = 1;"),
            []
        );
        assert_eq!(
            check(Path::new("lib.rs"), "#[test]\n#[ignore]\nfn f( {}"),
            []
        );
        assert_eq!(check(Path::new("empty.test.ts"), ""), []);
    }

    #[test]
    fn the_rule_documents_itself_in_the_house_format() {
        let meta = FocusedOrSkippedTest::META;
        assert_eq!(meta.id, "tests/focused-or-skipped-test");
        assert_eq!(meta.namespace(), "tests");
        assert_eq!(meta.fix, FixAvailability::Sometimes);
        let doc = doc_text(meta.doc);
        let sections = [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Fix safety",
        ];
        let positions: Vec<Option<usize>> =
            sections.iter().map(|section| doc.find(section)).collect();
        assert!(positions.iter().all(Option::is_some), "{doc}");
        assert!(positions.is_sorted(), "sections out of order:\n{doc}");
        assert!(meta.summary().starts_with("Flags focused tests"));
    }
}
