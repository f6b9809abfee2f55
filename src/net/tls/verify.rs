//! `GoVerifier`: a rustls server-certificate verifier that checks in Go's
//! order (crypto/x509 verify.go `Verify`: roots loaded → leaf validity period
//! → host name → chain building) so the *first* failure reported is the one
//! Go reports, with the details rustls alone would lose (dates, names, the
//! presented chain). Chain building and signatures are webpki's.
//!
//! Optionally it records each connection's presented chain and outcome in a
//! [`Recorder`] (doctor's own handshakes), even when verification fails.

use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

use super::cert::CertSummary;
use super::failure::{TlsFailure, from_rustls};

/// What one handshake presented and how verification ended.
#[derive(Debug, Clone)]
pub struct Recording {
    /// The server name the client asked for.
    pub server_name: String,
    /// Every certificate the server sent, leaf first (DER).
    pub chain: Vec<CertificateDer<'static>>,
    /// `Ok` when the chain was accepted.
    pub outcome: Result<(), TlsFailure>,
}

/// Shared slot where a verifier leaves its last [`Recording`].
#[derive(Debug, Default, Clone)]
pub struct Recorder(Arc<Mutex<Option<Recording>>>);

impl Recorder {
    pub fn new() -> Self {
        Self::default()
    }

    /// The last recording, if a certificate was presented.
    pub fn take(&self) -> Option<Recording> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }

    fn put(&self, recording: Recording) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(recording);
        }
    }
}

/// The verifier every gomodfetch TLS connection uses.
#[derive(Debug)]
pub struct GoVerifier {
    /// webpki over the loaded roots; `None` when the store is empty.
    inner: Option<Arc<WebPkiServerVerifier>>,
    /// Go's SystemRootsError detail (no roots, and an error explains why).
    roots_error: Option<String>,
    provider: Arc<CryptoProvider>,
    recorder: Option<Recorder>,
    /// Accept any chain (GOINSECURE direct-mode discovery); still records.
    insecure: bool,
}

impl GoVerifier {
    pub(crate) fn new(
        inner: Option<Arc<WebPkiServerVerifier>>,
        roots_error: Option<String>,
        provider: Arc<CryptoProvider>,
        recorder: Option<Recorder>,
        insecure: bool,
    ) -> Self {
        Self {
            inner,
            roots_error,
            provider,
            recorder,
            insecure,
        }
    }

    fn check(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<(), TlsFailure> {
        let leaf = CertSummary::from_der(end_entity)
            .map_err(|err| TlsFailure::Malformed { detail: err.detail })?;
        if self.insecure {
            return Ok(());
        }
        if let Some(detail) = &self.roots_error {
            return Err(TlsFailure::NoRoots {
                detail: detail.clone(),
            });
        }
        let now_secs = now.as_secs() as i64;
        check_validity(&leaf, now_secs)?;
        check_name(end_entity, &leaf, server_name)?;
        let chain: Vec<CertSummary> = intermediates
            .iter()
            .filter_map(|der| CertSummary::from_der(der).ok())
            .collect();
        let Some(inner) = &self.inner else {
            return Err(unknown_authority(&leaf, &chain, now_secs));
        };
        match inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Ok(_) => Ok(()),
            Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer
                | CertificateError::Expired
                | CertificateError::ExpiredContext { .. }
                | CertificateError::NotValidYet
                | CertificateError::NotValidYetContext { .. }
                | CertificateError::BadSignature
                | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
                | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. },
            )) => Err(unknown_authority(&leaf, &chain, now_secs)),
            Err(other) => Err(from_rustls(&other)),
        }
    }
}

/// Go's `isValid` time check for one certificate.
fn check_validity(cert: &CertSummary, now: i64) -> Result<(), TlsFailure> {
    if now < cert.not_before {
        return Err(TlsFailure::NotYetValid {
            subject: cert.subject.clone(),
            now,
            not_before: cert.not_before,
        });
    }
    if now > cert.not_after {
        return Err(TlsFailure::Expired {
            subject: cert.subject.clone(),
            now,
            not_after: cert.not_after,
        });
    }
    Ok(())
}

/// The host-name check (webpki's matching, Go's message).
fn check_name(
    der: &CertificateDer<'_>,
    leaf: &CertSummary,
    server_name: &ServerName<'_>,
) -> Result<(), TlsFailure> {
    let parsed =
        rustls::server::ParsedCertificate::try_from(der).map_err(|err| TlsFailure::Malformed {
            detail: err.to_string(),
        })?;
    if rustls::client::verify_server_name(&parsed, server_name).is_ok() {
        return Ok(());
    }
    let host = server_name.to_str().into_owned();
    let is_ip = matches!(server_name, ServerName::IpAddress(_));
    let valid_for = if is_ip {
        leaf.ip_addresses.iter().map(ToString::to_string).collect()
    } else {
        leaf.dns_names.clone()
    };
    let legacy_common_name = !leaf.has_san
        && leaf
            .common_name
            .as_deref()
            .is_some_and(|cn| cn.eq_ignore_ascii_case(host.trim_end_matches('.')));
    Err(TlsFailure::NameMismatch {
        valid_for,
        host,
        legacy_common_name,
    })
}

/// Classifies a chain that leads to no trusted root, as Go's `buildChains`
/// reports it: when a presented issuer has a valid signature but is outside
/// its validity period, Go returns that certificate's own expiry error (the
/// named return `err` keeps the last candidate's `isValid` error); otherwise
/// `signed by unknown authority`.
fn unknown_authority(leaf: &CertSummary, chain: &[CertSummary], now: i64) -> TlsFailure {
    if chain.is_empty() {
        if leaf.is_self_signed() {
            return TlsFailure::SelfSigned {
                subject: leaf.subject.clone(),
            };
        }
        return TlsFailure::MissingIntermediate {
            issuer: leaf.issuer.clone(),
        };
    }
    // Walk up the presented chain as far as issuers are present.
    let mut top = leaf;
    for _ in 0..chain.len() {
        let Some(next) = chain
            .iter()
            .find(|c| top.is_issued_by(c) && !std::ptr::eq(*c, top))
        else {
            break;
        };
        if let Err(expired) = check_validity(next, now) {
            return expired;
        }
        top = next;
        if top.is_self_signed() {
            break;
        }
    }
    TlsFailure::UnknownIssuer {
        issuer: top.issuer.clone(),
        root_sent: top.is_self_signed(),
        hint: None,
    }
}

impl ServerCertVerifier for GoVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let outcome = self.check(end_entity, intermediates, server_name, ocsp_response, now);
        if let Some(recorder) = &self.recorder {
            let mut chain = vec![end_entity.clone().into_owned()];
            chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
            recorder.put(Recording {
                server_name: server_name.to_str().into_owned(),
                chain,
                outcome: outcome.clone(),
            });
        }
        match outcome {
            Ok(()) => Ok(ServerCertVerified::assertion()),
            Err(failure) => Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                rustls::OtherError(Arc::new(failure)),
            ))),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
