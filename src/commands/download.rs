//! `gomodfetch download`: what `go mod download [-x] [-json] m@q...` does
//! (cmd/go/internal/modcmd/download.go): resolve each query, download each
//! module concurrently, print one JSON object per argument in argument order
//! (`--json`) or one error line per failure; exit 1 when any failed.

use std::path::PathBuf;
use std::sync::Arc;

use futures_util::StreamExt;
use serde::Serialize;

use crate::commands::inmodule::Job;
use crate::commands::{CmdResult, ExitStatus};
use crate::fetch::Fetcher;
use crate::module::path::go_quote;
use crate::net::client::{Client, ClientOptions, TraceFn};
use crate::net::retry::RetryPolicy;
use crate::proxy::protocol::{Origin, go_json_escape};
use crate::report::{NoReporter, Reporter};
use crate::settings::Settings;
use crate::settings::env::Env;
use crate::sumdb::checker::{SumFileSet, SumdbChecker, accepted_offline};
use crate::ui::printer::Printer;
use crate::ui::progress::Progress;

/// Default number of modules in flight. Measured with scripts/bench-vs-go
/// (40 ms per request, 2 cores): gains flatten out above ~32.
pub const DEFAULT_JOBS: usize = 32;

/// Flags of `gomodfetch download`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON object per module, as `go mod download -json`.
    #[arg(long = "json", alias = "json")]
    pub json: bool,
    /// Print the requests made, as `go mod download -x`.
    #[arg(short = 'x')]
    pub x: bool,
    /// Modules in flight at once.
    #[arg(short = 'j', long = "jobs", default_value_t = DEFAULT_JOBS)]
    pub jobs: usize,
    /// Extra PEM bundle of trusted certificates (repeatable).
    #[arg(long = "cacert", value_name = "FILE")]
    pub cacert: Vec<PathBuf>,
    /// Add missing go.sum lines for the downloaded modules.
    #[arg(long = "write-sum")]
    pub write_sum: bool,
    /// Modules as `path@query` (a version, `latest`, `v1`, `<v1.3.0`, a branch...).
    #[arg(value_name = "MODULE@QUERY")]
    pub modules: Vec<String>,
}

/// One module in `go mod download -json`'s format (field order is Go's).
#[derive(Debug, Default, Serialize)]
pub struct ModuleJson {
    #[serde(rename = "Path", skip_serializing_if = "String::is_empty")]
    pub path: String,
    #[serde(rename = "Version", skip_serializing_if = "String::is_empty")]
    pub version: String,
    #[serde(rename = "Query", skip_serializing_if = "String::is_empty")]
    pub query: String,
    #[serde(rename = "Error", skip_serializing_if = "String::is_empty")]
    pub error: String,
    #[serde(rename = "Info", skip_serializing_if = "String::is_empty")]
    pub info: String,
    #[serde(rename = "GoMod", skip_serializing_if = "String::is_empty")]
    pub go_mod: String,
    #[serde(rename = "Zip", skip_serializing_if = "String::is_empty")]
    pub zip: String,
    #[serde(rename = "Dir", skip_serializing_if = "String::is_empty")]
    pub dir: String,
    #[serde(rename = "Sum", skip_serializing_if = "String::is_empty")]
    pub sum: String,
    #[serde(rename = "GoModSum", skip_serializing_if = "String::is_empty")]
    pub go_mod_sum: String,
    /// Provenance, as the resolved `RevInfo` carried it.
    #[serde(rename = "Origin", skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// The error for people (`FetchError::describe`: Go's text plus where
    /// the failing bytes came from); never in the JSON, which is Go's.
    #[serde(skip)]
    pub error_detail: String,
    /// The error ends the whole command (a go.sum mismatch or a forked
    /// checksum database, Go's `base.Fatalf`): printed alone, no JSON.
    #[serde(skip)]
    pub fatal: bool,
}

impl ModuleJson {
    /// Records a failure: Go's text for `Error`, the described form for
    /// the plain-text output.
    pub fn set_error(&mut self, e: &crate::fetch::FetchError) {
        self.error = e.to_string();
        self.error_detail = e.describe();
        self.fatal = e.is_fatal();
    }

    /// The line(s) a plain (non-JSON) run prints for a failed module.
    pub fn error_line(&self) -> String {
        let text = if self.error_detail.is_empty() {
            &self.error
        } else {
            &self.error_detail
        };
        format!("gomodfetch: {text}")
    }

    /// `json.MarshalIndent(m, "", "\t")` plus Go's HTML escaping.
    pub fn to_go_json(&self) -> String {
        let mut buf = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
        let _ = self.serialize(&mut ser);
        go_json_escape(String::from_utf8_lossy(&buf).into_owned())
    }
}

fn show(p: Option<PathBuf>) -> String {
    p.map(|p| p.display().to_string()).unwrap_or_default()
}

/// Downloads `m.path@m.version` (resolved already) and fills in the files
/// and hashes `go mod download -json` reports, or the error.
pub async fn fill(fetcher: &Fetcher, m: &mut ModuleJson) {
    let outcome = fetcher.download_outcome(&m.path, &m.version).await;
    m.info = show(outcome.info);
    m.go_mod = show(outcome.go_mod);
    m.zip = show(outcome.zip);
    m.dir = show(outcome.dir);
    m.sum = outcome.sum.unwrap_or_default();
    m.go_mod_sum = outcome.go_mod_sum.unwrap_or_default();
    if let Some(e) = outcome.error {
        m.set_error(&e);
    }
}

/// Resolves and downloads one `path@query` argument.
pub async fn download_one(fetcher: &Fetcher, arg: &str) -> ModuleJson {
    let Some((path, query)) = arg.split_once('@') else {
        return ModuleJson {
            path: arg.to_string(),
            error: format!(
                "cannot match {arg:?} without an explicit version: outside a module, use {arg}@latest"
            ),
            ..ModuleJson::default()
        };
    };
    let mut m = ModuleJson {
        path: path.to_string(),
        version: query.to_string(),
        ..ModuleJson::default()
    };
    let info = match fetcher.query(path, query).await {
        Ok(info) => info,
        Err(e) => {
            m.set_error(&e);
            m.origin = e.origin();
            return m;
        }
    };
    if info.version != query {
        m.query = query.to_string();
    }
    m.version = info.version;
    m.origin = info.origin;
    fill(fetcher, &mut m).await;
    m
}

/// The checks `go mod download` makes on its arguments before anything else
/// (modload/list.go `listModules`), in argument order: the first failing
/// argument fails the whole command (`go: <message>`, exit 1, no JSON).
/// Outside a module (`has_root` false) `m@upgrade`, `m@patch`, a path without
/// a version, `all` and `...` patterns cannot be matched.
pub fn fatal_argument(args: &[String], has_root: bool) -> Option<String> {
    const NO_ROOT: &str =
        "go.mod file not found in current directory or any parent directory; see 'go help modules'";
    for arg in args {
        if arg.contains('\\') {
            return Some("module paths never use backslash".to_string());
        }
        if arg.starts_with("./") || arg.starts_with("../") || arg == "." || arg == ".." {
            return Some(format!("cannot use relative path {arg} to specify module"));
        }
        if arg == "all" || arg.contains("...") {
            if !has_root {
                return Some(format!("cannot match {}: {NO_ROOT}", go_quote(arg)));
            }
            continue;
        }
        match arg.split_once('@') {
            Some((_, vers)) => {
                if vers.starts_with(['-', '/']) {
                    return Some(format!("invalid module version {}", go_quote(vers)));
                }
                if (vers == "upgrade" || vers == "patch") && !has_root {
                    return Some(format!("cannot match {}: {NO_ROOT}", go_quote(arg)));
                }
            }
            None if !has_root => {
                return Some(format!(
                    "cannot match {} without -versions or an explicit version: {NO_ROOT}",
                    go_quote(arg)
                ));
            }
            None => {}
        }
    }
    None
}

/// The warm-cache fast path, taken before any multi-thread runtime, HTTP
/// client or trust store exists: when every argument is an exact version
/// (or, with none or `all`, every module the pre-warm would download, its
/// graph read from cached go.mod files) already complete in the cache
/// (src/cache/warm.rs) and acceptable without the network (go.sum lists its
/// hashes, or the checksum database is not consulted for it), answer
/// exactly as [`run`] would. `None`: something needs the full path,
/// which then decides everything afresh.
pub fn try_warm(args: &Args, printer: &Printer) -> Option<ExitStatus> {
    if args.x || args.write_sum {
        return None;
    }
    let env = Env::from_process();
    let settings = Settings::from_env(&env).ok()?;
    if settings.goflags.x {
        return None;
    }
    let prewarm_all = args.modules == ["all"];
    if args.modules.is_empty() || prewarm_all {
        let inputs = super::prewarm::OfflineInputs {
            settings: &settings,
            gowork: env.go_var("GOWORK"),
            all: prewarm_all,
            json: args.json,
        };
        // One thread: the graph's go.mod files are local reads, and worker
        // threads would only add wake-ups.
        let runtime = tokio::runtime::Builder::new_current_thread().build().ok()?;
        return runtime.block_on(super::prewarm::try_offline(inputs, printer));
    }
    let mut wanted = Vec::with_capacity(args.modules.len());
    for arg in &args.modules {
        let (path, version) = arg.split_once('@')?;
        // What `Fetcher::query` answers from `.info` alone: an exact,
        // canonical version valid for its path.
        if crate::module::version::canonical_module_version(version) != version
            || crate::module::path::check(path, version).is_err()
        {
            return None;
        }
        wanted.push((path, version));
    }
    let layout = crate::cache::layout::Layout::new(settings.cache_root().ok()?);
    let cwd = std::env::current_dir().ok()?;
    let sums = SumFileSet::discover(&cwd, env.go_var("GOWORK")).ok()?;
    let entries = crate::cache::warm::probe_all(&layout, &wanted);
    let mut out = Vec::with_capacity(wanted.len());
    for ((path, version), entry) in wanted.iter().zip(entries) {
        out.push(warm_json(entry?, path, version, sums.as_ref(), &settings)?);
    }
    if args.json {
        for m in &out {
            printer.data(&m.to_go_json());
        }
    }
    Some(ExitStatus::Success)
}

/// A complete cache entry as `go mod download -json` reports it, when both
/// of its hashes are acceptable without the network (`accepted_offline`);
/// `None` when only the full path can decide.
pub fn warm_json(
    e: crate::cache::warm::Entry,
    path: &str,
    version: &str,
    sums: Option<&SumFileSet>,
    settings: &Settings,
) -> Option<ModuleJson> {
    let go_mod_sum = crate::verify::dirhash::hash_go_mod(&e.go_mod);
    let ok = |v: &str, h: &str| accepted_offline(sums, settings, path, v, h);
    if !ok(&format!("{version}/go.mod"), &go_mod_sum) || !ok(version, &e.sum) {
        return None;
    }
    Some(ModuleJson {
        path: path.to_string(),
        version: version.to_string(),
        origin: e.info.origin,
        info: e.info_path.display().to_string(),
        go_mod: e.go_mod_path.display().to_string(),
        zip: e.zip_path.display().to_string(),
        dir: e.dir.display().to_string(),
        sum: e.sum,
        go_mod_sum,
        ..ModuleJson::default()
    })
}

/// The first result whose error ends the whole command (a go.sum mismatch,
/// a forked checksum database):
/// go prints that message alone, no JSON, and exits 1. Go stops at the
/// first it meets in time; arguments' order is the deterministic choice.
pub fn fatal_result<'a>(
    results: impl IntoIterator<Item = &'a ModuleJson>,
) -> Option<&'a ModuleJson> {
    results.into_iter().find(|m| m.fatal)
}

/// Runs `gomodfetch download`.
pub async fn run(args: Args, printer: &Printer) -> CmdResult {
    let env = Env::from_process();
    let mut settings = Settings::from_env(&env)?;
    // A command-line flag beats GOFLAGS.
    let x = args.x || settings.goflags.x;
    settings
        .trust
        .extra_ca_files
        .extend(args.cacert.iter().cloned());
    // No module arguments (or `all`): pre-warm from go.mod / go.work.
    let prewarm_all = args.modules.len() == 1 && args.modules[0] == "all";
    let prewarm_mode = args.modules.is_empty() || prewarm_all;
    if let Err(e) = settings.cache_root() {
        printer.error(&format!("gomodfetch: {e}"));
        return Ok(ExitStatus::Failure);
    }
    // Inside a module or workspace, arguments resolve against its build list.
    let mut workspace: Option<Arc<crate::graph::workspace::Workspace>> = None;
    if !prewarm_mode {
        let cwd = std::env::current_dir().unwrap_or_default();
        let found = crate::graph::workspace::Workspace::discover(&cwd, env.go_var("GOWORK"));
        let has_root = !matches!(
            found,
            Err(crate::graph::workspace::WorkspaceError::NoModule)
        );
        if let Some(message) = fatal_argument(&args.modules, has_root) {
            printer.error(&format!("gomodfetch: {message}"));
            return Ok(ExitStatus::Failure);
        }
        match found {
            Ok(ws) => workspace = Some(Arc::new(ws)),
            Err(crate::graph::workspace::WorkspaceError::NoModule) => {}
            Err(e) => {
                printer.error(&format!("gomodfetch: {e}"));
                return Ok(ExitStatus::Failure);
            }
        }
    }
    let trace: Option<TraceFn> = x.then(|| {
        let p = printer.clone();
        Arc::new(move |line: &str| p.error(line)) as TraceFn
    });
    let vcs_trace = trace.clone();
    let client = Client::new(ClientOptions {
        trust: settings.trust.clone(),
        netrc: settings.netrc.clone(),
        http_proxy: settings.http_proxy.clone(),
        retry: RetryPolicy {
            sleep: !settings.no_retry_delay,
            ..RetryPolicy::default()
        },
        trace,
    })?;
    let progress = (printer.wants_progress() && !x).then(|| Arc::new(Progress::new()));
    let reporter: Arc<dyn Reporter> = match &progress {
        Some(p) => {
            p.on_total(args.modules.len());
            p.clone()
        }
        None => Arc::new(NoReporter),
    };
    // go.sum / go.work.sum when run inside a module, and the checksum
    // database: the fetch pipeline's one checksum hook (sumdb::checker).
    let cwd = std::env::current_dir().unwrap_or_default();
    let sum_files = match SumFileSet::discover(&cwd, env.go_var("GOWORK")) {
        Ok(s) => s,
        Err(e) => {
            printer.error(&format!("gomodfetch: {e}"));
            return Ok(ExitStatus::Failure);
        }
    };
    let checker = Arc::new(SumdbChecker::new(&settings, client.clone(), sum_files));
    // Discovery's TLS clients are built on the first direct lookup: loading
    // the trust store costs more than a whole warm-cache run.
    let lazy = Arc::new(LazyDiscovery {
        trust: settings.trust.clone(),
        netrc: settings.netrc.clone(),
        http: std::sync::OnceLock::new(),
    });
    let direct = crate::codehost::direct::Direct::new(
        crate::codehost::direct::DirectConfig::from_settings(&settings, vcs_trace),
        lazy.clone(),
        Some(lazy),
    );
    let fetcher = Fetcher::new(&settings, client, reporter)
        .with_sum_check(checker.clone())
        .with_direct(Arc::new(direct));
    if prewarm_mode {
        let prewarm_args = super::prewarm::PrewarmArgs {
            all: prewarm_all,
            json: args.json,
            jobs: args.jobs,
            gowork: env.go_var("GOWORK").map(str::to_string),
            write_sum: args.write_sum,
        };
        let fetcher = Arc::new(fetcher);
        return super::prewarm::run(fetcher, checker, prewarm_args, progress, printer).await;
    }
    let fetcher = Arc::new(fetcher);
    let mut graph_error = None;
    let planned: Vec<Job> = match workspace {
        Some(ws) => {
            let source = Arc::new(super::prewarm::FetcherSource(fetcher.clone()));
            let plan = match super::inmodule::plan(ws, source, &args.modules, args.jobs * 2).await {
                Ok(plan) => plan,
                Err(e) => {
                    if let Some(p) = &progress {
                        p.finish();
                    }
                    printer.error(&format!("gomodfetch: {e}"));
                    return Ok(ExitStatus::Failure);
                }
            };
            for note in &plan.notes {
                printer.error(note);
            }
            if let Some(p) = &progress {
                p.on_total(plan.jobs.len());
            }
            graph_error = plan.graph_error;
            plan.jobs
        }
        None => args.modules.iter().cloned().map(Job::Arg).collect(),
    };
    let jobs = args.jobs.max(1);
    let results: Vec<ModuleJson> = futures_util::stream::iter(planned)
        .map(|job| {
            let fetcher = &fetcher;
            let progress = progress.clone();
            async move {
                let m = super::inmodule::download(fetcher, job).await;
                if let Some(p) = progress {
                    p.module_done();
                }
                m
            }
        })
        .buffered(jobs)
        .collect()
        .await;
    if let Some(p) = &progress {
        p.finish();
    }
    for w in checker.take_warnings() {
        printer.error(&w);
    }
    if args.write_sum {
        if let Err(e) = checker.write_sums() {
            printer.error(&format!("gomodfetch: updating go.sum: {e}"));
            return Ok(ExitStatus::Failure);
        }
    }
    if let Some(m) = fatal_result(&results) {
        printer.error(&m.error_line());
        return Ok(ExitStatus::Failure);
    }
    let mut failed = false;
    for m in &results {
        if !m.error.is_empty() {
            failed = true;
        }
        if args.json {
            printer.data(&m.to_go_json());
        } else if !m.error.is_empty() {
            printer.error(&m.error_line());
        }
    }
    // modcmd `runDownload`: a plain run stops at the module errors; the
    // graph error (`infosErr`) comes last.
    if let Some(e) = graph_error
        && (args.json || !failed)
    {
        printer.error(&format!("gomodfetch: {e}"));
        failed = true;
    }
    Ok(if failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// `HttpDiscovery`, created on first use.
struct LazyDiscovery {
    trust: crate::net::tls::TrustOptions,
    netrc: Option<PathBuf>,
    http: std::sync::OnceLock<Result<crate::codehost::discovery::HttpDiscovery, String>>,
}

impl LazyDiscovery {
    fn get(&self) -> Result<&crate::codehost::discovery::HttpDiscovery, String> {
        self.http
            .get_or_init(|| {
                crate::codehost::discovery::HttpDiscovery::new(&self.trust)
                    .map(|d| d.with_netrc_file(self.netrc.as_deref()))
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

type DiscoveryFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

impl crate::codehost::discovery::DiscoveryClient for LazyDiscovery {
    fn get<'a>(
        &'a self,
        host: &'a str,
        path: &'a str,
        security: crate::codehost::vcs::Security,
    ) -> DiscoveryFuture<'a, Result<crate::codehost::discovery::DiscoveryResponse, String>> {
        Box::pin(async move { self.get()?.get(host, path, security).await })
    }
}

impl crate::codehost::git::NotFoundProbe for LazyDiscovery {
    fn is_not_found<'a>(&'a self, url: &'a str) -> DiscoveryFuture<'a, bool> {
        Box::pin(async move {
            match self.get() {
                Ok(http) => http.is_not_found(url).await,
                Err(_) => false,
            }
        })
    }
}
