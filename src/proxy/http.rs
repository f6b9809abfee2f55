//! `ProxyRepo`: the `Repo` of one module at one proxy base URL, over http(s)
//! and file:// (modfetch/proxy.go `proxyRepo`). Statuses become outcomes in
//! `net::client`; bodies are read with caps (16 MiB for `.info`/`.mod`/list,
//! 500 MiB + 1 for zips as Go's `LimitedReader`).

use std::path::Path;

use crate::module::{path as modpath, version};
use crate::net::client::{Client, HttpError};
use crate::net::redact::redact;
use crate::proxy::protocol::{self, ListLine, RevInfo};
use crate::repo::{BoxFuture, ProgressFn, Provenance, Repo, RepoError, RepoFile};

/// Go's `codehost.MaxZipFile`.
pub const MAX_ZIP_FILE: u64 = 500 << 20;
/// Cap for small bodies (go.mod, .info, list). Go has none for proxies; a
/// cap keeps a hostile proxy from exhausting memory.
pub const MAX_SMALL_BODY: u64 = 64 << 20;

/// One module at one proxy.
pub struct ProxyRepo {
    client: Client,
    base: url::Url,
    path: String,
    escaped_path: String,
}

impl ProxyRepo {
    /// `newProxyRepo`: the path must escape (i.e. be a valid module path).
    pub fn new(client: Client, base: url::Url, path: &str) -> Result<Self, RepoError> {
        let escaped_path =
            modpath::escape_path(path).map_err(|e| RepoError::BadPath(e.to_string()))?;
        Ok(Self {
            client,
            base,
            path: path.to_string(),
            escaped_path,
        })
    }

    fn url(&self, suffix: &str) -> url::Url {
        protocol::request_url(&self.base, &self.escaped_path, suffix)
    }

    async fn get(&self, suffix: &str) -> Result<Vec<u8>, HttpError> {
        self.client
            .get_bytes(&self.url(suffix), MAX_SMALL_BODY)
            .await
    }

    fn parse_info(&self, data: &[u8]) -> Result<RevInfo, RepoError> {
        protocol::parse_info(data).map_err(|e| RepoError::InvalidResponse {
            base: redact(&self.base).trim_end_matches('/').to_string(),
            message: e.0,
        })
    }

    async fn stat_impl(&self, rev: &str) -> Result<RevInfo, RepoError> {
        let enc = modpath::escape_version(rev).map_err(|e| RepoError::BadVersion(e.to_string()))?;
        let data = self.get(&format!("@v/{enc}.info")).await?;
        let info = self.parse_info(&data)?;
        if info.version != rev
            && rev == version::canonical_module_version(rev)
            && modpath::check(&self.path, rev).is_ok()
        {
            return Err(RepoError::WrongVersion { got: info.version });
        }
        Ok(info)
    }
}

impl Repo for ProxyRepo {
    fn versions(&self) -> BoxFuture<'_, Result<Vec<ListLine>, RepoError>> {
        Box::pin(async move {
            let data = self.get("@v/list").await?;
            Ok(protocol::parse_list(&data))
        })
    }

    fn stat(&self, rev: String) -> BoxFuture<'_, Result<RevInfo, RepoError>> {
        Box::pin(async move { self.stat_impl(&rev).await })
    }

    fn latest(&self) -> BoxFuture<'_, Result<Option<RevInfo>, RepoError>> {
        Box::pin(async move {
            match self.get("@latest").await {
                Ok(data) => Ok(Some(self.parse_info(&data)?)),
                Err(e) if e.is_not_found() => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn go_mod(&self, version: String) -> BoxFuture<'_, Result<Vec<u8>, RepoError>> {
        Box::pin(async move {
            let enc = modpath::escape_version(&version)
                .map_err(|e| RepoError::BadVersion(e.to_string()))?;
            Ok(self.get(&format!("@v/{enc}.mod")).await?)
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
            let enc = modpath::escape_version(version)
                .map_err(|e| RepoError::BadVersion(e.to_string()))?;
            let url = self.url(&format!("@v/{enc}.zip"));
            match self
                .client
                .get_to_file(&url, dst, dst_path, MAX_ZIP_FILE, progress)
                .await
            {
                Ok(n) => Ok(n),
                Err(HttpError::TooLarge { .. }) => Err(RepoError::ZipTooLarge),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn location(&self, file: RepoFile<'_>) -> Option<Provenance> {
        let (rev, ext) = match file {
            RepoFile::Info(v) => (v, "info"),
            RepoFile::Mod(v) => (v, "mod"),
            RepoFile::Zip(v) => (v, "zip"),
        };
        let enc = modpath::escape_version(rev).ok()?;
        Some(Provenance {
            place: redact(&self.url(&format!("@v/{enc}.{ext}"))),
            entry: Some(redact(&self.base).trim_end_matches('/').to_string()),
        })
    }
}
