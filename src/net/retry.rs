//! Which failures are transient, and backoff with jitter (with a test override for the delay).
