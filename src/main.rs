//! The `gomodfetch` binary: parse the command line, run the command, render
//! the error and map the outcome to an exit code. No logic lives here.

use std::process::ExitCode;

fn main() -> ExitCode {
    gomodfetch::commands::main(std::env::args_os())
}
