//! `TlsFailure`: why a TLS connection was refused, classified for doctor and
//! displayed in Go's crypto/x509 words (verify.go `UnknownAuthorityError`,
//! `CertificateInvalidError`, `HostnameError`, `SystemRootsError`) so users
//! can search for the text. [`describe_error`] finds one in any error chain
//! (reqwest → hyper → io::Error → rustls::Error → our verifier's failure).

use std::error::Error as StdError;
use std::net::IpAddr;

use rustls::CertificateError;
use serde::Serialize;

use super::cert::format_unix;

/// A TLS failure, classified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TlsFailure {
    /// The chain does not lead to a trusted root. `issuer` names the issuer
    /// of the topmost certificate the server sent.
    #[error("x509: certificate signed by unknown authority{}", hint_text(hint))]
    UnknownIssuer {
        issuer: String,
        /// Whether the server sent its root too (typical of intercepting
        /// proxies, which send their own CA).
        root_sent: bool,
        hint: Option<AuthorityHint>,
    },
    /// The server sent only its leaf, whose issuer is neither sent nor
    /// trusted: a missing intermediate (or an untrusted CA that signs leaves
    /// directly). Go's words are the same as for an unknown authority.
    #[error("x509: certificate signed by unknown authority")]
    MissingIntermediate { issuer: String },
    /// The leaf is self-signed and not trusted.
    #[error("x509: certificate signed by unknown authority")]
    SelfSigned { subject: String },
    /// The leaf's notAfter is in the past (Unix seconds).
    #[error(
        "x509: certificate has expired or is not yet valid: current time {} is after {}",
        format_unix(*now),
        format_unix(*not_after)
    )]
    Expired {
        subject: String,
        now: i64,
        not_after: i64,
    },
    /// The leaf's notBefore is in the future (Unix seconds).
    #[error(
        "x509: certificate has expired or is not yet valid: current time {} is before {}",
        format_unix(*now),
        format_unix(*not_before)
    )]
    NotYetValid {
        subject: String,
        now: i64,
        not_before: i64,
    },
    /// The leaf is not valid for the host. `valid_for` holds the IP SANs
    /// when `host` is an IP address, else the DNS SANs (as Go lists them).
    #[error("{}", name_mismatch_text(host, valid_for, *legacy_common_name))]
    NameMismatch {
        valid_for: Vec<String>,
        host: String,
        /// The leaf has no SAN extension and its CN matches the host.
        legacy_common_name: bool,
    },
    /// No trust store could be loaded and an error explains why.
    #[error("x509: failed to load system roots and no roots provided; {detail}")]
    NoRoots { detail: String },
    /// The server's certificate could not be parsed.
    #[error("x509: malformed certificate: {detail}")]
    Malformed { detail: String },
    /// The leaf may not be used for TLS server authentication.
    #[error("x509: certificate specifies an incompatible key usage")]
    IncompatibleUsage,
    /// The peer does not speak TLS (a plain HTTP server, or garbage).
    #[error("{detail}")]
    NotTls { detail: String },
    /// Any other TLS failure, in rustls's words.
    #[error("{detail}")]
    Other { detail: String },
}

/// Go's hint on an unknown-authority error: why a candidate issuer failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthorityHint {
    /// The candidate's error, e.g. an expiry message.
    pub error: String,
    /// The candidate's name (common name, else subject).
    pub candidate: String,
}

fn hint_text(hint: &Option<AuthorityHint>) -> String {
    match hint {
        Some(hint) => format!(
            " (possibly because of {:?} while trying to verify candidate authority certificate {:?})",
            hint.error, hint.candidate
        ),
        None => String::new(),
    }
}

fn name_mismatch_text(host: &str, valid_for: &[String], legacy_common_name: bool) -> String {
    if legacy_common_name {
        return "x509: certificate relies on legacy Common Name field, use SANs instead".to_owned();
    }
    if host.parse::<IpAddr>().is_ok() && valid_for.is_empty() {
        return format!(
            "x509: cannot validate certificate for {host} because it doesn't contain any IP SANs"
        );
    }
    if valid_for.is_empty() {
        return format!("x509: certificate is not valid for any names, but wanted to match {host}");
    }
    format!(
        "x509: certificate is valid for {}, not {host}",
        valid_for.join(", ")
    )
}

impl TlsFailure {
    /// The whole text Go's net/http client shows after `Get "<url>": `, e.g.
    /// `tls: failed to verify certificate: x509: certificate signed by
    /// unknown authority` (crypto/tls `CertificateVerificationError`).
    pub fn go_message(&self) -> String {
        match self {
            TlsFailure::Malformed { .. } => {
                format!("tls: failed to parse certificate from server: {self}")
            }
            TlsFailure::NotTls { .. } | TlsFailure::Other { .. } => self.to_string(),
            _ => format!("tls: failed to verify certificate: {self}"),
        }
    }

    /// A short stable name of the case, for JSON and tests.
    pub fn kind(&self) -> &'static str {
        match self {
            TlsFailure::UnknownIssuer { .. } => "unknown_issuer",
            TlsFailure::MissingIntermediate { .. } => "missing_intermediate",
            TlsFailure::SelfSigned { .. } => "self_signed",
            TlsFailure::Expired { .. } => "expired",
            TlsFailure::NotYetValid { .. } => "not_yet_valid",
            TlsFailure::NameMismatch { .. } => "name_mismatch",
            TlsFailure::NoRoots { .. } => "no_roots",
            TlsFailure::Malformed { .. } => "malformed",
            TlsFailure::IncompatibleUsage => "incompatible_usage",
            TlsFailure::NotTls { .. } => "not_tls",
            TlsFailure::Other { .. } => "other",
        }
    }

    /// Whether the failure is about the certificate (as opposed to the
    /// protocol): the server is reachable and speaks TLS.
    pub fn is_certificate_failure(&self) -> bool {
        !matches!(self, TlsFailure::NotTls { .. } | TlsFailure::Other { .. })
    }
}

/// Finds the TLS failure in an error chain and classifies it. Looks through
/// `source()` links and into `std::io::Error` payloads (whose `source()`
/// skips the payload itself), so it works on a `reqwest::Error` as well as on
/// a bare `rustls::Error`.
pub fn classify_error(err: &(dyn StdError + 'static)) -> Option<TlsFailure> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(found) = classify_one(e) {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// Go's words for the TLS failure in an error chain, as net/http prints them
/// after `Get "<url>": `, e.g. `tls: failed to verify certificate: x509:
/// certificate is valid for other.example.com, not localhost`. `None` when
/// the chain holds no TLS failure (DNS, refused, HTTP status, …).
///
/// For the details (dates, names) the client must use [`super::client_config`]
/// (its verifier records them); a plain rustls verifier gives the words
/// without the details.
pub fn describe_error(err: &(dyn StdError + 'static)) -> Option<String> {
    classify_error(err).map(|failure| failure.go_message())
}

fn classify_one(e: &(dyn StdError + 'static)) -> Option<TlsFailure> {
    if let Some(failure) = e.downcast_ref::<TlsFailure>() {
        return Some(failure.clone());
    }
    if let Some(rustls_err) = e.downcast_ref::<rustls::Error>() {
        return Some(from_rustls(rustls_err));
    }
    if let Some(io) = e.downcast_ref::<std::io::Error>()
        && let Some(inner) = io.get_ref()
    {
        let inner: &(dyn StdError + 'static) = inner;
        return classify_error(inner);
    }
    None
}

/// Classifies a rustls error. Errors raised by our verifier carry the full
/// `TlsFailure`; others (a plain webpki verifier) lose the details rustls
/// does not keep.
pub fn from_rustls(err: &rustls::Error) -> TlsFailure {
    match err {
        rustls::Error::InvalidCertificate(cert) => from_certificate_error(cert),
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateHandshakeMessage { .. } => {
            TlsFailure::NotTls {
                detail: "tls: first record does not look like a TLS handshake".to_owned(),
            }
        }
        rustls::Error::AlertReceived(alert) => TlsFailure::Other {
            detail: format!("remote error: tls: {}", alert_text(*alert)),
        },
        rustls::Error::Other(other) => {
            let inner: &(dyn StdError + 'static) = other.0.as_ref();
            classify_error(inner).unwrap_or_else(|| TlsFailure::Other {
                detail: format!("tls: {err}"),
            })
        }
        other => TlsFailure::Other {
            detail: format!("tls: {other}"),
        },
    }
}

fn from_certificate_error(err: &CertificateError) -> TlsFailure {
    match err {
        CertificateError::Other(other) => {
            let inner: &(dyn StdError + 'static) = other.0.as_ref();
            classify_error(inner).unwrap_or_else(|| TlsFailure::Other {
                detail: format!("tls: failed to verify certificate: {err}"),
            })
        }
        CertificateError::UnknownIssuer => TlsFailure::UnknownIssuer {
            issuer: String::new(),
            root_sent: false,
            hint: None,
        },
        CertificateError::ExpiredContext { time, not_after } => TlsFailure::Expired {
            subject: String::new(),
            now: time.as_secs() as i64,
            not_after: not_after.as_secs() as i64,
        },
        CertificateError::NotValidYetContext { time, not_before } => TlsFailure::NotYetValid {
            subject: String::new(),
            now: time.as_secs() as i64,
            not_before: not_before.as_secs() as i64,
        },
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => TlsFailure::NameMismatch {
            valid_for: presented.clone(),
            host: expected.to_str().into_owned(),
            legacy_common_name: false,
        },
        CertificateError::BadEncoding => TlsFailure::Malformed {
            detail: "bad encoding".to_owned(),
        },
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            TlsFailure::IncompatibleUsage
        }
        other => TlsFailure::Other {
            detail: format!("tls: failed to verify certificate: {other}"),
        },
    }
}

/// Go's alert names (crypto/tls alert.go), for the common ones.
fn alert_text(alert: rustls::AlertDescription) -> String {
    use rustls::AlertDescription as A;
    match alert {
        A::HandshakeFailure => "handshake failure".to_owned(),
        A::BadCertificate => "bad certificate".to_owned(),
        A::UnknownCA => "unknown certificate authority".to_owned(),
        A::ProtocolVersion => "protocol version not supported".to_owned(),
        A::InternalError => "internal error".to_owned(),
        A::UnrecognisedName => "unrecognized name".to_owned(),
        A::CertificateRequired => "certificate required".to_owned(),
        A::NoApplicationProtocol => "no application protocol".to_owned(),
        other => format!("{other:?}"),
    }
}
