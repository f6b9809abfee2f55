//! A read-only GOPROXY over a mirror tree (`gomodfetch serve`): maps request
//! paths to files under one root, streams them, and answers what the go
//! command and common proxies expect (spec/fetch-protocol.md §7, §5.2;
//! integrity.md §5.2):
//!
//! - 404 for anything that is not a regular file in the tree, so that a
//!   GOPROXY list with `,` falls through to the next entry;
//! - content types as the public proxy and checksum database send them
//!   (`.info`/`@latest` JSON, `.mod`/`list`/lookups/`latest` text, `.zip`
//!   zip, tiles octet-stream);
//! - `GET` and `HEAD`; `ETag` + `Last-Modified` with `If-None-Match` /
//!   `If-Modified-Since` answered by 304;
//! - never a byte from outside the root: percent-decoded segments are
//!   checked (no `..`, no dot-files, which are also the mirror's temp
//!   files), and the resolved path (symlinks followed) must stay under the
//!   canonical root;
//! - bodies are streamed from the open file in 64 KiB chunks, never read
//!   whole, so one process holds many concurrent clients.
//!
//! Connection handling (HTTP/1.1 and HTTP/2, TLS with ALPN) lives in
//! [`serve_listener`]; the access log is a callback, the library never prints.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use percent_encoding::percent_decode_str;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// One line of the access log.
#[derive(Debug, Clone)]
pub struct AccessRecord {
    /// The peer address.
    pub peer: std::net::SocketAddr,
    /// Request method.
    pub method: String,
    /// Request path and query, as received.
    pub target: String,
    /// HTTP version (`HTTP/1.1`, `HTTP/2.0`).
    pub version: String,
    /// Response status.
    pub status: u16,
    /// Body bytes promised (Content-Length), 0 for HEAD/304/errors.
    pub bytes: u64,
    /// Time to produce the response head.
    pub elapsed: Duration,
}

impl std::fmt::Display for AccessRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} \"{} {} {}\" {} {} {:.1}ms",
            self.peer,
            self.method,
            self.target,
            self.version,
            self.status,
            self.bytes,
            self.elapsed.as_secs_f64() * 1000.0
        )
    }
}

/// Receives one record per answered request.
pub type AccessLog = Arc<dyn Fn(&AccessRecord) + Send + Sync>;

/// The file server: a canonical root and the access log.
#[derive(Clone)]
pub struct TreeServer {
    root: Arc<PathBuf>,
    log: Option<AccessLog>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The root is missing or not a directory.
    #[error("Cannot serve `{}`", path.display())]
    Root {
        /// The directory given.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A certificate or key file could not be read or used.
    #[error("Cannot use TLS certificate `{}` and key `{}`: {reason}", cert.display(), key.display())]
    Tls {
        /// Certificate chain file.
        cert: PathBuf,
        /// Private key file.
        key: PathBuf,
        /// Why.
        reason: String,
    },
}

impl TreeServer {
    /// A server for the tree at `root` (resolved once, symlinks followed).
    pub fn new(root: &Path, log: Option<AccessLog>) -> Result<Self, ServeError> {
        let root_err = |source| ServeError::Root {
            path: root.to_path_buf(),
            source,
        };
        let canonical = std::fs::canonicalize(root).map_err(root_err)?;
        if !canonical.is_dir() {
            return Err(root_err(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                "not a directory",
            )));
        }
        Ok(Self {
            root: Arc::new(canonical),
            log,
        })
    }

    /// Answers one request.
    pub async fn handle<B>(&self, peer: std::net::SocketAddr, req: Request<B>) -> Response<Body> {
        let start = Instant::now();
        let (response, bytes) = self.respond(&req).await;
        if let Some(log) = &self.log {
            log(&AccessRecord {
                peer,
                method: req.method().to_string(),
                target: req
                    .uri()
                    .path_and_query()
                    .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned()),
                version: format!("{:?}", req.version()),
                status: response.status().as_u16(),
                bytes,
                elapsed: start.elapsed(),
            });
        }
        response
    }

    async fn respond<B>(&self, req: &Request<B>) -> (Response<Body>, u64) {
        let head = match *req.method() {
            Method::GET => false,
            Method::HEAD => true,
            _ => {
                let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
                r.headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
                return (r, 0);
            }
        };
        let Some(path) = self.resolve(req.uri().path()).await else {
            return (not_found(), 0);
        };
        let Ok(file) = tokio::fs::File::open(&path).await else {
            return (not_found(), 0);
        };
        let Ok(meta) = file.metadata().await else {
            return (not_found(), 0);
        };
        if !meta.is_file() {
            return (not_found(), 0);
        }
        let len = meta.len();
        let modified = meta.modified().ok();
        let etag = etag(len, modified);
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, content_type(&path));
        if let Ok(v) = HeaderValue::from_str(&etag) {
            headers.insert(header::ETAG, v);
        }
        if let Some(m) = modified
            && let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(m))
        {
            headers.insert(header::LAST_MODIFIED, v);
        }
        if not_modified(req.headers(), &etag, modified) {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            headers.remove(header::CONTENT_TYPE);
            r.headers_mut().extend(headers);
            return (r, 0);
        }
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        let body = if head {
            Body::empty()
        } else {
            let stream = tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024);
            Body::from_stream(stream)
        };
        let mut r = Response::new(body);
        r.headers_mut().extend(headers);
        (r, if head { 0 } else { len })
    }

    /// Maps a request path to a file under the root, or `None` (404).
    async fn resolve(&self, raw: &str) -> Option<PathBuf> {
        let rel = request_rel_path(raw)?;
        let joined = self.root.join(&rel);
        // Symlinks inside the tree may point anywhere: follow them, then
        // insist on staying inside.
        let real = tokio::fs::canonicalize(&joined).await.ok()?;
        real.starts_with(self.root.as_ref()).then_some(real)
    }
}

/// The relative file path for a request path, or `None` when it could
/// name something outside the tree or a hidden (temp) file.
pub fn request_rel_path(raw: &str) -> Option<PathBuf> {
    let decoded = percent_decode_str(raw).decode_utf8().ok()?;
    let rest = decoded.strip_prefix('/')?;
    if rest.is_empty() {
        return None;
    }
    let mut rel = PathBuf::new();
    for seg in rest.split('/') {
        if seg.is_empty()
            || seg.starts_with('.')
            || seg.contains('\\')
            || seg.contains('\0')
            || seg.contains(':') && cfg!(windows)
        {
            return None;
        }
        rel.push(seg);
    }
    Some(rel)
}

/// The content type for a tree file, as the public proxy and checksum
/// database label them.
pub fn content_type(path: &Path) -> HeaderValue {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let in_tile = path
        .components()
        .any(|c| c.as_os_str() == std::ffi::OsStr::new("tile"));
    let in_sumdb = path
        .components()
        .any(|c| c.as_os_str() == std::ffi::OsStr::new("sumdb"));
    let value = if name.ends_with(".info") || name == "@latest" || name.ends_with(".json") {
        "application/json"
    } else if name.ends_with(".zip") {
        "application/zip"
    } else if in_sumdb && in_tile {
        "application/octet-stream"
    } else {
        "text/plain; charset=utf-8"
    };
    HeaderValue::from_static(value)
}

fn etag(len: u64, modified: Option<SystemTime>) -> String {
    let nanos = modified
        .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("\"{len:x}-{nanos:x}\"")
}

/// RFC 9110 §13.2.2: If-None-Match wins over If-Modified-Since.
fn not_modified(headers: &HeaderMap, etag: &str, modified: Option<SystemTime>) -> bool {
    if let Some(inm) = headers.get(header::IF_NONE_MATCH) {
        let Ok(inm) = inm.to_str() else {
            return false;
        };
        return inm.split(',').map(str::trim).any(|tag| {
            tag == "*" || tag == etag || tag.strip_prefix("W/").is_some_and(|t| t == etag)
        });
    }
    if let (Some(ims), Some(modified)) = (headers.get(header::IF_MODIFIED_SINCE), modified)
        && let Ok(ims) = ims.to_str()
        && let Ok(since) = httpdate::parse_http_date(ims)
    {
        // HTTP dates have whole seconds.
        let secs = |t: SystemTime| {
            t.duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        };
        return secs(modified) <= secs(since);
    }
    false
}

fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::from(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn not_found() -> Response<Body> {
    text(StatusCode::NOT_FOUND, "not found\n")
}

/// Builds a rustls server config (ALPN h2, http/1.1) from PEM files.
pub fn tls_config(cert: &Path, key: &Path) -> Result<rustls::ServerConfig, ServeError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let fail = |reason: String| ServeError::Tls {
        cert: cert.to_path_buf(),
        key: key.to_path_buf(),
        reason,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| fail(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| fail(e.to_string()))?;
    if certs.is_empty() {
        return Err(fail("no certificate in the certificate file".into()));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| fail(e.to_string()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(crate::net::tls::provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| fail(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// How long a client may take to send a request head or finish TLS.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// Accepts connections forever, serving HTTP/1.1 and HTTP/2 (over TLS when
/// `tls` is given, negotiated by ALPN; h2c prior knowledge otherwise).
pub async fn serve_listener(
    listener: TcpListener,
    server: TreeServer,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> std::io::Result<()> {
    let acceptor = tls.map(TlsAcceptor::from);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            // Out of descriptors and the like: back off instead of spinning.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let server = server.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let server = server.clone();
                async move { Ok::<_, Infallible>(server.handle(peer, req).await) }
            });
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            // A client that never finishes its request head (or its TLS
            // handshake) must not hold a connection forever.
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT);
            builder
                .http2()
                .timer(TokioTimer::new())
                .keep_alive_interval(Some(Duration::from_secs(60)));
            match acceptor {
                Some(acceptor) => {
                    let Ok(Ok(tls)) =
                        tokio::time::timeout(HEADER_TIMEOUT, acceptor.accept(stream)).await
                    else {
                        return;
                    };
                    let _ = builder.serve_connection(TokioIo::new(tls), service).await;
                }
                None => {
                    let _ = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rel_paths() {
        let ok = |p: &str| request_rel_path(p).map(|p| p.to_string_lossy().into_owned());
        assert_eq!(
            ok("/example.com/%21upper/@v/list").as_deref(),
            Some("example.com/!upper/@v/list")
        );
        assert_eq!(
            ok("/sumdb/db.test/lookup/example.com/m@v1.0.0").as_deref(),
            Some("sumdb/db.test/lookup/example.com/m@v1.0.0")
        );
        for bad in [
            "/",
            "",
            "/../etc/passwd",
            "/a/%2e%2e/b",
            "/a/..%2fb",
            "/a//b",
            "/.hidden",
            "/a/.v1.0.0.zip.123.tmp",
            "/a\\..\\b",
            "/a%00b",
            "/%ff",
        ] {
            assert_eq!(ok(bad), None, "{bad}");
        }
    }

    #[test]
    fn content_types() {
        let ct = |p: &str| content_type(Path::new(p)).to_str().unwrap().to_owned();
        assert_eq!(ct("/r/example.com/m/@v/v1.0.0.info"), "application/json");
        assert_eq!(ct("/r/example.com/m/@latest"), "application/json");
        assert_eq!(ct("/r/example.com/m/@v/v1.0.0.zip"), "application/zip");
        assert_eq!(
            ct("/r/example.com/m/@v/v1.0.0.mod"),
            "text/plain; charset=utf-8"
        );
        assert_eq!(ct("/r/example.com/m/@v/list"), "text/plain; charset=utf-8");
        assert_eq!(
            ct("/r/sumdb/db.test/tile/8/0/000"),
            "application/octet-stream"
        );
        assert_eq!(ct("/r/sumdb/db.test/latest"), "text/plain; charset=utf-8");
    }

    #[test]
    fn conditional() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let tag = etag(10, Some(t));
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(&tag).unwrap());
        assert!(not_modified(&h, &tag, Some(t)));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert!(!not_modified(&h, &tag, Some(t)));
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_MODIFIED_SINCE,
            HeaderValue::from_str(&httpdate::fmt_http_date(t)).unwrap(),
        );
        assert!(not_modified(&h, &tag, Some(t)));
        assert!(!not_modified(&h, &tag, Some(t + Duration::from_secs(5))));
    }
}
