//! Trust as Go builds it on Linux (system roots, SSL_CERT_FILE, SSL_CERT_DIR;
//! crypto/x509 root_unix.go, root_linux.go) and the classification of TLS
//! failures in Go's x509 wording (crypto/x509 verify.go, crypto/tls).
//!
//! Contract used by `net::client`:
//! - [`TrustOptions`] in (from `Settings`: SSL_CERT_FILE, SSL_CERT_DIR,
//!   `--cacert`);
//! - [`client_config`] out: a rustls `ClientConfig` (ring provider, ALPN h2 +
//!   http/1.1 like Go's default transport) whose verifier checks in Go's
//!   order and records Go's failure text; hand it to reqwest's
//!   `use_preconfigured_tls`. [`root_store`] alone is still available.
//! - [`describe_error`] turns any error chain (e.g. a `reqwest::Error`) into
//!   Go's words, `tls: failed to verify certificate: x509: …`, for the
//!   fetch error (`Get "<url>": <that>`); [`classify_error`] gives the typed
//!   [`TlsFailure`].
//!
//! Root loading never fails the run on its own (as in Go, an empty or
//! unreadable store fails each verification instead, so `file://` proxies
//! keep working); only an unreadable `--cacert` file is an error.

mod cert;
mod failure;
mod roots;
mod verify;

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, RootCertStore};

pub use cert::{CertSummary, ParseError, fingerprint, format_unix};
pub use failure::{AuthorityHint, TlsFailure, classify_error, describe_error, from_rustls};
pub use roots::{
    DEFAULT_CERT_DIRS, DEFAULT_CERT_FILES, LoadedRoots, Origin, SourceReport, SourceStatus,
    TrustedCert, load as load_roots, pem_blocks,
};
pub use verify::{GoVerifier, Recorder, Recording};

/// Where trusted certificates come from, as resolved from the environment
/// and the command line.
#[derive(Debug, Clone, Default)]
pub struct TrustOptions {
    /// `SSL_CERT_FILE`, when set and non-empty.
    pub ssl_cert_file: Option<PathBuf>,
    /// `SSL_CERT_DIR` as given (colon-separated), when set and non-empty.
    pub ssl_cert_dir: Option<String>,
    /// Extra bundles from `--cacert`.
    pub extra_ca_files: Vec<PathBuf>,
}

/// A failure to build the trust store.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Kept for the first contract; [`root_store`] no longer returns it
    /// (Go fails per connection instead, see the module doc).
    #[error("No trusted certificates found (looked in {searched})")]
    NoRoots { searched: String },
    #[error("Failed to read the CA bundle `{}` given by --cacert", path.display())]
    CaCert {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("The CA bundle `{}` given by --cacert holds no usable certificate{}", path.display(), if skipped.is_empty() { String::new() } else { format!(" ({skipped})") })]
    CaCertEmpty { path: PathBuf, skipped: String },
    #[error("Failed to set up TLS")]
    Setup(#[source] rustls::Error),
}

/// Builds the root store that every TLS connection of the run trusts, by
/// Go's rules (see `roots`). May be empty.
pub fn root_store(options: &TrustOptions) -> Result<RootCertStore, TlsError> {
    Ok(load_roots(options)?.store)
}

/// The crypto provider of every connection (ring, as Cargo.toml selects).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The TLS client configuration of a run: Go's trust rules, Go's check
/// order, Go's failure texts. Hand it to `reqwest::ClientBuilder::
/// use_preconfigured_tls`.
pub fn client_config(options: &TrustOptions) -> Result<ClientConfig, TlsError> {
    let roots = load_roots(options)?;
    config_with(&roots, None, false)
}

/// A configuration that accepts any certificate: only for direct-mode
/// discovery of module paths matching GOINSECURE (spec §4.2, §6.2). Never
/// for proxies or the checksum database.
pub fn insecure_client_config() -> Result<ClientConfig, TlsError> {
    let empty = LoadedRoots {
        store: RootCertStore::empty(),
        certs: Vec::new(),
        sources: Vec::new(),
        first_error: None,
    };
    config_with(&empty, None, true)
}

/// A configuration over already loaded roots whose verifier leaves each
/// handshake's chain and outcome in `recorder` (doctor).
pub fn recording_client_config(
    roots: &LoadedRoots,
    recorder: Recorder,
) -> Result<ClientConfig, TlsError> {
    config_with(roots, Some(recorder), false)
}

fn config_with(
    roots: &LoadedRoots,
    recorder: Option<Recorder>,
    insecure: bool,
) -> Result<ClientConfig, TlsError> {
    let provider = provider();
    let inner = if roots.store.is_empty() {
        None
    } else {
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots.store.clone()), provider.clone())
            .build()
            .ok()
    };
    let verifier = GoVerifier::new(
        inner,
        roots.system_roots_error().map(str::to_owned),
        provider.clone(),
        recorder,
        insecure,
    );
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Setup)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
