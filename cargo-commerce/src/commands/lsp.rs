//! `cargo commerce lsp`: the language server over stdio.

use super::CliError;
use crate::Exit;

pub fn run() -> Result<Exit, CliError> {
    commerce_lsp::run_stdio()?;
    Ok(Exit::Clean)
}
