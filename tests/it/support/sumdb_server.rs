//! An in-process checksum database on 127.0.0.1, built from x/mod's data
//! formats (sumdb/server.go + sumdb/test.go): a log of go.sum records signed
//! with a test key, answering `/lookup/<path>@<version>`, `/tile/...`
//! (hash and data tiles, partial widths) and `/latest`, optionally also
//! mounted under `/sumdb/<name>/` with `/supported` as a module proxy serves
//! it. The log can be swapped while running (fork tests) and every request
//! path is recorded.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use gomodfetch::module::path::{unescape_path, unescape_version};
use gomodfetch::sumdb::note::{self, Note, Signer};
use gomodfetch::sumdb::tlog::{self, Hash, Tile, Tree};

/// A log of go.sum records (x/mod `TestServer`), all added up front.
#[derive(Clone)]
pub struct SumdbLog {
    signer: Signer,
    records: Vec<Vec<u8>>,
    hashes: Vec<Hash>,
    lookup: HashMap<(String, String), i64>,
    /// Misbehaviour: the tree note's signature is corrupted.
    pub bad_signature: bool,
    /// Misbehaviour: every hash tile has one byte flipped.
    pub bad_tiles: bool,
}

impl SumdbLog {
    /// An empty log signed by `signer_key` (`PRIVATE+KEY+...`).
    pub fn new(signer_key: &str) -> Self {
        Self {
            signer: Signer::new(signer_key).expect("signer key"),
            records: Vec::new(),
            hashes: Vec::new(),
            lookup: HashMap::new(),
            bad_signature: false,
            bad_tiles: false,
        }
    }

    /// Adds one record for path@version.
    pub fn add(&mut self, path: &str, version: &str, text: &str) {
        let id = self.records.len() as i64;
        let hashes = tlog::stored_hashes(id, text.as_bytes(), &self.hashes).expect("stored hashes");
        self.hashes.extend(hashes);
        self.records.push(text.as_bytes().to_vec());
        self.lookup
            .insert((path.to_owned(), version.to_owned()), id);
    }

    /// Adds go.sum lines, one record per module version, in first-seen order
    /// (as the reference peer does).
    pub fn add_sums(&mut self, lines: &str) {
        let mut order: Vec<(String, String)> = Vec::new();
        let mut text: HashMap<(String, String), String> = HashMap::new();
        for line in lines.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() != 3 {
                continue;
            }
            let key = (f[0].to_owned(), f[1].trim_end_matches("/go.mod").to_owned());
            if !text.contains_key(&key) {
                order.push(key.clone());
            }
            let t = text.entry(key).or_default();
            t.push_str(line);
            t.push('\n');
        }
        for key in order {
            let t = text[&key].clone();
            self.add(&key.0, &key.1, &t);
        }
    }

    /// The current tree.
    pub fn tree(&self) -> Tree {
        let n = self.records.len() as i64;
        Tree {
            n,
            hash: tlog::tree_hash(n, &self.hashes).expect("tree hash"),
        }
    }

    /// The signed tree note.
    pub fn signed(&self) -> Vec<u8> {
        let text = String::from_utf8(tlog::format_tree(self.tree())).expect("utf8");
        let signed = note::sign(
            &Note {
                text,
                ..Note::default()
            },
            &[&self.signer],
        )
        .expect("sign");
        if !self.bad_signature {
            return signed;
        }
        // Flip one bit of the Ed25519 signature (not of the key hash).
        let signed = String::from_utf8(signed).expect("utf8");
        let (body, sig_line) = signed.trim_end().rsplit_once('\n').expect("sig line");
        let (prefix, b64) = sig_line.rsplit_once(' ').expect("sig");
        let mut raw = note::decode_base64(b64).expect("base64");
        raw[10] ^= 1;
        format!("{body}\n{prefix} {}\n", note::encode_base64(&raw)).into_bytes()
    }

    /// The verifier key of this log's signer.
    pub fn verifier_key(&self) -> String {
        self.signer.verifier().to_key_string()
    }

    /// The database name.
    pub fn name(&self) -> String {
        self.signer.name().to_owned()
    }

    fn lookup_body(&self, path: &str, version: &str) -> Option<Vec<u8>> {
        let id = *self.lookup.get(&(path.to_owned(), version.to_owned()))?;
        let mut body = tlog::format_record(id, &self.records[id as usize]).ok()?;
        body.extend(self.signed());
        Some(body)
    }

    fn tile(&self, t: &Tile) -> Option<Vec<u8>> {
        let n = self.records.len() as i64;
        if t.l == -1 {
            let start = t.n << t.h;
            let mut out = Vec::new();
            for i in start..start + t.w {
                out.extend_from_slice(self.records.get(i as usize)?);
                out.push(b'\n');
            }
            return Some(out);
        }
        let at_level = n >> (i64::from(t.l) * i64::from(t.h));
        if (t.n << t.h) + t.w > at_level {
            return None;
        }
        let mut data = tlog::read_tile_data(t, &self.hashes).ok()?;
        if self.bad_tiles {
            data[0] ^= 0x80;
        }
        Some(data)
    }
}

/// A running server.
pub struct SumdbServer {
    /// `http://127.0.0.1:PORT` (the database root).
    pub url: String,
    /// The log served; replace it to fork.
    pub log: Arc<Mutex<SumdbLog>>,
    /// Request paths, in arrival order.
    pub requests: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SumdbServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SumdbServer {
    /// Starts serving `log` at the root and, with `mount`, under
    /// `/sumdb/<mount>/` (plus `/sumdb/<mount>/supported`).
    pub async fn start(log: SumdbLog, mount: Option<&str>) -> SumdbServer {
        let log = Arc::new(Mutex::new(log));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (l2, r2, mount) = (log.clone(), requests.clone(), mount.map(str::to_owned));
        let app = Router::new().fallback(move |uri: Uri| {
            let (log, requests, mount) = (l2.clone(), r2.clone(), mount.clone());
            async move { serve(&log, &requests, mount.as_deref(), uri.path()) }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        SumdbServer {
            url,
            log,
            requests,
            task,
        }
    }

    /// Request paths seen so far.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn reply(status: StatusCode, body: Vec<u8>) -> Response {
    Response::builder()
        .status(status)
        .body(Body::from(body))
        .expect("response")
}

fn serve(
    log: &Mutex<SumdbLog>,
    requests: &Mutex<Vec<String>>,
    mount: Option<&str>,
    path: &str,
) -> Response {
    requests.lock().unwrap().push(path.to_owned());
    let mut path = path;
    if let Some(name) = mount {
        let prefix = format!("/sumdb/{name}");
        if let Some(rest) = path.strip_prefix(&prefix) {
            if rest == "/supported" {
                return reply(StatusCode::OK, Vec::new());
            }
            path = rest;
        }
    }
    let log = log.lock().unwrap();
    if path == "/latest" {
        return reply(StatusCode::OK, log.signed());
    }
    if let Some(m) = path.strip_prefix("/lookup/") {
        let Some((ep, ev)) = m.split_once('@') else {
            return reply(
                StatusCode::BAD_REQUEST,
                b"invalid module@version syntax\n".to_vec(),
            );
        };
        let (Ok(p), Ok(v)) = (unescape_path(ep), unescape_version(ev)) else {
            return reply(
                StatusCode::BAD_REQUEST,
                b"invalid module@version syntax\n".to_vec(),
            );
        };
        return match log.lookup_body(&p, &v) {
            Some(body) => reply(StatusCode::OK, body),
            None => reply(
                StatusCode::NOT_FOUND,
                format!("{p}@{v}: not found\n").into_bytes(),
            ),
        };
    }
    if let Some(t) = path
        .strip_prefix('/')
        .and_then(|p| Tile::parse_path(p).ok())
    {
        return match log.tile(&t) {
            Some(data) => reply(StatusCode::OK, data),
            None => reply(StatusCode::NOT_FOUND, b"tile not found\n".to_vec()),
        };
    }
    reply(StatusCode::NOT_FOUND, b"404 page not found\n".to_vec())
}
