//! `cargo commerce check`: analyse, optionally fix, render, gate.

use commerce_analysis::{Analysis, Analyzer, CheckRequest, FixRequest};
use std::sync::Arc;

use commerce_project::{FileSystem, OsFs};

use super::{CliError, load_project};
use crate::Exit;
use crate::cli::{AnalyzerArg, CheckArgs, Cli};
use crate::output;

pub fn run(cli: &Cli, args: &CheckArgs) -> Result<Exit, CliError> {
    let project = load_project(cli)?;
    let analysis = Analysis::new(&project)?;
    let request = CheckRequest {
        paths: args.paths.clone(),
        only: args.only.iter().map(|only| analyzer(*only)).collect(),
        base: args.base.clone(),
    };
    let fs: Arc<dyn FileSystem> = Arc::new(OsFs);
    let mut result = analysis.check(&project, Arc::clone(&fs), &request)?;
    output::note_unavailable_analyzers(&result.analyzers);
    for notice in &result.notices {
        output::note(notice);
    }

    if args.fix || args.diff {
        let request = FixRequest {
            unsafe_fixes: args.unsafe_fixes,
        };
        let outcome = analysis.fix(&project, fs, &result, request)?;
        output::note_fix_problems(&outcome);
        if args.diff {
            // Like `ruff --diff`: the diff is the output, and pending fixes fail the run.
            print!("{}", outcome.diff());
            return Ok(if outcome.fixes_applied == 0 {
                output::gate(&result.diagnostics, args.fail_on)
            } else {
                Exit::Findings
            });
        }
        let fixes_applied = outcome.fixes_applied;
        let report = analysis.write_fixes(&project, &mut result, outcome)?;
        output::note_fixes_written(fixes_applied, report.written.len());
    }

    output::print_check(cli, args.format, &analysis, &result);
    let findings = output::gate(&result.diagnostics, args.fail_on);
    if args.no_tests {
        return Ok(findings);
    }
    let tests = super::test::run_fast_pack(&project, &result, args)?;
    Ok(if findings == Exit::Clean {
        tests
    } else {
        findings
    })
}

fn analyzer(arg: AnalyzerArg) -> Analyzer {
    match arg {
        AnalyzerArg::Frontend => Analyzer::Frontend,
        AnalyzerArg::Contracts => Analyzer::Contracts,
        AnalyzerArg::Migrations => Analyzer::Migrations,
        AnalyzerArg::Tests => Analyzer::Tests,
    }
}
