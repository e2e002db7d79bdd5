//! Command-line arguments. Parsing only: every decision lives in the libraries.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The test-and-telemetry harness for a commerce codebase: static analyzers, the fast test pack
/// and a merge gate, in one command.
#[derive(Debug, Parser)]
#[command(name = "cargo-commerce", bin_name = "cargo commerce", version, about)]
pub struct Cli {
    /// Project root (default: found by walking up from the current directory to commerce.toml).
    #[arg(long, global = true, value_name = "DIR")]
    pub project: Option<PathBuf>,

    /// When to use colours (NO_COLOR and a non-terminal stdout turn them off under `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the analyzers (and the fast test pack), report, and gate.
    Check(CheckArgs),
    /// List every rule with its severity and whether it can fix.
    Rules(RulesArgs),
    /// Print a rule's documentation.
    Explain {
        /// A rule id, e.g. `tests/focused-or-skipped-test`.
        rule: String,
    },
    /// The frontend's import graph (JSON, dot, Mermaid).
    Graph(crate::commands::graph::GraphArgs),
    /// SQL migrations: round-trip them on a real Postgres (`migrations verify`).
    Migrations(crate::commands::migrations::MigrationsArgs),
    /// Serve diagnostics and quick fixes to an editor over stdio (Language Server Protocol).
    Lsp,
    /// OpenAPI contracts: diff two versions of a spec, test a service, match routes in code.
    Contracts(crate::commands::contracts::ContractsArgs),
    /// The frontend's routes (Next.js app and pages routers, React Router objects): route, file,
    /// OK/FAIL, reason and suggested fix; `--format json|sarif|github` prints the failing routes'
    /// findings instead. Exits 1 when a route fails.
    Routes(crate::commands::graph::FrontendRoutesArgs),
    /// Run a test suite on cargo-nextest (or what a change can reach), report, and gate.
    Test(crate::commands::test::TestArgs),
    /// Re-run the affected analyzers and tests on every save.
    Watch(crate::commands::watch::WatchArgs),
    /// Short fixed-rate bursts against the app: p50/p90/p95/p99 from each request's intended
    /// start, warm vs cold, thresholds. Exits 1 when a scenario is over its thresholds.
    Load(crate::commands::load::LoadArgs),
    /// Work with test reports (merge shard reports).
    Report(crate::commands::report::ReportArgs),
    /// Append-only audit tables: `audit sql` prints their migration.
    Audit(crate::commands::audit::AuditArgs),
    /// A test kit stub (Stripe, PayPal, mail) over loopback, for an app in any language and
    /// real client SDKs: binds, prints `listening on http://ADDR`, serves until SIGINT/SIGTERM.
    Stub(crate::commands::stub::StubArgs),
    /// Write a commented commerce.toml for the layout found in the project.
    Init {
        /// Overwrite an existing commerce.toml.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to check (default: the whole project).
    pub paths: Vec<PathBuf>,

    /// Run only these analyzers.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<AnalyzerArg>,

    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,

    /// Apply safe fixes, then report what remains.
    #[arg(long)]
    pub fix: bool,

    /// Also apply unsafe fixes (with --fix or --diff).
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Print the fixes as a unified diff and write nothing.
    #[arg(long, conflicts_with = "fix")]
    pub diff: bool,

    /// Check only files changed since the merge base with this ref (plus uncommitted and
    /// untracked files).
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,

    /// Static analysis only: skip the fast test pack.
    #[arg(long)]
    pub no_tests: bool,

    /// A previous report.json (e.g. the base branch's) the fast pack's gates judge against.
    #[arg(long, value_name = "FILE", conflicts_with = "no_tests")]
    pub baseline: Option<PathBuf>,

    /// Where the fast pack's report files go (default: target/commerce).
    #[arg(long, value_name = "DIR", conflicts_with = "no_tests")]
    pub report_dir: Option<PathBuf>,

    /// The lowest severity that fails the run.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AnalyzerArg {
    Frontend,
    Contracts,
    Migrations,
    Tests,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// The arguments as the user typed them, minus the `commerce` that cargo inserts when it runs
/// `cargo commerce …` as `cargo-commerce commerce …`.
pub fn args_without_cargo_subcommand(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Vec<std::ffi::OsString> {
    let mut args: Vec<_> = args.into_iter().collect();
    if args.get(1).is_some_and(|arg| arg == "commerce") {
        args.remove(1);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn cargo_subcommand_name_is_dropped() {
        let args =
            args_without_cargo_subcommand(["cargo-commerce", "commerce", "check"].map(Into::into));
        assert_eq!(args, ["cargo-commerce", "check"]);
        let direct = args_without_cargo_subcommand(["cargo-commerce", "check"].map(Into::into));
        assert_eq!(direct, ["cargo-commerce", "check"]);
    }

    #[test]
    fn only_takes_a_comma_separated_list() {
        let cli = Cli::parse_from([
            "cargo-commerce",
            "check",
            "--only",
            "frontend,tests",
            "--no-tests",
        ]);
        let Command::Check(check) = cli.command else {
            panic!("expected check");
        };
        assert_eq!(check.only, [AnalyzerArg::Frontend, AnalyzerArg::Tests]);
        assert!(check.no_tests);
    }
}
