//! The results of a bench run as data: the stable `--json` schema (documented
//! in the README, "gomodfetch bench") and the text table, plus the plain
//! warnings a run deserves (errors, a rate the client could not send).
//! Pure: building strings only, the command prints them.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use serde::Serialize;

use super::plan::Endpoint;
use super::runner::{Mode, RunConfig, TargetRun};
use super::stats::{Counters, Percentiles};

/// Version of the JSON schema; bumped only on incompatible changes.
pub const SCHEMA: u32 = 1;

/// The whole report: one entry per proxy, in command-line order.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: u32,
    pub targets: Vec<TargetReport>,
}

/// Figures of one endpoint, or of all endpoints together.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// Measured requests (not the probe, not warm-up).
    pub requests: u64,
    /// Requests that did not succeed, in every class.
    pub errors: u64,
    /// Measured time: start of measuring to the end of the last request.
    pub duration_s: f64,
    /// `requests / duration_s` (errors included).
    pub rps: f64,
    /// Body bytes read, errors included.
    pub bytes: u64,
    /// `bytes / duration_s / 1e6`.
    pub mbps: f64,
    /// Latency of successful requests; `null` when none succeeded.
    pub latency_ms: Option<Percentiles>,
    /// Time to first byte (response headers) of successful requests.
    pub ttfb_ms: Option<Percentiles>,
    pub errors_by_class: BTreeMap<String, u64>,
}

impl Figures {
    fn of(counters: &Counters, duration: Duration) -> Self {
        let seconds = duration.as_secs_f64();
        let per_second = |n: f64| if seconds > 0.0 { n / seconds } else { 0.0 };
        let ok = counters.requests > counters.errors;
        Figures {
            requests: counters.requests,
            errors: counters.errors,
            duration_s: round(seconds, 6),
            rps: round(per_second(counters.requests as f64), 3),
            bytes: counters.bytes,
            mbps: round(per_second(counters.bytes as f64) / 1e6, 6),
            latency_ms: ok.then(|| Percentiles::of(&counters.latency)),
            ttfb_ms: ok.then(|| Percentiles::of(&counters.ttfb)),
            errors_by_class: counters
                .errors_by_class
                .iter()
                .map(|(class, n)| (class.to_string(), *n))
                .collect(),
        }
    }

    fn empty() -> Self {
        Figures::of(&Counters::default(), Duration::ZERO)
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

/// How well the sends kept to the schedule.
#[derive(Debug, Clone, Serialize)]
pub struct SendReport {
    /// `--rate`, or `null` in closed loop.
    pub requested_rate: Option<f64>,
    /// Sends per second actually achieved.
    pub achieved_rate: Option<f64>,
    /// Sends more than 5 ms behind schedule although a worker was free.
    pub late: u64,
    /// Sends more than 5 ms behind schedule because every worker was busy.
    pub queued: u64,
    pub max_lag_ms: f64,
}

/// One proxy.
#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    /// The proxy base URL, password redacted.
    pub proxy: String,
    /// Set when the proxy could not be benchmarked at all (then all counts are 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `"closed"` or `"open"`.
    pub mode: &'static str,
    pub concurrency: usize,
    #[serde(flatten)]
    pub total: Figures,
    /// Per endpoint of `--mix`, in protocol order (a JSON object).
    #[serde(serialize_with = "ordered_map")]
    pub by_endpoint: Vec<(&'static str, Figures)>,
    pub send: SendReport,
    /// Measured responses by HTTP version (`"HTTP/1.1"`, `"HTTP/2"`).
    pub protocols: BTreeMap<String, u64>,
    /// Sent but not counted: the reachability probe and the warm-up.
    pub unmeasured_requests: u64,
    /// The first failure of each class, for reading.
    pub error_examples: BTreeMap<String, String>,
}

impl TargetReport {
    /// Builds the report of a run, or of a proxy that could not be reached.
    pub fn new(
        proxy: &str,
        config: &RunConfig,
        mix: &[Endpoint],
        run: Result<&TargetRun, String>,
    ) -> Self {
        let (mode, requested_rate) = match config.mode {
            Mode::Closed => ("closed", None),
            Mode::Open { rate } => ("open", Some(rate)),
        };
        let mut report = TargetReport {
            proxy: proxy.to_owned(),
            error: None,
            mode,
            concurrency: config.concurrency,
            total: Figures::empty(),
            by_endpoint: Vec::new(),
            send: SendReport {
                requested_rate,
                achieved_rate: None,
                late: 0,
                queued: 0,
                max_lag_ms: 0.0,
            },
            protocols: BTreeMap::new(),
            unmeasured_requests: 0,
            error_examples: BTreeMap::new(),
        };
        let mut endpoints: Vec<Endpoint> = mix.to_vec();
        endpoints.sort();
        endpoints.dedup();
        for endpoint in &endpoints {
            report.by_endpoint.push((endpoint.name(), Figures::empty()));
        }
        match run {
            Err(error) => report.error = Some(error),
            Ok(run) => {
                report.total = Figures::of(&run.recorder.total(), run.duration);
                for (slot, endpoint) in report.by_endpoint.iter_mut().zip(&endpoints) {
                    let counters = &run.recorder.endpoints[endpoint.index()];
                    slot.1 = Figures::of(counters, run.duration);
                }
                report.send.achieved_rate = run.sends.achieved_rate().map(|r| round(r, 3));
                report.send.late = run.sends.late;
                report.send.queued = run.sends.queued;
                report.send.max_lag_ms = round(run.sends.max_lag.as_secs_f64() * 1000.0, 3);
                report.unmeasured_requests = run.unmeasured_requests;
                report.protocols = run
                    .recorder
                    .protocols
                    .iter()
                    .map(|(p, n)| ((*p).to_owned(), *n))
                    .collect();
                report.error_examples = run
                    .examples
                    .iter()
                    .map(|(class, text)| (class.to_string(), text.clone()))
                    .collect();
            }
        }
        report
    }

    /// Plain sentences about what makes the figures less than they seem.
    pub fn warnings(&self, label: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(error) = &self.error {
            out.push(format!("{label}: not measured: {error}"));
            return out;
        }
        let total = &self.total;
        if total.requests > 0 && total.errors == total.requests {
            out.push(format!(
                "{label}: every one of {} requests failed ({}); there is no latency to report",
                total.requests,
                classes(&total.errors_by_class)
            ));
        } else if total.errors > 0 {
            out.push(format!(
                "{label}: {} of {} requests failed ({}); latency covers successful requests only",
                total.errors,
                total.requests,
                classes(&total.errors_by_class)
            ));
        }
        for (class, example) in &self.error_examples {
            out.push(format!("{label}: first {class}: {example}"));
        }
        if let (Some(requested), Some(achieved)) =
            (self.send.requested_rate, self.send.achieved_rate)
            && achieved < requested * 0.95
        {
            let why = if self.send.late >= self.send.queued {
                format!(
                    "this machine could not generate that rate ({} of {} sends were more than 5 ms late, at most {:.1} ms); lower --rate",
                    self.send.late, total.requests, self.send.max_lag_ms
                )
            } else {
                format!(
                    "all {} workers were busy ({} sends waited for one, at most {:.1} ms; the wait is counted in the latency); raise --concurrency",
                    self.concurrency, self.send.queued, self.send.max_lag_ms
                )
            };
            out.push(format!(
                "{label}: sent {achieved:.1} requests/s, not the requested {requested}/s: {why}"
            ));
        } else if self.send.late > 0 {
            out.push(format!(
                "{label}: {} sends were more than 5 ms late (at most {:.1} ms); their latency is measured from the scheduled time",
                self.send.late, self.send.max_lag_ms
            ));
        }
        out
    }
}

fn ordered_map<S: serde::Serializer>(
    entries: &[(&'static str, Figures)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(entries.len()))?;
    for (name, figures) in entries {
        map.serialize_entry(name, figures)?;
    }
    map.end()
}

fn classes(map: &BTreeMap<String, u64>) -> String {
    map.iter()
        .map(|(class, n)| format!("{class}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn ms(p: Option<Percentiles>, pick: fn(&Percentiles) -> f64) -> String {
    match p {
        None => "-".into(),
        Some(p) => {
            let v = pick(&p);
            if v >= 100.0 {
                format!("{v:.0}")
            } else if v >= 10.0 {
                format!("{v:.1}")
            } else {
                format!("{v:.2}")
            }
        }
    }
}

fn row(out: &mut String, name: &str, f: &Figures) {
    let l = f.latency_ms;
    let _ = writeln!(
        out,
        "  {name:<8} {:>9} {:>7} {:>10.1} {:>8.2} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}",
        f.requests,
        f.errors,
        f.rps,
        f.mbps,
        ms(l, |p| p.p50),
        ms(l, |p| p.p90),
        ms(l, |p| p.p99),
        ms(l, |p| p.p999),
        ms(l, |p| p.max),
        ms(f.ttfb_ms, |p| p.p50),
    );
}

impl Report {
    /// The text table printed on stdout at the end.
    pub fn table(&self) -> String {
        let mut out = String::new();
        for (i, target) in self.targets.iter().enumerate() {
            let _ = writeln!(out, "#{} {}", i + 1, target.proxy);
            if let Some(error) = &target.error {
                let _ = writeln!(out, "  not measured: {error}\n");
                continue;
            }
            let mode = match target.send.requested_rate {
                None => format!("closed loop, {} workers", target.concurrency),
                Some(rate) => format!(
                    "open loop at {rate}/s (achieved {}), up to {} in flight",
                    target
                        .send
                        .achieved_rate
                        .map_or("-".into(), |r| format!("{r:.1}/s")),
                    target.concurrency
                ),
            };
            let protocols = target
                .protocols
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(
                out,
                "  {mode}; {protocols}; {:.2} s measured; {} requests not counted (probe, warm-up)",
                target.total.duration_s, target.unmeasured_requests
            );
            let _ = writeln!(
                out,
                "  {:<8} {:>9} {:>7} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}",
                "endpoint",
                "requests",
                "errors",
                "req/s",
                "MB/s",
                "p50 ms",
                "p90",
                "p99",
                "p99.9",
                "max",
                "ttfb p50"
            );
            for (name, figures) in &target.by_endpoint {
                if figures.requests > 0 {
                    row(&mut out, name, figures);
                }
            }
            row(&mut out, "total", &target.total);
            if !target.total.errors_by_class.is_empty() {
                let _ = writeln!(out, "  errors: {}", classes(&target.total.errors_by_class));
            }
            out.push('\n');
        }
        if self.targets.len() > 1 {
            let _ = writeln!(out, "side by side (all endpoints):");
            let _ = writeln!(
                out,
                "  {:<4} {:>10} {:>8} {:>8} {:>8} {:>8} {:>7}",
                "", "req/s", "MB/s", "p50 ms", "p99", "max", "errors"
            );
            for (i, target) in self.targets.iter().enumerate() {
                if target.error.is_some() {
                    let _ = writeln!(out, "  #{:<3} not measured", i + 1);
                    continue;
                }
                let f = &target.total;
                let _ = writeln!(
                    out,
                    "  #{:<3} {:>10.1} {:>8.2} {:>8} {:>8} {:>8} {:>7}",
                    i + 1,
                    f.rps,
                    f.mbps,
                    ms(f.latency_ms, |p| p.p50),
                    ms(f.latency_ms, |p| p.p99),
                    ms(f.latency_ms, |p| p.max),
                    f.errors
                );
            }
        }
        out
    }
}
