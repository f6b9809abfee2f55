//! The proxy protocol's data (spec/fetch-protocol.md §7, modfetch/proxy.go
//! and cache.go): request paths (`@v/list`, `.info`, `.mod`, `.zip`,
//! `@latest`), `RevInfo` JSON in and out (byte-exact as Go marshals it for
//! the cache), and `@v/list` parsing. Pure.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::module::{pseudo, version};

/// Provenance of a version (codehost.Origin). Field order is Go's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    #[serde(rename = "VCS", default, skip_serializing_if = "String::is_empty")]
    pub vcs: String,
    #[serde(rename = "URL", default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    #[serde(rename = "Subdir", default, skip_serializing_if = "String::is_empty")]
    pub subdir: String,
    #[serde(rename = "Hash", default, skip_serializing_if = "String::is_empty")]
    pub hash: String,
    #[serde(
        rename = "TagPrefix",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub tag_prefix: String,
    #[serde(rename = "TagSum", default, skip_serializing_if = "String::is_empty")]
    pub tag_sum: String,
    #[serde(rename = "Ref", default, skip_serializing_if = "String::is_empty")]
    pub r#ref: String,
    #[serde(rename = "RepoSum", default, skip_serializing_if = "String::is_empty")]
    pub repo_sum: String,
}

/// A resolved revision (modfetch.RevInfo): what `.info` and `@latest` carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevInfo {
    pub version: String,
    /// Commit time; `None` is Go's zero time.
    pub time: Option<OffsetDateTime>,
    pub origin: Option<Origin>,
}

#[derive(Deserialize)]
struct RawInfo {
    #[serde(rename = "Version", default)]
    version: String,
    #[serde(rename = "Time", default)]
    time: Option<String>,
    #[serde(rename = "Origin", default)]
    origin: Option<Origin>,
}

#[derive(Serialize)]
struct OutInfo<'a> {
    #[serde(rename = "Version")]
    version: &'a str,
    #[serde(rename = "Time")]
    time: String,
    #[serde(rename = "Origin", skip_serializing_if = "Option::is_none")]
    origin: Option<&'a Origin>,
}

/// A `.info` body that is not the JSON Go expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InfoParseError(pub String);

/// Parses a `.info` / `@latest` body as Go's `json.Unmarshal` into RevInfo
/// would (unknown fields ignored, `Time` RFC 3339).
pub fn parse_info(data: &[u8]) -> Result<RevInfo, InfoParseError> {
    let raw: RawInfo = serde_json::from_slice(data).map_err(|e| go_json_error(data, &e))?;
    let time = match raw.time {
        None => None,
        Some(t) => Some(
            OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339).map_err(
                |_| {
                    InfoParseError(format!(
                        "parsing time {:?} as \"2006-01-02T15:04:05Z07:00\": cannot parse",
                        t
                    ))
                },
            )?,
        ),
    };
    Ok(RevInfo {
        version: raw.version,
        time,
        origin: raw.origin,
    })
}

/// encoding/json's wording for the failures users meet (an HTML page, an
/// empty body); serde's text otherwise.
fn go_json_error(data: &[u8], err: &serde_json::Error) -> InfoParseError {
    let text = String::from_utf8_lossy(data);
    let trimmed = text.trim_start_matches([' ', '\t', '\r', '\n']);
    match trimmed.chars().next() {
        None => InfoParseError("unexpected end of JSON input".into()),
        Some(c) if !matches!(c, '{' | '[' | '"' | '-' | '0'..='9' | 't' | 'f' | 'n') => {
            let quoted = match c {
                '\'' => "'\\''".to_string(),
                '"' => "'\"'".to_string(),
                c if c.is_control() => format!("'\\x{:02x}'", c as u32),
                c => format!("'{c}'"),
            };
            InfoParseError(format!(
                "invalid character {quoted} looking for beginning of value"
            ))
        }
        _ if err.is_eof() => InfoParseError("unexpected end of JSON input".into()),
        _ => InfoParseError(err.to_string()),
    }
}

/// Go's `time.Time.MarshalJSON` (RFC 3339 with nanoseconds, trailing zeros
/// trimmed, `Z` for a zero offset, the source's offset otherwise).
pub fn format_go_time(t: Option<OffsetDateTime>) -> String {
    let Some(t) = t else {
        return "0001-01-01T00:00:00Z".into();
    };
    let mut s = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let nanos = t.nanosecond();
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    let offset = t.offset();
    if offset.is_utc() {
        s.push('Z');
    } else {
        let (h, m, _) = offset.as_hms();
        let sign = if offset.is_negative() { '-' } else { '+' };
        s.push_str(&format!("{sign}{:02}:{:02}", h.abs(), m.abs()));
    }
    s
}

/// The `.info` bytes Go writes to the cache (`writeDiskStat`): compact JSON,
/// no newline; TagPrefix/TagSum/RepoSum removed; Ref removed for
/// pseudo-versions.
pub fn cache_info_bytes(info: &RevInfo) -> Vec<u8> {
    let origin = info.origin.as_ref().map(|o| {
        let mut o = o.clone();
        o.tag_prefix.clear();
        o.tag_sum.clear();
        o.repo_sum.clear();
        if pseudo::is_pseudo_version(&info.version) {
            o.r#ref.clear();
        }
        o
    });
    let out = OutInfo {
        version: &info.version,
        time: format_go_time(info.time),
        origin: origin.as_ref(),
    };
    go_json_escape(serde_json::to_string(&out).unwrap_or_default()).into_bytes()
}

/// Go's encoding/json escapes `<`, `>`, `&`, U+2028 and U+2029 in strings.
/// Those characters only occur inside JSON strings, so a global replace is exact.
pub fn go_json_escape(s: String) -> String {
    if !s.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return s;
    }
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// One `@v/list` line's version and optional timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListLine {
    pub version: String,
    pub time: Option<String>,
}

/// Splits an `@v/list` body: lines on `\n`, first white-space field,
/// valid semver only (not canonicalised), as `proxyRepo.Versions`.
pub fn parse_list(data: &[u8]) -> Vec<ListLine> {
    String::from_utf8_lossy(data)
        .split('\n')
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let v = fields.next()?;
            version::is_valid(v).then(|| ListLine {
                version: v.to_string(),
                time: fields.next().map(str::to_string),
            })
        })
        .collect()
}

/// The tagged versions of a list: non-pseudo, with `prefix`, semver-sorted.
pub fn tagged_versions(lines: &[ListLine], prefix: &str) -> Vec<String> {
    let mut list: Vec<String> = lines
        .iter()
        .filter(|l| l.version.starts_with(prefix) && !pseudo::is_pseudo_version(&l.version))
        .map(|l| l.version.clone())
        .collect();
    version::sort(&mut list);
    list
}

/// `latestFromList`: the line with the newest time (field 2, else the
/// pseudo-version's timestamp); tagged lines without a time are skipped.
pub fn latest_from_list(lines: &[ListLine]) -> Option<String> {
    let mut best: Option<(OffsetDateTime, &str)> = None;
    for line in lines {
        let t = if let Some(t) = &line.time {
            OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        } else if pseudo::is_pseudo_version(&line.version) {
            pseudo::pseudo_version_time(&line.version).ok()
        } else {
            continue;
        };
        // A zero/unparsable time never beats anything (Go: bestTime.Before(ft)).
        let Some(t) = t else { continue };
        if best.is_none_or(|(b, _)| b < t) {
            best = Some((t, &line.version));
        }
    }
    best.map(|(_, v)| v.to_string())
}

/// Go's `url.PathEscape` of an escaped module path or file name, with `/`
/// kept: unreserved characters and `$&+:=@` stay, `!` becomes `%21`.
pub fn path_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'_' | b'.' | b'~' | b'$' | b'&' | b'+' | b':' | b'=' | b'@' | b'/'
            );
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The URL of `<base>/<escaped path>/<suffix>` (`newProxyRepo`, `getBody`).
/// `suffix` is already case-escaped (`@v/v1.0.0.info`).
pub fn request_url(base: &url::Url, escaped_path: &str, suffix: &str) -> url::Url {
    let mut url = base.clone();
    let joined = if url.scheme() == "file" {
        // Files on disk carry the decoded name (`!` literal); the url crate
        // still percent-encodes what a path must not contain.
        format!(
            "{}/{}/{}",
            base.path().trim_end_matches('/'),
            escaped_path,
            suffix
        )
    } else {
        format!(
            "{}/{}/{}",
            base.path().trim_end_matches('/'),
            path_escape(escaped_path),
            path_escape(suffix)
        )
    };
    url.set_path(&joined);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_round_trip_as_go_writes_it() {
        let info = parse_info(
            br#"{
  "Version": "v1.0.0", "Time": "2023-05-01T12:34:56.500+02:00", "Extra": 1,
  "Origin": {"VCS": "git", "URL": "https://a.example.com/r?x=1&y=<2>", "Hash": "abc", "TagSum": "t1:x", "Ref": "refs/tags/v1.0.0"}
}"#,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(cache_info_bytes(&info)).unwrap(),
            r#"{"Version":"v1.0.0","Time":"2023-05-01T12:34:56.5+02:00","Origin":{"VCS":"git","URL":"https://a.example.com/r?x=1\u0026y=\u003c2\u003e","Hash":"abc","Ref":"refs/tags/v1.0.0"}}"#
        );
        let info = parse_info(br#"{"Version":"v1.0.0"}"#).unwrap();
        assert_eq!(
            String::from_utf8(cache_info_bytes(&info)).unwrap(),
            r#"{"Version":"v1.0.0","Time":"0001-01-01T00:00:00Z"}"#
        );
        let info =
            parse_info(br#"{"Version":"v1.0.0","Time":"2020-01-01T00:00:00+00:00"}"#).unwrap();
        assert_eq!(format_go_time(info.time), "2020-01-01T00:00:00Z");
        assert_eq!(
            parse_info(b"<html>").unwrap_err().0,
            "invalid character '<' looking for beginning of value"
        );
        assert_eq!(
            parse_info(b"").unwrap_err().0,
            "unexpected end of JSON input"
        );
        assert_eq!(
            parse_info(b"{\"Version\":").unwrap_err().0,
            "unexpected end of JSON input"
        );
    }

    #[test]
    fn list_parsing() {
        let lines = parse_list(
            b"v1.0.0\nnotaversion\nv1.2.0-pre junk\r\n\nv1.1.0\nv0.0.0-20200101000000-abcdefabcdef\n",
        );
        assert_eq!(
            tagged_versions(&lines, ""),
            ["v1.0.0", "v1.1.0", "v1.2.0-pre"]
        );
        assert_eq!(
            latest_from_list(&lines).as_deref(),
            Some("v0.0.0-20200101000000-abcdefabcdef")
        );
        assert_eq!(latest_from_list(&parse_list(b"v1.0.0\n")), None);
    }

    #[test]
    fn urls() {
        let base = url::Url::parse("http://127.0.0.1:1/p/").unwrap();
        assert_eq!(
            request_url(&base, "example.com/!upper", "@v/v1.0.0.info").as_str(),
            "http://127.0.0.1:1/p/example.com/%21upper/@v/v1.0.0.info"
        );
        let base = url::Url::parse("file:///srv/p").unwrap();
        assert_eq!(
            request_url(&base, "example.com/!upper", "@latest").path(),
            "/srv/p/example.com/!upper/@latest"
        );
    }
}
