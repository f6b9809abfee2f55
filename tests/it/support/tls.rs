//! Test PKI and loopback TLS servers: certificates generated at test time
//! with rcgen (root → intermediate → leaf, plus the broken variants doctor
//! must tell apart), and a TLS front on 127.0.0.1:0 that terminates TLS with
//! a chosen chain and forwards the bytes to a plain-HTTP backend (any
//! loopback server, e.g. a module proxy), or answers with garbage.

#![allow(dead_code, reason = "each test uses a part")]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A certificate with its key, in DER and PEM.
pub struct Issued {
    pub der: CertificateDer<'static>,
    pub pem: String,
    pub key: PrivatePkcs8KeyDer<'static>,
}

/// A CA that can issue certificates.
pub struct Ca {
    pub cert: Issued,
    issuer: CertifiedIssuer<'static, KeyPair>,
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn.push(DnType::OrganizationName, "gomodfetch test");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.use_authority_key_identifier_extension = true;
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(30);
    params.not_after = now + Duration::days(365);
    params
}

fn leaf_params(cn: &str, names: &[&str]) -> CertificateParams {
    let mut params =
        CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .expect("leaf params");
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(1);
    params.not_after = now + Duration::days(30);
    params
}

impl Ca {
    /// A self-signed root.
    pub fn root(cn: &str) -> Ca {
        let key = KeyPair::generate().expect("key");
        let key_der = PrivatePkcs8KeyDer::from(key.serialize_der());
        let issuer = CertifiedIssuer::self_signed(ca_params(cn), key).expect("root");
        Ca {
            cert: Issued {
                der: issuer.der().clone(),
                pem: issuer.pem(),
                key: key_der,
            },
            issuer,
        }
    }

    /// An intermediate CA signed by `self`; `validity` overrides its dates.
    pub fn intermediate(&self, cn: &str, validity: Option<(OffsetDateTime, OffsetDateTime)>) -> Ca {
        let key = KeyPair::generate().expect("key");
        let key_der = PrivatePkcs8KeyDer::from(key.serialize_der());
        let mut params = ca_params(cn);
        if let Some((from, to)) = validity {
            params.not_before = from;
            params.not_after = to;
        }
        let issuer = CertifiedIssuer::signed_by(params, key, &self.issuer).expect("intermediate");
        Ca {
            cert: Issued {
                der: issuer.der().clone(),
                pem: issuer.pem(),
                key: key_der,
            },
            issuer,
        }
    }

    /// A server certificate for `names` (DNS names or IP addresses).
    pub fn leaf(&self, names: &[&str]) -> Issued {
        self.leaf_with(names, None)
    }

    /// A server certificate whose common name is `cn` (not a host name, as
    /// intercepting proxies do) with `names` as SANs.
    pub fn leaf_named(&self, cn: &str, names: &[&str]) -> Issued {
        let key = KeyPair::generate().expect("key");
        let params = leaf_params(cn, names);
        let cert = params.signed_by(&key, &self.issuer).expect("leaf");
        Issued {
            der: cert.der().clone(),
            pem: cert.pem(),
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        }
    }

    /// A server certificate with chosen validity dates.
    pub fn leaf_with(
        &self,
        names: &[&str],
        validity: Option<(OffsetDateTime, OffsetDateTime)>,
    ) -> Issued {
        let key = KeyPair::generate().expect("key");
        let mut params = leaf_params(names.first().copied().unwrap_or("leaf"), names);
        if let Some((from, to)) = validity {
            params.not_before = from;
            params.not_after = to;
        }
        let cert = params.signed_by(&key, &self.issuer).expect("leaf");
        Issued {
            der: cert.der().clone(),
            pem: cert.pem(),
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        }
    }
}

/// A self-signed server certificate (no CA at all).
pub fn self_signed_leaf(names: &[&str]) -> Issued {
    let key = KeyPair::generate().expect("key");
    let params = leaf_params(names.first().copied().unwrap_or("leaf"), names);
    let cert = params.self_signed(&key).expect("self-signed");
    Issued {
        der: cert.der().clone(),
        pem: cert.pem(),
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
    }
}

/// The certificate cases of issue 6.
pub enum Case {
    /// root → intermediate → leaf for localhost and 127.0.0.1, full chain sent.
    Good,
    /// Same chain, leaf expired yesterday.
    Expired,
    /// Same chain, leaf valid only from tomorrow.
    NotYetValid,
    /// Same chain, leaf for other.example.com only.
    WrongHost,
    /// Leaf signed by the intermediate, but only the leaf is sent.
    LeafOnly,
    /// A self-signed leaf for localhost.
    SelfSigned,
    /// Full chain, intermediate expired.
    ExpiredIntermediate,
}

/// One test PKI: a root (what the client is told to trust), an
/// intermediate, and the chain a server presents for a case.
pub struct Pki {
    pub root: Ca,
    pub intermediate: Ca,
}

impl Pki {
    pub fn new() -> Pki {
        let root = Ca::root("gomodfetch test root");
        let intermediate = root.intermediate("gomodfetch test intermediate", None);
        Pki { root, intermediate }
    }

    /// The chain (leaf first) and key a server presents for `case`.
    pub fn chain(
        &self,
        case: &Case,
    ) -> (Vec<CertificateDer<'static>>, PrivatePkcs8KeyDer<'static>) {
        let now = OffsetDateTime::now_utc();
        let hosts = ["localhost", "127.0.0.1"];
        let with_intermediate =
            |leaf: Issued| (vec![leaf.der, self.intermediate.cert.der.clone()], leaf.key);
        match case {
            Case::Good => with_intermediate(self.intermediate.leaf(&hosts)),
            Case::Expired => with_intermediate(self.intermediate.leaf_with(
                &hosts,
                Some((now - Duration::days(30), now - Duration::days(1))),
            )),
            Case::NotYetValid => with_intermediate(self.intermediate.leaf_with(
                &hosts,
                Some((now + Duration::days(1), now + Duration::days(30))),
            )),
            Case::WrongHost => with_intermediate(self.intermediate.leaf(&["other.example.com"])),
            Case::LeafOnly => {
                let leaf = self.intermediate.leaf(&hosts);
                (vec![leaf.der], leaf.key)
            }
            Case::SelfSigned => {
                let leaf = self_signed_leaf(&hosts);
                (vec![leaf.der], leaf.key)
            }
            Case::ExpiredIntermediate => {
                let old = self.root.intermediate(
                    "gomodfetch test old intermediate",
                    Some((now - Duration::days(60), now - Duration::days(2))),
                );
                let leaf = old.leaf(&hosts);
                (vec![leaf.der, old.cert.der.clone()], leaf.key)
            }
        }
    }

    /// Writes the root as a PEM file and returns its path.
    pub fn write_root(&self, dir: &Path) -> PathBuf {
        let path = dir.join("root.pem");
        std::fs::write(&path, &self.root.cert.pem).expect("write root");
        path
    }
}

/// What the TLS front does after the handshake.
#[derive(Clone)]
pub enum Behind {
    /// Forward bytes to a plain-HTTP server.
    Forward(SocketAddr),
    /// Answer every request with these static files (path → body).
    Files(Arc<HashMap<String, Vec<u8>>>),
}

/// A loopback server. Dropping it stops it.
pub struct Server {
    pub addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Server {
    /// `https://localhost:<port>`.
    pub fn url_localhost(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url_ip(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Starts a TLS server presenting `chain` on 127.0.0.1:0.
pub fn start_tls(
    chain: Vec<CertificateDer<'static>>,
    key: PrivatePkcs8KeyDer<'static>,
    behind: Behind,
) -> Server {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(chain, PrivateKeyDer::Pkcs8(key))
    .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let rt = runtime();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    rt.spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let behind = behind.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                match behind {
                    Behind::Forward(backend) => {
                        if let Ok(mut plain) = TcpStream::connect(backend).await {
                            let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                        }
                    }
                    Behind::Files(files) => serve_files(&mut tls, &files).await,
                }
            });
        }
    });
    Server {
        addr,
        runtime: Some(rt),
    }
}

/// Starts a server on 127.0.0.1:0 that answers every connection with
/// `bytes` and closes (garbage instead of TLS, or a plain HTTP answer).
pub fn start_raw(bytes: &'static [u8]) -> Server {
    let rt = runtime();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    rt.spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                let _ = tcp.read(&mut buf).await;
                let _ = tcp.write_all(bytes).await;
                let _ = tcp.shutdown().await;
            });
        }
    });
    Server {
        addr,
        runtime: Some(rt),
    }
}

/// Starts an HTTP proxy on 127.0.0.1:0 that accepts every CONNECT and
/// tunnels it to `backend`, whatever host was asked for (with a TLS front
/// as backend: an intercepting proxy).
pub fn start_connect_proxy(backend: SocketAddr) -> Server {
    let rt = runtime();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    rt.spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match tcp.read(&mut buf).await {
                        Ok(1) => head.push(buf[0]),
                        _ => return,
                    }
                }
                if !head.starts_with(b"CONNECT ") {
                    let _ = tcp
                        .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                        .await;
                    return;
                }
                let _ = tcp
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await;
                if let Ok(mut up) = TcpStream::connect(backend).await {
                    let _ = tokio::io::copy_bidirectional(&mut tcp, &mut up).await;
                }
            });
        }
    });
    Server {
        addr,
        runtime: Some(rt),
    }
}

/// A minimal HTTP/1.1 file server over any stream: one request per
/// connection, `200` with the body or `404`.
async fn serve_files<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    stream: &mut S,
    files: &HashMap<String, Vec<u8>>,
) {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let Ok(n) = stream.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        request.extend_from_slice(&buf[..n]);
        if request.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let text = String::from_utf8_lossy(&request);
    let path = text
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .split('?')
        .next()
        .unwrap_or("/")
        .to_owned();
    let response = match files.get(&path) {
        Some(body) => {
            let mut out = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            out.extend_from_slice(body);
            out
        }
        None => b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\nConnection: close\r\n\r\nnot found\n".to_vec(),
    };
    let _ = stream.write_all(&response).await;
    let _ = stream.shutdown().await;
}

/// The files of a one-module proxy: `example.com/tlsmod@v1.0.0` with a
/// go.mod and one Go file, served under `/example.com/tlsmod/@v/…`.
pub fn module_files() -> Arc<HashMap<String, Vec<u8>>> {
    let module = "example.com/tlsmod";
    let version = "v1.0.0";
    let gomod = format!("module {module}\n\ngo 1.21\n");
    let mut zip_bytes = Vec::new();
    {
        use std::io::Write as _;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut zip_bytes));
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file(format!("{module}@{version}/go.mod"), options)
            .expect("zip");
        zip.write_all(gomod.as_bytes()).expect("zip");
        zip.start_file(format!("{module}@{version}/tlsmod.go"), options)
            .expect("zip");
        zip.write_all(b"package tlsmod\n").expect("zip");
        zip.finish().expect("zip");
    }
    let base = format!("/{module}/@v");
    let mut files = HashMap::new();
    files.insert(format!("{base}/list"), format!("{version}\n").into_bytes());
    files.insert(
        format!("{base}/{version}.info"),
        format!("{{\"Version\":\"{version}\",\"Time\":\"2024-01-01T00:00:00Z\"}}").into_bytes(),
    );
    files.insert(format!("{base}/{version}.mod"), gomod.into_bytes());
    files.insert(format!("{base}/{version}.zip"), zip_bytes);
    // Stands in for a checksum database's signed tree head (doctor only
    // checks that something answers there).
    files.insert(
        "/latest".to_owned(),
        b"go.sum database tree\n1\n\n".to_vec(),
    );
    Arc::new(files)
}
