//! Shared test infrastructure: loopback servers and fixtures.

pub mod bench_server;
pub mod tls;
