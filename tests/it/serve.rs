//! `gomodfetch serve`: the real binary serving a tree on 127.0.0.1:0, probed
//! with an HTTP client: content types, 404s, HEAD, conditional requests,
//! path traversal and symlinks out of the tree, HTTP/2 over TLS, many
//! concurrent clients, and the access log.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use base64::Engine;

use crate::support::tls::{Case, Pki};

/// A running `gomodfetch serve`; killed on drop.
pub struct Served {
    child: Child,
    /// `http://127.0.0.1:PORT` or `https://...`.
    pub url: String,
    /// stderr lines so far (startup line and access log).
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// Starts `gomodfetch serve dir --listen 127.0.0.1:0 extra...` and waits
    /// for its startup line.
    pub fn start(dir: &Path, extra: &[&str]) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gomodfetch"))
            .arg("serve")
            .arg(dir)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn gomodfetch serve");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.split(" at ").nth(1)
                    && line.starts_with("Serving")
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(url.trim().to_owned());
                }
                sink.lock().unwrap().push(line);
            }
        });
        let url = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("serve did not start: {:?}", log.lock().unwrap()));
        Served { child, url, log }
    }

    /// The access-log lines so far.
    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

fn write(path: &Path, data: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
}

/// A small tree: one module version, a list, a sumdb tile, a big zip, plus
/// a secret outside the tree and a symlink pointing at it.
fn tree() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("mirror");
    let v = root.join("example.com/!upper/@v");
    write(&v.join("list"), b"v1.0.0\n");
    write(
        &v.join("v1.0.0.info"),
        br#"{"Version":"v1.0.0","Time":"2024-01-02T03:04:05Z"}"#,
    );
    write(&v.join("v1.0.0.mod"), b"module example.com/Upper\n");
    let big: Vec<u8> = (0..(1 << 20)).map(|i| (i * 7 % 251) as u8).collect();
    write(&v.join("v1.0.0.zip"), &big);
    write(&v.join(".v1.0.0.zip.123.tmp"), b"half");
    write(&root.join("sumdb/db.test/tile/8/0/000.p/1"), &[7u8; 32]);
    write(&root.join("sumdb/db.test/supported"), b"");
    write(&tmp.path().join("secret"), b"secret");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(tmp.path().join("secret"), root.join("escape")).unwrap();
        std::os::unix::fs::symlink(tmp.path(), root.join("updir")).unwrap();
        std::os::unix::fs::symlink(v.join("v1.0.0.mod"), root.join("inside")).unwrap();
    }
    (tmp, root)
}

/// A plain-HTTP client (reqwest needs a TLS config even for http).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .use_preconfigured_tls(gomodfetch::net::tls::insecure_client_config().unwrap())
        .no_proxy()
        .build()
        .unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn serves_tree_as_goproxy() {
    let (_tmp, root) = tree();
    let served = Served::start(&root, &[]);
    let base = served.url.clone();
    let client = http_client();
    runtime().block_on(async {
        let get = |p: &str| client.get(format!("{base}{p}")).send();
        // Go sends `!` percent-encoded.
        let r = get("/example.com/%21upper/@v/v1.0.0.info").await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/json");
        let etag = r.headers()["etag"].to_str().unwrap().to_owned();
        let last_modified = r.headers()["last-modified"].to_str().unwrap().to_owned();
        assert_eq!(
            r.bytes().await.unwrap().as_ref(),
            br#"{"Version":"v1.0.0","Time":"2024-01-02T03:04:05Z"}"#
        );
        let r = get("/example.com/!upper/@v/v1.0.0.mod").await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");
        let r = get("/example.com/!upper/@v/list").await.unwrap();
        assert_eq!(r.text().await.unwrap(), "v1.0.0\n");
        let r = get("/sumdb/db.test/tile/8/0/000.p/1").await.unwrap();
        assert_eq!(r.headers()["content-type"], "application/octet-stream");
        assert_eq!(r.bytes().await.unwrap().len(), 32);
        let r = get("/sumdb/db.test/supported").await.unwrap();
        assert_eq!(r.status(), 200);

        // HEAD: headers, no body.
        let r = client
            .head(format!("{base}/example.com/!upper/@v/v1.0.0.zip"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/zip");
        assert_eq!(
            r.headers()["content-length"],
            (1u64 << 20).to_string().as_str()
        );
        assert!(r.bytes().await.unwrap().is_empty());

        // Conditional requests.
        let r = client
            .get(format!("{base}/example.com/!upper/@v/v1.0.0.info"))
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 304);
        let r = client
            .get(format!("{base}/example.com/!upper/@v/v1.0.0.info"))
            .header("If-Modified-Since", &last_modified)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 304);
        let r = client
            .get(format!("{base}/example.com/!upper/@v/v1.0.0.info"))
            .header("If-None-Match", "\"stale\"")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);

        // 404s: unknown module (so `,` falls through), directories, temp
        // files, traversal, symlinks out of the tree; other methods 405.
        for p in [
            "/example.com/other/@v/list",
            "/example.com/!upper/@v",
            "/example.com/!upper/@v/.v1.0.0.zip.123.tmp",
            "/example.com/../../secret",
            "/example.com/%2e%2e/%2e%2e/secret",
            "/..%2fsecret",
            "/escape",
            "/updir/secret",
            "/",
        ] {
            let r = get(p).await.unwrap();
            assert_eq!(r.status(), 404, "{p}");
            assert!(!r.text().await.unwrap().contains("secret"), "{p}");
        }
        if cfg!(unix) {
            let r = get("/inside").await.unwrap();
            assert_eq!(r.status(), 200, "a symlink inside the tree is served");
        }
        let r = client
            .post(format!("{base}/example.com/!upper/@v/list"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405);
    });
    // The access log names requests and statuses.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let lines = served.log_lines();
        let seen = lines
            .iter()
            .any(|l| l.contains("\"GET /example.com/%21upper/@v/v1.0.0.info HTTP/1.1\" 200"))
            && lines
                .iter()
                .any(|l| l.contains("\"GET /escape HTTP/1.1\" 404"));
        if seen {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "access log lacks requests: {lines:#?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Sends one raw HTTP/1.1 request (clients normalise `..` away, an
/// attacker does not) and returns the status line and body.
fn raw_get(base: &str, target: &str) -> String {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = stream.read_to_string(&mut out);
    out
}

#[test]
fn never_serves_outside_the_tree() {
    let (_tmp, root) = tree();
    let served = Served::start(&root, &[]);
    for target in [
        "/../secret",
        "/example.com/../../secret",
        "/%2e%2e/secret",
        "/..%2fsecret",
        "/example.com/%2E%2E%2F%2E%2E%2Fsecret",
        "/escape",
        "/updir/secret",
        "//secret",
    ] {
        let reply = raw_get(&served.url, target);
        assert!(reply.starts_with("HTTP/1.1 404"), "{target}: {reply}");
        assert!(!reply.contains("\r\n\r\nsecret"), "{target}: {reply}");
    }
    // The same server does answer a good raw request.
    let reply = raw_get(&served.url, "/example.com/!upper/@v/list");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.ends_with("\r\n\r\nv1.0.0\n"), "{reply}");
}

#[test]
fn many_concurrent_clients() {
    let (_tmp, root) = tree();
    let want = std::fs::read(root.join("example.com/!upper/@v/v1.0.0.zip")).unwrap();
    let served = Served::start(&root, &[]);
    let url = format!("{}/example.com/!upper/@v/v1.0.0.zip", served.url);
    runtime().block_on(async {
        let mut tasks = Vec::new();
        // 200 independent clients (one connection each), all at once.
        for _ in 0..200 {
            let url = url.clone();
            tasks.push(tokio::spawn(async move {
                let client = http_client();
                let r = client.get(&url).send().await.unwrap();
                assert_eq!(r.status(), 200);
                r.bytes().await.unwrap()
            }));
        }
        for t in tasks {
            assert!(t.await.unwrap().as_ref() == want.as_slice());
        }
    });
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut s = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).unwrap());
        s.push('\n');
    }
    s.push_str(&format!("-----END {label}-----\n"));
    s
}

#[test]
fn http2_over_tls() {
    let (tmp, root) = tree();
    let pki = Pki::new();
    let (chain, key) = pki.chain(&Case::Good);
    let cert_file = tmp.path().join("cert.pem");
    let key_file = tmp.path().join("key.pem");
    let chain_pem: String = chain.iter().map(|c| pem("CERTIFICATE", c)).collect();
    std::fs::write(&cert_file, chain_pem).unwrap();
    std::fs::write(&key_file, pem("PRIVATE KEY", key.secret_pkcs8_der())).unwrap();
    let served = Served::start(
        &root,
        &[
            "--tls-cert",
            cert_file.to_str().unwrap(),
            "--tls-key",
            key_file.to_str().unwrap(),
        ],
    );
    assert!(served.url.starts_with("https://"), "{}", served.url);
    let trust = gomodfetch::net::tls::TrustOptions {
        ssl_cert_file: Some(pki.write_root(tmp.path())),
        ..Default::default()
    };
    let config = gomodfetch::net::tls::client_config(&trust).unwrap();
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(config)
        .no_proxy()
        .build()
        .unwrap();
    let url = served.url.replace("127.0.0.1", "localhost");
    runtime().block_on(async {
        let r = client
            .get(format!("{url}/example.com/!upper/@v/v1.0.0.mod"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.version(), reqwest::Version::HTTP_2);
        assert_eq!(r.text().await.unwrap(), "module example.com/Upper\n");
        let r = client
            .get(format!("{url}/example.com/other/@v/list"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    });
}

#[test]
fn missing_root_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gomodfetch"))
        .arg("serve")
        .arg(tmp.path().join("nope"))
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Cannot serve") && err.contains("nope"),
        "{err}"
    );
}
