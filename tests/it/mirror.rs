//! `gomodfetch mirror` end to end: a test project's whole graph is mirrored
//! from a loopback proxy (the prewarm universe) and a loopback checksum
//! database; the database is stopped; then the real go command, with
//! `GOPROXY=file://DIR` (and again through `gomodfetch serve`), the
//! database's `name+key` in GOSUMDB, an empty cache and no go.sum, runs
//! `go mod download all` and `go build` with verification on. Also:
//! `mirror verify`, a tampered zip caught by both verify and go, an
//! incremental run that fetches only the new module's files (from the
//! proxy's request log), repair of a damaged file, the delta directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gomodfetch::sumdb::note::Signer;

use crate::prewarm::universe::{self, Universe};
use crate::serve::Served;
use crate::support::sumdb_server::{SumdbLog, SumdbServer};

const DB: &str = "sum.mirror.test";

const UNIVERSE: &str = "
example.com/a@v1.0.0 go=1.17 req=example.com/b@v1.0.0 imp=example.com/b
example.com/b@v1.0.0 go=1.17 req=example.com/c@v1.0.0 imp=example.com/c
example.com/c@v1.0.0 go=1.17
example.com/c@v1.1.0 go=1.17
example.com/upper@v1.0.0 go=1.17
example.com/u@v1.0.0 go=1.16 req=example.com/v@v1.0.0 imp=example.com/v
example.com/v@v1.0.0 go=1.17 req=example.com/w@v1.0.0
example.com/w@v1.0.0 go=1.17
example.com/new@v1.0.0 go=1.17
";

use crate::support::go_required;

#[allow(clippy::disallowed_methods, reason = "the oracle needs PATH")]
fn path_var() -> String {
    std::env::var("PATH").unwrap_or_default()
}

fn have_go() -> bool {
    let ok = Command::new("go")
        .arg("version")
        .env("GOTOOLCHAIN", "local")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || !go_required(),
        "GOMODFETCH_REQUIRE_GO=1 but `go` is missing"
    );
    ok
}

fn text(o: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn keys() -> (String, String) {
    Signer::key_pair_from_seed(DB, [9; 32])
}

/// The test project: imports a (→ b → c), Upper and u (→ v).
fn project(dir: &Path, with_new: bool) {
    std::fs::create_dir_all(dir).unwrap();
    let mut require = vec![
        ("example.com/a", "v1.0.0", ""),
        ("example.com/b", "v1.0.0", " // indirect"),
        ("example.com/c", "v1.0.0", " // indirect"),
        ("example.com/upper", "v1.0.0", ""),
        ("example.com/u", "v1.0.0", ""),
        ("example.com/v", "v1.0.0", " // indirect"),
    ];
    let mut imports = vec!["example.com/a", "example.com/upper", "example.com/u"];
    if with_new {
        require.push(("example.com/new", "v1.0.0", ""));
        imports.push("example.com/new");
    }
    let mut gomod = "module example.com/main\n\ngo 1.17\n\nrequire (\n".to_string();
    for (p, v, c) in &require {
        gomod.push_str(&format!("\t{p} {v}{c}\n"));
    }
    gomod.push_str(")\n");
    std::fs::write(dir.join("go.mod"), gomod).unwrap();
    let imports: Vec<String> = imports.iter().map(|s| s.to_string()).collect();
    std::fs::write(
        dir.join("main.go"),
        universe::package_source("main", &imports, true),
    )
    .unwrap();
    let _ = std::fs::remove_file(dir.join("go.sum"));
}

/// gomodfetch mirror with the loopback proxy and database.
fn mirror(home: &Path, proxy: &str, gosumdb: &str, args: &[&str]) -> Output {
    mirror_env(home, proxy, gosumdb, &[], args)
}

fn mirror_env(
    home: &Path,
    proxy: &str,
    gosumdb: &str,
    env: &[(&str, &str)],
    args: &[&str],
) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gomodfetch"))
        .arg("mirror")
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .env("PATH", path_var())
        .env("HOME", home)
        .env("GOENV", "off")
        .env("GOPATH", home.join("gopath"))
        .env("GOMODCACHE", home.join("gomodcache"))
        .env("GOPROXY", proxy)
        .env("GOSUMDB", gosumdb)
        .env("GOMODFETCH_TEST_NO_RETRY_DELAY", "1")
        .output()
        .expect("run gomodfetch mirror")
}

fn verify(dir: &Path, key: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gomodfetch"))
        .args(["mirror", "verify"])
        .arg(dir)
        .args(["--key", key])
        .env_clear()
        .env("PATH", path_var())
        .output()
        .expect("run gomodfetch mirror verify")
}

/// The go command on the air-gapped side: only the mirror, the database
/// key without a URL, a fresh cache; GONOSUMDB/GOPRIVATE unset.
fn go_offline(project: &Path, home: &Path, goproxy: &str, vkey: &str, args: &[&str]) -> Output {
    go_offline_env(project, home, goproxy, vkey, &[], args)
}

fn go_offline_env(
    project: &Path,
    home: &Path,
    goproxy: &str,
    vkey: &str,
    env: &[(&str, &str)],
    args: &[&str],
) -> Output {
    Command::new("go")
        .args(args)
        .current_dir(project)
        .env_clear()
        .env("PATH", path_var())
        .env("HOME", home)
        .env("GOTOOLCHAIN", "local")
        .env("GOENV", "off")
        .env("GOFLAGS", "-modcacherw -mod=mod")
        .env("GOPROXY", goproxy)
        .env("GOSUMDB", vkey)
        .env("GOPATH", home.join("gopath"))
        .env("GOMODCACHE", home.join("gomodcache"))
        .env("GOCACHE", home.join("gocache"))
        .envs(env.iter().copied())
        .output()
        .expect("run go")
}

fn file_url(dir: &Path) -> String {
    format!("file://{}", dir.display())
}

struct World {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    universe: Universe,
    proxy: universe::Proxy,
    vkey: String,
    rt: tokio::runtime::Runtime,
    sumdb: Option<SumdbServer>,
}

impl World {
    fn new() -> World {
        World::with_sums(|sums| sums.to_owned())
    }

    /// A world whose database starts with `pick(all go.sum lines)`.
    fn with_sums(pick: impl FnOnce(&str) -> String) -> World {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let universe = Universe::new(UNIVERSE);
        let proxy = universe.serve(std::time::Duration::ZERO);
        let (skey, vkey) = keys();
        let mut log = SumdbLog::new(&skey);
        log.add_sums(&pick(&universe.go_sum()));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let sumdb = Some(rt.block_on(SumdbServer::start(log, None)));
        World {
            _tmp: tmp,
            root,
            universe,
            proxy,
            vkey,
            rt,
            sumdb,
        }
    }

    fn gosumdb(&self) -> String {
        format!("{} {}", self.vkey, self.sumdb.as_ref().unwrap().url)
    }

    fn stop_sumdb(&mut self) {
        if let Some(s) = self.sumdb.take() {
            let _guard = self.rt.enter();
            drop(s);
        }
    }

    fn sumdb_requests(&self) -> Vec<String> {
        self.sumdb
            .as_ref()
            .map(|s| s.requests())
            .unwrap_or_default()
    }
}

#[test]
fn mirror_then_go_verifies_offline() {
    if !have_go() {
        return; // skipped: no go on PATH (and not required)
    }
    let mut w = World::new();
    let _ = &w.universe;
    let dir = w.root.join("mirror");
    let proj = w.root.join("project");
    project(&proj, false);

    // 1. Mirror the project's whole graph.
    let out = mirror(
        &w.root.join("home1"),
        &w.proxy.url,
        &w.gosumdb(),
        &[
            "--to",
            dir.to_str().unwrap(),
            "--from",
            proj.join("go.mod").to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    for f in [
        "example.com/a/@v/v1.0.0.zip",
        "example.com/upper/@v/v1.0.0.zip",
        "example.com/w/@v/v1.0.0.mod",
        "example.com/a/@v/list",
        &format!("sumdb/{DB}/supported"),
        &format!("sumdb/{DB}/latest"),
        &format!("sumdb/{DB}/lookup/example.com/upper@v1.0.0"),
        "manifest.json",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing: {}", text(&out));
    }
    assert!(
        !dir.join("example.com/new").exists() && !dir.join("example.com/c/@v/v1.1.0.mod").exists(),
        "only the graph is mirrored"
    );
    let out = verify(&dir, &w.vkey);
    assert!(out.status.success(), "{}", text(&out));
    let first_run_sumdb = w.sumdb_requests().len();
    assert!(first_run_sumdb > 0);

    // 2. Incremental: one more requirement fetches only that module.
    project(&proj, true);
    let before = w.proxy.paths().len();
    let out = mirror(
        &w.root.join("home2"),
        &w.proxy.url,
        &w.gosumdb(),
        &[
            "--to",
            dir.to_str().unwrap(),
            "--from",
            proj.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let mut new_requests: Vec<String> = w.proxy.paths()[before..].to_vec();
    new_requests.sort();
    assert_eq!(
        new_requests,
        [
            "/example.com/new/@v/v1.0.0.info",
            "/example.com/new/@v/v1.0.0.mod",
            "/example.com/new/@v/v1.0.0.zip"
        ],
        "{}",
        text(&out)
    );
    let sumdb_new: Vec<String> = w.sumdb_requests()[first_run_sumdb..].to_vec();
    assert!(
        sumdb_new
            .iter()
            .all(|p| !p.starts_with("/lookup/") || p == "/lookup/example.com/new@v1.0.0"),
        "{sumdb_new:?}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("example.com/new/@v/list")).unwrap(),
        "v1.0.0\n"
    );

    // 3. Stop the database: from here on nothing but the tree.
    w.stop_sumdb();
    let proxy_before_go = w.proxy.requests();

    let home = w.root.join("go1");
    let out = go_offline(
        &proj,
        &home,
        &file_url(&dir),
        &w.vkey,
        &["mod", "download", "all"],
    );
    assert!(out.status.success(), "go mod download all: {}", text(&out));
    let out = go_offline(&proj, &home, &file_url(&dir), &w.vkey, &["build", "./..."]);
    assert!(out.status.success(), "go build: {}", text(&out));
    // Verification really happened: go consulted the mirrored database.
    let lookup = home.join(format!(
        "gomodcache/cache/download/sumdb/{DB}/lookup/example.com/upper@v1.0.0"
    ));
    assert!(
        lookup.is_file(),
        "go did not verify through the mirror's sumdb"
    );
    assert!(home.join(format!("gopath/pkg/sumdb/{DB}/latest")).is_file());
    let gosum = std::fs::read_to_string(proj.join("go.sum")).unwrap();
    assert!(gosum.contains("example.com/new v1.0.0 h1:"), "{gosum}");

    // 4. The same through `gomodfetch serve`.
    project(&proj, true);
    let served = Served::start(&dir, &[]);
    let home = w.root.join("go2");
    let out = go_offline(
        &proj,
        &home,
        &served.url,
        &w.vkey,
        &["mod", "download", "all"],
    );
    assert!(
        out.status.success(),
        "served: go mod download all: {}",
        text(&out)
    );
    let out = go_offline(&proj, &home, &served.url, &w.vkey, &["build", "./..."]);
    assert!(out.status.success(), "served: go build: {}", text(&out));
    let log = served.log_lines().join("\n");
    assert!(log.contains(&format!("GET /sumdb/{DB}/supported")), "{log}");
    assert!(log.contains(&format!("GET /sumdb/{DB}/lookup/")), "{log}");
    assert!(log.contains(&format!("GET /sumdb/{DB}/tile/8/0/")), "{log}");
    drop(served);
    assert_eq!(
        w.proxy.requests(),
        proxy_before_go,
        "go reached the upstream proxy"
    );

    // 5. A tampered zip: mirror verify names it, go refuses it.
    let zip = dir.join("example.com/c/@v/v1.0.0.zip");
    let mut evil = w.universe.clone();
    evil.corrupt_zip("example.com/c", "v1.0.0");
    let evil_proxy = evil.serve(std::time::Duration::ZERO);
    let bytes = w.rt.block_on(async {
        crate::serve::http_client()
            .get(format!("{}/example.com/c/@v/v1.0.0.zip", evil_proxy.url))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
    });
    std::fs::write(&zip, &bytes).unwrap();
    let out = verify(&dir, &w.vkey);
    assert!(!out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&zip.display().to_string()) && err.contains("checksum mismatch"),
        "{err}"
    );
    project(&proj, true);
    let home = w.root.join("go3");
    let out = go_offline(
        &proj,
        &home,
        &file_url(&dir),
        &w.vkey,
        &["mod", "download", "all"],
    );
    assert!(
        !out.status.success(),
        "go accepted a tampered zip: {}",
        text(&out)
    );
    let goerr = String::from_utf8_lossy(&out.stderr);
    assert!(
        goerr.contains("example.com/c@v1.0.0") && goerr.contains("checksum mismatch"),
        "{goerr}"
    );

    // 6. Mirror replaces the damaged file (the database is needed again
    // only if the tree lacks a record; it does not).
    let out = mirror(
        &w.root.join("home3"),
        &w.proxy.url,
        &format!("{} http://127.0.0.1:9", w.vkey),
        &[
            "--to",
            dir.to_str().unwrap(),
            "--from",
            proj.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 replaced"),
        "{}",
        text(&out)
    );
    let out = verify(&dir, &w.vkey);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn delta_and_bad_input() {
    let w = World::new();
    let dir = w.root.join("mirror");
    let out = mirror(
        &w.root.join("home"),
        &w.proxy.url,
        &w.gosumdb(),
        &["--to", dir.to_str().unwrap(), "example.com/c@v1.0.0"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let old_manifest = w.root.join("old-manifest.json");
    std::fs::copy(dir.join("manifest.json"), &old_manifest).unwrap();
    // The air-gapped side's copy of the first transfer.
    let far = w.root.join("far");
    copy_tree(&dir, &far);

    // A module that does not exist is reported; the rest is mirrored.
    let delta = w.root.join("delta");
    let out = mirror(
        &w.root.join("home"),
        &w.proxy.url,
        &w.gosumdb(),
        &[
            "--to",
            dir.to_str().unwrap(),
            "example.com/nope@v1.0.0",
            "example.com/c@v1.1.0",
            "--delta-since",
            old_manifest.to_str().unwrap(),
            "--delta-to",
            delta.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("example.com/nope@v1.0.0"), "{err}");
    assert!(dir.join("example.com/c/@v/v1.1.0.zip").is_file());
    assert_eq!(
        std::fs::read_to_string(dir.join("example.com/c/@v/list")).unwrap(),
        "v1.0.0\nv1.1.0\n"
    );
    // The delta holds what changed (the new version, the list, the
    // database files that moved) and not what did not.
    assert!(delta.join("example.com/c/@v/v1.1.0.zip").is_file());
    assert!(delta.join("example.com/c/@v/list").is_file());
    assert!(delta.join("manifest.json").is_file());
    assert!(!delta.join("example.com/c/@v/v1.0.0.zip").exists());
    // Applying the delta to the far side's old tree gives the new tree.
    let out = verify(&dir, &w.vkey);
    assert!(out.status.success(), "{}", text(&out));
    copy_tree(&delta, &far);
    let out = verify(&far, &w.vkey);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(walk_sorted(&far), walk_sorted(&dir));

    // A proxy serving a tampered zip: refused with Go's words, nothing lands.
    let mut evil = w.universe.clone();
    evil.corrupt_zip("example.com/b", "v1.0.0");
    let evil_proxy = evil.serve(std::time::Duration::ZERO);
    let out = mirror(
        &w.root.join("home"),
        &evil_proxy.url,
        &w.gosumdb(),
        &["--to", dir.to_str().unwrap(), "example.com/b@v1.0.0"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("gomodfetch: example.com/b@v1.0.0: verifying module: checksum mismatch")
            && err.contains("SECURITY ERROR"),
        "{err}"
    );
    assert!(!dir.join("example.com/b/@v/v1.0.0.zip").exists());
    let out = verify(&dir, &w.vkey);
    assert!(out.status.success(), "{}", text(&out));

    // Another database's key over the same tree: a clear error, nothing replaced.
    let (_, other_key) = Signer::key_pair_from_seed(DB, [3; 32]);
    let out = mirror(
        &w.root.join("home"),
        &w.proxy.url,
        &format!("{other_key} {}", w.sumdb.as_ref().unwrap().url),
        &["--to", dir.to_str().unwrap(), "example.com/w@v1.0.0"],
    );
    assert!(!out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not verify with key"), "{err}");
    assert!(!dir.join("example.com/w/@v/v1.0.0.zip").exists(), "{err}");
    let out = verify(&dir, &w.vkey);
    assert!(out.status.success(), "{}", text(&out));

    // A manifest that points outside the tree is refused, not followed.
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(far.join("manifest.json")).unwrap()).unwrap();
    m["files"]["../old-manifest.json"] = serde_json::json!({"size": 1, "sha256": "00"});
    std::fs::write(far.join("manifest.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    let out = verify(&far, &w.vkey);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a path inside the tree"),
        "{}",
        text(&out)
    );
}

fn download(home: &Path, proxy: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gomodfetch"))
        .arg("download")
        .args(args)
        .env_clear()
        .env("PATH", path_var())
        .env("HOME", home)
        .env("GOENV", "off")
        .env("GOFLAGS", "-modcacherw")
        .env("GOPATH", home.join("gopath"))
        .env("GOMODCACHE", home.join("gomodcache"))
        .env("GOPROXY", proxy)
        .env("GOSUMDB", "off")
        .output()
        .expect("run gomodfetch download")
}

#[test]
fn from_cache_needs_no_proxy() {
    let w = World::new();
    let home = w.root.join("home");
    let out = download(
        &home,
        &w.proxy.url,
        &["example.com/a@v1.0.0", "example.com/v@v1.0.0"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let before = w.proxy.requests();
    let dir = w.root.join("mirror");
    let cache = home.join("gomodcache");
    let out = mirror(
        &w.root.join("home2"),
        "off",
        &w.gosumdb(),
        &[
            "--to",
            dir.to_str().unwrap(),
            "--from-cache",
            cache.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(w.proxy.requests(), before, "the cache was enough");
    for f in [
        "example.com/a/@v/v1.0.0.zip",
        "example.com/a/@v/v1.0.0.info",
        "example.com/v/@v/v1.0.0.zip",
        "example.com/v/@v/list",
    ] {
        assert!(dir.join(f).is_file(), "{f}: {}", text(&out));
    }
    let out = verify(&dir, &w.vkey);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn killed_run_resumes() {
    // A slow proxy, so the run can be killed half-way (when the first zip
    // has landed); no timing is asserted.
    let w = World::new();
    let slow = w.universe.serve(std::time::Duration::from_millis(150));
    let dir = w.root.join("mirror");
    let proj = w.root.join("project");
    project(&proj, true);
    let mut child = Command::new(env!("CARGO_BIN_EXE_gomodfetch"))
        .args(["mirror", "-j", "1", "--to", dir.to_str().unwrap(), "--from"])
        .arg(&proj)
        .env_clear()
        .env("PATH", path_var())
        .env("HOME", w.root.join("home"))
        .env("GOENV", "off")
        .env("GOPATH", w.root.join("home/gopath"))
        .env("GOMODCACHE", w.root.join("home/gomodcache"))
        .env("GOPROXY", &slow.url)
        .env("GOSUMDB", w.gosumdb())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let landed = |d: &Path| walk(d).iter().any(|f| f.ends_with(".zip"));
    while !landed(&dir) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !dir.join("manifest.json").exists(),
        "the run finished before the kill"
    );
    let kept: Vec<String> = walk(&dir)
        .into_iter()
        .filter(|f| f.ends_with(".zip"))
        .collect();
    assert!(!kept.is_empty());

    let before = slow.paths().len();
    let out = mirror(
        &w.root.join("home"),
        &slow.url,
        &w.gosumdb(),
        &[
            "--to",
            dir.to_str().unwrap(),
            "--from",
            proj.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    // What had landed complete was not fetched again.
    let again = slow.paths()[before..].to_vec();
    for zip in &kept {
        let rel = format!("/{zip}");
        assert!(!again.contains(&rel), "{rel} fetched again: {again:?}");
    }
    // No temp files survive, and the tree verifies.
    assert!(walk(&dir).iter().all(|f| !f.ends_with(".tmp")));
    let out = verify(&dir, &w.vkey);
    assert!(out.status.success(), "{}", text(&out));
}

/// Every file under `dir`, relative, `/`-separated.
fn walk(dir: &Path) -> Vec<String> {
    fn go(base: &Path, d: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                go(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    go(dir, dir, &mut out);
    out
}

fn walk_sorted(dir: &Path) -> Vec<String> {
    let mut v = walk(dir);
    v.sort();
    v
}

/// `cp -R from/. to/`.
fn copy_tree(from: &Path, to: &Path) {
    for rel in walk(from) {
        let dst = to.join(&rel);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(from.join(&rel), dst).unwrap();
    }
}

/// `n` go.sum-like records of modules nobody asks for, to grow the log.
fn filler(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| {
            format!(
                "example.com/filler{i} v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
            )
        })
        .collect()
}

#[test]
fn log_grows_between_runs_and_go_moves_forward_offline() {
    if !have_go() {
        return; // skipped: no go on PATH (and not required)
    }
    let without_new = |sums: &str| {
        let mut s: String = sums
            .lines()
            .filter(|l| !l.starts_with("example.com/new "))
            .map(|l| format!("{l}\n"))
            .collect();
        s.push_str(&filler(0, 100));
        s
    };
    let mut w = World::with_sums(without_new);
    let dir = w.root.join("mirror");
    let proj = w.root.join("project");
    project(&proj, false);
    let out = mirror(
        &w.root.join("home"),
        &w.proxy.url,
        &w.gosumdb(),
        &[
            "--to",
            dir.to_str().unwrap(),
            "--from",
            proj.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let first = w.root.join("first");
    copy_tree(&dir, &first);
    let head1 = std::fs::read_to_string(dir.join(format!("sumdb/{DB}/latest"))).unwrap();

    // A machine uses the first transfer: its go stores that head.
    let home = w.root.join("go");
    let out = go_offline(
        &proj,
        &home,
        &file_url(&first),
        &w.vkey,
        &["mod", "download", "all"],
    );
    assert!(out.status.success(), "{}", text(&out));

    // The log grows past a full tile (and a level-1 hash), then the new module.
    {
        let server = w.sumdb.as_ref().unwrap();
        let mut log = server.log.lock().unwrap();
        log.add_sums(&filler(100, 300));
        let new_sums: String = w
            .universe
            .go_sum()
            .lines()
            .filter(|l| l.starts_with("example.com/new "))
            .map(|l| format!("{l}\n"))
            .collect();
        log.add_sums(&new_sums);
    }
    project(&proj, true);
    let out = mirror(
        &w.root.join("home"),
        &w.proxy.url,
        &w.gosumdb(),
        &[
            "--to",
            dir.to_str().unwrap(),
            "--from",
            proj.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let head2 = std::fs::read_to_string(dir.join(format!("sumdb/{DB}/latest"))).unwrap();
    assert_ne!(head1, head2, "the mirror's head moved forward");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["sumdb"]["earlier"].as_array().map(Vec::len),
        Some(1),
        "{manifest}"
    );
    let out = verify(&dir, &w.vkey);
    assert!(out.status.success(), "{}", text(&out));
    w.stop_sumdb();

    // The same machine (its stored head is the old one) moves forward offline.
    let out = go_offline(
        &proj,
        &home,
        &file_url(&dir),
        &w.vkey,
        &["mod", "download", "all"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = go_offline(&proj, &home, &file_url(&dir), &w.vkey, &["build", "./..."]);
    assert!(out.status.success(), "{}", text(&out));
    let latest =
        std::fs::read_to_string(home.join(format!("gopath/pkg/sumdb/{DB}/latest"))).unwrap();
    assert_eq!(latest, head2);
}

#[test]
fn forked_log_is_refused() {
    let w = World::new();
    let dir = w.root.join("mirror");
    let out = mirror(
        &w.root.join("home"),
        &w.proxy.url,
        &w.gosumdb(),
        &["--to", dir.to_str().unwrap(), "example.com/c@v1.0.0"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let latest = dir.join(format!("sumdb/{DB}/latest"));
    let head1 = std::fs::read(&latest).unwrap();
    let manifest1 = std::fs::read(dir.join("manifest.json")).unwrap();

    // The database now serves another history, signed with the same key
    // and longer: every record is still "signed", but the old head is not
    // a prefix of the new tree.
    {
        let (skey, _) = keys();
        let mut forked = SumdbLog::new(&skey);
        forked.add_sums(&filler(0, 3));
        forked.add_sums(&w.universe.go_sum());
        *w.sumdb.as_ref().unwrap().log.lock().unwrap() = forked;
    }
    let out = mirror(
        &w.root.join("home"),
        &w.proxy.url,
        &w.gosumdb(),
        &["--to", dir.to_str().unwrap(), "example.com/w@v1.0.0"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SECURITY ERROR"), "{err}");
    // The published head and manifest are untouched.
    assert_eq!(std::fs::read(&latest).unwrap(), head1);
    assert_eq!(std::fs::read(dir.join("manifest.json")).unwrap(), manifest1);
}

#[test]
fn gonosumdb_modules_are_mirrored_without_proofs() {
    if !have_go() {
        return; // skipped: no go on PATH (and not required)
    }
    let mut w = World::new();
    let dir = w.root.join("mirror");
    let proj = w.root.join("project");
    project(&proj, false);
    let out = mirror_env(
        &w.root.join("home"),
        &w.proxy.url,
        &w.gosumdb(),
        &[("GONOSUMDB", "example.com/c")],
        &[
            "--to",
            dir.to_str().unwrap(),
            "--from",
            proj.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(dir.join("example.com/c/@v/v1.0.0.zip").is_file());
    assert!(
        !dir.join(format!("sumdb/{DB}/lookup/example.com/c@v1.0.0"))
            .exists()
    );
    assert!(
        dir.join(format!("sumdb/{DB}/lookup/example.com/b@v1.0.0"))
            .is_file()
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let c = manifest["modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["path"] == "example.com/c")
        .unwrap();
    assert_eq!(c["sumdb"], false);
    let out = verify(&dir, &w.vkey);
    assert!(out.status.success(), "{}", text(&out));
    w.stop_sumdb();
    let home = w.root.join("go");
    let env = [("GONOSUMDB", "example.com/c")];
    let out = go_offline_env(
        &proj,
        &home,
        &file_url(&dir),
        &w.vkey,
        &env,
        &["mod", "download", "all"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = go_offline_env(
        &proj,
        &home,
        &file_url(&dir),
        &w.vkey,
        &env,
        &["build", "./..."],
    );
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn with_deps_mirrors_the_closure() {
    let w = World::new();
    let dir = w.root.join("mirror");
    let out = mirror(
        &w.root.join("home"),
        &w.proxy.url,
        &w.gosumdb(),
        &[
            "--to",
            dir.to_str().unwrap(),
            "--with-deps",
            "example.com/a@v1.0.0",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    for m in ["a", "b", "c"] {
        let zip = dir.join(format!("example.com/{m}/@v/v1.0.0.zip"));
        assert!(zip.is_file(), "{m}: {}", text(&out));
    }
    assert!(!dir.join("example.com/u").exists());
    let out = verify(&dir, &w.vkey);
    assert!(out.status.success(), "{}", text(&out));
}
