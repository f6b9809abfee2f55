//! One module@version end to end, as Go's modfetch/fetch.go and cache.go
//! do it: cache check, proxy list walk, body streamed into a temp file with
//! a size cap, `h1:`, the checksum hook ([`SumCheck`]), commit in Go's write
//! order, extraction. Plus version queries as modload/query.go resolves
//! them for `go mod download` (spec/integrity.md §6.5-6.6).
//!
//! Public API (small on purpose):
//! - [`Fetcher::new`], [`Fetcher::with_sum_check`];
//! - [`Fetcher::query`]: `path@query` → [`RevInfo`] (writes `.info`);
//! - [`Fetcher::go_mod`]: the `.mod` bytes as the cache holds them;
//! - [`Fetcher::download`]: everything `go mod download` leaves → [`Downloaded`];
//! - [`Fetcher::speculate`] / [`Fetcher::discard_speculation`]: a zip (and
//!   `.info`) fetched ahead of need while a module graph still loads, kept
//!   private (memory, and a temp file no cleaner of Go's matches) until a
//!   later [`Fetcher::download`] of that version claims and commits it.
//!
//! Nothing becomes visible before it is verified: `.mod` is written after
//! its h1 passed [`SumCheck`]; the zip is renamed into place after its h1
//! passed and `.ziphash` was written; extraction sits behind `.partial`.
//! Concurrent calls for one module@version in this process share one
//! download; across processes Go's `<v>.lock` serialises. Never prints.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::cache::atomic;
use crate::cache::extract::{self, ExtractError};
use crate::cache::layout::{Layout, LayoutError};
use crate::cache::lock;
use crate::module::{path as modpath, pseudo, version as semver};
use crate::net::client::Client;
use crate::proxy::protocol::{self, RevInfo};
use crate::proxy::route::{Candidate, EntryKind, Router, Walk};
use crate::repo::{BoxFuture, Provenance, Repo, RepoError, RepoFile};
use crate::report::Reporter;
use crate::settings::{CacheDirError, Settings};
use crate::verify::{dirhash, zipcheck};

/// Which hash a [`SumCheck`] is asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SumKind {
    /// The module zip's `h1:` (go.sum line `path version h1:...`).
    Zip,
    /// The go.mod's `h1:` (go.sum line `path version/go.mod h1:...`).
    GoMod,
}

/// A checksum verification failure (text as the checker words it, e.g.
/// Go's `verifying m@v: checksum mismatch` block).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct SumError {
    pub message: String,
    /// The failure ends the whole command, as Go's `base.Fatalf` does: go.sum
    /// (or go.work.sum) records another hash (`haveModSumLocked`), or the
    /// checksum database forked (its SECURITY ERROR evidence).
    pub fatal: bool,
}

/// THE checksum hook (go.sum + checksum database), called with the h1 of a
/// freshly downloaded `.mod` or zip before anything of it becomes visible in
/// the cache. The sumdb/go.sum code implements this trait and is wired in
/// with [`Fetcher::with_sum_check`]. An error aborts the module; nothing is
/// written.
pub trait SumCheck: Send + Sync {
    /// Told that the hashes `kinds` of path@version will soon be checked
    /// (called before the downloads start): the checker may start, in the
    /// background, the work those checks will wait for (checksum-database
    /// reads), so that it overlaps the downloads. Must not block, fail, or
    /// make anything visible. Default: nothing.
    fn prefetch(&self, _path: &str, _version: &str, _kinds: &[SumKind]) {}

    fn check<'a>(
        &'a self,
        path: &'a str,
        version: &'a str,
        kind: SumKind,
        h1: &'a str,
    ) -> BoxFuture<'a, Result<(), SumError>>;
}

/// The default: accept everything, as `GOSUMDB=off` with no go.sum does.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoSumCheck;

impl SumCheck for NoSumCheck {
    fn check<'a>(
        &'a self,
        _path: &'a str,
        _version: &'a str,
        _kind: SumKind,
        _h1: &'a str,
    ) -> BoxFuture<'a, Result<(), SumError>> {
        Box::pin(async { Ok(()) })
    }
}

/// What `go mod download` reports for one module (paths in the cache).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    pub path: String,
    pub version: String,
    pub info: PathBuf,
    pub go_mod: PathBuf,
    pub zip: PathBuf,
    pub dir: PathBuf,
    /// The zip's `h1:`.
    pub sum: String,
    /// The go.mod's `h1:`.
    pub go_mod_sum: String,
}

/// What a download did, step by step, and the error that stopped it.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub info: Option<PathBuf>,
    pub go_mod: Option<PathBuf>,
    pub go_mod_sum: Option<String>,
    pub zip: Option<PathBuf>,
    pub sum: Option<String>,
    pub dir: Option<PathBuf>,
    pub error: Option<FetchError>,
}

/// The cause of a failed fetch.
#[derive(Debug, thiserror::Error)]
pub enum FetchErrorKind {
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Layout(#[from] LayoutError),
    #[error(transparent)]
    CacheDir(#[from] CacheDirError),
    #[error(transparent)]
    Sum(#[from] SumError),
    /// A zip entry outside `<path>@<version>/`.
    #[error("zip for {module} has unexpected file {name}")]
    UnexpectedFile { module: String, name: String },
    /// The zip could not be read or hashed.
    #[error("{0}")]
    BadZip(String),
    #[error(transparent)]
    Extract(#[from] ExtractError),
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A query no version satisfies.
    #[error("no matching versions for query {0:?}")]
    NoMatch(String),
    #[error("invalid semantic version {version:?} in range {query:?}")]
    BadRange { version: String, query: String },
    #[error("ambiguous semantic version {version:?} in range {query:?}")]
    AmbiguousRange { version: String, query: String },
    #[error("can't query version \"patch\" of module {0}: no existing version is required")]
    NoPatchBase(String),
    /// A revision query answered with a version that is not valid for the path.
    #[error("{0}")]
    Invalid(String),
}

/// How Go words the module context of an error (x/mod `ModuleError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// `path@version: cause`
    Version,
    /// `path@version: invalid version: cause` (a non-canonical query failed)
    InvalidVersion,
    /// `module path: cause` (version lists, queries that match nothing)
    Module,
    /// `cause` alone (zip content, checksum, extraction errors carry their own)
    Bare,
}

/// A failed fetch of `path@version`, worded as Go's `ModuleError`.
#[derive(Debug, Clone)]
pub struct FetchError {
    pub path: String,
    /// The version or query.
    pub version: String,
    pub context: Context,
    pub kind: Arc<FetchErrorKind>,
    /// Where the bytes that failed came from (a proxy response's redacted
    /// URL, or a cache file), when known. Not part of `Display` (Go's text,
    /// which `--json` prints); [`FetchError::describe`] adds it.
    pub from: Option<Provenance>,
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (path, version, kind) = (&self.path, &self.version, &self.kind);
        match self.context {
            Context::Version => write!(f, "{path}@{version}: {kind}"),
            Context::InvalidVersion => {
                let noun = if pseudo::is_pseudo_version(version) {
                    "pseudo-version"
                } else {
                    "version"
                };
                write!(f, "{path}@{version}: invalid {noun}: {kind}")
            }
            Context::Module => write!(f, "module {path}: {kind}"),
            Context::Bare => write!(f, "{kind}"),
        }
    }
}

impl std::error::Error for FetchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.kind.as_ref())
    }
}

impl FetchError {
    /// A go.sum mismatch or a forked checksum database, which end the whole
    /// command as Go's do (see [`SumError::fatal`]).
    pub fn is_fatal(&self) -> bool {
        matches!(self.kind.as_ref(), FetchErrorKind::Sum(s) if s.fatal)
    }

    /// An error in `path@version` context; causes that carry their own
    /// wording (zip content, checksums, extraction, cache dir) stay bare.
    fn new(path: &str, version: &str, kind: impl Into<FetchErrorKind>) -> Self {
        let kind = kind.into();
        let context = match &kind {
            FetchErrorKind::UnexpectedFile { .. }
            | FetchErrorKind::BadZip(_)
            | FetchErrorKind::Sum(_)
            | FetchErrorKind::Extract(_)
            | FetchErrorKind::CacheDir(_)
            | FetchErrorKind::Io { .. } => Context::Bare,
            FetchErrorKind::NoMatch(_) => Context::Module,
            // Direct mode's errors carry Go's module context already.
            FetchErrorKind::Repo(RepoError::Direct(_)) => Context::Bare,
            _ => Context::Version,
        };
        Self {
            path: path.to_string(),
            version: version.to_string(),
            context,
            kind: Arc::new(kind),
            from: None,
        }
    }

    /// Records where the failing bytes came from (kept if already known).
    fn at(mut self, from: Option<Provenance>) -> Self {
        if self.from.is_none() {
            self.from = from;
        }
        self
    }

    /// The human-readable form: Go's text, then, when that text does not
    /// already name them, one more line with the module@version and the
    /// place the failing bytes came from:
    /// `<go text>\n\t(<path>@<version> from <url>)`, either part left out
    /// when Go's text has it (`\t(from <url>)`, `\t(<path>@<version>)`).
    /// `--json` prints `Display` (Go's text) alone.
    pub fn describe(&self) -> String {
        let text = self.to_string();
        let module = format!("{}@{}", self.path, self.version);
        // `module <path>: ...` (a query no version matches) names it too.
        let named = text.contains(&module)
            || (self.context == Context::Module && text.contains(self.path.as_str()));
        let name_module = !named && !self.path.is_empty();
        let place = self.from.as_ref().filter(|p| {
            // Go's text already names the URL (HTTP errors) or the
            // GOPROXY entry (`invalid response from proxy "..."`).
            !text.contains(&p.place) && !p.entry.as_ref().is_some_and(|e| text.contains(e.as_str()))
        });
        let line = match (name_module, place) {
            (false, None) => return text,
            (true, None) => format!("({module})"),
            (false, Some(p)) => format!("(from {})", p.place),
            (true, Some(p)) => format!("({module} from {})", p.place),
        };
        // Go's checksum-mismatch block ends in a newline already.
        format!("{}\n\t{line}", text.trim_end_matches('\n'))
    }

    fn with_context(mut self, context: Context) -> Self {
        // Direct mode's errors carry Go's module context already.
        if !matches!(&*self.kind, FetchErrorKind::Repo(RepoError::Direct(_))) {
            self.context = context;
        }
        self
    }

    /// The Origin Go records with a failure (direct mode: the RepoSum of a
    /// repository that lacks the revision), for `-json`'s `Origin`.
    pub fn origin(&self) -> Option<protocol::Origin> {
        match &*self.kind {
            FetchErrorKind::Repo(RepoError::Direct(d)) => d.origin.clone(),
            _ => None,
        }
    }

    /// Whether the cause is Go's not-found class.
    pub fn is_not_found(&self) -> bool {
        matches!(&*self.kind, FetchErrorKind::Repo(e) if e.is_not_found())
    }
}

fn io_err<'a>(
    op: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> FetchErrorKind + 'a {
    move |source| FetchErrorKind::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

type Key = (String, String);
type ModCell = Arc<OnceCell<Result<Vec<u8>, FetchError>>>;

/// Fetches modules into one GOMODCACHE through one GOPROXY list.
pub struct Fetcher {
    layout: Result<Layout, CacheDirError>,
    router: Router,
    reporter: Arc<dyn Reporter>,
    sums: Arc<dyn SumCheck>,
    modcacherw: bool,
    downloads: Mutex<HashMap<Key, Arc<OnceCell<Outcome>>>>,
    mods: Mutex<HashMap<Key, ModCell>>,
    /// Speculative fetches not yet claimed, and abandoned ones still
    /// winding down (awaited by [`Fetcher::discard_speculation`]).
    speculative: Mutex<Speculations>,
}

#[derive(Default)]
struct Speculations {
    running: HashMap<Key, tokio::task::JoinHandle<Speculated>>,
    abandoned: Vec<tokio::task::JoinHandle<Speculated>>,
}

/// What a speculative fetch got: the `.info` answer (in memory) and the zip
/// in a private temp file with its `h1:`. Nothing of it is visible in the
/// cache; dropping it removes the temp file.
#[derive(Default)]
struct Speculated {
    info: Option<RevInfo>,
    zip: Option<SpecZip>,
}

/// A speculatively fetched zip: its temp file, `h1:` and where it came from.
struct SpecZip {
    tmp: TempGuard,
    h1: String,
    from: Option<Provenance>,
}

/// Calls [`Reporter::on_finish`] for one transfer when dropped.
struct Finished(Arc<dyn Reporter>, usize);

impl Drop for Finished {
    fn drop(&mut self) {
        self.0.on_finish(self.1);
    }
}

/// A temp file removed on drop unless [`TempGuard::keep`] disarmed it.
struct TempGuard(Option<PathBuf>);

impl TempGuard {
    fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }
    fn keep(mut self) {
        self.0 = None;
    }
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// How old a speculative zip temp must be before a later download of the
/// same version removes it as a crash leftover.
const SPECULATION_STALE: std::time::Duration = std::time::Duration::from_secs(3600);

/// The temp-name prefix of a speculative zip: `<version>.spec-zip`, which
/// neither Go's `downloadZip` cleaner (`<version>.zip*.tmp`, run under the
/// lock this writer does not hold) nor `rewriteVersionList` (`*.mod`) nor
/// [`atomic::remove_stale_temps`] touches; only a later download removes an
/// hour-old one ([`SPECULATION_STALE`]).
fn speculative_prefix(version: &str) -> String {
    format!("{version}.spec-zip")
}

impl Fetcher {
    /// A fetcher for `settings`, sending requests through `client` and
    /// progress to `reporter`. Checksums are not checked until
    /// [`Fetcher::with_sum_check`] installs a checker.
    pub fn new(settings: &Settings, client: Client, reporter: Arc<dyn Reporter>) -> Self {
        let vendor = settings.goflags.mod_mode.as_deref() == Some("vendor");
        Self {
            layout: settings.cache_root().map(Layout::new),
            router: Router::new(client, &settings.goproxy, &settings.gonoproxy, vendor),
            reporter,
            sums: Arc::new(NoSumCheck),
            modcacherw: settings.goflags.modcacherw,
            downloads: Mutex::default(),
            mods: Mutex::default(),
            speculative: Mutex::default(),
        }
    }

    /// Enables direct mode (fetching from version control) for `direct`
    /// entries and GONOPROXY matches.
    pub fn with_direct(mut self, direct: Arc<crate::codehost::direct::Direct>) -> Self {
        self.router = self.router.with_direct(direct);
        self
    }

    /// Installs the checksum checker (go.sum / checksum database).
    pub fn with_sum_check(mut self, sums: Arc<dyn SumCheck>) -> Self {
        self.sums = sums;
        self
    }

    /// The cache layout, or Go's error for a missing/relative cache dir.
    pub fn layout(&self) -> Result<&Layout, CacheDirError> {
        self.layout.as_ref().map_err(Clone::clone)
    }

    fn layout_for(&self, path: &str, version: &str) -> Result<&Layout, FetchError> {
        self.layout().map_err(|e| FetchError::new(path, version, e))
    }

    // ---- .info -------------------------------------------------------------

    /// `Stat` through the cache (`cachingRepo.Stat`): a canonical version's
    /// `.info` is read from disk when present; otherwise asked of the proxy
    /// list and written under the resolved version.
    async fn stat(&self, path: &str, rev: &str) -> Result<RevInfo, FetchError> {
        self.stat_with(path, rev, None).await
    }

    /// [`Fetcher::stat`], with the proxy's answer possibly already in hand
    /// (`pre`, from a speculative fetch of this canonical version).
    async fn stat_with(
        &self,
        path: &str,
        rev: &str,
        pre: Option<RevInfo>,
    ) -> Result<RevInfo, FetchError> {
        let layout = self.layout_for(path, rev)?;
        if semver::canonical_module_version(rev) == rev
            && let Ok(file) = layout.file(path, rev, "info")
            // A small local file: read in place, not on the blocking pool.
            && let Ok(data) = std::fs::read(&file)
            && let Ok(info) = protocol::parse_info(&data)
            && info.version == rev
        {
            return Ok(info);
        }
        if let Some(info) = pre.filter(|i| i.version == rev) {
            self.write_info_replacing(path, &info, true).await?;
            return Ok(info);
        }
        if semver::canonical_module_version(rev) == rev {
            // A version not in the cache: every caller downloads it next,
            // so its checksum-database reads can start now.
            self.sums
                .prefetch(path, rev, &[SumKind::GoMod, SumKind::Zip]);
        }
        let owned = rev.to_string();
        let (info, _) = self
            .router
            .try_proxies_at(path, Some(RepoFile::Info(rev)), &move |r: &dyn Repo| {
                r.stat(owned.clone())
            })
            .await
            .map_err(|(e, from)| {
                let err = FetchError::new(path, rev, e).at(from);
                if semver::canonical_module_version(rev) != rev {
                    err.with_context(Context::InvalidVersion)
                } else {
                    err
                }
            })?;
        // Go's cachingRepo.Stat writes what it resolved unconditionally
        // (writeDiskStat), replacing an existing `.info` of that version.
        self.write_info_replacing(path, &info, true).await?;
        Ok(info)
    }

    async fn write_info(&self, path: &str, info: &RevInfo) -> Result<(), FetchError> {
        self.write_info_replacing(path, info, false).await
    }

    async fn write_info_replacing(
        &self,
        path: &str,
        info: &RevInfo,
        replace: bool,
    ) -> Result<(), FetchError> {
        let layout = self.layout_for(path, &info.version)?;
        let file = layout
            .file(path, &info.version, "info")
            .map_err(|e| FetchError::new(path, &info.version, e))?;
        if !replace && tokio::fs::metadata(&file).await.is_ok() {
            return Ok(());
        }
        let data = protocol::cache_info_bytes(info);
        let f2 = file.clone();
        blocking(move || atomic::write_file(&f2, &data))
            .await
            .map_err(io_err("write", &file))
            .map_err(|e| FetchError::new(path, &info.version, e))
    }

    /// `InfoFile`: the `.info` of a canonical version and its cache path.
    pub async fn info_file(
        &self,
        path: &str,
        version: &str,
    ) -> Result<(RevInfo, PathBuf), FetchError> {
        self.info_file_with(path, version, None).await
    }

    async fn info_file_with(
        &self,
        path: &str,
        version: &str,
        pre: Option<RevInfo>,
    ) -> Result<(RevInfo, PathBuf), FetchError> {
        let info = self.stat_with(path, version, pre).await?;
        let file = self
            .layout_for(path, version)?
            .file(path, version, "info")
            .map_err(|e| FetchError::new(path, version, e))?;
        if tokio::fs::metadata(&file).await.is_err() {
            self.write_info(path, &info).await?;
        }
        Ok((info, file))
    }

    // ---- .mod --------------------------------------------------------------

    /// The `.mod` of a canonical version as the cache holds it: read from
    /// the cache, or fetched, checked by [`SumCheck`] and written.
    pub async fn go_mod(&self, path: &str, version: &str) -> Result<Vec<u8>, FetchError> {
        let cell = {
            let mut map = self.mods.lock().unwrap_or_else(|e| e.into_inner());
            map.entry((path.to_string(), version.to_string()))
                .or_default()
                .clone()
        };
        cell.get_or_init(|| self.go_mod_uncached(path, version))
            .await
            .clone()
    }

    async fn go_mod_uncached(&self, path: &str, version: &str) -> Result<Vec<u8>, FetchError> {
        let wrap = |e: FetchErrorKind| FetchError::new(path, version, e);
        let file = self
            .layout_for(path, version)?
            .file(path, version, "mod")
            .map_err(|e| wrap(e.into()))?;
        if let Ok(data) = tokio::fs::read(&file).await
            && !data.starts_with(b"//vgo 0.0.")
        {
            // Go checks cached go.mod files too (readDiskGoMod → checkGoMod).
            let h1 = dirhash::hash_go_mod(&data);
            self.sums
                .check(path, version, SumKind::GoMod, &h1)
                .await
                .map_err(|e| wrap(e.into()).at(Some(Provenance::cache_file(&file))))?;
            return Ok(data);
        }
        self.sums.prefetch(path, version, &[SumKind::GoMod]);
        let owned = version.to_string();
        let (data, from) = self
            .router
            .try_proxies_at(path, Some(RepoFile::Mod(version)), &move |r: &dyn Repo| {
                r.go_mod(owned.clone())
            })
            .await
            .map_err(|(e, from)| wrap(e.into()).at(from))?;
        let h1 = dirhash::hash_go_mod(&data);
        self.sums
            .check(path, version, SumKind::GoMod, &h1)
            .await
            .map_err(|e| wrap(e.into()).at(from))?;
        let (f2, d2) = (file.clone(), data.clone());
        blocking(move || atomic::write_file(&f2, &d2))
            .await
            .map_err(|e| wrap(io_err("write", &file)(e)))?;
        Ok(data)
    }

    // ---- zip and extraction -------------------------------------------------

    /// Everything `go mod download path@version` does for a canonical
    /// version: `.info`, `.mod`, zip + `.ziphash`, extracted tree.
    pub async fn download(&self, path: &str, version: &str) -> Result<Downloaded, FetchError> {
        let outcome = self.download_outcome(path, version).await;
        match outcome.error {
            Some(e) => Err(e),
            None => Ok(Downloaded {
                path: path.to_string(),
                version: version.to_string(),
                info: outcome.info.unwrap_or_default(),
                go_mod: outcome.go_mod.unwrap_or_default(),
                zip: outcome.zip.unwrap_or_default(),
                dir: outcome.dir.unwrap_or_default(),
                sum: outcome.sum.unwrap_or_default(),
                go_mod_sum: outcome.go_mod_sum.unwrap_or_default(),
            }),
        }
    }

    /// Like [`Fetcher::download`], but keeps what was done before a failure
    /// (`go mod download -json` reports `Info`/`GoMod`/... next to `Error`).
    /// Concurrent calls for one module@version share one download.
    pub async fn download_outcome(&self, path: &str, version: &str) -> Outcome {
        let cell = {
            let mut map = self.downloads.lock().unwrap_or_else(|e| e.into_inner());
            map.entry((path.to_string(), version.to_string()))
                .or_default()
                .clone()
        };
        cell.get_or_init(|| async {
            if let Some(out) = self.warm_hit(path, version).await {
                return out;
            }
            // Not complete in the cache: the checks will need the database
            // while .info/.mod/zip download; start its reads now.
            self.sums
                .prefetch(path, version, &[SumKind::GoMod, SumKind::Zip]);
            let spec = self.claim_speculation(path, version).await;
            let mut out = Outcome::default();
            if let Err(e) = self.download_steps(path, version, &mut out, spec).await {
                out.error = Some(e);
            }
            out
        })
        .await
        .clone()
    }

    /// The warm-cache fast path: everything already complete in the cache
    /// is checked in one blocking call (instead of a dozen async file
    /// operations), then the checksum hook sees both hashes as on the slow
    /// path. `None` when anything is missing: the slow path decides.
    async fn warm_hit(&self, path: &str, version: &str) -> Option<Outcome> {
        // Probed in place: a handful of reads of small local files, cheaper
        // than any hand-off to the blocking pool or `block_in_place` (whose
        // thread wake-ups dominated a warm run's profile). A shared lock on
        // `.ziphash` waits at most for a writer's few-byte write.
        let hit = crate::cache::warm::probe(self.layout().ok()?, path, version)?;
        let wrap = |e: FetchErrorKind| FetchError::new(path, version, e);
        let mut out = Outcome {
            info: Some(hit.info_path),
            go_mod: Some(hit.go_mod_path),
            ..Outcome::default()
        };
        let go_mod_sum = dirhash::hash_go_mod(&hit.go_mod);
        if let Err(e) = self
            .sums
            .check(path, version, SumKind::GoMod, &go_mod_sum)
            .await
        {
            let from = out.go_mod.as_deref().map(Provenance::cache_file);
            out.error = Some(wrap(e.into()).at(from));
            return Some(out);
        }
        out.go_mod_sum = Some(go_mod_sum);
        let from = Provenance::cache_file(&hit.zip_path);
        out.zip = Some(hit.zip_path);
        if let Err(e) = self.sums.check(path, version, SumKind::Zip, &hit.sum).await {
            out.sum = Some(hit.sum);
            out.error = Some(wrap(e.into()).at(Some(from)));
            return Some(out);
        }
        out.sum = Some(hit.sum);
        out.dir = Some(hit.dir);
        Some(out)
    }

    async fn download_steps(
        &self,
        path: &str,
        version: &str,
        out: &mut Outcome,
        spec: Speculated,
    ) -> Result<(), FetchError> {
        // Same order as modcmd/download.go `DownloadModule`.
        let Speculated {
            info: pre_info,
            zip: pre_zip,
        } = spec;
        let (_, info) = self.info_file_with(path, version, pre_info).await?;
        out.info = Some(info);
        let go_mod_bytes = self.go_mod(path, version).await?;
        let layout = self.layout_for(path, version)?;
        let wrap = |e: FetchErrorKind| FetchError::new(path, version, e);
        out.go_mod = Some(
            layout
                .file(path, version, "mod")
                .map_err(|e| wrap(e.into()))?,
        );
        out.go_mod_sum = Some(dirhash::hash_go_mod(&go_mod_bytes));
        let (zip, from) = self.download_zip(path, version, pre_zip).await?;
        out.zip = Some(zip.clone());
        let ziphash = layout
            .file(path, version, "ziphash")
            .map_err(|e| wrap(e.into()))?;
        if let Ok(data) = blocking({
            let z = ziphash.clone();
            move || lock::read_shared(&z)
        })
        .await
        {
            out.sum = Some(String::from_utf8_lossy(&data).trim().to_string());
        }
        // Go's checkMod: the zip's hash is checked on every use, cached or
        // not (a repeat check of a fresh download is answered from memory).
        if let Some(h1) = &out.sum {
            self.sums
                .check(path, version, SumKind::Zip, h1)
                .await
                .map_err(|e| wrap(e.into()).at(Some(from.clone())))?;
        }
        out.dir = Some(
            self.extract(path, version, &zip)
                .await
                .map_err(|e| e.at(Some(from)))?,
        );
        Ok(())
    }

    /// `DownloadZip`: the zip in the cache, downloading it if needed (or
    /// committing `pre`, a speculative fetch of it with its `h1:`), and
    /// where its bytes came from (the proxy URL, or the cache file).
    async fn download_zip(
        &self,
        path: &str,
        version: &str,
        pre: Option<SpecZip>,
    ) -> Result<(PathBuf, Provenance), FetchError> {
        let wrap = |e: FetchErrorKind| FetchError::new(path, version, e);
        let layout = self.layout_for(path, version)?;
        let zipfile = layout
            .file(path, version, "zip")
            .map_err(|e| wrap(e.into()))?;
        let ziphash = layout
            .file(path, version, "ziphash")
            .map_err(|e| wrap(e.into()))?;
        let cached = Provenance::cache_file(&zipfile);
        if exists(&zipfile).await && exists(&ziphash).await {
            return Ok((zipfile, cached));
        }
        let lockfile = layout
            .file(path, version, "lock")
            .map_err(|e| wrap(e.into()))?;
        let dir = zipfile.parent().map(Path::to_path_buf).unwrap_or_default();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| wrap(io_err("mkdir", &dir)(e)))?;
        let _guard = acquire(&lockfile)
            .await
            .map_err(|e| wrap(io_err("lock", &lockfile)(e)))?;
        // Re-check: another process may have finished while we waited.
        let zip_exists = exists(&zipfile).await;
        if zip_exists && exists(&ziphash).await {
            return Ok((zipfile, cached));
        }
        let base = file_name(&zipfile);
        {
            let (d, b) = (dir.clone(), base.clone());
            let spec = speculative_prefix(version);
            let _ = blocking(move || {
                atomic::remove_stale_temps(&d, &b);
                // A speculative zip a crashed run left behind; a live one
                // (another process's, in flight) is minutes old at most.
                atomic::remove_stale_temps_older_than(&d, &spec, SPECULATION_STALE);
                Ok(())
            })
            .await;
        }
        if zip_exists {
            // A zip without its hash: re-hash it, no network (Go's hashZip).
            self.hash_and_commit(path, version, &zipfile, &zipfile, &ziphash, None)
                .await
                .map_err(|e| e.at(Some(cached.clone())))?;
            return Ok((zipfile, cached));
        }
        if let Some(SpecZip { tmp, h1, from }) = pre {
            // Fetched ahead (entry names checked, hashed): now the same
            // checksum check and commit as a fresh download. Should the temp
            // file have gone meanwhile (a cleaner of someone else's), fetch
            // as if there had been no speculation.
            let from = from.unwrap_or(cached.clone());
            match self
                .hash_and_commit(path, version, tmp.path(), &zipfile, &ziphash, Some(h1))
                .await
            {
                Ok(()) => {
                    tmp.keep();
                    return Ok((zipfile, from));
                }
                Err(e) if !matches!(&*e.kind, FetchErrorKind::Io { .. }) => {
                    return Err(e.at(Some(from)));
                }
                Err(_) => drop(tmp),
            }
        }
        let (file, tmp) = {
            let (d, b) = (dir.clone(), base.clone());
            blocking(move || atomic::temp_file(&d, &b))
                .await
                .map_err(|e| wrap(io_err("create temp file in", &dir)(e)))?
        };
        let result = self
            .fetch_zip_into(path, version, tokio::fs::File::from_std(file), &tmp, false)
            .await;
        let result = match result {
            Ok(from) => {
                let from = from.unwrap_or(cached);
                self.hash_and_commit(path, version, &tmp, &zipfile, &ziphash, None)
                    .await
                    .map(|()| from.clone())
                    .map_err(|e| e.at(Some(from)))
            }
            Err(e) => Err(e),
        };
        if result.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        result.map(|from| (zipfile, from))
    }

    /// Walks the proxy list streaming the zip into `file` (rewound between
    /// entries), then checks the entry-name prefixes (Go's `downloadZip`).
    /// Says which entry's URL answered, when it can tell.
    async fn fetch_zip_into(
        &self,
        path: &str,
        version: &str,
        mut file: tokio::fs::File,
        tmp: &Path,
        only_first_proxy: bool,
    ) -> Result<Option<Provenance>, FetchError> {
        let wrap = |e: FetchErrorKind| FetchError::new(path, version, e);
        let id = self.reporter.on_start(path, version, None);
        // `on_finish` also when this future is dropped (an abandoned
        // speculative fetch), so no progress line outlives it.
        let finished = Finished(self.reporter.clone(), id);
        let reporter = self.reporter.clone();
        let progress = move |n: u64| reporter.on_progress(id, n);
        let mut walk = Walk::default();
        let mut ok = false;
        let mut answered = None;
        let mut candidates = self.router.candidates(path).map_err(|e| wrap(e.into()));
        if only_first_proxy && let Ok(c) = &mut candidates {
            c.truncate(1);
            c.retain(|(c, _, kind)| matches!(c, Candidate::Repo(_)) && *kind == EntryKind::Other);
        }
        let candidates = match candidates {
            Ok(c) => c,
            Err(e) => {
                drop(finished);
                return Err(e);
            }
        };
        for (candidate, fall_back_on_error, kind) in candidates {
            let (err, from) = match candidate {
                Candidate::Fail(e) => (e, None),
                Candidate::Repo(repo) => {
                    use tokio::io::AsyncSeekExt;
                    let from = repo.location(RepoFile::Zip(version));
                    let _ = file.set_len(0).await;
                    let _ = file.seek(std::io::SeekFrom::Start(0)).await;
                    match repo.zip(version, &mut file, tmp, &progress).await {
                        Ok(_) => {
                            ok = true;
                            answered = from;
                            break;
                        }
                        Err(e) => (e, from),
                    }
                }
            };
            if !walk.record_from(err, from, kind, fall_back_on_error) {
                break;
            }
        }
        drop(finished);
        if !ok {
            let (err, from) = walk.finish_from();
            return Err(wrap(err.into()).at(from));
        }
        let wrap = |e: FetchErrorKind| wrap(e).at(answered.clone());
        use tokio::io::AsyncWriteExt;
        file.flush()
            .await
            .map_err(|e| wrap(io_err("write", tmp)(e)))?;
        drop(file);
        let (p, v, t) = (path.to_string(), version.to_string(), tmp.to_path_buf());
        let names = blocking(move || {
            zipcheck::entry_names(&t).map_err(|e| std::io::Error::other(e.to_string()))
        })
        .await
        .map_err(|e| wrap(FetchErrorKind::BadZip(e.to_string())))?;
        let prefix = format!("{p}@{v}/");
        if let Some(bad) = names
            .into_iter()
            .find(|n| !n.starts_with(prefix.as_bytes()))
        {
            return Err(wrap(FetchErrorKind::UnexpectedFile {
                module: format!("{p}@{v}"),
                name: String::from_utf8_lossy(&bad).into_owned(),
            }));
        }
        Ok(answered)
    }

    /// `hashZip` + rename: h1 of `src` (unless `known`), [`SumCheck`],
    /// `.ziphash`, then the zip into place (when `src` is a temp file).
    async fn hash_and_commit(
        &self,
        path: &str,
        version: &str,
        src: &Path,
        zipfile: &Path,
        ziphash: &Path,
        known: Option<String>,
    ) -> Result<(), FetchError> {
        let wrap = |e: FetchErrorKind| FetchError::new(path, version, e);
        let h1 = match known {
            Some(h1) => h1,
            None => hash_zip_file(src)
                .await
                .map_err(|e| wrap(FetchErrorKind::BadZip(e.to_string())))?,
        };
        self.sums
            .check(path, version, SumKind::Zip, &h1)
            .await
            .map_err(|e| wrap(e.into()))?;
        let (zh, h) = (ziphash.to_path_buf(), h1.clone());
        blocking(move || atomic::write_locked(&zh, h.as_bytes()))
            .await
            .map_err(|e| wrap(io_err("write", ziphash)(e)))?;
        if src != zipfile {
            let (s, z) = (src.to_path_buf(), zipfile.to_path_buf());
            blocking(move || std::fs::rename(&s, &z))
                .await
                .map_err(|e| wrap(io_err("rename", zipfile)(e)))?;
        }
        Ok(())
    }

    /// `Download`'s extraction (`DownloadDir` check, then `unzip` under the lock).
    async fn extract(
        &self,
        path: &str,
        version: &str,
        zipfile: &Path,
    ) -> Result<PathBuf, FetchError> {
        let wrap = |e: FetchErrorKind| FetchError::new(path, version, e);
        let layout = self.layout_for(path, version)?;
        let dir = layout
            .module_dir(path, version)
            .map_err(|e| wrap(e.into()))?;
        let partial = layout
            .file(path, version, "partial")
            .map_err(|e| wrap(e.into()))?;
        let ziphash = layout
            .file(path, version, "ziphash")
            .map_err(|e| wrap(e.into()))?;
        let lockfile = layout
            .file(path, version, "lock")
            .map_err(|e| wrap(e.into()))?;
        if is_complete(&dir, &partial, &ziphash).await {
            return Ok(dir);
        }
        let _guard = acquire(&lockfile)
            .await
            .map_err(|e| wrap(io_err("lock", &lockfile)(e)))?;
        if is_complete(&dir, &partial, &ziphash).await {
            return Ok(dir);
        }
        let (d, pa, p, v, z, rw) = (
            dir.clone(),
            partial.clone(),
            path.to_string(),
            version.to_string(),
            zipfile.to_path_buf(),
            self.modcacherw,
        );
        tokio::task::spawn_blocking(move || extract::extract(&d, &pa, &p, &v, &z, rw))
            .await
            .map_err(|e| wrap(FetchErrorKind::BadZip(e.to_string())))?
            .map_err(|e| wrap(e.into()))?;
        Ok(dir)
    }

    // ---- speculative fetches ----------------------------------------------------

    /// Starts fetching the zip (and `.info`) of canonical `path@version`
    /// ahead of need, at most `limit`'s permits at once: for a module a
    /// loading graph will probably select. Nothing becomes visible in the
    /// cache: the `.info` answer stays in memory, the zip in a temp file
    /// (`<version>.spec-zip<rand>.tmp`) with its `h1:`; a later
    /// [`Fetcher::download`] of exactly this version claims it and commits
    /// it as a fresh download (checksum check, `.ziphash`, rename,
    /// extraction). Skipped when the zip is already in the cache or a
    /// speculation of this version is running. Only the first GOPROXY entry
    /// is asked, and only when it is a proxy (never version control: direct
    /// mode leaves traces in `cache/vcs`). Failures are dropped: the
    /// claiming download then fetches (and reports) as usual.
    pub fn speculate(
        self: &Arc<Self>,
        path: &str,
        version: &str,
        limit: Arc<tokio::sync::Semaphore>,
    ) {
        if semver::canonical_module_version(version) != version {
            return;
        }
        let key = (path.to_string(), version.to_string());
        let mut map = self.speculative.lock().unwrap_or_else(|e| e.into_inner());
        if map.running.contains_key(&key) {
            return;
        }
        let this = self.clone();
        let (p, v) = key.clone();
        let handle = tokio::spawn(async move {
            let Ok(_permit) = limit.acquire_owned().await else {
                return Speculated::default();
            };
            this.speculate_steps(&p, &v).await
        });
        map.running.insert(key, handle);
    }

    async fn speculate_steps(&self, path: &str, version: &str) -> Speculated {
        let Ok(layout) = self.layout() else {
            return Speculated::default();
        };
        let (Ok(zipfile), Ok(info_file)) = (
            layout.file(path, version, "zip"),
            layout.file(path, version, "info"),
        ) else {
            return Speculated::default();
        };
        if exists(&zipfile).await {
            return Speculated::default();
        }
        // `.info` and zip at once: nothing here is visible, so Go's order
        // (which decides the error reported) is kept by the claiming
        // download instead, which redoes whatever failed here.
        let info = async {
            let cached = match tokio::fs::read(&info_file).await {
                Ok(data) => protocol::parse_info(&data).is_ok_and(|i| i.version == version),
                Err(_) => false,
            };
            if cached {
                return Some(None);
            }
            let repo = match self.router.candidates(path).ok()?.into_iter().next()? {
                (Candidate::Repo(r), _, EntryKind::Other) => r,
                _ => return None,
            };
            match repo.stat(version.to_string()).await {
                Ok(info) if info.version == version => Some(Some(info)),
                _ => None,
            }
        };
        let zip = async {
            let dir = zipfile.parent()?.to_path_buf();
            tokio::fs::create_dir_all(&dir).await.ok()?;
            // Created in place, not on the blocking pool: an abort between
            // the file's creation there and the guard here would leak it.
            let (file, tmp) = atomic::temp_file(&dir, &speculative_prefix(version)).ok()?;
            let guard = TempGuard(Some(tmp.clone()));
            let from = self
                .fetch_zip_into(path, version, tokio::fs::File::from_std(file), &tmp, true)
                .await
                .ok()?;
            let h1 = hash_zip_file(&tmp).await.ok()?;
            Some(SpecZip {
                tmp: guard,
                h1,
                from,
            })
        };
        match tokio::join!(info, zip) {
            (Some(info), zip) => Speculated { info, zip },
            (None, _) => Speculated::default(),
        }
    }

    /// Takes the speculation of `path@version`, waiting for it to finish.
    async fn claim_speculation(&self, path: &str, version: &str) -> Speculated {
        let handle = {
            let mut map = self.speculative.lock().unwrap_or_else(|e| e.into_inner());
            map.running.remove(&(path.to_string(), version.to_string()))
        };
        match handle {
            Some(h) => h.await.unwrap_or_default(),
            None => Speculated::default(),
        }
    }

    /// Stops the speculation of `path@version` (a higher version was
    /// selected since); its temp file goes with it.
    pub fn abandon_speculation(&self, path: &str, version: &str) {
        let mut map = self.speculative.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(h) = map.running.remove(&(path.to_string(), version.to_string())) {
            h.abort();
            map.abandoned.push(h);
        }
    }

    /// Stops every speculation except those of `keep` (path, version), and
    /// waits until the stopped ones have removed their temp files. With an
    /// empty `keep`: all of them (call before exiting).
    pub async fn discard_speculation(&self, keep: &[(String, String)]) {
        let stopped: Vec<tokio::task::JoinHandle<Speculated>> = {
            let mut map = self.speculative.lock().unwrap_or_else(|e| e.into_inner());
            let keys: Vec<Key> = map
                .running
                .keys()
                .filter(|k| !keep.contains(k))
                .cloned()
                .collect();
            let mut stopped = std::mem::take(&mut map.abandoned);
            for k in keys {
                if let Some(h) = map.running.remove(&k) {
                    stopped.push(h);
                }
            }
            stopped
        };
        for h in stopped {
            h.abort();
            // A finished task's output (and its temp file) is dropped here;
            // an aborted one dropped its future before this returns.
            drop(h.await);
        }
    }

    // ---- queries -------------------------------------------------------------

    /// Resolves `path@query` as `go mod download` does outside a module
    /// (modload/query.go `queryProxy` with no current version and
    /// retractions allowed-checked).
    pub async fn query(&self, path: &str, query: &str) -> Result<RevInfo, FetchError> {
        self.query_from(path, query, "", &|_| false).await
    }

    /// `queryProxy` inside a module: `current` is the version the build list
    /// selects for `path` (`""` or `none`: none), which `upgrade` and `patch`
    /// are relative to (and may stay on); `excluded` are the main modules'
    /// `exclude` versions, skipped like retracted ones by every query that
    /// chooses among versions (modload `CheckAllowed`).
    pub async fn query_from(
        &self,
        path: &str,
        query: &str,
        current: &str,
        excluded: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<RevInfo, FetchError> {
        let err = |k: FetchErrorKind| FetchError::new(path, query, k);
        let current = if current == "none" { "" } else { current };
        let matcher = match Matcher::new(path, query, current) {
            Ok(m) => m,
            Err(QueryKind::Revision) => return self.stat_query(path, query).await,
            Err(QueryKind::Bad(k)) => return Err(err(*k)),
        };
        if matcher.can_stat {
            return self.stat_query(path, query).await;
        }
        let lines = self
            .router
            .try_proxies(path, &|r: &dyn Repo| r.versions())
            .await
            .map_err(|e| {
                // Proxy errors are worded `module path: ...` (versionError
                // with no version); synthetic ones get the query.
                let http = matches!(e, RepoError::Http(_) | RepoError::InvalidResponse { .. });
                let e = err(e.into());
                if http {
                    e.with_context(Context::Module)
                } else {
                    e
                }
            })?;
        let versions = protocol::tagged_versions(&lines, &matcher.prefix);
        // `allowsVersion` consults the retractions (`CheckAllowed`) only for
        // a version that passes the prefix, the filter and the exclusions,
        // and `upgrade`/`patch` for the current version they stay on; they
        // come from the go.mod of the module's latest version, whatever the
        // query's prefix (`queryLatestVersionIgnoringRetractions`).
        let all = protocol::tagged_versions(&lines, "");
        let mut retracted: Option<Vec<(String, String)>> = None;
        if versions.iter().any(|v| matcher.allows(v) && !excluded(v)) {
            retracted = Some(self.retractions(path, &all).await);
        }
        let is_retracted = |r: &Option<Vec<(String, String)>>, v: &str| {
            r.as_deref()
                .unwrap_or_default()
                .iter()
                .any(|(lo, hi)| semver::compare(lo, v).is_le() && semver::compare(v, hi).is_le())
        };
        let (releases, prereleases) = {
            let allowed = |v: &str| !excluded(v) && !is_retracted(&retracted, v);
            self.filter_versions(path, &matcher, &versions, &allowed)
                .await?
        };
        let pick = if matcher.prefer_lower {
            releases.first().or(prereleases.first())
        } else {
            releases.last().or(prereleases.last())
        };
        if let Some(v) = pick {
            return self.stat_from(path, v, query, current).await;
        }
        if matcher.may_use_latest {
            let latest = self
                .router
                .try_proxies(path, &|r: &dyn Repo| {
                    let lines = lines.clone();
                    Box::pin(async move {
                        match r.latest().await? {
                            Some(info) => Ok(info),
                            None => match protocol::latest_from_list(&lines) {
                                Some(v) => r.stat(v).await,
                                None => Err(RepoError::NoCommits),
                            },
                        }
                    })
                })
                .await;
            match latest {
                Ok(info) => {
                    if matcher.allows(&info.version) && !excluded(&info.version) {
                        if retracted.is_none() && !all.is_empty() {
                            retracted = Some(self.retractions(path, &all).await);
                        }
                        if !is_retracted(&retracted, &info.version) {
                            if matcher.relative && pseudo::is_pseudo_version(current) {
                                return self.stat_from(path, &info.version, query, current).await;
                            }
                            // `@latest`'s JSON is what Go stores as `<v>.info`.
                            self.write_info(path, &info).await?;
                            return Ok(info);
                        }
                    }
                }
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(err(e.into())),
            }
        }
        // `upgrade` and `patch` may stay on the current version if allowed.
        if matcher.relative && !current.is_empty() && !excluded(current) {
            if retracted.is_none() && !all.is_empty() {
                retracted = Some(self.retractions(path, &all).await);
            }
            if !is_retracted(&retracted, current) {
                return self.stat(path, current).await;
            }
        }
        Err(err(FetchErrorKind::NoMatch(query.to_string())))
    }

    /// `queryProxy`'s `lookup`: `upgrade` and `patch` never move from a
    /// pseudo-version to a chronologically older version.
    async fn stat_from(
        &self,
        path: &str,
        v: &str,
        query: &str,
        current: &str,
    ) -> Result<RevInfo, FetchError> {
        let info = self.stat(path, v).await?;
        if (query == "upgrade" || query == "patch")
            && pseudo::is_pseudo_version(current)
            && let Some(t) = info.time
            && let Ok(ct) = pseudo::pseudo_version_time(current)
            && t < ct
        {
            return self.stat(path, current).await;
        }
        Ok(info)
    }

    /// A query answered by `.info` directly (exact versions, revisions).
    async fn stat_query(&self, path: &str, query: &str) -> Result<RevInfo, FetchError> {
        match self.stat(path, query).await {
            Ok(info) => {
                if modpath::check(path, &info.version).is_err() {
                    return Err(FetchError::new(
                        path,
                        query,
                        FetchErrorKind::Invalid(format!(
                            "invalid version: {} is not valid for module path {path}",
                            info.version
                        )),
                    ));
                }
                Ok(info)
            }
            Err(first) => {
                let canonical = semver::canonical_module_version(query);
                if !canonical.is_empty() && canonical != query {
                    match self.stat(path, &canonical).await {
                        Ok(info) => return Ok(info),
                        Err(e) if !e.is_not_found() => return Err(e),
                        Err(_) => {}
                    }
                }
                Err(first)
            }
        }
    }

    /// `filterVersions`, including the `+incompatible` rule.
    async fn filter_versions(
        &self,
        path: &str,
        matcher: &Matcher,
        versions: &[String],
        allowed: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<(Vec<String>, Vec<String>), FetchError> {
        let mut need_incompatible = matcher.prefer_incompatible;
        let mut last_compatible: Option<&str> = None;
        let (mut releases, mut prereleases) = (Vec::new(), Vec::new());
        for v in versions {
            if !matcher.allows(v) || !allowed(v) {
                continue;
            }
            if !need_incompatible {
                if !v.ends_with("+incompatible") {
                    last_compatible = Some(v);
                } else if let Some(last) = last_compatible {
                    let has_go_mod = match self.go_mod(path, last).await {
                        Ok(data) => data != legacy_go_mod(path).as_bytes(),
                        Err(e) => return Err(e),
                    };
                    if has_go_mod {
                        break;
                    }
                    need_incompatible = true;
                }
            }
            if semver::is_prerelease(v) {
                prereleases.push(v.clone());
            } else {
                releases.push(v.clone());
            }
        }
        Ok((releases, prereleases))
    }

    /// Retracted intervals, from the go.mod of the latest version ignoring
    /// retractions (`checkRetractions`). Load errors retract nothing.
    async fn retractions(&self, path: &str, versions: &[String]) -> Vec<(String, String)> {
        let latest = versions
            .iter()
            .rev()
            .find(|v| !semver::is_prerelease(v))
            .or(versions.last());
        let Some(latest) = latest else {
            return Vec::new();
        };
        // Go resolves that version through Stat (writing its `.info`) first.
        if self.stat(path, latest).await.is_err() {
            return Vec::new();
        }
        match self.go_mod(path, latest).await {
            Ok(data) => parse_retractions(&data),
            Err(_) => Vec::new(),
        }
    }
}

/// The go.mod Go synthesizes for a module without one (`LegacyGoMod`).
fn legacy_go_mod(path: &str) -> String {
    format!("module {path}\n")
}

/// The `retract` intervals of a dependency's go.mod (lax parse: malformed
/// lines are ignored, as Go does for dependencies).
fn parse_retractions(data: &[u8]) -> Vec<(String, String)> {
    match crate::module::modfile::parse_lax("go.mod", data) {
        Ok(file) => file.retract.into_iter().map(|r| (r.low, r.high)).collect(),
        Err(_) => Vec::new(),
    }
}

enum QueryKind {
    Revision,
    Bad(Box<FetchErrorKind>),
}

/// `newQueryMatcher`.
struct Matcher {
    /// `upgrade` or `patch` relative to a current version.
    relative: bool,
    prefix: String,
    filter: Filter,
    can_stat: bool,
    prefer_lower: bool,
    may_use_latest: bool,
    prefer_incompatible: bool,
}

enum Filter {
    All,
    Lt(String),
    Le(String),
    Gt(String),
    Ge(String),
    Eq(String),
}

fn is_prefix_version(v: &str) -> bool {
    // `gover.ModIsPrefix`: v1 or v1.2 (no patch).
    semver::is_valid(v) && v.matches('.').count() < 2 && !v.contains(['-', '+'])
}

fn path_major(path: &str) -> Option<String> {
    let last = path.rsplit('/').next()?;
    (last.len() > 1 && last.starts_with('v') && last[1..].bytes().all(|b| b.is_ascii_digit()))
        .then(|| last.to_string())
}

fn matches_major(path: &str, v: &str) -> bool {
    modpath::check(path, &semver::canonical_module_version(v)).is_ok()
        || path_major(path).is_some_and(|m| semver::major(v) == m)
}

impl Matcher {
    /// `current`: the selected version of `path`, `""` for none.
    fn new(path: &str, query: &str, current: &str) -> Result<Self, QueryKind> {
        let mut m = Matcher {
            relative: false,
            prefix: String::new(),
            filter: Filter::All,
            can_stat: false,
            prefer_lower: false,
            may_use_latest: false,
            prefer_incompatible: current.ends_with("+incompatible"),
        };
        let bad = |v: &str| {
            QueryKind::Bad(Box::new(FetchErrorKind::BadRange {
                version: v.into(),
                query: query.into(),
            }))
        };
        let ambiguous = |v: &str| {
            QueryKind::Bad(Box::new(FetchErrorKind::AmbiguousRange {
                version: v.into(),
                query: query.into(),
            }))
        };
        let range = |rest: &str| -> Result<String, QueryKind> {
            if semver::is_valid(rest) {
                Ok(rest.to_string())
            } else {
                Err(bad(rest))
            }
        };
        if query == "latest" || (query == "upgrade" && current.is_empty()) {
            m.may_use_latest = true;
        } else if query == "upgrade" || query == "patch" {
            if current.is_empty() {
                return Err(QueryKind::Bad(Box::new(FetchErrorKind::NoPatchBase(
                    path.into(),
                ))));
            }
            m.relative = true;
            m.may_use_latest = pseudo::is_pseudo_version(current);
            m.filter = Filter::Ge(current.to_string());
            if query == "patch" {
                m.prefix = format!("{}.", semver::major_minor(current));
            }
        } else if let Some(v) = query.strip_prefix("<=") {
            let v = range(v)?;
            if is_prefix_version(&v) {
                return Err(ambiguous(&v));
            }
            m.prefer_incompatible = !matches_major(path, &v);
            m.filter = Filter::Le(v);
        } else if let Some(v) = query.strip_prefix('<') {
            let v = range(v)?;
            m.prefer_incompatible = !matches_major(path, &v);
            m.filter = Filter::Lt(v);
        } else if let Some(v) = query.strip_prefix(">=") {
            let v = range(v)?;
            m.prefer_incompatible = !matches_major(path, &v);
            m.filter = Filter::Ge(v);
            m.prefer_lower = true;
        } else if let Some(v) = query.strip_prefix('>') {
            let v = range(v)?;
            if is_prefix_version(&v) {
                return Err(ambiguous(&v));
            }
            m.prefer_incompatible = !matches_major(path, &v);
            m.filter = Filter::Gt(v);
            m.prefer_lower = true;
        } else if semver::is_valid(query) {
            if is_prefix_version(query) {
                m.prefix = format!("{query}.");
                m.filter = Filter::Ge(query.to_string());
            } else {
                m.can_stat = true;
                m.prefix = semver::canonical(query);
                m.filter = Filter::Eq(query.to_string());
            }
            m.prefer_incompatible = !matches_major(path, query);
        } else {
            return Err(QueryKind::Revision);
        }
        Ok(m)
    }

    /// `allowsVersion` without the retraction part.
    fn allows(&self, v: &str) -> bool {
        if !v.starts_with(&self.prefix) {
            return false;
        }
        let c = |w: &str| semver::compare(v, w);
        match &self.filter {
            Filter::All => true,
            Filter::Lt(w) => c(w).is_lt(),
            Filter::Le(w) => c(w).is_le(),
            Filter::Gt(w) => c(w).is_gt(),
            Filter::Ge(w) => c(w).is_ge(),
            Filter::Eq(w) => c(w).is_eq(),
        }
    }
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(std::io::Error::other)?
}

/// The `h1:` of a zip file, off the async threads.
async fn hash_zip_file(zip: &Path) -> std::io::Result<String> {
    let z = zip.to_path_buf();
    blocking(move || dirhash::hash_zip(&z).map_err(|e| std::io::Error::other(e.to_string()))).await
}

async fn acquire(lockfile: &Path) -> std::io::Result<lock::FileLock> {
    let p = lockfile.to_path_buf();
    blocking(move || lock::lock_exclusive(&p)).await
}

async fn exists(path: &Path) -> bool {
    tokio::fs::metadata(path).await.is_ok()
}

/// `DownloadDir`: the directory exists, `.partial` does not, `.ziphash` does.
async fn is_complete(dir: &Path, partial: &Path, ziphash: &Path) -> bool {
    tokio::fs::metadata(dir).await.is_ok_and(|m| m.is_dir())
        && !exists(partial).await
        && exists(ziphash).await
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_proxy(file: &str) -> Option<Provenance> {
        Some(Provenance {
            place: format!("https://u:xxxxx@proxy.example.com/example.com/m/@v/{file}"),
            entry: Some("https://u:xxxxx@proxy.example.com".into()),
        })
    }

    #[test]
    fn describe_adds_what_go_text_lacks() {
        let e = FetchError::new("example.com/m", "v1.0.0", RepoError::ZipTooLarge)
            .at(from_proxy("v1.0.0.zip"));
        assert_eq!(
            e.to_string(),
            "example.com/m@v1.0.0: downloaded zip file too large"
        );
        assert_eq!(
            e.describe(),
            "example.com/m@v1.0.0: downloaded zip file too large\n\t(from https://u:xxxxx@proxy.example.com/example.com/m/@v/v1.0.0.zip)"
        );
        // Bare causes lack the module too.
        let e = FetchError::new(
            "example.com/m",
            "v1.0.0",
            FetchErrorKind::BadZip("zip: not a valid zip file".into()),
        )
        .at(from_proxy("v1.0.0.zip"));
        assert_eq!(e.to_string(), "zip: not a valid zip file");
        assert_eq!(
            e.describe(),
            "zip: not a valid zip file\n\t(example.com/m@v1.0.0 from https://u:xxxxx@proxy.example.com/example.com/m/@v/v1.0.0.zip)"
        );
        // Go's text names the entry already (HTTP errors, invalid responses).
        let e = FetchError::new(
            "example.com/m",
            "v1.0.0",
            RepoError::InvalidResponse {
                base: "https://u:xxxxx@proxy.example.com".into(),
                message: "invalid character '<'".into(),
            },
        )
        .at(from_proxy("v1.0.0.info"));
        assert_eq!(e.describe(), e.to_string());
        let e = FetchError::new(
            "example.com/m",
            ">=v9",
            FetchErrorKind::NoMatch(">=v9".into()),
        );
        assert_eq!(
            e.describe(),
            "module example.com/m: no matching versions for query \">=v9\""
        );
        // No place known, module named: Go's text alone.
        let e = FetchError::new("example.com/m", "v1.0.0", RepoError::Off);
        assert_eq!(e.describe(), e.to_string());
        // The first place recorded stays.
        let e = e.at(from_proxy("a")).at(from_proxy("b"));
        assert!(e.describe().ends_with("/@v/a)"), "{}", e.describe());
    }

    #[test]
    fn retract_lines() {
        let r = parse_retractions(
            b"module m\n\nretract v1.0.1 // bad\nretract [v1.1.0, v1.1.5]\nretract (\n\t\"v1.2.0\"\n\t[v1.3.0,v1.3.1]\n)\n",
        );
        assert_eq!(
            r,
            vec![
                ("v1.0.1".into(), "v1.0.1".into()),
                ("v1.1.0".into(), "v1.1.5".into()),
                ("v1.2.0".into(), "v1.2.0".into()),
                ("v1.3.0".into(), "v1.3.1".into()),
            ]
        );
    }

    #[test]
    fn upgrade_and_patch_are_relative_to_the_current_version() {
        let m = Matcher::new("example.com/m", "patch", "v1.2.3")
            .ok()
            .unwrap();
        assert!(m.relative && !m.may_use_latest);
        assert!(m.allows("v1.2.3") && m.allows("v1.2.9") && !m.allows("v1.3.0"));
        assert!(!m.allows("v1.2.2"));
        let m = Matcher::new("example.com/m", "upgrade", "v1.2.3")
            .ok()
            .unwrap();
        assert!(m.allows("v1.3.0") && m.allows("v1.2.3") && !m.allows("v1.2.2"));
        let pseudo = "v0.0.0-20230101000000-abcdefabcdef";
        let m = Matcher::new("example.com/m", "upgrade", pseudo)
            .ok()
            .unwrap();
        assert!(m.may_use_latest);
        // With no current version: upgrade is latest, patch has no base.
        let m = Matcher::new("example.com/m", "upgrade", "").ok().unwrap();
        assert!(!m.relative && m.may_use_latest && m.allows("v0.1.0"));
        assert!(matches!(
            Matcher::new("example.com/m", "patch", ""),
            Err(QueryKind::Bad(k)) if matches!(*k, FetchErrorKind::NoPatchBase(_))
        ));
        let m = Matcher::new("example.com/m", "latest", "v2.0.0+incompatible")
            .ok()
            .unwrap();
        assert!(m.prefer_incompatible);
    }

    #[test]
    fn matcher_rules() {
        let m = Matcher::new("example.com/m", "v1.2", "").ok().unwrap();
        assert!(m.allows("v1.2.3") && !m.allows("v1.20.0") && !m.allows("v1.2.0-pre"));
        let m = Matcher::new("example.com/m", "<v1.3.0", "").ok().unwrap();
        assert!(m.allows("v1.2.9") && !m.allows("v1.3.0"));
        assert!(matches!(
            Matcher::new("example.com/m", "<=v1.2", ""),
            Err(QueryKind::Bad(k)) if matches!(*k, FetchErrorKind::AmbiguousRange { .. })
        ));
        assert!(matches!(
            Matcher::new("example.com/m", "master", ""),
            Err(QueryKind::Revision)
        ));
        assert!(
            Matcher::new("example.com/m", "v1.2.3", "")
                .ok()
                .unwrap()
                .can_stat
        );
    }
}
