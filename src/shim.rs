//! TEMPORARY: stand-ins for module::{path,version,pseudo} and
//! verify::{dirhash,zipcheck} until those land; deleted after rebasing.
#![allow(dead_code, clippy::all)]

use std::cmp::Ordering;
use std::io::Read;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ShimError(pub String);

pub fn escape_path(path: &str) -> Result<String, ShimError> {
    if path.is_empty() || path.starts_with('/') || path.contains("..") {
        return Err(ShimError(format!("malformed module path {path:?}")));
    }
    Ok(escape(path))
}

pub fn escape_version(v: &str) -> Result<String, ShimError> {
    if v.contains('/') || v.contains('!') || v.is_empty() {
        return Err(ShimError(format!("disallowed version string {v:?}")));
    }
    Ok(escape(v))
}

fn escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

struct Parsed<'a> {
    major: &'a str,
    minor: &'a str,
    patch: &'a str,
    short: bool,
    pre: &'a str,
}

fn parse(v: &str) -> Option<Parsed<'_>> {
    let rest = v.strip_prefix('v')?;
    let (core, build) = match rest.find('+') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (nums, pre) = match core.find('-') {
        Some(i) => (&core[..i], &core[i..]),
        None => (core, ""),
    };
    let parts: Vec<&str> = nums.split('.').collect();
    let num_ok = |s: &str| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
    };
    if parts.is_empty() || parts.len() > 3 || !parts.iter().all(|p| num_ok(p)) {
        return None;
    }
    if parts.len() < 3 && (!pre.is_empty() || !build.is_empty()) {
        return None;
    }
    let ident_ok = |s: &str| {
        !s.is_empty()
            && s.split('.')
                .all(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    };
    if !pre.is_empty() && !ident_ok(&pre[1..]) {
        return None;
    }
    if !build.is_empty() && !ident_ok(&build[1..]) {
        return None;
    }
    Some(Parsed {
        major: parts[0],
        minor: parts.get(1).copied().unwrap_or("0"),
        patch: parts.get(2).copied().unwrap_or("0"),
        short: parts.len() < 3,
        pre,
    })
}

pub fn is_valid(v: &str) -> bool {
    parse(v).is_some()
}

pub fn canonical(v: &str) -> String {
    match parse(v) {
        Some(p) => format!("v{}.{}.{}{}", p.major, p.minor, p.patch, p.pre),
        None => String::new(),
    }
}

pub fn canonical_module_version(v: &str) -> String {
    let c = canonical(v);
    if v.ends_with("+incompatible") && !c.is_empty() {
        c + "+incompatible"
    } else {
        c
    }
}

pub fn is_prerelease(v: &str) -> bool {
    parse(v).is_some_and(|p| !p.pre.is_empty())
}

pub fn major(v: &str) -> String {
    parse(v)
        .map(|p| format!("v{}", p.major))
        .unwrap_or_default()
}

fn cmp_num(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then(a.cmp(b))
}

fn cmp_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let mut x = a[1..].split('.');
    let mut y = b[1..].split('.');
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => {
                let pn = p.bytes().all(|c| c.is_ascii_digit());
                let qn = q.bytes().all(|c| c.is_ascii_digit());
                let o = match (pn, qn) {
                    (true, true) => cmp_num(p, q),
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    _ => p.cmp(q),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

pub fn compare(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(p), Some(q)) => cmp_num(p.major, q.major)
            .then(cmp_num(p.minor, q.minor))
            .then(cmp_num(p.patch, q.patch))
            .then(cmp_pre(p.pre, q.pre)),
    }
}

pub fn sort(list: &mut [String]) {
    list.sort_by(|a, b| compare(a, b).then(a.cmp(b)));
}

pub fn is_pseudo_version(v: &str) -> bool {
    // vX.0.0-yyyymmddhhmmss-abcdef123456 and friends.
    if v.matches('-').count() < 2 || !is_valid(v) {
        return false;
    }
    let core = v.split('+').next().unwrap_or(v);
    let Some(i) = core.rfind('-') else {
        return false;
    };
    let rev = &core[i + 1..];
    let before = &core[..i];
    let ts: String = before
        .chars()
        .rev()
        .take(14)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    !rev.is_empty() && ts.len() == 14 && ts.bytes().all(|b| b.is_ascii_digit())
}

pub fn pseudo_version_time(v: &str) -> Option<String> {
    let core = v.split('+').next()?;
    let i = core.rfind('-')?;
    let before = &core[..i];
    Some(before[before.len().checked_sub(14)?..].to_string())
}

/// module.Check: path valid and version matches the path's major suffix.
pub fn check(path: &str, version: &str) -> Result<(), ShimError> {
    escape_path(path)?;
    if !is_valid(version) {
        return Err(ShimError("malformed semantic version".into()));
    }
    let m = major(version);
    let suffix = path.rsplit('/').next().unwrap_or("");
    let path_major = if suffix.len() > 1
        && suffix.starts_with('v')
        && suffix[1..].bytes().all(|b| b.is_ascii_digit())
    {
        Some(suffix.to_string())
    } else {
        None
    };
    match path_major {
        Some(pm) if pm == m => Ok(()),
        Some(_) => Err(ShimError("should be vN".into())),
        None => {
            if m == "v0" || m == "v1" || version.ends_with("+incompatible") {
                Ok(())
            } else {
                Err(ShimError(format!(
                    "invalid version: should be v0 or v1, not {m}"
                )))
            }
        }
    }
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

fn hash1(mut files: Vec<(String, Vec<u8>)>) -> String {
    use base64::Engine;
    use sha2::Digest;
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut summary = String::new();
    for (name, data) in files {
        summary.push_str(&format!("{}  {}\n", sha256_hex(&data), name));
    }
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(summary.as_bytes()))
    )
}

pub fn hash_go_mod(content: &[u8]) -> String {
    hash1(vec![("go.mod".into(), content.to_vec())])
}

pub fn hash_zip(path: &Path) -> Result<String, ShimError> {
    let f = std::fs::File::open(path).map_err(|e| ShimError(e.to_string()))?;
    let mut z = zip::ZipArchive::new(f).map_err(|e| ShimError(e.to_string()))?;
    let mut files = Vec::new();
    for i in 0..z.len() {
        let mut e = z.by_index(i).map_err(|e| ShimError(e.to_string()))?;
        let mut data = Vec::new();
        e.read_to_end(&mut data)
            .map_err(|e| ShimError(e.to_string()))?;
        files.push((
            e.name().map_err(|e| ShimError(e.to_string()))?.to_string(),
            data,
        ));
    }
    Ok(hash1(files))
}

pub fn unzip(dir: &Path, path: &str, version: &str, zipfile: &Path) -> Result<(), ShimError> {
    use std::os::unix::fs::OpenOptionsExt;
    let f = std::fs::File::open(zipfile).map_err(|e| ShimError(e.to_string()))?;
    let mut z = zip::ZipArchive::new(f).map_err(|e| ShimError(e.to_string()))?;
    let prefix = format!("{path}@{version}/");
    for i in 0..z.len() {
        let mut e = z.by_index(i).map_err(|e| ShimError(e.to_string()))?;
        let name = e.name().map_err(|e| ShimError(e.to_string()))?.to_string();
        let Some(rel) = name.strip_prefix(&prefix) else {
            return Err(ShimError(format!("unexpected file {name}")));
        };
        if rel.ends_with('/') {
            continue;
        }
        let dst = dir.join(rel);
        if let Some(p) = dst.parent() {
            std::fs::create_dir_all(p).map_err(|e| ShimError(e.to_string()))?;
        }
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o444)
            .open(&dst)
            .map_err(|e| ShimError(e.to_string()))?;
        std::io::copy(&mut e, &mut out).map_err(|e| ShimError(e.to_string()))?;
    }
    Ok(())
}

pub fn match_prefix_patterns(globs: &str, target: &str) -> bool {
    for glob in globs.split(',') {
        let glob = glob.strip_suffix('/').unwrap_or(glob);
        if glob.is_empty() {
            continue;
        }
        let n = glob.matches('/').count();
        let parts: Vec<&str> = target.split('/').collect();
        if parts.len() < n + 1 {
            continue;
        }
        let prefix = parts[..n + 1].join("/");
        if glob_match(glob.as_bytes(), prefix.as_bytes()) {
            return true;
        }
    }
    false
}

fn glob_match(p: &[u8], s: &[u8]) -> bool {
    if p.is_empty() {
        return s.is_empty();
    }
    match p[0] {
        b'*' => (0..=s.len())
            .take_while(|&i| i == 0 || s[i - 1] != b'/')
            .any(|i| glob_match(&p[1..], &s[i..])),
        b'?' => !s.is_empty() && s[0] != b'/' && glob_match(&p[1..], &s[1..]),
        b'\\' if p.len() > 1 => !s.is_empty() && s[0] == p[1] && glob_match(&p[2..], &s[1..]),
        c => !s.is_empty() && s[0] == c && glob_match(&p[1..], &s[1..]),
    }
}
