//! The one HTTP client of a run (Go's cmd/go/internal/web, in
//! `DefaultSecurity` mode as used for proxies): rustls with our own trust
//! store (`net::tls`), HTTP/2 when offered, connection reuse, environment
//! proxies, redirects (at most 10, never from https to http), credentials
//! from .netrc attached only to https requests to their own host (by Go's
//! URL-prefix rule; never carried to another host or port by a redirect),
//! Go's one re-send of an https request answered 4xx, retries of transient
//! failures (`net::retry`), bodies read with a size cap, and `file://` URLs
//! read from disk. Errors carry Go's texts (spec/fetch-protocol.md §3.3, §6),
//! including net/http's `server gave HTTP response to HTTPS client`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::net::netrc::{self, NetrcLine};
use crate::net::redact::SafeUrl;
use crate::net::retry::{self, RetryPolicy, Transience};
use crate::net::tls::{self, TrustOptions};
use crate::settings::HttpProxyEnv;

/// Lines Go prints for `-x` (`# get URL`, `# get URL: 200 OK (0.012s)`).
pub type TraceFn = Arc<dyn Fn(&str) + Send + Sync>;

/// How the client is built.
#[derive(Clone, Default)]
pub struct ClientOptions {
    pub trust: TrustOptions,
    pub netrc: Option<PathBuf>,
    pub http_proxy: HttpProxyEnv,
    pub retry: RetryPolicy,
    /// `-x`: receives Go-style request trace lines.
    pub trace: Option<TraceFn>,
}

/// A failure to fetch a URL. `Display` follows Go's wording.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// A response other than 200 (or a synthetic one for `file://`).
    #[error("reading {url}: {}", status_message(.status, .reason, .detail, .file_error))]
    Status {
        url: SafeUrl,
        status: u16,
        reason: String,
        /// The server's plain-text explanation, formatted as Go does.
        detail: String,
        /// For `file://`: the OS error (`no such file or directory`).
        file_error: Option<String>,
    },
    /// No response: connection refused/reset, DNS, timeout (transient).
    #[error("Get \"{url}\": {message}")]
    Transport { url: SafeUrl, message: String },
    /// No response, for a reason retrying cannot fix: TLS verification,
    /// redirect policy (`stopped after 10 redirects`, https to http).
    #[error("Get \"{url}\": {message}")]
    Refused { url: SafeUrl, message: String },
    /// A redirect refused by policy (too many, https to http).
    #[error("Get \"{url}\": {message}")]
    RedirectPolicy { url: String, message: String },
    /// The body broke off or could not be read.
    #[error("read {}: {message}", read_target(.url))]
    Body { url: SafeUrl, message: String },
    /// The body exceeded its cap.
    #[error("reading {url}: response body too large (more than {limit} bytes)")]
    TooLarge { url: SafeUrl, limit: u64 },
    /// Credentials in a plain http URL.
    #[error("refusing to pass credentials to insecure URL: {url}")]
    InsecureCredentials { url: SafeUrl },
    /// A scheme other than http, https, file.
    #[error("unsupported scheme: {url}")]
    UnsupportedScheme { url: SafeUrl },
    /// Local I/O while writing a body to disk.
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What a failed body read names: net/http's `url.Error` quotes the URL
/// (`read "https://...": unexpected EOF`); a `file://` read is the file's
/// own (`read /srv/p/...: ...`).
fn read_target(url: &SafeUrl) -> String {
    match url.expose().scheme() {
        "file" => match url.expose().to_file_path() {
            Ok(p) => p.display().to_string(),
            Err(()) => url.to_string(),
        },
        _ => format!("{:?}", url.to_string()),
    }
}

fn status_message(status: &u16, reason: &str, detail: &str, file_error: &Option<String>) -> String {
    if !detail.is_empty() {
        let sep = if detail.contains('\n') { "\n\t" } else { " " };
        return format!("{status} {reason}\n\tserver response:{sep}{detail}");
    }
    if let Some(err) = file_error {
        return err.clone();
    }
    format!("{status} {reason}")
}

impl HttpError {
    /// Whether Go counts this as "not found" (404/410, missing file):
    /// the only errors a `,` in GOPROXY falls through on.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Self::Status {
                status: 404 | 410,
                ..
            }
        )
    }

    fn transience(&self) -> Transience {
        match self {
            Self::Status { status, .. } => retry::status_transience(*status),
            Self::Transport { .. } | Self::Body { .. } => Transience::Transient,
            _ => Transience::Permanent,
        }
    }
}

/// Shared HTTP client. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    /// Built on first use: loading the system trust store costs more than a
    /// whole warm-cache run, which makes no request at all.
    inner: Arc<std::sync::OnceLock<Result<reqwest::Client, String>>>,
    options: Arc<ClientOptions>,
    netrc: Arc<Vec<NetrcLine>>,
    retry: RetryPolicy,
    trace: Option<TraceFn>,
}

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientBuildError {
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("building the HTTP client: {0}")]
    Reqwest(#[from] reqwest::Error),
}

const MAX_REDIRECTS: usize = 10;

/// Go's redirect rules (net/http's limit of 10, and web/http.go's refusal to
/// follow https to http), with URLs shown redacted. Every client of a run
/// (proxy, checksum database, go-get discovery) uses this one policy.
pub fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            return attempt.error("stopped after 10 redirects");
        }
        let secure_start = attempt
            .previous()
            .first()
            .is_some_and(|u| u.scheme() == "https");
        if secure_start && attempt.url().scheme() != "https" {
            let from = attempt
                .previous()
                .last()
                .map(|u| SafeUrl::new(u.clone()).to_string())
                .unwrap_or_default();
            let to = SafeUrl::new(attempt.url().clone()).to_string();
            return attempt.error(format!(
                "redirected from secure URL {from} to insecure URL {to}"
            ));
        }
        attempt.follow()
    })
}

impl Client {
    /// Builds the client. The trust store is loaded lazily by rustls' config
    /// here, once per run.
    fn build(options: &ClientOptions) -> Result<reqwest::Client, ClientBuildError> {
        let mut config = tls::client_config(&options.trust)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let redirect = redirect_policy();
        let proxy_env = options.http_proxy.clone();
        let mut builder = reqwest::Client::builder()
            .use_preconfigured_tls(config)
            .redirect(redirect)
            .user_agent("Go-http-client/1.1")
            .connect_timeout(Duration::from_secs(30))
            .read_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(64)
            .no_proxy();
        if proxy_env.http_proxy.is_some() || proxy_env.https_proxy.is_some() {
            builder = builder.proxy(reqwest::Proxy::custom(move |url| {
                proxy_for(&proxy_env, url)
            }));
        }
        Ok(builder.build()?)
    }

    /// Builds the client. The TLS configuration is loaded on the first
    /// https request, except that `--cacert` files are checked here.
    pub fn new(options: ClientOptions) -> Result<Self, ClientBuildError> {
        if !options.trust.extra_ca_files.is_empty() {
            tls::client_config(&options.trust)?;
        }
        let netrc = options
            .netrc
            .as_deref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .map(|t| netrc::parse(&t))
            .unwrap_or_default();
        Ok(Self {
            inner: Arc::default(),
            netrc: Arc::new(netrc),
            retry: options.retry,
            trace: options.trace.clone(),
            options: Arc::new(options),
        })
    }

    fn http(&self) -> Result<&reqwest::Client, String> {
        self.inner
            .get_or_init(|| Self::build(&self.options).map_err(|e| chain_text(&e)))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn trace(&self, line: String) {
        if let Some(t) = &self.trace {
            t(&line);
        }
    }

    /// GETs `url` into memory, at most `limit` bytes.
    pub async fn get_bytes(&self, url: &url::Url, limit: u64) -> Result<Vec<u8>, HttpError> {
        let mut buf = Vec::new();
        self.get_with_retry(url, limit, &mut Sink::Memory(&mut buf), &|_| {})
            .await?;
        Ok(buf)
    }

    /// GETs `url` into `file` (rewound and truncated before each attempt),
    /// at most `limit` bytes; `progress` sees each chunk's length.
    pub async fn get_to_file(
        &self,
        url: &url::Url,
        file: &mut tokio::fs::File,
        path: &Path,
        limit: u64,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<u64, HttpError> {
        let mut sink = Sink::File {
            file,
            path,
            len: 0,
            staged: Vec::new(),
        };
        self.get_with_retry(url, limit, &mut sink, progress).await?;
        Ok(sink.len())
    }

    async fn get_with_retry(
        &self,
        url: &url::Url,
        limit: u64,
        sink: &mut Sink<'_>,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<(), HttpError> {
        let mut attempt = 0;
        loop {
            sink.reset().await?;
            let mut retry_after = None;
            let result = self
                .get_once(url, limit, sink, progress, &mut retry_after)
                .await;
            match result {
                Err(err)
                    if err.transience() == Transience::Transient
                        && attempt < self.retry.max_retries =>
                {
                    attempt += 1;
                    let delay = self.retry.delay(attempt, retry_after, rand::random());
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                }
                Ok(()) => return sink.flush().await,
                other => return other,
            }
        }
    }

    async fn get_once(
        &self,
        url: &url::Url,
        limit: u64,
        sink: &mut Sink<'_>,
        progress: &(dyn Fn(u64) + Send + Sync),
        retry_after: &mut Option<u64>,
    ) -> Result<(), HttpError> {
        let safe = SafeUrl::new(url.clone());
        match url.scheme() {
            "file" => return get_file(url, limit, sink, progress).await,
            "http" if url.password().is_some() || !url.username().is_empty() => {
                self.trace(format!("# get {safe}: insecure credentials"));
                return Err(HttpError::InsecureCredentials { url: safe });
            }
            "http" | "https" => {}
            _ => return Err(HttpError::UnsupportedScheme { url: safe }),
        }
        let start = Instant::now();
        self.trace(format!("# get {safe}"));
        let http = match self.http() {
            Ok(http) => http,
            Err(message) => return Err(HttpError::Refused { url: safe, message }),
        };
        let request = || {
            let mut request = http.get(url.clone());
            if let Some(line) = netrc::lookup_url(&self.netrc, url) {
                request = request.basic_auth(&line.login, Some(&line.password));
            }
            request
        };
        let mut sent = request().send().await;
        // web/http.go (go1.24+): an https answer in 400..=499 is discarded
        // and the request sent once more, with the credentials GOAUTH gives
        // for the URL (for .netrc the same ones); the second answer stands.
        if url.scheme() == "https"
            && let Ok(first) = &sent
            && first.status().is_client_error()
        {
            drop(sent);
            sent = request().send().await;
        }
        let response = match sent {
            Ok(r) => r,
            Err(err) => {
                let mut message = transport_message(&err);
                if url.scheme() == "https"
                    && matches!(
                        tls::classify_error(&err),
                        Some(tls::TlsFailure::NotTls { .. })
                    )
                    && proxy_for(&self.options.http_proxy, url).is_none()
                    && answers_plain_http(url).await
                {
                    message = SCHEME_MISMATCH.to_string();
                }
                self.trace(format!("# get {safe}: {message}"));
                if err.is_redirect() {
                    // go 1.26 quotes the failing redirect's request URL
                    // without scheme and host (observed: `Get "/m/@v/v1.0.0.info":
                    // stopped after 10 redirects`).
                    let mut shown = url.path().to_string();
                    if let Some(q) = url.query() {
                        shown = format!("{shown}?{q}");
                    }
                    return Err(HttpError::RedirectPolicy {
                        url: shown,
                        message,
                    });
                }
                if tls::describe_error(&err).is_some() {
                    return Err(HttpError::Refused { url: safe, message });
                }
                return Err(HttpError::Transport { url: safe, message });
            }
        };
        let status = response.status();
        let reason = status.canonical_reason().unwrap_or("").to_string();
        self.trace(format!(
            "# get {safe}: {} {reason} ({:.3}s)",
            status.as_u16(),
            start.elapsed().as_secs_f64()
        ));
        if status.as_u16() != 200 {
            *retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(retry::parse_retry_after);
            let plain = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(is_plain_text_utf8);
            let detail = if plain {
                let body = read_capped(response, 64 << 10).await;
                format_error_detail(&body)
            } else {
                String::new()
            };
            return Err(HttpError::Status {
                url: safe,
                status: status.as_u16(),
                reason,
                detail,
                file_error: None,
            });
        }
        if let Some(len) = response.content_length()
            && len > limit
        {
            return Err(HttpError::TooLarge { url: safe, limit });
        }
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| HttpError::Body {
                url: safe.clone(),
                message: body_message(&e),
            })?;
            if sink.len() + chunk.len() as u64 > limit {
                return Err(HttpError::TooLarge { url: safe, limit });
            }
            sink.write(&chunk).await?;
            progress(chunk.len() as u64);
        }
        Ok(())
    }
}

/// net/http's `ErrSchemeMismatch`: the first bytes answering the TLS
/// ClientHello were `HTTP/`.
const SCHEME_MISMATCH: &str = "http: server gave HTTP response to HTTPS client";

/// Whether the server of `url` answers a TLS ClientHello with `HTTP/`, which
/// is what net/http checks (client.go `send`: the `RecordHeader` of crypto/tls's
/// `RecordHeaderError`) to say [`SCHEME_MISMATCH`] instead of `tls: first
/// record does not look like a TLS handshake`. rustls does not keep the
/// record header, so on that failure (only) a second connection sends the
/// same kind of ClientHello and reads the first five bytes of the answer.
async fn answers_plain_http(url: &url::Url) -> bool {
    use tokio::io::AsyncReadExt;
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return false;
    };
    let host = host.trim_matches(['[', ']']).to_string();
    let Ok(name) = rustls::pki_types::ServerName::try_from(host.clone()) else {
        return false;
    };
    let Ok(config) = tls::insecure_client_config() else {
        return false;
    };
    let Ok(mut conn) = rustls::ClientConnection::new(Arc::new(config), name) else {
        return false;
    };
    let mut hello = Vec::new();
    while conn.wants_write() {
        if conn.write_tls(&mut hello).is_err() {
            return false;
        }
    }
    let probe = async {
        let mut tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
        tcp.write_all(&hello).await?;
        let mut head = [0u8; 5];
        tcp.read_exact(&mut head).await?;
        Ok::<_, std::io::Error>(head)
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(10), probe).await,
        Ok(Ok(head)) if &head == b"HTTP/"
    )
}

/// Where a body goes.
enum Sink<'a> {
    Memory(&'a mut Vec<u8>),
    File {
        file: &'a mut tokio::fs::File,
        path: &'a Path,
        /// Bytes received so far (written or staged).
        len: u64,
        /// Body chunks are small (~16 KiB); each write to a tokio file is a
        /// trip to the blocking pool, so they are staged and written per MiB.
        staged: Vec<u8>,
    },
}

const STAGE_BYTES: usize = 1 << 20;

impl Sink<'_> {
    fn len(&self) -> u64 {
        match self {
            Sink::Memory(buf) => buf.len() as u64,
            Sink::File { len, .. } => *len,
        }
    }

    async fn reset(&mut self) -> Result<(), HttpError> {
        match self {
            Sink::Memory(buf) => buf.clear(),
            Sink::File {
                file,
                path,
                len,
                staged,
            } => {
                staged.clear();
                if *len > 0 {
                    use tokio::io::AsyncSeekExt;
                    let wrap = |source| HttpError::Write {
                        path: path.to_path_buf(),
                        source,
                    };
                    file.set_len(0).await.map_err(wrap)?;
                    file.seek(std::io::SeekFrom::Start(0)).await.map_err(wrap)?;
                    *len = 0;
                }
            }
        }
        Ok(())
    }

    async fn write(&mut self, data: &[u8]) -> Result<(), HttpError> {
        match self {
            Sink::Memory(buf) => buf.extend_from_slice(data),
            Sink::File { len, staged, .. } => {
                staged.extend_from_slice(data);
                *len += data.len() as u64;
                if staged.len() >= STAGE_BYTES {
                    self.flush().await?;
                }
            }
        }
        Ok(())
    }

    /// Writes what is staged.
    async fn flush(&mut self) -> Result<(), HttpError> {
        if let Sink::File {
            file, path, staged, ..
        } = self
            && !staged.is_empty()
        {
            let wrap = |source| HttpError::Write {
                path: path.to_path_buf(),
                source,
            };
            file.write_all(staged).await.map_err(wrap)?;
            staged.clear();
        }
        Ok(())
    }
}

async fn get_file(
    url: &url::Url,
    limit: u64,
    sink: &mut Sink<'_>,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<(), HttpError> {
    let safe = SafeUrl::new(url.clone());
    let path = PathBuf::from(
        percent_encoding::percent_decode_str(url.path())
            .decode_utf8_lossy()
            .into_owned(),
    );
    let status = |status: u16, reason: &str, err: &std::io::Error| HttpError::Status {
        url: safe.clone(),
        status,
        reason: reason.to_string(),
        detail: String::new(),
        file_error: Some(os_error_text(err)),
    };
    let mut file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(status(404, "Not Found", &e));
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(status(403, "Forbidden", &e));
        }
        Err(e) => {
            return Err(HttpError::Body {
                url: safe,
                message: os_error_text(&e),
            });
        }
    };
    let mut buf = vec![0u8; 256 << 10];
    loop {
        use tokio::io::AsyncReadExt;
        let n = file.read(&mut buf).await.map_err(|e| HttpError::Body {
            url: safe.clone(),
            message: os_error_text(&e),
        })?;
        if n == 0 {
            return Ok(());
        }
        if sink.len() + n as u64 > limit {
            return Err(HttpError::TooLarge { url: safe, limit });
        }
        sink.write(&buf[..n]).await?;
        progress(n as u64);
    }
}

/// The OS error as Go prints it (`no such file or directory`), without
/// Rust's ` (os error 2)` suffix.
pub fn os_error_text(err: &std::io::Error) -> String {
    let text = err.to_string();
    let text = match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    // Go's messages are lower case ("no such file or directory").
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().collect::<String>() + chars.as_str(),
        None => text,
    }
}

fn chain_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// Whether the connection closed before the message was complete (hyper's
/// `IncompleteMessage`): Go's `io.EOF` before a response, or
/// `io.ErrUnexpectedEOF` inside a body.
fn closed_early(err: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if e.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_incomplete_message)
        {
            return true;
        }
        source = e.source();
    }
    false
}

fn transport_message(err: &reqwest::Error) -> String {
    // A TLS failure reads as Go's (`tls: failed to verify certificate:
    // x509: ...`), with the details our verifier recorded.
    if let Some(text) = tls::describe_error(err) {
        return text;
    }
    // net/http: the server closed the connection before any response.
    if closed_early(err) {
        return "EOF".into();
    }
    let mut parts = Vec::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p: &String| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    // reqwest's outer text repeats the URL; keep the causes.
    if parts.len() > 1 {
        parts.remove(0);
    }
    if err.is_timeout() {
        parts.push("timeout".into());
    }
    parts.join(": ")
}

fn body_message(err: &reqwest::Error) -> String {
    // A body cut short (connection closed, or fewer bytes than its
    // Content-Length): Go's `io.ErrUnexpectedEOF`.
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::UnexpectedEof)
        {
            return "unexpected EOF".into();
        }
        source = e.source();
    }
    if closed_early(err) {
        return "unexpected EOF".into();
    }
    let text = transport_message(err);
    if text.is_empty() {
        "unexpected EOF".into()
    } else {
        text
    }
}

async fn read_capped(response: reqwest::Response, cap: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        out.extend_from_slice(&chunk);
        if out.len() >= cap {
            out.truncate(cap);
            break;
        }
    }
    out
}

/// `text/plain` with charset absent, utf-8 or us-ascii (web/http.go).
fn is_plain_text_utf8(content_type: &str) -> bool {
    let mut parts = content_type.split(';');
    let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    if media != "text/plain" {
        return false;
    }
    for param in parts {
        if let Some((k, v)) = param.split_once('=')
            && k.trim().eq_ignore_ascii_case("charset")
        {
            let v = v.trim().trim_matches('"').to_ascii_lowercase();
            return v == "utf-8" || v == "us-ascii";
        }
    }
    true
}

const MAX_ERROR_DETAIL_LINES: usize = 8;
const MAX_ERROR_DETAIL_BYTES: usize = MAX_ERROR_DETAIL_LINES * 81;

/// web/api.go `formatErrorDetail`: up to the first blank line, at most 8
/// lines and 648 bytes, nothing at all for non-UTF-8 or control characters.
pub fn format_error_detail(body: &[u8]) -> String {
    let Ok(s) = std::str::from_utf8(body) else {
        return String::new();
    };
    if s.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return String::new();
    }
    let mut detail = String::new();
    for (i, line) in s.split('\n').enumerate() {
        if line.trim().is_empty() {
            break;
        }
        if i > 0 {
            detail.push_str("\n\t");
        }
        if i >= MAX_ERROR_DETAIL_LINES {
            detail.push_str("[Truncated: too many lines.]");
            break;
        }
        if detail.len() + line.len() > MAX_ERROR_DETAIL_BYTES {
            detail.push_str("[Truncated: too long.]");
            break;
        }
        detail.push_str(line);
    }
    detail
}

/// net/http `ProxyFromEnvironment` for one URL: loopback never proxied;
/// NO_PROXY entries (`*`, host, `.suffix`, `host:port`) exempt a host.
fn proxy_for(env: &HttpProxyEnv, url: &url::Url) -> Option<String> {
    let proxy = match url.scheme() {
        "https" => env.https_proxy.clone(),
        "http" => env.http_proxy.clone(),
        _ => None,
    }?;
    let host = url
        .host_str()?
        .trim_matches(['[', ']'])
        .to_ascii_lowercase();
    if host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
    {
        return None;
    }
    if let Some(no_proxy) = &env.no_proxy {
        for entry in no_proxy.split([',', ' ']).filter(|e| !e.is_empty()) {
            let entry = entry.to_ascii_lowercase();
            if entry == "*" {
                return None;
            }
            let (entry_host, entry_port) = match entry.rsplit_once(':') {
                Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => (h.to_string(), Some(p)),
                _ => (entry.clone(), None),
            };
            if let Some(p) = entry_port
                && url
                    .port_or_known_default()
                    .map(|x| x.to_string())
                    .as_deref()
                    != Some(p)
            {
                continue;
            }
            let bare = entry_host.trim_start_matches('.');
            if host == bare || host.ends_with(&format!(".{bare}")) {
                return None;
            }
        }
    }
    if proxy.contains("://") {
        Some(proxy)
    } else {
        Some(format!("http://{proxy}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_detail_as_go() {
        assert_eq!(format_error_detail(b"not found: x\n\nmore"), "not found: x");
        assert_eq!(format_error_detail(b"a\nb\n"), "a\n\tb");
        assert_eq!(format_error_detail(b"\x1b[31mred"), "");
        let many = "l\n".repeat(20);
        assert!(format_error_detail(many.as_bytes()).ends_with("[Truncated: too many lines.]"));
        let long = "x".repeat(700);
        assert_eq!(
            format_error_detail(long.as_bytes()),
            "[Truncated: too long.]"
        );
    }

    #[test]
    fn plain_text_rule() {
        assert!(is_plain_text_utf8("text/plain"));
        assert!(is_plain_text_utf8("text/plain; charset=UTF-8"));
        assert!(!is_plain_text_utf8("text/plain; charset=latin1"));
        assert!(!is_plain_text_utf8("text/html"));
    }

    #[test]
    fn proxy_env_rules() {
        let env = HttpProxyEnv {
            https_proxy: Some("proxy.example.com:3128".into()),
            http_proxy: None,
            no_proxy: Some("skip.example.com,.corp.example.com".into()),
        };
        let u = |s: &str| url::Url::parse(s).unwrap();
        assert_eq!(
            proxy_for(&env, &u("https://a.example.com/x")).as_deref(),
            Some("http://proxy.example.com:3128")
        );
        assert_eq!(proxy_for(&env, &u("https://127.0.0.1:8080/x")), None);
        assert_eq!(proxy_for(&env, &u("https://skip.example.com/x")), None);
        assert_eq!(proxy_for(&env, &u("https://a.corp.example.com/x")), None);
        assert_eq!(proxy_for(&env, &u("http://a.example.com/x")), None);
    }

    #[test]
    fn status_error_text() {
        let e = HttpError::Status {
            url: SafeUrl::new(url::Url::parse("http://127.0.0.1:1/m/@v/v1.0.0.info").unwrap()),
            status: 500,
            reason: "Internal Server Error".into(),
            detail: "boom".into(),
            file_error: None,
        };
        assert_eq!(
            e.to_string(),
            "reading http://127.0.0.1:1/m/@v/v1.0.0.info: 500 Internal Server Error\n\tserver response: boom"
        );
        assert!(!e.is_not_found());
    }
}
