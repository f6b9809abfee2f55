//! From a module path to a repository, as the go command resolves it
//! (vcs/vcs.go: `RepoRootForImportPath`, `repoRootFromVCSPaths`, `vcsPaths`;
//! spec/fetch-protocol.md §9.1–9.2, §4.2).
//!
//! Owns: the static table of known hosting sites and the `.git`/`.hg`/...
//! qualified-path rule (hand-written matchers equivalent to Go's regular
//! expressions, including their leftmost-match quirks), the VCS kinds, the
//! scheme probe for qualified paths, and the order: static table, then
//! `?go-get=1` discovery (discovery.rs), then the after-discovery table.
//! The table's host names are Go's matching rules, not hosts we contact.
//!
//! Must not: talk HTTP itself (discovery.rs), or run anything but the
//! `ls-remote` scheme probe.

use std::sync::Arc;

use super::discovery::{self, DiscoveryClient, DiscoveryError};
use super::govcs::{Govcs, GovcsError};
use super::run::{self, VcsEnv};
use crate::module::pattern::match_prefix_patterns;

/// A version-control system the go command knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VcsKind {
    Git,
    Hg,
    Svn,
    Bzr,
    Fossil,
    /// A `mod` go-import entry: the "repository" is a GOPROXY base URL.
    Mod,
}

impl VcsKind {
    /// The command name (`git`, `hg`, ...), as GOVCS and go-import name it.
    pub fn cmd(self) -> &'static str {
        match self {
            VcsKind::Git => "git",
            VcsKind::Hg => "hg",
            VcsKind::Svn => "svn",
            VcsKind::Bzr => "bzr",
            VcsKind::Fossil => "fossil",
            VcsKind::Mod => "mod",
        }
    }

    /// Go's `vcsByCmd` (the `mod` pseudo-VCS is not a command).
    pub fn from_cmd(cmd: &str) -> Option<VcsKind> {
        Some(match cmd {
            "git" => VcsKind::Git,
            "hg" => VcsKind::Hg,
            "svn" => VcsKind::Svn,
            "bzr" => VcsKind::Bzr,
            "fossil" => VcsKind::Fossil,
            _ => return None,
        })
    }

    /// The URL schemes tried, in order, for a `.vcs`-qualified path.
    fn schemes(self) -> &'static [&'static str] {
        match self {
            VcsKind::Git => &["git", "https", "http", "git+ssh", "ssh"],
            VcsKind::Hg => &["https", "http", "ssh"],
            VcsKind::Svn => &["https", "http", "svn", "svn+ssh"],
            VcsKind::Bzr => &["https", "http", "bzr", "bzr+ssh"],
            VcsKind::Fossil => &["https", "http"],
            VcsKind::Mod => &[],
        }
    }
}

/// How strict discovery is: HTTPS only, or (GOINSECURE) HTTPS without
/// verification then plain HTTP (web.SecurityMode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    SecureOnly,
    Insecure,
}

/// Where a module path's code lives (vcs.go: `RepoRoot`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoRoot {
    /// The repository URL, with scheme (a GOPROXY base URL for `mod`).
    pub repo: String,
    /// The import path of the repository root (or go-import prefix).
    pub root: String,
    /// The go-import subdirectory (Go 1.25+), empty for the root.
    pub subdir: String,
    pub vcs: VcsKind,
    /// Found by `?go-get=1` discovery rather than the static table.
    pub is_custom: bool,
}

/// Why a module path could not be mapped to a repository.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ResolveError {
    #[error("\"{0}//\" not allowed in import path")]
    SchemeInPath(&'static str),
    #[error("invalid {prefix} import path \"{path}\"")]
    InvalidForHost { prefix: &'static str, path: String },
    #[error("invalid version control suffix in {0}/ path")]
    VcsSuffix(&'static str),
    #[error("no {secure}protocol found for repository", secure = if *.secure { "secure " } else { "" })]
    NoProtocol { secure: bool },
    #[error(transparent)]
    Govcs(#[from] GovcsError),
    #[error("unrecognized import path \"{path}\": {source}")]
    Unrecognized {
        path: String,
        #[source]
        source: DiscoveryError,
    },
    #[error("cannot expand ... in \"{0}\"")]
    Wildcard(String),
}

/// A static-table match before any I/O.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticMatch {
    pub root: String,
    pub vcs: VcsKind,
    /// `Some(url)` for known hosts; `None` for qualified paths, whose
    /// scheme is probed: then `repo` is `host/path` without the suffix.
    pub url: Option<String>,
    pub repo: String,
}

fn is_word_elem_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'-'
}

/// `[\w.\-]+`
fn is_word_elem(e: &str) -> bool {
    !e.is_empty() && e.bytes().all(is_word_elem_char)
}

/// `^(root)(/[\w.\-]+)*$` where root is the first `n` elements, each
/// checked by `checks[i]`: the root, or `None` when the path does not match.
fn match_elems(path: &str, checks: &[&dyn Fn(&str) -> bool]) -> Option<String> {
    let elems: Vec<&str> = path.split('/').collect();
    if elems.len() < checks.len() {
        return None;
    }
    for (i, e) in elems.iter().enumerate() {
        let ok = match checks.get(i) {
            Some(check) => check(e),
            None => is_word_elem(e),
        };
        if !ok {
            return None;
        }
    }
    Some(elems[..checks.len()].join("/"))
}

/// The VCS suffixes of the qualified-path rule, as the regexp alternation
/// `bzr|fossil|git|hg|svn`.
const VCS_SUFFIXES: [(&str, VcsKind); 5] = [
    ("bzr", VcsKind::Bzr),
    ("fossil", VcsKind::Fossil),
    ("git", VcsKind::Git),
    ("hg", VcsKind::Hg),
    ("svn", VcsKind::Svn),
];

/// `~?[\w.\-]+`: one element of the qualified-path rule.
fn is_tilde_elem(e: &str) -> bool {
    is_word_elem(e.strip_prefix('~').unwrap_or(e))
}

/// The general rule, anchored at the start of `s`:
/// `(?P<root>(?P<repo>host(:port)?(/~?[\w.\-]+)+?)\.(?P<vcs>...))(/~?[\w.\-]+)*$`
/// with host `([a-z0-9.\-]+\.)+[a-z0-9.\-]+`.
fn match_qualified_at(s: &str) -> Option<(String, String, VcsKind)> {
    let host_len = s
        .bytes()
        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
        .count();
    let host = &s[..host_len];
    // Needs a dot with at least one byte before and after it.
    if host.len() < 3 || !host[1..host.len() - 1].contains('.') {
        return None;
    }
    let mut rest = &s[host_len..];
    if let Some(after) = rest.strip_prefix(':') {
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &after[digits..];
    }
    let prefix_len = s.len() - rest.len();
    let rest = rest.strip_prefix('/')?;
    let elems: Vec<&str> = rest.split('/').collect();
    // Lazy: the fewest repo elements whose last one ends in `.vcs`.
    let mut offset = prefix_len; // byte offset of the '/' before elems[k]
    for (k, e) in elems.iter().enumerate() {
        let inner = e.strip_prefix('~').unwrap_or(e);
        for (suffix, kind) in VCS_SUFFIXES {
            if let Some(name) = inner.strip_suffix(suffix).and_then(|n| n.strip_suffix('.'))
                && is_word_elem(name)
                && elems[k + 1..].iter().all(|t| is_tilde_elem(t))
            {
                let root_end = offset + 1 + e.len();
                let repo_end = root_end - suffix.len() - 1;
                return Some((s[..root_end].to_owned(), s[..repo_end].to_owned(), kind));
            }
        }
        if !is_tilde_elem(e) {
            return None;
        }
        offset += 1 + e.len();
    }
    None
}

/// Go's unanchored `FindStringSubmatch` for the general rule: the leftmost start.
fn match_qualified(path: &str) -> Option<(String, String, VcsKind)> {
    (0..path.len())
        .filter(|&i| path.is_char_boundary(i))
        .find_map(|i| match_qualified_at(&path[i..]))
}

/// Go's `str.HasPathPrefix`.
pub fn has_path_prefix(s: &str, prefix: &str) -> bool {
    if s.len() == prefix.len() {
        return s == prefix;
    }
    if prefix.is_empty() {
        return true;
    }
    if s.len() > prefix.len() {
        if prefix.ends_with('/') {
            return s.starts_with(prefix);
        }
        return s.as_bytes()[prefix.len()] == b'/' && s.starts_with(prefix);
    }
    false
}

fn no_vcs_suffix(root: &str, prefix: &'static str) -> Result<(), ResolveError> {
    for (suffix, _) in VCS_SUFFIXES {
        if root.ends_with(&format!(".{suffix}")) {
            return Err(ResolveError::VcsSuffix(prefix));
        }
    }
    Ok(())
}

/// The static table (`vcsPaths`): `Ok(None)` when no entry claims the path
/// and discovery is needed.
pub fn match_static(path: &str) -> Result<Option<StaticMatch>, ResolveError> {
    for prefix in ["http:", "https:"] {
        if path.starts_with(prefix) {
            return Err(ResolveError::SchemeInPath(if prefix == "http:" {
                "http:"
            } else {
                "https:"
            }));
        }
    }
    let word: &dyn Fn(&str) -> bool = &is_word_elem;
    let lower_alnum = |e: &str| {
        !e.is_empty()
            && e.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    let apache = |e: &str| {
        e.strip_suffix(".git").is_some_and(|n| {
            !n.is_empty()
                && n.bytes().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'_' | b'.' | b'-')
                })
        })
    };
    let alnum = |e: &str| !e.is_empty() && e.bytes().all(|c| c.is_ascii_alphanumeric());
    type Entry<'a> = (
        &'static str,
        Vec<&'a dyn Fn(&str) -> bool>,
        VcsKind,
        bool,
        bool,
    );
    let is = |want: &'static str| move |e: &str| e == want;
    let (gh, bb, hub, git, ap, os, ch, user, repository) = (
        is("github.com"),
        is("bitbucket.org"),
        is("hub.jazz.net"),
        is("git"),
        is("git.apache.org"),
        is("git.openstack.org"),
        is("chiselapp.com"),
        is("user"),
        is("repository"),
    );
    // (path prefix, element checks for the root, vcs, noVCSSuffix check, whole path only)
    let table: [Entry; 6] = [
        (
            "github.com",
            vec![&gh, word, word],
            VcsKind::Git,
            true,
            false,
        ),
        (
            "bitbucket.org",
            vec![&bb, word, word],
            VcsKind::Git,
            true,
            false,
        ),
        (
            "hub.jazz.net/git",
            vec![&hub, &git, &lower_alnum, word],
            VcsKind::Git,
            true,
            false,
        ),
        (
            "git.apache.org",
            vec![&ap, &apache],
            VcsKind::Git,
            false,
            false,
        ),
        (
            "git.openstack.org",
            vec![&os, word, word],
            VcsKind::Git,
            false,
            false,
        ),
        (
            "chiselapp.com",
            vec![&ch, &user, &alnum, &repository, word],
            VcsKind::Fossil,
            false,
            true,
        ),
    ];
    for (prefix, checks, vcs, check_suffix, whole) in &table {
        if !has_path_prefix(path, prefix) {
            continue;
        }
        let root = match_elems(path, checks).filter(|r| !*whole || r == path);
        let Some(root) = root else {
            return Err(ResolveError::InvalidForHost {
                prefix,
                path: path.to_owned(),
            });
        };
        if *check_suffix {
            no_vcs_suffix(&root, prefix)?;
        }
        return Ok(Some(StaticMatch {
            url: Some(format!("https://{root}")),
            repo: root.clone(),
            root,
            vcs: *vcs,
        }));
    }
    if let Some((root, repo, vcs)) = match_qualified(path) {
        return Ok(Some(StaticMatch {
            root,
            vcs,
            url: None,
            repo,
        }));
    }
    Ok(None)
}

/// The table consulted after discovery failed (`vcsPathsAfterDynamic`):
/// Launchpad, a bzr host. Go probes whether a series branch exists; bzr is
/// refused anyway, so the project-or-branch root is taken as is.
pub fn match_after_dynamic(path: &str) -> Option<StaticMatch> {
    if !has_path_prefix(path, "launchpad.net") {
        return None;
    }
    let elems: Vec<&str> = path.split('/').collect();
    let root_len = if elems.get(1).is_some_and(|e| e.starts_with('~')) {
        let user_ok = elems.get(1).is_some_and(|e| is_word_elem(&e[1..]));
        let proj_ok = elems
            .get(2)
            .is_some_and(|e| *e == "+junk" || is_word_elem(e));
        if !(user_ok && proj_ok && elems.len() >= 4) {
            return None;
        }
        4
    } else {
        2
    };
    if elems.len() < root_len || !elems[root_len..].iter().all(|e| is_word_elem(e)) {
        return None;
    }
    if root_len == 2 && !elems.get(1).is_some_and(|e| is_word_elem(e)) {
        return None;
    }
    let root = elems[..root_len].join("/");
    Some(StaticMatch {
        url: Some(format!("https://{root}")),
        repo: root.clone(),
        root,
        vcs: VcsKind::Bzr,
    })
}

/// Settings that steer resolution (from settings::env).
#[derive(Clone)]
pub struct ResolverConfig {
    /// GOVCS, parsed (a malformed value fails every direct lookup, as in Go).
    pub govcs: Result<Govcs, GovcsError>,
    /// The GOPRIVATE value (private/public for GOVCS).
    pub goprivate: String,
    /// GIT_ALLOW_PROTOCOL, when set and non-empty.
    pub git_allow_protocol: Option<String>,
}

/// Maps module paths to repositories: static table, scheme probe,
/// discovery (vcs.go: `RepoRootForImportPath`).
pub struct Resolver {
    pub config: ResolverConfig,
    pub env: Arc<VcsEnv>,
    pub discovery: Arc<dyn DiscoveryClient>,
    /// Per-process results of discovery at go-import prefixes.
    pub prefix_cache: discovery::PrefixCache,
}

impl Resolver {
    fn is_secure_scheme(&self, vcs: VcsKind, scheme: &str) -> bool {
        if vcs == VcsKind::Git
            && let Some(allow) = &self.config.git_allow_protocol
        {
            return allow.split(':').any(|s| s == scheme);
        }
        matches!(scheme, "https" | "git+ssh" | "bzr+ssh" | "svn+ssh" | "ssh")
    }

    /// Resolves `path` with the given security (Insecure when GOINSECURE
    /// matches the module path).
    pub async fn repo_root(
        &self,
        path: &str,
        security: Security,
    ) -> Result<RepoRoot, ResolveError> {
        let mut result = match match_static(path)? {
            Some(m) => self.finish_static(m, security).await,
            None => discovery::repo_root_dynamic(self, path, security)
                .await
                .map_err(|source| ResolveError::Unrecognized {
                    path: path.to_owned(),
                    source,
                }),
        };
        if result.is_err()
            && let Some(m) = match_after_dynamic(path)
            && let Ok(rr) = self.finish_static(m, security).await
        {
            result = Ok(rr);
        }
        if let Ok(rr) = &result
            && path.contains("...")
            && rr.root.contains("...")
        {
            return Err(ResolveError::Wildcard(path.to_owned()));
        }
        result
    }

    /// Go's `checkGOVCS` for a root (the `mod` pseudo-VCS is always allowed).
    pub fn check_govcs(&self, vcs: VcsKind, root: &str) -> Result<(), GovcsError> {
        if vcs == VcsKind::Mod {
            return Ok(());
        }
        match &self.config.govcs {
            Ok(govcs) => govcs.check(vcs.cmd(), root, &self.config.goprivate),
            Err(e) => Err(e.clone()),
        }
    }

    /// Whether `root` is private (GOPRIVATE).
    pub fn is_private(&self, root: &str) -> bool {
        match_prefix_patterns(&self.config.goprivate, root)
    }

    async fn finish_static(
        &self,
        m: StaticMatch,
        security: Security,
    ) -> Result<RepoRoot, ResolveError> {
        self.check_govcs(m.vcs, &m.root)?;
        let repo = match m.url {
            Some(url) => url,
            None => {
                let mut found = None;
                for scheme in m.vcs.schemes() {
                    if security == Security::SecureOnly && !self.is_secure_scheme(m.vcs, scheme) {
                        continue;
                    }
                    // Only git has a ping we run; for the others Go pings
                    // with their own tools, which we do not support: take
                    // the first allowed scheme and let the fetch refuse.
                    if m.vcs != VcsKind::Git || self.ping_git(scheme, &m.repo).await {
                        found = Some(*scheme);
                        break;
                    }
                }
                let Some(scheme) = found else {
                    return Err(ResolveError::NoProtocol {
                        secure: security == Security::SecureOnly,
                    });
                };
                format!("{scheme}://{}", m.repo)
            }
        };
        Ok(RepoRoot {
            repo,
            root: m.root,
            subdir: String::new(),
            vcs: m.vcs,
            is_custom: false,
        })
    }

    /// `git ls-remote {scheme}://{repo}` in GOMODCACHE (vcs.go: `Ping`).
    async fn ping_git(&self, scheme: &str, repo: &str) -> bool {
        let _ = std::fs::create_dir_all(&self.env.modcache);
        let url = format!("{scheme}://{repo}");
        // Go prints pings as `cd dir` and the command (vcs.go: `run1`).
        let mut env = (*self.env).clone();
        if let Some(t) = env.trace.take() {
            t(&format!("cd {}", env.modcache.display()));
            t(&format!("git ls-remote {url}"));
        }
        run::run(&env, &env.modcache, &env.git, &["ls-remote", &url], &[])
            .await
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(path: &str) -> Option<(String, Option<String>, VcsKind)> {
        match_static(path).unwrap().map(|m| (m.root, m.url, m.vcs))
    }

    #[test]
    fn known_hosts() {
        assert_eq!(
            root("github.com/user/repo/sub/pkg"),
            Some((
                "github.com/user/repo".into(),
                Some(format!("https://{}", "github.com/user/repo")),
                VcsKind::Git
            ))
        );
        assert_eq!(
            match_static("github.com/user").unwrap_err().to_string(),
            "invalid github.com import path \"github.com/user\""
        );
        assert_eq!(
            match_static("github.com/user/repo.git")
                .unwrap_err()
                .to_string(),
            "invalid version control suffix in github.com/ path"
        );
        assert_eq!(
            match_static("github.com/user/repo/~x")
                .unwrap_err()
                .to_string(),
            "invalid github.com import path \"github.com/user/repo/~x\""
        );
        assert_eq!(root("bitbucket.org/a/b").unwrap().0, "bitbucket.org/a/b");
        assert_eq!(
            root("hub.jazz.net/git/user1/proj/x").unwrap().0,
            "hub.jazz.net/git/user1/proj"
        );
        assert!(match_static("hub.jazz.net/git/User/proj").is_err());
        assert_eq!(
            root("git.apache.org/thrift.git/lib/go").unwrap().0,
            "git.apache.org/thrift.git"
        );
        assert!(match_static("git.apache.org/thrift").is_err());
        assert_eq!(
            root("git.openstack.org/a/b.git/c").unwrap().0,
            "git.openstack.org/a/b.git"
        );
        assert_eq!(
            root("chiselapp.com/user/kyle/repository/fossilgg")
                .unwrap()
                .2,
            VcsKind::Fossil
        );
        assert!(match_static("chiselapp.com/user/kyle/repository/fossilgg/sub").is_err());
        assert_eq!(
            match_static("https://example.com/x")
                .unwrap_err()
                .to_string(),
            "\"https://\" not allowed in import path"
        );
        assert_eq!(root("example.com/x"), None);
        // "github.com" alone is the prefix, so the entry claims it.
        assert!(match_static("github.com").is_err());
        assert_eq!(root("github.company.example.com/a"), None);
    }

    #[test]
    fn qualified_paths() {
        let m = match_static("example.com/repo.git/sub/pkg")
            .unwrap()
            .unwrap();
        assert_eq!(
            (m.root.as_str(), m.repo.as_str(), m.vcs, m.url),
            (
                "example.com/repo.git",
                "example.com/repo",
                VcsKind::Git,
                None
            )
        );
        let m = match_static("example.com:8080/a/b.hg").unwrap().unwrap();
        assert_eq!(
            (m.root.as_str(), m.repo.as_str(), m.vcs),
            (
                "example.com:8080/a/b.hg",
                "example.com:8080/a/b",
                VcsKind::Hg
            )
        );
        // The fewest elements win; later elements may not contain `~` mid-name.
        let m = match_static("example.com/a.git.b/c.git").unwrap().unwrap();
        assert_eq!(m.root, "example.com/a.git.b/c.git");
        let m = match_static("example.com/~user/r.svn").unwrap().unwrap();
        assert_eq!(m.root, "example.com/~user/r.svn");
        let m = match_static("example.com/x/r.git.git").unwrap().unwrap();
        assert_eq!(m.repo, "example.com/x/r.git");
        // Go's regexp is unanchored: the leftmost match may start mid-path.
        let m = match_static("example.com/a~b.c/repo.git").unwrap().unwrap();
        assert_eq!(m.root, "b.c/repo.git");
        assert_eq!(root("example.com/.git"), None);
        assert_eq!(root("example/repo.git"), None);
    }

    #[test]
    fn launchpad_after_discovery() {
        assert_eq!(
            match_after_dynamic("launchpad.net/proj/series/pkg")
                .unwrap()
                .root,
            "launchpad.net/proj"
        );
        assert_eq!(
            match_after_dynamic("launchpad.net/~u/+junk/b/pkg")
                .unwrap()
                .root,
            "launchpad.net/~u/+junk/b"
        );
        assert_eq!(match_after_dynamic("example.com/x"), None);
    }

    #[test]
    fn path_prefixes() {
        assert!(has_path_prefix("a/b", "a"));
        assert!(has_path_prefix("a", "a"));
        assert!(!has_path_prefix("ab", "a"));
        assert!(has_path_prefix("a/b", ""));
        assert!(has_path_prefix("a/b", "a/"));
    }
}
