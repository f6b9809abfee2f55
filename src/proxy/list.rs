//! GOPROXY string into a list of `ProxySpec`, exactly as Go's
//! modfetch/proxy.go `proxyList` (spec/fetch-protocol.md §2). Pure.

use std::fmt;

use crate::net::redact::redact;

/// One GOPROXY list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// The implicit first entry when GONOPROXY (or GOPRIVATE) is set.
    NoProxy,
    /// `direct`: fetch from the version-control repository.
    Direct,
    /// `off`: no module lookups.
    Off,
    /// A proxy base URL (http, https or file).
    Url(url::Url),
}

/// An entry and its fall-through mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySpec {
    pub entry: Entry,
    /// `|` after the entry: fall through on any error (else only on not-found).
    pub fall_back_on_error: bool,
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entry::NoProxy => f.write_str("noproxy"),
            Entry::Direct => f.write_str("direct"),
            Entry::Off => f.write_str("off"),
            Entry::Url(u) => f.write_str(&redact(u)),
        }
    }
}

/// An invalid GOPROXY, with Go's texts. Every fetch fails with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyListError {
    #[error("GOPROXY list is not the empty string, but contains no entries")]
    NoEntries,
    #[error("invalid proxy URL missing scheme: {0}")]
    MissingScheme(String),
    #[error("invalid proxy URL scheme (must be https, http, file): {0}")]
    BadScheme(String),
    #[error("invalid file:// proxy URL with non-path elements: {0}")]
    FileNonPath(String),
    /// The URL does not parse (Go prints net/url's error: `parse "<u>": ...`).
    #[error("parse {url:?}: {message}")]
    Parse { url: String, message: String },
}

/// Parses GOPROXY given the effective GONOPROXY (GOPRIVATE when unset).
pub fn parse(goproxy: &str, gonoproxy: &str) -> Result<Vec<ProxySpec>, ProxyListError> {
    let mut list = Vec::new();
    if !gonoproxy.is_empty() && goproxy != "direct" {
        list.push(ProxySpec {
            entry: Entry::NoProxy,
            fall_back_on_error: false,
        });
    }
    let mut rest = goproxy;
    while !rest.is_empty() {
        let (element, fall_back_on_error) = match rest.find([',', '|']) {
            Some(i) => {
                let fb = rest.as_bytes()[i] == b'|';
                let element = &rest[..i];
                rest = &rest[i + 1..];
                (element, fb)
            }
            None => {
                let element = rest;
                rest = "";
                (element, false)
            }
        };
        let element = element.trim();
        if element.is_empty() {
            continue;
        }
        if element == "off" {
            list.push(ProxySpec {
                entry: Entry::Off,
                fall_back_on_error,
            });
            break;
        }
        if element == "direct" {
            list.push(ProxySpec {
                entry: Entry::Direct,
                fall_back_on_error,
            });
            break;
        }
        let url = if element.contains(['.', ':', '/'])
            && !element.contains(":/")
            && !element.starts_with('/')
        {
            format!("https://{element}")
        } else {
            element.to_string()
        };
        list.push(ProxySpec {
            entry: Entry::Url(check_url(&url)?),
            fall_back_on_error,
        });
    }
    if list.is_empty() || (list.len() == 1 && list[0].entry == Entry::NoProxy) {
        return Err(ProxyListError::NoEntries);
    }
    Ok(list)
}

/// `newProxyRepo`'s checks of a base URL.
fn check_url(raw: &str) -> Result<url::Url, ProxyListError> {
    // A scheme is `[A-Za-z][A-Za-z0-9+.-]*:`; without one Go's url.Parse
    // succeeds with an empty scheme and newProxyRepo reports it.
    let has_scheme = raw.split_once(':').is_some_and(|(s, _)| {
        s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
    });
    if !has_scheme {
        return Err(ProxyListError::MissingScheme(raw.to_string()));
    }
    let url = url::Url::parse(raw).map_err(|e| ProxyListError::Parse {
        url: raw.to_string(),
        message: e.to_string(),
    })?;
    let shown = redact(&url);
    // Show what the user wrote where the url crate would normalise it.
    let shown_raw = if url.password().is_some() {
        shown.clone()
    } else {
        raw.to_string()
    };
    match url.scheme() {
        "http" | "https" => Ok(url),
        "file" => {
            let non_path = url.host_str().is_some_and(|h| !h.is_empty())
                || !url.username().is_empty()
                || url.password().is_some()
                || url.query().is_some()
                || url.fragment().is_some()
                || url.cannot_be_a_base()
                || !raw["file:".len()..].starts_with("//");
            if non_path {
                Err(ProxyListError::FileNonPath(shown_raw))
            } else {
                Ok(url)
            }
        }
        _ => Err(ProxyListError::BadScheme(shown_raw)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(goproxy: &str, gonoproxy: &str) -> Vec<String> {
        parse(goproxy, gonoproxy)
            .unwrap()
            .iter()
            .map(|s| format!("{}{}", s.entry, if s.fall_back_on_error { "|" } else { "" }))
            .collect()
    }

    #[test]
    fn go_checklist() {
        // §11 items 2, 3: no entries.
        assert_eq!(parse("", ""), Err(ProxyListError::NoEntries));
        assert_eq!(parse(" , ", ""), Err(ProxyListError::NoEntries));
        assert_eq!(parse(",", "x.example.com"), Err(ProxyListError::NoEntries));
        // 4, 5: scheme inference.
        assert_eq!(
            entries("proxy.example.com", ""),
            ["https://proxy.example.com/"]
        );
        assert_eq!(
            entries("proxy.example.com:8080", ""),
            ["https://proxy.example.com:8080/"]
        );
        // 6, 7, 8: invalid URLs.
        assert_eq!(
            parse("/srv/goproxy", "").unwrap_err().to_string(),
            "invalid proxy URL missing scheme: /srv/goproxy"
        );
        assert_eq!(
            parse("ftp://example.com", "").unwrap_err().to_string(),
            "invalid proxy URL scheme (must be https, http, file): ftp://example.com"
        );
        assert_eq!(
            parse("file://files.example.com/srv/p", "")
                .unwrap_err()
                .to_string(),
            "invalid file:// proxy URL with non-path elements: file://files.example.com/srv/p"
        );
        assert_eq!(
            parse("noproxy", "").unwrap_err().to_string(),
            "invalid proxy URL missing scheme: noproxy"
        );
        // 9: nothing after direct/off is parsed.
        assert_eq!(
            entries("https://p.example.com/,direct,garbage://", ""),
            ["https://p.example.com/", "direct"]
        );
        assert_eq!(entries("off|ftp://x", ""), ["off|"]);
        // 10: white space and empty elements.
        assert_eq!(
            entries(" http://a.example.com ,, | file:///srv/p ", ""),
            ["http://a.example.com/", "file:///srv/p"]
        );
        // 14: `|` marks the element before it.
        assert_eq!(
            entries("http://a.example.com/|http://b.example.com/,off", ""),
            ["http://a.example.com/|", "http://b.example.com/", "off"]
        );
        // 15: implicit noproxy unless GOPROXY is exactly "direct".
        assert_eq!(entries("off", "corp.example.com"), ["noproxy", "off"]);
        assert_eq!(entries("direct", "corp.example.com"), ["direct"]);
        assert_eq!(
            entries(" direct", "corp.example.com"),
            ["noproxy", "direct"]
        );
    }

    #[test]
    fn redacts_credentials_in_errors() {
        assert_eq!(
            parse("ftp://u:secret@example.com/p", "")
                .unwrap_err()
                .to_string(),
            "invalid proxy URL scheme (must be https, http, file): ftp://u:xxxxx@example.com/p"
        );
    }
}
