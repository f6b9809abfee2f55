//! Renders an error as `error: <top>` followed by one `  Caused by: <source>`
//! line per source in the chain (uv's style), readable without colour.

use std::error::Error;
use std::fmt::Write;

/// Formats `err` and its sources. Multi-line messages (Go's checksum-mismatch
/// and SECURITY ERROR texts) keep their own line breaks.
pub fn render(err: &(dyn Error + 'static)) -> String {
    let mut out = format!("error: {err}\n");
    let mut source = err.source();
    let mut previous = err.to_string();
    while let Some(cause) = source {
        let text = cause.to_string();
        // Skip a cause whose text the parent already printed in full.
        if !previous.contains(&text) {
            let _ = writeln!(out, "  Caused by: {text}");
        }
        previous = text;
        source = cause.source();
    }
    out
}
