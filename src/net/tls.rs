//! Trust as Go builds it on Linux (system roots, SSL_CERT_FILE, SSL_CERT_DIR)
//! and the classification of TLS failures in Go's x509 wording.
//!
//! Contract used by `net::client`: [`TrustOptions`] in, [`root_store`] out.
//! (First version: SSL_CERT_FILE or the system bundle only; the full Go rules
//! of spec/fetch-protocol.md §6 replace it.)

use std::path::PathBuf;

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

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
    #[error("No trusted certificates found (looked in {searched})")]
    NoRoots { searched: String },
}

/// Go's default system bundle locations on Linux (crypto/x509 root_linux.go).
const CERT_FILES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// Builds the root store that every TLS connection of the run trusts.
pub fn root_store(options: &TrustOptions) -> Result<RootCertStore, TlsError> {
    let mut store = RootCertStore::empty();
    let files: Vec<PathBuf> = match &options.ssl_cert_file {
        Some(file) => vec![file.clone()],
        None => CERT_FILES.iter().map(PathBuf::from).collect(),
    };
    for file in files.iter().chain(&options.extra_ca_files) {
        if let Ok(certs) = CertificateDer::pem_file_iter(file) {
            for cert in certs.flatten() {
                let _ = store.add(cert);
            }
        }
    }
    if store.is_empty() {
        return Err(TlsError::NoRoots {
            searched: files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(store)
}
