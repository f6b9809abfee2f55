//! `gomodfetch bench`: proxy throughput and latency, open or closed loop.

use crate::commands::{CmdResult, ExitStatus};
use crate::ui::printer::Printer;

/// Flags of `gomodfetch bench`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `gomodfetch bench`.
pub async fn run(_args: Args, printer: &Printer) -> CmdResult {
    printer.error("bench is not implemented yet");
    Ok(ExitStatus::Failure)
}
