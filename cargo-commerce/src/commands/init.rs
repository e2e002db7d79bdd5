//! `cargo commerce init`: a commented commerce.toml for the layout found in the project.

use super::{CliError, load_project};
use crate::Exit;
use crate::cli::Cli;

pub fn run(cli: &Cli, force: bool) -> Result<Exit, CliError> {
    let project = load_project(cli)?;
    let path = project.root().join(commerce_project::CONFIG_FILE_NAME);
    if path.exists() && !force {
        return Err(CliError::ConfigExists { path });
    }
    let layout = commerce_project::detect_layout(&commerce_project::OsFs, project.root());
    let text = layout.to_config();
    std::fs::write(&path, text).map_err(|source| CliError::Write {
        path: path.clone(),
        source,
    })?;
    eprintln!("wrote {}", path.display());
    if let Some(note) = layout.render_note() {
        eprintln!("note: {note}");
    }
    Ok(Exit::Clean)
}
