//! `gomodfetch hash`: the `h1:` of a zip, a go.mod or a directory.

use crate::commands::{CmdResult, ExitStatus};
use crate::ui::printer::Printer;

/// Flags of `gomodfetch hash`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `gomodfetch hash`.
pub async fn run(_args: Args, printer: &Printer) -> CmdResult {
    printer.error("hash is not implemented yet");
    Ok(ExitStatus::Failure)
}
