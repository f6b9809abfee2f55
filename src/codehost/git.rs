//! A remote git repository mirrored into a bare work directory, queried with
//! the same git commands, in the same order, as the go command
//! (modfetch/codehost/git.go; spec/fetch-protocol.md §9.8).
//!
//! Owns: `ls-remote` refs, revision resolution (hash, tag, branch, `HEAD`,
//! unique hash prefix), fetching only what is needed (one ref shallowly, then
//! all heads and tags, then unshallow), commit metadata, file reads, ancestry
//! checks and `git archive` zips. The work directory is Go's own
//! (`cache/vcs/<sha256>`), so the go command and gomodfetch share it.
//!
//! Must not: know about module versions (coderepo.rs maps revisions to
//! versions), or print.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsString;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex as StdMutex};

use base64::Engine as _;
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, OnceCell};

use super::run::{self, CommandError, VcsEnv};
use super::workdir::{self, FileLock, WorkDirError};

/// The work-directory type Go uses for git (`git3`).
pub const GIT_WORK_DIR_TYPE: &str = "git3";

/// The shortest hex string taken as a commit hash prefix.
const MIN_HASH_DIGITS: usize = 7;

/// Where a result came from, so it can be re-checked later
/// (codehost.go: `Origin`). Serialised into `.info` files by the cache.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub vcs: String,
    pub url: String,
    pub subdir: String,
    pub hash: String,
    pub tag_prefix: String,
    pub tag_sum: String,
    pub git_ref: String,
    pub repo_sum: String,
}

/// A revision of the repository (codehost.go: `RevInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevInfo {
    pub origin: Option<Origin>,
    /// The full commit hash.
    pub name: String,
    /// The 12-digit short hash used in pseudo-versions.
    pub short: String,
    /// The version used in lookup: a tag name, or the hash.
    pub version: String,
    /// Commit time, Unix seconds (UTC).
    pub time: i64,
    /// Tags on this commit.
    pub tags: Vec<String>,
}

/// The tags with a prefix, and their checksum (codehost.go: `Tags`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags {
    pub origin: Origin,
    /// (tag name, commit hash), sorted by name.
    pub list: Vec<(String, String)>,
}

/// A failure talking to git or finding something in the repository.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GitError {
    #[error(transparent)]
    Command(Arc<CommandError>),
    /// A remote that does not exist (ls-remote failed and the URL answers 404/410).
    #[error("{0}")]
    RepoNotFound(Arc<CommandError>),
    #[error("unknown revision {rev}")]
    UnknownRevision {
        rev: String,
        repo_sum: Option<String>,
    },
    #[error("no commits")]
    NoCommits,
    #[error("ambiguous revision {0}")]
    AmbiguousRevision(String),
    #[error("file does not exist")]
    FileNotFound,
    #[error("git remote ({0}) must not be local directory (use URL syntax not host:path syntax)")]
    ScpSyntax(String),
    #[error("git remote ({0}) must not be local directory")]
    LocalDirectory(String),
    #[error("{0}")]
    WorkDir(Arc<WorkDirError>),
    #[error("{path}: {message}", path = .path.display())]
    Io { path: PathBuf, message: String },
    #[error("unexpected response from git log: {0:?}")]
    BadLog(String),
    #[error("unable to resolve git version: {0}")]
    GitVersion(String),
}

impl GitError {
    /// Whether this means "does not exist" (Go's `fs.ErrNotExist`), which
    /// lets a GOPROXY list fall through to the next entry.
    pub fn is_not_exist(&self) -> bool {
        matches!(
            self,
            GitError::RepoNotFound(_)
                | GitError::UnknownRevision { .. }
                | GitError::NoCommits
                | GitError::FileNotFound
        )
    }

    fn io(path: &Path, err: impl std::fmt::Display) -> GitError {
        GitError::Io {
            path: path.to_path_buf(),
            message: err.to_string(),
        }
    }
}

impl From<CommandError> for GitError {
    fn from(e: CommandError) -> Self {
        GitError::Command(Arc::new(e))
    }
}

/// Asks whether an http(s) URL answers 404/410 (Go's `web.GetBytes` probe
/// after a failed `ls-remote`, which turns the failure into not-found).
pub trait NotFoundProbe: Send + Sync {
    fn is_not_found<'a>(&'a self, url: &'a str) -> Pin<Box<dyn Future<Output = bool> + Send + 'a>>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum FetchLevel {
    None,
    Some,
    All,
}

/// The refs `ls-remote` reported: `HEAD`, `refs/heads/*`, `refs/tags/*`
/// (peeled annotated tags replace the tag object).
pub type Refs = BTreeMap<String, String>;

/// A remote git repository and its local work directory.
pub struct GitRepo {
    remote_url: String,
    /// `origin` once the work directory has its remote, else the URL.
    remote: String,
    dir: PathBuf,
    lock_path: PathBuf,
    env: Arc<VcsEnv>,
    git_dir_env: OsString,
    sha256: bool,
    probe: Option<Arc<dyn NotFoundProbe>>,
    /// Go's `r.mu` in-process half (the file lock is the other half).
    fetch_level: Mutex<FetchLevel>,
    /// Go's per-directory command serialisation (codehost.go: `dirLock`).
    cmd_lock: Mutex<()>,
    refs: OnceCell<Result<Arc<Refs>, GitError>>,
    local_tags: OnceCell<StdMutex<HashSet<String>>>,
    stat_cache: Mutex<HashMap<String, Result<RevInfo, GitError>>>,
}

impl std::fmt::Debug for GitRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitRepo")
            .field("remote_url", &self.remote_url)
            .field("dir", &self.dir)
            .finish()
    }
}

/// Reports whether `rev` is entirely lower-case hexadecimal (codehost.go: `AllHex`).
pub fn all_hex(rev: &str) -> bool {
    rev.bytes()
        .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

impl GitRepo {
    /// Opens (creating on first use) the work directory for `remote_url`,
    /// as Go's `newGitRepo` does: `ls-remote` first (to learn the hash
    /// format), `git init --bare`, `git remote add origin`.
    pub async fn open(
        env: Arc<VcsEnv>,
        remote_url: &str,
        probe: Option<Arc<dyn NotFoundProbe>>,
    ) -> Result<GitRepo, GitError> {
        if !remote_url.contains("://") {
            if remote_url.contains(':') {
                return Err(GitError::ScpSyntax(remote_url.to_owned()));
            }
            return Err(GitError::LocalDirectory(remote_url.to_owned()));
        }
        let modcache = env.modcache.clone();
        let url = remote_url.to_owned();
        let trace = env.trace.clone();
        let (dir, lock_path) = tokio::task::spawn_blocking(move || {
            workdir::work_dir(&modcache, GIT_WORK_DIR_TYPE, &url, trace.as_ref())
        })
        .await
        .map_err(|e| GitError::io(&env.modcache, e))?
        .map_err(|e| GitError::WorkDir(Arc::new(e)))?;

        let mut repo = GitRepo {
            remote_url: remote_url.to_owned(),
            remote: remote_url.to_owned(),
            git_dir_env: dir.clone().into_os_string(),
            dir,
            lock_path,
            env,
            sha256: false,
            probe,
            fetch_level: Mutex::new(FetchLevel::None),
            cmd_lock: Mutex::new(()),
            refs: OnceCell::new(),
            local_tags: OnceCell::new(),
            stat_cache: Mutex::new(HashMap::new()),
        };

        {
            let _lock = repo.file_lock().await?;
            if std::fs::metadata(repo.dir.join("objects")).is_err() {
                let sha256_refs = match repo.load_refs().await {
                    Ok(refs) => refs.values().next().is_some_and(|h| h.len() == 64),
                    Err(_) => false,
                };
                let supports_sha256 = repo.git_supports_sha256().await?;
                let mut args = vec!["init", "--bare"];
                if sha256_refs {
                    args.push("--object-format=sha256");
                } else if supports_sha256 {
                    args.push("--object-format=sha1");
                }
                if let Err(e) = repo.run_git(&args).await {
                    let _ = std::fs::remove_dir_all(&repo.dir);
                    return Err(e.into());
                }
                let url = repo.remote_url.clone();
                if let Err(e) = repo.run_git(&["remote", "add", "origin", "--", &url]).await {
                    let _ = std::fs::remove_dir_all(&repo.dir);
                    return Err(e.into());
                }
            }
        }
        repo.sha256 = repo.check_config_sha256().await;
        repo.remote = "origin".to_owned();
        Ok(repo)
    }

    /// The remote URL as resolved (what `.info` Origin.URL records).
    pub fn remote_url(&self) -> &str {
        &self.remote_url
    }

    /// The work directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    async fn file_lock(&self) -> Result<FileLock, GitError> {
        FileLock::lock_async(self.lock_path.clone())
            .await
            .map_err(|e| GitError::io(&self.lock_path, e))
    }

    async fn run_git(&self, args: &[&str]) -> Result<Vec<u8>, CommandError> {
        let _serial = self.cmd_lock.lock().await;
        // GIT_DIR makes git work with safe.bareRepository=explicit (Go 1.26).
        run::run(
            &self.env,
            &self.dir,
            &self.env.git,
            args,
            &[("GIT_DIR", &self.git_dir_env)],
        )
        .await
    }

    async fn git_supports_sha256(&self) -> Result<bool, GitError> {
        // Go runs `git version` directly, outside its traced runner.
        let mut quiet = (*self.env).clone();
        quiet.trace = None;
        let out = run::run(&quiet, &self.dir, &self.env.git, &["version"], &[])
            .await
            .map_err(|e| GitError::GitVersion(e.to_string()))?;
        let text = String::from_utf8_lossy(&out);
        let version = parse_git_version(&text).ok_or_else(|| {
            GitError::GitVersion(format!(
                "git version extraction regexp did not match version line: {text:?}"
            ))
        })?;
        Ok(version >= (2, 29, 0))
    }

    async fn check_config_sha256(&self) -> bool {
        match self.run_git(&["config", "extensions.objectformat"]).await {
            Ok(out) => String::from_utf8_lossy(&out).trim() == "sha256",
            Err(_) => false,
        }
    }

    fn hex_hash_len(&self) -> usize {
        if self.sha256 { 64 } else { 40 }
    }

    fn shorten_hash(&self, rev: &str) -> String {
        if all_hex(rev) && rev.len() == self.hex_hash_len() {
            rev[..12].to_owned()
        } else {
            rev.to_owned()
        }
    }

    /// The remote's refs, loaded once with `git ls-remote -q`.
    pub async fn load_refs(&self) -> Result<Arc<Refs>, GitError> {
        self.refs
            .get_or_init(|| async {
                let remote = self.remote.clone();
                match self.run_git(&["ls-remote", "-q", "--end-of-options", &remote]).await {
                    Ok(out) => Ok(Arc::new(parse_ls_remote(&String::from_utf8_lossy(&out)))),
                    Err(mut err) => {
                        if err.stderr.contains("fatal: could not read Username") {
                            err.help = Some(format!(
                                "Confirm the import path was entered correctly.\nIf this is a private repository, see {} for additional information.",
                                crate::settings::defaults::GIT_HTTPS_FAQ
                            ));
                        }
                        let is_http = self.remote_url.starts_with("http://")
                            || self.remote_url.starts_with("https://");
                        if is_http
                            && let Some(probe) = &self.probe
                            && probe.is_not_found(&self.remote_url).await
                        {
                            return Err(GitError::RepoNotFound(Arc::new(err)));
                        }
                        Err(err.into())
                    }
                }
            })
            .await
            .clone()
    }

    /// Tags starting with `prefix`, with Go's `t1:` checksum over those that
    /// could matter for versions (codehost.go: `isOriginTag`, via `is_origin_tag`).
    pub async fn tags(
        &self,
        prefix: &str,
        is_origin_tag: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<Tags, GitError> {
        let refs = self.load_refs().await?;
        let mut list: Vec<(String, String)> = refs
            .iter()
            .filter_map(|(r, h)| {
                let tag = r.strip_prefix("refs/tags/")?;
                tag.starts_with(prefix).then(|| (tag.to_owned(), h.clone()))
            })
            .collect();
        list.sort();
        let dir = &prefix[..prefix.rfind('/').map_or(0, |i| i + 1)];
        let mut h = Sha256::new();
        for (name, hash) in &list {
            if is_origin_tag(name.strip_prefix(dir).unwrap_or(name)) {
                h.update(format!("{} {hash}\n", go_quote(name)));
            }
        }
        Ok(Tags {
            origin: Origin {
                vcs: "git".into(),
                url: self.remote_url.clone(),
                tag_prefix: prefix.to_owned(),
                tag_sum: format!(
                    "t1:{}",
                    base64::engine::general_purpose::STANDARD.encode(h.finalize())
                ),
                ..Origin::default()
            },
            list,
        })
    }

    /// A checksum of every ref (Go's `repoSum`, `r1:`).
    pub fn repo_sum(refs: &Refs) -> String {
        let mut h = Sha256::new();
        for (r, hash) in refs {
            h.update(format!("{} {hash}\n", go_quote(r)));
        }
        format!(
            "r1:{}",
            base64::engine::general_purpose::STANDARD.encode(h.finalize())
        )
    }

    /// The commit `HEAD` points at on the remote (codehost.go: `Latest`).
    pub async fn latest(&self) -> Result<RevInfo, GitError> {
        let refs = self.load_refs().await?;
        let Some(head) = refs.get("HEAD").filter(|h| !h.is_empty()).cloned() else {
            return Err(GitError::NoCommits);
        };
        let mut info = self.stat(&head).await?;
        let origin = info.origin.get_or_insert_with(Origin::default);
        origin.git_ref = "HEAD".into();
        origin.hash = head;
        Ok(info)
    }

    /// Resolves `rev` (hash, prefix, tag, branch, `HEAD`), fetching what is
    /// needed; results are cached per process.
    pub async fn stat(&self, rev: &str) -> Result<RevInfo, GitError> {
        if rev == "latest" {
            return Box::pin(self.latest()).await;
        }
        if let Some(hit) = self.stat_cache.lock().await.get(rev) {
            return hit.clone();
        }
        let result = self.stat_uncached(rev).await;
        self.stat_cache
            .lock()
            .await
            .insert(rev.to_owned(), result.clone());
        result
    }

    async fn local_tags(&self) -> &StdMutex<HashSet<String>> {
        self.local_tags
            .get_or_init(|| async {
                let mut set = HashSet::new();
                if let Ok(out) = self.run_git(&["tag", "-l"]).await {
                    for line in String::from_utf8_lossy(&out).split('\n') {
                        if !line.is_empty() {
                            set.insert(line.to_owned());
                        }
                    }
                }
                StdMutex::new(set)
            })
            .await
    }

    fn is_hash_like(&self, rev: &str) -> bool {
        rev.len() >= MIN_HASH_DIGITS && rev.len() <= self.hex_hash_len() && all_hex(rev)
    }

    async fn stat_uncached(&self, rev: &str) -> Result<RevInfo, GitError> {
        let mut rev = rev.to_owned();
        // Fast path: maybe rev is a hash we already have locally.
        let mut did_stat_local = false;
        if self.is_hash_like(&rev) {
            if let Ok(info) = self.stat_local(&rev, &rev).await {
                return Ok(info);
            }
            did_stat_local = true;
        }
        // Maybe rev is a tag we already have locally (branches can be stale).
        let have_tag = self
            .local_tags()
            .await
            .lock()
            .map(|t| t.contains(&rev))
            .unwrap_or(false);
        if have_tag {
            return self.stat_local(&rev, &format!("refs/tags/{rev}")).await;
        }

        let refs = self.load_refs().await?;
        let mut git_ref = String::new();
        let mut hash = String::new();
        if let Some(h) = refs
            .get(&format!("refs/tags/{rev}"))
            .filter(|h| !h.is_empty())
        {
            git_ref = format!("refs/tags/{rev}");
            hash = h.clone();
            // Keep rev as is: tags are assumed not to change meaning.
        } else if let Some(h) = refs
            .get(&format!("refs/heads/{rev}"))
            .filter(|h| !h.is_empty())
        {
            git_ref = format!("refs/heads/{rev}");
            hash = h.clone();
            rev = hash.clone();
        } else if rev == "HEAD" && refs.get("HEAD").is_some_and(|h| !h.is_empty()) {
            git_ref = "HEAD".into();
            hash = refs["HEAD"].clone();
            rev = hash.clone();
        } else if self.is_hash_like(&rev) {
            let prefix = rev.clone();
            for (k, h) in refs.iter() {
                if h.starts_with(&prefix) {
                    if !hash.is_empty() && &hash != h {
                        return Err(GitError::AmbiguousRevision(prefix));
                    }
                    if git_ref.is_empty() || git_ref.as_str() > k.as_str() {
                        git_ref = k.clone();
                    }
                    rev = h.clone();
                    hash = h.clone();
                }
            }
            if hash.is_empty() && rev.len() == self.hex_hash_len() {
                hash = rev.clone();
            }
        } else {
            return Err(GitError::UnknownRevision {
                rev,
                repo_sum: Some(GitRepo::repo_sum(&refs)),
            });
        }

        let result = self
            .stat_fetching(&rev, &git_ref, &hash, did_stat_local)
            .await;
        result.map(|mut info| {
            if let Some(origin) = info.origin.as_mut() {
                origin.hash = info.name.clone();
                // Don't record a hash as the Ref.
                if git_ref != origin.hash {
                    origin.git_ref = git_ref.clone();
                }
            }
            info
        })
    }

    async fn stat_fetching(
        &self,
        rev: &str,
        git_ref: &str,
        hash: &str,
        did_stat_local: bool,
    ) -> Result<RevInfo, GitError> {
        // Protect the fetch level and the "fetch more and more" sequence.
        let mut level = self.fetch_level.lock().await;
        let _file = self.file_lock().await?;

        if !did_stat_local && let Ok(info) = self.stat_local(rev, hash).await {
            if let Some(tag) = git_ref.strip_prefix("refs/tags/")
                && !info.tags.iter().any(|t| t == tag)
            {
                // The commit is here but its tag is not: add it and retry.
                self.run_git(&["tag", "--end-of-options", tag, hash])
                    .await?;
                if let Ok(mut t) = self.local_tags().await.lock() {
                    t.insert(tag.to_owned());
                }
                return self.stat_local(rev, git_ref).await;
            }
            return Ok(info);
        }

        // If we know a specific commit and its ref, fetch just that. Never
        // fetch arbitrary hashes no ref points at (rejected pull requests
        // must not masquerade as pseudo-versions).
        if *level <= FetchLevel::Some && !git_ref.is_empty() && !hash.is_empty() {
            *level = FetchLevel::Some;
            let (local_ref, refspec) = if git_ref == "HEAD" {
                (hash.to_owned(), format!("{hash}:refs/dummy"))
            } else {
                (git_ref.to_owned(), format!("{git_ref}:{git_ref}"))
            };
            let remote = self.remote.clone();
            // protocol.version=2 works around a git 2.21 bug (go.dev/issue/56881).
            let fetched = self
                .run_git(&[
                    "-c",
                    "protocol.version=2",
                    "fetch",
                    "-f",
                    "--depth=1",
                    "--end-of-options",
                    &remote,
                    &refspec,
                ])
                .await;
            if fetched.is_ok() {
                return self.stat_local(rev, &local_ref).await;
            }
            // Whatever went wrong, fall back to a complete fetch.
        }

        self.fetch_refs_locked(&mut level).await?;
        self.stat_local(rev, rev).await
    }

    /// Fetches all heads and tags, then unshallows (git.go: `fetchRefsLocked`).
    async fn fetch_refs_locked(&self, level: &mut FetchLevel) -> Result<(), GitError> {
        if *level < FetchLevel::All {
            let remote = self.remote.clone();
            self.run_git(&[
                "fetch",
                "-f",
                "--end-of-options",
                &remote,
                "refs/heads/*:refs/heads/*",
                "refs/tags/*:refs/tags/*",
            ])
            .await?;
            if std::fs::metadata(self.dir.join("shallow")).is_ok() {
                self.run_git(&["fetch", "--unshallow", "-f", "--end-of-options", &remote])
                    .await?;
            }
            *level = FetchLevel::All;
        }
        Ok(())
    }

    /// Fetches the whole history of every head and tag, under the locks.
    pub async fn fetch_all(&self) -> Result<(), GitError> {
        let mut level = self.fetch_level.lock().await;
        let _file = self.file_lock().await?;
        self.fetch_refs_locked(&mut level).await
    }

    /// Describes `rev` from the local repository (git.go: `statLocal`),
    /// using `version` as the version when it is one of the commit's tags.
    async fn stat_local(&self, version: &str, rev: &str) -> Result<RevInfo, GitError> {
        let out = match self
            .run_git(&[
                "-c",
                "log.showsignature=false",
                "log",
                "--no-decorate",
                "-n1",
                "--format=format:%H %ct %D",
                "--end-of-options",
                rev,
                "--",
            ])
            .await
        {
            Ok(out) => out,
            Err(_) => {
                let repo_sum = self.load_refs().await.ok().map(|r| GitRepo::repo_sum(&r));
                return Err(GitError::UnknownRevision {
                    rev: rev.to_owned(),
                    repo_sum,
                });
            }
        };
        let text = String::from_utf8_lossy(&out).into_owned();
        let f: Vec<&str> = text.split_whitespace().collect();
        if f.len() < 2 {
            return Err(GitError::BadLog(text));
        }
        let hash = f[0].to_owned();
        let mut version = version.to_owned();
        if hash.starts_with(&version) {
            version = hash.clone();
        }
        let time: i64 = f[1]
            .parse()
            .map_err(|_| GitError::BadLog(format!("invalid time from git log: {text:?}")))?;
        let mut info = RevInfo {
            origin: Some(Origin {
                vcs: "git".into(),
                url: self.remote_url.clone(),
                hash: hash.clone(),
                ..Origin::default()
            }),
            name: hash.clone(),
            short: self.shorten_hash(&hash),
            version: hash.clone(),
            time,
            tags: Vec::new(),
        };
        if !hash.starts_with(rev)
            && let Some(o) = info.origin.as_mut()
        {
            o.git_ref = rev.to_owned();
        }
        // Decorations look like: HEAD -> master, tag: v1.2.4, tag: v1.2.3, origin/master
        let mut i = 2;
        while i < f.len() {
            if f[i] == "tag:" {
                i += 1;
                if i < f.len() {
                    info.tags.push(f[i].trim_end_matches(',').to_owned());
                }
            }
            i += 1;
        }
        // Newer git omits tags on shallow fetches: add those ls-remote knows.
        if let Ok(refs) = self.load_refs().await {
            for (r, h) in refs.iter() {
                if *h == hash
                    && let Some(tag) = r.strip_prefix("refs/tags/")
                {
                    info.tags.push(tag.to_owned());
                }
            }
        }
        info.tags.sort();
        info.tags.dedup();
        if info.tags.contains(&version) {
            info.version = version;
        }
        Ok(info)
    }

    /// Reads `file` at `rev` (git.go: `ReadFile`); [`GitError::FileNotFound`]
    /// when it is not there.
    pub async fn read_file(&self, rev: &str, file: &str) -> Result<Vec<u8>, GitError> {
        let info = self.stat(rev).await?;
        let spec = format!("{}:{file}", info.name);
        self.run_git(&["cat-file", "--end-of-options", "blob", &spec])
            .await
            .map_err(|_| GitError::FileNotFound)
    }

    /// The tags merged into `rev` (a full hash), without `refs/tags/`
    /// (`git for-each-ref --merged`, as git.go's `RecentTag` uses it).
    pub async fn merged_tags(&self, rev: &str) -> Result<Vec<String>, GitError> {
        let merged = format!("--merged={rev}");
        let out = self
            .run_git(&["for-each-ref", "--format=%(refname)", &merged])
            .await?;
        Ok(String::from_utf8_lossy(&out)
            .split('\n')
            .filter_map(|l| l.trim().strip_prefix("refs/tags/").map(str::to_owned))
            .collect())
    }

    /// Whether `rev` or one of its ancestors carries `tag` (git.go:
    /// `DescendsFrom`), fetching history when the shallow answer is "no".
    pub async fn descends_from(&self, rev: &str, tag: &str) -> Result<bool, GitError> {
        if self
            .run_git(&["merge-base", "--is-ancestor", "--", tag, rev])
            .await
            .is_ok()
        {
            return Ok(true);
        }
        let refs = self.load_refs().await?;
        if !refs.keys().any(|r| {
            r.strip_prefix("refs/tags/")
                .is_some_and(|t| t.starts_with(tag))
        }) {
            return Ok(false);
        }
        self.stat_uncached(rev).await?;
        self.fetch_all().await?;
        match self
            .run_git(&["merge-base", "--is-ancestor", "--", tag, rev])
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.exit_code() == Some(1) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// `git archive --format=zip` of `rev` (optionally only `subdir`), with
    /// export-subst/export-ignore disabled so the bytes do not depend on
    /// attributes (go.dev/issue/27153). Not-found when `subdir` is absent.
    pub async fn read_zip(&self, rev: &str, subdir: &str) -> Result<Vec<u8>, GitError> {
        let info = self.stat(rev).await?;
        let _level = self.fetch_level.lock().await;
        let _file = self.file_lock().await?;
        ensure_git_attributes(&self.dir)
            .map_err(|e| GitError::io(&self.dir.join("info/attributes"), e))?;
        let mut args = vec![
            "-c",
            "core.autocrlf=input",
            "-c",
            "core.eol=lf",
            "archive",
            "--format=zip",
            "--prefix=prefix/",
            "--end-of-options",
            &info.name,
        ];
        if !subdir.is_empty() {
            args.push(subdir);
        }
        match self.run_git(&args).await {
            Ok(out) => Ok(out),
            Err(e) if e.stderr.contains("did not match any files") => Err(GitError::FileNotFound),
            Err(e) => Err(e.into()),
        }
    }
}

/// Appends `\n* -export-subst -export-ignore\n` to `info/attributes` unless
/// the file already ends with it (git.go: `ensureGitAttributes`).
fn ensure_git_attributes(repo_dir: &Path) -> std::io::Result<()> {
    use std::io::{Read, Write};
    const ATTR: &[u8] = b"\n* -export-subst -export-ignore\n";
    let d = repo_dir.join("info");
    std::fs::create_dir_all(&d)?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(d.join("attributes"))?;
    let mut b = Vec::new();
    f.read_to_end(&mut b)?;
    if !b.ends_with(ATTR) {
        f.write_all(ATTR)?;
    }
    Ok(())
}

/// Parses `git ls-remote` output into refs, keeping `HEAD`, heads and tags,
/// with peeled `^{}` values replacing annotated tag objects.
pub fn parse_ls_remote(out: &str) -> Refs {
    let mut refs = Refs::new();
    for line in out.split('\n') {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 2 {
            continue;
        }
        if f[1] == "HEAD" || f[1].starts_with("refs/heads/") || f[1].starts_with("refs/tags/") {
            refs.insert(f[1].to_owned(), f[0].to_owned());
        }
    }
    let peeled: Vec<(String, String)> = refs
        .iter()
        .filter_map(|(r, h)| r.strip_suffix("^{}").map(|k| (k.to_owned(), h.clone())))
        .collect();
    refs.retain(|r, _| !r.ends_with("^{}"));
    for (k, h) in peeled {
        refs.insert(k, h);
    }
    refs
}

/// `git version 2.39.5` → (2, 39, 5); patch defaults to 0.
fn parse_git_version(text: &str) -> Option<(u32, u32, u32)> {
    let rest = text.split("git version").nth(1)?.trim_start();
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let mut parts = word.split('.').filter(|p| !p.is_empty());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let patch = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    Some((major, minor, patch))
}

/// Go's `%q` for the strings that appear in tag and ref names: double
/// quotes with `"` and `\` escaped, non-printable bytes as `\x..`.
/// (Ref names cannot hold control characters or spaces, so this covers
/// every name git reports.)
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ls_remote_keeps_heads_tags_head_and_peels() {
        let out = "aaa\tHEAD\nbbb\trefs/heads/main\nccc\trefs/tags/v1.0.0\nddd\trefs/tags/v1.0.0^{}\neee\trefs/pull/1/head\nfff\trefs/tags/v2.0.0\n";
        let refs = parse_ls_remote(out);
        let want: Refs = [
            ("HEAD", "aaa"),
            ("refs/heads/main", "bbb"),
            ("refs/tags/v1.0.0", "ddd"),
            ("refs/tags/v2.0.0", "fff"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
        assert_eq!(refs, want);
    }

    #[test]
    fn git_versions() {
        assert_eq!(parse_git_version("git version 2.39.5\n"), Some((2, 39, 5)));
        assert_eq!(
            parse_git_version("git version 2.29.windows.1"),
            Some((2, 29, 0))
        );
        assert_eq!(parse_git_version("nope"), None);
    }

    #[test]
    fn hex_and_quote() {
        assert!(all_hex("0123abcdef"));
        assert!(!all_hex("0123ABCDEF"));
        assert_eq!(go_quote(r#"a"b\c"#), r#""a\"b\\c""#);
    }

    use crate::codehost::testrepo::{TestRepo, env};

    fn any_tag(_: &str) -> bool {
        true
    }

    #[tokio::test]
    async fn resolves_tags_branches_hashes_and_reads_files() {
        let tmp = tempfile::tempdir().unwrap();
        let mut src = TestRepo::new(&tmp.path().join("src"));
        src.write("go.mod", "module example.com/r\n");
        let c1 = src.commit("one");
        src.tag("v1.0.0").annotated_tag("v1.0.1");
        src.write("a.go", "package r\n");
        let c2 = src.commit("two");
        let modcache = tmp.path().join("mod");
        let repo = GitRepo::open(env(&modcache), &src.url(), None)
            .await
            .unwrap();
        assert!(repo.dir().starts_with(modcache.join("cache/vcs")));

        let info = repo.stat("v1.0.0").await.unwrap();
        assert_eq!(info.name, c1);
        assert_eq!(info.short, &c1[..12]);
        assert_eq!(info.version, "v1.0.0");
        assert_eq!(info.time, 1_706_933_106);
        assert_eq!(info.tags, vec!["v1.0.0", "v1.0.1"]);
        let origin = info.origin.unwrap();
        assert_eq!(origin.git_ref, "refs/tags/v1.0.0");
        assert_eq!(origin.hash, c1);
        assert_eq!(origin.url, src.url());

        // The annotated tag resolves to the commit, not the tag object.
        assert_eq!(repo.stat("v1.0.1").await.unwrap().name, c1);

        let main = repo.stat("main").await.unwrap();
        assert_eq!(main.name, c2);
        assert_eq!(main.version, c2);
        assert_eq!(main.origin.unwrap().git_ref, "refs/heads/main");

        let latest = repo.latest().await.unwrap();
        assert_eq!(latest.name, c2);
        assert_eq!(latest.origin.unwrap().git_ref, "HEAD");

        // A hash prefix of a ref resolves; of nothing known, it is unknown.
        assert_eq!(repo.stat(&c2[..8]).await.unwrap().name, c2);
        assert!(repo.stat("nosuchbranch").await.unwrap_err().is_not_exist());

        assert_eq!(
            repo.read_file("v1.0.0", "go.mod").await.unwrap(),
            b"module example.com/r\n"
        );
        assert!(matches!(
            repo.read_file("v1.0.0", "a.go").await,
            Err(GitError::FileNotFound)
        ));

        // History: the branch descends from v1.0.0.
        assert!(repo.descends_from(&c2, "v1.0.0").await.unwrap());
        let mut merged = repo.merged_tags(&c2).await.unwrap();
        merged.sort();
        assert_eq!(merged, vec!["v1.0.0", "v1.0.1"]);

        let tags = repo.tags("v1.0", &any_tag).await.unwrap();
        assert_eq!(tags.list.len(), 2);
        assert!(tags.origin.tag_sum.starts_with("t1:"));

        let zip = repo.read_zip("main", "").await.unwrap();
        assert_eq!(&zip[..2], b"PK");
        assert!(matches!(
            repo.read_zip("main", "nosuchdir").await,
            Err(GitError::FileNotFound)
        ));
        let attrs = std::fs::read_to_string(repo.dir().join("info/attributes")).unwrap();
        assert!(attrs.ends_with("\n* -export-subst -export-ignore\n"));

        // A second open reuses the work directory.
        let again = GitRepo::open(env(&modcache), &src.url(), None)
            .await
            .unwrap();
        assert_eq!(again.dir(), repo.dir());
        assert_eq!(again.stat("v1.0.0").await.unwrap().name, c1);
    }

    #[tokio::test]
    async fn missing_repository_is_a_command_error_with_stderr() {
        let tmp = tempfile::tempdir().unwrap();
        let url = format!("file://{}/nope", tmp.path().display());
        let repo = GitRepo::open(env(&tmp.path().join("mod")), &url, None)
            .await
            .unwrap();
        let err = repo.stat("v1.0.0").await.unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(&format!("git ls-remote -q --end-of-options {url} in ")),
            "{text}"
        );
        assert!(text.contains("exit status 128:\n\t"), "{text}");
    }

    #[tokio::test]
    async fn local_paths_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let e = env(tmp.path());
        assert!(matches!(
            GitRepo::open(e.clone(), "/srv/repo", None).await,
            Err(GitError::LocalDirectory(_))
        ));
        assert!(matches!(
            GitRepo::open(e, "host:repo", None).await,
            Err(GitError::ScpSyntax(_))
        ));
    }
}
