//! Shared test infrastructure: loopback servers and fixtures.

pub mod tls;
