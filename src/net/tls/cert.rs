//! A parsed, printable summary of one X.509 certificate (x509-parser): the
//! facts doctor shows and the classifier reasons with (subject, issuer,
//! validity, SANs, SHA-256 fingerprint). Never fails on odd input: a
//! certificate that cannot be parsed is an error value for the caller.

use std::net::IpAddr;

use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};

/// What one certificate says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertSummary {
    /// Subject as an RFC 4514 string, e.g. `CN=leaf, O=Example`.
    pub subject: String,
    /// Issuer, same form.
    pub issuer: String,
    /// The subject's first common name, if any.
    pub common_name: Option<String>,
    /// The issuer's first common name, if any.
    pub issuer_common_name: Option<String>,
    /// Start of validity, seconds since the Unix epoch.
    pub not_before: i64,
    /// End of validity, seconds since the Unix epoch.
    pub not_after: i64,
    /// DNS names of the subjectAltName extension.
    pub dns_names: Vec<String>,
    /// IP addresses of the subjectAltName extension.
    pub ip_addresses: Vec<IpAddr>,
    /// Whether a subjectAltName extension is present at all.
    pub has_san: bool,
    /// basicConstraints CA flag.
    pub is_ca: bool,
    /// Subject and issuer are byte-identical (a root, or a self-signed leaf).
    pub self_issued: bool,
    /// SHA-256 of the DER, upper-case hex pairs joined by `:` (as
    /// `openssl x509 -fingerprint -sha256` prints it).
    pub sha256: String,
    /// Subject key identifier, hex.
    pub subject_key_id: Option<String>,
    /// Authority key identifier, hex.
    pub authority_key_id: Option<String>,
    #[serde(skip)]
    pub(crate) raw_subject: Vec<u8>,
    #[serde(skip)]
    pub(crate) raw_issuer: Vec<u8>,
}

/// A certificate that x509-parser rejects.
#[derive(Debug, Clone, thiserror::Error)]
#[error("x509: malformed certificate: {detail}")]
pub struct ParseError {
    pub detail: String,
}

impl CertSummary {
    /// Parses one DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, ParseError> {
        let (_, cert) = X509Certificate::from_der(der).map_err(|err| ParseError {
            detail: err.to_string(),
        })?;
        let mut dns_names = Vec::new();
        let mut ip_addresses = Vec::new();
        let mut has_san = false;
        let mut subject_key_id = None;
        let mut authority_key_id = None;
        for ext in cert.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(san) => {
                    has_san = true;
                    for name in &san.general_names {
                        match name {
                            GeneralName::DNSName(dns) => dns_names.push((*dns).to_owned()),
                            GeneralName::IPAddress(bytes) => {
                                if let Some(ip) = ip_from_bytes(bytes) {
                                    ip_addresses.push(ip);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                ParsedExtension::SubjectKeyIdentifier(id) => {
                    subject_key_id = Some(hex::encode(id.0))
                }
                ParsedExtension::AuthorityKeyIdentifier(aki) => {
                    authority_key_id = aki.key_identifier.as_ref().map(|id| hex::encode(id.0));
                }
                _ => {}
            }
        }
        let first_cn = |name: &x509_parser::x509::X509Name<'_>| {
            name.iter_common_name()
                .next()
                .and_then(|cn| cn.as_str().ok())
                .map(str::to_owned)
        };
        let raw_subject = cert.subject().as_raw().to_vec();
        let raw_issuer = cert.issuer().as_raw().to_vec();
        Ok(Self {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            common_name: first_cn(cert.subject()),
            issuer_common_name: first_cn(cert.issuer()),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            dns_names,
            ip_addresses,
            has_san,
            is_ca: cert.is_ca(),
            self_issued: raw_subject == raw_issuer,
            sha256: fingerprint(der),
            subject_key_id,
            authority_key_id,
            raw_subject,
            raw_issuer,
        })
    }

    /// The name Go uses for a certificate in messages: the common name, else
    /// the first organisation, else `serial:…` (x509 `UnknownAuthorityError`).
    pub fn short_name(&self) -> String {
        self.common_name
            .clone()
            .unwrap_or_else(|| self.subject.clone())
    }

    /// The issuer's short name (common name, else the whole issuer string).
    pub fn issuer_short_name(&self) -> String {
        self.issuer_common_name
            .clone()
            .unwrap_or_else(|| self.issuer.clone())
    }

    /// Whether `self` names `other` as its issuer (subject bytes, and key
    /// identifiers when both are present).
    pub fn is_issued_by(&self, other: &CertSummary) -> bool {
        if self.raw_issuer != other.raw_subject {
            return false;
        }
        match (&self.authority_key_id, &other.subject_key_id) {
            (Some(aki), Some(ski)) => aki == ski,
            _ => true,
        }
    }

    /// A self-signed certificate: self-issued, and its key identifiers (when
    /// present) agree.
    pub fn is_self_signed(&self) -> bool {
        self.is_issued_by(self)
    }

    /// Validity start in RFC 3339 (UTC), as Go formats it.
    pub fn not_before_text(&self) -> String {
        format_unix(self.not_before)
    }

    /// Validity end in RFC 3339 (UTC), as Go formats it.
    pub fn not_after_text(&self) -> String {
        format_unix(self.not_after)
    }

    /// All subjectAltName entries as text (DNS names, then IP addresses).
    pub fn san_list(&self) -> Vec<String> {
        self.dns_names
            .iter()
            .cloned()
            .chain(self.ip_addresses.iter().map(IpAddr::to_string))
            .collect()
    }
}

/// Formats seconds since the epoch as RFC 3339 in UTC (`2006-01-02T15:04:05Z`),
/// Go's `time.RFC3339` for a UTC time.
pub fn format_unix(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("@{seconds}"))
}

/// SHA-256 of `der` as `AB:CD:…`.
pub fn fingerprint(der: &[u8]) -> String {
    let digest = Sha256::digest(der);
    let mut out = String::with_capacity(digest.len() * 3);
    for (i, byte) in digest.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push_str(&format!("{byte:02X}"));
    }
    out
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}
