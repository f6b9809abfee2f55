//! `Repo`: where one module's versions come from (Go's modfetch/repo.go
//! `Repo`). A proxy (`proxy::http::ProxyRepo`) implements it today; the
//! direct (version-control) mode plugs in by implementing the same trait
//! and being returned by `proxy::route` for `direct` / `noproxy` entries.
//!
//! Not-found is a value: [`RepoError::is_not_found`] says whether a failure
//! is Go's `fs.ErrNotExist` class, which is all `proxy::route` looks at to
//! decide GOPROXY fall-through (STYLE rule 2). Never match on error text.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use crate::net::client::HttpError;
use crate::proxy::list::ProxyListError;
use crate::proxy::protocol::{ListLine, RevInfo};

/// A boxed, sendable future (the trait must be usable as `dyn Repo`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Byte counts as a zip body arrives.
pub type ProgressFn<'a> = &'a (dyn Fn(u64) + Send + Sync);

/// One module's source of versions, go.mod files and zips.
pub trait Repo: Send + Sync {
    /// `@v/list`: the lines of the version list (tagged and pseudo).
    fn versions(&self) -> BoxFuture<'_, Result<Vec<ListLine>, RepoError>>;
    /// `.info` for any revision (a version, branch or commit).
    fn stat(&self, rev: String) -> BoxFuture<'_, Result<RevInfo, RepoError>>;
    /// `@latest`: the newest revision when no tagged version exists.
    /// `Ok(None)` means "not offered" (404/410): use the version list.
    fn latest(&self) -> BoxFuture<'_, Result<Option<RevInfo>, RepoError>>;
    /// `.mod` of a canonical version, verbatim.
    fn go_mod(&self, version: String) -> BoxFuture<'_, Result<Vec<u8>, RepoError>>;
    /// `.zip` of a canonical version, streamed into `dst` (already open,
    /// rewound by the implementation before each attempt).
    fn zip<'a>(
        &'a self,
        version: &'a str,
        dst: &'a mut tokio::fs::File,
        dst_path: &'a Path,
        progress: ProgressFn<'a>,
    ) -> BoxFuture<'a, Result<u64, RepoError>>;
    /// Where `file` is read from, for error messages: the redacted URL of
    /// the request a proxy sends for it, or `None` (version control, whose
    /// errors name their own place). Pure: no request is made.
    fn location(&self, _file: RepoFile<'_>) -> Option<Provenance> {
        None
    }
}

/// One file of the proxy protocol (`<path>/@v/<version>.<ext>`, list, latest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepoFile<'a> {
    /// `@v/<rev>.info`.
    Info(&'a str),
    /// `@v/<version>.mod`.
    Mod(&'a str),
    /// `@v/<version>.zip`.
    Zip(&'a str),
}

/// Where the bytes that failed came from: the redacted URL of the response
/// (or the cache file) and the GOPROXY entry that served it. Shown after
/// Go's text in human-readable output only (`--json` keeps Go's text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The redacted URL of the response, or the cache file's path.
    pub place: String,
    /// The GOPROXY entry (redacted URL) that answered; `None` for a cache file.
    pub entry: Option<String>,
}

impl Provenance {
    /// A file read from the module cache.
    pub fn cache_file(path: &Path) -> Self {
        Self {
            place: path.display().to_string(),
            entry: None,
        }
    }
}

/// Why a repository operation failed. `Display` is Go's text of the cause;
/// the module@version context is added by the caller (`fetch`).
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// `GOPROXY=off` (not-found class).
    #[error("module lookup disabled by GOPROXY=off")]
    Off,
    /// A proxy entry skipped because the path matches GONOPROXY (not-found class).
    #[error("disabled by GOPRIVATE/GONOPROXY")]
    NoProxy,
    /// The implicit `noproxy` entry for a path that does not match (not-found class).
    #[error("path does not match GOPRIVATE/GONOPROXY")]
    UseProxy,
    /// A `direct` entry (or a GONOPROXY match) before direct mode exists.
    #[error(
        "direct mode is not available yet (module {path} needs GOPROXY=direct or GOPRIVATE/GONOPROXY fetching from version control)"
    )]
    DirectUnavailable { path: String },
    /// `-mod=vendor` in GOFLAGS.
    #[error("module lookup disabled by -mod=vendor")]
    Vendor,
    /// An HTTP or file:// failure.
    #[error(transparent)]
    Http(Box<HttpError>),
    /// The proxy sent JSON we could not read.
    #[error("invalid response from proxy {base:?}: {message}")]
    InvalidResponse { base: String, message: String },
    /// A `.info` for another version than the canonical one requested.
    #[error("proxy returned info for version {got} instead of requested version")]
    WrongVersion { got: String },
    /// Zip body over 500 MiB.
    #[error("downloaded zip file too large")]
    ZipTooLarge,
    /// No version at all to pick as latest (not-found class).
    #[error("no commits")]
    NoCommits,
    /// GOPROXY itself is invalid.
    #[error(transparent)]
    ProxyList(#[from] ProxyListError),
    /// A version string a proxy cannot be asked for.
    #[error("{0}")]
    BadVersion(String),
    /// Direct mode (version control) failed; the text is Go's, complete
    /// with its module context.
    #[error("{}", .0.message)]
    Direct(Box<DirectFailure>),
    /// The module path itself is invalid.
    #[error("{0}")]
    BadPath(String),
}

impl From<HttpError> for RepoError {
    fn from(e: HttpError) -> Self {
        Self::Http(Box::new(e))
    }
}

impl RepoError {
    /// Go's `errors.Is(err, fs.ErrNotExist)`.
    pub fn is_not_found(&self) -> bool {
        match self {
            Self::Off | Self::NoProxy | Self::UseProxy | Self::NoCommits => true,
            Self::Http(e) => e.is_not_found(),
            Self::Direct(e) => e.not_found,
            _ => false,
        }
    }
}

/// A direct-mode failure (codehost): Go's full message, whether it is
/// not-found, and the Origin Go records with it (RepoSum for unknown revisions).
#[derive(Debug, Clone)]
pub struct DirectFailure {
    pub message: String,
    pub not_found: bool,
    pub origin: Option<crate::proxy::protocol::Origin>,
}
