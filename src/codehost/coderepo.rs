//! A module inside a repository: versions, revisions, go.mod files and the
//! file list of its zip, exactly as the go command derives them
//! (modfetch/coderepo.go; spec/fetch-protocol.md §9.4, §9.9;
//! spec/integrity.md §6.3–6.4).
//!
//! Owns: the module↔repository mapping (`codeDir`, `/vN` and gopkg.in
//! majors, `vN/go.mod`), tag prefixes for modules in subdirectories,
//! `+incompatible`, pseudo-versions built on the highest reachable allowed
//! tag and validated when given, retractions from the latest release's
//! go.mod, and the zip's files from `git archive` (subdirectory stripped,
//! the root LICENSE added to subdirectory modules without one).
//!
//! Must not: write the module cache (the Fetcher does) or build the zip
//! bytes (zipbuild.rs does, from [`CodeRepo::zip_files`]).

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

use super::git::{GitError, GitRepo, Origin, RevInfo, all_hex};
use super::vcs::has_path_prefix;
use crate::module::{modfile, path as modpath, pseudo, version as semver};
use crate::verify::zipcheck::{FileInfo, FileKind, ModuleFile};

/// Largest go.mod and LICENSE read from a repository (codehost.go).
pub const MAX_GO_MOD: usize = 16 << 20;
/// Largest `git archive` accepted (codehost.go: `MaxZipFile`).
pub const MAX_ZIP_FILE: usize = 500 << 20;

/// What a failure is about, as Go's error values carry it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Cause {
    #[error(transparent)]
    Git(#[from] GitError),
    /// A message; `not_exist` when Go wraps it as `fs.ErrNotExist`.
    #[error("{text}")]
    Message { text: String, not_exist: bool },
}

impl Cause {
    fn msg(text: impl Into<String>) -> Cause {
        Cause::Message {
            text: text.into(),
            not_exist: false,
        }
    }
    fn not_exist(text: impl Into<String>) -> Cause {
        Cause::Message {
            text: text.into(),
            not_exist: true,
        }
    }
    pub fn is_not_exist(&self) -> bool {
        match self {
            Cause::Git(e) => e.is_not_exist(),
            Cause::Message { not_exist, .. } => *not_exist,
        }
    }
}

/// A direct-mode failure, displayed exactly as the go command displays it
/// (x/mod `ModuleError` / `InvalidVersionError` nesting).
#[derive(Debug, Clone, thiserror::Error)]
pub enum CodeRepoError {
    /// `path@version: invalid version: cause`
    #[error("{path}@{version}: invalid {}: {cause}", if *.pseudo { "pseudo-version" } else { "version" })]
    InvalidVersion {
        path: String,
        version: String,
        pseudo: bool,
        cause: Cause,
        /// Origin recorded with the failure (RepoSum of an unknown revision).
        origin: Option<Box<Origin>>,
    },
    /// `module path: cause` (a failure listing versions).
    #[error("module {path}: {cause}")]
    Module { path: String, cause: Cause },
    /// A cause Go returns without module context.
    #[error(transparent)]
    Plain(Cause),
}

impl CodeRepoError {
    /// Go's `errors.Is(err, fs.ErrNotExist)`.
    pub fn is_not_exist(&self) -> bool {
        match self {
            CodeRepoError::InvalidVersion { cause, .. }
            | CodeRepoError::Module { cause, .. }
            | CodeRepoError::Plain(cause) => cause.is_not_exist(),
        }
    }
}

impl From<GitError> for CodeRepoError {
    fn from(e: GitError) -> Self {
        CodeRepoError::Plain(Cause::Git(e))
    }
}

/// The versions of a module, with where the answer came from.
#[derive(Debug, Clone, Default)]
pub struct Versions {
    pub origin: Option<Origin>,
    pub list: Vec<String>,
}

/// A resolved module version (modfetch.RevInfo): what `.info` records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionInfo {
    pub version: String,
    /// Commit time, Unix seconds, UTC.
    pub time: i64,
    pub origin: Option<Origin>,
    /// Full commit hash and short form (not written to `.info`).
    pub name: String,
    pub short: String,
}

/// One file for the module zip, read out of `git archive`.
#[derive(Debug, Clone)]
pub struct ArchiveFile {
    pub path: String,
    pub kind: FileKind,
    pub data: Vec<u8>,
}

impl ModuleFile for ArchiveFile {
    fn path(&self) -> &str {
        &self.path
    }
    fn lstat(&self) -> std::io::Result<FileInfo> {
        Ok(FileInfo {
            kind: self.kind,
            size: self.data.len() as u64,
        })
    }
    fn open(&self) -> std::io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(Cursor::new(&self.data[..])))
    }
}

/// Go's codehost `isOriginTag`: tags that can matter for versions.
pub fn is_origin_tag(tag: &str) -> bool {
    let c = semver::canonical(tag);
    !c.is_empty() && tag.starts_with(&c) && !pseudo::is_pseudo_version(tag)
}

/// Go's `LegacyGoMod`: the go.mod synthesised for a module without one.
/// (A valid module path never needs quoting.)
pub fn legacy_go_mod(path: &str) -> Vec<u8> {
    format!("module {path}\n").into_bytes()
}

/// Files read per (revision, path); `None` when absent.
type FileCache = HashMap<(String, String), Option<Vec<u8>>>;

/// A module at a path within a repository (coderepo.go: `codeRepo`).
pub struct CodeRepo {
    mod_path: String,
    code: Arc<GitRepo>,
    code_root: String,
    code_dir: String,
    path_prefix: String,
    path_major: String,
    pseudo_major: String,
    retracted: tokio::sync::OnceCell<Option<Vec<(String, String)>>>,
    go_mod_cache: Mutex<FileCache>,
}

impl std::fmt::Debug for CodeRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeRepo")
            .field("mod_path", &self.mod_path)
            .field("code_root", &self.code_root)
            .field("code_dir", &self.code_dir)
            .finish()
    }
}

fn join_path(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ => format!("{a}/{b}"),
    }
}

/// Go's `path.Join` for clean relative paths ("." for empty).
fn clean_join(a: &str, b: &str) -> String {
    let j = join_path(a, b);
    if j.is_empty() { ".".to_owned() } else { j }
}

impl CodeRepo {
    /// Go's `newCodeRepo`: `path` must lie at or below `code_root`.
    pub fn new(
        code: Arc<GitRepo>,
        code_root: &str,
        subdir: &str,
        path: &str,
    ) -> Result<CodeRepo, CodeRepoError> {
        if !has_path_prefix(path, code_root) {
            return Err(CodeRepoError::Plain(Cause::msg(format!(
                "mismatched repo: found {code_root} for {path}"
            ))));
        }
        let Some((mut path_prefix, path_major)) = modpath::split_path_version(path) else {
            return Err(CodeRepoError::Plain(Cause::msg(format!(
                "invalid module path {path:?}"
            ))));
        };
        if code_root == path {
            path_prefix = path;
        }
        let pseudo_major = modpath::path_major_prefix(path_major)
            .unwrap_or("")
            .to_owned();
        let mut code_dir = String::new();
        if code_root != path {
            if !has_path_prefix(path_prefix, code_root) {
                return Err(CodeRepoError::Plain(Cause::msg(format!(
                    "repository rooted at {code_root} cannot contain module {path}"
                ))));
            }
            code_dir = path_prefix[code_root.len()..].trim_matches('/').to_owned();
        }
        if !subdir.is_empty() {
            code_dir = clean_join(&code_dir, subdir);
        }
        Ok(CodeRepo {
            mod_path: path.to_owned(),
            code,
            code_root: code_root.to_owned(),
            code_dir,
            path_prefix: path_prefix.to_owned(),
            path_major: path_major.to_owned(),
            pseudo_major,
            retracted: tokio::sync::OnceCell::new(),
            go_mod_cache: Mutex::new(HashMap::new()),
        })
    }

    pub fn module_path(&self) -> &str {
        &self.mod_path
    }

    pub fn code_dir(&self) -> &str {
        &self.code_dir
    }

    /// `ReadFile(rev, file)`, cached per process: `Ok(None)` when absent.
    async fn read_file(&self, rev: &str, file: &str) -> Result<Option<Vec<u8>>, GitError> {
        let key = (rev.to_owned(), file.to_owned());
        if let Ok(cache) = self.go_mod_cache.lock()
            && let Some(hit) = cache.get(&key)
        {
            return Ok(hit.clone());
        }
        let data = match self.code.read_file(rev, file).await {
            Ok(d) if d.len() > MAX_GO_MOD => return Err(GitError::FileNotFound),
            Ok(d) => Some(d),
            Err(GitError::FileNotFound) => None,
            Err(e) => return Err(e),
        };
        if let Ok(mut cache) = self.go_mod_cache.lock() {
            cache.insert(key, data.clone());
        }
        Ok(data)
    }

    /// The canonical tagged versions with `prefix` (coderepo.go: `Versions`).
    pub async fn versions(&self, prefix: &str) -> Result<Versions, CodeRepoError> {
        if self.mod_path.starts_with("gopkg.in/") && self.mod_path.ends_with("-unstable") {
            return Ok(Versions::default());
        }
        let p = if self.code_dir.is_empty() {
            prefix.to_owned()
        } else {
            format!("{}/{prefix}", self.code_dir)
        };
        let tags = self
            .code
            .tags(&p, &is_origin_tag)
            .await
            .map_err(|e| CodeRepoError::Module {
                path: self.mod_path.clone(),
                cause: e.into(),
            })?;
        let mut origin = tags.origin.clone();
        origin.subdir = self.code_dir.clone();
        let mut list = Vec::new();
        let mut incompatible = Vec::new();
        for (name, _) in &tags.list {
            if !name.starts_with(&p) {
                continue;
            }
            let v = if self.code_dir.is_empty() {
                name.as_str()
            } else {
                &name[self.code_dir.len() + 1..]
            };
            if v.is_empty() || v != semver::canonical(v) || pseudo::is_pseudo_version(v) {
                continue;
            }
            if modpath::check_path_major(v, &self.path_major).is_err() {
                if self.code_dir.is_empty()
                    && self.path_major.is_empty()
                    && semver::compare(semver::major(v), "v1").is_gt()
                {
                    incompatible.push(v.to_owned());
                }
                continue;
            }
            list.push(v.to_owned());
        }
        semver::sort(&mut list);
        semver::sort(&mut incompatible);
        self.append_incompatible_versions(origin, list, incompatible)
            .await
    }

    async fn version_has_go_mod(&self, v: &str) -> Result<bool, CodeRepoError> {
        self.read_file(v, "go.mod")
            .await
            .map(|d| d.is_some())
            .map_err(|e| CodeRepoError::Module {
                path: self.mod_path.clone(),
                cause: e.into(),
            })
    }

    async fn append_incompatible_versions(
        &self,
        origin: Origin,
        mut list: Vec<String>,
        incompatible: Vec<String>,
    ) -> Result<Versions, CodeRepoError> {
        if incompatible.is_empty() || !self.path_major.is_empty() {
            return Ok(Versions {
                origin: Some(origin),
                list,
            });
        }
        if let Some(last) = list.last().cloned()
            && self.version_has_go_mod(&last).await?
        {
            // The latest v0/v1 has a go.mod: no +incompatible versions (go.dev/issue/34189).
            return Ok(Versions {
                origin: Some(origin),
                list,
            });
        }
        let mut last_major = String::new();
        let mut last_major_has_go_mod = false;
        for (i, v) in incompatible.iter().enumerate() {
            let major = semver::major(v);
            if major != last_major {
                let rem = &incompatible[i..];
                let j = rem
                    .iter()
                    .position(|r| semver::major(r) != major)
                    .unwrap_or(rem.len());
                let latest_at_major = &rem[j - 1];
                last_major = major.to_owned();
                last_major_has_go_mod = self.version_has_go_mod(latest_at_major).await?;
            }
            if last_major_has_go_mod {
                continue;
            }
            list.push(format!("{v}+incompatible"));
        }
        Ok(Versions {
            origin: Some(origin),
            list,
        })
    }

    fn invalid(&self, version: &str, cause: Cause) -> CodeRepoError {
        CodeRepoError::InvalidVersion {
            path: self.mod_path.clone(),
            version: version.to_owned(),
            pseudo: false,
            cause,
            origin: None,
        }
    }

    /// Resolves any revision to a module version (coderepo.go: `Stat`).
    pub async fn stat(&self, rev: &str) -> Result<VersionInfo, CodeRepoError> {
        if rev == "latest" {
            return self.latest().await;
        }
        let code_rev = self.rev_to_rev(rev);
        let info = match self.code.stat(&code_rev).await {
            Ok(info) => info,
            Err(e) => {
                let origin = match &e {
                    GitError::UnknownRevision {
                        repo_sum: Some(sum),
                        ..
                    } => Some(Box::new(Origin {
                        vcs: "git".into(),
                        url: self.code.remote_url().to_owned(),
                        repo_sum: sum.clone(),
                        ..Origin::default()
                    })),
                    _ => None,
                };
                return Err(CodeRepoError::InvalidVersion {
                    path: self.mod_path.clone(),
                    version: rev.to_owned(),
                    pseudo: false,
                    cause: e.into(),
                    origin,
                });
            }
        };
        self.convert(&info, rev).await
    }

    /// The newest commit on the default branch, as a version.
    pub async fn latest(&self) -> Result<VersionInfo, CodeRepoError> {
        let info = self.code.latest().await?;
        self.convert(&info, "").await
    }

    /// Whether `+incompatible` may be used for major of `v` at commit `name`.
    async fn can_use_incompatible(
        &self,
        name: &str,
        v: &str,
        stat_vers: &str,
    ) -> Result<bool, CodeRepoError> {
        if !self.code_dir.is_empty() || !self.path_major.is_empty() {
            return Ok(false);
        }
        if self.read_file(name, "go.mod").await?.is_some() {
            return Ok(false);
        }
        if !v.is_empty() && !stat_vers.ends_with("+incompatible") {
            let major = semver::major(v);
            if self
                .read_file(name, &format!("{major}/go.mod"))
                .await?
                .is_some()
            {
                return Ok(false);
            }
        }
        Ok(true)
    }

    async fn check_canonical(
        &self,
        info: &RevInfo,
        v: &str,
        stat_vers: &str,
    ) -> Result<VersionInfo, CodeRepoError> {
        if let Err(cause) = self.find_dir(v).await {
            return Err(CodeRepoError::InvalidVersion {
                path: self.mod_path.clone(),
                version: v.to_owned(),
                pseudo: false,
                cause: match cause {
                    Cause::Message { text, .. } => Cause::not_exist(text),
                    other => other,
                },
                origin: None,
            });
        }
        let mut v = v.to_owned();
        if v == stat_vers.trim_end_matches("+incompatible") && stat_vers.ends_with("+incompatible")
        {
            v = stat_vers.to_owned();
        }
        let base = v.strip_suffix("+incompatible").unwrap_or(&v).to_owned();
        let mut err_incompatible = None;
        if !modpath::match_path_major(&base, &self.path_major) {
            if self
                .can_use_incompatible(&info.name, &base, stat_vers)
                .await?
            {
                v = format!("{base}+incompatible");
            } else if !self.path_major.is_empty() {
                err_incompatible = Some(
                    "module path includes a major version suffix, so major version must match"
                        .to_owned(),
                );
            } else {
                err_incompatible = Some(format!(
                    "module contains a go.mod file, so module path must match major version ({:?})",
                    format!("{}/{}", self.path_prefix, semver::major(&v))
                ));
            }
        } else if v.ends_with("+incompatible") {
            err_incompatible = Some(format!(
                "+incompatible suffix not allowed: major version {} is compatible",
                semver::major(&v)
            ));
        }
        if !stat_vers.is_empty() && stat_vers == semver::canonical_module_version(stat_vers) {
            let stat_base = stat_vers.strip_suffix("+incompatible").unwrap_or(stat_vers);
            if stat_base != base {
                return Err(self.invalid(
                    stat_vers,
                    Cause::msg(format!(
                        "resolves to version {v} ({stat_base} is not a tag)"
                    )),
                ));
            }
        }
        if let Some(text) = err_incompatible {
            return Err(self.invalid(&v, Cause::msg(text)));
        }
        Ok(VersionInfo {
            version: v,
            time: info.time,
            origin: None,
            name: info.name.clone(),
            short: info.short.clone(),
        })
    }

    /// Go's `convert` plus its deferred Origin bookkeeping.
    async fn convert(&self, info: &RevInfo, stat_vers: &str) -> Result<VersionInfo, CodeRepoError> {
        let mut result = self.convert_inner(info, stat_vers).await;
        if let (Ok(rev), Some(origin)) = (&mut result, &info.origin) {
            let mut origin = origin.clone();
            origin.subdir = self.code_dir.clone();
            let v = rev.version.clone();
            if pseudo::is_pseudo_version(&v) && (v != stat_vers || !v.starts_with("v0.0.0-")) {
                let mut prefix = self.code_dir.clone();
                if !prefix.is_empty() {
                    prefix.push('/');
                }
                if !self.path_major.is_empty() {
                    prefix.push_str(&self.path_major[1..]);
                    prefix.push('.');
                }
                match self.code.tags(&prefix, &is_origin_tag).await {
                    Ok(tags) => {
                        origin.tag_prefix = tags.origin.tag_prefix;
                        origin.tag_sum = tags.origin.tag_sum;
                        rev.origin = Some(origin);
                    }
                    Err(e) => return Err(e.into()),
                }
            } else {
                rev.origin = Some(origin);
            }
        }
        result
    }

    /// Trims the tag prefix and returns the canonical version and whether the
    /// tag is exactly canonical (coderepo.go: `tagToVersion`).
    fn tag_to_version(&self, tag: &str) -> (String, bool) {
        let tag_prefix = self.tag_prefix();
        let Some(trimmed) = tag.strip_prefix(tag_prefix.as_str()) else {
            return (String::new(), false);
        };
        if pseudo::is_pseudo_version(tag) {
            return (String::new(), false);
        }
        let v = semver::canonical(trimmed);
        if v.is_empty() || !trimmed.starts_with(&v) {
            return (String::new(), false);
        }
        let canonical = v == trimmed;
        (v, canonical)
    }

    fn tag_prefix(&self) -> String {
        if self.code_dir.is_empty() {
            String::new()
        } else {
            format!("{}/", self.code_dir)
        }
    }

    async fn convert_inner(
        &self,
        info: &RevInfo,
        stat_vers: &str,
    ) -> Result<VersionInfo, CodeRepoError> {
        if pseudo::is_pseudo_version(stat_vers) {
            let rev = self.check_canonical(info, stat_vers, stat_vers).await?;
            self.validate_pseudo_version(info, stat_vers).await?;
            return Ok(rev);
        }
        let retracted = self.retractions().await;
        let is_retracted = |v: &str| {
            retracted
                .iter()
                .any(|(lo, hi)| semver::compare(lo, v).is_le() && semver::compare(v, hi).is_le())
        };

        let (v, canonical) = self.tag_to_version(&info.version);
        if canonical && let Ok(found) = self.check_canonical(info, &v, stat_vers).await {
            return Ok(found);
        }

        let mut highest_canonical = String::new();
        let mut pseudo_base = String::new();
        for path_tag in &info.tags {
            let (v, tag_is_canonical) = self.tag_to_version(path_tag);
            if !stat_vers.is_empty() && semver::compare(&v, stat_vers).is_eq() {
                if tag_is_canonical {
                    return self.check_canonical(info, &v, stat_vers).await;
                }
                pseudo_base = v.clone();
            }
            if tag_is_canonical
                && semver::compare(&highest_canonical, &v).is_lt()
                && !is_retracted(&v)
                && (modpath::match_path_major(&v, &self.path_major)
                    || self.can_use_incompatible(&info.name, &v, stat_vers).await?)
            {
                highest_canonical = v;
            }
        }
        if !highest_canonical.is_empty() {
            return self
                .check_canonical(info, &highest_canonical, stat_vers)
                .await;
        }

        if pseudo_base.is_empty() {
            let tag = self.recent_tag(info, stat_vers, &is_retracted).await?;
            if !tag.is_empty() {
                pseudo_base = self.tag_to_version(&tag).0;
            }
        }
        let time =
            OffsetDateTime::from_unix_timestamp(info.time).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let pv = pseudo::pseudo_version(&self.pseudo_major, &pseudo_base, time, &info.short);
        self.check_canonical(info, &pv, stat_vers).await
    }

    /// Whether `tag` may be a pseudo-version base (coderepo.go: `tagAllowed`).
    async fn tag_allowed(
        &self,
        info: &RevInfo,
        tag: &str,
        stat_vers: &str,
        is_retracted: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<bool, CodeRepoError> {
        let (v, _) = self.tag_to_version(tag);
        if v.is_empty() {
            return Ok(false);
        }
        if !modpath::match_path_major(&v, &self.path_major)
            && !self.can_use_incompatible(&info.name, &v, stat_vers).await?
        {
            return Ok(false);
        }
        Ok(!is_retracted(&v))
    }

    /// The highest allowed tag on `info` or its ancestors (git.go:
    /// `RecentTag`): first with what is fetched, then with full history.
    async fn recent_tag(
        &self,
        info: &RevInfo,
        stat_vers: &str,
        is_retracted: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<String, CodeRepoError> {
        let prefix = self.tag_prefix();
        let merged = self.code.merged_tags(&info.name).await?;
        let tag = self
            .describe(info, merged, &prefix, stat_vers, is_retracted)
            .await?;
        if !tag.is_empty() && !all_hex(&tag) {
            return Ok(tag);
        }
        // No version tag found before rev: does any plausible tag exist?
        let tags = self
            .code
            .tags(&format!("{prefix}v"), &is_origin_tag)
            .await?;
        if tags.list.is_empty() {
            return Ok(String::new());
        }
        self.code.fetch_all().await?;
        let merged = self.code.merged_tags(&info.name).await?;
        self.describe(info, merged, &prefix, stat_vers, is_retracted)
            .await
    }

    /// The highest allowed tag among `merged` (git.go: `RecentTag`'s describe).
    async fn describe(
        &self,
        info: &RevInfo,
        merged: Vec<String>,
        prefix: &str,
        stat_vers: &str,
        is_retracted: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<String, CodeRepoError> {
        let mut highest = String::new();
        for line in merged {
            let Some(semtag) = line.strip_prefix(prefix) else {
                continue;
            };
            if !self
                .tag_allowed(info, &line, stat_vers, is_retracted)
                .await?
            {
                continue;
            }
            if semver::compare(semtag, &highest).is_gt() {
                highest = semtag.to_owned();
            }
        }
        Ok(if highest.is_empty() {
            String::new()
        } else {
            format!("{prefix}{highest}")
        })
    }

    async fn validate_pseudo_version(
        &self,
        info: &RevInfo,
        version: &str,
    ) -> Result<(), CodeRepoError> {
        let fail = |text: String| CodeRepoError::InvalidVersion {
            path: self.mod_path.clone(),
            version: version.to_owned(),
            pseudo: true,
            cause: Cause::msg(text),
            origin: None,
        };
        let rev = pseudo::pseudo_version_rev(version).map_err(|e| fail(e.to_string()))?;
        if rev != info.short {
            return Err(fail(if rev.starts_with(&info.short) {
                format!(
                    "revision is longer than canonical (expected {})",
                    info.short
                )
            } else if info.short.starts_with(rev) {
                format!(
                    "revision is shorter than canonical (expected {})",
                    info.short
                )
            } else {
                format!(
                    "does not match short name of revision (expected {})",
                    info.short
                )
            }));
        }
        let t = pseudo::pseudo_version_time(version).map_err(|e| fail(e.to_string()))?;
        if t.unix_timestamp() != info.time {
            let expected = OffsetDateTime::from_unix_timestamp(info.time)
                .map(|t| {
                    format!(
                        "{:04}{:02}{:02}{:02}{:02}{:02}",
                        t.year(),
                        u8::from(t.month()),
                        t.day(),
                        t.hour(),
                        t.minute(),
                        t.second()
                    )
                })
                .unwrap_or_default();
            return Err(fail(format!(
                "does not match version-control timestamp (expected {expected})"
            )));
        }
        let tag_prefix = self.tag_prefix();
        let base =
            pseudo::pseudo_version_base(version.strip_suffix("+incompatible").unwrap_or(version))
                .map_err(|e| fail(e.to_string()))?;
        if base.is_empty() {
            if self.pseudo_major.is_empty() && semver::major(version) == "v1" {
                return Err(fail(
                    "major version without preceding tag must be v0, not v1".into(),
                ));
            }
            return Ok(());
        }
        for tag in &info.tags {
            if tag.strip_prefix(tag_prefix.as_str()).unwrap_or(tag) == base {
                return Err(fail(format!(
                    "tag ({tag}) found on revision {rev} is already canonical, so should not be replaced with a pseudo-version derived from that tag"
                )));
            }
        }
        let tags = self
            .code
            .tags(&format!("{tag_prefix}{base}"), &is_origin_tag)
            .await?;
        let mut last_tag = String::new();
        let mut ancestor_found = false;
        let mut last_err = None;
        for (name, _) in &tags.list {
            let version_only = name.strip_prefix(tag_prefix.as_str()).unwrap_or(name);
            if semver::compare(version_only, &base).is_eq() {
                last_tag = name.clone();
                match self.code.descends_from(&info.name, name).await {
                    Ok(true) => {
                        ancestor_found = true;
                        break;
                    }
                    Ok(false) => {}
                    Err(e) => last_err = Some(e),
                }
            }
        }
        if last_tag.is_empty() {
            return Err(fail(format!("preceding tag ({base}) not found")));
        }
        if !ancestor_found {
            if let Some(e) = last_err {
                return Err(CodeRepoError::InvalidVersion {
                    path: self.mod_path.clone(),
                    version: version.to_owned(),
                    pseudo: true,
                    cause: e.into(),
                    origin: None,
                });
            }
            return Err(fail(format!(
                "revision {rev} is not a descendent of preceding tag ({last_tag})"
            )));
        }
        Ok(())
    }

    /// Go's `revToRev`: a version to the tag (or hash) to look up.
    fn rev_to_rev(&self, rev: &str) -> String {
        if semver::is_valid(rev) {
            if pseudo::is_pseudo_version(rev) {
                return pseudo::pseudo_version_rev(rev)
                    .map(str::to_owned)
                    .unwrap_or_default();
            }
            let rev = if semver::build(rev) == "+incompatible" {
                &rev[..rev.len() - "+incompatible".len()]
            } else {
                rev
            };
            if self.code_dir.is_empty() {
                return rev.to_owned();
            }
            return format!("{}/{rev}", self.code_dir);
        }
        rev.to_owned()
    }

    /// Locates the module directory for `version` (coderepo.go: `findDir`):
    /// (revision, directory, go.mod bytes when read).
    async fn find_dir(&self, version: &str) -> Result<(String, String, Option<Vec<u8>>), Cause> {
        if !semver::is_valid(version) {
            return Err(Cause::msg(format!(
                "{}@{version}: invalid version: syntax error",
                self.mod_path
            )));
        }
        let rev = self.rev_to_rev(version);
        let file1 = clean_join(&self.code_dir, "go.mod");
        let gomod1 = self.read_file(&rev, &file1).await.map_err(|e| {
            Cause::msg(format!(
                "reading {}/{file1} at revision {rev}: {e}",
                self.code_root
            ))
        })?;
        let mpath1 = gomod1
            .as_deref()
            .and_then(modfile::module_path)
            .unwrap_or_default();
        let found1 = gomod1.is_some()
            && (is_major(&mpath1, &self.path_major)
                || (self.path_major.is_empty() && mpath1.starts_with("gopkg.in/")));

        let mut file2 = String::new();
        if !self.path_major.is_empty()
            && self.code_root != self.mod_path
            && !self.path_major.starts_with('.')
        {
            let dir2 = clean_join(&self.code_dir, &self.path_major[1..]);
            file2 = clean_join(&dir2, "go.mod");
            let gomod2 = self.read_file(&rev, &file2).await.map_err(|e| {
                Cause::msg(format!(
                    "reading {}/{file2} at revision {rev}: {e}",
                    self.code_root
                ))
            })?;
            let mpath2 = gomod2
                .as_deref()
                .and_then(modfile::module_path)
                .unwrap_or_default();
            let found2 = gomod2.is_some() && is_major(&mpath2, &self.path_major);
            if found1 && found2 {
                return Err(Cause::msg(format!(
                    "{}/{file1} and ...{}/go.mod both have ...{} module paths at revision {rev}",
                    self.path_prefix, self.path_major, self.path_major
                )));
            }
            if found2 {
                return Ok((rev, dir2, gomod2));
            }
            if gomod2.is_some() {
                if mpath2.is_empty() {
                    return Err(Cause::msg(format!(
                        "{}/{file2} is missing module path at revision {rev}",
                        self.code_root
                    )));
                }
                return Err(Cause::msg(format!(
                    "{}/{file2} has non-...{} module path {mpath2:?} at revision {rev}",
                    self.code_root, self.path_major
                )));
            }
        }
        if found1 {
            return Ok((rev, self.code_dir.clone(), gomod1));
        }
        if gomod1.is_some() {
            let suffix = if file2.is_empty() {
                String::new()
            } else {
                format!(" (and ...{}/go.mod does not exist)", self.path_major)
            };
            if mpath1.is_empty() {
                return Err(Cause::msg(format!(
                    "{file1} is missing module path{suffix} at revision {rev}"
                )));
            }
            if !self.path_major.is_empty() {
                return Err(Cause::msg(format!(
                    "{file1} has non-...{} module path {mpath1:?}{suffix} at revision {rev}",
                    self.path_major
                )));
            }
            if modpath::split_path_version(&mpath1).is_none() {
                return Err(Cause::msg(format!(
                    "{file1} has malformed module path {mpath1:?}{suffix} at revision {rev}"
                )));
            }
            return Err(Cause::msg(format!(
                "{file1} has post-{} module path {mpath1:?}{suffix} at revision {rev}",
                semver::major(version)
            )));
        }
        if self.code_dir.is_empty()
            && (self.path_major.is_empty() || self.path_major.starts_with('.'))
        {
            return Ok((rev, String::new(), None));
        }
        if !file2.is_empty() {
            return Err(Cause::msg(format!(
                "missing {}/go.mod and ...{}/go.mod at revision {rev}",
                self.path_prefix, self.path_major
            )));
        }
        Err(Cause::msg(format!(
            "missing {}/go.mod at revision {rev}",
            self.path_prefix
        )))
    }

    /// Intervals retracted by the latest release's go.mod (coderepo.go:
    /// `retractedVersions`); empty when anything fails, as Go ignores it.
    async fn retractions(&self) -> Vec<(String, String)> {
        self.retracted
            .get_or_init(|| async {
                let vs = self.versions("").await.ok()?;
                let list: Vec<String> = vs
                    .list
                    .into_iter()
                    .take_while(|v| !v.ends_with("+incompatible"))
                    .collect();
                let highest = list
                    .iter()
                    .rev()
                    .find(|v| semver::prerelease(v).is_empty())
                    .or(list.last())?
                    .clone();
                let data = Box::pin(self.go_mod(&highest)).await.ok()?;
                let f = modfile::parse_lax("go.mod", &data).ok()?;
                Some(f.retract.into_iter().map(|r| (r.low, r.high)).collect())
            })
            .await
            .clone()
            .unwrap_or_default()
    }

    fn check_canonical_arg(&self, version: &str) -> Result<(), CodeRepoError> {
        if version != semver::canonical_module_version(version) {
            return Err(CodeRepoError::Plain(Cause::msg(format!(
                "version {version} is not canonical"
            ))));
        }
        Ok(())
    }

    /// The go.mod of a canonical version (coderepo.go: `GoMod`).
    pub async fn go_mod(&self, version: &str) -> Result<Vec<u8>, CodeRepoError> {
        self.check_canonical_arg(version)?;
        if pseudo::is_pseudo_version(version) {
            self.stat(version).await?;
        }
        let (rev, dir, gomod) = self.find_dir(version).await.map_err(CodeRepoError::Plain)?;
        if let Some(g) = gomod {
            return Ok(g);
        }
        match self.read_file(&rev, &clean_join(&dir, "go.mod")).await? {
            Some(d) => Ok(d),
            None => Ok(legacy_go_mod(&self.mod_path)),
        }
    }

    /// The module zip for a canonical version, built by x/mod's rules
    /// (coderepo.go: `Zip`): returns the zip bytes.
    pub async fn zip(&self, version: &str) -> Result<Vec<u8>, CodeRepoError> {
        let files = self.zip_files(version).await?;
        let path = self.mod_path.clone();
        let version = version.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            crate::codehost::zipbuild::create(&mut out, &path, &version, &files)
                .map(|()| out)
                .map_err(|e| CodeRepoError::Plain(Cause::msg(e.to_string())))
        })
        .await
        .map_err(|e| CodeRepoError::Plain(Cause::msg(e.to_string())))?
    }

    /// The files of the module zip for a canonical version (coderepo.go:
    /// `Zip`, up to `modzip.Create`), in archive order.
    pub async fn zip_files(&self, version: &str) -> Result<Vec<ArchiveFile>, CodeRepoError> {
        self.check_canonical_arg(version)?;
        if pseudo::is_pseudo_version(version) {
            self.stat(version).await?;
        }
        let (rev, subdir, _) = self.find_dir(version).await.map_err(CodeRepoError::Plain)?;
        archive_files(&self.code, &rev, &subdir).await
    }
}

/// The files of `subdir` at `rev` for a module zip: `git archive`, the
/// subdirectory stripped, and, for a subdirectory without its own LICENSE,
/// the repository root's (coderepo.go: `Zip`; x/mod zip `CreateFromVCS`).
pub async fn archive_files(
    code: &GitRepo,
    rev: &str,
    subdir: &str,
) -> Result<Vec<ArchiveFile>, CodeRepoError> {
    let subdir = subdir.trim_matches('/');
    let archive = code.read_zip(rev, subdir).await?;
    if archive.len() > MAX_ZIP_FILE {
        return Err(CodeRepoError::Plain(Cause::msg(
            "downloaded zip file too large",
        )));
    }
    let mut files =
        read_archive(archive, subdir).map_err(|e| CodeRepoError::Plain(Cause::msg(e)))?;
    if !subdir.is_empty() && !files.iter().any(|f| f.path == "LICENSE") {
        match code.read_file(rev, "LICENSE").await {
            Ok(data) if data.len() <= MAX_GO_MOD => files.push(ArchiveFile {
                path: "LICENSE".into(),
                kind: FileKind::Regular,
                data,
            }),
            _ => {}
        }
    }
    Ok(files)
}

/// Go's `isMajor`.
fn is_major(mpath: &str, path_major: &str) -> bool {
    if mpath.is_empty() {
        return false;
    }
    let Some((_, mpath_major)) = modpath::split_path_version(mpath) else {
        return false;
    };
    if path_major.is_empty() {
        return matches!(
            modpath::path_major_prefix(mpath_major),
            Some("" | "v0" | "v1")
        );
    }
    if mpath_major.is_empty() {
        return false;
    }
    path_major[1..] == mpath_major[1..]
}

/// Reads `git archive` output: one top-level directory, entries under
/// `subdir/` with that prefix stripped, directories skipped.
fn read_archive(archive: Vec<u8>, subdir: &str) -> Result<Vec<ArchiveFile>, String> {
    let mut zr = zip::ZipArchive::new(Cursor::new(archive)).map_err(|e| format!("zip: {e}"))?;
    let sub = if subdir.is_empty() {
        String::new()
    } else {
        format!("{subdir}/")
    };
    let mut top = String::new();
    let mut files = Vec::new();
    for i in 0..zr.len() {
        let mut entry = zr.by_index(i).map_err(|e| format!("zip: {e}"))?;
        let full = String::from_utf8_lossy(entry.name_raw()).into_owned();
        if top.is_empty() {
            let Some(p) = full.find('/') else {
                return Err("missing top-level directory prefix".into());
            };
            top = full[..=p].to_owned();
        }
        let Some(name) = full.strip_prefix(top.as_str()) else {
            return Err("zip file contains more than one top-level directory".into());
        };
        let Some(name) = name.strip_prefix(sub.as_str()) else {
            continue;
        };
        if name.is_empty() || name.ends_with('/') {
            continue;
        }
        let mode = entry.unix_mode().unwrap_or(0o100644);
        let kind = match mode & 0o170000 {
            0o120000 => FileKind::Symlink,
            0o040000 => FileKind::Directory,
            0o100000 | 0 => FileKind::Regular,
            _ => FileKind::Other,
        };
        let mut data = Vec::new();
        if kind == FileKind::Regular {
            entry
                .read_to_end(&mut data)
                .map_err(|e| format!("zip: {e}"))?;
        }
        files.push(ArchiveFile {
            path: name.to_owned(),
            kind,
            data,
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codehost::testrepo::{TestRepo, env};

    struct Fixture {
        _tmp: tempfile::TempDir,
        code: Arc<GitRepo>,
        hashes: Vec<String>,
    }

    /// One repository with every layout the issue names.
    async fn fixture() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let mut r = TestRepo::new(&tmp.path().join("src"));
        let mut hashes = Vec::new();
        r.write("go.mod", "module example.com/repo.git\n\ngo 1.20\n")
            .write("a.go", "package repo\n")
            .write("LICENSE", "license text\n")
            .write("sub/go.mod", "module example.com/repo.git/sub\n")
            .write("sub/s.go", "package sub\n")
            .write("v2/go.mod", "module example.com/repo.git/v2\n")
            .write("v2/b.go", "package repo\n");
        hashes.push(r.commit("one"));
        r.tag("v1.0.0")
            .tag("sub/v0.1.0")
            .tag("v2.0.0")
            .tag("not-a-version")
            .tag("v1.2");
        r.write("c.go", "package repo\n");
        hashes.push(r.commit("two")); // untagged: pseudo-version
        let code = GitRepo::open(env(&tmp.path().join("mod")), &r.url(), None)
            .await
            .unwrap();
        Fixture {
            _tmp: tmp,
            code: Arc::new(code),
            hashes,
        }
    }

    fn repo(f: &Fixture, path: &str) -> CodeRepo {
        CodeRepo::new(f.code.clone(), "example.com/repo.git", "", path).unwrap()
    }

    #[tokio::test]
    async fn versions_tags_pseudo_and_major_subdirectories() {
        let f = fixture().await;
        let root = repo(&f, "example.com/repo.git");
        assert_eq!(root.versions("").await.unwrap().list, vec!["v1.0.0"]);
        let info = root.stat("v1.0.0").await.unwrap();
        assert_eq!(info.version, "v1.0.0");
        let origin = info.origin.unwrap();
        assert_eq!(origin.git_ref, "refs/tags/v1.0.0");
        assert_eq!(origin.hash, f.hashes[0]);

        // The branch head: a pseudo-version on the latest reachable tag.
        let main = root.stat("main").await.unwrap();
        assert_eq!(
            main.version,
            format!("v1.0.1-0.20240204040506-{}", &f.hashes[1][..12])
        );
        assert!(main.origin.as_ref().unwrap().tag_sum.starts_with("t1:"));
        let latest = root.latest().await.unwrap();
        assert_eq!(latest.version, main.version);
        // Given back, the pseudo-version validates.
        assert_eq!(
            root.stat(&main.version).await.unwrap().version,
            main.version
        );
        let bad = format!("v1.0.1-0.20240204040507-{}", &f.hashes[1][..12]);
        let err = root.stat(&bad).await.unwrap_err().to_string();
        assert!(
            err.contains("does not match version-control timestamp (expected 20240204040506)"),
            "{err}"
        );

        // go.mod and the zip's files.
        assert_eq!(
            root.go_mod("v1.0.0").await.unwrap(),
            b"module example.com/repo.git\n\ngo 1.20\n"
        );
        let files = root.zip_files("v1.0.0").await.unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert!(
            names.contains(&"a.go") && names.contains(&"sub/s.go"),
            "{names:?}"
        );

        // A module in a subdirectory, with prefixed tags and the root LICENSE.
        let sub = repo(&f, "example.com/repo.git/sub");
        assert_eq!(sub.versions("").await.unwrap().list, vec!["v0.1.0"]);
        assert_eq!(
            sub.stat("v0.1.0").await.unwrap().origin.unwrap().subdir,
            "sub"
        );
        let files = sub.zip_files("v0.1.0").await.unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(names, vec!["go.mod", "s.go", "LICENSE"]);

        // /v2 in a v2/ subdirectory of the root module.
        let v2 = repo(&f, "example.com/repo.git/v2");
        assert_eq!(v2.versions("").await.unwrap().list, vec!["v2.0.0"]);
        assert_eq!(
            v2.go_mod("v2.0.0").await.unwrap(),
            b"module example.com/repo.git/v2\n"
        );
        let names: Vec<String> = v2
            .zip_files("v2.0.0")
            .await
            .unwrap()
            .into_iter()
            .map(|f| f.path)
            .collect();
        assert_eq!(names, vec!["b.go", "go.mod", "LICENSE"]);

        // A tag that is not a version is not a version.
        let err = root.stat("v9.9.9").await.unwrap_err();
        assert!(err.is_not_exist());
        assert_eq!(
            err.to_string(),
            "example.com/repo.git@v9.9.9: invalid version: unknown revision v9.9.9"
        );
        // v1.2 is a tag but not a canonical version: its commit's highest
        // canonical tag wins (Go's convert).
        assert_eq!(root.stat("v1.2").await.unwrap().version, "v1.0.0");
        let err = root.stat("v2.0.0").await.unwrap_err().to_string();
        assert!(
            err.contains("module contains a go.mod file, so module path must match major version"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn incompatible_and_mismatched_go_mod() {
        let tmp = tempfile::tempdir().unwrap();
        let mut r = TestRepo::new(&tmp.path().join("src"));
        r.write("a.go", "package x\n");
        r.commit("one");
        r.tag("v1.0.0").tag("v3.0.0");
        r.write("go.mod", "module example.com/x.git/v5\n");
        r.commit("two");
        r.tag("v1.1.0");
        let code = Arc::new(
            GitRepo::open(env(&tmp.path().join("mod")), &r.url(), None)
                .await
                .unwrap(),
        );
        let root =
            CodeRepo::new(code.clone(), "example.com/x.git", "", "example.com/x.git").unwrap();
        // v1.1.0 has a go.mod, so v3.0.0 is not listed as +incompatible...
        assert_eq!(
            root.versions("").await.unwrap().list,
            vec!["v1.0.0", "v1.1.0"]
        );
        // ...but asking for it explicitly works, with the suffix.
        assert_eq!(
            root.stat("v3.0.0").await.unwrap().version,
            "v3.0.0+incompatible"
        );
        assert_eq!(
            root.go_mod("v3.0.0+incompatible").await.unwrap(),
            b"module example.com/x.git\n"
        );
        // A go.mod whose module line claims another major version. (Another
        // path with a compatible major is accepted by go mod download: go
        // checks only the major here.)
        let err = root.go_mod("v1.1.0").await.unwrap_err().to_string();
        assert_eq!(
            err,
            "go.mod has post-v1 module path \"example.com/x.git/v5\" at revision v1.1.0"
        );
        let err = root.stat("v1.1.0").await.unwrap_err();
        assert!(err.is_not_exist(), "{err}");
    }

    /// Writes a txtar (`-- name --` sections) into a new repository and commits it.
    fn repo_from_txtar(dir: &std::path::Path, txtar: &str) -> TestRepo {
        let mut r = TestRepo::new(dir);
        let mut name: Option<String> = None;
        let mut body = String::new();
        let flush = |name: &Option<String>, body: &mut String| {
            if let Some(n) = name {
                r.write(n, body);
            }
            body.clear();
        };
        for line in txtar.split_inclusive('\n') {
            let t = line.trim_end_matches('\n');
            if let Some(n) = t.strip_prefix("-- ").and_then(|x| x.strip_suffix(" --")) {
                flush(&name, &mut body);
                name = Some(n.to_owned());
            } else {
                body.push_str(line);
            }
        }
        flush(&name, &mut body);
        r.commit("txtar");
        r
    }

    async fn vcs_zip_names(
        txtar: &str,
        module: &str,
        subdir: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, String> {
        let tmp = tempfile::tempdir().unwrap();
        let r = repo_from_txtar(&tmp.path().join("src"), txtar);
        let code = GitRepo::open(env(&tmp.path().join("mod")), &r.url(), None)
            .await
            .map_err(|e| e.to_string())?;
        let files = archive_files(&code, "HEAD", subdir)
            .await
            .map_err(|e| e.to_string())?;
        let (path, version) = module.split_once('@').unwrap();
        let mut out = Vec::new();
        crate::codehost::zipbuild::create(&mut out, path, version, &files)
            .map_err(|e| e.to_string())?;
        let mut z = zip::ZipArchive::new(Cursor::new(out)).unwrap();
        let prefix = format!("{module}/");
        let mut names = Vec::new();
        for i in 0..z.len() {
            let mut f = z.by_index(i).unwrap();
            let name = f.name().unwrap().strip_prefix(&prefix).unwrap().to_owned();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            names.push((name, data));
        }
        Ok(names)
    }

    // testdata/vectors/zip/create_from_vcs.json (x/mod TestCreateFromVCS_*):
    // the zip from a repository, with LICENSE hoisting for subdirectories.
    #[tokio::test]
    async fn create_from_vcs_vectors() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/vectors/zip/create_from_vcs.json"
        ))
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let txtar = v["repo_txtar"].as_str().unwrap();
        let mut cases: Vec<(String, serde_json::Value)> = v["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (txtar.to_owned(), c.clone()))
            .collect();
        cases.push((
            v["v2_case"]["repo_txtar"].as_str().unwrap().to_owned(),
            v["v2_case"].clone(),
        ));
        assert_eq!(cases.len(), 5);
        for (txtar, case) in cases {
            let module = case["module"].as_str().unwrap();
            let subdir = case["subdir"].as_str().unwrap();
            let got = vcs_zip_names(&txtar, module, subdir).await.unwrap();
            let mut names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
            names.sort();
            let mut want: Vec<&str> = case["want_files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap())
                .collect();
            want.sort();
            assert_eq!(names, want, "{}", case["desc"]);
            if let Some(data) = case["want_data"].as_object() {
                for (name, content) in data {
                    let (_, got) = got.iter().find(|(n, _)| n == name).unwrap();
                    assert_eq!(
                        String::from_utf8_lossy(got),
                        content.as_str().unwrap(),
                        "{}",
                        case["desc"]
                    );
                }
            }
        }
        // A repository with no commits fails.
        let tmp = tempfile::tempdir().unwrap();
        let empty = TestRepo::new(&tmp.path().join("empty"));
        let code = GitRepo::open(env(&tmp.path().join("mod")), &empty.url(), None)
            .await
            .unwrap();
        assert!(archive_files(&code, "HEAD", "").await.is_err());
        // A directory that is not a repository fails.
        let plain = tmp.path().join("plain");
        std::fs::create_dir_all(&plain).unwrap();
        let url = format!("file://{}", plain.display());
        let code = GitRepo::open(env(&tmp.path().join("mod2")), &url, None)
            .await
            .unwrap();
        assert!(archive_files(&code, "HEAD", "").await.is_err());
    }
}
