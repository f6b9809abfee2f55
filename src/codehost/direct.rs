//! Direct mode's entry point: from a module path to something that answers
//! for its versions (modfetch/repo.go: `lookupDirect`, `lookupCodeRepo`;
//! codehost/vcs.go: `NewRepo`; spec/fetch-protocol.md §9).
//!
//! Owns: GOINSECURE's choice of security, the per-process cache of open git
//! repositories (one work directory per remote, as Go's `vcsRepoCache`),
//! refusing VCS tools other than git with a clear error, and `mod`
//! go-import entries (handed back as a proxy base URL for the proxy code).
//!
//! Must not: write the module cache (the Fetcher does).

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use super::coderepo::{CodeRepo, CodeRepoError};
use super::discovery::{DiscoveryClient, HttpDiscovery, PrefixCache};
use super::git::{GitError, GitRepo, NotFoundProbe};
use super::govcs::{Govcs, GovcsError};
use super::run::{Trace, VcsEnv};
use super::vcs::{ResolveError, Resolver, ResolverConfig, Security, VcsKind};
use crate::module::pattern::match_prefix_patterns;

/// Settings direct mode reads (filled from settings::env by the caller).
#[derive(Clone)]
pub struct DirectConfig {
    pub env: Arc<VcsEnv>,
    pub govcs: Result<Govcs, GovcsError>,
    /// GOPRIVATE (private/public for GOVCS).
    pub goprivate: String,
    /// GOINSECURE (insecure discovery for matching module paths).
    pub goinsecure: String,
    /// GIT_ALLOW_PROTOCOL, when set and non-empty.
    pub git_allow_protocol: Option<String>,
}

/// Why direct mode could not find a module's repository.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DirectError {
    /// The path could not be mapped to a repository (not-found class, as Go
    /// wraps it in `lookupDirect`).
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// A VCS other than git.
    #[error(
        "{vcs} is not supported (repository {url} for {root}): gomodfetch fetches only git repositories directly"
    )]
    Unsupported {
        vcs: &'static str,
        root: String,
        url: String,
    },
    /// The work directory could not be prepared.
    #[error("{0}")]
    Git(GitError),
    /// The module cannot live in that repository.
    #[error(transparent)]
    CodeRepo(#[from] CodeRepoError),
}

impl DirectError {
    /// Go's `errors.Is(err, fs.ErrNotExist)`: resolution failures are.
    pub fn is_not_exist(&self) -> bool {
        match self {
            DirectError::Resolve(_) => true,
            DirectError::Unsupported { .. } => false,
            DirectError::Git(e) => e.is_not_exist(),
            DirectError::CodeRepo(e) => e.is_not_exist(),
        }
    }
}

/// What a module path resolves to.
pub enum Lookup {
    /// A module in a git repository.
    Code(Box<CodeRepo>),
    /// A `mod` go-import entry: fetch through the proxy protocol at this base URL.
    ModProxy { base_url: String },
}

type RepoSlot = Arc<tokio::sync::OnceCell<Result<Arc<GitRepo>, GitError>>>;

/// Direct-mode lookups for one process.
pub struct Direct {
    resolver: Resolver,
    goinsecure: String,
    probe: Option<Arc<dyn NotFoundProbe>>,
    repos: Mutex<HashMap<String, RepoSlot>>,
    lookups: Mutex<HashMap<String, LookupSlot>>,
}

type LookupSlot = Arc<tokio::sync::OnceCell<Result<Arc<Lookup>, DirectError>>>;

impl NotFoundProbe for HttpDiscovery {
    fn is_not_found<'a>(&'a self, url: &'a str) -> Pin<Box<dyn Future<Output = bool> + Send + 'a>> {
        Box::pin(async move {
            self.status_of(url)
                .await
                .is_some_and(|s| s == 404 || s == 410)
        })
    }
}

impl DirectConfig {
    /// The configuration `settings` describe (GOVCS, GOPRIVATE, GOINSECURE,
    /// and the git variables Go sets or honours).
    pub fn from_settings(
        settings: &crate::settings::Settings,
        trace: Option<Trace>,
    ) -> DirectConfig {
        let modcache = settings
            .cache_root()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let lookup = |key: &str| {
            settings
                .vcs_env
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        let mut env = VcsEnv::go_defaults(modcache, lookup);
        env.trace = trace;
        DirectConfig {
            env: Arc::new(env),
            govcs: Govcs::parse(&settings.govcs),
            goprivate: settings.goprivate.clone(),
            goinsecure: settings.goinsecure.clone(),
            git_allow_protocol: lookup("GIT_ALLOW_PROTOCOL").filter(|v| !v.is_empty()),
        }
    }
}

impl Direct {
    /// Direct mode as `settings` configure it, with HTTPS discovery and
    /// the not-found probe using `settings.trust`.
    /// `trace` receives `-x` lines (git commands as Go prints them).
    pub fn from_settings(
        settings: &crate::settings::Settings,
        trace: Option<Trace>,
    ) -> Result<Direct, String> {
        let http = Arc::new(
            HttpDiscovery::new(&settings.trust)?.with_netrc_file(settings.netrc.as_deref()),
        );
        Ok(Direct::new(
            DirectConfig::from_settings(settings, trace),
            http.clone(),
            Some(http),
        ))
    }

    /// Direct mode with `discovery` for `?go-get=1` pages and, when given,
    /// `probe` to tell a missing http(s) repository from a failing one.
    pub fn new(
        config: DirectConfig,
        discovery: Arc<dyn DiscoveryClient>,
        probe: Option<Arc<dyn NotFoundProbe>>,
    ) -> Direct {
        Direct {
            resolver: Resolver {
                config: ResolverConfig {
                    govcs: config.govcs,
                    goprivate: config.goprivate,
                    git_allow_protocol: config.git_allow_protocol,
                },
                env: config.env,
                discovery,
                prefix_cache: PrefixCache::default(),
            },
            goinsecure: config.goinsecure,
            probe,
            repos: Mutex::new(HashMap::new()),
            lookups: Mutex::new(HashMap::new()),
        }
    }

    /// Go's `lookupDirect` for `path`.
    pub async fn lookup(&self, path: &str) -> Result<Lookup, DirectError> {
        let security = if match_prefix_patterns(&self.goinsecure, path) {
            Security::Insecure
        } else {
            Security::SecureOnly
        };
        let rr = self.resolver.repo_root(path, security).await?;
        match rr.vcs {
            VcsKind::Mod => return Ok(Lookup::ModProxy { base_url: rr.repo }),
            VcsKind::Git => {}
            other => {
                return Err(DirectError::Unsupported {
                    vcs: other.cmd(),
                    root: rr.root,
                    url: rr.repo,
                });
            }
        }
        let code = self.open_git(&rr.repo).await.map_err(DirectError::Git)?;
        let repo = CodeRepo::new(code, &rr.root, &rr.subdir, path)?;
        Ok(Lookup::Code(Box::new(repo)))
    }

    /// [`Direct::lookup`], once per module path per process (Go's
    /// `lookupCache`).
    pub async fn lookup_cached(&self, path: &str) -> Result<Arc<Lookup>, DirectError> {
        let slot = {
            let mut map = self.lookups.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(path.to_owned()).or_default().clone()
        };
        slot.get_or_init(|| async { self.lookup(path).await.map(Arc::new) })
            .await
            .clone()
    }

    /// One [`GitRepo`] per remote URL per process.
    async fn open_git(&self, url: &str) -> Result<Arc<GitRepo>, GitError> {
        let slot = {
            let mut repos = self.repos.lock().unwrap_or_else(|p| p.into_inner());
            repos.entry(url.to_owned()).or_default().clone()
        };
        slot.get_or_init(|| async {
            GitRepo::open(self.resolver.env.clone(), url, self.probe.clone())
                .await
                .map(Arc::new)
        })
        .await
        .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codehost::testrepo::TestRepo;
    use std::collections::HashMap as Map;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A loopback server answering `GET /<host><path>?go-get=1` from `pages`
    /// (keyed by `<host><path>`); anything else is a 404 with no tags.
    async fn serve(pages: Map<String, String>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let pages = Arc::new(pages);
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let pages = pages.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let n = sock.read(&mut buf).await.unwrap_or(0);
                    let req = String::from_utf8_lossy(&buf[..n]).into_owned();
                    let target = req.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    let key = target
                        .trim_start_matches('/')
                        .trim_end_matches("?go-get=1")
                        .to_owned();
                    let (status, body) = match pages.get(&key) {
                        Some(b) => ("200 OK", b.clone()),
                        None => ("404 Not Found", "not found".to_owned()),
                    };
                    let resp = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = sock.write_all(resp.as_bytes()).await;
                });
            }
        });
        format!("http://{addr}")
    }

    fn meta(content: &str) -> String {
        format!(
            "<html><head><meta name=\"go-import\" content=\"{content}\"></head><body></body></html>"
        )
    }

    struct Setup {
        _tmp: tempfile::TempDir,
        direct: Direct,
    }

    async fn setup(pages: Map<String, String>, govcs: &str) -> (Setup, TestRepo) {
        let tmp = tempfile::tempdir().unwrap();
        let mut src = TestRepo::new(&tmp.path().join("repos/r"));
        src.write("go.mod", "module vanity.example.com/r\n")
            .write("r.go", "package r\n");
        src.commit("one");
        src.tag("v1.0.0");
        // Discovered https URLs reach the local repository through git's own
        // URL rewriting, as a user's insteadOf would.
        let gitconfig = tmp.path().join("gitconfig");
        std::fs::write(
            &gitconfig,
            format!(
                "[url \"file://{}/repos/\"]\n\tinsteadOf = https://git.example.com/\n",
                tmp.path().display()
            ),
        )
        .unwrap();
        let mut env = VcsEnv::go_defaults(tmp.path().join("mod"), |_| None);
        env.vars.push(("GIT_CONFIG_NOSYSTEM".into(), "1".into()));
        env.vars
            .push(("GIT_CONFIG_GLOBAL".into(), gitconfig.into_os_string()));
        let base = serve(pages).await;
        let discovery = HttpDiscovery::new(&crate::net::tls::TrustOptions::default())
            .unwrap()
            .with_base_override(&base);
        let direct = Direct::new(
            DirectConfig {
                env: Arc::new(env),
                govcs: Govcs::parse(govcs),
                goprivate: String::new(),
                goinsecure: String::new(),
                git_allow_protocol: None,
            },
            Arc::new(discovery),
            None,
        );
        (Setup { _tmp: tmp, direct }, src)
    }

    fn pages(list: &[(&str, String)]) -> Map<String, String> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[tokio::test]
    async fn discovery_finds_the_repository_and_versions() {
        let page = meta("vanity.example.com/r git https://git.example.com/r");
        let (s, _src) = setup(
            pages(&[
                ("vanity.example.com/r", page.clone()),
                ("vanity.example.com/r/sub", page),
            ]),
            "",
        )
        .await;
        let Lookup::Code(repo) = s.direct.lookup("vanity.example.com/r").await.unwrap() else {
            panic!("expected a code repo")
        };
        let info = repo.stat("v1.0.0").await.unwrap();
        assert_eq!(info.origin.unwrap().url, "https://git.example.com/r");
        // A path below the prefix re-checks the prefix page.
        assert!(matches!(
            s.direct.lookup("vanity.example.com/r/sub").await,
            Ok(Lookup::Code(_))
        ));
    }

    #[tokio::test]
    async fn bad_discovery_pages_are_clear_errors() {
        let conflicting = "<meta name=\"go-import\" content=\"vanity.example.com/r git https://git.example.com/r\">\
            <meta name=\"go-import\" content=\"vanity.example.com/r git https://git.example.com/other\">"
            .to_owned();
        let (s, _src) = setup(
            pages(&[
                ("vanity.example.com/r", conflicting),
                (
                    "vanity.example.com/m",
                    meta("vanity.example.com/m mod https://proxy.example.com/p"),
                ),
                (
                    "vanity.example.com/h",
                    meta("vanity.example.com/h hg https://hg.example.com/h"),
                ),
                (
                    "vanity.example.com/s",
                    meta("vanity.example.com/s svn https://svn.example.com/s"),
                ),
                (
                    "vanity.example.com/f",
                    meta("vanity.example.com/f git file:///srv/f"),
                ),
            ]),
            "",
        )
        .await;
        let err = s.direct.lookup("vanity.example.com/r").await.err().unwrap();
        let text = err.to_string();
        assert!(
            text.starts_with(
                "unrecognized import path \"vanity.example.com/r\": parse http://127.0.0.1:"
            ),
            "{text}"
        );
        assert!(
            text.ends_with("/vanity.example.com/r?go-get=1: multiple meta tags match import path \"vanity.example.com/r\""),
            "{text}"
        );
        assert!(err.is_not_exist());

        assert!(matches!(
            s.direct.lookup("vanity.example.com/m").await,
            Ok(Lookup::ModProxy { base_url }) if base_url == "https://proxy.example.com/p"
        ));
        let err = s
            .direct
            .lookup("vanity.example.com/h")
            .await
            .err()
            .unwrap()
            .to_string();
        assert!(err.starts_with("hg is not supported"), "{err}");
        let err = s
            .direct
            .lookup("vanity.example.com/s")
            .await
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.ends_with(
                "GOVCS disallows using svn for public vanity.example.com/s; see 'go help vcs'"
            ),
            "{err}"
        );
        let err = s
            .direct
            .lookup("vanity.example.com/f")
            .await
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.ends_with("invalid repo root \"file:///srv/f\": file scheme disallowed"),
            "{err}"
        );
        let err = s
            .direct
            .lookup("vanity.example.com/none")
            .await
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.starts_with(
                "unrecognized import path \"vanity.example.com/none\": reading http://127.0.0.1:"
            ),
            "{err}"
        );
        assert!(err.ends_with("404 Not Found"), "{err}");
    }

    #[tokio::test]
    async fn govcs_can_forbid_git() {
        let (s, _src) = setup(
            pages(&[(
                "vanity.example.com/r",
                meta("vanity.example.com/r git https://git.example.com/r"),
            )]),
            "vanity.example.com:off",
        )
        .await;
        let err = s
            .direct
            .lookup("vanity.example.com/r")
            .await
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.ends_with(
                "GOVCS disallows using git for public vanity.example.com/r; see 'go help vcs'"
            ),
            "{err}"
        );
    }
}
