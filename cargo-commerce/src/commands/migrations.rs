//! `cargo commerce migrations verify`: every migration applied, rolled back and re-applied on
//! a real Postgres, the schema compared from the catalogs at each step.

use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use commerce_analysis::Analysis;
use commerce_analysis::migrations::{
    DEFAULT_PROBE_SEED, PostgresServer, VerifyError, VerifyOptions,
};
use commerce_project::{Dialect, OsFs};

use super::{CliError, load_project};
use crate::Exit;
use crate::cli::{Cli, FailOn, OutputFormat};
use crate::output;

#[derive(Debug, Args)]
pub struct MigrationsArgs {
    #[command(subcommand)]
    pub command: MigrationsCommand,
}

#[derive(Debug, Subcommand)]
pub enum MigrationsCommand {
    /// Round-trip migrations (up, down, up) on Postgres (an ephemeral cluster from the local
    /// binaries, or the server at DATABASE_URL) or, for `dialect = "sqlite"`, in-memory SQLite.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Check every migration (default: those at or after `[migrations] lint_from`, or changed
    /// since --base).
    #[arg(long)]
    pub all: bool,
    /// Check only the migrations changed since the merge base with this ref.
    #[arg(long, value_name = "REF", conflicts_with = "all")]
    pub base: Option<String>,
    /// The longest one statement may run, in seconds (a hung migration is stopped and reported).
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub statement_timeout: u64,
    /// The longest one statement may wait for a lock, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub lock_timeout: u64,
    /// Seeds the values the constraint probes insert (the same seed, the same inserts).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PROBE_SEED)]
    pub seed: u64,
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// The lowest severity that fails the run.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
}

pub fn run(cli: &Cli, args: &MigrationsArgs) -> Result<Exit, CliError> {
    match &args.command {
        MigrationsCommand::Verify(verify) => run_verify(cli, verify),
    }
}

fn run_verify(cli: &Cli, args: &VerifyArgs) -> Result<Exit, CliError> {
    let started = Instant::now();
    let project = load_project(cli)?;
    let analysis = Analysis::new(&project)?;
    let only = match &args.base {
        Some(base) => Some(
            commerce_project::changed_files(project.root(), base)
                .map_err(commerce_analysis::AnalysisError::from)?
                .into_iter()
                .map(|change| change.path)
                .collect(),
        ),
        None => None,
    };
    let options = VerifyOptions {
        all: args.all,
        only,
        statement_timeout: Duration::from_secs(args.statement_timeout),
        lock_timeout: Duration::from_secs(args.lock_timeout),
        probe_seed: args.seed,
    };
    let on_postgres = project.config().migrations.dialect == Dialect::Postgres;
    let server = if on_postgres {
        Some(PostgresServer::from_env().map_err(VerifyError::from)?)
    } else {
        None
    };
    let verified = analysis.verify_migrations(&project, &OsFs, server.as_ref(), &options)?;
    let report = &verified.report;
    for note in &report.notes {
        output::warning(note);
    }
    if args.format == OutputFormat::Human {
        if let Some(version) = &report.server_version {
            let target = report.target.as_ref().map_or_else(
                || "the project names no PostgreSQL version".to_owned(),
                |target| format!("the project targets {} ({})", target.major, target.source),
            );
            output::note(&format!("PostgreSQL {version}; {target}"));
        }
        for timing in &report.timings {
            let steps = match (timing.down, timing.reup) {
                (Some(down), Some(reup)) => format!(
                    "up {} ms, down {} ms, re-up {} ms",
                    timing.up.as_millis(),
                    down.as_millis(),
                    reup.as_millis()
                ),
                _ => format!("applied in {} ms", timing.up.as_millis()),
            };
            output::note(&format!("{}: {steps}", timing.migration.display()));
        }
        let probes = &report.probes;
        if on_postgres {
            output::note(&format!(
                "constraint probes (seed {}, {} ms): {} tried, {} held, {} not enforced, {} inconclusive; {} audit table(s) probed, {} not append-only",
                args.seed,
                probes.elapsed.as_millis(),
                probes.probed,
                probes.held,
                probes.not_enforced.len(),
                probes.inconclusive,
                probes.audit_tables,
                probes.not_append_only.len()
            ));
        }
    }
    let findings = &verified.findings;
    output::print_findings(
        cli,
        args.format,
        &analysis,
        findings,
        report.timings.len(),
        started,
    );
    Ok(output::gate(&findings.diagnostics, args.fail_on))
}
