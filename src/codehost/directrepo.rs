//! The `direct` GOPROXY entry as a [`Repo`]: what `proxy::route` hands the
//! Fetcher for `direct` (and for `noproxy` when GONOPROXY matches). It looks
//! the module up once per process ([`Direct`]), then answers `.info`,
//! `.mod`, `.zip` and the version list from the repository, or, for a `mod`
//! go-import entry, through the proxy protocol at the discovered base URL
//! (modfetch/repo.go: `lookupDirect`).
//!
//! Errors carry Go's full text (`path@version: invalid version: ...`), so the
//! Fetcher shows them bare; not-found is a value for GOPROXY fall-through.

use std::path::Path;
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use super::coderepo::{CodeRepoError, VersionInfo};
use super::direct::{Direct, DirectError, Lookup};
use super::git::Origin as GitOrigin;
use crate::net::client::Client;
use crate::proxy::http::ProxyRepo;
use crate::proxy::protocol::{ListLine, Origin, RevInfo};
use crate::repo::{BoxFuture, DirectFailure, ProgressFn, Repo, RepoError};

/// One module, fetched from its origin.
pub struct DirectRepo {
    direct: Arc<Direct>,
    client: Client,
    path: String,
}

fn origin(o: &GitOrigin) -> Origin {
    Origin {
        vcs: o.vcs.clone(),
        url: o.url.clone(),
        subdir: o.subdir.clone(),
        hash: o.hash.clone(),
        tag_prefix: o.tag_prefix.clone(),
        tag_sum: o.tag_sum.clone(),
        r#ref: o.git_ref.clone(),
        repo_sum: o.repo_sum.clone(),
    }
}

fn rev_info(v: VersionInfo) -> RevInfo {
    RevInfo {
        version: v.version,
        time: OffsetDateTime::from_unix_timestamp(v.time).ok(),
        origin: v.origin.as_ref().map(origin),
    }
}

impl DirectRepo {
    pub fn new(direct: Arc<Direct>, client: Client, path: &str) -> DirectRepo {
        DirectRepo {
            direct,
            client,
            path: path.to_owned(),
        }
    }

    /// `path@version: cause` for errors Go reports with that context.
    fn fail_lookup(&self, version: Option<&str>, e: DirectError) -> RepoError {
        let not_found = e.is_not_exist();
        let message = match (version, &e) {
            (_, DirectError::CodeRepo(inner)) => return self.fail(version, inner.clone()),
            (Some(v), _) => format!("{}@{v}: {e}", self.path),
            (None, _) => format!("module {}: {e}", self.path),
        };
        RepoError::Direct(Box::new(DirectFailure {
            message,
            not_found,
            origin: None,
        }))
    }

    fn fail(&self, version: Option<&str>, e: CodeRepoError) -> RepoError {
        let not_found = e.is_not_exist();
        let (message, origin_info) = match (&e, version) {
            (CodeRepoError::InvalidVersion { origin, .. }, _) => {
                (e.to_string(), origin.as_deref().map(origin_of))
            }
            (CodeRepoError::Module { .. }, _) => (e.to_string(), None),
            (CodeRepoError::Plain(cause), Some(v)) => (format!("{}@{v}: {cause}", self.path), None),
            (CodeRepoError::Plain(cause), None) => (format!("module {}: {cause}", self.path), None),
        };
        RepoError::Direct(Box::new(DirectFailure {
            message,
            not_found,
            origin: origin_info,
        }))
    }

    async fn lookup(&self, version: Option<&str>) -> Result<Arc<Lookup>, RepoError> {
        self.direct
            .lookup_cached(&self.path)
            .await
            .map_err(|e| self.fail_lookup(version, e))
    }

    fn proxy(&self, base: &str) -> Result<ProxyRepo, RepoError> {
        let url = url::Url::parse(base)
            .map_err(|e| RepoError::BadPath(format!("invalid proxy URL {base:?}: {e}")))?;
        ProxyRepo::new(self.client.clone(), url, &self.path)
    }
}

fn origin_of(o: &GitOrigin) -> Origin {
    origin(o)
}

impl Repo for DirectRepo {
    fn versions(&self) -> BoxFuture<'_, Result<Vec<ListLine>, RepoError>> {
        Box::pin(async move {
            match &*self.lookup(None).await? {
                Lookup::ModProxy { base_url } => self.proxy(base_url)?.versions().await,
                Lookup::Code(code) => {
                    let vs = code.versions("").await.map_err(|e| self.fail(None, e))?;
                    Ok(vs
                        .list
                        .into_iter()
                        .map(|version| ListLine {
                            version,
                            time: None,
                        })
                        .collect())
                }
            }
        })
    }

    fn stat(&self, rev: String) -> BoxFuture<'_, Result<RevInfo, RepoError>> {
        Box::pin(async move {
            match &*self.lookup(Some(&rev)).await? {
                Lookup::ModProxy { base_url } => self.proxy(base_url)?.stat(rev).await,
                Lookup::Code(code) => code
                    .stat(&rev)
                    .await
                    .map(rev_info)
                    .map_err(|e| self.fail(Some(&rev), e)),
            }
        })
    }

    fn latest(&self) -> BoxFuture<'_, Result<Option<RevInfo>, RepoError>> {
        Box::pin(async move {
            match &*self.lookup(Some("latest")).await? {
                Lookup::ModProxy { base_url } => self.proxy(base_url)?.latest().await,
                Lookup::Code(code) => code
                    .latest()
                    .await
                    .map(|v| Some(rev_info(v)))
                    .map_err(|e| self.fail(Some("latest"), e)),
            }
        })
    }

    fn go_mod(&self, version: String) -> BoxFuture<'_, Result<Vec<u8>, RepoError>> {
        Box::pin(async move {
            match &*self.lookup(Some(&version)).await? {
                Lookup::ModProxy { base_url } => self.proxy(base_url)?.go_mod(version).await,
                Lookup::Code(code) => code
                    .go_mod(&version)
                    .await
                    .map_err(|e| self.fail(Some(&version), e)),
            }
        })
    }

    fn zip<'a>(
        &'a self,
        version: &'a str,
        dst: &'a mut tokio::fs::File,
        dst_path: &'a Path,
        progress: ProgressFn<'a>,
    ) -> BoxFuture<'a, Result<u64, RepoError>> {
        Box::pin(async move {
            let lookup = self.lookup(Some(version)).await?;
            let code = match &*lookup {
                Lookup::ModProxy { base_url } => {
                    return self
                        .proxy(base_url)?
                        .zip(version, dst, dst_path, progress)
                        .await;
                }
                Lookup::Code(code) => code,
            };
            let data = code
                .zip(version)
                .await
                .map_err(|e| self.fail(Some(version), e))?;
            let io = |e: std::io::Error| {
                RepoError::Direct(Box::new(DirectFailure {
                    message: format!("write {}: {e}", dst_path.display()),
                    not_found: false,
                    origin: None,
                }))
            };
            dst.set_len(0).await.map_err(io)?;
            dst.seek(std::io::SeekFrom::Start(0)).await.map_err(io)?;
            dst.write_all(&data).await.map_err(io)?;
            dst.flush().await.map_err(io)?;
            progress(data.len() as u64);
            Ok(data.len() as u64)
        })
    }
}
