//! `gomodfetch download`: what `go mod download` does.

use crate::commands::{CmdResult, ExitStatus};
use crate::ui::printer::Printer;

/// Flags of `gomodfetch download`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `gomodfetch download`.
pub async fn run(_args: Args, printer: &Printer) -> CmdResult {
    printer.error("download is not implemented yet");
    Ok(ExitStatus::Failure)
}
