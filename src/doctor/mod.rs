//! `doctor`: why fetching fails, and the fix. Reads the effective
//! configuration (a [`Config`] built from `Settings`), checks it against Go's
//! rules (spec/fetch-protocol.md §2, §4, §5, §6), loads the trust store as Go
//! does, then probes every endpoint the configuration implies (each GOPROXY
//! entry, the checksum database and its route, the TARGET) with its own
//! connections and a recording certificate verifier, so the presented chain
//! is shown even when verification fails.
//!
//! Library code: returns a [`Report`] (findings as data); rendering is in
//! `commands::doctor`. Changes no configuration.

pub mod config;
pub mod probe;
pub mod tlsadvice;

use serde::Serialize;

use crate::net::tls::{CertSummary, LoadedRoots, TrustOptions};

/// How bad a finding is. Only `Error` makes doctor exit non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Ok,
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Info => "info",
            Severity::Warning => "warn",
            Severity::Error => "FAIL",
        }
    }
}

/// One thing doctor found, with what to do about it.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Stable identifier of the case, e.g. `tls.unknown_issuer`.
    pub code: String,
    pub severity: Severity,
    /// What it is about: a variable, a file, an endpoint.
    pub subject: String,
    /// One sentence.
    pub summary: String,
    /// Supporting facts, one per line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// What to do, one step or command per line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fix: Vec<String>,
}

impl Finding {
    pub fn new(
        code: &str,
        severity: Severity,
        subject: impl Into<String>,
        summary: impl Into<String>,
    ) -> Self {
        Self {
            code: code.to_owned(),
            severity,
            subject: subject.into(),
            summary: summary.into(),
            details: Vec::new(),
            fix: Vec::new(),
        }
    }

    pub fn detail(mut self, line: impl Into<String>) -> Self {
        self.details.push(line.into());
        self
    }

    pub fn fix(mut self, line: impl Into<String>) -> Self {
        self.fix.push(line.into());
        self
    }
}

/// The configuration doctor checks: the resolved GO* values (as `Settings`
/// holds them, Go's defaults already applied) and the plain variables.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub goproxy: String,
    pub gonoproxy: String,
    pub gonosumdb: String,
    pub goprivate: String,
    pub goinsecure: String,
    pub gosumdb: String,
    pub trust: TrustOptions,
    pub https_proxy: Option<String>,
    pub http_proxy: Option<String>,
    pub no_proxy: Option<String>,
    /// Whether GONOPROXY / GONOSUMDB were set themselves (else they were
    /// inherited from GOPRIVATE).
    pub gonoproxy_set: bool,
    pub gonosumdb_set: bool,
}

/// What was probed and what came back.
#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    /// Why it was probed, e.g. `GOPROXY entry 1`, `checksum database`.
    pub role: String,
    pub url: String,
    /// The HTTP proxy used, if any (redacted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_proxy: Option<String>,
    /// Addresses the host resolved to.
    pub addresses: Vec<String>,
    /// The certificates the server presented, leaf first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<CertSummary>,
    /// The trusted root that anchored the chain, and where it came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anchor: Option<Anchor>,
    /// The HTTP status of the probe request, when one was answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Whether the endpoint is usable.
    pub usable: bool,
}

/// A trusted root and its source file.
#[derive(Debug, Clone, Serialize)]
pub struct Anchor {
    pub subject: String,
    pub sha256: String,
    pub source: String,
}

/// Everything doctor found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub endpoints: Vec<Endpoint>,
    /// Number of trusted certificates loaded.
    pub trusted_certificates: usize,
    /// The machine's clock when the checks ran (RFC 3339, UTC).
    pub clock: String,
    /// True when nothing checked is unusable (exit status 0).
    pub ok: bool,
}

/// Probe settings (timeouts), overridable in tests.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    pub timeout: std::time::Duration,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        Self {
            timeout: std::time::Duration::from_secs(10),
        }
    }
}

/// Runs every check. `target` is a module path or a URL.
pub async fn diagnose(config: &Config, target: Option<&str>, options: &ProbeOptions) -> Report {
    let mut findings = Vec::new();
    let plan = config::check(config, target, &mut findings);
    let roots = match crate::net::tls::load_roots(&config.trust) {
        Ok(roots) => roots,
        Err(err) => {
            findings.push(
                Finding::new("trust.cacert", Severity::Error, "--cacert", err.to_string())
                    .fix("Pass a readable PEM file with at least one CERTIFICATE block"),
            );
            let fallback = TrustOptions {
                extra_ca_files: Vec::new(),
                ..config.trust.clone()
            };
            match crate::net::tls::load_roots(&fallback) {
                Ok(roots) => roots,
                Err(_) => empty_roots(),
            }
        }
    };
    let uses_https =
        plan.sumdb.is_some() || plan.endpoints.iter().any(|p| p.url.starts_with("https://"));
    tlsadvice::trust_findings(uses_https, &roots, &mut findings);
    let mut endpoints = Vec::new();
    probe::probe_all(
        config,
        &plan,
        &roots,
        options,
        &mut endpoints,
        &mut findings,
    )
    .await;
    tlsadvice::interception_findings(&endpoints, &roots, &mut findings);
    let ok = findings.iter().all(|f| f.severity != Severity::Error);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    Report {
        findings,
        endpoints,
        trusted_certificates: roots.certs.len(),
        clock: crate::net::tls::format_unix(now),
        ok,
    }
}

fn empty_roots() -> LoadedRoots {
    LoadedRoots {
        store: rustls::RootCertStore::empty(),
        certs: Vec::new(),
        sources: Vec::new(),
        first_error: None,
    }
}
