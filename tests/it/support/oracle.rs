//! Running the real `go` and `gomodfetch` side by side against loopback
//! servers, hermetically, and comparing what they leave behind.
//!
//! - [`go_or_skip`]: whether `go` is usable; skips (returns false) when it
//!   is missing unless `GOMODFETCH_REQUIRE_GO=1` (CI), then panics.
//! - [`Sandbox`]: a temp dir with a private HOME, GOPATH, GOMODCACHE and
//!   an environment built from scratch (`env -i` style: PATH only, then
//!   GOENV=off, GOTOOLCHAIN=local, GOFLAGS=-modcacherw, GOSUMDB=off,
//!   GONOSUMCHECK=1, GOPROXY=<given>), so no test can reach a real proxy.
//! - [`Sandbox::go`] / [`Sandbox::ours`]: run a command with that env.
//! - [`snapshot`]: a cache tree as (relative path → mode, bytes), lock
//!   files aside, to assert two caches are identical.

#![allow(dead_code, reason = "each test uses a part")]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[expect(
    clippy::disallowed_methods,
    reason = "the test-only switch GOMODFETCH_REQUIRE_GO and PATH for child processes"
)]
fn process_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[expect(clippy::print_stderr, reason = "a skipped test says why")]
fn say_skipping() {
    eprintln!("skipping: go is not on PATH");
}

/// Whether the real `go` can be used; see the module doc.
pub fn go_or_skip() -> bool {
    let found = Command::new("go")
        .arg("version")
        .env("GOTOOLCHAIN", "local")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found && super::go_required() {
        panic!("GOMODFETCH_REQUIRE_GO=1 but `go` is missing");
    }
    if !found {
        say_skipping();
    }
    found
}

/// A private, hermetic environment for one command side.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub env: BTreeMap<String, String>,
}

impl Sandbox {
    /// `goproxy` is the GOPROXY value; GOMODCACHE is `<dir>/modcache`.
    pub fn new(goproxy: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut env = BTreeMap::new();
        env.insert("PATH".into(), process_var("PATH").unwrap_or_default());
        env.insert("HOME".into(), root.join("home").display().to_string());
        env.insert("GOPATH".into(), root.join("gopath").display().to_string());
        env.insert(
            "GOMODCACHE".into(),
            root.join("modcache").display().to_string(),
        );
        env.insert("GOCACHE".into(), root.join("gocache").display().to_string());
        env.insert("GOENV".into(), "off".into());
        env.insert("GOTOOLCHAIN".into(), "local".into());
        env.insert("GOFLAGS".into(), "-modcacherw".into());
        env.insert("GOSUMDB".into(), "off".into());
        env.insert("GONOSUMCHECK".into(), "1".into());
        env.insert("GOPROXY".into(), goproxy.into());
        env.insert("GOMODFETCH_TEST_NO_RETRY_DELAY".into(), "1".into());
        if let Some(root) = process_var("GOROOT") {
            env.insert("GOROOT".into(), root);
        }
        std::fs::create_dir_all(root.join("home")).unwrap();
        Self { dir, env }
    }

    pub fn set(&mut self, k: &str, v: &str) -> &mut Self {
        self.env.insert(k.into(), v.into());
        self
    }

    pub fn unset(&mut self, k: &str) -> &mut Self {
        self.env.remove(k);
        self
    }

    /// GOMODCACHE of this sandbox.
    pub fn cache(&self) -> PathBuf {
        PathBuf::from(&self.env["GOMODCACHE"])
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env_clear()
            .envs(&self.env)
            .current_dir(self.dir.path().join("home"));
        c
    }

    /// `go <args>`.
    pub fn go(&self, args: &[&str]) -> Output {
        self.command("go").args(args).output().unwrap()
    }

    /// `gomodfetch <args>`.
    pub fn ours(&self, args: &[&str]) -> Output {
        self.command(env!("CARGO_BIN_EXE_gomodfetch"))
            .args(args)
            .output()
            .unwrap()
    }

    /// A `Command` for gomodfetch (to spawn and kill).
    pub fn ours_command(&self, args: &[&str]) -> Command {
        let mut c = self.command(env!("CARGO_BIN_EXE_gomodfetch"));
        c.args(args);
        c
    }

    /// stdout with this sandbox's cache root replaced by `$CACHE`.
    pub fn normalize(&self, out: &[u8]) -> String {
        String::from_utf8_lossy(out).replace(&self.env["GOMODCACHE"], "$CACHE")
    }
}

/// One file or directory of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Dir { mode: u32 },
    File { mode: u32, data: Vec<u8> },
}

/// The tree under `root` (relative paths), `.lock` files left out.
pub fn snapshot(root: &Path) -> BTreeMap<String, Entry> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Entry>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            let mode = meta.permissions().mode() & 0o7777;
            if meta.is_dir() {
                out.insert(rel, Entry::Dir { mode });
                walk(root, &p, out);
            } else if !rel.ends_with(".lock") {
                out.insert(
                    rel,
                    Entry::File {
                        mode,
                        data: std::fs::read(&p).unwrap(),
                    },
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Asserts two cache trees are identical, listing the differences.
pub fn assert_same_tree(go: &Path, ours: &Path) {
    let (a, b) = (snapshot(go), snapshot(ours));
    let mut diffs = Vec::new();
    for (k, v) in &a {
        match b.get(k) {
            None => diffs.push(format!("only in go's cache: {k}")),
            Some(w) if w != v => {
                diffs.push(format!("differs: {k}: go {} ours {}", brief(v), brief(w)))
            }
            _ => {}
        }
    }
    for k in b.keys() {
        if !a.contains_key(k) {
            diffs.push(format!("only in ours: {k}"));
        }
    }
    assert!(
        diffs.is_empty(),
        "cache trees differ:\n{}",
        diffs.join("\n")
    );
}

fn brief(e: &Entry) -> String {
    match e {
        Entry::Dir { mode } => format!("dir {mode:o}"),
        Entry::File { mode, data } => format!(
            "file {mode:o} {} bytes {:?}",
            data.len(),
            String::from_utf8_lossy(&data[..data.len().min(80)])
        ),
    }
}

/// Makes a cache deletable (Go leaves read-only directories).
pub fn make_writable(root: &Path) {
    let _ = Command::new("chmod").args(["-R", "u+w"]).arg(root).status();
}

/// Every file under `<cache>/cache/download`, relative, minus the checksum
/// database's (`sumdb/`): the set of modules a run downloaded, to compare
/// with go's.
pub fn cache_files(cache: &Path) -> std::collections::BTreeSet<String> {
    fn walk(base: &Path, dir: &Path, out: &mut std::collections::BTreeSet<String>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else if let Ok(rel) = p.strip_prefix(base) {
                out.insert(rel.display().to_string());
            }
        }
    }
    let mut out = std::collections::BTreeSet::new();
    let dl = cache.join("cache/download");
    walk(&dl, &dl, &mut out);
    out.retain(|f| !f.starts_with("sumdb/"));
    out
}
