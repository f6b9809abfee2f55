//! Resolved configuration: `Settings` built once from the `Env` snapshot and
//! Go's defaults (spec/fetch-protocol.md §1), with the precedence written
//! where it is resolved. Command-line flags are applied by the commands on
//! top (a flag beats GOFLAGS).
//!
//! Precedence, per go-command variable: process environment (non-empty) >
//! `go env -w` file (GOENV) > `$GOROOT/go.env` > `defaults.rs` (see
//! `env.rs`). GONOPROXY and GONOSUMDB fall back to GOPRIVATE only when they
//! are unset or empty.

pub mod defaults;
pub mod env;
pub mod goflags;

use std::path::{Path, PathBuf};

use crate::net::tls::TrustOptions;
use env::Env;
use goflags::GoFlags;

/// Everything the fetch pipeline needs to know about its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// GOPROXY as configured (parsed by `proxy::list`).
    pub goproxy: String,
    /// Effective GONOPROXY (GOPRIVATE when unset).
    pub gonoproxy: String,
    /// Effective GONOSUMDB (GOPRIVATE when unset).
    pub gonosumdb: String,
    /// GOPRIVATE.
    pub goprivate: String,
    /// GOINSECURE.
    pub goinsecure: String,
    /// GOSUMDB as configured (`off`, a name, `name+key [url]`).
    pub gosumdb: String,
    /// The module cache root, or why there is none (reported when used).
    pub gomodcache: Result<PathBuf, CacheDirError>,
    /// The first GOPATH element (holds `pkg/sumdb`), if any.
    pub gopath: Option<PathBuf>,
    /// Flags from GOFLAGS.
    pub goflags: GoFlags,
    /// The netrc file to read credentials from (NETRC or `~/.netrc`).
    pub netrc: Option<PathBuf>,
    /// Trust roots for https.
    pub trust: TrustOptions,
    /// HTTP proxies from the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
    pub http_proxy: HttpProxyEnv,
    /// Test-only: retry without sleeping (`GOMODFETCH_TEST_NO_RETRY_DELAY=1`).
    pub no_retry_delay: bool,
    /// GODEBUG value (for `cmdgonetlimit`), as set.
    pub godebug: String,
    /// GOVCS (direct mode: which VCS tools may run for which paths).
    pub govcs: String,
    /// The process variables direct mode's git commands depend on
    /// (GIT_TERMINAL_PROMPT, GCM_INTERACTIVE, GIT_ALLOW_PROTOCOL), as set.
    pub vcs_env: Vec<(String, String)>,
}

/// HTTP(S)_PROXY / NO_PROXY as net/http `ProxyFromEnvironment` reads them
/// (upper case first, then lower case).
#[derive(Debug, Clone, Default)]
pub struct HttpProxyEnv {
    pub https_proxy: Option<String>,
    pub http_proxy: Option<String>,
    pub no_proxy: Option<String>,
}

/// Why there is no module cache (modfetch/cache.go `checkCacheDir`, cfg.go).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CacheDirError {
    #[error("module cache not found: neither GOMODCACHE nor GOPATH is set")]
    Unset,
    #[error("GOMODCACHE entry is relative; must be absolute path: {0:?}.\n")]
    Relative(String),
}

/// A configuration error that stops every fetch.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    GoFlags(#[from] goflags::GoFlagsError),
}

impl Settings {
    /// Resolves settings from an `Env` snapshot.
    pub fn from_env(env: &Env) -> Result<Self, SettingsError> {
        let var = |k: &str| env.go_var(k).unwrap_or_default().to_string();
        let goprivate = var("GOPRIVATE");
        let or_private = |k: &str| {
            let v = var(k);
            if v.is_empty() { goprivate.clone() } else { v }
        };
        // GOPROXY/GOSUMDB: env > GOENV file > go.env > Go's documented default.
        // Only when nothing at all names them (no go.env found) does the
        // compiled default apply; Go's own binary would use "" there, but a
        // standalone tool without a toolchain should still work.
        let goproxy = match env.go_var("GOPROXY") {
            Some(v) => v.to_string(),
            None if env.goroot().is_some_and(|r| r.join("go.env").is_file()) => String::new(),
            None => defaults::GOPROXY.to_string(),
        };
        let gosumdb = match env.go_var("GOSUMDB") {
            Some(v) => v.to_string(),
            None if env.goroot().is_some_and(|r| r.join("go.env").is_file()) => String::new(),
            None => defaults::GOSUMDB.to_string(),
        };
        let gopath = gopath_first(env);
        let gomodcache = match env.go_var("GOMODCACHE") {
            Some(dir) if Path::new(dir).is_absolute() => Ok(PathBuf::from(dir)),
            Some(dir) => Err(CacheDirError::Relative(dir.to_string())),
            None => gopath
                .as_ref()
                .map(|p| p.join("pkg").join("mod"))
                .ok_or(CacheDirError::Unset),
        };
        let goflags = goflags::parse(env.go_var("GOFLAGS").unwrap_or_default())?;
        // GOAUTH (default `netrc`): .netrc is read only when one of its
        // `;`-separated commands is `netrc` (`off` disables credentials; git
        // and custom commands are not run by gomodfetch).
        let netrc_enabled = env
            .go_var("GOAUTH")
            .unwrap_or("netrc")
            .split(';')
            .any(|c| c.split_whitespace().next() == Some("netrc"));
        let netrc = match env.process("NETRC") {
            _ if !netrc_enabled => None,
            Some(file) => Some(PathBuf::from(file)),
            None => env.home().map(|h| h.join(".netrc")),
        };
        let trust = TrustOptions {
            ssl_cert_file: env.process("SSL_CERT_FILE").map(PathBuf::from),
            ssl_cert_dir: env.process("SSL_CERT_DIR").map(str::to_string),
            extra_ca_files: Vec::new(),
        };
        let pick = |upper: &str, lower: &str| {
            env.process(upper)
                .or_else(|| env.process(lower))
                .map(str::to_string)
        };
        let http_proxy = HttpProxyEnv {
            https_proxy: pick("HTTPS_PROXY", "https_proxy"),
            http_proxy: pick("HTTP_PROXY", "http_proxy"),
            no_proxy: pick("NO_PROXY", "no_proxy"),
        };
        Ok(Self {
            goproxy,
            gonoproxy: or_private("GONOPROXY"),
            gonosumdb: or_private("GONOSUMDB"),
            goinsecure: var("GOINSECURE"),
            gosumdb,
            gomodcache,
            gopath,
            goflags,
            netrc,
            trust,
            http_proxy,
            no_retry_delay: env.process("GOMODFETCH_TEST_NO_RETRY_DELAY") == Some("1"),
            godebug: var("GODEBUG"),
            govcs: var("GOVCS"),
            vcs_env: [
                "GIT_TERMINAL_PROMPT",
                "GCM_INTERACTIVE",
                "GIT_ALLOW_PROTOCOL",
            ]
            .iter()
            .filter_map(|k| env.process(k).map(|v| ((*k).to_string(), v.to_string())))
            .collect(),
            goprivate,
        })
    }

    /// The module cache root, or the error Go reports for it.
    pub fn cache_root(&self) -> Result<&Path, CacheDirError> {
        self.gomodcache.as_deref().map_err(Clone::clone)
    }
}

/// The first element of GOPATH; default `$HOME/go`, unless that is GOROOT
/// (cfg.go `gopathDir`, go/build `defaultGOPATH`).
fn gopath_first(env: &Env) -> Option<PathBuf> {
    match env.go_var("GOPATH") {
        Some(list) => list.split(':').find(|p| !p.is_empty()).map(PathBuf::from),
        None => {
            let default = env.home()?.join("go");
            if env.goroot() == Some(default.as_path()) {
                None
            } else {
                Some(default)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_dir_derivation() {
        let s = Settings::from_env(&Env::from_map([("HOME", "/h")])).unwrap();
        assert_eq!(s.cache_root().unwrap(), Path::new("/h/go/pkg/mod"));
        let s = Settings::from_env(&Env::from_map([("GOPATH", "/a:/b")])).unwrap();
        assert_eq!(s.cache_root().unwrap(), Path::new("/a/pkg/mod"));
        let s = Settings::from_env(&Env::from_map([("GOMODCACHE", "rel")])).unwrap();
        assert_eq!(s.cache_root(), Err(CacheDirError::Relative("rel".into())));
        let s = Settings::from_env(&Env::from_map::<&str, &str>([])).unwrap();
        assert_eq!(s.cache_root(), Err(CacheDirError::Unset));
    }

    #[test]
    fn goauth_selects_netrc() {
        let netrc = |goauth: Option<&str>| {
            let mut vars = vec![("HOME", "/h"), ("NETRC", "/n")];
            if let Some(v) = goauth {
                vars.push(("GOAUTH", v));
            }
            Settings::from_env(&Env::from_map(vars)).unwrap().netrc
        };
        assert_eq!(netrc(None), Some(PathBuf::from("/n")));
        assert_eq!(netrc(Some("off")), None);
        assert_eq!(netrc(Some("git /src")), None);
        assert_eq!(netrc(Some("git /src; netrc")), Some(PathBuf::from("/n")));
    }

    #[test]
    fn private_fallbacks() {
        let s = Settings::from_env(&Env::from_map([
            ("GOPRIVATE", "*.corp.example.com"),
            ("GONOPROXY", "none"),
        ]))
        .unwrap();
        assert_eq!(s.gonoproxy, "none");
        assert_eq!(s.gonosumdb, "*.corp.example.com");
    }

    #[test]
    fn defaults_only_without_go_env() {
        let s = Settings::from_env(&Env::from_map([("HOME", "/h")])).unwrap();
        assert_eq!(s.goproxy, defaults::GOPROXY);
        let s = Settings::from_env(&Env::from_map([("GOPROXY", "off")])).unwrap();
        assert_eq!(s.goproxy, "off");
    }
}
