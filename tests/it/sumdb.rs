//! Checksum database end to end on loopback: the client against the
//! in-Rust database (always) and against x/mod's own server built with `go`
//! (the reference peer; skipped without go unless GOMODFETCH_REQUIRE_GO=1).

use std::collections::BTreeMap;
use std::sync::Mutex;

use gomodfetch::sumdb::client::{Client, ClientError, OpsError, SumdbOps};
use gomodfetch::sumdb::note::Signer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::sumdb_peer::{self, Peer};
use crate::support::sumdb_server::{SumdbLog, SumdbServer};

const NAME: &str = "sumdb.example.com";

fn signer_key(seed: u8) -> String {
    Signer::key_pair_from_seed(NAME, [seed; 32]).0
}

fn verifier_key(seed: u8) -> String {
    Signer::key_pair_from_seed(NAME, [seed; 32]).1
}

/// go.sum lines for `n` made-up module versions.
fn sums(n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        let path = if i % 7 == 3 {
            format!("example.com/Upper{i}")
        } else {
            format!("example.com/m{i}")
        };
        out.push_str(&format!(
            "{path} v1.0.{i} h1:{}=\n",
            "A".repeat(42) + &format!("{:01}", i % 10)
        ));
        out.push_str(&format!(
            "{path} v1.0.{i}/go.mod h1:{}=\n",
            "B".repeat(42) + &format!("{:01}", i % 10)
        ));
    }
    out
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Msg(String);

/// Minimal HTTP/1.0 GET over loopback, config and cache in memory.
struct LoopbackOps {
    base: String,
    key: String,
    config: Mutex<BTreeMap<String, Vec<u8>>>,
    cache: Mutex<BTreeMap<String, Vec<u8>>>,
    security: Mutex<String>,
}

impl LoopbackOps {
    fn new(base: &str, key: &str) -> Self {
        Self {
            base: base.to_owned(),
            key: key.to_owned(),
            config: Mutex::default(),
            cache: Mutex::default(),
            security: Mutex::default(),
        }
    }
}

async fn http_get(url: &str) -> Result<(u16, Vec<u8>), String> {
    let rest = url.strip_prefix("http://").ok_or("not http")?;
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut s = tokio::net::TcpStream::connect(host)
        .await
        .map_err(|e| e.to_string())?;
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.map_err(|e| e.to_string())?;
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no header end")?;
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status")?;
    Ok((status, buf[split + 4..].to_vec()))
}

impl SumdbOps for LoopbackOps {
    async fn read_remote(&self, path: &str) -> Result<Vec<u8>, OpsError> {
        let url = format!("{}{path}", self.base);
        match http_get(&url).await {
            Ok((200, body)) => Ok(body),
            Ok((status, body)) => Err(OpsError::failed(Msg(format!(
                "reading {url}: {status}: {}",
                String::from_utf8_lossy(&body).trim()
            )))),
            Err(e) => Err(OpsError::failed(Msg(e))),
        }
    }
    async fn read_config(&self, file: &str) -> Result<Vec<u8>, OpsError> {
        if file == "key" {
            return Ok(self.key.clone().into_bytes());
        }
        Ok(self
            .config
            .lock()
            .unwrap()
            .get(file)
            .cloned()
            .unwrap_or_default())
    }
    async fn write_config(&self, file: &str, old: &[u8], new: &[u8]) -> Result<(), OpsError> {
        let mut c = self.config.lock().unwrap();
        let cur = c.get(file).cloned().unwrap_or_default();
        if !cur.is_empty() && cur != old {
            return Err(OpsError::WriteConflict);
        }
        c.insert(file.to_owned(), new.to_vec());
        Ok(())
    }
    async fn read_cache(&self, file: &str) -> Option<Vec<u8>> {
        self.cache
            .lock()
            .unwrap()
            .get(file)
            .cloned()
            .filter(|d| !d.is_empty())
    }
    async fn write_cache(&self, file: &str, data: &[u8]) {
        self.cache
            .lock()
            .unwrap()
            .insert(file.to_owned(), data.to_vec());
    }
    fn security_error(&self, msg: &str) {
        self.security.lock().unwrap().push_str(msg);
    }
}

/// Looks up every line of `sums` concurrently through one client and checks
/// the answers; returns the client's cache and config.
async fn lookup_all(
    base: &str,
    key: &str,
    sums: &str,
) -> (BTreeMap<String, Vec<u8>>, BTreeMap<String, Vec<u8>>) {
    let client = std::sync::Arc::new(Client::new(LoopbackOps::new(base, key)));
    let mut tasks = Vec::new();
    for line in sums.lines() {
        let f: Vec<String> = line.split(' ').map(str::to_owned).collect();
        let c = client.clone();
        let line = line.to_owned();
        tasks.push(tokio::spawn(async move {
            let got = c
                .lookup(&f[0], &f[1])
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(got, vec![line]);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let ops = client.ops();
    (
        ops.cache.lock().unwrap().clone(),
        ops.config.lock().unwrap().clone(),
    )
}

#[tokio::test]
async fn client_against_in_rust_database() {
    let sums = sums(300);
    let mut log = SumdbLog::new(&signer_key(1));
    log.add_sums(&sums);
    let server = SumdbServer::start(log, None).await;
    let (cache, config) = lookup_all(&server.url, &verifier_key(1), &sums).await;
    // Tiles fetched once each, whatever the concurrency.
    let reqs = server.requests();
    let mut uniq = reqs.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(reqs.len(), uniq.len(), "a path was fetched twice: {reqs:?}");
    assert_eq!(cache.keys().filter(|k| k.contains("/lookup/")).count(), 300);
    assert!(
        cache.contains_key(&format!("{NAME}/tile/8/0/001.p/44")),
        "{:?}",
        cache.keys()
    );
    assert!(
        cache.contains_key(&format!("{NAME}/tile/8/1/000.p/1")),
        "{:?}",
        cache.keys()
    );
    let latest = String::from_utf8(config[&format!("{NAME}/latest")].clone()).unwrap();
    assert!(
        latest.starts_with("go.sum database tree\n300\n"),
        "{latest}"
    );
}

#[tokio::test]
async fn prefetch_only_reads_and_the_lookup_reuses_its_reads() {
    let sums = sums(300);
    let mut log = SumdbLog::new(&signer_key(1));
    log.add_sums(&sums);
    let server = SumdbServer::start(log, None).await;
    let client = std::sync::Arc::new(Client::new(LoopbackOps::new(&server.url, &verifier_key(1))));
    let lines: Vec<&str> = sums.lines().filter(|l| !l.contains("/go.mod")).collect();
    let picked = [lines[0], lines[150], lines[299]];
    let mut tasks = Vec::new();
    for line in picked {
        let f: Vec<String> = line.split(' ').map(str::to_owned).collect();
        let c = client.clone();
        tasks.push(tokio::spawn(async move { c.prefetch(&f[0], &f[1]).await }));
    }
    // And one the database does not know: no panic, nothing kept.
    client.prefetch("example.com/unknown", "v1.0.0").await;
    for t in tasks {
        t.await.unwrap();
    }
    // Reads only: nothing cached, no latest written.
    assert!(client.ops().cache.lock().unwrap().is_empty());
    assert!(client.ops().config.lock().unwrap().is_empty());
    let prefetched = server.requests();
    assert_eq!(
        prefetched
            .iter()
            .filter(|r| r.starts_with("/lookup/"))
            .count(),
        picked.len() + 1,
        "{prefetched:?}"
    );
    assert!(
        prefetched.iter().any(|r| r.starts_with("/tile/")),
        "{prefetched:?}"
    );
    // The lookups find every read done: no request of their own.
    for line in picked {
        let f: Vec<&str> = line.split(' ').collect();
        assert_eq!(client.lookup(f[0], f[1]).await.unwrap(), vec![line]);
        let go_mod = format!("{}/go.mod", f[1]);
        assert_eq!(client.lookup(f[0], &go_mod).await.unwrap().len(), 1);
    }
    assert_eq!(server.requests(), prefetched);
    // Verified, they were cached and the latest stored as usual.
    let cache = client.ops().cache.lock().unwrap().clone();
    assert_eq!(cache.keys().filter(|k| k.contains("/lookup/")).count(), 3);
    assert!(
        cache.keys().any(|k| k.contains("/tile/")),
        "{:?}",
        cache.keys()
    );
    let config = client.ops().config.lock().unwrap().clone();
    assert!(config[&format!("{NAME}/latest")].starts_with(b"go.sum database tree\n300\n"));
    assert!(
        client
            .lookup("example.com/unknown", "v1.0.0")
            .await
            .is_err()
    );

    // Against a forked log the prefetch proves nothing and reports nothing;
    // the lookup does, with the same reads.
    let sums = self::sums(5);
    let mut log = SumdbLog::new(&signer_key(1));
    log.add_sums(&sums);
    let server = SumdbServer::start(log, None).await;
    let client = Client::new(LoopbackOps::new(&server.url, &verifier_key(1)));
    client.lookup("example.com/m0", "v1.0.0").await.unwrap();
    let mut forked = SumdbLog::new(&signer_key(1));
    forked.add_sums(&sums.replace("h1:AAAA", "h1:CCCC"));
    forked.add_sums("example.com/new v1.0.0 h1:x=\n");
    *server.log.lock().unwrap() = forked;
    client.prefetch("example.com/new", "v1.0.0").await;
    assert!(client.ops().security.lock().unwrap().is_empty());
    let before = server.requests().len();
    let err = client
        .lookup("example.com/new", "v1.0.0")
        .await
        .unwrap_err();
    assert!(matches!(err.error, ClientError::Security(_)), "{err}");
    assert!(!client.ops().security.lock().unwrap().is_empty());
    assert!(
        client.ops().config.lock().unwrap()[&format!("{NAME}/latest")]
            .starts_with(b"go.sum database tree\n5\n"),
        "latest moved to the fork"
    );
    assert_eq!(server.requests().len(), before, "{:?}", server.requests());
}

#[tokio::test]
async fn client_refuses_another_key_and_a_fork() {
    let sums = sums(5);
    let mut log = SumdbLog::new(&signer_key(1));
    log.add_sums(&sums);
    let server = SumdbServer::start(log, None).await;
    // Another key: the note has no verifiable signature.
    let client = Client::new(LoopbackOps::new(&server.url, &verifier_key(2)));
    let err = client.lookup("example.com/m0", "v1.0.0").await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("example.com/m0@v1.0.0: reading tree note: note has no verifiable signatures\nnote:\ngo.sum database tree\n5\n"),
        "{text}"
    );
    assert!(client.ops().cache.lock().unwrap().is_empty());

    // A fork: a first honest run, then the server rewrites history.
    let client = Client::new(LoopbackOps::new(&server.url, &verifier_key(1)));
    client.lookup("example.com/m0", "v1.0.0").await.unwrap();
    let mut forked = SumdbLog::new(&signer_key(1));
    forked.add_sums(&sums.replace("h1:AAAA", "h1:CCCC"));
    forked.add_sums("example.com/new v1.0.0 h1:x=\n");
    *server.log.lock().unwrap() = forked;
    let err = client
        .lookup("example.com/new", "v1.0.0")
        .await
        .unwrap_err();
    assert!(matches!(err.error, ClientError::Security(_)), "{err}");
    let msg = err.security_message().unwrap();
    assert!(msg.starts_with("SECURITY ERROR\ngo.sum database server misbehavior detected!\n\nold database:\n\tgo.sum database tree\n\t5\n"), "{msg}");
    assert!(
        msg.contains("new database:\n\tgo.sum database tree\n\t6\n"),
        "{msg}"
    );
    assert_eq!(*client.ops().security.lock().unwrap(), msg);
    let latest = client.ops().config.lock().unwrap()[&format!("{NAME}/latest")].clone();
    assert!(
        latest.starts_with(b"go.sum database tree\n5\n"),
        "latest moved to the fork"
    );
}

#[tokio::test]
async fn client_against_reference_peer() {
    let bin = match sumdb_peer::binary() {
        Ok(b) => b,
        Err(e) => return sumdb_peer::skip_or_fail(&e),
    };
    let dir = tempfile::tempdir().unwrap();
    let sums = sums(300);
    let peer = Peer::start(&bin, dir.path(), &signer_key(1), &sums, Some(NAME));
    // Both databases built from the same lines in the same order must be the
    // same log: identical caches and latest.
    let mut log = SumdbLog::new(&signer_key(1));
    log.add_sums(&sums);
    let ours = SumdbServer::start(log, None).await;
    let (peer_cache, peer_config) = lookup_all(
        &format!("{}/sumdb/{NAME}", peer.url),
        &verifier_key(1),
        &sums,
    )
    .await;
    let (our_cache, our_config) = lookup_all(&ours.url, &verifier_key(1), &sums).await;
    assert_eq!(peer_config, our_config);
    assert_eq!(
        peer_cache.keys().collect::<Vec<_>>(),
        our_cache.keys().collect::<Vec<_>>()
    );
    assert!(peer_cache == our_cache, "cache contents differ");
    // The peer's 404 for an unknown module is a failed lookup.
    let client = Client::new(LoopbackOps::new(&peer.url, &verifier_key(1)));
    let err = client
        .lookup("example.com/none", "v1.0.0")
        .await
        .unwrap_err();
    assert!(err.to_string().contains(": 404: "), "{err}");
}

// ---------------------------------------------------------------------------
// `gomodfetch download` and `go mod download` against the same loopback
// module proxy (prewarm's universe) and checksum database.

mod e2e {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output};

    use super::{NAME, signer_key, verifier_key};
    use crate::prewarm::universe::Universe;
    use crate::support::sumdb_peer::{self, Peer};
    use crate::support::sumdb_server::{SumdbLog, SumdbServer};

    const MODS: &str = "
        example.com/a@v1.0.0 go=1.17
        example.com/a@v1.1.0 go=1.17
        example.com/b@v0.3.0 go=1.17
        example.com/c@v2.0.0+incompatible
        example.com/private/p@v1.0.0 go=1.17
        example.com/tampered@v1.0.0 go=1.17
        example.com/badmod@v1.0.0 go=1.17
        example.com/nohash@v1.0.0 go=1.17
        example.com/absent@v1.0.0 go=1.17
    ";

    #[expect(
        clippy::disallowed_methods,
        reason = "PATH is passed on to the tools run with a cleared environment"
    )]
    fn path_var() -> std::ffi::OsString {
        std::env::var_os("PATH").unwrap_or_default()
    }

    fn have_go() -> bool {
        let ok = Command::new("go")
            .arg("version")
            .env("GOTOOLCHAIN", "local")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            sumdb_peer::skip_or_fail("`go` is not on PATH");
        }
        ok
    }

    /// One tool's private world: HOME, GOPATH (with pkg/sumdb), GOMODCACHE.
    struct Home {
        dir: PathBuf,
    }

    impl Home {
        fn new(root: &Path, name: &str) -> Home {
            let dir = root.join(name);
            std::fs::create_dir_all(&dir).unwrap();
            Home { dir }
        }
        fn gopath(&self) -> PathBuf {
            self.dir.join("gopath")
        }
        fn modcache(&self) -> PathBuf {
            self.gopath().join("pkg/mod")
        }
        /// Every file under cache/download/sumdb and pkg/sumdb, with contents.
        fn sumdb_files(&self) -> BTreeMap<String, Vec<u8>> {
            let mut out = BTreeMap::new();
            for (label, root) in [
                ("cache", self.modcache().join("cache/download/sumdb")),
                ("pkg", self.gopath().join("pkg/sumdb")),
            ] {
                walk(&root, &mut |p| {
                    let rel = p.strip_prefix(&root).unwrap().display().to_string();
                    out.insert(format!("{label}/{rel}"), std::fs::read(p).unwrap());
                });
            }
            out
        }
        #[allow(dead_code)]
        fn has_zip(&self, path: &str, version: &str) -> bool {
            self.modcache()
                .join(format!("cache/download/{path}/@v/{version}.zip"))
                .exists()
        }
    }

    fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, f);
            } else if p.extension().is_none_or(|x| x != "lock") {
                f(&p);
            }
        }
    }

    #[derive(Clone)]
    struct Env {
        proxy: String,
        gosumdb: String,
        extra: Vec<(String, String)>,
    }

    fn run(tool: &str, home: &Home, cwd: &Path, env: &Env, args: &[&str]) -> Output {
        let mut cmd = if tool == "go" {
            let mut c = Command::new("go");
            c.args(["mod", "download", "-json"]);
            c
        } else {
            let mut c = Command::new(env!("CARGO_BIN_EXE_gomodfetch"));
            c.args(["download", "--json"]);
            c
        };
        cmd.args(args)
            .current_dir(cwd)
            .env_clear()
            .env("PATH", path_var())
            .env("HOME", &home.dir)
            .env("GOTOOLCHAIN", "local")
            .env("GOENV", "off")
            .env("GOTELEMETRY", "off")
            .env("GOFLAGS", "-modcacherw")
            .env("GOPROXY", &env.proxy)
            .env("GOSUMDB", &env.gosumdb)
            .env("GOPATH", home.gopath())
            .env("GOMODCACHE", home.modcache())
            .env("GOCACHE", home.dir.join("gocache"))
            .env("GOMODFETCH_TEST_NO_RETRY_DELAY", "1")
            .env("NO_COLOR", "1");
        for (k, v) in &env.extra {
            cmd.env(k, v);
        }
        cmd.output().expect("run tool")
    }

    /// The `Error` fields of `-json` output, in order ("" for successes).
    /// The message of a fatal error (a go.sum mismatch, go's `base.Fatalf`):
    /// exit 1, no JSON, go's text on stderr (ours after `gomodfetch: ` and
    /// followed by where the bytes came from).
    fn fatal_error(out: &Output) -> String {
        assert_eq!(out.status.code(), Some(1), "{}", show(out));
        assert!(out.stdout.is_empty(), "JSON printed: {}", show(out));
        let text = String::from_utf8_lossy(&out.stderr);
        let text = text.strip_prefix("gomodfetch: ").unwrap_or(&text);
        match text.find("\n\t(") {
            Some(i) => text[..=i].to_owned(),
            None => text.to_owned(),
        }
    }

    fn errors(out: &Output) -> Vec<String> {
        let text = String::from_utf8_lossy(&out.stdout);
        serde_json::Deserializer::from_str(&text)
            .into_iter::<serde_json::Value>()
            .map(|v| v.unwrap()["Error"].as_str().unwrap_or("").to_owned())
            .collect()
    }

    fn universe() -> Universe {
        let mut u = Universe::new(MODS);
        u.corrupt_zip("example.com/tampered", "v1.0.0");
        u
    }

    /// The honest log: the universe's sums, except that the database says
    /// something else for example.com/badmod's go.mod (as if the proxy had
    /// tampered with the go.mod), has no zip hash for example.com/nohash and
    /// nothing at all for example.com/absent.
    fn honest_sums(u: &Universe) -> String {
        u.go_sum()
            .lines()
            .filter(|l| !l.starts_with("example.com/absent ") && !l.starts_with("example.com/nohash v1.0.0 h1:"))
            .map(|l| {
                if l.starts_with("example.com/badmod v1.0.0/go.mod ") {
                    "example.com/badmod v1.0.0/go.mod h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_owned()
                } else {
                    l.to_owned()
                }
            })
            .map(|l| l + "\n")
            .collect()
    }

    async fn in_rust_db(sums: &str, mount: bool) -> SumdbServer {
        let mut log = SumdbLog::new(&signer_key(1));
        log.add_sums(sums);
        SumdbServer::start(log, mount.then_some(NAME)).await
    }

    async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        tokio::task::spawn_blocking(f).await.unwrap()
    }

    const HONEST: [&str; 4] = [
        "example.com/a@v1.0.0",
        "example.com/a@v1.1.0",
        "example.com/b@v0.3.0",
        "example.com/c@v2.0.0+incompatible",
    ];

    /// Honest modules verify, and leave the same sumdb files as go.
    async fn honest_against(db_url: String, label: &str) {
        let u = universe();
        let proxy = u.serve(std::time::Duration::ZERO);
        let tmp = tempfile::tempdir().unwrap();
        let env = Env {
            proxy: proxy.url.clone(),
            gosumdb: format!("{} {db_url}", verifier_key(1)),
            extra: vec![],
        };
        let ours = Home::new(tmp.path(), "ours");
        let (h, e, t) = (ours.dir.clone(), env.clone(), tmp.path().to_path_buf());
        let out = blocking(move || run("ours", &Home { dir: h }, &t, &e, &HONEST)).await;
        assert!(
            out.status.success(),
            "{label}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(errors(&out).iter().all(String::is_empty));
        let files = ours.sumdb_files();
        assert!(
            files.contains_key(&format!("pkg/{NAME}/latest")),
            "{label}: {:?}",
            files.keys()
        );
        assert!(
            files.contains_key(&format!(
                "cache/{NAME}/lookup/example.com/c@v2.0.0+incompatible"
            )),
            "{label}: {:?}",
            files.keys()
        );
        assert!(
            files.keys().any(|k| k.contains("/tile/8/0/000.p/")),
            "{label}: {:?}",
            files.keys()
        );
        // A second run is served from the caches alone (the database is not needed).
        let e2 = Env {
            gosumdb: format!("{} http://127.0.0.1:1", verifier_key(1)),
            ..env.clone()
        };
        let (h, t) = (ours.dir.clone(), tmp.path().to_path_buf());
        std::fs::remove_dir_all(ours.modcache().join("cache/download/example.com")).unwrap();
        let out = blocking(move || run("ours", &Home { dir: h }, &t, &e2, &HONEST)).await;
        assert!(
            out.status.success(),
            "{label}: cached run: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        if !have_go() {
            return;
        }
        let theirs = Home::new(tmp.path(), "go");
        let (h, e, t) = (theirs.dir.clone(), env.clone(), tmp.path().to_path_buf());
        let out = blocking(move || run("go", &Home { dir: h }, &t, &e, &HONEST)).await;
        assert!(
            out.status.success(),
            "{label}: go: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let go_files = theirs.sumdb_files();
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            go_files.keys().collect::<Vec<_>>(),
            "{label}: file names differ from go's"
        );
        for (k, v) in &files {
            assert!(go_files[k] == *v, "{label}: {k} differs from go's");
        }
        // And the go command accepts the state we left: it runs from our
        // caches with the database unreachable.
        let (h, t) = (ours.dir.clone(), tmp.path().to_path_buf());
        let e3 = Env {
            gosumdb: format!("{} http://127.0.0.1:1", verifier_key(1)),
            ..env
        };
        std::fs::remove_dir_all(ours.modcache().join("cache/download/example.com")).unwrap();
        let out = blocking(move || run("go", &Home { dir: h }, &t, &e3, &HONEST)).await;
        assert!(
            out.status.success(),
            "{label}: go on our state: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn honest_modules_in_rust_database() {
        let u = universe();
        let db = in_rust_db(&honest_sums(&u), false).await;
        honest_against(db.url.clone(), "in-Rust database").await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn honest_modules_reference_peer() {
        let bin = match sumdb_peer::binary() {
            Ok(b) => b,
            Err(e) => return sumdb_peer::skip_or_fail(&e),
        };
        let dir = tempfile::tempdir().unwrap();
        let u = universe();
        let peer = Peer::start(&bin, dir.path(), &signer_key(1), &honest_sums(&u), None);
        honest_against(peer.url.clone(), "reference peer").await;
    }

    fn show(out: &Output) -> String {
        format!(
            "stdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    /// Runs both tools (go only where present) in fresh homes under `root`.
    async fn both(
        root: &Path,
        cwd: &Path,
        env: &Env,
        args: &[&str],
    ) -> (Home, Output, Option<(Home, Output)>) {
        let ours = Home::new(root, "ours");
        let (h, e, c, a) = (
            ours.dir.clone(),
            env.clone(),
            cwd.to_path_buf(),
            args.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        );
        let out = blocking(move || {
            run(
                "ours",
                &Home { dir: h },
                &c,
                &e,
                &a.iter().map(String::as_str).collect::<Vec<_>>(),
            )
        })
        .await;
        if !have_go() {
            return (ours, out, None);
        }
        let theirs = Home::new(root, "go");
        let (h, e, c, a) = (
            theirs.dir.clone(),
            env.clone(),
            cwd.to_path_buf(),
            args.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        );
        let go_out = blocking(move || {
            run(
                "go",
                &Home { dir: h },
                &c,
                &e,
                &a.iter().map(String::as_str).collect::<Vec<_>>(),
            )
        })
        .await;
        (ours, out, Some((theirs, go_out)))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tampered_zip_and_go_mod_refused_by_both() {
        let u = universe();
        let db = in_rust_db(&honest_sums(&u), false).await;
        let proxy = u.serve(std::time::Duration::ZERO);
        let tmp = tempfile::tempdir().unwrap();
        let env = Env {
            proxy: proxy.url.clone(),
            gosumdb: format!("{} {}", verifier_key(1), db.url),
            extra: vec![],
        };
        let args = [
            "example.com/tampered@v1.0.0",
            "example.com/badmod@v1.0.0",
            "example.com/nohash@v1.0.0",
            "example.com/absent@v1.0.0",
        ];
        let (ours, out, go) = both(tmp.path(), tmp.path(), &env, &args).await;
        assert!(!out.status.success(), "{}", show(&out));
        let errs = errors(&out);
        assert!(errs[0].starts_with("example.com/tampered@v1.0.0: verifying module: checksum mismatch\n\tdownloaded: h1:"), "{}", errs[0]);
        assert!(errs[0].contains(&format!("\n\t{NAME}: h1:")) && errs[0].contains("\n\nSECURITY ERROR\nThis download does NOT match the one reported by the checksum server."), "{}", errs[0]);
        assert!(
            errs[1].starts_with("example.com/badmod@v1.0.0: verifying go.mod: checksum mismatch\n"),
            "{}",
            errs[1]
        );
        // The tampered bytes never became visible.
        assert!(!ours.has_zip("example.com/tampered", "v1.0.0"));
        assert!(!ours.modcache().join("example.com/tampered@v1.0.0").exists());
        assert!(
            !ours
                .modcache()
                .join("cache/download/example.com/badmod/@v/v1.0.0.mod")
                .exists()
        );
        if let Some((theirs, go_out)) = go {
            assert!(!go_out.status.success());
            assert_eq!(errors(&go_out), errs, "go: {}", show(&go_out));
            assert!(!theirs.has_zip("example.com/tampered", "v1.0.0"));
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn another_key_refused_by_both() {
        let u = universe();
        let db = in_rust_db(&honest_sums(&u), false).await;
        let proxy = u.serve(std::time::Duration::ZERO);
        let tmp = tempfile::tempdir().unwrap();
        let env = Env {
            proxy: proxy.url.clone(),
            gosumdb: format!("{} {}", verifier_key(2), db.url),
            extra: vec![],
        };
        let (ours, out, go) = both(tmp.path(), tmp.path(), &env, &["example.com/a@v1.0.0"]).await;
        assert!(!out.status.success(), "{}", show(&out));
        let errs = errors(&out);
        assert!(
            errs[0].starts_with("example.com/a@v1.0.0: verifying go.mod: example.com/a@v1.0.0/go.mod: reading tree note: note has no verifiable signatures\nnote:\ngo.sum database tree\n"),
            "{}",
            errs[0]
        );
        assert!(
            ours.sumdb_files().is_empty(),
            "{:?}",
            ours.sumdb_files().keys()
        );
        assert!(
            !ours
                .modcache()
                .join("cache/download/example.com/a/@v/v1.0.0.mod")
                .exists()
        );
        if let Some((theirs, go_out)) = go {
            assert_eq!(errors(&go_out), errs, "go: {}", show(&go_out));
            assert!(theirs.sumdb_files().is_empty());
        }
        // A GOSUMDB that is not a key, and one with too many fields.
        for (gosumdb, want) in [
            (
                "notakey".to_owned(),
                "example.com/a@v1.0.0: verifying go.mod: invalid GOSUMDB: malformed verifier id",
            ),
            (
                format!("{} {} x", verifier_key(1), db.url),
                "example.com/a@v1.0.0: verifying go.mod: invalid GOSUMDB: too many fields",
            ),
        ] {
            let tmp = tempfile::tempdir().unwrap();
            let env = Env {
                proxy: proxy.url.clone(),
                gosumdb,
                extra: vec![],
            };
            let (_, out, go) = both(tmp.path(), tmp.path(), &env, &["example.com/a@v1.0.0"]).await;
            assert_eq!(errors(&out), [want], "{}", show(&out));
            if let Some((_, go_out)) = go {
                assert_eq!(errors(&go_out), [want], "go: {}", show(&go_out));
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bad_signature_and_bad_tiles_refused_by_both() {
        let u = universe();
        let proxy = u.serve(std::time::Duration::ZERO);
        let key_hash = verifier_key(1).split('+').nth(1).unwrap().to_owned();
        for (label, bad_sig) in [("bad signature", true), ("bad tiles", false)] {
            let mut log = SumdbLog::new(&signer_key(1));
            log.add_sums(&honest_sums(&u));
            log.bad_signature = bad_sig;
            log.bad_tiles = !bad_sig;
            let db = SumdbServer::start(log, None).await;
            let tmp = tempfile::tempdir().unwrap();
            let env = Env {
                proxy: proxy.url.clone(),
                gosumdb: format!("{} {}", verifier_key(1), db.url),
                extra: vec![],
            };
            let (ours, out, go) =
                both(tmp.path(), tmp.path(), &env, &["example.com/a@v1.0.0"]).await;
            assert!(!out.status.success(), "{label}: {}", show(&out));
            let err = &errors(&out)[0];
            let want = if bad_sig {
                format!(
                    "example.com/a@v1.0.0: verifying go.mod: example.com/a@v1.0.0/go.mod: reading tree note: invalid signature for key {NAME}+{key_hash}\nnote:\n"
                )
            } else {
                "example.com/a@v1.0.0: verifying go.mod: example.com/a@v1.0.0/go.mod: initializing sumdb.Client: checking tree#".to_owned()
            };
            if bad_sig {
                assert!(err.starts_with(&want), "{label}: {err}");
            } else {
                // The first lookup installs the tree, then the record's tile does not verify.
                assert!(
                    err.contains("downloaded inconsistent tile"),
                    "{label}: {err}"
                );
            }
            // Nothing unverified was kept: no lookup, no tile. (A correctly
            // signed tree head is trusted on first use before its tiles are
            // read, so with bad tiles `latest` is written, as go writes it.)
            let files = ours.sumdb_files();
            assert!(
                files.keys().all(|k| k.starts_with("pkg/")),
                "{label}: {:?}",
                files.keys()
            );
            assert_eq!(files.is_empty(), bad_sig, "{label}: {:?}", files.keys());
            assert!(
                !ours
                    .modcache()
                    .join("cache/download/example.com/a/@v/v1.0.0.mod")
                    .exists()
            );
            if let Some((theirs, go_out)) = go {
                assert_eq!(
                    errors(&go_out),
                    errors(&out),
                    "{label}: go: {}",
                    show(&go_out)
                );
                assert_eq!(theirs.sumdb_files(), files, "{label}");
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn gonosumdb_goprivate_and_off_skip_as_go_does() {
        let u = universe();
        let proxy = u.serve(std::time::Duration::ZERO);
        // The database is unreachable: only skipped modules can succeed.
        let unreachable = format!("{} http://127.0.0.1:1", verifier_key(1));
        type Case<'a> = (&'a str, Vec<(String, String)>, String, Vec<bool>);
        let cases: Vec<Case> = vec![
            (
                "GONOSUMDB",
                vec![(
                    "GONOSUMDB".into(),
                    "example.com/a,example.com/private".into(),
                )],
                unreachable.clone(),
                vec![true, false, true],
            ),
            // GONOPROXY keeps private modules on the loopback proxy (GOPRIVATE
            // alone would send them to version control).
            (
                "GOPRIVATE",
                vec![
                    ("GOPRIVATE".into(), "example.com/private".into()),
                    ("GONOPROXY".into(), "none.invalid".into()),
                ],
                unreachable.clone(),
                vec![false, false, true],
            ),
            ("GOSUMDB=off", vec![], "off".into(), vec![true, true, true]),
            // GOINSECURE never disables checksum checks.
            (
                "GOINSECURE",
                vec![("GOINSECURE".into(), "*".into())],
                unreachable.clone(),
                vec![false, false, false],
            ),
        ];
        for (label, extra, gosumdb, want_ok) in cases {
            let tmp = tempfile::tempdir().unwrap();
            let env = Env {
                proxy: proxy.url.clone(),
                gosumdb,
                extra,
            };
            let args = [
                "example.com/a@v1.0.0",
                "example.com/b@v0.3.0",
                "example.com/private/p@v1.0.0",
            ];
            let (ours, out, go) = both(tmp.path(), tmp.path(), &env, &args).await;
            let ok: Vec<bool> = errors(&out).iter().map(String::is_empty).collect();
            assert_eq!(ok, want_ok, "{label}: {}", show(&out));
            assert!(
                ours.sumdb_files().is_empty(),
                "{label}: {:?}",
                ours.sumdb_files().keys()
            );
            if let Some((_, go_out)) = go {
                let go_ok: Vec<bool> = errors(&go_out).iter().map(String::is_empty).collect();
                assert_eq!(go_ok, want_ok, "{label}: go: {}", show(&go_out));
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn database_reached_through_proxy_route() {
        let u = universe();
        // The database is served only under <proxy>/sumdb/<name>/; its name
        // is not a reachable host, so a direct connection would fail.
        let db = in_rust_db(&honest_sums(&u), true).await;
        let proxy = u.serve(std::time::Duration::ZERO);
        let tmp = tempfile::tempdir().unwrap();
        let env = Env {
            proxy: format!("{},{}", db.url, proxy.url),
            gosumdb: verifier_key(1),
            extra: vec![],
        };
        let (ours, out, go) = both(tmp.path(), tmp.path(), &env, &HONEST).await;
        assert!(out.status.success(), "{}", show(&out));
        let reqs = db.requests();
        assert!(
            reqs.contains(&format!("/sumdb/{NAME}/supported")),
            "{reqs:?}"
        );
        assert!(
            reqs.iter()
                .any(|r| r.starts_with(&format!("/sumdb/{NAME}/lookup/"))),
            "{reqs:?}"
        );
        assert!(
            reqs.iter()
                .any(|r| r.starts_with(&format!("/sumdb/{NAME}/tile/8/0/000.p/"))),
            "{reqs:?}"
        );
        if let Some((theirs, go_out)) = go {
            assert!(go_out.status.success(), "go: {}", show(&go_out));
            assert_eq!(ours.sumdb_files(), theirs.sumdb_files());
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn forked_tree_detected_after_honest_run() {
        let u = universe();
        let sums = honest_sums(&u);
        let db = in_rust_db(&sums, false).await;
        let proxy = u.serve(std::time::Duration::ZERO);
        let tmp = tempfile::tempdir().unwrap();
        let env = Env {
            proxy: proxy.url.clone(),
            gosumdb: format!("{} {}", verifier_key(1), db.url),
            extra: vec![],
        };
        let (ours, out, go) = both(tmp.path(), tmp.path(), &env, &["example.com/a@v1.0.0"]).await;
        assert!(out.status.success(), "{}", show(&out));
        let latest_before =
            std::fs::read(ours.gopath().join(format!("pkg/sumdb/{NAME}/latest"))).unwrap();
        // The server rewrites history: same key, another record 0, and more.
        let mut forked = SumdbLog::new(&signer_key(1));
        forked.add(
            "example.com/evil",
            "v1.0.0",
            "example.com/evil v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        );
        forked.add_sums(&sums);
        *db.log.lock().unwrap() = forked;
        let (h, e, t) = (ours.dir.clone(), env.clone(), tmp.path().to_path_buf());
        let out =
            blocking(move || run("ours", &Home { dir: h }, &t, &e, &["example.com/b@v0.3.0"]))
                .await;
        let err = &fatal_error(&out);
        assert!(err.starts_with("SECURITY ERROR\ngo.sum database server misbehavior detected!\n\nold database:\n\tgo.sum database tree\n"), "{err}");
        assert!(
            err.contains("\nnew database:\n\tgo.sum database tree\n")
                && err.contains("\nproof of misbehavior:\n\t"),
            "{err}"
        );
        let latest_after =
            std::fs::read(ours.gopath().join(format!("pkg/sumdb/{NAME}/latest"))).unwrap();
        assert_eq!(
            latest_before, latest_after,
            "the stored latest moved to a forked tree"
        );
        assert!(
            !ours
                .modcache()
                .join("cache/download/example.com/b/@v/v0.3.0.mod")
                .exists()
        );
        if let Some((theirs, _)) = go {
            let (h, e, t) = (theirs.dir.clone(), env, tmp.path().to_path_buf());
            let go_out =
                blocking(move || run("go", &Home { dir: h }, &t, &e, &["example.com/b@v0.3.0"]))
                    .await;
            assert!(!go_out.status.success());
            let text = String::from_utf8_lossy(&go_out.stderr);
            assert!(
                text.contains("SECURITY ERROR\ngo.sum database server misbehavior detected!"),
                "go: {}",
                show(&go_out)
            );
            // The same evidence, byte for byte.
            assert!(
                text.contains(err.as_str()),
                "go printed other evidence:\n{text}\nours:\n{err}"
            );
        }
    }

    /// GOPROXY=off: the downloads fail before any request, with go's
    /// errors, and neither tool contacts the database or leaves sumdb files.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn goproxy_off_contacts_no_database() {
        let u = universe();
        let db = in_rust_db(&honest_sums(&u), false).await;
        let tmp = tempfile::tempdir().unwrap();
        let env = Env {
            proxy: "off".to_owned(),
            gosumdb: format!("{} {}", verifier_key(1), db.url),
            extra: vec![],
        };
        let (ours, out, go) = both(tmp.path(), tmp.path(), &env, &HONEST).await;
        assert!(!out.status.success(), "{}", show(&out));
        assert!(errors(&out).iter().all(|e| !e.is_empty()), "{}", show(&out));
        assert!(db.requests().is_empty(), "{:?}", db.requests());
        assert!(
            ours.sumdb_files().is_empty(),
            "{:?}",
            ours.sumdb_files().keys()
        );
        if let Some((_, go_out)) = go {
            assert!(!go_out.status.success(), "go: {}", show(&go_out));
            assert_eq!(errors(&go_out), errors(&out));
            assert!(db.requests().is_empty(), "{:?}", db.requests());
        }
    }

    /// A fork met by several modules at once is reported once, as go (which
    /// exits on it) reports it; the other modules fail without the text.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn forked_tree_reported_once() {
        let u = universe();
        let sums = honest_sums(&u);
        let db = in_rust_db(&sums, false).await;
        let proxy = u.serve(std::time::Duration::ZERO);
        let tmp = tempfile::tempdir().unwrap();
        let env = Env {
            proxy: proxy.url.clone(),
            gosumdb: format!("{} {}", verifier_key(1), db.url),
            extra: vec![],
        };
        let (ours, out, go) = both(tmp.path(), tmp.path(), &env, &["example.com/a@v1.0.0"]).await;
        assert!(out.status.success(), "{}", show(&out));
        let mut forked = SumdbLog::new(&signer_key(1));
        forked.add(
            "example.com/evil",
            "v1.0.0",
            "example.com/evil v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        );
        forked.add_sums(&sums);
        *db.log.lock().unwrap() = forked;
        let rest = &HONEST[1..];
        let count = |out: &Output| {
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            all.matches("SECURITY ERROR").count()
        };
        let (h, e, t) = (ours.dir.clone(), env.clone(), tmp.path().to_path_buf());
        let out = blocking(move || run("ours", &Home { dir: h }, &t, &e, rest)).await;
        // Fatal for the whole command, as go's base.Fatalf: the evidence
        // once on stderr, no JSON, exit 1.
        let full = fatal_error(&out);
        assert_eq!(count(&out), 1, "{}", show(&out));
        assert!(full.starts_with("SECURITY ERROR\n"), "{full}");
        assert!(full.contains("\nproof of misbehavior:\n\t"), "{full}");
        if let Some((theirs, _)) = go {
            let (h, e, t) = (theirs.dir.clone(), env, tmp.path().to_path_buf());
            let go_out = blocking(move || run("go", &Home { dir: h }, &t, &e, rest)).await;
            assert_eq!(go_out.status.code(), Some(1), "go: {}", show(&go_out));
            assert!(go_out.stdout.is_empty(), "go: {}", show(&go_out));
            assert_eq!(count(&go_out), 1, "go: {}", show(&go_out));
            assert!(
                String::from_utf8_lossy(&go_out.stderr).contains(full.as_str()),
                "go printed other evidence:\n{}\nours:\n{full}",
                show(&go_out)
            );
        }
    }

    fn module_dir(root: &Path, go_sum: Option<&str>) -> PathBuf {
        let dir = root.join("main");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("go.mod"),
            "module example.com/main\n\ngo 1.21\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/b v0.3.0\n)\n",
        )
        .unwrap();
        if let Some(s) = go_sum {
            std::fs::write(dir.join("go.sum"), s).unwrap();
        }
        dir
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cached_modules_are_checked_against_go_sum() {
        let u = universe();
        let db = in_rust_db(&honest_sums(&u), false).await;
        let proxy = u.serve(std::time::Duration::ZERO);
        let env = Env {
            proxy: proxy.url.clone(),
            gosumdb: format!("{} {}", verifier_key(1), db.url),
            extra: vec![],
        };
        let tmp = tempfile::tempdir().unwrap();
        let good_sum = u.go_sum();
        let wrong: String = good_sum
            .lines()
            .filter(|l| l.starts_with("example.com/a ") || l.starts_with("example.com/b "))
            .map(|l| {
                if l.starts_with("example.com/a v1.0.0 h1:") {
                    "example.com/a v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
                        .to_owned()
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        for tool in ["ours", "go"] {
            if tool == "go" && !have_go() {
                break;
            }
            // Fill the cache outside any module, then use it inside one.
            let home = Home::new(tmp.path(), tool);
            let (h, e, t) = (home.dir.clone(), env.clone(), tmp.path().to_path_buf());
            let out =
                blocking(move || run(tool, &Home { dir: h }, &t, &e, &["example.com/a@v1.0.0"]))
                    .await;
            assert!(out.status.success(), "{tool}: {}", show(&out));
            let dir = module_dir(&tmp.path().join(format!("{tool}-mod")), Some(&wrong));
            let (h, e, d) = (home.dir.clone(), env.clone(), dir.clone());
            let out =
                blocking(move || run(tool, &Home { dir: h }, &d, &e, &["example.com/a@v1.0.0"]))
                    .await;
            assert!(
                !out.status.success(),
                "{tool}: cached module passed a wrong go.sum: {}",
                show(&out)
            );
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                text.contains("verifying example.com/a@v1.0.0: checksum mismatch"),
                "{tool}: {text}"
            );
            // --write-sum also records modules that were already cached.
            if tool == "ours" {
                let dir = module_dir(&tmp.path().join("ours-write"), Some(""));
                let (h, e, d) = (home.dir.clone(), env.clone(), dir.clone());
                let out = blocking(move || {
                    run(
                        tool,
                        &Home { dir: h },
                        &d,
                        &e,
                        &["--write-sum", "example.com/a@v1.0.0"],
                    )
                })
                .await;
                assert!(out.status.success(), "{}", show(&out));
                let want: String = good_sum
                    .lines()
                    .filter(|l| l.starts_with("example.com/a v1.0.0"))
                    .map(|l| format!("{l}\n"))
                    .collect();
                assert_eq!(std::fs::read_to_string(dir.join("go.sum")).unwrap(), want);
            }
        }
    }

    fn workspace_dir(root: &Path, m1_sum: &str) -> PathBuf {
        let ws = root.join("ws");
        std::fs::create_dir_all(ws.join("m1")).unwrap();
        std::fs::create_dir_all(ws.join("m2")).unwrap();
        std::fs::write(ws.join("go.work"), "go 1.21\n\nuse (\n\t./m1\n\t./m2\n)\n").unwrap();
        std::fs::write(
            ws.join("m1/go.mod"),
            "module example.com/m1\n\ngo 1.21\n\nrequire example.com/a v1.0.0\n",
        )
        .unwrap();
        std::fs::write(ws.join("m1/go.sum"), m1_sum).unwrap();
        std::fs::write(
            ws.join("m2/go.mod"),
            "module example.com/m2\n\ngo 1.21\n\nrequire example.com/b v0.3.0\n",
        )
        .unwrap();
        ws
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn workspace_sum_files_as_go() {
        let u = universe();
        let db = in_rust_db(&honest_sums(&u), false).await;
        let proxy = u.serve(std::time::Duration::ZERO);
        let env = Env {
            proxy: proxy.url.clone(),
            gosumdb: format!("{} {}", verifier_key(1), db.url),
            extra: vec![],
        };
        let good_sum = u.go_sum();
        let a_mod = good_sum
            .lines()
            .find(|l| l.starts_with("example.com/a v1.0.0/go.mod "))
            .unwrap()
            .to_owned();
        let b_lines: String = good_sum
            .lines()
            .filter(|l| l.starts_with("example.com/b "))
            .map(|l| format!("{l}\n"))
            .collect();

        // A wrong line in a workspace module's go.sum is named by its path.
        let tmp = tempfile::tempdir().unwrap();
        let ws = workspace_dir(
            tmp.path(),
            &format!(
                "{a_mod}\nexample.com/a v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
            ),
        );
        let (_, out, go) = both(tmp.path(), &ws, &env, &["example.com/a@v1.0.0"]).await;
        let err = &fatal_error(&out);
        let m1_sum = ws.join("m1/go.sum").display().to_string();
        assert!(
            err.starts_with("verifying example.com/a@v1.0.0: checksum mismatch\n\tdownloaded: h1:"),
            "{err}"
        );
        assert!(err.contains(&format!("\n\t{m1_sum}:     h1:AAAA")), "{err}");
        if let Some((_, go_out)) = go {
            let text = String::from_utf8_lossy(&go_out.stderr);
            assert!(text.contains(err.as_str()), "go: {}", show(&go_out));
        }

        // --write-sum writes go.work.sum, leaving out what workspace modules list
        // (in go's canonical order).
        let tmp = tempfile::tempdir().unwrap();
        let ws = workspace_dir(tmp.path(), &format!("{a_mod}\n"));
        let (h, e, d) = (Home::new(tmp.path(), "ours").dir, env.clone(), ws.clone());
        let out = blocking(move || {
            run(
                "ours",
                &Home { dir: h },
                &d,
                &e,
                &[
                    "--write-sum",
                    "example.com/a@v1.0.0",
                    "example.com/b@v0.3.0",
                ],
            )
        })
        .await;
        assert!(out.status.success(), "{}", show(&out));
        let work_sum = std::fs::read_to_string(ws.join("go.work.sum")).unwrap();
        let a_zip = good_sum
            .lines()
            .find(|l| l.starts_with("example.com/a v1.0.0 h1:"))
            .unwrap();
        assert_eq!(work_sum, format!("{a_zip}\n{b_lines}"));
        assert_eq!(
            std::fs::read_to_string(ws.join("m1/go.sum")).unwrap(),
            format!("{a_mod}\n")
        );
        if have_go() {
            let ws2 = workspace_dir(&tmp.path().join("g"), &format!("{a_mod}\n"));
            let (h, e, d) = (Home::new(tmp.path(), "go").dir, env, ws2.clone());
            let go_out = blocking(move || {
                run(
                    "go",
                    &Home { dir: h },
                    &d,
                    &e,
                    &["example.com/a@v1.0.0", "example.com/b@v0.3.0"],
                )
            })
            .await;
            assert!(go_out.status.success(), "go: {}", show(&go_out));
            // Observed (go 1.26): in workspace mode `go mod download m@v` writes
            // no sum file at all. --write-sum is an explicit request, so it
            // writes go.work.sum, the file go's checks read in this mode.
            assert!(
                !ws2.join("go.work.sum").exists(),
                "go now writes go.work.sum: compare with ours:\n{work_sum}"
            );
            assert_eq!(
                std::fs::read_to_string(ws2.join("m1/go.sum")).unwrap(),
                format!("{a_mod}\n")
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn go_sum_mismatch_and_write_sum_as_go() {
        let u = universe();
        let db = in_rust_db(&honest_sums(&u), false).await;
        let proxy = u.serve(std::time::Duration::ZERO);
        let good_sum = u.go_sum();
        let a_zip = good_sum
            .lines()
            .find(|l| l.starts_with("example.com/a v1.0.0 h1:"))
            .unwrap()
            .to_owned();
        let env = Env {
            proxy: proxy.url.clone(),
            gosumdb: format!("{} {}", verifier_key(1), db.url),
            extra: vec![],
        };

        // A wrong h1 line in go.sum is fatal, with go's text.
        let tmp = tempfile::tempdir().unwrap();
        let wrong = good_sum
            .lines()
            .filter(|l| l.starts_with("example.com/a ") || l.starts_with("example.com/b "))
            .map(|l| {
                if *l == a_zip {
                    "example.com/a v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
                        .to_owned()
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n";
        let dir = module_dir(tmp.path(), Some(&wrong));
        let (ours, out, go) = both(tmp.path(), &dir, &env, &["example.com/a@v1.0.0"]).await;
        let err = &fatal_error(&out);
        let h = a_zip.split(' ').nth(2).unwrap();
        assert_eq!(
            err,
            &format!(
                "verifying example.com/a@v1.0.0: checksum mismatch\n\tdownloaded: {h}\n\tgo.sum:     h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\nSECURITY ERROR\nThis download does NOT match an earlier download recorded in go.sum.\nThe bits may have been replaced on the origin server, or an attacker may\nhave intercepted the download attempt.\n\nFor more information, see 'go help module-auth'.\n"
            )
        );
        assert!(!ours.has_zip("example.com/a", "v1.0.0"));
        // Listed modules need no database lookup.
        assert!(db.requests().is_empty(), "{:?}", db.requests());
        assert_eq!(
            std::fs::read_to_string(dir.join("go.sum")).unwrap(),
            wrong,
            "go.sum rewritten"
        );
        if let Some((_, go_out)) = go {
            let text = String::from_utf8_lossy(&go_out.stderr);
            assert!(!go_out.status.success());
            assert!(text.contains(err.as_str()), "go: {}", show(&go_out));
        }

        // --write-sum adds the missing lines in go's order; without it go.sum is untouched.
        let tmp = tempfile::tempdir().unwrap();
        let dir = module_dir(tmp.path(), Some(""));
        let args = ["example.com/b@v0.3.0", "example.com/a@v1.0.0"];
        let (h, e, d) = (Home::new(tmp.path(), "plain").dir, env.clone(), dir.clone());
        let out = blocking(move || run("ours", &Home { dir: h }, &d, &e, &args)).await;
        assert!(out.status.success(), "{}", show(&out));
        assert_eq!(std::fs::read_to_string(dir.join("go.sum")).unwrap(), "");
        let (h, e, d) = (Home::new(tmp.path(), "ours").dir, env.clone(), dir.clone());
        let out = blocking(move || {
            run(
                "ours",
                &Home { dir: h },
                &d,
                &e,
                &["--write-sum", args[0], args[1]],
            )
        })
        .await;
        assert!(out.status.success(), "{}", show(&out));
        let ours_sum = std::fs::read_to_string(dir.join("go.sum")).unwrap();
        let want: String = good_sum
            .lines()
            .filter(|l| l.starts_with("example.com/a v1.0.0") || l.starts_with("example.com/b "))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(ours_sum, want);
        if have_go() {
            let dir2 = module_dir(&tmp.path().join("g"), Some(""));
            let (h, e, d) = (Home::new(tmp.path(), "go").dir, env, dir2.clone());
            let go_out = blocking(move || run("go", &Home { dir: h }, &d, &e, &args)).await;
            assert!(go_out.status.success(), "go: {}", show(&go_out));
            assert_eq!(
                std::fs::read_to_string(dir2.join("go.sum")).unwrap(),
                ours_sum,
                "go wrote another go.sum"
            );
        }
    }
}

/// GOMODFETCH_LIVE=1: real modules verified against the checksum database
/// this machine's go environment uses (directly or through its GOPROXY);
/// the pkg/sumdb state left behind is then used by the real go command.
mod live {
    use std::process::Command;

    const MODULES: &[&str] = &[
        "golang.org/x/text@v0.14.0",
        "golang.org/x/mod@v0.17.0",
        "golang.org/x/sync@v0.7.0",
        "golang.org/x/exp@v0.0.0-20240506185415-9bf2ced13842",
        "github.com/google/uuid@v1.6.0",
        "github.com/pkg/errors@v0.9.1",
        "github.com/stretchr/testify@v1.9.0",
        "github.com/davecgh/go-spew@v1.1.1",
        "github.com/pmezard/go-difflib@v1.0.0",
        "gopkg.in/yaml.v3@v3.0.1",
        "github.com/spf13/pflag@v1.0.5",
        "github.com/spf13/cobra@v1.8.0",
        "github.com/inconshreveable/mousetrap@v1.1.0",
        "github.com/google/go-cmp@v0.6.0",
        "github.com/BurntSushi/toml@v1.3.2",
        "github.com/Masterminds/semver/v3@v3.2.1",
        "github.com/cespare/xxhash/v2@v2.3.0",
        "github.com/mattn/go-isatty@v0.0.20",
        "go.uber.org/multierr@v1.11.0",
        "github.com/gorilla/mux@v1.8.1",
        "github.com/russross/blackfriday/v2@v2.1.0",
    ];

    #[expect(
        clippy::disallowed_methods,
        reason = "test-only switches and PATH for the tools"
    )]
    fn var(k: &str) -> Option<std::ffi::OsString> {
        std::env::var_os(k)
    }

    fn go_env(k: &str) -> String {
        let out = Command::new("go")
            .args(["env", k])
            .output()
            .expect("go env");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    #[test]
    fn live_real_modules_verify_and_go_accepts_our_state() {
        if var("GOMODFETCH_LIVE").is_none_or(|v| v != "1") {
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let gopath = tmp.path().join("gopath");
        let env: Vec<(&str, String)> = [
            "GOPROXY",
            "GOSUMDB",
            "GONOSUMDB",
            "GOPRIVATE",
            "GONOPROXY",
            "GOINSECURE",
        ]
        .iter()
        .map(|k| (*k, go_env(k)))
        .collect();
        let tool = |bin: &str, args: &[&str], cache: &str| {
            let mut c = Command::new(bin);
            c.args(args)
                .args(MODULES)
                .current_dir(tmp.path())
                .env_clear()
                .env("PATH", var("PATH").unwrap_or_default())
                .env("HOME", tmp.path())
                .env("GOPATH", &gopath)
                .env("GOMODCACHE", tmp.path().join(cache))
                .env("GOCACHE", tmp.path().join("gocache"))
                .env("GOFLAGS", "-modcacherw")
                .env("GOTOOLCHAIN", "local")
                .env("GOENV", "off");
            for (k, v) in &env {
                c.env(k, v);
            }
            for k in [
                "SSL_CERT_FILE",
                "SSL_CERT_DIR",
                "HTTPS_PROXY",
                "https_proxy",
                "HTTP_PROXY",
                "http_proxy",
                "NO_PROXY",
                "no_proxy",
            ] {
                if let Some(v) = var(k) {
                    c.env(k, v);
                }
            }
            c.output().expect("run")
        };
        let out = tool(
            env!("CARGO_BIN_EXE_gomodfetch"),
            &["download", "--json"],
            "ours-cache",
        );
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let sumdb_dir = gopath.join("pkg/sumdb");
        let names: Vec<_> = std::fs::read_dir(&sumdb_dir)
            .expect("pkg/sumdb written")
            .flatten()
            .collect();
        assert!(!names.is_empty());
        // go, with a fresh module cache, continues from our latest tree head.
        let out = tool("go", &["mod", "download", "-json"], "go-cache");
        assert!(
            out.status.success(),
            "go: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(MODULES.len() >= 20);
    }
}

/// The route to the database (`initBase`): each GOPROXY entry's
/// `sumdb/<name>/supported`, falling through on 404, on any error only
/// after `|`; an explicit GOSUMDB URL bypasses proxies.
mod route {
    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::response::Response;
    use gomodfetch::net::client::{Client as HttpClient, ClientOptions};
    use gomodfetch::net::retry::RetryPolicy;
    use gomodfetch::sumdb::client::Client;
    use gomodfetch::sumdb::config::SumdbConfig;
    use gomodfetch::sumdb::ops::HttpOps;

    use super::{NAME, signer_key, sums, verifier_key};
    use crate::support::sumdb_server::{SumdbLog, SumdbServer};

    async fn failing_server(status: u16) -> String {
        let app = axum::Router::new().fallback(move || async move {
            Response::builder()
                .status(StatusCode::from_u16(status).unwrap())
                .body(Body::from("nope\n"))
                .unwrap()
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        url
    }

    fn ops(goproxy: &str, url: Option<String>) -> HttpOps {
        ops_in(goproxy, url, None)
    }

    fn ops_in(goproxy: &str, url: Option<String>, gopath: Option<&std::path::Path>) -> HttpOps {
        let client = HttpClient::new(ClientOptions {
            retry: RetryPolicy {
                sleep: false,
                ..RetryPolicy::default()
            },
            ..ClientOptions::default()
        })
        .unwrap();
        let config = SumdbConfig {
            name: NAME.to_owned(),
            key: verifier_key(1),
            url,
        };
        HttpOps::new(client, config, goproxy, "", None, gopath)
    }

    #[tokio::test]
    async fn route_walk_as_go() {
        let mut log = SumdbLog::new(&signer_key(1));
        log.add_sums(&sums(3));
        let mounted = SumdbServer::start(log.clone(), Some(NAME)).await;
        let plain = SumdbServer::start(log, None).await; // 404 for .../supported
        let broken = failing_server(500).await;
        let gone = failing_server(410).await;
        let via = format!("{}/sumdb/{NAME}", mounted.url);

        let cases: Vec<(String, Result<String, &str>)> = vec![
            (format!("{},{}", plain.url, mounted.url), Ok(via.clone())),
            (format!("{gone},{}/", mounted.url), Ok(via.clone())),
            (format!("{broken}|{}", mounted.url), Ok(via.clone())),
            (
                format!("{broken},{}", mounted.url),
                Err("500 Internal Server Error"),
            ),
            (
                format!("{},direct", plain.url),
                Ok(format!("https://{NAME}/")),
            ),
            (format!("{broken}|off"), Err("500 Internal Server Error")),
            ("off".to_owned(), Ok(format!("https://{NAME}/"))),
        ];
        for (goproxy, want) in cases {
            let got = ops(&goproxy, None)
                .base()
                .await
                .map(|u| u.to_string())
                .map_err(|e| e.to_string());
            match (&want, &got) {
                (Ok(w), Ok(g)) => assert_eq!(
                    g.trim_end_matches('/'),
                    w.trim_end_matches('/'),
                    "GOPROXY={goproxy}"
                ),
                (Err(w), Err(g)) => assert!(g.contains(w), "GOPROXY={goproxy}: {g}"),
                _ => panic!("GOPROXY={goproxy}: want {want:?}, got {got:?}"),
            }
        }
        // An explicit URL is used as is, whatever GOPROXY says.
        let tmp = tempfile::tempdir().unwrap();
        let seen = plain.requests().len();
        let explicit = ops_in(&broken, Some(plain.url.clone()), Some(tmp.path()));
        assert_eq!(
            explicit
                .base()
                .await
                .unwrap()
                .as_str()
                .trim_end_matches('/'),
            plain.url
        );
        let c = Client::new(explicit);
        c.lookup("example.com/m0", "v1.0.0").await.unwrap();
        let after = plain.requests()[seen..].to_vec();
        assert!(
            after
                .iter()
                .all(|r| r.starts_with("/lookup/") || r.starts_with("/tile/")),
            "{after:?}"
        );
        assert!(
            tmp.path()
                .join(format!("pkg/sumdb/{NAME}/latest"))
                .is_file()
        );
        // Without GOPATH there is nowhere to keep the tree head (go says the same).
        let err = Client::new(ops(&broken, Some(plain.url.clone())))
            .lookup("example.com/m0", "v1.0.0")
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("could not locate sumdb file: missing $GOPATH"),
            "{err}"
        );
    }
}
