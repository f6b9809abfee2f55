//! `Printer`: stdout carries data (JSON, tables), stderr carries messages.
//! The only module that writes to the terminal.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the one place that prints"
)]

use std::io::{IsTerminal, Write};

/// Where output goes, and how much of it.
#[derive(Debug, Clone)]
pub struct Printer {
    quiet: bool,
    verbose: bool,
}

impl Printer {
    pub fn new(quiet: bool, verbose: bool) -> Self {
        Self { quiet, verbose }
    }

    /// Whether status messages are suppressed.
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// Whether verbose output was asked for.
    pub fn is_verbose(&self) -> bool {
        self.verbose
    }

    /// Whether a live progress display may be drawn on stderr.
    pub fn wants_progress(&self) -> bool {
        !self.quiet && !self.verbose && std::io::stderr().is_terminal()
    }

    /// Writes one piece of data (a line, or a multi-line block) to stdout.
    pub fn data(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = out.write_all(b"\n");
        }
        let _ = out.flush();
    }

    /// A status line on stderr (suppressed by `--quiet`).
    pub fn status(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// A detail line on stderr, only with `--verbose`.
    pub fn verbose(&self, text: &str) {
        if self.verbose {
            eprintln!("{text}");
        }
    }

    /// An error line on stderr, never suppressed.
    pub fn error(&self, text: &str) {
        eprintln!("{}", text.trim_end_matches('\n'));
    }

    /// Renders an error chain on stderr.
    pub fn render_error(&self, err: &(dyn std::error::Error + 'static)) {
        eprint!("{}", crate::ui::diag::render(err));
    }
}
