//! The terminal: printing, progress and error rendering. The only code that prints.

pub mod diag;
pub mod printer;
pub mod progress;
