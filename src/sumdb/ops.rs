//! [`SumdbOps`] for real: HTTP through the run's one client, with the route
//! to the database chosen as the go command chooses it, and the on-disk
//! state shared with the go command (cmd/go modfetch/sumdb.go `dbClient`;
//! spec/fetch-protocol.md §5.2, §8.10; spec/integrity.md §5.12).
//!
//! - Route (`initBase`, once per run, only when a lookup, or the prefetch
//!   of one, misses the cache):
//!   GOSUMDB's explicit URL; else each GOPROXY entry's
//!   `<proxy>/sumdb/<name>/supported` (200 → that proxy serves every
//!   request; 404/410 → next entry; other errors → next entry only after
//!   `|`); `direct`/`off`/the end of the list → `https://<name>`.
//! - Cache: `$GOMODCACHE/cache/download/sumdb/<name>/{lookup,tile}/...`,
//!   read and written under Go's file locks (`lockedfile.Read`/`Write`,
//!   0666); an empty file counts as absent.
//! - Latest tree head: `$GOPATH[0]/pkg/sumdb/<name>/latest`, replaced under
//!   an exclusive lock only if it still holds what we read
//!   (`lockedfile.Edit`); missing reads as empty.
//!
//! Disk work runs on `spawn_blocking`; no lock is held across a network wait.

use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OnceCell;

use super::client::{OpsError, SumdbOps};
use super::config::SumdbConfig;
use crate::cache::{atomic, lock};
use crate::net::client::{Client, HttpError};
use crate::proxy::list::{self, Entry, ProxyListError, ProxySpec};

/// Largest lookup body or tile accepted (a full tile is 8 KiB).
const BODY_LIMIT: u64 = 16 << 20;

/// Errors of the real operations, worded as the go command words them.
#[derive(Debug, thiserror::Error)]
pub enum SumdbOpsError {
    /// An HTTP failure (its text names the redacted URL).
    #[error(transparent)]
    Http(#[from] HttpError),
    /// GOPROXY does not parse.
    #[error(transparent)]
    ProxyList(#[from] ProxyListError),
    /// No GOPATH, so nowhere to keep the latest tree head.
    #[error("could not locate sumdb file: missing $GOPATH")]
    NoGopath,
    /// No module cache.
    #[error("could not locate sumdb cache: module cache not found")]
    NoCache,
    /// The key config cannot be written.
    #[error("cannot write key")]
    WriteKey,
    /// Disk I/O.
    #[error("{op} {}: {source}", .path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A URL that cannot be built.
    #[error("invalid sumdb URL {0}")]
    Url(String),
}

fn failed(e: SumdbOpsError) -> OpsError {
    OpsError::failed(e)
}

/// `SumdbOps` over HTTP and the go command's files.
pub struct HttpOps {
    client: Client,
    config: SumdbConfig,
    proxies: Result<Vec<ProxySpec>, ProxyListError>,
    /// `$GOMODCACHE/cache/download/sumdb`.
    cache_dir: Option<PathBuf>,
    /// `$GOPATH[0]/pkg/sumdb`.
    sumdb_dir: Option<PathBuf>,
    base: OnceCell<Result<url::Url, OpsError>>,
    security: Mutex<Vec<String>>,
}

impl HttpOps {
    /// Operations for database `config`, routed through `goproxy` (with
    /// `gonoproxy` as Go's list parser wants it), caching under `gomodcache`
    /// and keeping the latest head under `gopath`.
    pub fn new(
        client: Client,
        config: SumdbConfig,
        goproxy: &str,
        gonoproxy: &str,
        gomodcache: Option<&Path>,
        gopath: Option<&Path>,
    ) -> Self {
        Self {
            client,
            config,
            proxies: list::parse(goproxy, gonoproxy),
            cache_dir: gomodcache.map(|c| c.join("cache").join("download").join("sumdb")),
            sumdb_dir: gopath.map(|p| p.join("pkg").join("sumdb")),
            base: OnceCell::new(),
            security: Mutex::new(Vec::new()),
        }
    }

    /// Security messages reported by the client.
    pub fn security_messages(&self) -> Vec<String> {
        self.security
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The base URL every request goes to (decided on first use).
    pub async fn base(&self) -> Result<url::Url, OpsError> {
        self.base.get_or_init(|| self.init_base()).await.clone()
    }

    /// Go's `dbClient.initBase` (a `TryProxies` walk with its error ranks).
    async fn init_base(&self) -> Result<url::Url, OpsError> {
        if let Some(u) = &self.config.url {
            return url::Url::parse(u).map_err(|_| failed(SumdbOpsError::Url(u.clone())));
        }
        let direct = || {
            url::Url::parse(&format!("https://{}", self.config.name))
                .map_err(|_| failed(SumdbOpsError::Url(self.config.name.clone())))
        };
        let proxies = self.proxies.clone().map_err(|e| failed(e.into()))?;
        // Ranks as in TryProxies: not-exist < proxy error < direct.
        #[derive(Clone, Copy, PartialEq, PartialOrd)]
        enum Rank {
            NotExist,
            Proxy,
            Direct,
        }
        let mut best: Option<(Rank, Option<OpsError>)> = None; // None error = not-exist
        for spec in &proxies {
            let (err, is_not_exist, rank_if_direct) = match &spec.entry {
                Entry::NoProxy => (None, true, false),
                Entry::Direct => (None, true, true),
                Entry::Off => (None, true, false),
                Entry::Url(proxy) => {
                    let supported = join(proxy, &format!("sumdb/{}/supported", self.config.name));
                    match self.client.get_bytes(&supported, BODY_LIMIT).await {
                        Ok(_) => return Ok(join(proxy, &format!("sumdb/{}", self.config.name))),
                        Err(e) => {
                            let nf = e.is_not_found();
                            (Some(failed(e.into())), nf, false)
                        }
                    }
                }
            };
            let best_rank = best.as_ref().map_or(Rank::NotExist, |(r, _)| *r);
            let keep = if is_not_exist { None } else { err };
            if rank_if_direct {
                best = Some((Rank::Direct, keep));
            } else if best_rank <= Rank::Proxy && !is_not_exist {
                best = Some((Rank::Proxy, keep));
            } else if best_rank == Rank::NotExist {
                best = Some((Rank::NotExist, keep));
            }
            if !spec.fall_back_on_error && !is_not_exist {
                break;
            }
        }
        match best {
            Some((_, Some(err))) => Err(err),
            _ => direct(),
        }
    }

    fn cache_path(&self, file: &str) -> Option<PathBuf> {
        self.cache_dir.as_ref().map(|d| d.join(file))
    }
}

/// Go's `web.Join`: the base path without its trailing `/`, a `/`, and `path`
/// without its leading `/`.
fn join(base: &url::Url, path: &str) -> url::Url {
    let mut u = base.clone();
    let p = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    u.set_path(&p);
    u
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(f).await.ok()
}

fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> OpsError + 'a {
    move |source| {
        failed(SumdbOpsError::Io {
            op,
            path: path.to_path_buf(),
            source,
        })
    }
}

impl SumdbOps for HttpOps {
    async fn read_remote(&self, path: &str) -> Result<Vec<u8>, OpsError> {
        let base = self.base().await?;
        let url = join(&base, path);
        self.client
            .get_bytes(&url, BODY_LIMIT)
            .await
            .map_err(|e| failed(e.into()))
    }

    async fn read_config(&self, file: &str) -> Result<Vec<u8>, OpsError> {
        if file == "key" {
            return Ok(self.config.key.clone().into_bytes());
        }
        let dir = self
            .sumdb_dir
            .clone()
            .ok_or_else(|| failed(SumdbOpsError::NoGopath))?;
        let path = dir.join(file);
        let p2 = path.clone();
        match blocking(move || lock::read_shared(&p2)).await {
            Some(Ok(data)) => Ok(data),
            Some(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Some(Err(e)) => Err(io("read", &path)(e)),
            None => Err(io("read", &path)(std::io::Error::other("task failed"))),
        }
    }

    async fn write_config(&self, file: &str, old: &[u8], new: &[u8]) -> Result<(), OpsError> {
        if file == "key" {
            return Err(failed(SumdbOpsError::WriteKey));
        }
        let dir = self
            .sumdb_dir
            .clone()
            .ok_or_else(|| failed(SumdbOpsError::NoGopath))?;
        let path = dir.join(file);
        let (p2, old, new) = (path.clone(), old.to_vec(), new.to_vec());
        // lockedfile.Edit: lock, read, compare, truncate, write.
        let result = blocking(move || -> Result<bool, std::io::Error> {
            if let Some(parent) = p2.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let held = lock::lock_exclusive(&p2)?;
            let mut data = Vec::new();
            held.file().read_to_end(&mut data)?;
            if !data.is_empty() && data != old {
                return Ok(false);
            }
            held.file().set_len(0)?;
            held.file().write_all_at(&new, 0)?;
            Ok(true)
        })
        .await;
        match result {
            Some(Ok(true)) => Ok(()),
            Some(Ok(false)) => Err(OpsError::WriteConflict),
            Some(Err(e)) => Err(io("write", &path)(e)),
            None => Err(io("write", &path)(std::io::Error::other("task failed"))),
        }
    }

    async fn read_cache(&self, file: &str) -> Option<Vec<u8>> {
        let path = self.cache_path(file)?;
        match blocking(move || lock::read_shared(&path)).await {
            Some(Ok(data)) if !data.is_empty() => Some(data),
            _ => None,
        }
    }

    async fn write_cache(&self, file: &str, data: &[u8]) {
        let Some(path) = self.cache_path(file) else {
            return;
        };
        let data = data.to_vec();
        // Best effort, as in Go (errors ignored).
        let _ = blocking(move || {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            atomic::write_locked(&path, &data)
        })
        .await;
    }

    fn security_error(&self, msg: &str) {
        self.security
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(msg.to_owned());
    }
}

/// Shares one set of operations between clients (e.g. tests).
impl<T: SumdbOps> SumdbOps for Arc<T> {
    async fn read_remote(&self, path: &str) -> Result<Vec<u8>, OpsError> {
        self.as_ref().read_remote(path).await
    }
    async fn read_config(&self, file: &str) -> Result<Vec<u8>, OpsError> {
        self.as_ref().read_config(file).await
    }
    async fn write_config(&self, file: &str, old: &[u8], new: &[u8]) -> Result<(), OpsError> {
        self.as_ref().write_config(file, old, new).await
    }
    async fn read_cache(&self, file: &str) -> Option<Vec<u8>> {
        self.as_ref().read_cache(file).await
    }
    async fn write_cache(&self, file: &str, data: &[u8]) {
        self.as_ref().write_cache(file, data).await
    }
    fn security_error(&self, msg: &str) {
        self.as_ref().security_error(msg)
    }
}
