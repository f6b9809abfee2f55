//! A loopback GOPROXY serving modules built at test time, with a request
//! log and fault injection. Reusable by every test that needs a proxy.
//!
//! Modules come from txtar fixtures (`testdata/mod/*.txt`, Go's
//! cmd/go/testdata/mod convention): the comment's first line is
//! `<path>@<version>`; section `.mod` is the go.mod served (default: the
//! `go.mod` file, else `module <path>\n`), `.info` the info JSON (default
//! `{"Version":v,"Time":"2023-01-01T00:00:00Z"}`); every other section is a
//! file of the module zip (`<path>@<version>/<name>`, deflated, no directory
//! entries), built with the `zip` crate when the proxy starts.
//!
//! ```ignore
//! let proxy = ModProxy::start(Fixtures::load_dir("testdata/mod"));
//! proxy.set_fault(|req| (req.path.ends_with(".zip")).then(|| Fault::Status(500)));
//! let url = proxy.url(); // http://127.0.0.1:PORT
//! proxy.requests();      // ["/example.com/m/@v/v1.0.0.info", ...]
//! ```

#![allow(dead_code, reason = "each test uses a part")]

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, Uri};

/// One module version's served content.
#[derive(Debug, Clone)]
pub struct ModuleVersion {
    pub path: String,
    pub version: String,
    pub info: Vec<u8>,
    pub go_mod: Vec<u8>,
    pub zip: Vec<u8>,
}

/// All modules a proxy serves, by path then version.
#[derive(Debug, Clone, Default)]
pub struct Fixtures {
    pub modules: BTreeMap<String, BTreeMap<String, ModuleVersion>>,
    /// Per-path `@v/list` override (raw body).
    pub lists: BTreeMap<String, String>,
    /// Per-path `@latest` body.
    pub latest: BTreeMap<String, String>,
}

/// Parses a txtar archive into (comment, [(name, data)]).
pub fn parse_txtar(text: &str) -> (String, Vec<(String, String)>) {
    let mut comment = String::new();
    let mut files: Vec<(String, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_end_matches('\n');
        if let Some(name) = trimmed
            .strip_prefix("-- ")
            .and_then(|r| r.strip_suffix(" --"))
        {
            files.push((name.to_string(), String::new()));
        } else if let Some((_, data)) = files.last_mut() {
            data.push_str(line);
        } else {
            comment.push_str(line);
        }
    }
    (comment, files)
}

/// Builds a module zip the way Go's `modzip.Create` lays it out.
pub fn build_zip(path: &str, version: &str, files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut cursor = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut cursor);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in files {
            zip.start_file(format!("{path}@{version}/{name}"), options)
                .unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap();
    }
    cursor.into_inner()
}

impl Fixtures {
    /// Loads every `*.txt` in `dir`.
    pub fn load_dir(dir: &Path) -> Self {
        let mut f = Self::default();
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
            .collect();
        entries.sort();
        for p in entries {
            f.add_txtar(&std::fs::read_to_string(&p).unwrap());
        }
        f
    }

    /// The repository's fixtures (`testdata/mod`).
    pub fn standard() -> Self {
        Self::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/mod"))
    }

    /// Adds one txtar module.
    pub fn add_txtar(&mut self, text: &str) {
        let (comment, files) = parse_txtar(text);
        let first = comment.lines().next().unwrap_or("").trim();
        let (path, version) = first.split_once('@').expect("comment line path@version");
        let mut info = None;
        let mut go_mod = None;
        let mut zip_files = Vec::new();
        for (name, data) in files {
            match name.as_str() {
                ".info" => info = Some(data.into_bytes()),
                ".mod" => go_mod = Some(data.into_bytes()),
                _ => {
                    if name == "go.mod" && go_mod.is_none() {
                        go_mod = Some(data.clone().into_bytes());
                    }
                    zip_files.push((name, data.into_bytes()));
                }
            }
        }
        self.add(path, version, info, go_mod, zip_files);
    }

    /// Adds one module version from parts (defaults as in the module doc).
    pub fn add(
        &mut self,
        path: &str,
        version: &str,
        info: Option<Vec<u8>>,
        go_mod: Option<Vec<u8>>,
        files: Vec<(String, Vec<u8>)>,
    ) {
        let info = info.unwrap_or_else(|| {
            format!(r#"{{"Version":"{version}","Time":"2023-01-01T00:00:00Z"}}"#).into_bytes()
        });
        let go_mod = go_mod.unwrap_or_else(|| format!("module {path}\n").into_bytes());
        let zip = build_zip(path, version, &files);
        self.modules.entry(path.to_string()).or_default().insert(
            version.to_string(),
            ModuleVersion {
                path: path.to_string(),
                version: version.to_string(),
                info,
                go_mod,
                zip,
            },
        );
    }

    /// A simple module `path@version` with a go.mod and one Go file.
    pub fn add_simple(&mut self, path: &str, version: &str) {
        let go_mod = format!("module {path}\n\ngo 1.20\n").into_bytes();
        let pkg = path
            .rsplit('/')
            .next()
            .unwrap_or("m")
            .replace(['.', '-'], "_");
        self.add(
            path,
            version,
            None,
            Some(go_mod.clone()),
            vec![
                ("go.mod".into(), go_mod),
                (
                    "m.go".into(),
                    format!("package {pkg}\n\nconst V = \"{version}\"\n").into_bytes(),
                ),
            ],
        );
    }
}

/// One request as the proxy saw it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The path as sent (still percent-encoded).
    pub raw_path: String,
    /// The decoded path (`/example.com/!upper/@v/v1.0.0.info`).
    pub path: String,
    /// Arrival number, from 1.
    pub n: u64,
    /// The `Authorization` header sent, if any.
    pub authorization: Option<String>,
}

/// What to do instead of the normal answer.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status and an empty body.
    Status(u16),
    /// Status with a `text/plain` body.
    StatusText(u16, String),
    /// `429` with `Retry-After: <secs>`.
    TooMany(u64),
    /// Send the first `n` bytes of the real body, then break the connection.
    Truncate(usize),
    /// Send the head and the first `n` bytes of the real body (announced
    /// at full length), let them reach the client, then break the
    /// connection: a body cut short mid-way.
    Cut(usize),
    /// Reset: no response at all (connection closed).
    Reset,
    /// Wait, then answer normally.
    Slow(Duration),
    /// 200 with this body instead.
    Body(Vec<u8>),
    /// 302 to this location (as given, may be relative).
    Redirect(String),
    /// 302 to this path on the proxy itself, as an absolute URL.
    RedirectAbs(String),
    /// 200 with a body of this many zero bytes, generated as it is sent
    /// (chunked, no Content-Length; never held in memory).
    Stream(u64),
}

type FaultFn = dyn Fn(&Request) -> Option<Fault> + Send + Sync;

struct State {
    fixtures: Mutex<Fixtures>,
    log: Mutex<Vec<Request>>,
    fault: Mutex<Option<Arc<FaultFn>>>,
    latency: Mutex<Duration>,
    base: Mutex<String>,
}

/// A running loopback proxy (stops with the test process).
pub struct ModProxy {
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl ModProxy {
    /// Starts serving `fixtures` on 127.0.0.1:0 in its own thread.
    pub fn start(fixtures: Fixtures) -> Self {
        let state = Arc::new(State {
            fixtures: Mutex::new(fixtures),
            log: Mutex::default(),
            fault: Mutex::default(),
            latency: Mutex::default(),
            base: Mutex::default(),
        });
        let (tx, rx) = std::sync::mpsc::channel();
        let server_state = state.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
                    let state = server_state.clone();
                    async move { handle(&state, &uri, &headers).await }
                });
                axum::serve(listener, app).await.unwrap();
            });
        });
        let addr = rx.recv().unwrap();
        *state.base.lock().unwrap() = format!("http://{addr}");
        Self { addr, state }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Decoded paths of all requests so far, in arrival order.
    pub fn requests(&self) -> Vec<String> {
        self.state
            .log
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.path.clone())
            .collect()
    }

    /// Raw (percent-encoded) request paths.
    pub fn raw_requests(&self) -> Vec<String> {
        self.state
            .log
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.raw_path.clone())
            .collect()
    }

    /// Every request so far, in arrival order.
    pub fn log(&self) -> Vec<Request> {
        self.state.log.lock().unwrap().clone()
    }

    pub fn clear_log(&self) {
        self.state.log.lock().unwrap().clear();
    }

    /// Installs a fault hook consulted for every request.
    pub fn set_fault(&self, f: impl Fn(&Request) -> Option<Fault> + Send + Sync + 'static) {
        *self.state.fault.lock().unwrap() = Some(Arc::new(f));
    }

    pub fn clear_fault(&self) {
        *self.state.fault.lock().unwrap() = None;
    }

    /// Adds latency to every answer.
    pub fn set_latency(&self, d: Duration) {
        *self.state.latency.lock().unwrap() = d;
    }

    /// Edits the served modules.
    pub fn with_fixtures(&self, f: impl FnOnce(&mut Fixtures)) {
        f(&mut self.state.fixtures.lock().unwrap());
    }
}

fn unescape(s: &str) -> Option<String> {
    gomodfetch::module::path::unescape_path(s).ok()
}

fn status(code: u16, body: impl Into<Body>) -> Response<Body> {
    let mut r = Response::new(body.into());
    *r.status_mut() = StatusCode::from_u16(code).unwrap();
    r
}

fn not_found() -> Response<Body> {
    let mut r = status(404, "not found\n");
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn ok(data: Vec<u8>) -> Response<Body> {
    status(200, data)
}

/// The normal answer for a decoded request path.
fn answer(fixtures: &Fixtures, path: &str) -> Option<Vec<u8>> {
    let path = path.strip_prefix('/')?;
    if let Some(module) = path.strip_suffix("/@latest") {
        let module = unescape(module)?;
        return fixtures.latest.get(&module).map(|s| s.clone().into_bytes());
    }
    let (module, file) = path.split_once("/@v/")?;
    let module = unescape(module)?;
    if file == "list" {
        if let Some(list) = fixtures.lists.get(&module) {
            return Some(list.clone().into_bytes());
        }
        let versions = fixtures.modules.get(&module)?;
        let mut out = String::new();
        for v in versions.keys() {
            out.push_str(v);
            out.push('\n');
        }
        return Some(out.into_bytes());
    }
    let (version, ext) = file.rsplit_once('.')?;
    let version = gomodfetch::module::path::unescape_version(version).ok()?;
    let mv = fixtures.modules.get(&module)?.get(&version)?;
    match ext {
        "info" => Some(mv.info.clone()),
        "mod" => Some(mv.go_mod.clone()),
        "zip" => Some(mv.zip.clone()),
        _ => None,
    }
}

async fn handle(state: &State, uri: &Uri, headers: &HeaderMap) -> Response<Body> {
    let raw_path = uri.path().to_string();
    let path = percent_encoding::percent_decode_str(&raw_path)
        .decode_utf8_lossy()
        .into_owned();
    let request = {
        let mut log = state.log.lock().unwrap();
        let n = log.len() as u64 + 1;
        let r = Request {
            raw_path,
            path: path.clone(),
            n,
            authorization: headers
                .get("authorization")
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        };
        log.push(r.clone());
        r
    };
    let latency = *state.latency.lock().unwrap();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let fault = state
        .fault
        .lock()
        .unwrap()
        .clone()
        .and_then(|f| f(&request));
    let body = answer(&state.fixtures.lock().unwrap(), &path);
    match fault {
        None => {}
        Some(Fault::Status(code)) => return status(code, ""),
        Some(Fault::StatusText(code, text)) => {
            let mut r = status(code, text);
            r.headers_mut()
                .insert("content-type", HeaderValue::from_static("text/plain"));
            return r;
        }
        Some(Fault::TooMany(secs)) => {
            let mut r = status(429, "");
            r.headers_mut().insert(
                "retry-after",
                HeaderValue::from_str(&secs.to_string()).unwrap(),
            );
            return r;
        }
        Some(Fault::Body(data)) => return ok(data),
        Some(Fault::Redirect(loc)) => {
            let mut r = status(302, "");
            r.headers_mut()
                .insert("location", HeaderValue::from_str(&loc).unwrap());
            return r;
        }
        Some(Fault::RedirectAbs(path)) => {
            let loc = format!("{}{path}", state.base.lock().unwrap());
            let mut r = status(302, "");
            r.headers_mut()
                .insert("location", HeaderValue::from_str(&loc).unwrap());
            return r;
        }
        Some(Fault::Stream(len)) => {
            let chunk = bytes::Bytes::from(vec![0u8; 1 << 20]);
            let stream = futures_util::stream::unfold(len, move |left| {
                let chunk = chunk.clone();
                async move {
                    if left == 0 {
                        return None;
                    }
                    let n = left.min(chunk.len() as u64);
                    Some((
                        Ok::<bytes::Bytes, std::io::Error>(chunk.slice(..n as usize)),
                        left - n,
                    ))
                }
            });
            return status(200, Body::from_stream(stream));
        }
        Some(Fault::Slow(d)) => tokio::time::sleep(d).await,
        Some(Fault::Reset) => {
            let stream = futures_util::stream::once(async {
                Err::<bytes::Bytes, std::io::Error>(std::io::Error::other("reset"))
            });
            return status(200, Body::from_stream(stream));
        }
        Some(Fault::Cut(n)) => {
            let Some(data) = body else { return not_found() };
            let len = data.len();
            let head = bytes::Bytes::from(data[..n.min(len)].to_vec());
            let stream = futures_util::StreamExt::chain(
                futures_util::stream::iter(vec![Ok::<_, std::io::Error>(head)]),
                futures_util::stream::once(async {
                    // Pending for a while: hyper flushes what it holds.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Err::<bytes::Bytes, std::io::Error>(std::io::Error::other("cut"))
                }),
            );
            let mut r = status(200, Body::from_stream(stream));
            r.headers_mut().insert(
                "content-length",
                HeaderValue::from_str(&len.to_string()).unwrap(),
            );
            return r;
        }
        Some(Fault::Truncate(n)) => {
            let Some(data) = body else { return not_found() };
            let len = data.len();
            let head = bytes::Bytes::from(data[..n.min(len)].to_vec());
            let stream = futures_util::stream::iter(vec![
                Ok::<bytes::Bytes, std::io::Error>(head),
                Err(std::io::Error::other("truncated")),
            ]);
            let mut r = status(200, Body::from_stream(stream));
            r.headers_mut().insert(
                "content-length",
                HeaderValue::from_str(&len.to_string()).unwrap(),
            );
            return r;
        }
    }
    match body {
        Some(data) => ok(data),
        None => not_found(),
    }
}
