//! The one HTTP client of a run: rustls, proxies, timeouts, connection reuse, redirects that drop credentials across hosts.
