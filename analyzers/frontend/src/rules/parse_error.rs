//! `frontend/parse-error`: a TypeScript/JavaScript file that does not parse.

use commerce_diagnostics::{Diagnostic, FixAvailability, Rule, Severity, declare_rule};

use super::Check;
use super::Context;
use crate::project::Source;

declare_rule! {
    /// ## What it does
    /// Reports TypeScript and JavaScript files that do not parse, at the first syntax error.
    /// Errors the parser recovers from count too.
    ///
    /// ## Why is this bad?
    /// A file that does not parse does not build, and none of its imports and exports can be
    /// checked: cycles through it, imports of names it does not export and its own broken
    /// imports all stay hidden until it parses. The rest of the project is still analyzed.
    ///
    /// ## Example
    /// ```ts
    /// export const total = (lines: Line[]) => lines.reduce((sum, line) => sum + line.price, 0;
    /// ```
    ///
    /// Use instead:
    /// ```ts
    /// export const total = (lines: Line[]) => lines.reduce((sum, line) => sum + line.price, 0);
    /// ```
    ///
    /// ## Fix safety
    /// There is no fix: what the code should have said is for a person to decide.
    pub UnparsableFile {
        id: "frontend/parse-error",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule<Check> = Rule::new(UnparsableFile::META, Check::Project(check));

pub(crate) fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    context
        .modules
        .modules
        .iter()
        .filter_map(|module| match &module.source {
            Source::ParseError(error) => Some(
                Diagnostic::new(
                    UnparsableFile::META.id,
                    UnparsableFile::META.default_severity,
                    &module.path,
                    error.range,
                    format!("syntax error: {}", error.message),
                )
                .with_help("the imports and exports of this file are not checked until it parses"),
            ),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Project, fixture};
    use super::*;

    #[test]
    fn a_syntax_error_is_reported_and_the_rest_of_the_graph_is_built() {
        let project = fixture("parse-error");
        insta::assert_snapshot!(project.snapshot(UnparsableFile::META.id));
        let report = project.report();
        let edges: Vec<String> = report
            .graph
            .edges()
            .map(|edge| format!("{} -> {}", edge.from.display(), edge.to.display()))
            .collect();
        assert_eq!(
            edges,
            ["src/app.ts -> src/broken.ts", "src/app.ts -> src/cart.ts"]
        );
    }

    #[test]
    fn clean_files_have_no_findings() {
        let project = Project::new(&[("src/a.ts", "export const a = 1;\n")]);
        assert_eq!(
            project.findings(UnparsableFile::META.id),
            Vec::<String>::new()
        );
    }
}
