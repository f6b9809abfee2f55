//! Module, import and file path checks; case escaping (`!x`) both ways; major-version suffixes (x/mod module/module.go, spec/integrity.md §3).
//!
//! A line-by-line port of the path half of x/mod `module/module.go`:
//! `CheckPath`, `CheckImportPath`, `CheckFilePath`, `SplitPathVersion`,
//! `CheckPathMajor`, `MatchPathMajor`, `PathMajorPrefix`, `Check`,
//! `EscapePath`/`UnescapePath`, `EscapeVersion`/`UnescapeVersion`. Error
//! texts are Go's, word for word, because Go users know them
//! (`malformed module path "x": missing dot in first path element`).
//! Proven on Go's own tables: testdata/vectors/module/{check,check_path,
//! split_path_version,escape,match_path_major}.json.
//!
//! Pure: no I/O, no allocation beyond the result, never panics. Inputs are
//! `&str`, so the "invalid UTF-8" rule of Go is enforced by the type system
//! (callers holding bytes convert first and treat a conversion failure as
//! Go's `invalid UTF-8`; see [`PathDefect::InvalidUtf8`]).

use std::fmt;

use crate::module::version;

/// Which of Go's three path checks produced an error (`InvalidPathError.Kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PathKind {
    /// A module path (`CheckPath`).
    Module,
    /// An import path (`CheckImportPath`).
    Import,
    /// A file path inside a module (`CheckFilePath`).
    File,
}

impl fmt::Display for PathKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathKind::Module => "module",
            PathKind::Import => "import",
            PathKind::File => "file",
        })
    }
}

/// Why a path is malformed: the inner error of Go's `InvalidPathError`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathDefect {
    /// The bytes were not UTF-8 (only reachable by callers converting bytes).
    #[error("invalid UTF-8")]
    InvalidUtf8,
    #[error("empty string")]
    Empty,
    #[error("leading dash")]
    LeadingDash,
    #[error("double slash")]
    DoubleSlash,
    #[error("trailing slash")]
    TrailingSlash,
    #[error("empty path element")]
    EmptyElement,
    /// An element made only of dots (`.`, `..`, ...).
    #[error("invalid path element {}", go_quote(.0))]
    DotsOnly(String),
    #[error("leading dot in path element")]
    LeadingDot,
    #[error("trailing dot in path element")]
    TrailingDot,
    #[error("invalid char {}", go_quote_rune(*.0))]
    InvalidChar(char),
    /// The part of an element before its first dot is a reserved Windows name.
    #[error("{} disallowed as path element component on Windows", go_quote(.0))]
    WindowsReserved(String),
    #[error("trailing tilde and digits in path element")]
    TildeDigits,
    #[error("leading slash")]
    LeadingSlash,
    #[error("missing dot in first path element")]
    MissingDot,
    #[error("leading dash in first path element")]
    LeadingDashInFirstElement,
    #[error("invalid char {} in first path element", go_quote_rune(*.0))]
    InvalidCharInFirstElement(char),
    /// `SplitPathVersion` failed: a bad `/vN` or `.vN` suffix.
    #[error("invalid version")]
    BadMajorSuffix,
}

/// Why a version is unacceptable: the inner error of Go's `InvalidVersionError`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionDefect {
    #[error("not a semantic version")]
    NotSemver,
    /// The version's major does not fit the path's major suffix.
    #[error("should be {want}, not {got}")]
    WrongMajor { want: String, got: String },
    /// `EscapeVersion`: not a valid file-path element, or contains `!`.
    #[error("disallowed version string")]
    Disallowed,
    /// Pseudo-version syntax.
    #[error("syntax error")]
    PseudoSyntax,
    #[error("malformed time {}", go_quote(.timestamp))]
    MalformedTime { timestamp: String },
    #[error("lacks base version, but has build metadata {}", go_quote(.build))]
    LacksBaseVersion { build: String },
    #[error("version before {base} would have negative patch number")]
    NegativePatch { base: String },
}

/// Go's `InvalidVersionError`: `version "v" invalid: reason` (or `pseudo-version ...`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} {} invalid: {reason}", self.noun(), go_quote(.version))]
pub struct InvalidVersionError {
    pub version: String,
    /// Whether the version was parsed as a pseudo-version (changes the noun).
    pub pseudo: bool,
    pub reason: VersionDefect,
}

impl InvalidVersionError {
    fn noun(&self) -> &'static str {
        if self.pseudo {
            "pseudo-version"
        } else {
            "version"
        }
    }
}

/// Every error of the module path and version rules, displayed as Go displays it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModulePathError {
    /// Go's `InvalidPathError`: `malformed module path "p": reason`.
    #[error("malformed {kind} path {}: {defect}", go_quote(.path))]
    Malformed {
        kind: PathKind,
        path: String,
        defect: PathDefect,
    },
    /// A bare `InvalidVersionError` (`CheckPathMajor`, `EscapeVersion`, pseudo-versions).
    #[error(transparent)]
    InvalidVersion(#[from] InvalidVersionError),
    /// Go's `ModuleError` wrapping an `InvalidVersionError` (`module.Check`):
    /// `path@v: invalid version: reason`.
    #[error("{path}@{}: invalid {}: {}", .error.version, .error.noun(), .error.reason)]
    ModuleVersion {
        path: String,
        error: InvalidVersionError,
    },
    /// `UnescapePath` failed. `cause` is set when the unescaped form is not a
    /// valid module path.
    #[error("invalid escaped module path {}{}", go_quote(.escaped), colon(.cause))]
    InvalidEscapedPath {
        escaped: String,
        cause: Option<Box<ModulePathError>>,
    },
    /// `UnescapeVersion` failed. With a `defect`, Go quotes the *unescaped*
    /// version, so `version` holds that; otherwise the escaped input.
    #[error("invalid escaped version {}{}", go_quote(.version), colon_defect(.defect))]
    InvalidEscapedVersion {
        version: String,
        defect: Option<PathDefect>,
    },
    /// Go's `escapeString` consistency check (a valid version element with
    /// non-ASCII letters reaches it).
    #[error("internal error: inconsistency in EscapePath")]
    EscapeInconsistency,
}

fn colon(cause: &Option<Box<ModulePathError>>) -> String {
    match cause {
        Some(cause) => format!(": {cause}"),
        None => String::new(),
    }
}

fn colon_defect(defect: &Option<PathDefect>) -> String {
    match defect {
        Some(defect) => format!(": {defect}"),
        None => String::new(),
    }
}

fn malformed(kind: PathKind, path: &str, defect: PathDefect) -> ModulePathError {
    ModulePathError::Malformed {
        kind,
        path: path.to_owned(),
        defect,
    }
}

/// `module.Check(path, version)`: a valid module path, a valid semantic
/// version, and a version whose major agrees with the path's suffix. It does
/// not require the version to be canonical.
pub fn check(path: &str, version: &str) -> Result<(), ModulePathError> {
    check_path(path)?;
    if !version::is_valid(version) {
        return Err(ModulePathError::ModuleVersion {
            path: path.to_owned(),
            error: InvalidVersionError {
                version: version.to_owned(),
                pseudo: false,
                reason: VersionDefect::NotSemver,
            },
        });
    }
    let path_major = split_path_version(path).map_or("", |(_, major)| major);
    match check_path_major_inner(version, path_major) {
        Ok(()) => Ok(()),
        Err(error) => Err(ModulePathError::ModuleVersion {
            path: path.to_owned(),
            error,
        }),
    }
}

fn first_path_ok(c: char) -> bool {
    c == '-' || c == '.' || c.is_ascii_digit() || c.is_ascii_lowercase()
}

fn mod_path_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

fn import_path_ok(c: char) -> bool {
    mod_path_ok(c) || c == '+'
}

fn file_name_ok(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || "!#$%&()+,-.=@[]^_{}~ ".contains(c)
    } else {
        // Go's unicode.IsLetter (category L); Rust's is_alphabetic also
        // admits Nl and Other_Alphabetic marks, so exclude those.
        is_go_letter(c)
    }
}

/// Approximates Go's `unicode.IsLetter` (general category L*) with the
/// standard library: alphabetic characters that are not letter numbers (Nl)
/// or combining marks with the Other_Alphabetic property.
fn is_go_letter(c: char) -> bool {
    if !c.is_alphabetic() || c.is_numeric() {
        return false;
    }
    // Combining marks (Mn/Mc) that Rust counts as alphabetic: the common
    // combining blocks and the per-script vowel-sign ranges cannot be listed
    // exhaustively without tables; the combining-diacritics blocks cover
    // the Latin/Greek/Cyrillic cases a module file name plausibly contains.
    !matches!(c as u32,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x05BF | 0x05C1..=0x05C2
        | 0x05C4..=0x05C5 | 0x05C7 | 0x0610..=0x061A | 0x064B..=0x065F | 0x0670
        | 0x06D6..=0x06DC | 0x06DF..=0x06E4 | 0x06E7..=0x06E8 | 0x06EA..=0x06ED
        | 0x0900..=0x0903 | 0x093A..=0x093C | 0x093E..=0x094F | 0x0951..=0x0957
        | 0x0962..=0x0963 | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF
        | 0x2DE0..=0x2DFF | 0xFE20..=0xFE2F)
}

/// `module.CheckPath`: whether `path` is a valid module path.
pub fn check_path(path: &str) -> Result<(), ModulePathError> {
    check_module_path(path).map_err(|defect| malformed(PathKind::Module, path, defect))
}

fn check_module_path(path: &str) -> Result<(), PathDefect> {
    check_path_kind(path, PathKind::Module)?;
    let first = path.split('/').next().unwrap_or("");
    if first.is_empty() {
        return Err(PathDefect::LeadingSlash);
    }
    if !first.contains('.') {
        return Err(PathDefect::MissingDot);
    }
    if path.starts_with('-') {
        return Err(PathDefect::LeadingDashInFirstElement);
    }
    if let Some(c) = first.chars().find(|&c| !first_path_ok(c)) {
        return Err(PathDefect::InvalidCharInFirstElement(c));
    }
    if split_path_version(path).is_none() {
        return Err(PathDefect::BadMajorSuffix);
    }
    Ok(())
}

/// `module.CheckImportPath`: whether `path` is a valid import path.
pub fn check_import_path(path: &str) -> Result<(), ModulePathError> {
    check_path_kind(path, PathKind::Import)
        .map_err(|defect| malformed(PathKind::Import, path, defect))
}

/// `module.CheckFilePath`: whether `path` is a valid file path inside a module.
pub fn check_file_path(path: &str) -> Result<(), ModulePathError> {
    check_path_kind(path, PathKind::File).map_err(|defect| malformed(PathKind::File, path, defect))
}

/// Go's `checkPath(path, kind)`: the rules shared by the three path kinds.
fn check_path_kind(path: &str, kind: PathKind) -> Result<(), PathDefect> {
    if path.is_empty() {
        return Err(PathDefect::Empty);
    }
    if path.starts_with('-') && kind != PathKind::File {
        return Err(PathDefect::LeadingDash);
    }
    if path.contains("//") {
        return Err(PathDefect::DoubleSlash);
    }
    if path.ends_with('/') {
        return Err(PathDefect::TrailingSlash);
    }
    for elem in path.split('/') {
        check_elem(elem, kind)?;
    }
    Ok(())
}

const BAD_WINDOWS_NAMES: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Go's `checkElem(elem, kind)`: one `/`-separated element.
fn check_elem(elem: &str, kind: PathKind) -> Result<(), PathDefect> {
    if elem.is_empty() {
        return Err(PathDefect::EmptyElement);
    }
    if elem.bytes().all(|b| b == b'.') {
        return Err(PathDefect::DotsOnly(elem.to_owned()));
    }
    if elem.starts_with('.') && kind == PathKind::Module {
        return Err(PathDefect::LeadingDot);
    }
    if elem.ends_with('.') {
        return Err(PathDefect::TrailingDot);
    }
    let ok: fn(char) -> bool = match kind {
        PathKind::Module => mod_path_ok,
        PathKind::Import => import_path_ok,
        PathKind::File => file_name_ok,
    };
    if let Some(c) = elem.chars().find(|&c| !ok(c)) {
        return Err(PathDefect::InvalidChar(c));
    }
    let short = elem.split('.').next().unwrap_or(elem);
    // Go's strings.EqualFold: all reserved names are ASCII, and a non-ASCII
    // rune only folds to ASCII for K (U+212A Kelvin) and ſ (U+017F), which
    // occur in none of them, so an ASCII case-insensitive compare is exact.
    if BAD_WINDOWS_NAMES
        .iter()
        .any(|bad| bad.eq_ignore_ascii_case(short))
    {
        return Err(PathDefect::WindowsReserved(short.to_owned()));
    }
    if kind == PathKind::File {
        return Ok(());
    }
    // Short names like "EXAMPLE~1" are a Windows hazard (golang.org/issue/39204).
    if let Some(tilde) = short.rfind('~') {
        let suffix = &short[tilde + 1..];
        if !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PathDefect::TildeDigits);
        }
    }
    Ok(())
}

/// `module.SplitPathVersion`: splits a trailing major-version suffix (`/v2`,
/// or `.v1` / `.v1-unstable` for gopkg.in) off `path`. Returns
/// `Some((prefix, path_major))` where Go returns `ok == true`, with
/// `prefix + path_major == path`; `None` where the suffix is malformed
/// (`/v0`, `/v1`, `/v02`, `/v2.0`, gopkg.in without `.vN`).
pub fn split_path_version(path: &str) -> Option<(&str, &str)> {
    if path.starts_with("gopkg.in/") {
        return split_gopkg_in(path);
    }
    let bytes = path.as_bytes();
    let mut i = bytes.len();
    let mut dot = false;
    while i > 0 && (bytes[i - 1].is_ascii_digit() || bytes[i - 1] == b'.') {
        if bytes[i - 1] == b'.' {
            dot = true;
        }
        i -= 1;
    }
    if i <= 1 || i == bytes.len() || bytes[i - 1] != b'v' || bytes[i - 2] != b'/' {
        return Some((path, ""));
    }
    let (prefix, path_major) = path.split_at(i - 2);
    if dot || path_major.len() <= 2 || path_major.as_bytes()[2] == b'0' || path_major == "/v1" {
        return None;
    }
    Some((prefix, path_major))
}

fn split_gopkg_in(path: &str) -> Option<(&str, &str)> {
    let bytes = path.as_bytes();
    let mut i = bytes.len();
    if path.ends_with("-unstable") {
        i -= "-unstable".len();
    }
    while i > 0 && bytes[i - 1].is_ascii_digit() {
        i -= 1;
    }
    if i <= 1 || bytes[i - 1] != b'v' || bytes[i - 2] != b'.' {
        return None;
    }
    let (prefix, path_major) = path.split_at(i - 2);
    if path_major.len() <= 2 || (path_major.as_bytes()[2] == b'0' && path_major != ".v0") {
        return None;
    }
    Some((prefix, path_major))
}

/// `module.MatchPathMajor`: whether `version` fits the suffix `path_major`.
pub fn match_path_major(version: &str, path_major: &str) -> bool {
    check_path_major_inner(version, path_major).is_ok()
}

/// `module.CheckPathMajor`: an error (`version "v2.0.0" invalid: should be
/// v0 or v1, not v2`) unless `version`'s major fits `path_major` (as returned
/// by [`split_path_version`]). An empty suffix admits v0, v1 and any
/// `+incompatible` version; `.v1` also admits `v0.0.0-...` pseudo-versions.
pub fn check_path_major(version: &str, path_major: &str) -> Result<(), ModulePathError> {
    check_path_major_inner(version, path_major).map_err(ModulePathError::InvalidVersion)
}

fn check_path_major_inner(version: &str, path_major: &str) -> Result<(), InvalidVersionError> {
    let mut path_major = path_major;
    if path_major.starts_with(".v") {
        path_major = path_major.strip_suffix("-unstable").unwrap_or(path_major);
    }
    if version.starts_with("v0.0.0-") && path_major == ".v1" {
        // Before gopkg.in/yaml.v1 adopted modules its dependents recorded
        // v0.0.0 pseudo-versions for it; Go keeps accepting them.
        return Ok(());
    }
    let major = version::major(version);
    let want = if path_major.is_empty() {
        if major == "v0" || major == "v1" || version::build(version) == "+incompatible" {
            return Ok(());
        }
        "v0 or v1"
    } else if path_major.starts_with('/') || path_major.starts_with('.') {
        let suffix = &path_major[1..];
        if major == suffix {
            return Ok(());
        }
        suffix
    } else {
        path_major
    };
    Err(InvalidVersionError {
        version: version.to_owned(),
        pseudo: false,
        reason: VersionDefect::WrongMajor {
            want: want.to_owned(),
            got: major.to_owned(),
        },
    })
}

/// `module.PathMajorPrefix`: the major version a suffix demands (`/v2` ->
/// `v2`, `.v1-unstable` -> `v1`, `""` -> `""`). `None` where Go would panic
/// (no separator, or not a valid major).
pub fn path_major_prefix(path_major: &str) -> Option<&str> {
    if path_major.is_empty() {
        return Some("");
    }
    if !path_major.starts_with('/') && !path_major.starts_with('.') {
        return None;
    }
    let mut path_major = path_major;
    if path_major.starts_with(".v") {
        path_major = path_major.strip_suffix("-unstable").unwrap_or(path_major);
    }
    let major = &path_major[1..];
    (major == version::major(major)).then_some(major)
}

/// `module.EscapePath`: the case-encoded form of a valid module path, used in
/// proxy URLs, cache paths and checksum-database lookups
/// (`example.com/Azure` -> `example.com/!azure`).
pub fn escape_path(path: &str) -> Result<String, ModulePathError> {
    check_path(path)?;
    escape_string(path)
}

/// `module.EscapeVersion`: the case-encoded form of a version
/// (`v1.0.0-RC1` -> `v1.0.0-!r!c1`). The version must be a valid file-path
/// element without `!`; it need not be semver.
pub fn escape_version(version: &str) -> Result<String, ModulePathError> {
    if check_elem(version, PathKind::File).is_err() || version.contains('!') {
        return Err(ModulePathError::InvalidVersion(InvalidVersionError {
            version: version.to_owned(),
            pseudo: false,
            reason: VersionDefect::Disallowed,
        }));
    }
    escape_string(version)
}

fn escape_string(s: &str) -> Result<String, ModulePathError> {
    if s.bytes().any(|b| b == b'!' || !b.is_ascii()) {
        return Err(ModulePathError::EscapeInconsistency);
    }
    let mut escaped = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            escaped.push('!');
            escaped.push(c.to_ascii_lowercase());
        } else {
            escaped.push(c);
        }
    }
    Ok(escaped)
}

/// `module.UnescapePath`: the module path an escaped path stands for; the
/// result must itself be a valid module path.
pub fn unescape_path(escaped: &str) -> Result<String, ModulePathError> {
    let Some(path) = unescape_string(escaped) else {
        return Err(ModulePathError::InvalidEscapedPath {
            escaped: escaped.to_owned(),
            cause: None,
        });
    };
    if let Err(cause) = check_path(&path) {
        return Err(ModulePathError::InvalidEscapedPath {
            escaped: escaped.to_owned(),
            cause: Some(Box::new(cause)),
        });
    }
    Ok(path)
}

/// `module.UnescapeVersion`: the version an escaped version stands for; the
/// result must be a valid file-path element.
pub fn unescape_version(escaped: &str) -> Result<String, ModulePathError> {
    let Some(version) = unescape_string(escaped) else {
        return Err(ModulePathError::InvalidEscapedVersion {
            version: escaped.to_owned(),
            defect: None,
        });
    };
    if let Err(defect) = check_elem(&version, PathKind::File) {
        return Err(ModulePathError::InvalidEscapedVersion {
            version,
            defect: Some(defect),
        });
    }
    Ok(version)
}

/// Go's `unescapeString`: `!x` -> `X`; rejects non-ASCII, upper case, a `!`
/// not followed by `a-z`, and a trailing `!`.
fn unescape_string(escaped: &str) -> Option<String> {
    let mut out = String::with_capacity(escaped.len());
    let mut bang = false;
    for c in escaped.chars() {
        if !c.is_ascii() {
            return None;
        }
        if bang {
            bang = false;
            if !c.is_ascii_lowercase() {
                return None;
            }
            out.push(c.to_ascii_uppercase());
            continue;
        }
        if c == '!' {
            bang = true;
            continue;
        }
        if c.is_ascii_uppercase() {
            return None;
        }
        out.push(c);
    }
    (!bang).then_some(out)
}

/// Go's `strconv.Quote` (the `%q` verb) for a string: double quotes, Go
/// escapes. Printability of non-ASCII characters approximates Go's
/// `unicode.IsPrint` (no Unicode tables in std): controls, white space,
/// common format characters and private-use/noncharacters are escaped.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        push_quoted_char(&mut out, c, '"');
    }
    out.push('"');
    out
}

/// Go's `strconv.QuoteRune` (the `%q` verb for a rune): `'x'`.
pub fn go_quote_rune(c: char) -> String {
    let mut out = String::with_capacity(6);
    out.push('\'');
    push_quoted_char(&mut out, c, '\'');
    out.push('\'');
    out
}

fn push_quoted_char(out: &mut String, c: char, quote: char) {
    use fmt::Write as _;
    if c == quote || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if is_go_print(c) {
        out.push(c);
        return;
    }
    // Writing to a String cannot fail.
    let _ = match c {
        '\u{7}' => write!(out, "\\a"),
        '\u{8}' => write!(out, "\\b"),
        '\u{c}' => write!(out, "\\f"),
        '\n' => write!(out, "\\n"),
        '\r' => write!(out, "\\r"),
        '\t' => write!(out, "\\t"),
        '\u{b}' => write!(out, "\\v"),
        c if (c as u32) < 0x20 || c == '\u{7f}' => write!(out, "\\x{:02x}", c as u32),
        c if (c as u32) < 0x10000 => write!(out, "\\u{:04x}", c as u32),
        c => write!(out, "\\U{:08x}", c as u32),
    };
}

fn is_go_print(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(c as u32,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x180E | 0x200B..=0x200F
        | 0x2028..=0x202E | 0x2060..=0x206F | 0xD800..=0xF8FF | 0xFEFF | 0xFFF9..=0xFFFB
        | 0xFFFE..=0xFFFF | 0xE0001 | 0xE0020..=0xE007F | 0xF0000..)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn load(rel: &str) -> Value {
        let path = format!("{}/testdata/vectors/{rel}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn s<'a>(row: &'a Value, key: &str) -> &'a str {
        row[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} in {row}"))
    }

    fn b(row: &Value, key: &str) -> bool {
        row[key]
            .as_bool()
            .unwrap_or_else(|| panic!("{key} in {row}"))
    }

    #[test]
    fn vectors_check() {
        const FILE: &str = "module/check.json";
        let data = load(FILE);
        let mut checked = 0;
        for row in data["cases"].as_array().unwrap() {
            let (path, version) = (s(row, "path"), s(row, "version"));
            let got = check(path, version);
            assert_eq!(
                got.is_ok(),
                b(row, "ok"),
                "{FILE}: check({path:?}, {version:?}) = {got:?}"
            );
            if let (Err(err), Some(want)) = (&got, row["x_mod_error"].as_str()) {
                assert_eq!(
                    err.to_string(),
                    want,
                    "{FILE}: check({path:?}, {version:?})"
                );
            }
            checked += 1;
        }
        assert_eq!(checked, 29, "{FILE}");
    }

    #[test]
    fn vectors_check_path() {
        const FILE: &str = "module/check_path.json";
        let data = load(FILE);
        let mut checked = 0;
        for row in data["cases"].as_array().unwrap() {
            let Some(path) = row["path"].as_str() else {
                // Not UTF-8: the &str API cannot even receive it. Go's verdict
                // is "invalid" for all three kinds; the lossy form (U+FFFD) must
                // be rejected too, and the wording matches Go's for the bytes.
                let bytes = hex::decode(s(row, "path_hex")).unwrap();
                assert!(std::str::from_utf8(&bytes).is_err(), "{FILE}: {row}");
                assert!(
                    !b(row, "module_path_ok")
                        && !b(row, "import_path_ok")
                        && !b(row, "file_path_ok")
                );
                let lossy = String::from_utf8_lossy(&bytes);
                assert!(check_path(&lossy).is_err(), "{FILE}: lossy {lossy:?}");
                assert!(
                    check_import_path(&lossy).is_err(),
                    "{FILE}: lossy {lossy:?}"
                );
                assert!(check_file_path(&lossy).is_err(), "{FILE}: lossy {lossy:?}");
                assert!(escape_path(&lossy).is_err() && unescape_path(&lossy).is_err());
                checked += 1;
                continue;
            };
            for (kind, got, ok_key, err_key) in [
                (
                    "module",
                    check_path(path),
                    "module_path_ok",
                    "x_mod_check_path_error",
                ),
                (
                    "import",
                    check_import_path(path),
                    "import_path_ok",
                    "x_mod_check_import_path_error",
                ),
                (
                    "file",
                    check_file_path(path),
                    "file_path_ok",
                    "x_mod_check_file_path_error",
                ),
            ] {
                assert_eq!(
                    got.is_ok(),
                    b(row, ok_key),
                    "{FILE}: {kind} path {path:?}: {got:?}"
                );
                if let (Err(err), Some(want)) = (&got, row[err_key].as_str()) {
                    assert_eq!(err.to_string(), want, "{FILE}: {kind} path {path:?}");
                }
            }
            // TestSplitPathVersion reuses this table: prefix + major == path.
            if let Some((prefix, major)) = split_path_version(path) {
                assert_eq!(format!("{prefix}{major}"), path, "{FILE}: split {path:?}");
            }
            // TestEscapePath / TestUnescapePath: invalid paths never (un)escape.
            if !b(row, "module_path_ok") {
                assert!(escape_path(path).is_err(), "{FILE}: escape_path({path:?})");
                assert!(
                    unescape_path(path).is_err(),
                    "{FILE}: unescape_path({path:?})"
                );
            }
            checked += 1;
        }
        assert_eq!(checked, 105, "{FILE}");
    }

    #[test]
    fn vectors_split_path_version() {
        const FILE: &str = "module/split_path_version.json";
        let data = load(FILE);
        let mut checked = 0;
        for row in data["cases"].as_array().unwrap() {
            let input = s(row, "input");
            let want = b(row, "ok").then(|| (s(row, "path_prefix"), s(row, "path_major")));
            assert_eq!(split_path_version(input), want, "{FILE}: {input:?}");
            checked += 1;
        }
        assert_eq!(checked, 8, "{FILE}");
    }

    #[test]
    fn vectors_escape() {
        const FILE: &str = "module/escape.json";
        let data = load(FILE);
        let mut checked = 0;
        for row in data["escape_cases"].as_array().unwrap() {
            let (path, escaped) = (s(row, "path"), s(row, "escaped"));
            assert_eq!(
                escape_path(path).as_deref(),
                Ok(escaped),
                "{FILE}: escape {path:?}"
            );
            assert_eq!(
                unescape_path(escaped).as_deref(),
                Ok(path),
                "{FILE}: unescape {escaped:?}"
            );
            checked += 1;
        }
        for row in data["bad_unescape"].as_array().unwrap() {
            let escaped = s(row, "escaped");
            let err = unescape_path(escaped).expect_err(escaped);
            assert_eq!(
                err.to_string(),
                s(row, "x_mod_error"),
                "{FILE}: unescape {escaped:?}"
            );
            checked += 1;
        }
        assert_eq!(checked, 8, "{FILE}");
    }

    #[test]
    fn vectors_match_path_major() {
        const FILE: &str = "module/match_path_major.json";
        let data = load(FILE);
        let mut checked = 0;
        for row in data["cases"].as_array().unwrap() {
            let (version, major) = (s(row, "version"), s(row, "path_major"));
            assert_eq!(
                match_path_major(version, major),
                b(row, "want"),
                "{FILE}: {version:?} {major:?}"
            );
            assert_eq!(
                check_path_major(version, major).is_ok(),
                b(row, "want"),
                "{FILE}"
            );
            checked += 1;
        }
        assert_eq!(checked, 11, "{FILE}");
    }

    #[test]
    fn error_texts_match_go() {
        let cases: &[(Result<(), ModulePathError>, &str)] = &[
            (
                check_path("x"),
                r#"malformed module path "x": missing dot in first path element"#,
            ),
            (
                check_path("Ab.com/x"),
                r#"malformed module path "Ab.com/x": invalid char 'A' in first path element"#,
            ),
            (
                check_path("-x.com"),
                r#"malformed module path "-x.com": leading dash"#,
            ),
            (
                check_path("x.com/v1"),
                r#"malformed module path "x.com/v1": invalid version"#,
            ),
            (
                check_path("x.com/a\tb"),
                r#"malformed module path "x.com/a\tb": invalid char '\t'"#,
            ),
            (
                check_path("x.com/a'b"),
                r#"malformed module path "x.com/a'b": invalid char '\''"#,
            ),
            (
                check_path("x.com/a\"b"),
                r#"malformed module path "x.com/a\"b": invalid char '"'"#,
            ),
            (
                check_file_path("a/\u{1}"),
                r#"malformed file path "a/\x01": invalid char '\x01'"#,
            ),
            (
                check_file_path("a/\u{200b}"),
                r#"malformed file path "a/\u200b": invalid char '\u200b'"#,
            ),
            (
                check_file_path("a/Aux.txt"),
                r#"malformed file path "a/Aux.txt": "Aux" disallowed as path element component on Windows"#,
            ),
            (
                check_import_path("x.com/.."),
                r#"malformed import path "x.com/..": invalid path element "..""#,
            ),
            (
                check_path("x.com/z~0"),
                r#"malformed module path "x.com/z~0": trailing tilde and digits in path element"#,
            ),
            (
                check_path_major("v3.0.0", "/v2"),
                r#"version "v3.0.0" invalid: should be v2, not v3"#,
            ),
            (
                check("x.com/y", "v2.0.0"),
                "x.com/y@v2.0.0: invalid version: should be v0 or v1, not v2",
            ),
            (
                escape_version("v1/2").map(drop),
                r#"version "v1/2" invalid: disallowed version string"#,
            ),
            (
                escape_version("v1.0.0-é").map(drop),
                "internal error: inconsistency in EscapePath",
            ),
            (
                unescape_version("v1.0.0-!R").map(drop),
                r#"invalid escaped version "v1.0.0-!R""#,
            ),
            (
                unescape_version("v1.0.0!.").map(drop),
                r#"invalid escaped version "v1.0.0!.""#,
            ),
            (
                unescape_version("a..").map(drop),
                r#"invalid escaped version "a..": trailing dot in path element"#,
            ),
        ];
        for (got, want) in cases {
            assert_eq!(
                got.as_ref().map_err(ToString::to_string),
                Err(want.to_string())
            );
        }
    }

    #[test]
    fn escape_examples() {
        assert_eq!(
            escape_path("example.com/Azure/SDK").unwrap(),
            "example.com/!azure/!s!d!k"
        );
        assert_eq!(escape_version("v1.0.0-RC1").unwrap(), "v1.0.0-!r!c1");
        assert_eq!(unescape_version("v1.0.0-!r!c1").unwrap(), "v1.0.0-RC1");
        assert_eq!(escape_version("master").unwrap(), "master");
        assert!(escape_version("v1!").is_err());
        assert!(escape_version("").is_err());
    }

    #[test]
    fn path_major_prefix_table() {
        assert_eq!(path_major_prefix(""), Some(""));
        assert_eq!(path_major_prefix("/v2"), Some("v2"));
        assert_eq!(path_major_prefix(".v1-unstable"), Some("v1"));
        assert_eq!(path_major_prefix("v2"), None);
        assert_eq!(path_major_prefix("/v2.1"), None);
        assert_eq!(path_major_prefix("/x"), None);
    }

    #[test]
    fn file_names_unicode_letters() {
        assert!(check_file_path("a/héllo.txt").is_ok());
        assert!(check_file_path("a/日本.go").is_ok());
        assert!(
            check_file_path("a/e\u{301}.txt").is_err(),
            "combining mark is not a letter"
        );
        assert!(
            check_file_path("a/Ⅻ.txt").is_err(),
            "letter number is not a letter"
        );
        assert!(check_import_path("a.com/é").is_err());
    }

    proptest! {
        #[test]
        fn path_checks_never_panic(path in "\\PC*") {
            let _ = check_path(&path);
            let _ = check_import_path(&path);
            let _ = check_file_path(&path);
            let _ = split_path_version(&path);
            let _ = escape_path(&path);
            let _ = unescape_path(&path);
            let _ = escape_version(&path);
            let _ = unescape_version(&path);
            let _ = check(&path, &path);
            let _ = path_major_prefix(&path);
            let _ = go_quote(&path);
        }

        #[test]
        fn path_shaped_checks_never_panic(path in "[a-zA-Z0-9./~_+!-]{0,24}", version in "[v0-9.+a-z-]{0,12}") {
            let _ = check_path(&path);
            let _ = check(&path, &version);
            let _ = check_path_major(&version, &path);
            if let Some((prefix, major)) = split_path_version(&path) {
                prop_assert_eq!(format!("{prefix}{major}"), path.clone());
            }
        }

        #[test]
        fn escape_round_trips(path in "[a-zA-Z][a-zA-Z0-9]{0,6}\\.(com|test)(/[a-zA-Z0-9_~-]{1,8}){0,3}") {
            if check_path(&path).is_ok() {
                let escaped = escape_path(&path).unwrap();
                prop_assert!(!escaped.bytes().any(|b| b.is_ascii_uppercase()));
                prop_assert_eq!(unescape_path(&escaped).unwrap(), path.clone());
            } else {
                prop_assert!(escape_path(&path).is_err());
            }
        }

        #[test]
        fn escape_version_round_trips(version in "v[0-9]\\.[0-9]\\.[0-9](-[a-zA-Z0-9.]{1,8})?(\\+[a-zA-Z0-9]{1,8})?") {
            if let Ok(escaped) = escape_version(&version) {
                prop_assert_eq!(unescape_version(&escaped).unwrap(), version.clone());
            }
        }
    }
}
