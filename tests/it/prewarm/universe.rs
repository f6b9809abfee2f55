//! A universe of small Go modules built at test time, served by a loopback
//! GOPROXY (127.0.0.1:0) with optional per-request latency, plus the go.sum
//! lines for all of them (h1 computed here, as dirhash.Hash1 does).

#![allow(dead_code, reason = "each test uses a part")]

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};

/// One module version: `path@version go=1.17 req=p@v imp=p`.
#[derive(Clone, Debug)]
pub struct ModSpec {
    pub path: String,
    pub version: String,
    pub go: Option<String>,
    pub require: Vec<(String, String)>,
    /// Module paths whose package this module's package imports.
    pub import: Vec<String>,
}

impl ModSpec {
    pub fn parse(line: &str) -> ModSpec {
        let mut f = line.split_whitespace();
        let (path, version) = f
            .next()
            .and_then(|m| m.split_once('@'))
            .expect("path@version");
        let mut spec = ModSpec {
            path: path.to_string(),
            version: version.to_string(),
            go: None,
            require: Vec::new(),
            import: Vec::new(),
        };
        for item in f {
            if let Some(go) = item.strip_prefix("go=") {
                spec.go = Some(go.to_string());
            } else if let Some(r) = item.strip_prefix("req=") {
                let (p, v) = r.split_once('@').expect("req=path@version");
                spec.require.push((p.to_string(), v.to_string()));
            } else if let Some(p) = item.strip_prefix("imp=") {
                spec.import.push(p.to_string());
            } else {
                panic!("bad module spec item {item}");
            }
        }
        spec
    }
}

/// The Go package name used for module `path`.
pub fn package_name(path: &str) -> String {
    let last = path.rsplit('/').next().unwrap_or(path);
    let mut name: String = last
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'p');
    }
    name
}

/// Go source of a package importing `imports` (each must provide F()).
pub fn package_source(name: &str, imports: &[String], main: bool) -> String {
    let mut s = format!("package {name}\n\n");
    if !imports.is_empty() {
        s.push_str("import (\n");
        for (i, p) in imports.iter().enumerate() {
            s.push_str(&format!("\tm{i} \"{p}\"\n"));
        }
        s.push_str(")\n\n");
    }
    let sum: String = (0..imports.len()).map(|i| format!(" + m{i}.F()")).collect();
    if main {
        s.push_str(&format!("func main() {{ println(1{sum}) }}\n"));
    } else {
        s.push_str(&format!("func F() int {{ return 1{sum} }}\n"));
    }
    s
}

/// A go.mod for `path` with a go line and requirements.
pub fn go_mod_text(path: &str, go: Option<&str>, require: &[(String, String)]) -> String {
    let mut s = format!("module {path}\n");
    if let Some(go) = go {
        s.push_str(&format!("\ngo {go}\n"));
    }
    if !require.is_empty() {
        s.push_str("\nrequire (\n");
        for (p, v) in require {
            s.push_str(&format!("\t{p} {v}\n"));
        }
        s.push_str(")\n");
    }
    s
}

/// dirhash.Hash1 over (name, content) pairs.
pub fn hash1(files: &[(String, Vec<u8>)]) -> String {
    let mut names: Vec<&(String, Vec<u8>)> = files.iter().collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    let mut summary = String::new();
    for (name, data) in names {
        summary.push_str(&format!("{:x}  {name}\n", Sha256::digest(data)));
    }
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(summary.as_bytes()))
    )
}

/// The module universe and the proxy files it serves.
#[derive(Default, Clone)]
pub struct Universe {
    pub mods: Vec<ModSpec>,
    files: HashMap<String, Vec<u8>>,
    sums: Vec<String>,
}

impl Universe {
    pub fn new(spec: &str) -> Universe {
        let mut u = Universe::default();
        for line in spec.lines().map(str::trim).filter(|l| !l.is_empty()) {
            u.add(ModSpec::parse(line));
        }
        u.finish_lists();
        u
    }

    fn add(&mut self, m: ModSpec) {
        let gomod = go_mod_text(&m.path, m.go.as_deref(), &m.require);
        let name = package_name(&m.path);
        let src = package_source(&name, &m.import, false);
        let prefix = format!("{}@{}/", m.path, m.version);
        let entries = vec![
            (format!("{prefix}go.mod"), gomod.clone().into_bytes()),
            (format!("{prefix}{name}.go"), src.into_bytes()),
        ];
        let mut cursor = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut cursor);
            let options = zip::write::SimpleFileOptions::default();
            for (n, data) in &entries {
                zip.start_file(n.as_str(), options).unwrap();
                zip.write_all(data).unwrap();
            }
            zip.finish().unwrap();
        }
        let base = format!("/{}/@v/{}", m.path, m.version);
        self.files
            .insert(format!("{base}.mod"), gomod.clone().into_bytes());
        self.files
            .insert(format!("{base}.zip"), cursor.into_inner());
        self.files.insert(
            format!("{base}.info"),
            format!(
                r#"{{"Version":"{}","Time":"2024-01-02T03:04:05Z"}}"#,
                m.version
            )
            .into_bytes(),
        );
        self.sums
            .push(format!("{} {} {}", m.path, m.version, hash1(&entries)));
        self.sums.push(format!(
            "{} {}/go.mod {}",
            m.path,
            m.version,
            hash1(&[("go.mod".to_string(), gomod.into_bytes())])
        ));
        self.mods.push(m);
    }

    fn finish_lists(&mut self) {
        let mut lists: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for m in &self.mods {
            lists
                .entry(m.path.clone())
                .or_default()
                .push(m.version.clone());
        }
        for (path, versions) in lists {
            self.files.insert(
                format!("/{path}/@v/list"),
                (versions.join("\n") + "\n").into_bytes(),
            );
        }
    }

    /// go.sum lines for every module (zip and go.mod), sorted as Go sorts them.
    pub fn go_sum(&self) -> String {
        let mut lines = self.sums.clone();
        lines.sort();
        lines.join("\n") + "\n"
    }

    /// The `.mod` bytes the proxy serves for `path@version`.
    pub fn go_mod(&self, path: &str, version: &str) -> Option<Vec<u8>> {
        self.files
            .get(&format!("/{path}/@v/{version}.mod"))
            .cloned()
    }

    /// Replaces the `.zip` the proxy serves for `path@version` (for go.sum mismatches).
    pub fn corrupt_zip(&mut self, path: &str, version: &str) {
        let key = format!("/{path}/@v/{version}.zip");
        let spec = self
            .mods
            .iter()
            .find(|m| m.path == path && m.version == version)
            .cloned()
            .expect("module in universe");
        let prefix = format!("{path}@{version}/");
        let mut cursor = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut cursor);
            let options = zip::write::SimpleFileOptions::default();
            zip.start_file(format!("{prefix}go.mod"), options).unwrap();
            zip.write_all(go_mod_text(path, spec.go.as_deref(), &spec.require).as_bytes())
                .unwrap();
            zip.start_file(format!("{prefix}evil.go"), options).unwrap();
            zip.write_all(b"package evil\n").unwrap();
            zip.finish().unwrap();
        }
        self.files.insert(key, cursor.into_inner());
    }

    /// Stops serving `path@version`'s `.{ext}` (`info`, `mod`, `zip`): 404.
    pub fn remove(&mut self, path: &str, version: &str, ext: &str) {
        self.files.remove(&format!("/{path}/@v/{version}.{ext}"));
    }

    /// Serves the universe on 127.0.0.1:0 (own thread and runtime).
    pub fn serve(&self, latency: Duration) -> Proxy {
        self.serve_gated(latency, Vec::new())
    }

    /// [`Universe::serve`], holding the answer to each request path `hold`
    /// of `gates` (`(hold, until)`) until `until` has been requested (and
    /// 200 ms more, so that its answer is likely consumed), or 20 s passed.
    pub fn serve_gated(&self, latency: Duration, gates: Vec<(String, String)>) -> Proxy {
        let gates = Arc::new(gates);
        let files = Arc::new(self.files.clone());
        let count = Arc::new(AtomicU64::new(0));
        let paths = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let server_count = count.clone();
        let server_paths = paths.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let app = axum::Router::new().fallback(move |uri: Uri| {
                    let files = files.clone();
                    let count = server_count.clone();
                    let paths = server_paths.clone();
                    let gates = gates.clone();
                    async move {
                        count.fetch_add(1, Ordering::SeqCst);
                        paths.lock().unwrap().push(uri.path().to_string());
                        for (hold, until) in gates.iter() {
                            if uri.path() != hold {
                                continue;
                            }
                            for _ in 0..200 {
                                if paths.lock().unwrap().iter().any(|p| p == until) {
                                    tokio::time::sleep(Duration::from_millis(200)).await;
                                    break;
                                }
                                tokio::time::sleep(Duration::from_millis(100)).await;
                            }
                        }
                        if !latency.is_zero() {
                            tokio::time::sleep(latency).await;
                        }
                        let (status, body) = match files.get(uri.path()) {
                            Some(b) => (StatusCode::OK, b.clone()),
                            None => (StatusCode::NOT_FOUND, b"not found\n".to_vec()),
                        };
                        Response::builder()
                            .status(status)
                            .body(Body::from(body))
                            .unwrap()
                    }
                });
                axum::serve(listener, app).await.unwrap();
            });
        });
        let addr = rx.recv().unwrap();
        Proxy {
            url: format!("http://{addr}"),
            count,
            paths,
        }
    }
}

/// A running loopback proxy.
pub struct Proxy {
    pub url: String,
    count: Arc<AtomicU64>,
    paths: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Proxy {
    pub fn requests(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Request paths, in arrival order (the request log).
    pub fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }
}
