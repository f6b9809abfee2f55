//! The reference checksum database: testdata/peers/sumdbserver (x/mod's own
//! sumdb.Server over sumdb.TestServer), built with the real `go` command at
//! test time and cached under target/. Building needs golang.org/x/mod, which
//! `go` fetches through its module proxy (allowed in CI) unless already in
//! the module cache. When it cannot be built the caller skips, unless
//! GOMODFETCH_REQUIRE_GO=1, when it panics.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

pub use super::go_required as require_go;

/// Panics under GOMODFETCH_REQUIRE_GO=1, else says the test is skipped.
#[expect(clippy::print_stderr, reason = "a skipped test says why")]
pub fn skip_or_fail(what: &str) {
    if require_go() {
        panic!("GOMODFETCH_REQUIRE_GO=1 but {what}");
    }
    eprintln!("skipping: {what}");
}

fn source_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/peers/sumdbserver")
}

fn newest_source(dir: &Path) -> Option<std::time::SystemTime> {
    ["main.go", "go.mod", "go.sum"]
        .iter()
        .filter_map(|f| {
            std::fs::metadata(dir.join(f))
                .and_then(|m| m.modified())
                .ok()
        })
        .max()
}

/// The built peer binary, or the reason it could not be built.
pub fn binary() -> Result<PathBuf, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let src = source_dir();
            let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("peers/sumdbserver");
            let fresh = match (
                std::fs::metadata(&out).and_then(|m| m.modified()),
                newest_source(&src),
            ) {
                (Ok(built), Some(src_time)) => built >= src_time,
                _ => false,
            };
            if fresh {
                return Ok(out);
            }
            let status = Command::new("go")
                .args(["build", "-o"])
                .arg(&out)
                .arg(".")
                .current_dir(&src)
                .env("GOTOOLCHAIN", "local")
                .env("GOFLAGS", "-mod=readonly")
                .env("CGO_ENABLED", "0")
                .stdin(Stdio::null())
                .output();
            match status {
                Err(e) => Err(format!("cannot run go: {e}")),
                Ok(o) if !o.status.success() => Err(format!(
                    "go build of the reference sumdb failed:\n{}",
                    String::from_utf8_lossy(&o.stderr)
                )),
                Ok(_) => Ok(out),
            }
        })
        .clone()
}

/// A running reference peer; killed on drop.
pub struct Peer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    child: Child,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Peer {
    /// Starts the peer serving `sums` (go.sum lines) signed by `signer_key`,
    /// also under `/sumdb/<mount>/` when given.
    pub fn start(
        bin: &Path,
        dir: &Path,
        signer_key: &str,
        sums: &str,
        mount: Option<&str>,
    ) -> Peer {
        let sums_file = dir.join("peer-sums.txt");
        std::fs::write(&sums_file, sums).expect("write sums");
        let mut cmd = Command::new(bin);
        cmd.arg("-key").arg(signer_key).arg("-sums").arg(&sums_file);
        if let Some(m) = mount {
            cmd.arg("-mount").arg(m);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start peer");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("peer address");
        Peer {
            url: line.trim().to_owned(),
            child,
        }
    }
}
