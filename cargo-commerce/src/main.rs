//! `cargo commerce`: parses arguments, calls the libraries, renders, picks the exit code.
//! This is the only crate that prints or exits.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod commands;
mod output;

use std::io::Write;
use std::panic;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

// Parsing and resolving thousands of modules allocates millions of small objects, in
// parallel: mimalloc does that faster than the system allocator (as in oxc, ruff, swc).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The exit codes of DESIGN §5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Nothing at or above the gate's severity.
    Clean = 0,
    /// Findings or failed tests.
    Findings = 1,
    /// Usage, configuration or setup error; also internal errors, so 101 never reaches users.
    Error = 2,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

fn main() -> ExitCode {
    let args = cli::args_without_cargo_subcommand(std::env::args_os());
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                Exit::Error
            } else {
                Exit::Clean
            }
            .into();
        }
    };
    // A panic is a bug; report it as one and keep exit code 101 away from scripts and CI.
    panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error in cargo commerce: {info}");
        eprintln!("  help: this is a bug; please report it with the command you ran");
    }));
    match panic::catch_unwind(|| run(cli)) {
        Ok(exit) => exit.into(),
        Err(_) => Exit::Error.into(),
    }
}

fn run(cli: Cli) -> Exit {
    let result = match &cli.command {
        Command::Check(args) => commands::check::run(&cli, args),
        Command::Rules(args) => commands::rules::list(args),
        Command::Explain { rule } => commands::rules::explain(rule),
        Command::Init { force } => commands::init::run(&cli, *force),
        Command::Lsp => commands::lsp::run(),
        Command::Migrations(args) => commands::migrations::run(&cli, args),
        Command::Graph(args) => commands::graph::run(&cli, args),
        Command::Contracts(args) => commands::contracts::run(&cli, args),
        Command::Routes(args) => commands::graph::routes(&cli, args),
        Command::Test(args) => commands::test::run(&cli, args),
        Command::Watch(args) => commands::watch::run(&cli, args),
        Command::Report(args) => commands::report::run(&cli, args),
        Command::Load(args) => commands::load::run(&cli, args),
        Command::Stub(args) => commands::stub::run(args),
    };
    let _ = std::io::stdout().flush();
    match result {
        Ok(exit) => exit,
        Err(error) => {
            output::print_error(&error, cli.color);
            Exit::Error
        }
    }
}
