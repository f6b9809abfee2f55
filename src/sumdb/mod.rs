//! The checksum database: signed notes, the transparency log, the client and its I/O.

pub mod client;
pub mod note;
pub mod ops;
pub mod tlog;
