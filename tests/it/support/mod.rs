//! Shared test infrastructure: loopback servers and fixtures.

pub mod bench_server;
pub mod modproxy;
pub mod oracle;
pub mod sumdb_peer;
pub mod sumdb_server;
pub mod tls;
