//! Doctor's checks of the GO* configuration, without the network: GOPROXY
//! entries as Go parses them (spec/fetch-protocol.md §2), GOINSECURE's reach
//! (§4.2: never proxies), GONOSUMDB / GOSUMDB=off (§4.3), GOPRIVATE-style
//! patterns that match nothing or everything (§4.1), HTTP(S)_PROXY values;
//! and the list of endpoints the configuration implies.

use url::Url;

use super::{Config, Finding, Severity};
use crate::module::pattern::match_prefix_patterns;

/// One endpoint to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub role: String,
    pub url: String,
    pub kind: Kind,
}

/// What an endpoint is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A GOPROXY URL entry (probed at its base URL).
    Proxy,
    /// The TARGET module through a proxy (`<proxy>/<path>/@v/list`).
    TargetViaProxy,
    /// The TARGET module's direct-mode discovery (`?go-get=1`). When
    /// `fallback`, Go only goes there after every proxy said not-found.
    TargetDirect { fallback: bool },
    /// A TARGET URL (or a proxy's `/sumdb/<name>/supported`).
    TargetUrl,
    /// The checksum database's `/latest` (directly or at GOSUMDB's URL).
    Sumdb,
}

/// The checksum database to reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SumdbPlan {
    pub name: String,
    /// The explicit URL of `GOSUMDB="<key> <url>"`, which bypasses proxies.
    pub url: Option<String>,
}

/// Everything to probe.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub endpoints: Vec<Planned>,
    /// The proxy URL entries, in order, with their fall-back mode
    /// (`true` after `|`).
    pub proxies: Vec<(String, bool)>,
    pub sumdb: Option<SumdbPlan>,
}

/// Checks `config`, appends findings, returns the endpoints to probe.
pub fn check(config: &Config, target: Option<&str>, findings: &mut Vec<Finding>) -> Plan {
    let mut plan = Plan::default();
    let entries = check_goproxy(config, findings);
    let mut has_direct = false;
    for entry in &entries {
        match entry {
            Entry::Url { url, any_error } => {
                plan.proxies.push((url.clone(), *any_error));
                plan.endpoints.push(Planned {
                    role: format!("GOPROXY entry {}", plan.proxies.len()),
                    url: url.clone(),
                    kind: Kind::Proxy,
                });
            }
            Entry::Direct => has_direct = true,
            Entry::Off => {}
        }
    }
    check_goinsecure(config, &plan, findings);
    plan.sumdb = check_gosumdb(config, findings);
    check_private_patterns(config, findings);
    check_http_proxies(config, findings);
    if let Some(target) = target {
        plan_target(
            config,
            target,
            &plan.proxies.clone(),
            has_direct,
            &mut plan,
            findings,
        );
    }
    plan
}

enum Entry {
    Url { url: String, any_error: bool },
    Direct,
    Off,
}

fn check_goproxy(config: &Config, findings: &mut Vec<Finding>) -> Vec<Entry> {
    let value = config.goproxy.as_str();
    let subject = format!("GOPROXY={value}");
    if value.trim().is_empty() {
        findings.push(
            Finding::new(
                "goproxy.empty",
                Severity::Error,
                subject,
                "GOPROXY list is not the empty string, but contains no entries",
            )
            .detail("With no go.env defaults and nothing set, every fetch fails this way")
            .fix("Set GOPROXY to your proxy URL followed by `,direct`, or to `direct`"),
        );
        return Vec::new();
    }
    let mut entries = Vec::new();
    let mut rest = value;
    let mut stopped = None;
    let mut invalid = false;
    while !rest.is_empty() {
        let (element, sep, tail) = match rest.find([',', '|']) {
            Some(i) => (&rest[..i], rest.as_bytes()[i], &rest[i + 1..]),
            None => (rest, b',', ""),
        };
        rest = tail;
        let element = element.trim();
        if element.is_empty() {
            continue;
        }
        if let Some(after) = stopped {
            findings.push(
                Finding::new(
                    "goproxy.unreachable_entry",
                    Severity::Warning,
                    subject.clone(),
                    format!("`{element}` comes after `{after}` and is never used: Go stops reading GOPROXY at `{after}`"),
                )
                .fix(format!("Remove `{element}`, or move it before `{after}`")),
            );
            continue;
        }
        match element {
            "off" => {
                entries.push(Entry::Off);
                stopped = Some("off");
                continue;
            }
            "direct" => {
                entries.push(Entry::Direct);
                stopped = Some("direct");
                continue;
            }
            _ => {}
        }
        let needs_scheme = element.contains(['.', ':', '/'])
            && !element.contains(":/")
            && !element.starts_with('/');
        let url_text = if needs_scheme {
            format!("https://{element}")
        } else {
            element.to_owned()
        };
        match validate_proxy_url(&url_text) {
            Ok(url) => {
                if needs_scheme {
                    findings.push(Finding::new(
                        "goproxy.scheme_inferred",
                        Severity::Info,
                        subject.clone(),
                        format!("`{element}` has no scheme; Go reads it as `{url_text}`"),
                    ));
                }
                if url.scheme() == "http" {
                    let mut finding = Finding::new(
                        "goproxy.plain_http",
                        Severity::Warning,
                        subject.clone(),
                        format!(
                            "`{element}` is a plain-HTTP proxy: Go uses it as given, unencrypted, without GOINSECURE (GOINSECURE does not apply to proxies)"
                        ),
                    );
                    if !url.password().unwrap_or("").is_empty() || !url.username().is_empty() {
                        finding = Finding::new(
                            "goproxy.http_credentials",
                            Severity::Error,
                            subject.clone(),
                            format!("`{}` carries credentials over plain HTTP: Go refuses every request (refusing to pass credentials to insecure URL)", redact(&url)),
                        )
                        .fix("Use https:// for a proxy that needs credentials");
                    } else {
                        finding = finding.fix("Prefer https:// if the proxy offers it; nothing else is needed for plain HTTP");
                    }
                    findings.push(finding);
                }
                entries.push(Entry::Url {
                    url: url_text.clone(),
                    any_error: sep == b'|',
                });
            }
            Err(message) => {
                invalid = true;
                let mut finding = Finding::new(
                    "goproxy.invalid_entry",
                    Severity::Error,
                    subject.clone(),
                    message.clone(),
                );
                if !element.contains(['.', ':', '/']) {
                    finding = finding
                        .detail(format!("`{element}` is a bare word: Go does not know it as a keyword (only `direct` and `off` are) and reads it as a proxy URL without a scheme"))
                        .detail("One invalid entry makes the whole GOPROXY invalid: every fetch fails with this error");
                    if element.eq_ignore_ascii_case("insecure") {
                        finding = finding.fix("Remove `insecure` from GOPROXY: plain-HTTP proxies need no flag (write http://…), and GOINSECURE (module path patterns) only affects direct mode");
                    } else {
                        finding = finding.fix(format!("Remove `{element}` from GOPROXY, or write the proxy's full URL (https://host/path)"));
                    }
                } else {
                    finding = finding.fix("Write the proxy as a full URL: https://host[:port][/path], http://…, or file:///absolute/path");
                }
                findings.push(finding);
            }
        }
    }
    if entries.is_empty() && !invalid {
        findings.push(
            Finding::new(
                "goproxy.empty",
                Severity::Error,
                subject.clone(),
                "GOPROXY list is not the empty string, but contains no entries",
            )
            .fix("Set GOPROXY to your proxy URL followed by `,direct`, or to `direct`"),
        );
    }
    if invalid {
        return Vec::new();
    }
    if matches!(entries.first(), Some(Entry::Off)) {
        findings.push(
            Finding::new("goproxy.off", Severity::Warning, subject, "GOPROXY=off: module downloads are disabled (except GONOPROXY/GOPRIVATE modules, fetched directly)")
                .fix("Set GOPROXY to a proxy URL or `direct` to fetch modules"),
        );
    }
    entries
}

/// Go's `newProxyRepo` checks (spec §2 step 7).
fn validate_proxy_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|err| match err {
        url::ParseError::RelativeUrlWithoutBase => {
            format!("invalid proxy URL missing scheme: {text}")
        }
        other => format!("parse {text:?}: {other}"),
    })?;
    match url.scheme() {
        "https" | "http" => Ok(url),
        "file" => {
            if url.host_str().is_some_and(|h| !h.is_empty())
                || !url.username().is_empty()
                || url.query().is_some()
                || url.fragment().is_some()
            {
                Err(format!(
                    "invalid file:// proxy URL with non-path elements: {text}"
                ))
            } else {
                Ok(url)
            }
        }
        _ => Err(format!(
            "invalid proxy URL scheme (must be https, http, file): {text}"
        )),
    }
}

fn redact(url: &Url) -> String {
    let mut url = url.clone();
    if url.password().is_some() {
        let _ = url.set_password(Some("xxxxx"));
    }
    url.to_string()
}

fn check_goinsecure(config: &Config, plan: &Plan, findings: &mut Vec<Finding>) {
    if config.goinsecure.is_empty() {
        return;
    }
    for (proxy, _) in &plan.proxies {
        let Ok(url) = Url::parse(proxy) else { continue };
        let Some(host) = url.host_str() else { continue };
        let path = format!("{host}{}", url.path().trim_end_matches('/'));
        if match_prefix_patterns(&config.goinsecure, host)
            || match_prefix_patterns(&config.goinsecure, &path)
        {
            findings.push(
                Finding::new(
                    "goinsecure.proxy",
                    Severity::Warning,
                    format!("GOINSECURE={}", config.goinsecure),
                    format!("GOINSECURE matches the proxy host `{host}`, but it has no effect on proxies: Go still verifies the proxy's certificate"),
                )
                .detail("GOINSECURE is matched against module paths and only relaxes direct-mode discovery (?go-get=1)")
                .fix(format!("To use `{host}` with a private CA, trust the CA (see the trust-store findings); remove `{host}` from GOINSECURE")),
            );
        }
    }
    if config
        .goinsecure
        .split(',')
        .any(|p| p.trim_end_matches('/') == "*")
    {
        findings.push(
            Finding::new(
                "goinsecure.everything",
                Severity::Warning,
                format!("GOINSECURE={}", config.goinsecure),
                "GOINSECURE matches every module path: direct-mode discovery skips certificate checks and may fall back to plain HTTP for all modules",
            )
            .fix("List only the private hosts that need it, e.g. GOINSECURE=git.corp.example.com"),
        );
    }
}

fn check_gosumdb(config: &Config, findings: &mut Vec<Finding>) -> Option<SumdbPlan> {
    let value = config.gosumdb.trim();
    if value == "off" {
        findings.push(
            Finding::new("gosumdb.off", Severity::Warning, "GOSUMDB=off", "Checksum verification against the checksum database is off for every module")
                .detail("Modules are then only checked against go.sum lines that already exist")
                .fix("Unset GOSUMDB (or set it to the checksum database); list private modules in GONOSUMDB or GOPRIVATE instead"),
        );
        return None;
    }
    if !config.gonosumdb.is_empty() {
        let (code, inherited) = if config.gonosumdb_set {
            ("gonosumdb.set", "")
        } else {
            ("gonosumdb.from_goprivate", " (inherited from GOPRIVATE)")
        };
        let everything = matches_everything(&config.gonosumdb);
        findings.push(
            Finding::new(
                code,
                if everything { Severity::Warning } else { Severity::Info },
                format!("GONOSUMDB={}", config.gonosumdb),
                if everything {
                    format!("GONOSUMDB{inherited} matches every module path: checksum verification is off for all modules")
                } else {
                    format!("Modules matching GONOSUMDB{inherited} are not checked against the checksum database")
                },
            )
            .fix(if everything {
                "List only your private module prefixes, e.g. GOPRIVATE=git.corp.example.com/*"
            } else {
                "Nothing to do if these are private modules"
            }),
        );
    }
    let fields: Vec<&str> = value.split_whitespace().collect();
    if fields.is_empty() {
        findings.push(
            Finding::new(
                "gosumdb.missing",
                Severity::Error,
                "GOSUMDB",
                "verifying go.mod: missing GOSUMDB",
            )
            .fix("Set GOSUMDB, or restore $GOROOT/go.env"),
        );
        return None;
    }
    if fields.len() > 2 {
        findings.push(Finding::new(
            "gosumdb.invalid",
            Severity::Error,
            format!("GOSUMDB={value}"),
            "invalid GOSUMDB: too many fields",
        ));
        return None;
    }
    let name = fields[0].split('+').next().unwrap_or(fields[0]).to_owned();
    let url = fields.get(1).map(|u| (*u).to_owned());
    if let Some(u) = &url
        && Url::parse(u).is_err()
    {
        findings.push(Finding::new(
            "gosumdb.invalid",
            Severity::Error,
            format!("GOSUMDB={value}"),
            format!("invalid GOSUMDB URL: {u}"),
        ));
        return None;
    }
    Some(SumdbPlan { name, url })
}

/// Probe paths standing for "any module": a pattern list matching all of
/// them matches everything.
const ANY_MODULE: &[&str] = &[
    "a.b/c",
    "pkg.example.org/m/v2",
    "x.test/y/z",
    "zz9.example.net/q",
];

fn matches_everything(patterns: &str) -> bool {
    ANY_MODULE
        .iter()
        .all(|p| match_prefix_patterns(patterns, p))
}

fn check_private_patterns(config: &Config, findings: &mut Vec<Finding>) {
    let mut vars = vec![("GOPRIVATE", config.goprivate.as_str())];
    if config.gonoproxy_set {
        vars.push(("GONOPROXY", config.gonoproxy.as_str()));
    }
    if config.gonosumdb_set {
        vars.push(("GONOSUMDB", config.gonosumdb.as_str()));
    }
    vars.push(("GOINSECURE", config.goinsecure.as_str()));
    for (name, value) in vars {
        if value.is_empty() {
            continue;
        }
        let subject = format!("{name}={value}");
        if name == "GOPRIVATE" && matches_everything(value) {
            findings.push(
                Finding::new(
                    "pattern.everything",
                    Severity::Warning,
                    subject.clone(),
                    format!("{name} matches every module path: every module is fetched directly (no proxy) and none is checked against the checksum database"),
                )
                .fix("List only your private module prefixes, e.g. GOPRIVATE=git.corp.example.com,corp.example.com/*"),
            );
        }
        for pattern in value.split(',') {
            let trimmed = pattern.trim_end_matches('/');
            if pattern.is_empty() {
                continue;
            }
            let reason = if pattern != pattern.trim() {
                Some(
                    "has white space around it; Go does not trim patterns, so it matches nothing"
                        .to_owned(),
                )
            } else if trimmed.contains("://") {
                Some("contains a URL scheme; patterns are matched against module paths (host/path, no scheme), so it matches nothing".to_owned())
            } else if crate::module::pattern::path_match(trimmed, "").is_err() {
                Some("is a malformed glob; Go silently ignores it".to_owned())
            } else if trimmed.chars().any(|c| c.is_ascii_uppercase()) {
                Some("contains upper-case letters; matching is case-sensitive and module paths are normally lower-case".to_owned())
            } else {
                None
            };
            if let Some(reason) = reason {
                findings.push(
                    Finding::new(
                        "pattern.matches_nothing",
                        Severity::Warning,
                        subject.clone(),
                        format!("pattern `{pattern}` {reason}"),
                    )
                    .fix(format!(
                        "Write it as a module path prefix, e.g. `{}`",
                        suggest_pattern(pattern)
                    )),
                );
            }
        }
    }
}

fn suggest_pattern(pattern: &str) -> String {
    let p = pattern.trim();
    let p = p.split("://").last().unwrap_or(p);
    p.to_ascii_lowercase()
}

fn check_http_proxies(config: &Config, findings: &mut Vec<Finding>) {
    for (name, value) in [
        ("HTTPS_PROXY", &config.https_proxy),
        ("HTTP_PROXY", &config.http_proxy),
    ] {
        let Some(value) = value else { continue };
        let text = if value.contains("://") {
            value.clone()
        } else {
            format!("http://{value}")
        };
        match Url::parse(&text) {
            Ok(url)
                if matches!(url.scheme(), "http" | "https" | "socks5" | "socks5h")
                    && url.host_str().is_some() =>
            {
                findings.push(Finding::new(
                    "proxy.env",
                    Severity::Info,
                    format!("{name}={}", redact(&url)),
                    format!(
                        "{} requests go through this proxy (except NO_PROXY hosts and loopback)",
                        if name == "HTTPS_PROXY" {
                            "https"
                        } else {
                            "http"
                        }
                    ),
                ));
            }
            _ => findings.push(
                Finding::new(
                    "proxy.invalid",
                    Severity::Error,
                    format!("{name}={value}"),
                    format!("invalid proxy address {value:?}"),
                )
                .fix(format!(
                    "Set {name} to http://host:port (or http://user:password@host:port)"
                )),
            ),
        }
    }
}

fn plan_target(
    config: &Config,
    target: &str,
    proxies: &[(String, bool)],
    has_direct: bool,
    plan: &mut Plan,
    findings: &mut Vec<Finding>,
) {
    if target.contains("://") {
        plan.endpoints.push(Planned {
            role: "TARGET".to_owned(),
            url: target.to_owned(),
            kind: Kind::TargetUrl,
        });
        return;
    }
    let path = target.split('@').next().unwrap_or(target);
    if let Err(err) = crate::module::path::check_path(path) {
        findings.push(Finding::new(
            "target.invalid",
            Severity::Error,
            format!("TARGET {target}"),
            err.to_string(),
        ));
        return;
    }
    let private = match_prefix_patterns(&config.gonoproxy, path);
    if private {
        findings.push(Finding::new(
            "target.private",
            Severity::Info,
            format!("TARGET {path}"),
            "matches GONOPROXY/GOPRIVATE: fetched directly from its repository, never through a proxy",
        ));
    } else if let Ok(escaped) = crate::module::path::escape_path(path) {
        for (i, (proxy, _)) in proxies.iter().enumerate() {
            plan.endpoints.push(Planned {
                role: format!("TARGET via GOPROXY entry {}", i + 1),
                url: format!("{}/{escaped}/@v/list", proxy.trim_end_matches('/')),
                kind: Kind::TargetViaProxy,
            });
        }
    }
    if private || has_direct {
        plan.endpoints.push(Planned {
            role: "TARGET direct".to_owned(),
            url: format!("https://{path}?go-get=1"),
            kind: Kind::TargetDirect { fallback: !private },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(config: Config) -> (Plan, Vec<Finding>) {
        let mut findings = Vec::new();
        let plan = check(&config, None, &mut findings);
        (plan, findings)
    }

    fn codes(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|f| f.code.as_str()).collect()
    }

    #[test]
    fn bare_word_insecure_invalidates_goproxy() {
        let (plan, findings) = run(Config {
            goproxy: "https://proxy.example.com/,insecure".into(),
            gosumdb: "sum.example.com".into(),
            ..Config::default()
        });
        assert!(plan.proxies.is_empty());
        let f = findings
            .iter()
            .find(|f| f.code == "goproxy.invalid_entry")
            .unwrap();
        assert_eq!(f.summary, "invalid proxy URL missing scheme: insecure");
        assert_eq!(f.severity, Severity::Error);
    }

    #[test]
    fn entries_after_direct_and_inferred_scheme() {
        let (plan, findings) = run(Config {
            goproxy:
                "proxy.example.com:8080|http://other.example.com/,direct,https://never.example.com"
                    .into(),
            gosumdb: "off".into(),
            ..Config::default()
        });
        assert_eq!(
            plan.proxies,
            vec![
                ("https://proxy.example.com:8080".to_owned(), true),
                ("http://other.example.com/".to_owned(), false)
            ]
        );
        let c = codes(&findings);
        for code in [
            "goproxy.scheme_inferred",
            "goproxy.plain_http",
            "goproxy.unreachable_entry",
            "gosumdb.off",
        ] {
            assert!(c.contains(&code), "{c:?}");
        }
    }

    #[test]
    fn goinsecure_on_a_proxy_host_and_patterns() {
        let (_, findings) = run(Config {
            goproxy: "https://proxy.example.com/,direct".into(),
            goinsecure: "proxy.example.com".into(),
            goprivate: "*".into(),
            gonosumdb: "*".into(),
            gonoproxy: "*".into(),
            gosumdb: "sum.example.com".into(),
            ..Config::default()
        });
        let c = codes(&findings);
        assert!(c.contains(&"goinsecure.proxy"), "{c:?}");
        assert!(c.contains(&"pattern.everything"), "{c:?}");
        assert!(c.contains(&"gonosumdb.from_goprivate"), "{c:?}");
        let (_, findings) = run(Config {
            goproxy: "direct".into(),
            goprivate: "corp.example.com, b.example.com,https://git.example.com".into(),
            gosumdb: "sum.example.com".into(),
            ..Config::default()
        });
        assert_eq!(
            findings
                .iter()
                .filter(|f| f.code == "pattern.matches_nothing")
                .count(),
            2,
            "{findings:?}"
        );
    }
}
