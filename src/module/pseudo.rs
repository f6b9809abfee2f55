//! Pseudo-versions: parse, build, base, time, revision (x/mod module/pseudo.go, spec/integrity.md §6.3).
//!
//! A port of x/mod `module/pseudo.go`. The three forms:
//! 1. `vX.0.0-yyyymmddhhmmss-rev` (no earlier tag with major X);
//! 2. `vX.Y.(Z+1)-0.yyyymmddhhmmss-rev` (latest earlier tag `vX.Y.Z`);
//! 3. `vX.Y.Z-pre.0.yyyymmddhhmmss-rev` (latest earlier tag `vX.Y.Z-pre`);
//!
//! forms 2 and 3 may carry the earlier tag's build suffix
//! (`+incompatible`). Go's recogniser is a regular expression; it is
//! matched by hand here (no regex dependency) in [`matches_pseudo_syntax`],
//! with the same language. Errors are Go's `InvalidVersionError` texts
//! (`pseudo-version "v" invalid: syntax error`). Proven on
//! testdata/vectors/module/pseudo.json. Pure; never panics.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::module::path::{InvalidVersionError, ModulePathError, VersionDefect};
use crate::module::version;

/// Go's `PseudoVersionTimestampFormat` layout, as a length: `yyyymmddhhmmss`.
const TIMESTAMP_LEN: usize = 14;

/// `module.PseudoVersion`: the pseudo-version for revision `rev` made at
/// `time`, following the tag `older` (`""` if none) in major `major`
/// (`""` means `v0`; only used when `older` is not a valid version).
pub fn pseudo_version(major: &str, older: &str, time: OffsetDateTime, rev: &str) -> String {
    let major = if major.is_empty() { "v0" } else { major };
    let segment = format!("{}-{rev}", format_timestamp(time));
    let build = version::build(older);
    let older = version::canonical(older);
    if older.is_empty() {
        return format!("{major}.0.0-{segment}"); // form 1
    }
    if !version::prerelease(&older).is_empty() {
        return format!("{older}.0.{segment}{build}"); // form 3
    }
    // Form 2: a canonical version without prerelease ends in ".PATCH".
    let i = older.rfind('.').map_or(0, |i| i + 1);
    let (prefix, patch) = older.split_at(i);
    format!("{prefix}{}-0.{segment}{build}", inc_decimal(patch))
}

/// `module.ZeroPseudoVersion`: the pseudo-version Go uses when it has no
/// revision at all (`v0.0.0-00010101000000-000000000000`).
pub fn zero_pseudo_version(major: &str) -> String {
    pseudo_version(major, "", zero_time(), "000000000000")
}

/// Go's zero `time.Time`: 0001-01-01 00:00:00 UTC.
fn zero_time() -> OffsetDateTime {
    // Year 1 is inside the time crate's range; the fallback is unreachable.
    Date::from_calendar_date(1, Month::January, 1)
        .map(|date| PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_utc())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Go's `t.UTC().Format("20060102150405")`.
fn format_timestamp(time: OffsetDateTime) -> String {
    let t = time.to_offset(UtcOffset::UTC);
    let year = t.year();
    // Go's appendInt(b, year, 4): sign first, then the magnitude padded to 4.
    let sign = if year < 0 { "-" } else { "" };
    format!(
        "{sign}{:04}{:02}{:02}{:02}{:02}{:02}",
        year.unsigned_abs(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Go's `incDecimal`: adds one to a decimal digit string (`"99"` -> `"100"`).
pub fn inc_decimal(decimal: &str) -> String {
    let mut digits = decimal.as_bytes().to_vec();
    let mut i = digits.len();
    while i > 0 && digits[i - 1] == b'9' {
        digits[i - 1] = b'0';
        i -= 1;
    }
    if i > 0 {
        digits[i - 1] += 1;
    } else {
        // All nines (or empty): Go sets digits[0] = '1' and appends '0'.
        match digits.first_mut() {
            Some(first) => *first = b'1',
            None => digits.push(b'1'),
        }
        digits.push(b'0');
    }
    String::from_utf8(digits).unwrap_or_default()
}

/// Go's `decDecimal`: subtracts one from a decimal digit string; `""` for
/// `"0"`, `"00"` or `""` (no predecessor).
pub fn dec_decimal(decimal: &str) -> String {
    let mut digits = decimal.as_bytes().to_vec();
    let mut i = digits.len();
    while i > 0 && digits[i - 1] == b'0' {
        digits[i - 1] = b'9';
        i -= 1;
    }
    if i == 0 {
        return String::new();
    }
    if i == 1 && digits[0] == b'1' && digits.len() > 1 {
        digits.remove(0);
    } else {
        digits[i - 1] -= 1;
    }
    String::from_utf8(digits).unwrap_or_default()
}

/// `module.IsPseudoVersion`: whether `v` has pseudo-version syntax.
pub fn is_pseudo_version(v: &str) -> bool {
    v.matches('-').count() >= 2 && version::is_valid(v) && matches_pseudo_syntax(v)
}

/// `module.IsZeroPseudoVersion`: whether `v` is [`zero_pseudo_version`] of its major.
pub fn is_zero_pseudo_version(v: &str) -> bool {
    v == zero_pseudo_version(version::major(v))
}

/// Go's `pseudoVersionRE`:
/// `^v[0-9]+\.(0\.0-|\d+\.\d+-([^+]*\.)?0\.)\d{14}-[A-Za-z0-9]+(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`.
///
/// Matched deterministically: nothing after the first `+` can belong to the
/// version part (`[^+]`, digits and `[A-Za-z0-9]` exclude it), so the build
/// suffix starts at the first `+`; the revision is what follows the last
/// `-` before it (it cannot contain `-`); and what precedes the revision
/// must end in the 14-digit timestamp.
fn matches_pseudo_syntax(v: &str) -> bool {
    let Some(rest) = v.strip_prefix('v') else {
        return false;
    };
    let Some(rest) = skip_digits(rest).and_then(|r| r.strip_prefix('.')) else {
        return false;
    };
    let (main, build) = rest.split_at(rest.find('+').unwrap_or(rest.len()));
    if !build.is_empty() && !is_build_suffix(build) {
        return false;
    }
    let Some((before_rev, rev)) = main.rsplit_once('-') else {
        return false;
    };
    if rev.is_empty() || !rev.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let Some(split) = before_rev.len().checked_sub(TIMESTAMP_LEN) else {
        return false;
    };
    let (head, timestamp) = before_rev.split_at_checked(split).unwrap_or(("", ""));
    if timestamp.len() != TIMESTAMP_LEN || !timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    // head is the alternation's part: `0.0-` or `\d+\.\d+-([^+]*\.)?0\.`.
    if head == "0.0-" {
        return true;
    }
    let Some(head) = head.strip_suffix("0.") else {
        return false;
    };
    let Some(after) = skip_digits(head)
        .and_then(|r| r.strip_prefix('.'))
        .and_then(skip_digits)
        .and_then(|r| r.strip_prefix('-'))
    else {
        return false;
    };
    after.is_empty() || after.ends_with('.')
}

/// Strips a non-empty run of ASCII digits, or `None` if there is none.
fn skip_digits(s: &str) -> Option<&str> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    (n > 0).then(|| &s[n..])
}

/// `\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*`
fn is_build_suffix(s: &str) -> bool {
    s.strip_prefix('+').is_some_and(|body| {
        body.split('.').all(|ident| {
            !ident.is_empty()
                && ident
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
    })
}

fn pseudo_error(v: &str, reason: VersionDefect) -> ModulePathError {
    ModulePathError::InvalidVersion(InvalidVersionError {
        version: v.to_owned(),
        pseudo: true,
        reason,
    })
}

/// The parts of a pseudo-version, borrowed from it.
struct PseudoParts<'a> {
    /// `vX.0.0`, `vX.Y.(Z+1)-0` or `vX.Y.Z-pre.0`.
    base: &'a str,
    timestamp: &'a str,
    rev: &'a str,
    /// With its `+`, or empty.
    build: &'a str,
}

/// Go's `parsePseudoVersion`.
fn parse_pseudo_version(v: &str) -> Result<PseudoParts<'_>, ModulePathError> {
    if !is_pseudo_version(v) {
        return Err(pseudo_error(v, VersionDefect::PseudoSyntax));
    }
    let build = version::build(v);
    let syntax = || pseudo_error(v, VersionDefect::PseudoSyntax);
    let main = v.strip_suffix(build).ok_or_else(syntax)?;
    let (rest, rev) = main.rsplit_once('-').ok_or_else(syntax)?;
    let dash = rest.rfind('-').ok_or_else(syntax)?;
    let (base, timestamp) = match rest.rfind('.') {
        Some(dot) if dot > dash => (&rest[..dot], &rest[dot + 1..]),
        _ => (&rest[..dash], &rest[dash + 1..]),
    };
    Ok(PseudoParts {
        base,
        timestamp,
        rev,
        build,
    })
}

/// `module.PseudoVersionTime`: the commit time recorded in a pseudo-version (UTC).
pub fn pseudo_version_time(v: &str) -> Result<OffsetDateTime, ModulePathError> {
    let parts = parse_pseudo_version(v)?;
    parse_timestamp(parts.timestamp).ok_or_else(|| {
        pseudo_error(
            v,
            VersionDefect::MalformedTime {
                timestamp: parts.timestamp.to_owned(),
            },
        )
    })
}

/// Go's `time.Parse("20060102150405", ts)` for the 14 digits the syntax
/// guarantees: the date and time must exist (month 1-12, a day of that
/// month, hour < 24, minute and second < 60).
fn parse_timestamp(ts: &str) -> Option<OffsetDateTime> {
    let num = |range: std::ops::Range<usize>| ts.get(range)?.parse::<u16>().ok();
    let year = i32::from(num(0..4)?);
    let month = Month::try_from(u8::try_from(num(4..6)?).ok()?).ok()?;
    let day = u8::try_from(num(6..8)?).ok()?;
    let hour = u8::try_from(num(8..10)?).ok()?;
    let minute = u8::try_from(num(10..12)?).ok()?;
    let second = u8::try_from(num(12..14)?).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms(hour, minute, second).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

/// `module.PseudoVersionRev`: the revision identifier (`v1.2.4-0.2006...-abcdef` -> `abcdef`).
pub fn pseudo_version_rev(v: &str) -> Result<&str, ModulePathError> {
    parse_pseudo_version(v).map(|parts| parts.rev)
}

/// `module.PseudoVersionBase`: the tag the pseudo-version follows
/// (`v1.2.4-0.2006...-r` -> `v1.2.3`, with its build suffix), or `""` for
/// form 1 (no base). Errors: form 1 with build metadata, and `vX.Y.0-0.…`
/// (whose base would have patch -1).
pub fn pseudo_version_base(v: &str) -> Result<String, ModulePathError> {
    let parts = parse_pseudo_version(v)?;
    let (base, build) = (parts.base, parts.build);
    match version::prerelease(base) {
        "" => {
            if !build.is_empty() {
                return Err(pseudo_error(
                    v,
                    VersionDefect::LacksBaseVersion {
                        build: build.to_owned(),
                    },
                ));
            }
            Ok(String::new())
        }
        "-0" => {
            let base = &base[..base.len() - 2];
            let Some(i) = base.rfind('.') else {
                // Go panics here; the syntax check makes it unreachable.
                return Err(pseudo_error(v, VersionDefect::PseudoSyntax));
            };
            let patch = dec_decimal(&base[i + 1..]);
            if patch.is_empty() {
                return Err(pseudo_error(
                    v,
                    VersionDefect::NegativePatch {
                        base: base.to_owned(),
                    },
                ));
            }
            Ok(format!("{}{patch}{build}", &base[..=i]))
        }
        _ => match base.strip_suffix(".0") {
            Some(tag) => Ok(format!("{tag}{build}")),
            // Go panics here; the syntax check makes it unreachable.
            None => Err(pseudo_error(v, VersionDefect::PseudoSyntax)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    const FILE: &str = "module/pseudo.json";

    fn load() -> Value {
        let path = format!("{}/testdata/vectors/{FILE}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn field<'a>(row: &'a Value, key: &str) -> &'a str {
        row[key]
            .as_str()
            .unwrap_or_else(|| panic!("{FILE}: {key} in {row}"))
    }

    fn rows<'a>(data: &'a Value, key: &str) -> &'a Vec<Value> {
        data[key]
            .as_array()
            .unwrap_or_else(|| panic!("{FILE}: {key}"))
    }

    #[test]
    fn vectors_pseudo() {
        let data = load();
        let t = OffsetDateTime::parse(
            field(&data, "time"),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("time");
        let rev = field(&data, "rev");
        let mut checked = 0;
        for row in rows(&data, "pseudo_versions") {
            let (major, older, v) = (
                field(row, "major"),
                field(row, "older"),
                field(row, "version"),
            );
            assert_eq!(
                pseudo_version(major, older, t, rev),
                v,
                "{FILE}: pseudo_version({major:?}, {older:?})"
            );
            assert!(is_pseudo_version(v), "{FILE}: is_pseudo_version({v:?})");
            assert!(
                !is_pseudo_version(older),
                "{FILE}: is_pseudo_version({older:?})"
            );
            assert_eq!(
                pseudo_version_time(v).ok(),
                Some(t),
                "{FILE}: pseudo_version_time({v:?})"
            );
            assert!(
                pseudo_version_time(older).is_err(),
                "{FILE}: pseudo_version_time({older:?})"
            );
            assert_eq!(
                pseudo_version_rev(v).ok(),
                Some(rev),
                "{FILE}: pseudo_version_rev({v:?})"
            );
            assert!(
                pseudo_version_rev(older).is_err(),
                "{FILE}: pseudo_version_rev({older:?})"
            );
            assert_eq!(
                pseudo_version_base(v).as_deref(),
                Ok(older),
                "{FILE}: pseudo_version_base({v:?})"
            );
            checked += 1;
        }
        for row in rows(&data, "invalid_base") {
            let v = field(row, "version");
            let err = pseudo_version_base(v).expect_err(v);
            assert_eq!(
                err.to_string(),
                field(row, "x_mod_error"),
                "{FILE}: pseudo_version_base({v:?})"
            );
            checked += 1;
        }
        for row in rows(&data, "invalid_time") {
            let v = field(row, "version");
            let err = pseudo_version_time(v).expect_err(v);
            assert_eq!(
                err.to_string(),
                field(row, "x_mod_error"),
                "{FILE}: pseudo_version_time({v:?})"
            );
            checked += 1;
        }
        for row in rows(&data, "inc_decimal") {
            let input = field(row, "in");
            assert_eq!(
                inc_decimal(input),
                field(row, "want"),
                "{FILE}: inc_decimal({input:?})"
            );
            checked += 1;
        }
        for row in rows(&data, "dec_decimal") {
            let input = field(row, "in");
            assert_eq!(
                dec_decimal(input),
                field(row, "want"),
                "{FILE}: dec_decimal({input:?})"
            );
            checked += 1;
        }
        assert_eq!(checked, 13 + 7 + 1 + 5 + 8, "{FILE}");
    }

    #[test]
    fn zero_pseudo_versions() {
        assert_eq!(
            zero_pseudo_version("v0"),
            "v0.0.0-00010101000000-000000000000"
        );
        assert_eq!(
            zero_pseudo_version(""),
            "v0.0.0-00010101000000-000000000000"
        );
        assert!(is_zero_pseudo_version("v2.0.0-00010101000000-000000000000"));
        assert!(!is_zero_pseudo_version(
            "v2.0.0-00010101000000-000000000001"
        ));
        assert!(!is_zero_pseudo_version("bad"));
    }

    #[test]
    fn syntax_table() {
        for (v, want) in [
            ("v1.2.4-0.20060102150405-abcdef123456", true),
            ("v1.2.3-pre.0.20060102150405-abcdef123456", true),
            (
                "v1.2.3-a.b.0.20060102150405-abcdef123456+incompatible",
                true,
            ),
            ("v2.0.0-20060102150405-abcdef123456+incompatible", true),
            ("v0.0.0-20060102150405-abcdef123456", true),
            ("v1.2.4-1.20060102150405-abcdef123456", false),
            ("v1.2.4-0.2006010215040-abcdef123456", false),
            ("v1.2.4-0.200601021504051-abcdef123456", false),
            ("v1.2.4-0.20060102150405-", false),
            ("v1.2.4-0.20060102150405", false),
            ("v1.2.4-0.20060102150405-abc_def", false),
            ("v1.2.4-0.20060102150405-abc+a..b", false),
            ("v1.2.4-pre0.20060102150405-abcdef", false),
            ("v1.2.4-pre-0.20060102150405-abcdef", false),
            ("v0.0.0-20060102150405-hash", true),
            ("v0.1.0-20060102150405-hash", false),
            ("v1.0.0", false),
            ("", false),
        ] {
            assert_eq!(is_pseudo_version(v), want, "is_pseudo_version({v:?})");
        }
    }

    #[test]
    fn time_must_exist() {
        let err = pseudo_version_time("v1.2.4-0.20061302150405-abcdef").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"pseudo-version "v1.2.4-0.20061302150405-abcdef" invalid: malformed time "20061302150405""#
        );
        assert!(
            pseudo_version_time("v1.2.4-0.20060230150405-abcdef").is_err(),
            "Feb 30"
        );
        assert!(
            pseudo_version_time("v1.2.4-0.20060102240000-abcdef").is_err(),
            "hour 24"
        );
        assert!(
            pseudo_version_time("v1.2.4-0.20060102235960-abcdef").is_err(),
            "second 60"
        );
        assert!(
            pseudo_version_time("v1.2.4-0.20040229235959-abcdef").is_ok(),
            "leap day"
        );
        assert!(
            pseudo_version_time("v1.2.4-0.00000101000000-abcdef").is_ok(),
            "year 0"
        );
    }

    #[test]
    fn time_is_written_in_utc() {
        let t = OffsetDateTime::parse(
            "2006-01-02T23:04:05-07:00",
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert_eq!(pseudo_version("v1", "", t, "r"), "v1.0.0-20060103060405-r");
    }

    proptest! {
        #[test]
        fn never_panics(v in "\\PC*") {
            let _ = (is_pseudo_version(&v), is_zero_pseudo_version(&v));
            let _ = (pseudo_version_time(&v), pseudo_version_rev(&v), pseudo_version_base(&v));
            let _ = (inc_decimal(&v), dec_decimal(&v));
        }

        #[test]
        fn built_versions_parse_back(
            older in "(v(0|1|2|19)\\.(0|3|99)\\.(0|9|10)(-(pre|0|rc\\.1|a-b))?(\\+(incompatible|meta))?)?",
            secs in 0i64..4_000_000_000,
            rev in "[0-9a-f]{12}",
        ) {
            let t = OffsetDateTime::from_unix_timestamp(secs).unwrap();
            let v = pseudo_version("v0", &older, t, &rev);
            prop_assert!(is_pseudo_version(&v), "{}", v);
            prop_assert_eq!(pseudo_version_time(&v).unwrap(), t);
            prop_assert_eq!(pseudo_version_rev(&v).unwrap(), rev.as_str());
            prop_assert_eq!(pseudo_version_base(&v).unwrap(), older.clone());
            // A pseudo-version sorts above the tag it follows.
            prop_assert_eq!(version::compare(&v, &older), std::cmp::Ordering::Greater);
        }

        #[test]
        fn inc_dec_are_inverse(n in 0u128..u128::MAX) {
            let s = n.to_string();
            prop_assert_eq!(inc_decimal(&s), (n + 1).to_string());
            prop_assert_eq!(dec_decimal(&inc_decimal(&s)), s);
        }
    }
}
