//! The send loops and the per-request work of `gomodfetch bench`.
//!
//! Both modes run `--concurrency` workers that take request numbers
//! ("tickets") from one shared counter, so each worker records into its own
//! [`Recorder`] and nothing is contended on the hot path.
//!
//! - Closed loop: a worker sends its next request as soon as the previous
//!   one ended; latency runs from the actual send.
//! - Open loop (`--rate R`): ticket `i` is *scheduled* at `start + i/R`.
//!   Latency runs from that scheduled time, so when the server stalls and
//!   every worker is busy, the waiting time of the requests that should have
//!   gone out is counted (no coordinated omission, as in wrk2). A send that
//!   leaves more than [`LATE`] after its scheduled time is counted: `queued`
//!   when all workers were busy (the wait is in the latency), `late` when a
//!   worker was idle but woke up late (the client could not keep the rate).
//!
//! Bodies are read to the end and checked against what the endpoint must
//! return (spec/fetch-protocol.md §7.3–§7.6); with `--verify` the zip is
//! written to an anonymous temp file (never a cache) and its `h1:` checked.

use std::collections::{BTreeMap, HashMap};
use std::io::{Seek, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use bytes::Bytes;
use http_body_util::BodyExt;

use super::conn::{Conn, Connector, Failure, Origin, hyper_failure};
use super::plan::{Endpoint, Plan, join};
use super::stats::{ErrorClass, Outcome, Recorder};
use crate::net::tls::{TlsError, TrustOptions, classify_error, client_config, describe_error};
use crate::verify::dirhash::hash_zip_reader;
use crate::verify::zipread::ZipReader;

/// A send this much after its scheduled time counts as late or queued.
/// Tokio's timer has 1 ms granularity; 5 ms leaves room for scheduling noise.
pub const LATE: Duration = Duration::from_millis(5);

/// Bodies of list/info/mod are kept up to this size for checking.
const KEEP_BODY: usize = 1 << 20;

/// How the HTTP client behaves.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Open a new connection for every request instead of reusing them.
    pub new_connections: bool,
    /// Per-request timeout (connect to last body byte).
    pub timeout: Duration,
    /// Trust roots for https proxies.
    pub trust: TrustOptions,
}

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("Cannot load trusted certificates")]
    Trust(#[from] TlsError),
    #[error("Cannot build the HTTP client")]
    Build(#[source] reqwest::Error),
}

/// Builds the HTTP clients of a run: rustls with Go's trust rules and the
/// `ring` provider, HTTP/2 negotiated by ALPN, connections reused unless
/// asked otherwise. One client per lane, so a lane's connections live on
/// its own thread.
#[derive(Debug, Clone)]
pub struct ClientFactory {
    tls: Arc<rustls::ClientConfig>,
    options: ClientOptions,
}

impl ClientFactory {
    pub fn new(options: ClientOptions) -> Result<Self, ClientError> {
        // Go's trust rules and verifier; ALPN offers h2 then http/1.1.
        let tls = Arc::new(client_config(&options.trust)?);
        Ok(ClientFactory { tls, options })
    }

    pub fn client(&self) -> Result<reqwest::Client, ClientError> {
        let mut builder = reqwest::Client::builder()
            .use_preconfigured_tls((*self.tls).clone())
            // Like the fast path (`conn`): the proxy is measured directly.
            .no_proxy()
            .user_agent(concat!("gomodfetch-bench/", env!("CARGO_PKG_VERSION")))
            .timeout(self.options.timeout)
            .connect_timeout(self.options.timeout.min(Duration::from_secs(10)))
            .tcp_nodelay(true);
        if self.options.new_connections {
            builder = builder.pool_max_idle_per_host(0);
        }
        builder.build().map_err(ClientError::Build)
    }
}

/// Open or closed loop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    Closed,
    /// Requests per second, scheduled evenly.
    Open {
        rate: f64,
    },
}

/// When the measured phase ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Stop sending after this long, then wait for requests in flight.
    After(Duration),
    /// Send exactly this many requests.
    Requests(u64),
}

/// The shape of one run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub mode: Mode,
    pub concurrency: usize,
    /// Threads that send (each with its own runtime, client and connections,
    /// as wrk's threads); the workers are spread over them.
    pub threads: usize,
    pub stop: Stop,
    pub warmup: Duration,
    pub verify: bool,
}

/// Counters a progress display may poll while a run goes on.
#[derive(Debug, Default)]
pub struct Live {
    pub requests: AtomicU64,
    pub errors: AtomicU64,
    pub bytes: AtomicU64,
    /// False while warming up.
    pub measuring: AtomicBool,
}

impl Live {
    fn reset(&self, measuring: bool) {
        self.requests.store(0, Ordering::Relaxed);
        self.errors.store(0, Ordering::Relaxed);
        self.bytes.store(0, Ordering::Relaxed);
        self.measuring.store(measuring, Ordering::Relaxed);
    }
}

/// Expected zip hashes: from the workload, else the first one seen (so all
/// proxies and all repeats must agree with the first answer).
#[derive(Debug, Default)]
pub struct Verifier {
    expected: Mutex<HashMap<usize, String>>,
}

impl Verifier {
    pub fn new(plan: &Plan) -> Self {
        let expected = plan
            .modules
            .iter()
            .enumerate()
            .filter_map(|(i, m)| m.zip_hash.clone().map(|h| (i, h)))
            .collect();
        Verifier {
            expected: Mutex::new(expected),
        }
    }

    /// Whether `hash` is the expected hash of module `index`.
    fn check(&self, index: usize, hash: &str) -> Result<(), String> {
        let mut expected = self.expected.lock().unwrap_or_else(|p| p.into_inner());
        match expected.get(&index) {
            Some(want) if want == hash => Ok(()),
            Some(want) => Err(format!("zip hash {hash}, expected {want}")),
            None => {
                expected.insert(index, hash.to_owned());
                Ok(())
            }
        }
    }
}

/// How sends kept to the schedule (open loop) or just how many there were.
#[derive(Debug, Clone, Default)]
pub struct SendStats {
    pub sends: u64,
    /// Workers were idle but woke up more than [`LATE`] after the schedule.
    pub late: u64,
    /// All workers were busy; the send waited more than [`LATE`] for one.
    pub queued: u64,
    pub max_lag: Duration,
    /// Scheduled time of the last ticket sent and when it was actually sent,
    /// both relative to the start.
    pub last_scheduled: Duration,
    pub last_sent: Duration,
}

impl SendStats {
    fn merge(&mut self, other: &SendStats) {
        self.sends += other.sends;
        self.late += other.late;
        self.queued += other.queued;
        self.max_lag = self.max_lag.max(other.max_lag);
        if other.last_scheduled >= self.last_scheduled {
            self.last_scheduled = other.last_scheduled;
        }
        self.last_sent = self.last_sent.max(other.last_sent);
    }

    /// Sends per second actually achieved, when there were at least two.
    pub fn achieved_rate(&self) -> Option<f64> {
        let window = self.last_sent.as_secs_f64();
        (self.sends >= 2 && window > 0.0).then(|| (self.sends - 1) as f64 / window)
    }
}

/// The first failure seen of each class, for the user to read.
pub type Examples = BTreeMap<ErrorClass, String>;

/// The measured phase of one target.
#[derive(Debug, Clone)]
pub struct TargetRun {
    pub recorder: Recorder,
    /// Start of measuring to the end of the last request.
    pub duration: Duration,
    pub sends: SendStats,
    /// Requests sent but not measured: the reachability probe and warm-up.
    pub unmeasured_requests: u64,
    pub examples: Examples,
}

/// A proxy that could not be benchmarked at all.
#[derive(Debug, thiserror::Error)]
#[error("Cannot reach proxy `{proxy}`: {detail}")]
pub struct Unreachable {
    pub proxy: String,
    pub class: ErrorClass,
    pub detail: String,
}

/// Runs one target: a probe, the warm-up, then the measured phase.
pub async fn run_target(
    factory: &ClientFactory,
    plan: &Arc<Plan>,
    base: &url::Url,
    display: &str,
    config: &RunConfig,
    live: &Arc<Live>,
    verifier: &Arc<Verifier>,
) -> Result<TargetRun, Unreachable> {
    // Parsed once: the request loop only clones them.
    let urls: Arc<Vec<reqwest::Url>> =
        Arc::new(plan.requests.iter().map(|r| join(base, &r.path)).collect());
    let uris: Arc<Vec<http::Uri>> = Arc::new(
        urls.iter()
            .filter_map(|u| http::Uri::try_from(u.as_str()).ok())
            .collect(),
    );
    let unreachable = |detail: String| Unreachable {
        proxy: display.to_owned(),
        class: ErrorClass::Other,
        detail,
    };
    if uris.len() != urls.len() {
        return Err(unreachable("a request URL is not a valid HTTP URI".into()));
    }
    let origin = Origin::new(base).map_err(unreachable)?;
    let verify = config.verify.then(|| verifier.clone());
    let lane_count = config.threads.clamp(1, config.concurrency.max(1));
    let lanes = Lanes::start(lane_count, |_| {
        Ok(Arc::new(Job {
            client: factory.client().map_err(|e| chain(&e))?,
            connector: Connector::new(
                factory.tls.clone(),
                origin.clone(),
                factory.options.new_connections,
            ),
            timeout: factory.options.timeout,
            plan: plan.clone(),
            urls: urls.clone(),
            uris: uris.clone(),
            verify: verify.clone(),
        }))
    })
    .map_err(unreachable)?;
    // One probe: a proxy that cannot be connected to is reported once, not
    // hammered for the whole duration.
    let job = lanes.lanes[0].job.clone();
    let probe = lanes.lanes[0]
        .handle
        .spawn(async move { job.execute(0, Instant::now(), &mut None).await })
        .await;
    let (probe, failure) = match probe {
        Ok(result) => result,
        Err(err) => {
            return Err(Unreachable {
                proxy: display.to_owned(),
                class: ErrorClass::Other,
                detail: err.to_string(),
            });
        }
    };
    if let (Some(class), Some(detail)) = (probe.error, failure)
        && matches!(
            class,
            ErrorClass::Connect | ErrorClass::Tls | ErrorClass::Timeout | ErrorClass::Other
        )
    {
        return Err(Unreachable {
            proxy: display.to_owned(),
            class,
            detail,
        });
    }
    let mut unmeasured = 1;
    if !config.warmup.is_zero() {
        live.reset(false);
        let warm = phase(&lanes, config, Stop::After(config.warmup), live).await;
        unmeasured += warm.recorder.total().requests;
    }
    live.reset(true);
    let mut run = phase(&lanes, config, config.stop, live).await;
    run.unmeasured_requests = unmeasured;
    Ok(run)
}

struct Job {
    /// For redirects only; requests go through `connector`.
    client: reqwest::Client,
    connector: Connector,
    timeout: Duration,
    uris: Arc<Vec<http::Uri>>,
    plan: Arc<Plan>,
    urls: Arc<Vec<reqwest::Url>>,
    verify: Option<Arc<Verifier>>,
}

/// A sending thread: a current-thread runtime that runs its workers and
/// their connections, so a request never hops threads (wrk's model).
struct Lane {
    handle: tokio::runtime::Handle,
    job: Arc<Job>,
}

/// The lanes of one target; dropping them stops their threads.
struct Lanes {
    lanes: Vec<Lane>,
    _stop: Vec<tokio::sync::oneshot::Sender<()>>,
}

impl Lanes {
    fn start(
        count: usize,
        mut job: impl FnMut(usize) -> Result<Arc<Job>, String>,
    ) -> Result<Lanes, String> {
        let mut lanes = Vec::with_capacity(count);
        let mut stops = Vec::with_capacity(count);
        for index in 0..count {
            let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
            let (handle_tx, handle_rx) = std::sync::mpsc::channel();
            std::thread::Builder::new()
                .name(format!("bench-lane-{index}"))
                .spawn(move || {
                    match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(runtime) => {
                            let _ = handle_tx.send(Ok(runtime.handle().clone()));
                            // Runs the lane's tasks until the lanes are dropped.
                            runtime.block_on(async {
                                let _ = stop_rx.await;
                            });
                        }
                        Err(err) => {
                            let _ = handle_tx.send(Err(err.to_string()));
                        }
                    }
                })
                .map_err(|e| format!("cannot start a sending thread: {e}"))?;
            let handle = handle_rx
                .recv()
                .map_err(|e| format!("sending thread failed: {e}"))??;
            lanes.push(Lane {
                handle,
                job: job(index)?,
            });
            stops.push(stop_tx);
        }
        Ok(Lanes {
            lanes,
            _stop: stops,
        })
    }
}

struct Shared {
    job: Arc<Job>,
    mode: Mode,
    stop: Stop,
    start: Instant,
    next: Arc<AtomicU64>,
    live: Arc<Live>,
}

struct WorkerResult {
    recorder: Recorder,
    sends: SendStats,
    end: Instant,
    examples: Examples,
}

async fn phase(lanes: &Lanes, config: &RunConfig, stop: Stop, live: &Arc<Live>) -> TargetRun {
    let start = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let count = lanes.lanes.len();
    let concurrency = config.concurrency.max(1);
    let mut workers = Vec::with_capacity(concurrency);
    for (index, lane) in lanes.lanes.iter().enumerate() {
        let shared = Arc::new(Shared {
            job: lane.job.clone(),
            mode: config.mode,
            stop,
            start,
            next: next.clone(),
            live: live.clone(),
        });
        let share = concurrency / count + usize::from(index < concurrency % count);
        for _ in 0..share {
            workers.push(lane.handle.spawn(worker(shared.clone())));
        }
    }
    let mut recorder = Recorder::default();
    let mut sends = SendStats::default();
    let mut examples = Examples::new();
    let mut end = start;
    for handle in workers {
        // A worker only ends by returning; a panic would be a bug, and its
        // requests are then missing from the counts rather than invented.
        if let Ok(result) = handle.await {
            recorder.merge(&result.recorder);
            sends.merge(&result.sends);
            end = end.max(result.end);
            for (class, text) in result.examples {
                examples.entry(class).or_insert(text);
            }
        }
    }
    TargetRun {
        recorder,
        duration: end - start,
        sends,
        unmeasured_requests: 0,
        examples,
    }
}

async fn worker(shared: Arc<Shared>) -> WorkerResult {
    let mut result = WorkerResult {
        recorder: Recorder::default(),
        sends: SendStats::default(),
        end: shared.start,
        examples: Examples::new(),
    };
    let deadline = match shared.stop {
        // A duration past the end of time means no deadline.
        Stop::After(d) => shared.start.checked_add(d),
        Stop::Requests(_) => None,
    };
    // This worker's own connection (HTTP/1.1), kept between requests.
    let mut slot: Option<Conn> = None;
    loop {
        let ticket = shared.next.fetch_add(1, Ordering::Relaxed);
        if let Stop::Requests(n) = shared.stop
            && ticket >= n
        {
            break;
        }
        let scheduled = match shared.mode {
            Mode::Closed => {
                let now = Instant::now();
                if deadline.is_some_and(|d| now >= d) {
                    break;
                }
                now
            }
            Mode::Open { rate } => {
                // A send time past the end of time is never reached.
                let Some(at) = Duration::try_from_secs_f64(ticket as f64 / rate)
                    .ok()
                    .and_then(|offset| shared.start.checked_add(offset))
                else {
                    break;
                };
                if deadline.is_some_and(|d| at >= d) {
                    break;
                }
                if Instant::now() > at + LATE {
                    result.sends.queued += 1;
                } else {
                    tokio::time::sleep_until(at).await;
                    if Instant::now() > at + LATE {
                        result.sends.late += 1;
                    }
                }
                at
            }
        };
        let sent = Instant::now();
        result.sends.sends += 1;
        result.sends.max_lag = result.sends.max_lag.max(sent - scheduled);
        result.sends.last_scheduled = scheduled - shared.start;
        result.sends.last_sent = result.sends.last_sent.max(sent - shared.start);
        let (outcome, failure) = shared.job.execute(ticket, scheduled, &mut slot).await;
        result.recorder.record(&outcome);
        let live = &shared.live;
        live.requests.fetch_add(1, Ordering::Relaxed);
        live.bytes.fetch_add(outcome.bytes, Ordering::Relaxed);
        if let (Some(class), Some(text)) = (outcome.error, failure) {
            live.errors.fetch_add(1, Ordering::Relaxed);
            result.examples.entry(class).or_insert(text);
        }
        result.end = Instant::now();
    }
    result
}

/// Finds the most telling class of a client error by walking its sources.
fn classify(err: &reqwest::Error) -> ErrorClass {
    if err.is_timeout() {
        return ErrorClass::Timeout;
    }
    if classify_error(err).is_some() {
        return ErrorClass::Tls;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if e.downcast_ref::<rustls::Error>().is_some() {
            return ErrorClass::Tls;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
            {
                return ErrorClass::Tls;
            }
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused
                | std::io::ErrorKind::HostUnreachable
                | std::io::ErrorKind::NetworkUnreachable
                | std::io::ErrorKind::AddrNotAvailable => return ErrorClass::Connect,
                std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::UnexpectedEof => return ErrorClass::Reset,
                std::io::ErrorKind::TimedOut => return ErrorClass::Timeout,
                _ => {}
            }
        }
        if let Some(h) = e.downcast_ref::<hyper::Error>()
            && (h.is_incomplete_message() || h.is_closed() || h.is_canceled())
        {
            return ErrorClass::Reset;
        }
        source = e.source();
    }
    if err.is_connect() {
        ErrorClass::Connect
    } else if err.is_body() || err.is_decode() {
        ErrorClass::Body
    } else {
        ErrorClass::Other
    }
}

/// The error and its causes on one line.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

/// Shortens server text quoted in a message (at most 120 characters, one line).
fn quote(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(240)]);
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut short: String = line.chars().take(120).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short
}

/// A response body from the fast path or from reqwest (after a redirect).
enum Body {
    Hyper(hyper::body::Incoming),
    Reqwest(reqwest::Response),
}

impl Body {
    async fn next(&mut self) -> Option<Result<Bytes, Failure>> {
        match self {
            Body::Hyper(body) => loop {
                match body.frame().await? {
                    Err(err) => return Some(Err(hyper_failure(err))),
                    Ok(frame) => {
                        if let Ok(data) = frame.into_data() {
                            return Some(Ok(data));
                        }
                    }
                }
            },
            Body::Reqwest(response) => match response.chunk().await {
                Ok(Some(chunk)) => Some(Ok(chunk)),
                Ok(None) => None,
                Err(err) => Some(Err((classify(&err), chain(&err.without_url())))),
            },
        }
    }
}

impl Job {
    /// Sends request `ticket`, reads its body and checks it. `start` is when
    /// the latency clock starts (the scheduled time in open loop); `slot` is
    /// the worker's connection.
    async fn execute(
        &self,
        ticket: u64,
        start: Instant,
        slot: &mut Option<Conn>,
    ) -> (Outcome, Option<String>) {
        let index = (ticket % self.urls.len() as u64) as usize;
        match tokio::time::timeout(self.timeout, self.exchange(ticket, start, slot)).await {
            Ok(result) => result,
            Err(_) => {
                // The connection may be mid-response: never reuse it.
                *slot = None;
                let outcome = Outcome {
                    endpoint: self.plan.get(ticket).endpoint,
                    bytes: 0,
                    latency: Instant::now() - start,
                    ttfb: None,
                    protocol: None,
                    error: Some(ErrorClass::Timeout),
                };
                let text = format!(
                    "GET {}: no complete response within {:?} (--timeout)",
                    redact(self.urls[index].as_str()),
                    self.timeout
                );
                (outcome, Some(text))
            }
        }
    }

    async fn exchange(
        &self,
        ticket: u64,
        start: Instant,
        slot: &mut Option<Conn>,
    ) -> (Outcome, Option<String>) {
        let request = self.plan.get(ticket);
        let index = (ticket % self.urls.len() as u64) as usize;
        let url = &self.urls[index];
        let endpoint = request.endpoint;
        let mut outcome = Outcome {
            endpoint,
            bytes: 0,
            latency: Duration::ZERO,
            ttfb: None,
            protocol: None,
            error: None,
        };
        let fail = |mut outcome: Outcome, class, text: String| {
            outcome.error = Some(class);
            outcome.latency = Instant::now() - start;
            (
                outcome,
                Some(format!("GET {}: {text}", redact(url.as_str()))),
            )
        };
        let response = match self.connector.get(slot, &self.uris[index]).await {
            Ok(response) => response,
            Err((class, text)) => return fail(outcome, class, text),
        };
        let location = response
            .status()
            .is_redirection()
            .then(|| response.headers().get(http::header::LOCATION))
            .flatten()
            .and_then(|l| l.to_str().ok())
            .and_then(|l| url.join(l).ok());
        let (status, version, mut body) = match location {
            None => {
                let status = response.status();
                let version = response.version();
                (status, version, Body::Hyper(response.into_body()))
            }
            // A redirect (a CDN for zips, say): the rest of the chain goes
            // through reqwest, which follows further redirects.
            Some(next) => {
                drop(response);
                match self.client.get(next).send().await {
                    Ok(response) => (
                        response.status(),
                        response.version(),
                        Body::Reqwest(response),
                    ),
                    Err(err) => {
                        let class = classify(&err);
                        let text =
                            describe_error(&err).unwrap_or_else(|| chain(&err.without_url()));
                        return fail(outcome, class, text);
                    }
                }
            }
        };
        outcome.ttfb = Some(Instant::now() - start);
        outcome.protocol = Some(protocol(version));
        let mut kept: Vec<u8> = Vec::new();
        let keep = if endpoint == Endpoint::Zip && status.is_success() {
            4
        } else {
            KEEP_BODY
        };
        let mut spool = match (&self.verify, endpoint, status.is_success()) {
            (Some(_), Endpoint::Zip, true) => match tempfile::tempfile() {
                Ok(file) => Some(file),
                Err(err) => {
                    return fail(outcome, ErrorClass::Other, format!("temp file: {err}"));
                }
            },
            _ => None,
        };
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err((class, text)) => {
                    *slot = None;
                    return fail(outcome, class, text);
                }
            };
            outcome.bytes += chunk.len() as u64;
            if kept.len() < keep {
                let room = keep - kept.len();
                kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            if let Some(file) = spool.as_mut()
                && let Err(err) = file.write_all(&chunk)
            {
                return fail(outcome, ErrorClass::Other, format!("temp file: {err}"));
            }
        }
        outcome.latency = Instant::now() - start;
        if status != http::StatusCode::OK {
            let class = ErrorClass::Status(status.as_u16());
            let mut text = status.to_string();
            if !kept.is_empty() {
                text.push_str(&format!(" (server response: {})", quote(&kept)));
            }
            outcome.error = Some(class);
            return (
                outcome,
                Some(format!("GET {}: {text}", redact(url.as_str()))),
            );
        }
        let module = &self.plan.modules[request.module];
        let problem = check_body(endpoint, &module.version, &kept);
        let problem = match (problem, spool, &self.verify) {
            (Some(problem), _, _) => Some((ErrorClass::BadBody, problem)),
            (None, Some(file), Some(verifier)) => {
                let verifier = verifier.clone();
                let module_index = request.module;
                // Hashing is CPU work: off the async threads, and after the
                // latency was taken.
                tokio::task::spawn_blocking(move || verify_zip(file, &verifier, module_index))
                    .await
                    .unwrap_or_else(|e| Some((ErrorClass::Other, e.to_string())))
            }
            _ => None,
        };
        match problem {
            None => (outcome, None),
            Some((class, text)) => {
                outcome.error = Some(class);
                (
                    outcome,
                    Some(format!("GET {}: {text}", redact(url.as_str()))),
                )
            }
        }
    }
}

fn protocol(version: http::Version) -> &'static str {
    match version {
        http::Version::HTTP_09 => "HTTP/0.9",
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_11 => "HTTP/1.1",
        http::Version::HTTP_2 => "HTTP/2",
        http::Version::HTTP_3 => "HTTP/3",
        _ => "other",
    }
}

fn verify_zip(
    mut file: std::fs::File,
    verifier: &Verifier,
    index: usize,
) -> Option<(ErrorClass, String)> {
    if let Err(err) = file.rewind() {
        return Some((ErrorClass::Other, format!("temp file: {err}")));
    }
    let size = match file.metadata() {
        Ok(meta) => meta.len(),
        Err(err) => return Some((ErrorClass::Other, format!("temp file: {err}"))),
    };
    let hash = ZipReader::new(std::io::BufReader::new(file), size)
        .map_err(|e| e.to_string())
        .and_then(|mut zip| hash_zip_reader(&mut zip).map_err(|e| e.to_string()));
    match hash {
        Err(err) => Some((
            ErrorClass::BadBody,
            format!("not a valid module zip: {err}"),
        )),
        Ok(hash) => verifier
            .check(index, &hash)
            .err()
            .map(|text| (ErrorClass::HashMismatch, text)),
    }
}

/// What a body of `endpoint` must look like; `None` when it does.
fn check_body(endpoint: Endpoint, version: &str, body: &[u8]) -> Option<String> {
    match endpoint {
        Endpoint::List => {
            let text = std::str::from_utf8(body).ok()?;
            text.lines().enumerate().find_map(|(i, line)| {
                let first = line.split_whitespace().next()?;
                let looks_like_version = first.starts_with('v')
                    && first[1..]
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_digit());
                (!looks_like_version).then(|| {
                    format!(
                        "line {} of the version list is not a version: {}",
                        i + 1,
                        quote(line.as_bytes())
                    )
                })
            })
        }
        Endpoint::Info => {
            #[derive(serde::Deserialize)]
            struct Info {
                #[serde(rename = "Version")]
                version: String,
            }
            match serde_json::from_slice::<Info>(body) {
                Err(err) => Some(format!("invalid .info JSON: {err} (body: {})", quote(body))),
                Ok(info) if info.version != version => Some(format!(
                    "proxy returned info for version {} instead of requested version",
                    info.version
                )),
                Ok(_) => None,
            }
        }
        Endpoint::Mod => {
            let has_module = std::str::from_utf8(body)
                .is_ok_and(|t| t.lines().any(|l| l.trim_start().starts_with("module")));
            (!has_module).then(|| format!("not a go.mod file (body: {})", quote(body)))
        }
        Endpoint::Zip => {
            let zip = body.starts_with(b"PK\x03\x04") || body.starts_with(b"PK\x05\x06");
            (!zip).then(|| format!("not a zip file (body: {})", quote(body)))
        }
    }
}

/// A URL without its password, for messages and reports.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("xxxxx"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_checked_per_endpoint() {
        assert_eq!(
            check_body(
                Endpoint::List,
                "v1.0.0",
                b"v1.0.0\nv1.1.0 2020-01-01T00:00:00Z\n"
            ),
            None
        );
        assert!(check_body(Endpoint::List, "v1.0.0", b"<html>\n").is_some());
        assert_eq!(check_body(Endpoint::List, "v1.0.0", b""), None);
        assert_eq!(
            check_body(Endpoint::Info, "v1.0.0", br#"{"Version":"v1.0.0"}"#),
            None
        );
        assert!(check_body(Endpoint::Info, "v1.0.0", br#"{"Version":"v1.0.1"}"#).is_some());
        assert!(check_body(Endpoint::Info, "v1.0.0", b"<html>").is_some());
        assert_eq!(
            check_body(Endpoint::Mod, "v1.0.0", b"// c\nmodule example.com/a\n"),
            None
        );
        assert!(check_body(Endpoint::Mod, "v1.0.0", b"<!doctype html>").is_some());
        assert_eq!(check_body(Endpoint::Zip, "v1.0.0", b"PK\x03\x04"), None);
        assert!(check_body(Endpoint::Zip, "v1.0.0", b"<htm").is_some());
    }

    #[test]
    fn redact_hides_password() {
        assert_eq!(
            redact("https://u:secret@example.com/p"),
            "https://u:xxxxx@example.com/p"
        );
        assert_eq!(redact("http://127.0.0.1:1/p"), "http://127.0.0.1:1/p");
    }
}
