//! Shared test infrastructure: loopback servers and fixtures.

pub mod bench_server;
pub mod modproxy;
pub mod oracle;
pub mod sumdb_peer;
pub mod sumdb_server;
pub mod tls;

/// Whether tests that need the real `go` must run rather than skip: CI sets
/// `GOMODFETCH_REQUIRE_GO=1` (scripts/test). The one reader of that switch.
#[expect(
    clippy::disallowed_methods,
    reason = "the test-only switch GOMODFETCH_REQUIRE_GO, not configuration"
)]
pub fn go_required() -> bool {
    std::env::var_os("GOMODFETCH_REQUIRE_GO").is_some_and(|v| v == "1")
}
