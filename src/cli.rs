//! The command line as clap parses it: raw values only, no environment reads
//! and no defaults that depend on the machine. Each subcommand's own flags
//! live beside the command (`commands::*::Args`).

use clap::{Parser, Subcommand};

use crate::commands;

/// A standalone, Go-compatible Go-module fetcher.
#[derive(Debug, Parser)]
#[command(name = "gomodfetch", version, about, long_about = None)]
pub struct Cli {
    /// Print no status messages and no progress display.
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
    /// Print more detail (and no progress display, so logs stay readable).
    #[arg(short = 'v', long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Download modules into GOMODCACHE, as `go mod download` does.
    Download(commands::download::Args),
    /// Print the `h1:` hash of a module zip, a go.mod file or a module directory.
    Hash(commands::hash::Args),
    /// Explain why fetching fails: TLS, proxies and GO* variables, with the fix.
    Doctor(commands::doctor::Args),
    /// Build or verify an air-gapped GOPROXY tree with checksum-database proofs.
    Mirror(commands::mirror::Args),
    /// Serve a mirror tree as a GOPROXY.
    Serve(commands::serve::Args),
    /// Measure a proxy's throughput and latency.
    Bench(commands::bench::Args),
}
