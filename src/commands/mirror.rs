//! `gomodfetch mirror` and `mirror verify`: an air-gapped GOPROXY tree with checksum-database proofs.

use crate::commands::{CmdResult, ExitStatus};
use crate::ui::printer::Printer;

/// Flags of `gomodfetch mirror`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `gomodfetch mirror`.
pub async fn run(_args: Args, printer: &Printer) -> CmdResult {
    printer.error("mirror is not implemented yet");
    Ok(ExitStatus::Failure)
}
