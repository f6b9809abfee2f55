//! `Env`: the only reader of the process environment, of the `go env -w`
//! file (GOENV) and of `$GOROOT/go.env` (spec/fetch-protocol.md §1.1, Go's
//! cmd/go/internal/cfg `Getenv`, `EnvFile`, `initEnvCache`).
//!
//! Precedence for a go-command variable (GOPROXY, GOSUMDB, GOPRIVATE, ...),
//! resolved in [`Env::go_var`]:
//!   1. the process environment, if non-empty (empty = unset);
//!   2. the `go env -w` file: `$GOENV`, else `<user config dir>/go/env`;
//!      `GOENV=off` disables it;
//!   3. `$GOROOT/go.env` (GOROOT from the environment, else the toolchain of
//!      the `go` binary on PATH: symlinks resolved, parent of `bin/`);
//!   4. (outside this file) the compiled-in default in `settings::defaults`.
//!
//! Plain process variables that Go reads straight from the OS (HOME,
//! HTTP(S)_PROXY, SSL_CERT_FILE, NETRC...) come from [`Env::process`].
//! Tests build an `Env` from maps and never touch the process environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A snapshot of everything gomodfetch reads from its environment.
#[derive(Debug, Clone, Default)]
pub struct Env {
    process: BTreeMap<String, String>,
    user_file: BTreeMap<String, String>,
    goroot_file: BTreeMap<String, String>,
    goroot: Option<PathBuf>,
}

impl Env {
    /// Reads the process environment and the two Go env files once.
    pub fn from_process() -> Self {
        #[expect(
            clippy::disallowed_methods,
            reason = "the one place that reads the process environment"
        )]
        let process = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Self::load(process)
    }

    /// An environment made of `process` only: no GOENV or go.env file is read.
    /// For tests of pure resolution.
    pub fn from_map<K: Into<String>, V: Into<String>>(
        process: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            process: process
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            ..Self::default()
        }
    }

    /// `process` plus the GOENV file and `$GOROOT/go.env` it points at.
    pub fn load(process: BTreeMap<String, String>) -> Self {
        let mut env = Self {
            process,
            ..Self::default()
        };
        if let Some(file) = env.user_env_file()
            && let Ok(text) = std::fs::read_to_string(&file)
        {
            env.user_file = parse_env_file(&text);
        }
        env.goroot = env.find_goroot();
        if let Some(root) = &env.goroot
            && let Ok(text) = std::fs::read_to_string(root.join("go.env"))
        {
            env.goroot_file = parse_env_file(&text);
        }
        env
    }

    /// Replaces the `go env -w` file contents (tests).
    pub fn with_user_file(mut self, text: &str) -> Self {
        self.user_file = parse_env_file(text);
        self
    }

    /// Replaces the `$GOROOT/go.env` contents (tests).
    pub fn with_goroot_file(mut self, text: &str) -> Self {
        self.goroot_file = parse_env_file(text);
        self
    }

    /// A process variable, `None` when unset or empty.
    pub fn process(&self, key: &str) -> Option<&str> {
        self.process
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A go-command variable, with Go's precedence (module doc).
    pub fn go_var(&self, key: &str) -> Option<&str> {
        if let Some(v) = self.process(key) {
            return Some(v);
        }
        // A key present in the user file hides go.env, even when empty
        // (cfg.go `readEnvFile` does not overwrite it).
        match self.user_file.get(key) {
            Some(v) => Some(v.as_str()),
            None => self.goroot_file.get(key).map(String::as_str),
        }
        .filter(|v| !v.is_empty())
    }

    /// The GOROOT used for `go.env`, if one was found.
    pub fn goroot(&self) -> Option<&Path> {
        self.goroot.as_deref()
    }

    /// `$HOME`.
    pub fn home(&self) -> Option<PathBuf> {
        self.process("HOME").map(PathBuf::from)
    }

    /// Go's `os.UserConfigDir` on Unix: `$XDG_CONFIG_HOME` or `$HOME/.config`.
    pub fn user_config_dir(&self) -> Option<PathBuf> {
        match self.process("XDG_CONFIG_HOME") {
            Some(dir) if Path::new(dir).is_absolute() => Some(PathBuf::from(dir)),
            _ => self.home().map(|h| h.join(".config")),
        }
    }

    /// The `go env -w` file: `$GOENV` (`off` disables it), else
    /// `<config dir>/go/env`.
    fn user_env_file(&self) -> Option<PathBuf> {
        match self.process("GOENV") {
            Some("off") => None,
            Some(file) => Some(PathBuf::from(file)),
            None => self.user_config_dir().map(|d| d.join("go").join("env")),
        }
    }

    /// GOROOT from the environment, else from the `go` binary on PATH
    /// (spawning `go env` would cost ~20 ms per run).
    fn find_goroot(&self) -> Option<PathBuf> {
        if let Some(root) = self.go_var("GOROOT") {
            return Some(PathBuf::from(root));
        }
        let path = self.process("PATH")?;
        for dir in path.split(':').filter(|d| !d.is_empty()) {
            let candidate = Path::new(dir).join("go");
            if candidate.is_file() {
                let real = std::fs::canonicalize(&candidate).ok()?;
                let bin = real.parent()?;
                return bin.parent().map(Path::to_path_buf);
            }
        }
        None
    }
}

/// Parses the `NAME=VALUE` format shared by the GOENV file and go.env: lines
/// without `=` or whose first byte is not `A`-`Z` are ignored (cfg.go
/// `readEnvFile`); a later line for the same name wins.
pub fn parse_env_file(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if !key.as_bytes().first().is_some_and(u8::is_ascii_uppercase) {
            continue;
        }
        out.insert(key.to_string(), value.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_env_then_user_file_then_goroot() {
        let env = Env::from_map([("GOPROXY", "http://a.example.com"), ("GOSUMDB", "")])
            .with_user_file("GOSUMDB=user\nGOPRIVATE=u.example.com\n")
            .with_goroot_file("# comment\nGOSUMDB=root\nGOPRIVATE=r\nGONOSUMDB=r.example.com\n");
        assert_eq!(env.go_var("GOPROXY"), Some("http://a.example.com"));
        // An empty process value is unset.
        assert_eq!(env.go_var("GOSUMDB"), Some("user"));
        assert_eq!(env.go_var("GOPRIVATE"), Some("u.example.com"));
        assert_eq!(env.go_var("GONOSUMDB"), Some("r.example.com"));
        assert_eq!(env.go_var("GOFLAGS"), None);
    }

    #[test]
    fn env_file_format() {
        let map = parse_env_file("A=1\nlower=2\n#X=3\nnoequals\nB=x=y\nA=again\n");
        assert_eq!(map.get("A").map(String::as_str), Some("again"));
        assert_eq!(map.get("B").map(String::as_str), Some("x=y"));
        assert!(!map.contains_key("lower") && !map.contains_key("#X"));
    }

    #[test]
    fn config_dir() {
        let env = Env::from_map([("HOME", "/h")]);
        assert_eq!(
            env.user_env_file(),
            Some(PathBuf::from("/h/.config/go/env"))
        );
        let env = Env::from_map([("HOME", "/h"), ("GOENV", "off")]);
        assert_eq!(env.user_env_file(), None);
    }
}
