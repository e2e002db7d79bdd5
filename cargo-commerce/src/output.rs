//! Printing: reports to stdout, notes and errors to stderr, colours decided once.

use std::io::IsTerminal;
use std::time::Instant;

use anstream::eprintln;
use commerce_analysis::{Analysis, Analyzer, CheckResult, Findings};
use commerce_codemods::FixOutcome;
use commerce_diagnostics::render::{self, Sources, Summary, human};
use commerce_diagnostics::{Diagnostic, RuleRegistry, Severity};

use crate::Exit;
use crate::cli::{Cli, ColorChoice, FailOn, OutputFormat};
use crate::commands::CliError;

/// Whether to colour what goes to stdout: `--color`, then NO_COLOR / CLICOLOR_FORCE and
/// whether stdout is a terminal.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
        }
    }
}

fn stderr_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
                && std::io::stderr().is_terminal()
        }
    }
}

pub fn print_check(cli: &Cli, format: OutputFormat, analysis: &Analysis, result: &CheckResult) {
    let summary = Summary::of(&result.diagnostics, result.files_checked, result.elapsed);
    print_diagnostics(
        cli,
        format,
        &result.diagnostics,
        &result.sources,
        &summary,
        analysis.registry(),
    );
}

/// The analyzers' findings on changed files (`watch`, `test --changed`), rustc-style; nothing
/// when there are none.
pub fn print_changed_findings(result: &CheckResult, color: bool) {
    if result.diagnostics.is_empty() {
        return;
    }
    let summary = Summary::of(&result.diagnostics, result.files_checked, result.elapsed);
    let options = human::HumanOptions { color };
    print!(
        "{}",
        human::render(&result.diagnostics, &result.sources, &summary, options)
    );
}

/// Findings as the stable JSON of DESIGN §5 with one more top-level field (`routes`, say).
pub fn print_findings_json_with(
    findings: &Findings,
    files: usize,
    started: Instant,
    (key, value): (&str, serde_json::Value),
) {
    let summary = Summary::of(&findings.diagnostics, files, started.elapsed());
    let mut json = render::json::render(&findings.diagnostics, &findings.sources, &summary);
    if let Some(object) = json.as_object_mut() {
        object.insert(key.to_owned(), value);
    }
    println!("{}", pretty(&json));
}

/// Findings in the requested format, summarised over `files` files.
pub fn print_findings(
    cli: &Cli,
    format: OutputFormat,
    analysis: &Analysis,
    findings: &Findings,
    files: usize,
    started: Instant,
) {
    let summary = Summary::of(&findings.diagnostics, files, started.elapsed());
    print_diagnostics(
        cli,
        format,
        &findings.diagnostics,
        &findings.sources,
        &summary,
        analysis.registry(),
    );
}

/// Findings in the requested format: the same shapes for every command that reports them.
pub fn print_diagnostics(
    cli: &Cli,
    format: OutputFormat,
    diagnostics: &[Diagnostic],
    sources: &Sources,
    summary: &Summary,
    rules: &RuleRegistry,
) {
    match format {
        OutputFormat::Human => {
            let options = human::HumanOptions {
                color: use_color(cli.color),
            };
            print!("{}", human::render(diagnostics, sources, summary, options));
        }
        OutputFormat::Json => {
            println!(
                "{}",
                pretty(&render::json::render(diagnostics, sources, summary))
            );
        }
        OutputFormat::Sarif => {
            let tool = render::sarif::ToolInfo {
                name: "cargo-commerce".to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                information_uri: option_env!("CARGO_PKG_HOMEPAGE")
                    .filter(|uri| !uri.is_empty())
                    .map(str::to_owned),
            };
            println!(
                "{}",
                pretty(&render::sarif::render(diagnostics, sources, rules, &tool))
            );
        }
        OutputFormat::Github => print!("{}", render::github::render(diagnostics, sources)),
    }
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// A note for people on stderr, never mixed into machine-readable stdout.
pub fn note(message: &str) {
    eprintln!("note: {message}");
}

/// Something the user should act on that did not stop the command, on stderr.
pub fn warning(message: &str) {
    eprintln!("warning: {message}");
}

pub fn note_unavailable_analyzers(analyzers: &[Analyzer]) {
    let missing: Vec<_> = analyzers
        .iter()
        .filter(|analyzer| !analyzer.is_available())
        .map(|analyzer| analyzer.name())
        .collect();
    if !missing.is_empty() {
        note(&format!(
            "not built yet, so not run: the {} analyzer{}",
            missing.join(", "),
            if missing.len() == 1 { "" } else { "s" }
        ));
    }
}

/// Fixes the engine could not apply: a reverted fix broke parsing, a rejected one was invalid.
pub fn note_fix_problems(outcome: &FixOutcome) {
    for file in outcome.files.values() {
        for reverted in &file.reverted {
            note(&format!("fix not applied: {reverted}"));
        }
    }
    for rejected in &outcome.rejected {
        note(&format!("fix not applied: {rejected}"));
    }
}

pub fn note_fixes_written(fixes: usize, files: usize) {
    if fixes > 0 {
        note(&format!(
            "applied {fixes} fix{} in {files} file{}",
            if fixes == 1 { "" } else { "es" },
            if files == 1 { "" } else { "s" }
        ));
    }
}

/// Prints an error that stopped the command. Errors in the user's own files (commerce.toml)
/// are shown like diagnostics, with the source line and a caret.
pub fn print_error(error: &CliError, color: ColorChoice) {
    if let Some(rendered) = config_error(error)
        .and_then(|config_error| render_config_error(config_error, stderr_color(color)))
    {
        eprint!("{rendered}");
        return;
    }
    eprintln!("error: {error}");
}

fn config_error(error: &CliError) -> Option<&commerce_project::ConfigError> {
    match error {
        CliError::Project(commerce_project::ProjectError::Config(config_error))
        | CliError::Analysis(commerce_analysis::AnalysisError::Config(config_error)) => {
            Some(config_error)
        }
        _ => None,
    }
}

fn render_config_error(error: &commerce_project::ConfigError, color: bool) -> Option<String> {
    let text = std::fs::read_to_string(error.path()).ok()?;
    let mut sources = Sources::new();
    sources.insert(error.path(), text);
    let mut diagnostic = Diagnostic::new(
        "commerce/config",
        Severity::Error,
        error.path(),
        error.range(),
        error.message(),
    );
    if let Some(help) = error.help() {
        diagnostic = diagnostic.with_help(help);
    }
    Some(human::render_diagnostics(
        &[diagnostic],
        &sources,
        human::HumanOptions { color },
    ))
}

/// Exit 1 when any diagnostic is at or above the `--fail-on` severity.
pub fn gate(diagnostics: &[Diagnostic], fail_on: FailOn) -> Exit {
    let threshold = match fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Info => Severity::Info,
    };
    if diagnostics
        .iter()
        .any(|diagnostic| diagnostic.severity >= threshold)
    {
        Exit::Findings
    } else {
        Exit::Clean
    }
}
