//! One file per subcommand; each is a thin wrapper around the library. This
//! file owns the process-level flow: parse, run on a tokio runtime, render the
//! error chain, map to an exit code.
//!
//! Exit codes (documented in the README): 0 success; 1 the command failed
//! (a module could not be fetched or verified, bad input), as `go mod download`
//! exits 1; 2 usage errors (clap) and internal errors.

pub mod bench;
pub mod doctor;
pub mod download;
pub mod hash;
pub mod inmodule;
pub mod mirror;
pub mod prewarm;
pub mod serve;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::ui::printer::Printer;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything asked for was done.
    Success,
    /// The command ran but something failed (already reported).
    Failure,
    /// An internal or environment error.
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => ExitCode::SUCCESS,
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
        }
    }
}

/// What every command returns: a status, or an error to render as a chain.
pub type CmdResult = Result<ExitStatus, Box<dyn std::error::Error + Send + Sync>>;

/// The process entry point behind `main.rs`.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args.into_iter().map(go_style_flag)) {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help/version to stdout and usage errors to stderr.
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let printer = Printer::new(cli.quiet, cli.verbose);
    // A warm cache needs no runtime: answer before starting one.
    if let Command::Download(args) = &cli.command
        && let Some(status) = download::try_warm(args, &printer)
    {
        return status.into();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            printer.render_error(&err);
            return ExitStatus::Error.into();
        }
    };
    let result = runtime.block_on(run(cli.command, &printer));
    // Requests still in flight (a slow proxy) must not delay the exit.
    runtime.shutdown_background();
    match result {
        Ok(status) => status.into(),
        Err(err) => {
            printer.render_error(err.as_ref());
            ExitStatus::Failure.into()
        }
    }
}

/// Go's flags are single-dash (`go mod download -json`); users paste them.
/// clap reads `-json` as `-j son`, so the Go spellings of our long flags are
/// rewritten to their double-dash form before parsing.
fn go_style_flag(arg: OsString) -> OsString {
    const GO_LONG_FLAGS: &[&str] = &["-json"];
    match arg.to_str() {
        Some(text) if GO_LONG_FLAGS.contains(&text) => format!("-{text}").into(),
        _ => arg,
    }
}

async fn run(command: Command, printer: &Printer) -> CmdResult {
    match command {
        Command::Download(args) => download::run(args, printer).await,
        Command::Hash(args) => hash::run(args, printer).await,
        Command::Doctor(args) => doctor::run(args, printer).await,
        Command::Mirror(args) => mirror::run(args, printer).await,
        Command::Serve(args) => serve::run(args, printer).await,
        Command::Bench(args) => bench::run(args, printer).await,
    }
}
