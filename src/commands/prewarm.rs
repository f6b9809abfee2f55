//! `gomodfetch download` with no module arguments (or `all`) inside a
//! module or workspace: the pre-warm path of the download command. Wires the
//! fetcher into [`crate::prewarm`] (go.mod source and module downloader),
//! then prints as `go mod download [-json]` does, plus a one-line summary.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::commands::download::{ModuleJson, fatal_result, warm_json};
use crate::commands::{CmdResult, ExitStatus};
use crate::fetch::{Context, Fetcher};
use crate::graph::ModuleVersion;
use crate::graph::load::{BoxFuture, DownloadTarget, GoModSource};
use crate::graph::workspace::{Workspace, WorkspaceError};
use crate::prewarm::{self, ModuleDownloader, Options};
use crate::report::Reporter;
use crate::sumdb::checker::{SumdbChecker, accepted_offline};
use crate::ui::printer::Printer;
use crate::ui::progress::Progress;

/// What the download command hands over.
pub struct PrewarmArgs {
    pub all: bool,
    pub json: bool,
    pub jobs: usize,
    /// GOWORK as configured (`off`, a path, or empty).
    pub gowork: Option<String>,
    /// Add the hashes verified this run to go.sum (Go leaves it unchanged).
    pub write_sum: bool,
}

/// The fetcher as the graph's go.mod source.
pub(crate) struct FetcherSource(pub(crate) Arc<Fetcher>);

impl GoModSource for FetcherSource {
    fn go_mod(&self, m: ModuleVersion) -> BoxFuture<Result<Vec<u8>, String>> {
        let fetcher = self.0.clone();
        Box::pin(async move {
            fetcher.go_mod(&m.path, &m.version).await.map_err(|e| {
                // The graph prefixes `path@version: ` itself.
                match e.context {
                    Context::Version => e.kind.to_string(),
                    _ => e.to_string(),
                }
            })
        })
    }
}

/// One module's result: its `-json` object plus what the summary needs.
struct Done {
    json: ModuleJson,
    from_cache: bool,
    bytes: u64,
}

struct FetcherDownloader {
    fetcher: Arc<Fetcher>,
    progress: Option<Arc<Progress>>,
    /// Speculative zip fetches in flight at once (while the graph loads).
    speculation_limit: Arc<tokio::sync::Semaphore>,
}

fn show(p: Option<PathBuf>) -> String {
    p.map(|p| p.display().to_string()).unwrap_or_default()
}

impl ModuleDownloader for FetcherDownloader {
    type Output = Done;
    fn download(&self, t: DownloadTarget) -> BoxFuture<Done> {
        let fetcher = self.fetcher.clone();
        let progress = self.progress.clone();
        Box::pin(async move {
            let (path, version) = (t.actual.path.clone(), t.actual.version.clone());
            let zip_file = fetcher
                .layout()
                .ok()
                .and_then(|l| l.file(&path, &version, "zip").ok());
            let from_cache = match &zip_file {
                Some(f) => tokio::fs::metadata(f).await.is_ok(),
                None => false,
            };
            let outcome = fetcher.download_outcome(&path, &version).await;
            let bytes = match &outcome.zip {
                Some(z) => tokio::fs::metadata(z).await.map(|m| m.len()).unwrap_or(0),
                None => 0,
            };
            let mut json = ModuleJson {
                path,
                version,
                info: show(outcome.info),
                go_mod: show(outcome.go_mod),
                zip: show(outcome.zip),
                dir: show(outcome.dir),
                sum: outcome.sum.unwrap_or_default(),
                go_mod_sum: outcome.go_mod_sum.unwrap_or_default(),
                ..ModuleJson::default()
            };
            if let Some(e) = &outcome.error {
                json.set_error(e);
            }
            if let Some(p) = progress {
                p.module_done();
            }
            Done {
                json,
                from_cache,
                bytes,
            }
        })
    }

    fn speculate(&self, t: &DownloadTarget) {
        self.fetcher.speculate(
            &t.actual.path,
            &t.actual.version,
            self.speculation_limit.clone(),
        );
    }

    fn abandon(&self, t: &DownloadTarget) {
        self.fetcher
            .abandon_speculation(&t.actual.path, &t.actual.version);
    }

    fn discard(&self, keep: &[DownloadTarget]) -> BoxFuture<()> {
        let fetcher = self.fetcher.clone();
        let keep: Vec<(String, String)> = keep
            .iter()
            .map(|t| (t.actual.path.clone(), t.actual.version.clone()))
            .collect();
        Box::pin(async move { fetcher.discard_speculation(&keep).await })
    }
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Runs the pre-warm: graph, downloads, output. `fetcher` is configured by
/// the download command (settings, client, checksum checks).
pub async fn run(
    fetcher: Arc<Fetcher>,
    checker: Arc<SumdbChecker>,
    args: PrewarmArgs,
    progress: Option<Arc<Progress>>,
    printer: &Printer,
) -> CmdResult {
    let start = Instant::now();
    let cwd = std::env::current_dir()?;
    let ws = match Workspace::discover(&cwd, args.gowork.as_deref()) {
        Ok(ws) => Arc::new(ws),
        Err(e) => {
            if let Some(p) = &progress {
                p.finish();
            }
            // Outside a module, as runDownload / listModules word it.
            let message = match (&e, args.all) {
                (WorkspaceError::NoModule, false) => {
                    "no modules specified (see 'gomodfetch download --help')".to_string()
                }
                (WorkspaceError::NoModule, true) => format!("cannot match \"all\": {e}"),
                _ => e.to_string(),
            };
            printer.error(&format!("gomodfetch: {message}"));
            return Ok(ExitStatus::Failure);
        }
    };
    let options = Options {
        all: args.all,
        jobs: args.jobs.max(1),
        graph_jobs: args.jobs.max(1) * 2,
    };
    let downloader = Arc::new(FetcherDownloader {
        fetcher: fetcher.clone(),
        progress: progress.clone(),
        speculation_limit: Arc::new(tokio::sync::Semaphore::new(options.jobs)),
    });
    let on_targets: Option<Box<dyn FnOnce(usize) + Send>> = progress
        .clone()
        .map(|p| Box::new(move |n: usize| p.on_total(n)) as Box<dyn FnOnce(usize) + Send>);
    let result = prewarm::prewarm(
        ws,
        Arc::new(FetcherSource(fetcher)),
        downloader,
        &options,
        None,
        on_targets,
    )
    .await;
    if let Some(p) = &progress {
        p.finish();
    }
    let done = match result {
        Ok(done) => done,
        Err(e) => {
            printer.error(&format!("gomodfetch: {e}"));
            return Ok(ExitStatus::Failure);
        }
    };
    for w in checker.take_warnings() {
        printer.error(&w);
    }
    if args.write_sum
        && let Err(e) = checker.write_sums()
    {
        printer.error(&format!("gomodfetch: updating go.sum: {e}"));
        return Ok(ExitStatus::Failure);
    }
    if done.no_dependencies {
        printer.status("gomodfetch: no module dependencies to download");
        return Ok(ExitStatus::Success);
    }
    let mut failed = 0usize;
    let (mut cached, mut fetched, mut bytes) = (0usize, 0usize, 0u64);
    if let Some(m) = fatal_result(done.results.iter().map(|(_, d)| &d.json)) {
        printer.error(&m.error_line());
        return Ok(ExitStatus::Failure);
    }
    for (_, d) in &done.results {
        if !d.json.error.is_empty() {
            failed += 1;
        } else if d.from_cache {
            cached += 1;
        } else {
            fetched += 1;
        }
        bytes += d.bytes;
        if args.json {
            printer.data(&d.json.to_go_json());
        } else if !d.json.error.is_empty() {
            printer.error(&d.json.error_line());
        }
    }
    // modcmd `runDownload`: the module errors end a plain run (exit 1)
    // before the graph error; with -json the graph error follows the
    // objects.
    let graph_error = match &done.graph_error {
        Some(e) if args.json || failed == 0 => {
            printer.error(&format!("gomodfetch: {e}"));
            true
        }
        Some(_) => true,
        None => false,
    };
    let mut summary = format!(
        "gomodfetch: {} modules ({}), {cached} from cache, {fetched} fetched",
        done.results.len(),
        human_bytes(bytes),
    );
    if failed > 0 {
        summary.push_str(&format!(", {failed} failed"));
    }
    summary.push_str(&format!(
        "; {} go.mod files read; {:.2}s",
        done.graph_modules,
        start.elapsed().as_secs_f64()
    ));
    printer.status(&summary);
    Ok(if failed > 0 || graph_error {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// Everything the offline check needs from the environment.
pub struct OfflineInputs<'a> {
    pub settings: &'a crate::settings::Settings,
    pub gowork: Option<&'a str>,
    pub all: bool,
    pub json: bool,
}

/// A go.mod source that only reads the module cache, and records what it
/// read (so the go.sum check can cover the graph's go.mod files too).
struct CacheOnly {
    layout: crate::cache::layout::Layout,
    read: std::sync::Mutex<Vec<(ModuleVersion, Vec<u8>)>>,
}

impl GoModSource for CacheOnly {
    fn go_mod(&self, m: ModuleVersion) -> BoxFuture<Result<Vec<u8>, String>> {
        let out = self
            .layout
            .file(&m.path, &m.version, "mod")
            .map_err(|e| e.to_string())
            .and_then(|f| crate::cache::warm::read_small(&f).map_err(|e| e.to_string()))
            .and_then(|d| {
                if d.starts_with(b"//vgo 0.0.") {
                    Err("placeholder go.mod".to_string())
                } else {
                    Ok(d)
                }
            });
        if let (Ok(d), Ok(mut read)) = (&out, self.read.lock()) {
            read.push((m.clone(), d.clone()));
        }
        Box::pin(async move { out })
    }
}

/// The warm-cache fast path: when the graph and every module to download
/// are already complete in the cache and verified against go.sum (or need
/// no checksum-database lookup), report them without building an HTTP
/// client (whose trust store costs more than the whole check). `None`:
/// something is missing or needs the network; run the full path.
pub async fn try_offline(inputs: OfflineInputs<'_>, printer: &Printer) -> Option<ExitStatus> {
    let start = Instant::now();
    let root = inputs.settings.cache_root().ok()?;
    let cwd = std::env::current_dir().ok()?;
    let ws = Arc::new(Workspace::discover(&cwd, inputs.gowork).ok()?);
    if !inputs.all && crate::graph::load::has_no_requirements(&ws) {
        return None;
    }
    let sums = crate::sumdb::checker::SumFileSet::discover(&cwd, inputs.gowork).ok()?;
    let layout = crate::cache::layout::Layout::new(root);
    let source = Arc::new(CacheOnly {
        layout: layout.clone(),
        read: std::sync::Mutex::new(Vec::new()),
    });
    let options = crate::graph::load::LoadOptions {
        concurrency: 1,
        on_loaded: None,
    };
    let graph = crate::graph::load::load_graph(ws.clone(), source.clone(), options)
        .await
        .ok()?;
    let read = std::mem::take(&mut *source.read.lock().ok()?);
    for (m, data) in &read {
        let h = crate::verify::dirhash::hash_go_mod(data);
        let version = format!("{}/go.mod", m.version);
        if !accepted_offline(sums.as_ref(), inputs.settings, &m.path, &version, &h) {
            return None;
        }
    }
    let targets = crate::graph::load::download_set(&ws, &graph, inputs.all).ok()?;
    // The graph walk read most targets' go.mod files already.
    let mods: std::collections::HashMap<(&str, &str), &[u8]> = read
        .iter()
        .map(|(m, d)| ((m.path.as_str(), m.version.as_str()), d.as_slice()))
        .collect();
    let wanted: Vec<crate::cache::warm::Known> = targets
        .iter()
        .map(|t| {
            let (p, v) = (t.actual.path.as_str(), t.actual.version.as_str());
            (p, v, mods.get(&(p, v)).copied())
        })
        .collect();
    let entries = crate::cache::warm::probe_all_knowing(&layout, &wanted);
    let mut results = Vec::with_capacity(targets.len());
    for (t, e) in targets.iter().zip(entries) {
        let e = e?;
        let bytes = e.zip_len;
        let (path, version) = (t.actual.path.as_str(), t.actual.version.as_str());
        let mut json = warm_json(e, path, version, sums.as_ref(), inputs.settings)?;
        // `go mod download` with no arguments reports no Origin.
        json.origin = None;
        results.push((json, bytes));
    }
    let mut bytes = 0;
    for (json, b) in &results {
        bytes += b;
        if inputs.json {
            printer.data(&json.to_go_json());
        }
    }
    printer.status(&format!(
        "gomodfetch: {} modules ({}), {} from cache, 0 fetched; {} go.mod files read; {:.2}s",
        results.len(),
        human_bytes(bytes),
        results.len(),
        graph.loaded.len(),
        start.elapsed().as_secs_f64()
    ));
    Some(ExitStatus::Success)
}
