//! From TLS facts to advice: the trust store's health (SSL_CERT_FILE,
//! SSL_CERT_DIR, Go's defaults, broken PEM, junk files), each `TlsFailure`
//! with its fix, and the detection of an intercepting proxy that re-signs
//! connections (same private issuer for unrelated hosts, the CA sent by the
//! server, a fixed leaf name, well-known inspection products).

use std::collections::BTreeMap;

use super::probe::origin_text;
use super::{Endpoint, Finding, Severity};
use crate::net::tls::{LoadedRoots, Origin, SourceStatus, TlsFailure, format_unix};

/// Findings about the trust store itself.
/// `uses_https`: whether any endpoint to check needs TLS (without one, an
/// empty store is only a warning).
pub fn trust_findings(uses_https: bool, roots: &LoadedRoots, findings: &mut Vec<Finding>) {
    for source in &roots.sources {
        let path = source.path.display().to_string();
        let subject = match source.origin {
            Origin::SslCertFile => format!("SSL_CERT_FILE={path}"),
            Origin::SslCertDir => format!("SSL_CERT_DIR entry {path}"),
            Origin::CaCert => format!("--cacert {path}"),
            Origin::DefaultFile => format!("default bundle {path}"),
            Origin::DefaultDir => format!("default directory {path}"),
        };
        let explicit = matches!(
            source.origin,
            Origin::SslCertFile | Origin::SslCertDir | Origin::CaCert
        );
        match &source.status {
            SourceStatus::Missing if explicit => findings.push(
                Finding::new("trust.missing", Severity::Warning, subject, "does not exist; Go ignores it without a word")
                    .detail(if source.origin == Origin::SslCertFile {
                        "SSL_CERT_FILE replaces Go's default bundle list, so no bundle file is read at all; only the certificate directories count"
                    } else {
                        "SSL_CERT_DIR replaces Go's default directories"
                    })
                    .fix("Point it at an existing file or directory, or unset it"),
            ),
            SourceStatus::Missing | SourceStatus::NotReached => {}
            SourceStatus::Unreadable { error } => findings.push(
                Finding::new("trust.unreadable", Severity::Warning, subject, format!("cannot be read: {error}"))
                    .detail("Go skips it; if nothing else loads, every https connection fails with `x509: failed to load system roots and no roots provided`")
                    .fix("Fix the permissions (chmod a+r) or point the variable at a readable file"),
            ),
            SourceStatus::Loaded { certificates, skipped } => {
                if *certificates == 0 && (explicit || !skipped.is_empty()) {
                    let mut finding = Finding::new(
                        "trust.empty",
                        Severity::Warning,
                        subject.clone(),
                        if source.is_dir { "holds no usable certificate file" } else { "holds no usable certificate" },
                    );
                    if source.origin == Origin::SslCertFile {
                        finding = finding.detail("It still replaces Go's default bundle: the default files are not read");
                    }
                    findings.push(finding.fix("Put PEM `-----BEGIN CERTIFICATE-----` blocks in it"));
                } else if *certificates > 0 {
                    findings.push(Finding::new("trust.loaded", Severity::Ok, subject.clone(), format!("{certificates} certificate(s)")));
                }
                if !skipped.is_empty() {
                    let mut finding = Finding::new(
                        "trust.broken_pem",
                        Severity::Warning,
                        subject.clone(),
                        format!("{} PEM block(s) skipped", skipped.len()),
                    );
                    for why in skipped.iter().take(10) {
                        finding = finding.detail(why.clone());
                    }
                    findings.push(finding.fix("Re-export the broken certificates; Go skips them the same way"));
                }
                if !source.junk.is_empty() && source.origin == Origin::SslCertDir {
                    let mut finding = Finding::new(
                        "trust.junk",
                        Severity::Info,
                        subject.clone(),
                        format!("{} entries hold no certificate (Go reads every file and skips these)", source.junk.len()),
                    );
                    for why in source.junk.iter().take(10) {
                        finding = finding.detail(why.clone());
                    }
                    findings.push(finding);
                }
            }
        }
    }
    if roots.certs.is_empty() {
        let mut finding = Finding::new(
            "trust.none",
            if uses_https {
                Severity::Error
            } else {
                Severity::Warning
            },
            "trust store",
            "no trusted certificate was loaded: every https connection fails",
        );
        finding = match roots.system_roots_error() {
            Some(err) => finding.detail(format!(
                "Go: x509: failed to load system roots and no roots provided; {err}"
            )),
            None => finding.detail("Go: x509: certificate signed by unknown authority"),
        };
        findings.push(finding.fix("Set SSL_CERT_FILE to a readable CA bundle (e.g. your system's ca-certificates bundle plus your organisation's CA)"));
    }
}

/// The finding for a failed handshake, with the fix.
pub fn failure_finding(
    failure: &TlsFailure,
    endpoint: &Endpoint,
    roots: &LoadedRoots,
    host: &str,
) -> Finding {
    let code = format!("tls.{}", failure.kind());
    let go = failure.go_message();
    let mut finding = Finding::new(&code, Severity::Error, host, go.clone());
    let chain = &endpoint.chain;
    for (i, cert) in chain.iter().enumerate() {
        finding = finding.detail(format!(
            "presented [{i}] {} (issuer {}), valid {} to {}",
            cert.subject,
            cert.issuer,
            cert.not_before_text(),
            cert.not_after_text()
        ));
    }
    let now = format_unix(time::OffsetDateTime::now_utc().unix_timestamp());
    match failure {
        TlsFailure::UnknownIssuer {
            issuer, root_sent, ..
        } => {
            finding.summary = format!(
                "private or unknown CA: the chain leads to `{issuer}`, which is not trusted"
            );
            finding = finding.detail(go);
            if *root_sent {
                if let Some(top) = chain.last() {
                    finding = finding.detail(format!(
                        "The server sent the CA certificate itself: {} (SHA-256 {}); typical of an intercepting proxy that re-signs TLS",
                        top.subject, top.sha256
                    ));
                }
            }
            trust_ca_fix(finding, issuer, roots, host, *root_sent)
        }
        TlsFailure::MissingIntermediate { issuer } => {
            finding.summary = format!(
                "missing intermediate: the server sent only its own certificate, and its issuer `{issuer}` was neither sent nor is it trusted"
            );
            finding
                .detail(go)
                .fix("Server side: configure the server to send the full chain (its certificate followed by the intermediate CA certificates)")
                .fix(format!("Client side, if `{issuer}` is your organisation's CA: trust it as below"))
                .fix(trust_commands(roots, "corp-ca.pem").join("\n"))
        }
        TlsFailure::SelfSigned { subject } => {
            finding.summary =
                format!("self-signed certificate: `{subject}` signed itself and is not trusted");
            let sha = chain.first().map(|c| c.sha256.clone()).unwrap_or_default();
            finding
                .detail(go)
                .fix("Best: give the server a certificate from a CA you trust")
                .fix(format!("Or trust this exact certificate (SHA-256 {sha}; Go accepts a self-signed certificate listed in its roots): save it with `openssl s_client -connect {host}:443 -showcerts </dev/null` and add it as below"))
                .fix(trust_commands(roots, "server-cert.pem").join("\n"))
        }
        TlsFailure::Expired {
            subject, not_after, ..
        } => {
            finding.summary = format!(
                "certificate expired: `{subject}` was valid until {}",
                format_unix(*not_after)
            );
            finding
                .detail(go)
                .detail(format!("This machine's clock says {now}"))
                .fix("Renew the server's certificate; if the date above looks wrong, fix this machine's clock (`date -u`, `timedatectl`)")
        }
        TlsFailure::NotYetValid {
            subject,
            not_before,
            ..
        } => {
            finding.summary = format!(
                "certificate not yet valid: `{subject}` is valid only from {}",
                format_unix(*not_before)
            );
            finding
                .detail(go)
                .detail(format!("This machine's clock says {now}; a clock running behind is the usual cause"))
                .fix("Check this machine's clock (`date -u`, `timedatectl set-ntp true`); otherwise the server's certificate was issued with a future date")
        }
        TlsFailure::NameMismatch {
            valid_for,
            host: wanted,
            ..
        } => {
            finding.summary = if valid_for.is_empty() {
                format!(
                    "wrong host: the certificate names no {} `{wanted}`",
                    if wanted.parse::<std::net::IpAddr>().is_ok() {
                        "IP address, and not"
                    } else {
                        "host name, and not"
                    }
                )
            } else {
                format!(
                    "wrong host: the certificate is valid for {}, not `{wanted}`",
                    valid_for.join(", ")
                )
            };
            let mut finding = finding.detail(go);
            if let Some(name) = valid_for.first() {
                finding = finding.fix(format!(
                    "Use a URL with a name the certificate covers (e.g. `{name}`)"
                ));
            }
            finding.fix(format!(
                "Or reissue the server certificate with `{wanted}` in its subjectAltName"
            ))
        }
        TlsFailure::NoRoots { .. } => finding.fix("Set SSL_CERT_FILE to a readable CA bundle"),
        TlsFailure::NotTls { .. } => {
            finding.summary = format!("not TLS: the server at `{host}` does not speak TLS ({go})");
            finding.fix("Check the URL's scheme and port")
        }
        TlsFailure::Malformed { .. } | TlsFailure::IncompatibleUsage | TlsFailure::Other { .. } => {
            finding.fix("The server's TLS setup is broken; contact its operator")
        }
    }
}

fn trust_ca_fix(
    finding: Finding,
    issuer: &str,
    roots: &LoadedRoots,
    host: &str,
    root_sent: bool,
) -> Finding {
    let save = if root_sent {
        format!(
            "Save the CA (the last certificate of `openssl s_client -connect {host}:443 -showcerts </dev/null`), after checking its fingerprint with your IT team, as corp-ca.pem; or ask IT for `{issuer}`"
        )
    } else {
        format!("Get the CA certificate `{issuer}` from your IT team as corp-ca.pem")
    };
    finding
        .fix(save)
        .fix(trust_commands(roots, "corp-ca.pem").join("\n"))
}

/// The ways to trust a CA file on this machine, Go's rules in mind.
pub fn trust_commands(roots: &LoadedRoots, file: &str) -> Vec<String> {
    let bundle = roots
        .sources
        .iter()
        .find(|s| {
            !s.is_dir
                && matches!(s.status, SourceStatus::Loaded { .. })
                && s.origin != Origin::CaCert
        })
        .map(|s| s.path.display().to_string())
        .unwrap_or_else(|| "/etc/ssl/certs/ca-certificates.crt".to_owned());
    let rhel = std::path::Path::new("/etc/pki/ca-trust/source/anchors").is_dir();
    let mut out = vec![
        format!("  one run:   gomodfetch download --cacert {file} …"),
        format!(
            "  this user: cat {bundle} {file} > ~/.config/ca-bundle.pem && export SSL_CERT_FILE=~/.config/ca-bundle.pem   (SSL_CERT_FILE replaces the default bundle, so include it)"
        ),
        format!(
            "  or:        mkdir -p ~/.config/certs && cp {file} ~/.config/certs/ && export SSL_CERT_DIR=/etc/ssl/certs:$HOME/.config/certs   (SSL_CERT_DIR replaces the default directories, so keep them)"
        ),
    ];
    out.push(if rhel {
        format!("  system:    sudo cp {file} /etc/pki/ca-trust/source/anchors/ && sudo update-ca-trust extract")
    } else {
        format!("  system:    sudo cp {file} /usr/local/share/ca-certificates/corp-ca.crt && sudo update-ca-certificates")
    });
    out
}

/// Well-known TLS-inspection products and words in their CA names.
const INSPECTION_WORDS: &[&str] = &[
    "proxy",
    "egress",
    "inspect",
    "intercept",
    "mitm",
    "zscaler",
    "netskope",
    "fortinet",
    "fortigate",
    "palo alto",
    "bluecoat",
    "blue coat",
    "forcepoint",
    "websense",
    "sophos",
    "squid",
    "umbrella",
    "check point",
    "checkpoint",
    "mcafee",
    "kaspersky",
    "eset",
    "avast",
    "bitdefender",
    "fiddler",
    "charles",
    "burp",
    "cloudflare gateway",
    "menlo",
    "iboss",
    "barracuda",
    "sonicwall",
    "watchguard",
];

/// Looks for an intercepting proxy over all TLS endpoints.
pub fn interception_findings(
    endpoints: &[Endpoint],
    roots: &LoadedRoots,
    findings: &mut Vec<Finding>,
) {
    // Group hosts by the CA at the top of what they presented.
    let mut by_ca: BTreeMap<String, Vec<&Endpoint>> = BTreeMap::new();
    for endpoint in endpoints.iter().filter(|e| !e.chain.is_empty()) {
        let Some(top) = endpoint.chain.last() else {
            continue;
        };
        by_ca.entry(top.issuer.clone()).or_default().push(endpoint);
    }
    for (issuer, group) in by_ca {
        let hosts: Vec<String> = {
            let mut hosts: Vec<String> = group
                .iter()
                .filter_map(|e| {
                    url::Url::parse(&e.url)
                        .ok()
                        .and_then(|u| u.host_str().map(str::to_owned))
                })
                .collect();
            hosts.sort();
            hosts.dedup();
            hosts
        };
        let mut signals = Vec::new();
        let lower = issuer.to_ascii_lowercase();
        if let Some(word) = INSPECTION_WORDS.iter().find(|w| lower.contains(*w)) {
            signals.push(format!("the CA's name contains `{word}`"));
        }
        let first = group[0];
        let leaf = &first.chain[0];
        let root_sent =
            first.chain.last().is_some_and(|c| c.is_self_signed()) && first.chain.len() > 1;
        if root_sent {
            signals.push("the server sends its root CA, which public servers do not".to_owned());
        }
        let leaf_names_host = leaf.common_name.as_deref().is_some_and(|cn| {
            hosts.iter().any(|h| {
                cn.eq_ignore_ascii_case(h) || (cn.starts_with("*.") && h.ends_with(&cn[1..]))
            })
        });
        if !leaf_names_host && leaf.common_name.is_some() {
            signals.push(format!(
                "the leaf's common name `{}` is not the host name (the proxy's own name)",
                leaf.common_name.as_deref().unwrap_or("")
            ));
        }
        let distinct_domains = {
            let mut d: Vec<String> = hosts.iter().map(|h| registrable(h)).collect();
            d.sort();
            d.dedup();
            d.len()
        };
        if distinct_domains >= 2 {
            signals.push(format!(
                "one CA signs certificates for unrelated hosts: {}",
                hosts.join(", ")
            ));
        }
        // Public CAs sign for many hosts too (one intermediate for
        // unrelated sites is common), so no single signal is enough.
        let strong = signals.len() >= 2;
        if !strong {
            continue;
        }
        let trusted = group.iter().find_map(|e| e.anchor.clone());
        let ca_name = first
            .chain
            .last()
            .map(|c| c.subject.clone())
            .unwrap_or_else(|| issuer.clone());
        let mut finding = if let Some(anchor) = &trusted {
            Finding::new(
                "tls.interception",
                Severity::Info,
                hosts.join(", "),
                format!("TLS is intercepted: a proxy re-signs these connections with `{issuer}`, and that CA is trusted (from {})", anchor.source),
            )
            .detail(format!("trusted root: {} (SHA-256 {})", anchor.subject, anchor.sha256))
        } else {
            Finding::new(
                "tls.interception",
                Severity::Error,
                hosts.join(", "),
                format!("TLS is intercepted: a proxy re-signs these connections with `{issuer}`, which is not trusted"),
            )
            .fix(format!("Trust the proxy's CA `{ca_name}` (ask IT for it, or save it from the chain after checking its fingerprint):"))
            .fix(trust_commands(roots, "corp-ca.pem").join("\n"))
        };
        for signal in signals {
            finding = finding.detail(signal);
        }
        if let Some(top) = first.chain.last() {
            finding = finding.detail(format!(
                "CA certificate presented: {} (SHA-256 {})",
                top.subject, top.sha256
            ));
        }
        if let Some(source) = trusted.as_ref().map(|a| a.source.clone())
            && roots
                .certs
                .iter()
                .any(|c| c.origin == Origin::DefaultFile || c.origin == Origin::DefaultDir)
        {
            let _ = source;
            finding = finding.detail(format!("trust comes from: {}", origin_list(roots)));
        }
        findings.push(finding);
    }
}

fn origin_list(roots: &LoadedRoots) -> String {
    let mut seen: Vec<String> = Vec::new();
    for source in &roots.sources {
        if let SourceStatus::Loaded { certificates, .. } = source.status
            && certificates > 0
        {
            seen.push(format!(
                "{} ({})",
                source.path.display(),
                origin_text(source.origin)
            ));
        }
    }
    seen.join(", ")
}

/// The last two labels of a host name (a rough registrable domain).
fn registrable(host: &str) -> String {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return host.to_owned();
    }
    let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
    labels[labels.len().saturating_sub(2)..].join(".")
}
