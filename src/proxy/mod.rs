//! The GOPROXY list, its routing rules and the proxy protocol.

pub mod http;
pub mod list;
pub mod protocol;
pub mod route;
