//! `try_proxies`: walk the GOPROXY list for one operation on one module,
//! fall through on not-found (or on any error after `|`), and report the
//! error Go would report when every entry fails (modfetch/proxy.go
//! `TryProxies`, modfetch/repo.go `lookup`; spec/fetch-protocol.md §2.1, §3).
//!
//! Every operation (`.info`, `.mod`, `.zip`, list, latest) starts again at
//! the first entry: nothing is remembered between operations.

use crate::net::client::Client;
use crate::proxy::http::ProxyRepo;
use crate::proxy::list::{self, Entry, ProxyListError, ProxySpec};
use crate::repo::{BoxFuture, Provenance, Repo, RepoError, RepoFile};

/// One operation on a repository (e.g. `|r| r.stat(rev)`).
pub type RepoOp<'f, T> =
    dyn for<'a> Fn(&'a dyn Repo) -> BoxFuture<'a, Result<T, RepoError>> + Sync + 'f;

/// What an entry of the list gives for one module path.
pub enum Candidate {
    /// A repository to ask.
    Repo(Box<dyn Repo>),
    /// A synthetic failure (`off`, GONOPROXY exclusions, direct not available).
    Fail(RepoError),
}

/// How an entry ranks its errors (`TryProxies`' ranks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Direct,
    NoProxy,
    Other,
}

/// Resolves GOPROXY entries into repositories for a module path.
#[derive(Clone)]
pub struct Router {
    specs: Result<Vec<ProxySpec>, ProxyListError>,
    gonoproxy: String,
    client: Client,
    vendor: bool,
    /// Direct mode (codehost), when enabled; otherwise `direct` entries fail.
    direct: Option<std::sync::Arc<crate::codehost::direct::Direct>>,
}

impl Router {
    /// Parses GOPROXY once; an invalid list fails every operation later.
    pub fn new(client: Client, goproxy: &str, gonoproxy: &str, mod_vendor: bool) -> Self {
        Self {
            specs: list::parse(goproxy, gonoproxy),
            gonoproxy: gonoproxy.to_string(),
            client,
            vendor: mod_vendor,
            direct: None,
        }
    }

    /// Serves `direct` (and GONOPROXY-matching `noproxy`) entries from
    /// version control.
    pub fn with_direct(mut self, direct: std::sync::Arc<crate::codehost::direct::Direct>) -> Self {
        self.direct = Some(direct);
        self
    }

    fn direct_candidate(&self, path: &str) -> Candidate {
        match &self.direct {
            Some(d) => Candidate::Repo(Box::new(crate::codehost::directrepo::DirectRepo::new(
                d.clone(),
                self.client.clone(),
                path,
            ))),
            None => Candidate::Fail(RepoError::DirectUnavailable { path: path.into() }),
        }
    }

    /// The entries for `path`, in order, each with its fall-back mode and kind
    /// (modfetch/repo.go `lookup`, table in spec §2.1).
    pub fn candidates(&self, path: &str) -> Result<Vec<(Candidate, bool, EntryKind)>, RepoError> {
        if self.vendor {
            return Err(RepoError::Vendor);
        }
        let specs = self
            .specs
            .as_ref()
            .map_err(|e| RepoError::ProxyList(e.clone()))?;
        let private = crate::module::pattern::match_prefix_patterns(&self.gonoproxy, path);
        let mut out = Vec::with_capacity(specs.len());
        for spec in specs {
            let (candidate, kind) = match &spec.entry {
                Entry::NoProxy if private => (self.direct_candidate(path), EntryKind::NoProxy),
                Entry::NoProxy => (Candidate::Fail(RepoError::UseProxy), EntryKind::NoProxy),
                Entry::Direct => (self.direct_candidate(path), EntryKind::Direct),
                Entry::Off if private => (Candidate::Fail(RepoError::NoProxy), EntryKind::Other),
                Entry::Off => (Candidate::Fail(RepoError::Off), EntryKind::Other),
                Entry::Url(_) if private => (Candidate::Fail(RepoError::NoProxy), EntryKind::Other),
                Entry::Url(base) => (
                    match ProxyRepo::new(self.client.clone(), base.clone(), path) {
                        Ok(repo) => Candidate::Repo(Box::new(repo)),
                        Err(e) => Candidate::Fail(e),
                    },
                    EntryKind::Other,
                ),
            };
            out.push((candidate, spec.fall_back_on_error, kind));
        }
        Ok(out)
    }

    /// Runs `op` against each entry until one succeeds (`TryProxies`).
    pub async fn try_proxies<T>(&self, path: &str, op: &RepoOp<'_, T>) -> Result<T, RepoError> {
        self.try_proxies_at(path, None, op)
            .await
            .map(|(v, _)| v)
            .map_err(|(e, _)| e)
    }

    /// [`Router::try_proxies`] for an operation that reads `file`: also
    /// says where the answer (or the reported error) came from, when the
    /// entry can tell ([`Repo::location`]).
    pub async fn try_proxies_at<T>(
        &self,
        path: &str,
        file: Option<RepoFile<'_>>,
        op: &RepoOp<'_, T>,
    ) -> Result<(T, Option<Provenance>), (RepoError, Option<Provenance>)> {
        let mut walk = Walk::default();
        let candidates = self.candidates(path).map_err(|e| (e, None))?;
        for (candidate, fall_back_on_error, kind) in candidates {
            let (err, from) = match candidate {
                Candidate::Fail(err) => (err, None),
                Candidate::Repo(repo) => {
                    let from = file.and_then(|f| repo.location(f));
                    match op(repo.as_ref()).await {
                        Ok(v) => return Ok((v, from)),
                        Err(err) => (err, from),
                    }
                }
            };
            if !walk.record_from(err, from, kind, fall_back_on_error) {
                break;
            }
        }
        Err(walk.finish_from())
    }
}

/// The error bookkeeping of one walk.
#[derive(Default)]
pub struct Walk {
    best: Option<RepoError>,
    /// Where `best` came from.
    best_from: Option<Provenance>,
    rank: u8,
}

const NOT_EXIST_RANK: u8 = 0;
const PROXY_RANK: u8 = 1;
const DIRECT_RANK: u8 = 2;

impl Walk {
    /// Records a failed entry; returns whether the walk goes on.
    pub fn record(&mut self, err: RepoError, kind: EntryKind, fall_back_on_error: bool) -> bool {
        self.record_from(err, None, kind, fall_back_on_error)
    }

    /// [`Walk::record`], with where the error came from.
    pub fn record_from(
        &mut self,
        err: RepoError,
        from: Option<Provenance>,
        kind: EntryKind,
        fall_back_on_error: bool,
    ) -> bool {
        let not_found = err.is_not_found();
        let is_use_proxy = matches!(err, RepoError::UseProxy);
        if kind == EntryKind::Direct || (kind == EntryKind::NoProxy && !is_use_proxy) {
            self.best = Some(err);
            self.best_from = from;
            self.rank = DIRECT_RANK;
        } else if self.rank <= PROXY_RANK && !not_found {
            self.best = Some(err);
            self.best_from = from;
            self.rank = PROXY_RANK;
        } else if self.rank == NOT_EXIST_RANK {
            self.best = Some(err);
            self.best_from = from;
        }
        fall_back_on_error || not_found
    }

    /// The error to report.
    pub fn finish(self) -> RepoError {
        self.finish_from().0
    }

    /// [`Walk::finish`], with where the error came from.
    pub fn finish_from(self) -> (RepoError, Option<Provenance>) {
        match self.best {
            Some(e) => (e, self.best_from),
            None => (RepoError::ProxyList(ProxyListError::NoEntries), None),
        }
    }
}
