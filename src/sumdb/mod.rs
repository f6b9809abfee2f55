//! The checksum database: signed notes, the transparency log, the client and its I/O.

pub mod check;
pub mod checker;
pub mod client;
pub mod config;
pub mod note;
pub mod ops;
pub mod tlog;
