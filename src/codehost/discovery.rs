//! `?go-get=1` discovery: fetching `https://<path>?go-get=1` and reading
//! its `<meta name="go-import">` tags as the go command does
//! (vcs/discovery.go: `parseMetaGoImports`; vcs/vcs.go:
//! `repoRootForImportDynamic`, `metaImportsForPrefix`, `matchGoImport`;
//! spec/fetch-protocol.md §9.3).
//!
//! Owns: a lenient tag scanner equivalent to encoding/xml's non-strict
//! `RawToken` for the parts that matter (stops at `<body>` or `</head>`,
//! case-insensitive names, quoted or bare attribute values, entities),
//! `mod` entries first, 3- or 4-field contents (`go-source` and others
//! ignored), the prefix re-check, and Go's error texts.
//! HTTP itself is behind [`DiscoveryClient`], so tests point it at loopback;
//! [`HttpDiscovery`] sends .netrc credentials on https and re-sends once
//! after an https 4xx, as web/http.go `get` does for every go-command GET.
//!
//! Must not: run VCS commands.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use super::govcs::GovcsError;
use super::vcs::{RepoRoot, Resolver, Security, VcsKind, has_path_prefix};

/// One go-import entry: `prefix vcs repo-root [subdir]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetaImport {
    pub prefix: String,
    pub vcs: String,
    pub repo_root: String,
    pub subdir: String,
}

/// What a discovery GET returned: the final URL (after redirects, for
/// messages), the status and the body.
#[derive(Debug, Clone)]
pub struct DiscoveryResponse {
    pub url: String,
    pub status: u16,
    /// The status line's reason, e.g. `Not Found`.
    pub reason: String,
    pub body: Vec<u8>,
}

/// Performs `GET https://<host><path>?go-get=1` in the given security mode
/// (HTTPS verified; or, Insecure, unverified HTTPS with HTTP fallback).
/// `Err` is a transport failure (no HTTP response), as text.
pub trait DiscoveryClient: Send + Sync {
    fn get<'a>(
        &'a self,
        host: &'a str,
        path: &'a str,
        security: Security,
    ) -> Pin<Box<dyn Future<Output = Result<DiscoveryResponse, String>> + Send + 'a>>;
}

/// A client that never reaches anything (no discovery configured).
#[derive(Debug, Default)]
pub struct NoDiscovery;

impl DiscoveryClient for NoDiscovery {
    fn get<'a>(
        &'a self,
        host: &'a str,
        path: &'a str,
        _security: Security,
    ) -> Pin<Box<dyn Future<Output = Result<DiscoveryResponse, String>> + Send + 'a>> {
        Box::pin(async move {
            Err(format!(
                "Get \"https://{host}{path}?go-get=1\": discovery is disabled"
            ))
        })
    }
}

/// The largest discovery page read (Go reads until `</head>`; pages are small).
const MAX_DISCOVERY_BODY: usize = 10 << 20;

/// Discovery over HTTP(S) with reqwest: verified HTTPS (SecureOnly), or
/// unverified HTTPS with a 5 s limit then plain HTTP (Insecure), at most 10
/// redirects and never from https to http (web/http.go).
#[derive(Debug, Clone)]
pub struct HttpDiscovery {
    secure: reqwest::Client,
    insecure: reqwest::Client,
    /// Tests: send every request to `<base>/<host><path>?go-get=1` instead.
    base_override: Option<String>,
    /// .netrc entries: Basic auth for https requests (web/http.go `get`).
    netrc: std::sync::Arc<Vec<crate::net::netrc::NetrcLine>>,
}

impl HttpDiscovery {
    /// Builds both clients with the trust store `trust` describes.
    pub fn new(trust: &crate::net::tls::TrustOptions) -> Result<HttpDiscovery, String> {
        let config = crate::net::tls::client_config(trust).map_err(|e| e.to_string())?;
        let insecure_config =
            crate::net::tls::insecure_client_config().map_err(|e| e.to_string())?;
        let secure = reqwest::Client::builder()
            .use_preconfigured_tls(config)
            .redirect(crate::net::client::redirect_policy())
            .user_agent("Go-http-client/1.1")
            .connect_timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        let insecure = reqwest::Client::builder()
            .use_preconfigured_tls(insecure_config)
            .redirect(crate::net::client::redirect_policy())
            .user_agent("Go-http-client/1.1")
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(HttpDiscovery {
            secure,
            insecure,
            base_override: None,
            netrc: std::sync::Arc::default(),
        })
    }

    /// Sends the credentials of the netrc file at `path` (Settings::netrc;
    /// unreadable or absent: none) with https requests, as the go command
    /// does for discovery pages and repository probes.
    pub fn with_netrc_file(mut self, path: Option<&std::path::Path>) -> HttpDiscovery {
        let lines = path
            .and_then(|p| std::fs::read_to_string(p).ok())
            .map(|t| crate::net::netrc::parse(&t))
            .unwrap_or_default();
        self.netrc = std::sync::Arc::new(lines);
        self
    }

    /// GET `url` as web/http.go `get` does: .netrc credentials on https,
    /// and an https answer in 400..=499 dropped and the request sent once
    /// more (go1.24+); the second answer stands.
    async fn send(
        &self,
        client: &reqwest::Client,
        url: &str,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let parsed = url::Url::parse(url).ok();
        let request = || {
            let mut request = client.get(url);
            if let Some(line) = parsed
                .as_ref()
                .and_then(|u| crate::net::netrc::lookup_url(&self.netrc, u))
            {
                request = request.basic_auth(&line.login, Some(&line.password));
            }
            request
        };
        let first = request().send().await;
        match first {
            Ok(r) if url.starts_with("https://") && r.status().is_client_error() => {
                drop(r);
                request().send().await
            }
            other => other,
        }
    }

    /// Sends every discovery request to `base` (a loopback server in tests).
    pub fn with_base_override(mut self, base: &str) -> HttpDiscovery {
        self.base_override = Some(base.trim_end_matches('/').to_owned());
        self
    }

    /// The status of `GET url` with verified TLS (Go's `web.GetBytes` in
    /// DefaultSecurity), `None` on a transport failure.
    pub async fn status_of(&self, url: &str) -> Option<u16> {
        self.send(&self.secure, url)
            .await
            .ok()
            .map(|r| r.status().as_u16())
    }

    async fn fetch(
        &self,
        client: &reqwest::Client,
        url: &str,
    ) -> Result<DiscoveryResponse, String> {
        let resp = self
            .send(client, url)
            .await
            .map_err(|e| format!("Get {url:?}: {}", error_chain(&e)))?;
        let final_url = resp.url().to_string();
        let status = resp.status();
        let mut body = Vec::new();
        let mut resp = resp;
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| format!("reading {final_url}: {e}"))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_DISCOVERY_BODY {
                break;
            }
        }
        Ok(DiscoveryResponse {
            url: final_url,
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_owned(),
            body,
        })
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl DiscoveryClient for HttpDiscovery {
    fn get<'a>(
        &'a self,
        host: &'a str,
        path: &'a str,
        security: Security,
    ) -> Pin<Box<dyn Future<Output = Result<DiscoveryResponse, String>> + Send + 'a>> {
        Box::pin(async move {
            if let Some(base) = &self.base_override {
                let url = format!("{base}/{host}{path}?go-get=1");
                return self.fetch(&self.secure, &url).await;
            }
            let https = discovery_url("https", host, path);
            match security {
                Security::SecureOnly => self.fetch(&self.secure, &https).await,
                Security::Insecure => match self.fetch(&self.insecure, &https).await {
                    Ok(resp) => Ok(resp),
                    Err(_) => {
                        self.fetch(&self.insecure, &discovery_url("http", host, path))
                            .await
                    }
                },
            }
        })
    }
}

/// Why discovery failed, worded as the go command words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryError {
    #[error("import path does not begin with hostname")]
    NoHostname,
    #[error("https fetch: {0}")]
    Fetch(String),
    #[error("http/https fetch: {0}")]
    FetchInsecure(String),
    #[error("reading {url}: {status} {reason}")]
    Status {
        url: String,
        status: u16,
        reason: String,
    },
    #[error("parsing {path}: {message}")]
    Parse { path: String, message: String },
    #[error("parse {url}: {message}")]
    NoMatch { url: String, message: String },
    #[error("{url1} and {url2} disagree about go-import for {prefix}")]
    Disagree {
        url1: String,
        url2: String,
        prefix: String,
    },
    #[error("fetching {prefix}: {message}")]
    FetchingPrefix { prefix: String, message: String },
    #[error("{url}: invalid subdirectory {subdir:?}: {reason}")]
    BadSubdir {
        url: String,
        subdir: String,
        reason: &'static str,
    },
    #[error("{url}: invalid repo root {root:?}: {reason}")]
    BadRepoRoot {
        url: String,
        root: String,
        reason: String,
    },
    #[error("{url}: unknown vcs {vcs:?}")]
    UnknownVcs { url: String, vcs: String },
    #[error(transparent)]
    Govcs(#[from] GovcsError),
}

impl DiscoveryError {
    /// Whether the server said 404/410 (Go's `HTTPError` is not-found then).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            DiscoveryError::Status {
                status: 404 | 410,
                ..
            }
        )
    }
}

/// `https://host/path?go-get=1` as Go's `url.String` prints it.
fn discovery_url(scheme: &str, host: &str, path: &str) -> String {
    format!("{scheme}://{host}{path}?go-get=1")
}

/// Splits an import path into host and URL path (`urlForImportPath`).
fn host_and_path(import_path: &str) -> Result<(&str, String), DiscoveryError> {
    let slash = import_path.find('/').unwrap_or(import_path.len());
    let (host, path) = import_path.split_at(slash);
    if !host.contains('.') {
        return Err(DiscoveryError::NoHostname);
    }
    Ok((
        host,
        if path.is_empty() {
            "/".to_owned()
        } else {
            path.to_owned()
        },
    ))
}

/// The discovery URL and the entries found at a go-import prefix.
type PrefixResult = Result<(String, Vec<MetaImport>), DiscoveryError>;

/// The per-process cache of prefix lookups (Go's `fetchCache`).
#[derive(Debug, Default)]
pub struct PrefixCache {
    map: Mutex<HashMap<String, PrefixResult>>,
}

/// Parses the go-import tags of an HTML page (`parseMetaGoImports` in
/// module mode: `mod` entries first, superseding others with their prefix).
/// An error is returned only when no tag was found before it.
pub fn parse_meta_go_imports(body: &[u8]) -> Result<Vec<MetaImport>, String> {
    let mut imports = Vec::new();
    let mut scanner = Scanner { s: body, i: 0 };
    loop {
        match scanner.next_token() {
            Ok(None) => break,
            Err(e) => {
                if imports.is_empty() {
                    return Err(e);
                }
                break;
            }
            Ok(Some(Token::Start { name, attrs })) => {
                if name.eq_ignore_ascii_case("body") {
                    break;
                }
                if !name.eq_ignore_ascii_case("meta") {
                    continue;
                }
                if attr_value(&attrs, "name") != "go-import" {
                    continue;
                }
                let content = attr_value(&attrs, "content");
                let f: Vec<&str> = content.split_whitespace().collect();
                if f.len() == 3 || f.len() == 4 {
                    imports.push(MetaImport {
                        prefix: f[0].to_owned(),
                        vcs: f[1].to_owned(),
                        repo_root: f[2].to_owned(),
                        subdir: f.get(3).map(|s| (*s).to_owned()).unwrap_or_default(),
                    });
                }
            }
            Ok(Some(Token::End { name })) => {
                if name.eq_ignore_ascii_case("head") {
                    break;
                }
            }
        }
    }
    let mut list: Vec<MetaImport> = imports.iter().filter(|m| m.vcs == "mod").cloned().collect();
    let have: Vec<String> = list.iter().map(|m| m.prefix.clone()).collect();
    list.extend(
        imports
            .into_iter()
            .filter(|m| m.vcs != "mod" && !have.contains(&m.prefix)),
    );
    Ok(list)
}

/// Go's `attrValue`: the first attribute whose local name matches,
/// case-insensitively, or empty.
fn attr_value(attrs: &[(String, String)], name: &str) -> String {
    attrs
        .iter()
        .find(|(k, _)| local_name(k).eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// encoding/xml splits `ns:local` names; only the local part is compared.
fn local_name(name: &str) -> &str {
    match name.split_once(':') {
        Some((_, local)) if !local.is_empty() => local,
        _ => name,
    }
}

/// Go's `matchGoImport`.
pub fn match_go_import(imports: &[MetaImport], import_path: &str) -> Result<MetaImport, String> {
    let mut matched: Option<usize> = None;
    let mut mismatches = Vec::new();
    for (i, im) in imports.iter().enumerate() {
        if !has_path_prefix(import_path, &im.prefix) {
            mismatches.push(im.prefix.clone());
            continue;
        }
        if let Some(m) = matched {
            if imports[m].vcs == "mod" && im.vcs != "mod" {
                break;
            }
            return Err(format!(
                "multiple meta tags match import path {import_path:?}"
            ));
        }
        matched = Some(i);
    }
    match matched {
        Some(m) => Ok(imports[m].clone()),
        None => Err(format!(
            "no go-import meta tags ({})",
            mismatches
                .iter()
                .map(|p| format!("meta tag {p} did not match import path {import_path}"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

enum Token {
    Start {
        name: String,
        attrs: Vec<(String, String)>,
    },
    End {
        name: String,
    },
}

/// A forgiving scanner over the markup tokens discovery cares about.
struct Scanner<'a> {
    s: &'a [u8],
    i: usize,
}

fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b':' | b'.' | b'-') || c >= 0x80
}

impl Scanner<'_> {
    fn skip_until(&mut self, end: &[u8]) -> Result<(), String> {
        match find(&self.s[self.i..], end) {
            Some(p) => {
                self.i += p + end.len();
                Ok(())
            }
            None => Err("unexpected EOF".into()),
        }
    }

    fn skip_space(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn name(&mut self) -> String {
        let start = self.i;
        while self.i < self.s.len() && is_name_byte(self.s[self.i]) {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn next_token(&mut self) -> Result<Option<Token>, String> {
        loop {
            let Some(p) = self.s[self.i..].iter().position(|&c| c == b'<') else {
                return Ok(None);
            };
            self.i += p + 1;
            let rest = &self.s[self.i..];
            if rest.starts_with(b"!--") {
                self.skip_until(b"-->")?;
                continue;
            }
            if rest.starts_with(b"![CDATA[") {
                self.skip_until(b"]]>")?;
                continue;
            }
            if rest.starts_with(b"!") {
                self.skip_until(b">")?;
                continue;
            }
            if rest.starts_with(b"?") {
                let start = self.i;
                self.skip_until(b"?>")?;
                let body = String::from_utf8_lossy(&self.s[start + 1..self.i - 2]).into_owned();
                check_xml_decl(&body)?;
                continue;
            }
            if rest.starts_with(b"/") {
                self.i += 1;
                let name = self.name();
                if name.is_empty() {
                    return Err("expected element name after </".into());
                }
                self.skip_until(b">")?;
                return Ok(Some(Token::End { name }));
            }
            let name = self.name();
            if name.is_empty() {
                return Err("expected element name after <".into());
            }
            let attrs = self.attrs()?;
            return Ok(Some(Token::Start { name, attrs }));
        }
    }

    fn attrs(&mut self) -> Result<Vec<(String, String)>, String> {
        let mut attrs = Vec::new();
        loop {
            self.skip_space();
            match self.s.get(self.i) {
                None => return Err("unexpected EOF".into()),
                Some(b'>') => {
                    self.i += 1;
                    return Ok(attrs);
                }
                Some(b'/') => {
                    self.i += 1;
                    continue;
                }
                _ => {}
            }
            let key = self.name();
            if key.is_empty() {
                // Non-strict: skip a stray byte.
                self.i += 1;
                continue;
            }
            self.skip_space();
            if self.s.get(self.i) != Some(&b'=') {
                // A bare attribute: its value is its name (non-strict).
                attrs.push((key.clone(), key));
                continue;
            }
            self.i += 1;
            self.skip_space();
            let value = match self.s.get(self.i) {
                Some(&q @ (b'"' | b'\'')) => {
                    self.i += 1;
                    let start = self.i;
                    let Some(p) = self.s[self.i..].iter().position(|&c| c == q) else {
                        return Err("unexpected EOF".into());
                    };
                    self.i += p + 1;
                    &self.s[start..start + p]
                }
                _ => {
                    let start = self.i;
                    while self.i < self.s.len()
                        && !self.s[self.i].is_ascii_whitespace()
                        && self.s[self.i] != b'>'
                    {
                        self.i += 1;
                    }
                    &self.s[start..self.i]
                }
            };
            attrs.push((key, unescape(&String::from_utf8_lossy(value))));
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `<?xml ... encoding="x"?>` must name utf-8 or ascii (Go's `charsetReader`).
fn check_xml_decl(body: &str) -> Result<(), String> {
    if !body.starts_with("xml") {
        return Ok(());
    }
    let Some(p) = body.find("encoding=") else {
        return Ok(());
    };
    let rest = &body[p + "encoding=".len()..];
    let q = rest.chars().next().unwrap_or('"');
    let enc: String = rest.chars().skip(1).take_while(|c| *c != q).collect();
    if enc.is_empty() || enc.eq_ignore_ascii_case("utf-8") || enc.eq_ignore_ascii_case("ascii") {
        return Ok(());
    }
    Err(format!("can't decode XML document using charset {enc:?}"))
}

/// XML entities in attribute values; unknown ones stay (non-strict).
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let Some(end) = rest.find(';') else { break };
        let ent = &rest[1..end];
        let rep = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "apos" => Some('\''),
            "quot" => Some('"'),
            _ => ent
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match rep {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Go's `validateRepoRoot`: a URL with a scheme other than `file`.
fn validate_repo_root(root: &str) -> Result<(), String> {
    match url::Url::parse(root) {
        Ok(u) if u.scheme() == "file" => Err("file scheme disallowed".into()),
        Ok(_) => Ok(()),
        Err(url::ParseError::RelativeUrlWithoutBase) => Err("no scheme".into()),
        Err(e) => Err(e.to_string()),
    }
}

async fn fetch_imports(
    resolver: &Resolver,
    import_path: &str,
    security: Security,
) -> Result<(String, Result<Vec<MetaImport>, DiscoveryError>), DiscoveryError> {
    let (host, path) = host_and_path(import_path)?;
    let resp = resolver
        .discovery
        .get(host, &path, security)
        .await
        .map_err(|e| match security {
            Security::SecureOnly => DiscoveryError::Fetch(e),
            Security::Insecure => DiscoveryError::FetchInsecure(e),
        })?;
    let parsed = parse_meta_go_imports(&resp.body);
    let imports = match parsed {
        Ok(list) if !list.is_empty() => Ok(list),
        other if resp.status != 200 => {
            let _ = other;
            Err(DiscoveryError::Status {
                url: resp.url.clone(),
                status: resp.status,
                reason: resp.reason.clone(),
            })
        }
        Ok(list) => Ok(list),
        Err(message) => Err(DiscoveryError::Parse {
            path: import_path.to_owned(),
            message,
        }),
    };
    Ok((resp.url, imports))
}

/// Go's `repoRootForImportDynamic`.
pub async fn repo_root_dynamic(
    resolver: &Resolver,
    import_path: &str,
    security: Security,
) -> Result<RepoRoot, DiscoveryError> {
    let (url, imports) = fetch_imports(resolver, import_path, security).await?;
    let imports = imports?;
    let mmi =
        match_go_import(&imports, import_path).map_err(|message| DiscoveryError::NoMatch {
            url: url.clone(),
            message,
        })?;
    if mmi.prefix != import_path {
        // Verify the non-authoritative claim at the prefix itself.
        let (url2, imports2) = imports_for_prefix(resolver, &mmi.prefix, security).await?;
        let again = match_go_import(&imports2, import_path);
        if again.as_ref() != Ok(&mmi) {
            return Err(DiscoveryError::Disagree {
                url1: url,
                url2,
                prefix: mmi.prefix,
            });
        }
    }
    if mmi.subdir.starts_with('/') {
        return Err(DiscoveryError::BadSubdir {
            url,
            subdir: mmi.subdir,
            reason: "leading slash",
        });
    }
    if mmi.subdir.starts_with('-') {
        return Err(DiscoveryError::BadSubdir {
            url,
            subdir: mmi.subdir,
            reason: "leading hyphen",
        });
    }
    if let Err(reason) = validate_repo_root(&mmi.repo_root) {
        return Err(DiscoveryError::BadRepoRoot {
            url,
            root: mmi.repo_root,
            reason,
        });
    }
    let vcs = if mmi.vcs == "mod" {
        VcsKind::Mod
    } else {
        VcsKind::from_cmd(&mmi.vcs).ok_or_else(|| DiscoveryError::UnknownVcs {
            url: url.clone(),
            vcs: mmi.vcs.clone(),
        })?
    };
    resolver.check_govcs(vcs, &mmi.prefix)?;
    Ok(RepoRoot {
        repo: mmi.repo_root,
        root: mmi.prefix,
        subdir: mmi.subdir,
        vcs,
        is_custom: true,
    })
}

/// Go's `metaImportsForPrefix` (cached per process).
async fn imports_for_prefix(resolver: &Resolver, prefix: &str, security: Security) -> PrefixResult {
    if let Ok(map) = resolver.prefix_cache.map.lock()
        && let Some(hit) = map.get(prefix)
    {
        return hit.clone();
    }
    let result = match fetch_imports(resolver, prefix, security).await {
        Err(DiscoveryError::Fetch(e) | DiscoveryError::FetchInsecure(e)) => {
            Err(DiscoveryError::FetchingPrefix {
                prefix: prefix.to_owned(),
                message: e,
            })
        }
        Err(e) => Err(e),
        Ok((url, Ok(list))) if list.is_empty() => Err(DiscoveryError::FetchingPrefix {
            prefix: prefix.to_owned(),
            message: format!("no go-import meta tag found in {url}"),
        }),
        Ok((url, Ok(list))) => Ok((url, list)),
        Ok((_, Err(e))) => Err(e),
    };
    if let Ok(mut map) = resolver.prefix_cache.map.lock() {
        map.insert(prefix.to_owned(), result.clone());
    }
    result
}

/// The URL a discovery request for `import_path` goes to (for messages).
pub fn url_for(import_path: &str) -> Option<String> {
    host_and_path(import_path)
        .ok()
        .map(|(h, p)| discovery_url("https", h, &p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mi(prefix: &str, vcs: &str, root: &str, subdir: &str) -> MetaImport {
        MetaImport {
            prefix: prefix.into(),
            vcs: vcs.into(),
            repo_root: root.into(),
            subdir: subdir.into(),
        }
    }

    // Go's TestParseMetaGoImports (vcs/discovery_test.go), in module mode,
    // with the hosts replaced by reserved names.
    #[test]
    fn parse_cases_from_go() {
        let r = "https://code.example.com/rsc/foo/bar";
        let cases: Vec<(String, Vec<MetaImport>)> = vec![
            (format!(r#"<meta name="go-import" content="foo/bar git {r}">"#), vec![mi("foo/bar", "git", r, "")]),
            (
                format!(
                    "<meta name=\"go-import\" content=\"foo/bar git {r}\">\n<meta name=\"go-import\" content=\"baz/quux git http://code.example.com/rsc/baz/quux\">"
                ),
                vec![mi("foo/bar", "git", r, ""), mi("baz/quux", "git", "http://code.example.com/rsc/baz/quux", "")],
            ),
            (
                format!(
                    "<meta name=\"go-import\" content=\"foo/bar mod http://code.example.com/rsc/baz/quux\">\n<meta name=\"go-import\" content=\"foo/bar git {r}\">"
                ),
                vec![mi("foo/bar", "mod", "http://code.example.com/rsc/baz/quux", "")],
            ),
            (
                format!("<head>\n<meta name=\"go-import\" content=\"foo/bar git {r}\">\n</head>"),
                vec![mi("foo/bar", "git", r, "")],
            ),
            (
                format!("<meta name=\"go-import\" content=\"foo/bar git {r}\">\n<body>"),
                vec![mi("foo/bar", "git", r, "")],
            ),
            (
                format!("<!doctype html><meta name=\"go-import\" content=\"foo/bar git {r}\">"),
                vec![mi("foo/bar", "git", r, "")],
            ),
            (
                "<!doctype html><title>Page Not Found</title><meta name=go-import content=\"chitin.example.com/chitin git https://code.example.com/chitin-io/chitin\"><div style=position:relative>DRAFT</div>".into(),
                vec![mi("chitin.example.com/chitin", "git", "https://code.example.com/chitin-io/chitin", "")],
            ),
            (
                "<meta name=\"go-import\" content=\"my.example.com git https://code.example.com/myitcv/x\">\n<meta name=\"go-import\" content=\"my.example.com/blah2 mod https://raw.example.com/myitcv/pubx/master\">".into(),
                vec![
                    mi("my.example.com/blah2", "mod", "https://raw.example.com/myitcv/pubx/master", ""),
                    mi("my.example.com", "git", "https://code.example.com/myitcv/x", ""),
                ],
            ),
            (format!(r#"<meta name="go-import" content="foo/bar git {r} subdir/path">"#), vec![mi("foo/bar", "git", r, "subdir/path")]),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_meta_go_imports(input.as_bytes()).unwrap(),
                want,
                "{input}"
            );
        }
    }

    #[test]
    fn parse_leniency() {
        // Other names, wrong field counts, tags after </head> are ignored;
        // names compare case-insensitively; entities are decoded.
        let html = "<HTML><Head><META NAME=\"go-import\" CONTENT='a.example.com/x git https://h.example.com/x?a=1&amp;b=2'>\
            <meta name=\"go-source\" content=\"a.example.com/x _ _ _\">\
            <meta name=\"go-import\" content=\"too few\">\
            <!-- <meta name=\"go-import\" content=\"c.example.com git https://c.example.com/c\"> -->\
            </head><meta name=\"go-import\" content=\"b.example.com git https://b.example.com/b\">";
        assert_eq!(
            parse_meta_go_imports(html.as_bytes()).unwrap(),
            vec![mi(
                "a.example.com/x",
                "git",
                "https://h.example.com/x?a=1&b=2",
                ""
            )]
        );
        assert!(
            parse_meta_go_imports(b"<?xml version=\"1.0\" encoding=\"latin1\"?><meta>").is_err()
        );
        assert!(parse_meta_go_imports(b"<meta name=\"go-import").is_err());
        assert_eq!(parse_meta_go_imports(b"plain text").unwrap(), vec![]);
    }

    #[test]
    fn matching() {
        let imports = vec![
            mi("example.com/a", "git", "https://x", ""),
            mi("example.com/b", "git", "https://y", ""),
        ];
        assert_eq!(
            match_go_import(&imports, "example.com/a/sub")
                .unwrap()
                .repo_root,
            "https://x"
        );
        assert_eq!(
            match_go_import(&imports, "example.com/c").unwrap_err(),
            "no go-import meta tags (meta tag example.com/a did not match import path example.com/c, meta tag example.com/b did not match import path example.com/c)"
        );
        let dup = vec![
            mi("example.com/a", "git", "https://x", ""),
            mi("example.com", "git", "https://y", ""),
        ];
        assert_eq!(
            match_go_import(&dup, "example.com/a").unwrap_err(),
            "multiple meta tags match import path \"example.com/a\""
        );
        let modfirst = vec![
            mi("example.com", "mod", "https://p", ""),
            mi("example.com/a", "git", "https://y", ""),
        ];
        assert_eq!(
            match_go_import(&modfirst, "example.com/a").unwrap().vcs,
            "mod"
        );
    }

    #[test]
    fn repo_roots() {
        assert_eq!(validate_repo_root("https://x.example.com/r"), Ok(()));
        assert_eq!(
            validate_repo_root("file:///srv/r"),
            Err("file scheme disallowed".into())
        );
        assert_eq!(
            validate_repo_root("x.example.com/r"),
            Err("no scheme".into())
        );
        assert_eq!(
            host_and_path("example.com").unwrap(),
            ("example.com", "/".to_owned())
        );
        assert_eq!(
            host_and_path("localhost/x").unwrap_err(),
            DiscoveryError::NoHostname
        );
    }
}
