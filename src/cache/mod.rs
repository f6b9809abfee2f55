//! The GOMODCACHE on disk, laid out, locked and written exactly as the go command does.

pub mod atomic;
pub mod extract;
pub mod layout;
pub mod lock;
pub mod warm;
