//! The bench's hot path: requests straight over hyper's connection API, one
//! connection per worker for HTTP/1.1 (as wrk does) and one multiplexed
//! connection per sending thread when ALPN picks HTTP/2. A general client's
//! pool, proxy matching and per-request URL handling cost more per request
//! than a small proxy answer does, and the figures must describe the proxy,
//! not the tool (scripts/bench-wrk measures the difference).
//!
//! TLS is the run's `net::tls` configuration (Go's trust rules and wording).
//! A dropped keep-alive connection is re-opened and the request retried
//! once, as net/http does for idempotent requests on a reused connection.
//! Redirects are not handled here: the runner follows them with reqwest.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::header::{AUTHORIZATION, HOST, HeaderValue, USER_AGENT};
use http_body_util::Empty;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::stats::ErrorClass;
use crate::net::tls::describe_error;

/// A failure with its class and a message for the user.
pub(crate) type Failure = (ErrorClass, String);

/// Where the connections of one proxy go.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    https: bool,
    host: String,
    port: u16,
    /// `Host` header: the URL's host and explicit port.
    authority: HeaderValue,
    /// Basic auth from URL userinfo, as net/http sends it.
    authorization: Option<HeaderValue>,
}

impl Origin {
    pub(crate) fn new(base: &url::Url) -> Result<Origin, String> {
        let https = match base.scheme() {
            "https" => true,
            "http" => false,
            other => return Err(format!("unsupported scheme `{other}`")),
        };
        let host = match base.host() {
            Some(url::Host::Domain(d)) => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err("the proxy URL has no host".into()),
        };
        let port = base
            .port_or_known_default()
            .ok_or("the proxy URL has no port")?;
        let host_header = match (base.host_str(), base.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => String::new(),
        };
        let authority = HeaderValue::from_str(&host_header).map_err(|e| e.to_string())?;
        let authorization = if base.username().is_empty() {
            None
        } else {
            use base64::Engine;
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            let user = decode(base.username());
            let password = decode(base.password().unwrap_or_default());
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            HeaderValue::from_str(&format!("Basic {token}")).ok()
        };
        Ok(Origin {
            https,
            host,
            port,
            authority,
            authorization,
        })
    }
}

/// One open connection.
pub(crate) enum Conn {
    H1(http1::SendRequest<Empty<Bytes>>),
    H2(http2::SendRequest<Empty<Bytes>>),
}

impl Conn {
    fn is_h2(&self) -> bool {
        matches!(self, Conn::H2(_))
    }

    fn is_closed(&self) -> bool {
        match self {
            Conn::H1(s) => s.is_closed(),
            Conn::H2(s) => s.is_closed(),
        }
    }
}

/// Opens connections and sends requests for one sending thread.
pub(crate) struct Connector {
    tls: tokio_rustls::TlsConnector,
    origin: Origin,
    user_agent: HeaderValue,
    /// The thread's shared HTTP/2 connection, once one was negotiated.
    h2: Mutex<Option<http2::SendRequest<Empty<Bytes>>>>,
    /// Open a new connection for every request.
    fresh: bool,
}

impl Connector {
    pub(crate) fn new(tls: Arc<rustls::ClientConfig>, origin: Origin, fresh: bool) -> Self {
        Connector {
            tls: tokio_rustls::TlsConnector::from(tls),
            origin,
            user_agent: HeaderValue::from_static(concat!(
                "gomodfetch-bench/",
                env!("CARGO_PKG_VERSION")
            )),
            h2: Mutex::new(None),
            fresh,
        }
    }

    /// Sends a GET for `uri` (absolute; HTTP/1.1 sends its origin form).
    /// `slot` is the worker's own connection, reused between calls.
    pub(crate) async fn get(
        &self,
        slot: &mut Option<Conn>,
        uri: &http::Uri,
    ) -> Result<http::Response<hyper::body::Incoming>, Failure> {
        let (mut conn, reused) = self.checkout(slot).await?;
        match self.send(&mut conn, uri).await {
            Ok(response) => {
                self.checkin(slot, conn);
                Ok(response)
            }
            // The server closed a kept-alive connection under us: one retry
            // on a new connection (net/http does the same for GET).
            Err(err)
                if reused
                    && (err.is_canceled() || err.is_incomplete_message() || err.is_closed()) =>
            {
                let mut conn = self.connect().await?;
                let response = self.send(&mut conn, uri).await.map_err(hyper_failure)?;
                self.checkin(slot, conn);
                Ok(response)
            }
            Err(err) => Err(hyper_failure(err)),
        }
    }

    async fn checkout(&self, slot: &mut Option<Conn>) -> Result<(Conn, bool), Failure> {
        if !self.fresh {
            if let Some(conn) = slot.take()
                && !conn.is_closed()
            {
                return Ok((conn, true));
            }
            let shared = self.h2.lock().unwrap_or_else(|p| p.into_inner()).clone();
            if let Some(sender) = shared
                && !sender.is_closed()
            {
                return Ok((Conn::H2(sender), true));
            }
        }
        Ok((self.connect().await?, false))
    }

    fn checkin(&self, slot: &mut Option<Conn>, conn: Conn) {
        if self.fresh {
            return;
        }
        if let Conn::H2(sender) = &conn {
            let mut shared = self.h2.lock().unwrap_or_else(|p| p.into_inner());
            if shared.as_ref().is_none_or(|s| s.is_closed()) {
                *shared = Some(sender.clone());
            }
        }
        *slot = Some(conn);
    }

    async fn send(
        &self,
        conn: &mut Conn,
        uri: &http::Uri,
    ) -> Result<http::Response<hyper::body::Incoming>, hyper::Error> {
        let target = if conn.is_h2() {
            uri.clone()
        } else {
            uri.path_and_query()
                .map(|pq| http::Uri::from(pq.clone()))
                .unwrap_or_else(|| uri.clone())
        };
        let mut request = http::Request::new(Empty::<Bytes>::new());
        *request.uri_mut() = target;
        let headers = request.headers_mut();
        if !conn.is_h2() {
            headers.insert(HOST, self.origin.authority.clone());
        }
        headers.insert(USER_AGENT, self.user_agent.clone());
        if let Some(auth) = &self.origin.authorization {
            headers.insert(AUTHORIZATION, auth.clone());
        }
        match conn {
            Conn::H1(sender) => {
                sender.ready().await?;
                sender.send_request(request).await
            }
            Conn::H2(sender) => {
                sender.ready().await?;
                sender.send_request(request).await
            }
        }
    }

    async fn connect(&self) -> Result<Conn, Failure> {
        let origin = &self.origin;
        let tcp = TcpStream::connect((origin.host.as_str(), origin.port))
            .await
            .map_err(|e| {
                (
                    connect_class(&e),
                    format!("dial tcp {}:{}: {e}", origin.host, origin.port),
                )
            })?;
        let _ = tcp.set_nodelay(true);
        if !origin.https {
            return handshake(tcp, false).await;
        }
        let name = rustls_pki_types::ServerName::try_from(origin.host.clone())
            .map_err(|e| (ErrorClass::Other, format!("invalid TLS server name: {e}")))?;
        let tls = self.tls.connect(name, tcp).await.map_err(tls_failure)?;
        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
        handshake(tls, h2).await
    }
}

async fn handshake<T>(io: T, h2: bool) -> Result<Conn, Failure>
where
    T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let io = TokioIo::new(io);
    if h2 {
        let (sender, conn) = http2::handshake(TokioExecutor::new(), io)
            .await
            .map_err(hyper_failure)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn::H2(sender))
    } else {
        let (sender, conn) = http1::handshake(io).await.map_err(hyper_failure)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn::H1(sender))
    }
}

fn connect_class(err: &std::io::Error) -> ErrorClass {
    match err.kind() {
        std::io::ErrorKind::TimedOut => ErrorClass::Timeout,
        std::io::ErrorKind::ConnectionReset => ErrorClass::Reset,
        _ => ErrorClass::Connect,
    }
}

fn tls_failure(err: std::io::Error) -> Failure {
    let go = err
        .get_ref()
        .and_then(|inner| describe_error(inner))
        .or_else(|| describe_error(&err));
    match go {
        Some(text) => (ErrorClass::Tls, text),
        None if err.kind() == std::io::ErrorKind::InvalidData => {
            (ErrorClass::Tls, format!("tls: {err}"))
        }
        None => (connect_class(&err), err.to_string()),
    }
}

/// Classifies a hyper error (sending, or reading a body).
pub(crate) fn hyper_failure(err: hyper::Error) -> Failure {
    let mut class = if err.is_parse() {
        ErrorClass::BadBody
    } else if err.is_timeout() {
        ErrorClass::Timeout
    } else if err.is_incomplete_message() || err.is_canceled() || err.is_closed() {
        ErrorClass::Reset
    } else {
        ErrorClass::Other
    };
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::UnexpectedEof => class = ErrorClass::Reset,
                std::io::ErrorKind::TimedOut => class = ErrorClass::Timeout,
                _ => {}
            }
        }
        source = e.source();
    }
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    (class, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_from_url() {
        let o = Origin::new(&url::Url::parse("https://u:p%40ss@example.com/x/").unwrap()).unwrap();
        assert!(o.https);
        assert_eq!((o.host.as_str(), o.port), ("example.com", 443));
        assert_eq!(o.authority, "example.com");
        assert_eq!(o.authorization.unwrap(), "Basic dTpwQHNz");
        let o = Origin::new(&url::Url::parse("http://[::1]:8080/").unwrap()).unwrap();
        assert_eq!((o.host.as_str(), o.port), ("::1", 8080));
        assert_eq!(o.authority, "[::1]:8080");
    }
}
