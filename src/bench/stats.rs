//! Measurements of one run: per endpoint, request and error counts, bytes,
//! HDR histograms of latency and time to first byte (microseconds), and
//! errors by class. Each worker owns a [`Recorder`]; they are merged at the
//! end, so recording is never contended.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use hdrhistogram::Histogram;

use super::plan::Endpoint;

/// Why a request did not count as a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorClass {
    /// The proxy answered with a status other than 200.
    Status(u16),
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// The request did not finish within `--timeout`.
    Timeout,
    /// No connection could be made (refused, unreachable, DNS).
    Connect,
    /// The connection was reset or closed before the response ended.
    Reset,
    /// Reading the body failed for another reason.
    Body,
    /// The body is not what the endpoint returns (HTML, wrong JSON, not a zip).
    BadBody,
    /// The zip's `h1:` differs from the expected one.
    HashMismatch,
    /// Anything else the HTTP client reported.
    Other,
}

impl fmt::Display for ErrorClass {
    /// The stable key used in the JSON report and the table.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorClass::Status(code) => write!(f, "http_{code}"),
            ErrorClass::Tls => f.write_str("tls"),
            ErrorClass::Timeout => f.write_str("timeout"),
            ErrorClass::Connect => f.write_str("connect"),
            ErrorClass::Reset => f.write_str("reset"),
            ErrorClass::Body => f.write_str("body"),
            ErrorClass::BadBody => f.write_str("bad_body"),
            ErrorClass::HashMismatch => f.write_str("hash_mismatch"),
            ErrorClass::Other => f.write_str("other"),
        }
    }
}

/// Histograms cover 1 µs to 1 hour with 3 significant digits.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

/// The figures of one endpoint (or of all of them).
#[derive(Debug, Clone)]
pub struct Counters {
    pub requests: u64,
    pub errors: u64,
    pub bytes: u64,
    /// Latency of successful requests.
    pub latency: Histogram<u64>,
    /// Time to the response headers of successful requests.
    pub ttfb: Histogram<u64>,
    pub errors_by_class: BTreeMap<ErrorClass, u64>,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            requests: 0,
            errors: 0,
            bytes: 0,
            latency: histogram(),
            ttfb: histogram(),
            errors_by_class: BTreeMap::new(),
        }
    }
}

impl Counters {
    fn add(&mut self, other: &Counters) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.bytes += other.bytes;
        // Same bounds on both sides: addition cannot fail; saturate if it did.
        let _ = self.latency.add(&other.latency);
        let _ = self.ttfb.add(&other.ttfb);
        for (class, n) in &other.errors_by_class {
            *self.errors_by_class.entry(*class).or_default() += n;
        }
    }
}

/// How one request ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub endpoint: Endpoint,
    pub bytes: u64,
    /// From the scheduled (open loop) or actual (closed loop) send time to
    /// the last body byte, or to the failure.
    pub latency: Duration,
    /// To the response headers, when there were any.
    pub ttfb: Option<Duration>,
    /// The HTTP version of the response, when there was one.
    pub protocol: Option<&'static str>,
    pub error: Option<ErrorClass>,
}

/// What one worker saw; merged into a [`Summary`] at the end.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    pub endpoints: [Counters; 4],
    /// Responses by HTTP version (did HTTP/2 happen?).
    pub protocols: BTreeMap<&'static str, u64>,
}

impl Recorder {
    pub fn record(&mut self, outcome: &Outcome) {
        if let Some(protocol) = outcome.protocol {
            *self.protocols.entry(protocol).or_default() += 1;
        }
        let counters = &mut self.endpoints[outcome.endpoint.index()];
        counters.requests += 1;
        counters.bytes += outcome.bytes;
        match outcome.error {
            None => {
                counters.latency.saturating_record(micros(outcome.latency));
                if let Some(ttfb) = outcome.ttfb {
                    counters.ttfb.saturating_record(micros(ttfb));
                }
            }
            Some(class) => {
                counters.errors += 1;
                *counters.errors_by_class.entry(class).or_default() += 1;
            }
        }
    }

    pub fn merge(&mut self, other: &Recorder) {
        for (mine, theirs) in self.endpoints.iter_mut().zip(&other.endpoints) {
            mine.add(theirs);
        }
        for (protocol, n) in &other.protocols {
            *self.protocols.entry(protocol).or_default() += n;
        }
    }

    /// All endpoints together.
    pub fn total(&self) -> Counters {
        let mut total = Counters::default();
        for counters in &self.endpoints {
            total.add(counters);
        }
        total
    }
}

/// Percentiles of a histogram, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

impl Percentiles {
    /// Zero everywhere when nothing was recorded.
    pub fn of(histogram: &Histogram<u64>) -> Self {
        if histogram.is_empty() {
            return Percentiles::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Percentiles {
            p50: ms(histogram.value_at_quantile(0.50)),
            p90: ms(histogram.value_at_quantile(0.90)),
            p99: ms(histogram.value_at_quantile(0.99)),
            p999: ms(histogram.value_at_quantile(0.999)),
            max: ms(histogram.max()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(endpoint: Endpoint, ms: u64) -> Outcome {
        Outcome {
            endpoint,
            bytes: 10,
            latency: Duration::from_millis(ms),
            ttfb: Some(Duration::from_millis(ms / 2)),
            protocol: Some("HTTP/1.1"),
            error: None,
        }
    }

    #[test]
    fn percentiles_and_errors_merge() {
        let mut a = Recorder::default();
        let mut b = Recorder::default();
        for ms in 1..=90 {
            a.record(&ok(Endpoint::Info, ms));
        }
        for ms in 91..=100 {
            b.record(&ok(Endpoint::Zip, ms));
        }
        b.record(&Outcome {
            endpoint: Endpoint::Zip,
            bytes: 0,
            latency: Duration::from_millis(1),
            ttfb: None,
            protocol: Some("HTTP/1.1"),
            error: Some(ErrorClass::Status(500)),
        });
        a.merge(&b);
        let total = a.total();
        assert_eq!(total.requests, 101);
        assert_eq!(total.errors, 1);
        assert_eq!(total.bytes, 1000);
        assert_eq!(total.errors_by_class[&ErrorClass::Status(500)], 1);
        assert_eq!(a.protocols["HTTP/1.1"], 101);
        let p = Percentiles::of(&total.latency);
        assert!((p.p50 - 50.0).abs() < 0.1, "{p:?}");
        assert!((p.p90 - 90.0).abs() < 0.1, "{p:?}");
        assert!((p.max - 100.0).abs() < 0.1, "{p:?}");
        assert_eq!(
            Percentiles::of(&a.endpoints[Endpoint::List.index()].latency).p50,
            0.0
        );
    }

    #[test]
    fn class_keys_are_stable() {
        assert_eq!(ErrorClass::Status(404).to_string(), "http_404");
        assert_eq!(ErrorClass::HashMismatch.to_string(), "hash_mismatch");
    }
}
