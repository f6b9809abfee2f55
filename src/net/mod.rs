//! HTTP plumbing: the client, TLS trust, retries, .netrc and URL redaction.

pub mod client;
pub mod netrc;
pub mod redact;
pub mod retry;
pub mod tls;
