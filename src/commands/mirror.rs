//! `gomodfetch mirror --to DIR ...` (build or top up an air-gapped GOPROXY
//! tree with checksum-database proofs) and `gomodfetch mirror verify DIR`
//! (check one offline). The work is in `mirror::{run, sources, check}`;
//! this file reads the settings, resolves the arguments into module
//! versions, runs them concurrently, reports each failure and continues,
//! and prints the summary.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use futures_util::StreamExt;

use crate::commands::{CmdResult, ExitStatus};
use crate::fetch::Fetcher;
use crate::graph::ModuleVersion;
use crate::mirror::check::verify_tree;
use crate::mirror::manifest::{Manifest, write_delta};
use crate::mirror::proofs::{Remote, SumdbMirror};
use crate::mirror::run::Mirror;
use crate::mirror::sources;
use crate::mirror::tree::MirrorTree;
use crate::module::version as semver;
use crate::net::client::{Client, ClientOptions};
use crate::net::retry::RetryPolicy;
use crate::proxy::route::Router;
use crate::report::NoReporter;
use crate::settings::env::Env;
use crate::settings::{Settings, defaults};
use crate::sumdb::config::parse_gosumdb;
use crate::sumdb::ops::HttpOps;
use crate::ui::printer::Printer;

/// Flags of `gomodfetch mirror`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub action: Option<Action>,
    /// The mirror tree to create or top up (a GOPROXY: use `file://DIR` or `gomodfetch serve DIR`).
    #[arg(long, value_name = "DIR")]
    pub to: Option<PathBuf>,
    /// Modules as `path@query` (a version, `latest`, `v1`...).
    #[arg(value_name = "MODULE@QUERY")]
    pub modules: Vec<String>,
    /// A project whose whole module graph to mirror: a go.mod, a go.work or a directory (repeatable).
    #[arg(long, value_name = "PATH")]
    pub from: Vec<PathBuf>,
    /// Mirror every module in this module cache (its files are used, GOPROXY fills gaps).
    #[arg(long, value_name = "GOMODCACHE")]
    pub from_cache: Option<PathBuf>,
    /// A file of `MODULE@QUERY` lines (repeatable).
    #[arg(long, value_name = "FILE")]
    pub list: Vec<PathBuf>,
    /// Also mirror the dependency graphs of the MODULE@QUERY arguments.
    #[arg(long)]
    pub with_deps: bool,
    /// A manifest from an earlier run: copy what changed since into --delta-to.
    #[arg(long, value_name = "MANIFEST", requires = "delta_to")]
    pub delta_since: Option<PathBuf>,
    /// Where to write the delta (a directory; copy it over the other side's tree).
    #[arg(long, value_name = "DIR", requires = "delta_since")]
    pub delta_to: Option<PathBuf>,
    /// Modules in flight at once.
    #[arg(short = 'j', long = "jobs", default_value_t = 32)]
    pub jobs: usize,
    /// Extra PEM bundle of trusted certificates (repeatable).
    #[arg(long = "cacert", value_name = "FILE")]
    pub cacert: Vec<PathBuf>,
}

/// `mirror` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Check a mirror tree offline: files against manifest.json, every zip and go.mod against its h1, the stored proofs.
    Verify(VerifyArgs),
}

/// Flags of `gomodfetch mirror verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The mirror tree.
    pub dir: PathBuf,
    /// The checksum database's verifier key (`name+hash+key`); default: the one manifest.json records.
    #[arg(long)]
    pub key: Option<String>,
}

/// Runs `gomodfetch mirror`.
pub async fn run(args: Args, printer: &Printer) -> CmdResult {
    if let Some(Action::Verify(v)) = args.action {
        return verify(v, printer).await;
    }
    let Some(to) = args.to.clone() else {
        printer.error("gomodfetch: mirror needs --to DIR (or `mirror verify DIR`)");
        return Ok(ExitStatus::Failure);
    };
    let env = Env::from_process();
    let mut settings = Settings::from_env(&env)?;
    settings
        .trust
        .extra_ca_files
        .extend(args.cacert.iter().cloned());
    std::fs::create_dir_all(&to).map_err(|source| DirError {
        dir: to.clone(),
        source,
    })?;
    let root = std::fs::canonicalize(&to).map_err(|source| DirError {
        dir: to.clone(),
        source,
    })?;
    let tree = MirrorTree::new(root.clone());
    // One run at a time per tree: a second run would sweep the first one's
    // temp files and race it for manifest.json. (A dot-file: never served,
    // never in the manifest.)
    let lock_file = tree.lock_file();
    let _lock = match crate::cache::lock::try_lock_exclusive(&lock_file) {
        Ok(Some(lock)) => lock,
        Ok(None) => {
            printer.status(&format!(
                "Blocking waiting for file lock on `{}` (another mirror run)",
                lock_file.display()
            ));
            let f = lock_file.clone();
            tokio::task::spawn_blocking(move || crate::cache::lock::lock_exclusive(&f))
                .await?
                .map_err(|source| DirError {
                    dir: lock_file.clone(),
                    source,
                })?
        }
        Err(source) => {
            return Err(Box::new(DirError {
                dir: lock_file,
                source,
            }));
        }
    };
    let previous = Manifest::read(&tree.manifest_file())?;
    let client = Client::new(ClientOptions {
        trust: settings.trust.clone(),
        netrc: settings.netrc.clone(),
        http_proxy: settings.http_proxy.clone(),
        retry: RetryPolicy {
            sleep: !settings.no_retry_delay,
            ..RetryPolicy::default()
        },
        trace: None,
    })?;

    // Where modules come from: the cache first when mirroring one.
    let mut goproxy = settings.goproxy.clone();
    if let Some(cache) = &args.from_cache {
        let cache = std::fs::canonicalize(cache).map_err(|source| DirError {
            dir: cache.clone(),
            source,
        })?;
        let url =
            url::Url::from_directory_path(cache.join("cache").join("download")).map_err(|()| {
                DirError {
                    dir: cache.clone(),
                    source: std::io::Error::other("not an absolute path"),
                }
            })?;
        goproxy = format!("{},{goproxy}", url.as_str().trim_end_matches('/'));
    }
    let vendor = settings.goflags.mod_mode.as_deref() == Some("vendor");
    let router = Router::new(client.clone(), &goproxy, &settings.gonoproxy, vendor);

    // The checksum database, unless GOSUMDB=off.
    let sumdb = if settings.gosumdb == "off" {
        None
    } else {
        let cfg = parse_gosumdb(
            &settings.gosumdb,
            &[(defaults::GOSUMDB, defaults::GOSUMDB_KEY)],
            &[],
        )?;
        if let Some(prev) = previous.as_ref().and_then(|m| m.sumdb.as_ref())
            && prev.name != cfg.name
        {
            return Err(Box::new(OtherLogError {
                dir: root.clone(),
                had: prev.name.clone(),
                now: cfg.name.clone(),
            }));
        }
        let ops = HttpOps::new(
            client.clone(),
            cfg.clone(),
            &settings.goproxy,
            &settings.gonoproxy,
            None,
            None,
        );
        let dir = tree.sumdb_dir(&cfg.name);
        let remote = Remote {
            client: client.clone(),
            ops: Arc::new(ops),
        };
        Some(SumdbMirror::new(&cfg.key, dir, Some(remote))?)
    };
    let mirror = Arc::new(Mirror::new(
        tree.clone(),
        router,
        sumdb,
        &settings.gonosumdb,
        previous,
    ));

    let failed = std::cell::Cell::new(false);
    let report = |msg: &str| {
        failed.set(true);
        printer.error(&format!("gomodfetch: {msg}"));
    };

    // Module arguments and list files, resolved to versions.
    let mut queries = args.modules.clone();
    for file in &args.list {
        match sources::read_list(file) {
            Ok(more) => queries.extend(more),
            Err(e) => report(&e.to_string()),
        }
    }
    let scratch = tempfile::tempdir()?;
    let mut query_settings = settings.clone();
    query_settings.gomodcache = Ok(scratch.path().join("modcache"));
    let fetcher = Fetcher::new(
        &query_settings,
        Client::new(ClientOptions {
            trust: settings.trust.clone(),
            netrc: settings.netrc.clone(),
            http_proxy: settings.http_proxy.clone(),
            retry: RetryPolicy::default(),
            trace: None,
        })?,
        Arc::new(NoReporter),
    );
    let mut named = Vec::new();
    for q in &queries {
        let Some((path, query)) = q.split_once('@') else {
            report(&format!(
                "cannot mirror {q:?} without a version: use {q}@latest"
            ));
            continue;
        };
        if semver::canonical_module_version(query) == query && semver::is_valid(query) {
            named.push(ModuleVersion::new(path, query));
            continue;
        }
        match fetcher.query(path, query).await {
            Ok(info) => named.push(ModuleVersion::new(path, &info.version)),
            Err(e) => report(&e.to_string()),
        }
    }

    let mut full: BTreeSet<ModuleVersion> = named.iter().cloned().collect();
    let mut go_mods: BTreeSet<ModuleVersion> = BTreeSet::new();
    let mut projects = Vec::new();
    for from in &args.from {
        match sources::open_project(from) {
            Ok(ws) => projects.push(ws),
            Err(e) => report(&e.to_string()),
        }
    }
    if args.with_deps && !named.is_empty() {
        match sources::synthetic_project(scratch.path(), &named) {
            Ok(ws) => projects.push(ws),
            Err(e) => report(&e.to_string()),
        }
    }
    for ws in projects {
        match sources::project_needs(mirror.clone(), ws, args.jobs).await {
            Ok(needs) => {
                full.extend(needs.full);
                go_mods.extend(needs.go_mods);
            }
            Err(e) => report(&e.to_string()),
        }
    }
    if let Some(cache) = &args.from_cache {
        match sources::cache_modules(cache) {
            Ok(mods) => {
                for (m, has_zip) in mods {
                    if has_zip {
                        full.insert(m);
                    } else {
                        go_mods.insert(m);
                    }
                }
            }
            Err(e) => report(&e.to_string()),
        }
    }
    if full.is_empty() && go_mods.is_empty() && !failed.get() {
        printer.error(
            "gomodfetch: nothing to mirror (give MODULE@QUERY, --from, --from-cache or --list)",
        );
        return Ok(ExitStatus::Failure);
    }

    // Fetch, verify and store, many at once.
    go_mods.retain(|m| !full.contains(m));
    let jobs = args.jobs.max(1);
    let mod_errors: Vec<String> = futures_util::stream::iter(go_mods.iter())
        .map(|m| {
            let mirror = mirror.clone();
            async move { mirror.go_mod(&m.path, &m.version).await.err() }
        })
        .buffer_unordered(jobs)
        .filter_map(|e| async move { e.map(|e| e.to_string()) })
        .collect()
        .await;
    let module_errors: Vec<String> = futures_util::stream::iter(full.iter())
        .map(|m| {
            let mirror = mirror.clone();
            async move { mirror.module(&m.path, &m.version).await.err() }
        })
        .buffer_unordered(jobs)
        .filter_map(|e| async move { e.map(|e| e.to_string()) })
        .collect()
        .await;
    let mut errors: Vec<String> = mod_errors.into_iter().chain(module_errors).collect();
    errors.sort();
    errors.dedup();
    for e in &errors {
        report(e);
    }

    let manifest = match mirror.finish().await {
        Ok(m) => m,
        Err(e) => {
            report(&e.to_string());
            return Ok(ExitStatus::Failure);
        }
    };
    let counts = mirror.counts();
    let head = manifest
        .sumdb
        .as_ref()
        .map(|s| format!(", proofs against {} tree#{}", s.name, s.tree_size))
        .unwrap_or_default();
    printer.status(&format!(
        "Mirrored {} module versions into {} ({} files fetched, {} reused, {} replaced{head})",
        manifest.modules.len(),
        root.display(),
        counts.fetched,
        counts.reused,
        counts.replaced
    ));
    if let (Some(since), Some(delta_to)) = (&args.delta_since, &args.delta_to) {
        match Manifest::read(since) {
            Ok(Some(old)) => match write_delta(&tree, &manifest, &old, delta_to) {
                Ok(copied) => printer.status(&format!(
                    "Delta: {} changed files written to {}",
                    copied.len(),
                    delta_to.display()
                )),
                Err(e) => report(&e.to_string()),
            },
            Ok(None) => report(&format!("Cannot read `{}`: no such file", since.display())),
            Err(e) => report(&e.to_string()),
        }
    }
    Ok(if failed.get() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// Runs `gomodfetch mirror verify`.
async fn verify(args: VerifyArgs, printer: &Printer) -> CmdResult {
    if args.key.is_none() {
        printer.status(
            "note: checking proofs with the key manifest.json records; pass --key to check against your own copy",
        );
    }
    let report = verify_tree(args.dir.clone(), args.key.clone()).await?;
    for p in &report.problems {
        printer.error(&format!("gomodfetch: {p}"));
    }
    if report.problems.is_empty() {
        let proofs = match report.tree_size {
            Some(n) => format!(", proofs against tree#{n}"),
            None => String::new(),
        };
        printer.status(&format!(
            "{}: all {} module versions and {} files verified{proofs}",
            args.dir.display(),
            report.modules,
            report.files
        ));
        Ok(ExitStatus::Success)
    } else {
        printer.status(&format!(
            "{}: {} problems",
            args.dir.display(),
            report.problems.len()
        ));
        Ok(ExitStatus::Failure)
    }
}

/// The mirror directory could not be created or resolved.
#[derive(Debug, thiserror::Error)]
#[error("Cannot use `{}`", dir.display())]
struct DirError {
    dir: PathBuf,
    #[source]
    source: std::io::Error,
}

/// The tree was built against another checksum database.
#[derive(Debug, thiserror::Error)]
#[error(
    "`{}` holds proofs from checksum database `{had}`, but GOSUMDB names `{now}`: a tree head from a different log cannot be mixed in (use another --to)",
    dir.display()
)]
struct OtherLogError {
    dir: PathBuf,
    had: String,
    now: String,
}
