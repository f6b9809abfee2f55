//! `gomodfetch bench`: proxy throughput and latency, open or closed loop.
//! The command resolves flags into a workload, a client and a run shape,
//! drives `bench::runner` once per proxy (one after the other, so they do
//! not compete), shows live progress on a terminal, and prints the table
//! (or `--json`) on stdout and warnings on stderr. The measuring itself
//! lives in `crate::bench`.
//!
//! Exit status: 0 when every proxy was measured (even with request errors:
//! they are measurements, reported by class); 1 when a proxy could not be
//! reached at all or the input was bad.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::bench::plan::{Plan, parse_mix};
use crate::bench::report::{Report, SCHEMA, TargetReport};
use crate::bench::runner::{
    ClientFactory, ClientOptions, Live, Mode, RunConfig, Stop, Verifier, redact, run_target,
};
use crate::bench::workload;
use crate::commands::{CmdResult, ExitStatus};
use crate::net::tls::TrustOptions;
use crate::proxy::list::{self as proxy_list, Entry};
use crate::settings::Settings;
use crate::settings::env::Env;
use crate::ui::printer::Printer;

/// Flags of `gomodfetch bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A proxy base URL (http or https); repeat to compare proxies side by
    /// side. Default: the http(s) entries of GOPROXY.
    #[arg(long = "proxy", value_name = "URL")]
    pub proxies: Vec<String>,
    /// Where the module versions come from (boxed: keeps `Command` small).
    #[command(flatten)]
    pub workload: Box<WorkloadArgs>,
    /// Workers (closed loop) or the most requests in flight (open loop).
    #[arg(long, short = 'c', default_value_t = 16)]
    pub concurrency: usize,
    /// Sending threads, each with its own connections (default: one per CPU).
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// Open loop: send this many requests per second, on a fixed schedule.
    #[arg(long, value_name = "R")]
    pub rate: Option<f64>,
    /// How long to measure (e.g. 10s, 500ms, 2m); default 10s.
    #[arg(long, short = 'd', value_name = "D", conflicts_with = "requests", value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Measure exactly this many requests instead of a duration.
    #[arg(long, short = 'n', value_name = "N")]
    pub requests: Option<u64>,
    /// Endpoints each module version is requested at, in order.
    #[arg(long, default_value = "list,info,mod,zip")]
    pub mix: String,
    /// Check every zip's h1: against the workload's hash or the first one seen.
    #[arg(long)]
    pub verify: bool,
    /// Open a new connection for every request (no reuse, no multiplexing).
    #[arg(long)]
    pub new_connections: bool,
    /// Run this long before measuring; those requests are not counted.
    #[arg(long, value_name = "D", default_value = "1s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// Also trust the CA certificates in this PEM file (repeatable).
    #[arg(long, value_name = "FILE")]
    pub cacert: Vec<PathBuf>,
    /// Per-request timeout, connect to last byte.
    #[arg(long, value_name = "D", default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Print the report as JSON (schema in the README) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The workload flags; exactly one is needed.
#[derive(Debug, clap::Args)]
pub struct WorkloadArgs {
    /// Module versions to request: `path@version [h1:hash]` per line.
    #[arg(long, value_name = "FILE", group = "workload")]
    pub modules: Option<PathBuf>,
    /// Request the requires of this go.mod (zip hashes from the go.sum beside it).
    #[arg(long = "from", value_name = "GO.MOD", group = "workload")]
    pub from_gomod: Option<PathBuf>,
    /// Request every version listed in a mirror tree (`<path>/@v/list`).
    #[arg(long, value_name = "DIR", group = "workload")]
    pub from_mirror: Option<PathBuf>,
}

/// Parses `1h`, `2m`, `10s`, `500ms`, `250us` or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("invalid duration `{text}` (examples: 10s, 500ms, 2m)"))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1e3,
        "us" | "µs" => value / 1e6,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => {
            return Err(format!(
                "invalid duration unit in `{text}` (use h, m, s, ms, us)"
            ));
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("invalid duration `{text}`: {e}"))
}

/// Bad flags, said plainly.
#[derive(Debug, thiserror::Error)]
pub enum ArgsError {
    #[error("GOPROXY `{goproxy}` names no http(s) proxy to measure: pass --proxy URL")]
    NoProxy { goproxy: String },
    #[error("Invalid proxy URL `{url}`: {reason}")]
    BadProxy { url: String, reason: String },
    #[error("No workload: pass --modules FILE, --from go.mod or --from-mirror DIR")]
    NoWorkload,
    #[error("Invalid `--rate {0}`: must be a positive number of requests per second")]
    BadRate(f64),
    #[error("Invalid `--concurrency 0`: at least one worker is needed")]
    NoWorkers,
    #[error("Invalid `--requests 0`: at least one request is needed")]
    NoRequests,
}

fn parse_proxy(text: &str) -> Result<url::Url, ArgsError> {
    let bad = |reason: String| ArgsError::BadProxy {
        url: redact(text),
        reason,
    };
    let url = url::Url::parse(text).map_err(|e| bad(e.to_string()))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(bad(format!(
            "scheme `{other}` cannot be benchmarked (use http or https)"
        ))),
    }
}

/// The http(s) proxies of GOPROXY, in order (`direct`, `off` and file://
/// entries cannot be measured and are skipped, with a note).
fn default_proxies(
    goproxy: &str,
    gonoproxy: &str,
    printer: &Printer,
) -> Result<Vec<url::Url>, Box<dyn std::error::Error + Send + Sync>> {
    let mut proxies = Vec::new();
    for spec in proxy_list::parse(goproxy, gonoproxy)? {
        match spec.entry {
            Entry::Url(url) if matches!(url.scheme(), "http" | "https") => proxies.push(url),
            Entry::NoProxy => {}
            other => printer.status(&format!("bench: skipping GOPROXY entry `{other}`")),
        }
    }
    if proxies.is_empty() {
        return Err(ArgsError::NoProxy {
            goproxy: goproxy.to_owned(),
        }
        .into());
    }
    Ok(proxies)
}

/// Runs `gomodfetch bench`.
pub async fn run(args: Args, printer: &Printer) -> CmdResult {
    // Configuration enters once (settings::env): GOPROXY for the default
    // targets, SSL_CERT_FILE/SSL_CERT_DIR for trust. `--proxy` beats GOPROXY.
    let settings = Settings::from_env(&Env::from_process());
    let proxies = if args.proxies.is_empty() {
        let settings = settings.as_ref().map_err(|e| e.to_string())?;
        default_proxies(&settings.goproxy, &settings.gonoproxy, printer)?
    } else {
        args.proxies
            .iter()
            .map(|p| parse_proxy(p))
            .collect::<Result<Vec<_>, _>>()?
    };
    let mut trust = match &settings {
        Ok(settings) => settings.trust.clone(),
        Err(err) => {
            printer.verbose(&format!(
                "bench: environment not usable ({err}); default trust"
            ));
            TrustOptions::default()
        }
    };
    trust.extra_ca_files.extend(args.cacert.iter().cloned());
    let modules = if let Some(file) = &args.workload.modules {
        workload::from_modules_file(file)?
    } else if let Some(file) = &args.workload.from_gomod {
        workload::from_gomod(file)?
    } else if let Some(dir) = &args.workload.from_mirror {
        workload::from_mirror(dir)?
    } else {
        return Err(ArgsError::NoWorkload.into());
    };
    let mix = parse_mix(&args.mix)?;
    let mode = match args.rate {
        None => Mode::Closed,
        Some(rate) if rate.is_finite() && rate > 0.0 => Mode::Open { rate },
        Some(rate) => return Err(ArgsError::BadRate(rate).into()),
    };
    if args.concurrency == 0 {
        return Err(ArgsError::NoWorkers.into());
    }
    let stop = match (args.requests, args.duration) {
        (Some(0), _) => return Err(ArgsError::NoRequests.into()),
        (Some(n), _) => Stop::Requests(n),
        (None, Some(d)) => Stop::After(d),
        (None, None) => Stop::After(Duration::from_secs(10)),
    };
    let config = RunConfig {
        mode,
        concurrency: args.concurrency,
        threads: args
            .threads
            .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
            .unwrap_or(1),
        stop,
        warmup: args.warmup,
        verify: args.verify,
    };
    let factory = ClientFactory::new(ClientOptions {
        new_connections: args.new_connections,
        timeout: args.timeout,
        trust,
    })?;
    let plan = Arc::new(Plan::new(modules, mix.clone()));
    let verifier = Arc::new(Verifier::new(&plan));
    printer.verbose(&format!(
        "bench: {} module versions, {} requests per round ({})",
        plan.modules.len(),
        plan.requests.len(),
        args.mix
    ));

    let mut targets = Vec::new();
    let mut unreachable = false;
    for (i, base) in proxies.iter().enumerate() {
        let display = redact(base.as_str());
        let label = format!("#{} {display}", i + 1);
        let live = Arc::new(Live::default());
        let progress = printer
            .wants_progress()
            .then(|| tokio::spawn(show_progress(label.clone(), live.clone())));
        let run = run_target(&factory, &plan, base, &display, &config, &live, &verifier).await;
        if let Some(handle) = progress {
            handle.abort();
            let _ = handle.await;
        }
        let report = match &run {
            Ok(run) => TargetReport::new(&display, &config, &mix, Ok(run)),
            Err(err) => {
                unreachable = true;
                TargetReport::new(&display, &config, &mix, Err(err.detail.clone()))
            }
        };
        for warning in report.warnings(&format!("#{}", i + 1)) {
            printer.error(&format!("warning: {warning}"));
        }
        targets.push(report);
    }

    let report = Report {
        schema: SCHEMA,
        targets,
    };
    if args.json {
        printer.data(&serde_json::to_string_pretty(&report)?);
    } else {
        printer.data(&report.table());
    }
    Ok(if unreachable {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// A one-line live display on stderr (only drawn on a terminal).
async fn show_progress(label: String, live: Arc<Live>) {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.enable_steady_tick(Duration::from_millis(120));
    let started = tokio::time::Instant::now();
    let mut measuring_since = None;
    let mut interval = tokio::time::interval(Duration::from_millis(250));
    // Aborted by the caller when the target is done; the bar clears on drop.
    let _clear = ClearOnDrop(bar.clone());
    loop {
        interval.tick().await;
        let measuring = live.measuring.load(Ordering::Relaxed);
        if measuring && measuring_since.is_none() {
            measuring_since = Some(tokio::time::Instant::now());
        }
        let since = measuring_since.unwrap_or(started);
        let seconds = since.elapsed().as_secs_f64().max(1e-3);
        let requests = live.requests.load(Ordering::Relaxed);
        let errors = live.errors.load(Ordering::Relaxed);
        let bytes = live.bytes.load(Ordering::Relaxed);
        bar.set_message(format!(
            "{label} {}: {requests} requests ({:.0}/s), {:.1} MB/s, {errors} errors",
            if measuring { "measuring" } else { "warming up" },
            requests as f64 / seconds,
            bytes as f64 / seconds / 1e6,
        ));
    }
}

struct ClearOnDrop(indicatif::ProgressBar);

impl Drop for ClearOnDrop {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_go() {
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5d").is_err());
    }

    #[test]
    fn proxies_must_be_http() {
        assert!(parse_proxy("http://127.0.0.1:1/").is_ok());
        assert!(parse_proxy("file:///srv/proxy").is_err());
        assert!(parse_proxy("not a url").is_err());
    }
}
