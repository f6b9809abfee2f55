//! `gomodfetch doctor`: why fetching fails, and the fix.

use crate::commands::{CmdResult, ExitStatus};
use crate::ui::printer::Printer;

/// Flags of `gomodfetch doctor`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `gomodfetch doctor`.
pub async fn run(_args: Args, printer: &Printer) -> CmdResult {
    printer.error("doctor is not implemented yet");
    Ok(ExitStatus::Failure)
}
