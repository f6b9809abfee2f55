//! Doctor's own connections: DNS, TCP, the HTTP proxy (CONNECT, 407), the
//! TLS handshake through the recording verifier, and one HTTP/1.1 GET; then
//! the checksum database's route as Go chooses it (spec §5.2: the first
//! proxy answering `/sumdb/<name>/supported` with 200, else direct).
//! Every failure becomes a finding; nothing here panics on what a server
//! sends.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use futures_util::StreamExt as _;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

use super::config::{Kind, Plan, Planned};
use super::{Anchor, Config, Endpoint, Finding, ProbeOptions, Severity, tlsadvice};
use crate::net::tls::{self, CertSummary, LoadedRoots, Recorder, TlsFailure};

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Probes every planned endpoint, then the checksum database's route.
pub async fn probe_all(
    config: &Config,
    plan: &Plan,
    roots: &LoadedRoots,
    options: &ProbeOptions,
    endpoints: &mut Vec<Endpoint>,
    findings: &mut Vec<Finding>,
) {
    // Direct mode as a fall-back is only reached when every proxy answered
    // not-found for the TARGET (Go's TryProxies).
    let (fallbacks, first): (Vec<&Planned>, Vec<&Planned>) = plan
        .endpoints
        .iter()
        .partition(|p| matches!(p.kind, Kind::TargetDirect { fallback: true }));
    let mut probes: Vec<_> = first
        .into_iter()
        .map(|planned| probe(config, planned, roots, options))
        .collect::<futures_util::stream::FuturesOrdered<_>>()
        .collect::<Vec<_>>()
        .await;
    let all_not_found = probes
        .iter()
        .filter(|(e, _)| e.role.starts_with("TARGET via"))
        .all(|(e, _)| matches!(e.http_status, Some(404 | 410)));
    if all_not_found {
        for planned in fallbacks {
            probes.push(probe(config, planned, roots, options).await);
        }
    }
    // One TLS failure per server: later endpoints on the same host and port
    // point back at the first report instead of repeating it.
    let mut seen: Vec<(String, String, String)> = Vec::new();
    for (endpoint, found) in probes {
        let authority = Url::parse(&endpoint.url)
            .ok()
            .map(|u| {
                format!(
                    "{}:{}",
                    u.host_str().unwrap_or(""),
                    u.port_or_known_default().unwrap_or(0)
                )
            })
            .unwrap_or_default();
        for finding in found {
            if finding.code.starts_with("tls.")
                || finding.code.starts_with("net.")
                || finding.code.starts_with("proxy.")
            {
                if let Some((_, _, first)) = seen
                    .iter()
                    .find(|(a, c, _)| *a == authority && *c == finding.code)
                {
                    findings.push(Finding::new(
                        &finding.code,
                        finding.severity,
                        finding.subject.clone(),
                        format!("same failure as {first}"),
                    ));
                    continue;
                }
                seen.push((
                    authority.clone(),
                    finding.code.clone(),
                    endpoint.role.clone(),
                ));
            }
            findings.push(finding);
        }
        endpoints.push(endpoint);
    }
    if let Some(sumdb) = &plan.sumdb {
        let role = format!("checksum database {}", sumdb.name);
        if let Some(url) = &sumdb.url {
            let planned = Planned {
                role: format!("{role} (GOSUMDB URL)"),
                url: format!("{}/latest", url.trim_end_matches('/')),
                kind: Kind::Sumdb,
            };
            let (endpoint, mut found) = probe(config, &planned, roots, options).await;
            endpoints.push(endpoint);
            findings.append(&mut found);
            return;
        }
        for (i, (proxy, any_error)) in plan.proxies.iter().enumerate() {
            let planned = Planned {
                role: format!("{role} via GOPROXY entry {}", i + 1),
                url: format!(
                    "{}/sumdb/{}/supported",
                    proxy.trim_end_matches('/'),
                    sumdb.name
                ),
                kind: Kind::TargetUrl,
            };
            let (mut endpoint, mut found) = probe(config, &planned, roots, options).await;
            match endpoint.http_status {
                Some(200) => {
                    found.push(Finding::new(
                        "sumdb.route",
                        Severity::Ok,
                        role.clone(),
                        format!("reached through GOPROXY entry {} ({proxy})", i + 1),
                    ));
                    endpoints.push(endpoint);
                    findings.append(&mut found);
                    return;
                }
                Some(404 | 410) => {
                    // Not-found: Go tries the next entry; not a problem.
                    endpoint.usable = true;
                    found.retain(|f| f.severity != Severity::Error);
                    found.push(Finding::new(
                        "sumdb.not_proxied",
                        Severity::Info,
                        role.clone(),
                        format!("GOPROXY entry {} does not proxy the checksum database; Go tries the next entry", i + 1),
                    ));
                    endpoints.push(endpoint);
                    findings.append(&mut found);
                }
                _ => {
                    endpoints.push(endpoint);
                    findings.append(&mut found);
                    if !any_error {
                        findings.push(
                            Finding::new(
                                "sumdb.unavailable",
                                Severity::Error,
                                role.clone(),
                                format!("GOPROXY entry {} failed for the checksum database and is followed by `,`: Go does not fall back, so verification fails", i + 1),
                            )
                            .fix("Fix the proxy (see above), or set GOSUMDB=\"<key> <url>\" to reach the database directly"),
                        );
                        return;
                    }
                }
            }
        }
        let planned = Planned {
            role: format!("{role} (direct)"),
            url: format!("https://{}/latest", sumdb.name),
            kind: Kind::Sumdb,
        };
        let (endpoint, mut found) = probe(config, &planned, roots, options).await;
        endpoints.push(endpoint);
        findings.append(&mut found);
    }
}

/// Probes one endpoint.
pub async fn probe(
    config: &Config,
    planned: &Planned,
    roots: &LoadedRoots,
    options: &ProbeOptions,
) -> (Endpoint, Vec<Finding>) {
    let mut endpoint = Endpoint {
        role: planned.role.clone(),
        url: planned.url.clone(),
        via_proxy: None,
        addresses: Vec::new(),
        chain: Vec::new(),
        anchor: None,
        http_status: None,
        usable: false,
    };
    let mut findings = Vec::new();
    let subject = format!("{} {}", planned.role, planned.url);
    let url = match Url::parse(&planned.url) {
        Ok(url) => url,
        Err(err) => {
            findings.push(Finding::new(
                "endpoint.bad_url",
                Severity::Error,
                subject,
                format!("invalid URL: {err}"),
            ));
            return (endpoint, findings);
        }
    };
    if url.scheme() == "file" {
        let exists = url.to_file_path().is_ok_and(|p| p.exists());
        endpoint.usable = exists;
        findings.push(if exists {
            Finding::new(
                "endpoint.ok",
                Severity::Ok,
                subject,
                "local directory exists",
            )
        } else {
            Finding::new(
                "endpoint.file_missing",
                Severity::Error,
                subject,
                "the file:// proxy directory does not exist",
            )
        });
        return (endpoint, findings);
    }
    let Some(host) = url
        .host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_owned())
    else {
        findings.push(Finding::new(
            "endpoint.bad_url",
            Severity::Error,
            subject,
            "URL has no host",
        ));
        return (endpoint, findings);
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let https = url.scheme() == "https";

    let proxy = choose_proxy(config, &url, &host);
    let stream: Box<dyn Stream> = match &proxy {
        Some(proxy_url) => {
            endpoint.via_proxy = Some(redacted(proxy_url));
            match connect_via_proxy(
                proxy_url,
                &host,
                port,
                https,
                options,
                &subject,
                &mut endpoint,
            )
            .await
            {
                Ok(stream) => stream,
                Err(finding) => {
                    findings.push(*finding);
                    return (endpoint, findings);
                }
            }
        }
        None => match connect(&host, port, options, &subject, &mut endpoint).await {
            Ok(stream) => Box::new(stream),
            Err(finding) => {
                findings.push(*finding);
                return (endpoint, findings);
            }
        },
    };

    let mut stream: Box<dyn Stream> = if https {
        let recorder = Recorder::new();
        let mut client = match tls::recording_client_config(roots, recorder.clone()) {
            Ok(config) => config,
            Err(err) => {
                findings.push(Finding::new(
                    "tls.setup",
                    Severity::Error,
                    subject,
                    err.to_string(),
                ));
                return (endpoint, findings);
            }
        };
        client.alpn_protocols = vec![b"http/1.1".to_vec()];
        let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
        let Ok(server_name) = ServerName::try_from(host.clone()) else {
            findings.push(Finding::new(
                "endpoint.bad_url",
                Severity::Error,
                subject,
                format!("invalid server name {host:?}"),
            ));
            return (endpoint, findings);
        };
        let result =
            tokio::time::timeout(options.timeout, connector.connect(server_name, stream)).await;
        let recording = recorder.take();
        if let Some(recording) = &recording {
            endpoint.chain = recording
                .chain
                .iter()
                .filter_map(|der| CertSummary::from_der(der).ok())
                .collect();
        }
        match result {
            Ok(Ok(tls_stream)) => {
                endpoint.anchor = anchor_of(&endpoint.chain, roots);
                Box::new(tls_stream)
            }
            Ok(Err(err)) => {
                let failure = recording
                    .and_then(|r| r.outcome.err())
                    .or_else(|| tls::classify_error(&err))
                    .unwrap_or_else(|| TlsFailure::Other {
                        detail: err.to_string(),
                    });
                let mut finding = tlsadvice::failure_finding(&failure, &endpoint, roots, &host);
                finding.subject = subject.clone();
                if matches!(failure, TlsFailure::NotTls { .. })
                    && speaks_plain_http(&host, port, options).await
                {
                    finding = finding
                        .detail("The server answers plain HTTP on this port (Go: http: server gave HTTP response to HTTPS client)")
                        .fix(format!("Use http://{host}:{port}/… if that is intended (proxies may be plain HTTP), or the server's TLS port"));
                }
                if endpoint.via_proxy.is_some() && failure.is_certificate_failure() {
                    finding = finding.detail("The connection went through the HTTP proxy; the certificate may be the proxy's, not the server's");
                }
                findings.push(finding);
                return (endpoint, findings);
            }
            Err(_) => {
                findings.push(
                    Finding::new("tls.timeout", Severity::Error, subject, format!("TLS handshake timed out after {}s", options.timeout.as_secs()))
                        .detail("net/http: TLS handshake timeout")
                        .fix("The port accepts connections but does not complete TLS: check the URL's port and any firewall or proxy"),
                );
                return (endpoint, findings);
            }
        }
    } else {
        stream
    };

    let target = if proxy.is_some() && !https {
        planned.url.clone()
    } else {
        let mut path = url.path().to_owned();
        if let Some(q) = url.query() {
            path.push('?');
            path.push_str(q);
        }
        path
    };
    let host_header = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or(&host)),
        None => url.host_str().unwrap_or(&host).to_owned(),
    };
    let mut request = format!(
        "GET {target} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: gomodfetch-doctor\r\nAccept-Encoding: identity\r\nConnection: close\r\n"
    );
    if proxy.is_some()
        && !https
        && let Some(auth) = proxy.as_ref().and_then(proxy_authorization)
    {
        request.push_str(&format!("Proxy-Authorization: {auth}\r\n"));
    }
    request.push_str("\r\n");
    let status = tokio::time::timeout(options.timeout, async {
        stream.write_all(request.as_bytes()).await.ok()?;
        read_status(&mut stream).await
    })
    .await
    .ok()
    .flatten();
    let Some(status) = status else {
        findings.push(Finding::new(
            "http.no_response",
            Severity::Error,
            subject,
            "no HTTP response (connection closed, garbage, or timed out)",
        ));
        return (endpoint, findings);
    };
    endpoint.http_status = Some(status);
    let (severity, code, summary, fix) = judge_status(planned, status, proxy.is_some() && !https);
    endpoint.usable = severity != Severity::Error;
    let mut finding = Finding::new(code, severity, subject, summary);
    if let Some(anchor) = &endpoint.anchor {
        finding = finding.detail(format!(
            "certificate chain trusted through `{}` from {}",
            anchor.subject, anchor.source
        ));
    }
    if let Some(fix) = fix {
        finding = finding.fix(fix);
    }
    findings.push(finding);
    (endpoint, findings)
}

fn judge_status(
    planned: &Planned,
    status: u16,
    through_http_proxy: bool,
) -> (Severity, &'static str, String, Option<String>) {
    match status {
        407 => (
            Severity::Error,
            "proxy.auth_required",
            "the HTTP proxy answered 407 Proxy Authentication Required".to_owned(),
            Some("Put credentials in the proxy URL: HTTP_PROXY=http://user:password@host:port".to_owned()),
        ),
        401 | 403 => (
            Severity::Error,
            "http.unauthorized",
            format!("HTTP {status}: the server wants credentials"),
            Some("Add a `machine <host> login <user> password <token>` line to ~/.netrc (or $NETRC); Go sends credentials only over https".to_owned()),
        ),
        404 | 410 => match planned.kind {
            Kind::TargetViaProxy => (Severity::Info, "target.not_found", format!("HTTP {status}: this proxy does not have the module; Go tries the next GOPROXY entry"), None),
            Kind::Sumdb => (
                Severity::Error,
                "sumdb.not_found",
                format!("HTTP {status}: no checksum database answers at this URL (its signed tree head, /latest)"),
                Some("Check GOSUMDB; for private modules use GOPRIVATE/GONOSUMDB rather than a database that does not exist".to_owned()),
            ),
            Kind::TargetDirect { .. } => (Severity::Warning, "target.not_found", format!("HTTP {status} for the ?go-get=1 discovery page"), Some("Check the module path; private hosts may need credentials in ~/.netrc".to_owned())),
            // Reaching a proxy's base URL proves the connection; many answer 404 there.
            _ => (Severity::Ok, "endpoint.ok", format!("reachable (HTTP {status} at this URL)"), None),
        },
        200..=399 => (Severity::Ok, "endpoint.ok", format!("reachable (HTTP {status})"), None),
        _ if through_http_proxy && status >= 500 => (
            Severity::Error,
            "proxy.failing",
            format!("HTTP {status} through the HTTP proxy"),
            Some("The HTTP proxy or the server fails; check HTTP_PROXY and NO_PROXY".to_owned()),
        ),
        _ => (
            if status >= 500 { Severity::Error } else { Severity::Warning },
            "http.status",
            format!("HTTP {status}"),
            None,
        ),
    }
}

fn anchor_of(chain: &[CertSummary], roots: &LoadedRoots) -> Option<Anchor> {
    let top = chain.last()?;
    let trusted = roots
        .find_by_fingerprint(&top.sha256)
        .or_else(|| roots.find_issuer_of(top))?;
    Some(Anchor {
        subject: trusted.summary.subject.clone(),
        sha256: trusted.summary.sha256.clone(),
        source: format!(
            "{} ({})",
            trusted.source.display(),
            origin_text(trusted.origin)
        ),
    })
}

pub(crate) fn origin_text(origin: tls::Origin) -> &'static str {
    match origin {
        tls::Origin::SslCertFile => "SSL_CERT_FILE",
        tls::Origin::DefaultFile => "default bundle",
        tls::Origin::SslCertDir => "SSL_CERT_DIR",
        tls::Origin::DefaultDir => "default directory",
        tls::Origin::CaCert => "--cacert",
    }
}

/// Go's `ProxyFromEnvironment`: HTTPS_PROXY for https, HTTP_PROXY for http,
/// never for loopback, not for NO_PROXY hosts.
fn choose_proxy(config: &Config, url: &Url, host: &str) -> Option<Url> {
    let value = if url.scheme() == "https" {
        &config.https_proxy
    } else {
        &config.http_proxy
    };
    let value = value.as_deref()?;
    if is_loopback(host)
        || no_proxy_matches(
            config.no_proxy.as_deref().unwrap_or(""),
            host,
            url.port_or_known_default(),
        )
    {
        return None;
    }
    let text = if value.contains("://") {
        value.to_owned()
    } else {
        format!("http://{value}")
    };
    Url::parse(&text).ok()
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// x/net/http/httpproxy `useProxy` (simplified: no CIDR).
fn no_proxy_matches(no_proxy: &str, host: &str, port: Option<u16>) -> bool {
    let host = host.to_ascii_lowercase();
    for entry in no_proxy
        .split([',', ' '])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        if entry == "*" {
            return true;
        }
        let (name, entry_port) = match entry.rsplit_once(':') {
            Some((n, p)) if p.parse::<u16>().is_ok() && !n.contains(':') => {
                (n, p.parse::<u16>().ok())
            }
            _ => (entry, None),
        };
        if entry_port.is_some() && entry_port != port {
            continue;
        }
        let name = name.to_ascii_lowercase();
        let bare = name.trim_start_matches('.').trim_start_matches("*.");
        if host == bare || host.ends_with(&format!(".{bare}")) {
            return true;
        }
    }
    false
}

async fn connect(
    host: &str,
    port: u16,
    options: &ProbeOptions,
    subject: &str,
    endpoint: &mut Endpoint,
) -> Result<TcpStream, Box<Finding>> {
    let addrs: Vec<SocketAddr> = match tokio::time::timeout(
        options.timeout,
        tokio::net::lookup_host((host, port)),
    )
    .await
    {
        Ok(Ok(addrs)) => addrs.collect(),
        Ok(Err(err)) => {
            return Err(Box::new(
                Finding::new("net.dns", Severity::Error, subject, format!("DNS lookup of `{host}` failed: {err}"))
                    .detail(format!("Go: dial tcp: lookup {host}: no such host"))
                    .fix("Check the host name; behind a corporate network the name may only resolve through the HTTP proxy: set HTTPS_PROXY"),
            ));
        }
        Err(_) => {
            return Err(Box::new(
                Finding::new(
                    "net.dns",
                    Severity::Error,
                    subject,
                    format!("DNS lookup of `{host}` timed out"),
                )
                .fix("Check /etc/resolv.conf and the network"),
            ));
        }
    };
    endpoint.addresses = addrs.iter().map(|a| a.ip().to_string()).collect();
    let Some(addr) = addrs.first().copied() else {
        return Err(Box::new(Finding::new(
            "net.dns",
            Severity::Error,
            subject,
            format!("`{host}` resolved to no address"),
        )));
    };
    match tokio::time::timeout(options.timeout, TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(err)) if err.kind() == std::io::ErrorKind::ConnectionRefused => Err(Box::new(
            Finding::new(
                "net.refused",
                Severity::Error,
                subject,
                format!("connection to {addr} refused"),
            )
            .detail(format!("Go: dial tcp {addr}: connect: connection refused"))
            .fix("Nothing listens there: check the URL's host and port, and that the service runs"),
        )),
        Ok(Err(err)) => Err(Box::new(
            Finding::new(
                "net.connect",
                Severity::Error,
                subject,
                format!("connecting to {addr} failed: {err}"),
            )
            .fix("Check the network path; a firewall may require the HTTP proxy (HTTPS_PROXY)"),
        )),
        Err(_) => Err(Box::new(
            Finding::new(
                "net.timeout",
                Severity::Error,
                subject,
                format!(
                    "connecting to {addr} timed out after {}s",
                    options.timeout.as_secs()
                ),
            )
            .detail(format!("Go: dial tcp {addr}: i/o timeout"))
            .fix("A firewall may drop direct connections: set HTTPS_PROXY to your HTTP proxy"),
        )),
    }
}

async fn connect_via_proxy(
    proxy: &Url,
    host: &str,
    port: u16,
    https: bool,
    options: &ProbeOptions,
    subject: &str,
    endpoint: &mut Endpoint,
) -> Result<Box<dyn Stream>, Box<Finding>> {
    let proxy_subject = format!("{subject} (HTTP proxy {})", redacted(proxy));
    if proxy.scheme() != "http" {
        return Err(Box::new(Finding::new(
            "proxy.unsupported",
            Severity::Warning,
            proxy_subject,
            format!(
                "doctor probes only http:// proxies, not {}://",
                proxy.scheme()
            ),
        )));
    }
    let proxy_host = proxy.host_str().unwrap_or("").to_owned();
    let proxy_port = proxy.port_or_known_default().unwrap_or(80);
    let mut scratch = endpoint.clone();
    let mut stream = connect(&proxy_host, proxy_port, options, &proxy_subject, &mut scratch)
        .await
        .map_err(|finding| {
            let mut finding = *finding;
            finding.code = format!("proxy.{}", finding.code.trim_start_matches("net."));
            finding.summary = format!("the HTTP proxy is unreachable: {}", finding.summary);
            finding.fix = vec!["Check HTTPS_PROXY / HTTP_PROXY, or add the host to NO_PROXY if it must be reached directly".to_owned()];
            Box::new(finding)
        })?;
    if !https {
        return Ok(Box::new(stream));
    }
    let mut request = format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n");
    if let Some(auth) = proxy_authorization(proxy) {
        request.push_str(&format!("Proxy-Authorization: {auth}\r\n"));
    }
    request.push_str("\r\n");
    let status = tokio::time::timeout(options.timeout, async {
        stream.write_all(request.as_bytes()).await.ok()?;
        read_status(&mut stream).await
    })
    .await
    .ok()
    .flatten();
    match status {
        Some(200) => Ok(Box::new(stream)),
        Some(407) => Err(Box::new(
            Finding::new("proxy.auth_required", Severity::Error, proxy_subject, "the HTTP proxy answered 407 Proxy Authentication Required to CONNECT")
                .detail("Go: proxyconnect tcp: Proxy Authentication Required")
                .fix("Put credentials in the proxy URL: HTTPS_PROXY=http://user:password@host:port"),
        )),
        Some(code) => Err(Box::new(
            Finding::new("proxy.connect_refused", Severity::Error, proxy_subject, format!("the HTTP proxy refused CONNECT {host}:{port} with HTTP {code}"))
                .fix("The proxy does not allow this host or port; ask for it to be allowed, or add the host to NO_PROXY if it is reachable directly"),
        )),
        None => Err(Box::new(
            Finding::new("proxy.no_response", Severity::Error, proxy_subject, "the HTTP proxy did not answer CONNECT")
                .fix("Check that HTTPS_PROXY points at an HTTP proxy (not a SOCKS or TLS port)"),
        )),
    }
}

fn proxy_authorization(proxy: &Url) -> Option<String> {
    if proxy.username().is_empty() {
        return None;
    }
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let user = decode(proxy.username());
    let password = decode(proxy.password().unwrap_or(""));
    Some(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    ))
}

fn redacted(url: &Url) -> String {
    let mut url = url.clone();
    if url.password().is_some() {
        let _ = url.set_password(Some("xxxxx"));
    }
    url.to_string()
}

/// Reads an HTTP status line and the headers; returns the status code.
async fn read_status<S: AsyncRead + Unpin + ?Sized>(stream: &mut S) -> Option<u16> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&buf);
    let line = text.lines().next()?;
    let mut parts = line.split_whitespace();
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    parts.next()?.parse().ok()
}

/// Whether `host:port` answers a plain HTTP request.
async fn speaks_plain_http(host: &str, port: u16, options: &ProbeOptions) -> bool {
    let attempt = async {
        let mut stream = TcpStream::connect((host, port)).await.ok()?;
        stream
            .write_all(format!("GET / HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes())
            .await
            .ok()?;
        let mut buf = [0u8; 5];
        stream.read_exact(&mut buf).await.ok()?;
        Some(&buf == b"HTTP/")
    };
    tokio::time::timeout(options.timeout.min(Duration::from_secs(5)), attempt)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}
