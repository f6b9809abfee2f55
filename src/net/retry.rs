//! Which failures are transient, and how long to wait before trying again.
//!
//! The go command itself never retries a proxy request (spec/fetch-protocol.md
//! §6.4); gomodfetch does, because a CI job that fails on one dropped
//! connection out of a thousand requests is worse than one that waits a
//! second. Retrying never changes an outcome Go would report as final:
//!
//! - retried: connection errors (refused, reset, DNS), timeouts, a body that
//!   ends early (truncated), HTTP 5xx and 429 (honouring `Retry-After`, capped);
//! - never retried: 404 and 410 (not-found drives GOPROXY fall-through), any
//!   other 4xx, TLS certificate errors, redirect-policy errors, bodies over
//!   the size cap, malformed responses;
//! - at most [`RetryPolicy::max_retries`] retries, exponential backoff from
//!   [`RetryPolicy::base`] with full jitter, capped at [`RetryPolicy::max_delay`].
//!
//! Tests set `GOMODFETCH_TEST_NO_RETRY_DELAY=1` (read in settings/env.rs) so
//! that no test sleeps. Pure: no I/O here.

use std::time::Duration;

/// How a failed attempt is classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transience {
    /// Worth another attempt.
    Transient,
    /// Final: report it.
    Permanent,
}

/// Classifies an HTTP status (only called for non-200 statuses).
pub fn status_transience(status: u16) -> Transience {
    match status {
        429 | 500..=599 => Transience::Transient,
        _ => Transience::Permanent,
    }
}

/// Retry timing.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub base: Duration,
    pub max_delay: Duration,
    /// When false, never sleep (tests).
    pub sleep: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            sleep: true,
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (1-based); `retry_after` is a
    /// server's `Retry-After` in seconds, honoured up to `max_delay`.
    /// `jitter` is a number in [0, 1) supplied by the caller.
    pub fn delay(&self, attempt: u32, retry_after: Option<u64>, jitter: f64) -> Duration {
        if !self.sleep {
            return Duration::ZERO;
        }
        if let Some(secs) = retry_after {
            return Duration::from_secs(secs).min(self.max_delay);
        }
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.max_delay);
        // "Full jitter": uniform in [capped/2, capped).
        capped.mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0)
    }
}

/// Parses a `Retry-After` header given in seconds (HTTP dates are ignored).
pub fn parse_retry_after(value: &str) -> Option<u64> {
    value.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(status_transience(404), Transience::Permanent);
        assert_eq!(status_transience(410), Transience::Permanent);
        assert_eq!(status_transience(403), Transience::Permanent);
        assert_eq!(status_transience(429), Transience::Transient);
        assert_eq!(status_transience(503), Transience::Transient);
    }

    #[test]
    fn delays() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1, None, 0.0), Duration::from_millis(100));
        assert_eq!(p.delay(3, None, 0.999_999).as_millis(), 799);
        assert_eq!(p.delay(1, Some(3), 0.0), Duration::from_secs(3));
        assert_eq!(p.delay(1, Some(3600), 0.0), p.max_delay);
        let none = RetryPolicy { sleep: false, ..p };
        assert_eq!(none.delay(5, Some(9), 0.5), Duration::ZERO);
        assert_eq!(parse_retry_after(" 7 "), Some(7));
    }
}
