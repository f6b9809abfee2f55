//! `gomodfetch serve`: serve a mirror tree as a GOPROXY.

use crate::commands::{CmdResult, ExitStatus};
use crate::ui::printer::Printer;

/// Flags of `gomodfetch serve`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `gomodfetch serve`.
pub async fn run(_args: Args, printer: &Printer) -> CmdResult {
    printer.error("serve is not implemented yet");
    Ok(ExitStatus::Failure)
}
