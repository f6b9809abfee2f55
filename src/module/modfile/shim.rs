//! Temporary private stand-in for the Go semver and module-path rules that
//! `module::version` and `module::path` will provide (x/mod semver/semver.go,
//! module/module.go: SplitPathVersion, CheckPathMajor, PathMajorPrefix).
//! Delete once those land on main.

use std::cmp::Ordering;

#[derive(Default)]
struct Parsed<'a> {
    major: &'a str,
    minor: &'a str,
    patch: &'a str,
    prerelease: &'a str,
    build: &'a str,
}

fn parse_int(v: &str) -> Option<(&str, &str)> {
    let n = v.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || (n > 1 && v.as_bytes()[0] == b'0') {
        return None;
    }
    Some((&v[..n], &v[n..]))
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

fn is_bad_num(v: &str) -> bool {
    v.bytes().all(|c| c.is_ascii_digit()) && v.len() > 1 && v.as_bytes()[0] == b'0'
}

fn parse_dotted(v: &str, stop_at_plus: bool, check_num: bool) -> Option<(&str, &str)> {
    let b = v.as_bytes();
    let mut i = 1;
    let mut start = 1;
    while i < b.len() && !(stop_at_plus && b[i] == b'+') {
        if !is_ident_char(b[i]) && b[i] != b'.' {
            return None;
        }
        if b[i] == b'.' {
            if start == i || (check_num && is_bad_num(&v[start..i])) {
                return None;
            }
            start = i + 1;
        }
        i += 1;
    }
    if start == i || (check_num && is_bad_num(&v[start..i])) {
        return None;
    }
    Some((&v[..i], &v[i..]))
}

fn parse(v: &str) -> Option<Parsed<'_>> {
    let rest = v.strip_prefix('v')?;
    let mut p = Parsed::default();
    let (major, rest) = parse_int(rest)?;
    p.major = major;
    if rest.is_empty() {
        p.minor = "0";
        p.patch = "0";
        return Some(p);
    }
    let rest = rest.strip_prefix('.')?;
    let (minor, rest) = parse_int(rest)?;
    p.minor = minor;
    if rest.is_empty() {
        p.patch = "0";
        return Some(p);
    }
    let rest = rest.strip_prefix('.')?;
    let (patch, mut rest) = parse_int(rest)?;
    p.patch = patch;
    if rest.starts_with('-') {
        let (pre, r) = parse_dotted(rest, true, true)?;
        p.prerelease = pre;
        rest = r;
    }
    if rest.starts_with('+') {
        let (build, r) = parse_dotted(rest, false, false)?;
        p.build = build;
        rest = r;
    }
    if !rest.is_empty() {
        return None;
    }
    Some(p)
}

pub fn is_valid(v: &str) -> bool {
    parse(v).is_some()
}

/// `semver.Canonical`: `""` for invalid versions, build metadata dropped.
pub fn canonical(v: &str) -> String {
    match parse(v) {
        Some(p) => format!("v{}.{}.{}{}", p.major, p.minor, p.patch, p.prerelease),
        None => String::new(),
    }
}

/// `module.CanonicalVersion`: like `canonical` but keeps `+incompatible`.
pub fn canonical_module(v: &str) -> String {
    let c = canonical(v);
    if build(v) == "+incompatible" {
        return c + "+incompatible";
    }
    c
}

pub fn major(v: &str) -> String {
    match parse(v) {
        Some(p) => format!("v{}", p.major),
        None => String::new(),
    }
}

pub fn build(v: &str) -> &str {
    parse(v).map(|p| p.build).unwrap_or("")
}

fn compare_int(x: &str, y: &str) -> Ordering {
    x.len().cmp(&y.len()).then_with(|| x.cmp(y))
}

fn compare_prerelease(x: &str, y: &str) -> Ordering {
    if x == y {
        return Ordering::Equal;
    }
    if x.is_empty() {
        return Ordering::Greater;
    }
    if y.is_empty() {
        return Ordering::Less;
    }
    let mut xs = x[1..].split('.');
    let mut ys = y[1..].split('.');
    loop {
        match (xs.next(), ys.next()) {
            (Some(dx), Some(dy)) => {
                if dx == dy {
                    continue;
                }
                let ix = dx.bytes().all(|c| c.is_ascii_digit());
                let iy = dy.bytes().all(|c| c.is_ascii_digit());
                if ix != iy {
                    return if ix {
                        Ordering::Less
                    } else {
                        Ordering::Greater
                    };
                }
                if ix && dx.len() != dy.len() {
                    return dx.len().cmp(&dy.len());
                }
                return dx.cmp(dy);
            }
            (None, _) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
        }
    }
}

/// `semver.Compare`: invalid versions sort below valid ones and equal each other.
pub fn compare(v: &str, w: &str) -> Ordering {
    match (parse(v), parse(w)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => compare_int(a.major, b.major)
            .then_with(|| compare_int(a.minor, b.minor))
            .then_with(|| compare_int(a.patch, b.patch))
            .then_with(|| compare_prerelease(a.prerelease, b.prerelease)),
    }
}

/// `module.SplitPathVersion`: (prefix, pathMajor, ok).
pub fn split_path_version(path: &str) -> (&str, &str, bool) {
    if path.starts_with("gopkg.in/") {
        return split_gopkg_in(path);
    }
    let b = path.as_bytes();
    let mut i = b.len();
    let mut dot = false;
    while i > 0 && (b[i - 1].is_ascii_digit() || b[i - 1] == b'.') {
        if b[i - 1] == b'.' {
            dot = true;
        }
        i -= 1;
    }
    if i <= 1 || i == b.len() || b[i - 1] != b'v' || b[i - 2] != b'/' {
        return (path, "", true);
    }
    let (prefix, path_major) = (&path[..i - 2], &path[i - 2..]);
    if dot || path_major.len() <= 2 || path_major.as_bytes()[2] == b'0' || path_major == "/v1" {
        return (path, "", false);
    }
    (prefix, path_major, true)
}

fn split_gopkg_in(path: &str) -> (&str, &str, bool) {
    let b = path.as_bytes();
    let mut i = b.len();
    if path.ends_with("-unstable") {
        i -= "-unstable".len();
    }
    while i > 0 && b[i - 1].is_ascii_digit() {
        i -= 1;
    }
    if i <= 1 || b[i - 1] != b'v' || b[i - 2] != b'.' {
        return (path, "", false);
    }
    let (prefix, path_major) = (&path[..i - 2], &path[i - 2..]);
    if path_major.len() <= 2 || (path_major.as_bytes()[2] == b'0' && path_major != ".v0") {
        return (path, "", false);
    }
    (prefix, path_major, true)
}

/// `module.CheckPathMajor`, returning the `InvalidVersionError` text on failure.
pub fn check_path_major(v: &str, path_major: &str) -> Result<(), String> {
    let mut path_major = path_major;
    if path_major.starts_with(".v") && path_major.ends_with("-unstable") {
        path_major = &path_major[..path_major.len() - "-unstable".len()];
    }
    if v.starts_with("v0.0.0-") && path_major == ".v1" {
        return Ok(());
    }
    let m = major(v);
    let want: String;
    if path_major.is_empty() {
        if m == "v0" || m == "v1" || build(v) == "+incompatible" {
            return Ok(());
        }
        want = "v0 or v1".to_string();
    } else if path_major.starts_with('/') || path_major.starts_with('.') {
        if m == path_major[1..] {
            return Ok(());
        }
        want = path_major[1..].to_string();
    } else {
        want = path_major.to_string();
    }
    Err(format!(
        "version {} invalid: should be {want}, not {m}",
        super::go_quote(v)
    ))
}

/// `module.PathMajorPrefix`.
pub fn path_major_prefix(path_major: &str) -> &str {
    let mut pm = path_major;
    if pm.is_empty() {
        return "";
    }
    if pm.starts_with(".v") && pm.ends_with("-unstable") {
        pm = &pm[..pm.len() - "-unstable".len()];
    }
    &pm[1..]
}
