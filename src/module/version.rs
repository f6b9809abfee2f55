//! Go semantic versions: parse, canonical form, compare, prerelease, build, `+incompatible` (x/mod semver, spec/integrity.md §6).
//!
//! A port of x/mod `semver/semver.go` on strings, because Go's rules differ
//! from the `semver` crate's (spec/integrity.md §6.7): the leading `v` is
//! required; `v1` and `v1.2` are shorthands; major/minor/patch are unbounded
//! digit strings compared by length then digits; `Canonical` drops build
//! metadata; invalid versions are `""`-canonical and sort below every valid
//! one; build metadata never affects `compare`, and `sort` breaks ties by
//! byte order. Where the crate agrees with Go it does the work: prerelease
//! and build identifier syntax (`semver::Prerelease`, `semver::BuildMetadata`)
//! and prerelease precedence (`Ord for semver::Prerelease`); the property
//! tests below check that agreement against a literal port of Go's code.
//! Proven on testdata/vectors/semver/semver.json.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::module::path::{InvalidVersionError, VersionDefect};

/// The parts of a valid version, borrowed from it. `short` is what
/// `canonical` appends to a shorthand (`.0.0` for `v1`, `.0` for `v1.2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Parsed<'a> {
    major: &'a str,
    minor: &'a str,
    patch: &'a str,
    short: &'static str,
    /// With its leading `-`, or empty.
    prerelease: &'a str,
    /// With its leading `+`, or empty.
    build: &'a str,
}

/// Go's `semver.parse`.
fn parse(v: &str) -> Option<Parsed<'_>> {
    let rest = v.strip_prefix('v')?;
    let (major, rest) = parse_int(rest)?;
    if rest.is_empty() {
        return Some(Parsed {
            major,
            minor: "0",
            patch: "0",
            short: ".0.0",
            prerelease: "",
            build: "",
        });
    }
    let (minor, rest) = parse_int(rest.strip_prefix('.')?)?;
    if rest.is_empty() {
        return Some(Parsed {
            major,
            minor,
            patch: "0",
            short: ".0",
            prerelease: "",
            build: "",
        });
    }
    let (patch, mut rest) = parse_int(rest.strip_prefix('.')?)?;
    let mut prerelease = "";
    if let Some(body) = rest.strip_prefix('-') {
        let end = body.find('+').unwrap_or(body.len());
        // The crate reads "" as "no prerelease"; Go rejects a bare "-".
        if end == 0 || semver::Prerelease::new(&body[..end]).is_err() {
            return None;
        }
        prerelease = &rest[..1 + end];
        rest = &rest[1 + end..];
    }
    let mut build = "";
    if let Some(body) = rest.strip_prefix('+') {
        if body.is_empty() || semver::BuildMetadata::new(body).is_err() {
            return None;
        }
        build = rest;
        rest = "";
    }
    if !rest.is_empty() {
        return None;
    }
    Some(Parsed {
        major,
        minor,
        patch,
        short: "",
        prerelease,
        build,
    })
}

/// Go's `parseInt`: a run of ASCII digits without a leading zero (except `0`).
fn parse_int(v: &str) -> Option<(&str, &str)> {
    let len = v.bytes().take_while(u8::is_ascii_digit).count();
    if len == 0 || (len > 1 && v.starts_with('0')) {
        return None;
    }
    Some(v.split_at(len))
}

/// `semver.IsValid`: whether `v` is a valid Go semantic version.
pub fn is_valid(v: &str) -> bool {
    parse(v).is_some()
}

/// `semver.Canonical`: `v1.2` -> `v1.2.0`, build metadata dropped
/// (`v1.0.0+meta` -> `v1.0.0`); `""` if `v` is invalid.
pub fn canonical(v: &str) -> String {
    match parse(v) {
        None => String::new(),
        Some(p) if !p.build.is_empty() => v[..v.len() - p.build.len()].to_owned(),
        Some(p) => format!("{v}{}", p.short),
    }
}

/// `module.CanonicalVersion`: like [`canonical`] but keeps a
/// `+incompatible` suffix, which is part of a module version's identity
/// (go.sum keys, zip prefixes, cache paths; spec/integrity.md §6.4).
pub fn canonical_module_version(v: &str) -> String {
    let mut canonical = canonical(v);
    if is_incompatible(v) {
        canonical.push_str("+incompatible");
    }
    canonical
}

/// `semver.Major`: `v2.1.0` -> `v2`; `""` if invalid.
pub fn major(v: &str) -> &str {
    match parse(v) {
        Some(p) => &v[..1 + p.major.len()],
        None => "",
    }
}

/// `semver.MajorMinor`: `v2.1.0` -> `v2.1`, `v2` -> `v2.0`; `""` if invalid.
pub fn major_minor(v: &str) -> String {
    let Some(p) = parse(v) else {
        return String::new();
    };
    let i = 1 + p.major.len();
    let j = i + 1 + p.minor.len();
    if j <= v.len() && v.as_bytes()[i] == b'.' && &v[i + 1..j] == p.minor {
        return v[..j].to_owned();
    }
    format!("{}.{}", &v[..i], p.minor)
}

/// `semver.Prerelease`: `v1.0.0-rc.1+b` -> `-rc.1`; `""` if none or invalid.
pub fn prerelease(v: &str) -> &str {
    parse(v).map_or("", |p| p.prerelease)
}

/// `semver.Build`: `v1.0.0+b` -> `+b`; `""` if none or invalid.
pub fn build(v: &str) -> &str {
    parse(v).map_or("", |p| p.build)
}

/// Whether `v` is a valid version with a prerelease part.
pub fn is_prerelease(v: &str) -> bool {
    !prerelease(v).is_empty()
}

/// Whether `v` carries exactly the `+incompatible` build suffix.
pub fn is_incompatible(v: &str) -> bool {
    build(v) == "+incompatible"
}

/// `semver.Compare`: Go's precedence. Invalid versions are equal to each
/// other and below every valid one; build metadata is ignored.
pub fn compare(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(pa), Some(pb)) => compare_int(pa.major, pb.major)
            .then_with(|| compare_int(pa.minor, pb.minor))
            .then_with(|| compare_int(pa.patch, pb.patch))
            .then_with(|| compare_prerelease(pa.prerelease, pb.prerelease)),
    }
}

/// Digit strings without leading zeros: longer is larger, then byte order.
fn compare_int(x: &str, y: &str) -> Ordering {
    x.len().cmp(&y.len()).then_with(|| x.cmp(y))
}

/// Prereleases as parsed (with their `-`, or empty): no prerelease is
/// greater than any; otherwise the crate's precedence, which is Go's.
fn compare_prerelease(x: &str, y: &str) -> Ordering {
    match (x.strip_prefix('-'), y.strip_prefix('-')) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => match (semver::Prerelease::new(x), semver::Prerelease::new(y)) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            // Unreachable: both were validated by `parse`.
            _ => x.cmp(y),
        },
    }
}

/// `semver.Max`: the canonical form of the larger of `a` and `b` (of `b`
/// when they compare equal, as Go).
pub fn max(a: &str, b: &str) -> String {
    let (a, b) = (canonical(a), canonical(b));
    if compare(&a, &b) == Ordering::Greater {
        a
    } else {
        b
    }
}

/// Go's sort order (`semver.Sort`'s `compareVersion`): [`compare`], then
/// plain byte order to break ties, so it is a total order consistent with
/// string equality.
pub fn compare_for_sort(a: &str, b: &str) -> Ordering {
    compare(a, b).then_with(|| a.cmp(b))
}

/// `semver.Sort`: sorts ascending by [`compare_for_sort`].
pub fn sort(list: &mut [String]) {
    list.sort_by(|a, b| compare_for_sort(a, b));
}

/// A valid Go semantic version, as written (not necessarily canonical).
/// Ordered like `semver.Sort`: precedence, then byte order, so `Ord` agrees
/// with `Eq` (`v1.0.0` and `v1.0.0+meta` are different values with equal
/// precedence; use [`Version::cmp_precedence`] to ask about precedence).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version(String);

impl Version {
    /// Accepts exactly what [`is_valid`] accepts.
    pub fn parse(v: &str) -> Result<Version, InvalidVersionError> {
        if is_valid(v) {
            Ok(Version(v.to_owned()))
        } else {
            Err(InvalidVersionError {
                version: v.to_owned(),
                pseudo: false,
                reason: VersionDefect::NotSemver,
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// [`canonical`] of this version (never empty).
    pub fn canonical(&self) -> String {
        canonical(&self.0)
    }

    /// Go's `semver.Compare` (build metadata ignored).
    pub fn cmp_precedence(&self, other: &Version) -> Ordering {
        compare(&self.0, &other.0)
    }

    pub fn major(&self) -> &str {
        major(&self.0)
    }

    pub fn prerelease(&self) -> &str {
        prerelease(&self.0)
    }

    pub fn build(&self) -> &str {
        build(&self.0)
    }

    pub fn is_incompatible(&self) -> bool {
        is_incompatible(&self.0)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_for_sort(&self.0, &other.0)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Version {
    type Err = InvalidVersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Version::parse(s)
    }
}

impl AsRef<str> for Version {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    const FILE: &str = "semver/semver.json";

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

    #[test]
    fn vectors_semver() {
        let data = load();
        let cases = data["cases"].as_array().unwrap();
        let mut checked = 0;
        for row in cases {
            let v = field(row, "input");
            assert_eq!(
                is_valid(v),
                row["valid"].as_bool().unwrap(),
                "{FILE}: is_valid({v:?})"
            );
            assert_eq!(
                canonical(v),
                field(row, "canonical"),
                "{FILE}: canonical({v:?})"
            );
            assert_eq!(major(v), field(row, "major"), "{FILE}: major({v:?})");
            assert_eq!(
                major_minor(v),
                field(row, "major_minor"),
                "{FILE}: major_minor({v:?})"
            );
            assert_eq!(
                prerelease(v),
                field(row, "prerelease"),
                "{FILE}: prerelease({v:?})"
            );
            assert_eq!(build(v), field(row, "build"), "{FILE}: build({v:?})");
            assert_eq!(
                Version::parse(v).is_ok(),
                is_valid(v),
                "{FILE}: Version::parse({v:?})"
            );
            checked += 1;
        }
        assert_eq!(checked, 32, "{FILE}: cases");

        // Compare and Max over every ordered pair: the list is ascending, and
        // entries with the same canonical form (all invalid ones too) are equal.
        let mut pairs = 0;
        for (i, ri) in cases.iter().enumerate() {
            for (j, rj) in cases.iter().enumerate() {
                let (vi, vj) = (field(ri, "input"), field(rj, "input"));
                let want = if field(ri, "canonical") == field(rj, "canonical") {
                    Ordering::Equal
                } else {
                    i.cmp(&j)
                };
                assert_eq!(compare(vi, vj), want, "{FILE}: compare({vi:?}, {vj:?})");
                let want_max = if want == Ordering::Greater {
                    canonical(vi)
                } else {
                    canonical(vj)
                };
                let want_max = if want == Ordering::Equal {
                    canonical(vi)
                } else {
                    want_max
                };
                assert_eq!(max(vi, vj), want_max, "{FILE}: max({vi:?}, {vj:?})");
                pairs += 1;
            }
        }
        assert_eq!(pairs, 32 * 32, "{FILE}: pairs");

        // Sort: the exact golden output, from the listed order and reversed.
        let golden: Vec<String> = data["sort_golden"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(golden.len(), 32, "{FILE}: sort_golden");
        let mut list: Vec<String> = cases.iter().map(|r| field(r, "input").to_owned()).collect();
        let mut reversed: Vec<String> = list.iter().rev().cloned().collect();
        sort(&mut list);
        sort(&mut reversed);
        assert_eq!(list, golden, "{FILE}: sort");
        assert_eq!(reversed, golden, "{FILE}: sort (reversed input)");
    }

    #[test]
    fn go_rules_where_the_crate_differs() {
        // spec/integrity.md §6.7, one row per difference.
        assert!(is_valid("v1") && is_valid("v1.2") && !is_valid("1.2.3"));
        assert_eq!(canonical("v1"), "v1.0.0");
        assert!(is_valid("v1.2.100000000000000000000"));
        assert_eq!(
            compare("v1.2.100000000000000000000", "v1.2.99999999999999999999"),
            Ordering::Greater
        );
        assert_eq!(compare("v1.0.0+a", "v1.0.0+b"), Ordering::Equal);
        assert_eq!(compare_for_sort("v1.0.0+a", "v1.0.0+b"), Ordering::Less);
        assert_eq!(canonical("v2.0.0+incompatible"), "v2.0.0");
        assert_eq!(
            canonical_module_version("v2.0.0+incompatible"),
            "v2.0.0+incompatible"
        );
        assert_eq!(canonical_module_version("v2+incompatible"), "");
        assert_eq!(canonical_module_version("v2.1+x"), "");
        assert_eq!(compare("bad", "worse"), Ordering::Equal);
        assert_eq!(compare("bad", "v0.0.0-0"), Ordering::Less);
        assert!(!is_valid("v1.0.0-") && !is_valid("v1.0.0+") && !is_valid("v1.0.0-01"));
        assert!(is_valid("v1.0.0-0") && is_valid("v1.0.0+001") && is_valid("v0.0.0--"));
        assert!(!is_valid("v1.0.0-a..b") && !is_valid("v1.0.0+a..b") && !is_valid("v01.0.0"));
        assert!(!is_valid("v1.0.0-é") && !is_valid("v1.0.0 ") && !is_valid("V1.0.0"));
        assert!(
            is_incompatible("v2.0.0+incompatible") && !is_incompatible("v2.0.0+incompatible.1")
        );
        assert!(is_prerelease("v1.0.0-rc.1") && !is_prerelease("v1.0.0+rc"));
        assert_eq!(major_minor("v1"), "v1.0");
        assert_eq!(major_minor("v1.2.3"), "v1.2");
    }

    #[test]
    fn spec_ascending_example() {
        let list = [
            "v1.0.0-alpha",
            "v1.0.0-alpha.1",
            "v1.0.0-alpha.beta",
            "v1.0.0-beta",
            "v1.0.0-beta.2",
            "v1.0.0-beta.11",
            "v1.0.0-rc.1",
            "v1.0.0",
            "v1.2",
            "v1.2.1",
        ];
        for w in list.windows(2) {
            assert_eq!(compare(w[0], w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn version_newtype_orders_like_sort() {
        let mut vs: Vec<Version> = ["v1.0.0+b", "v1.0.0", "v0.9.0", "v1.0.0+a", "v1.0.0-rc"]
            .iter()
            .map(|v| v.parse().unwrap())
            .collect();
        vs.sort();
        let got: Vec<&str> = vs.iter().map(Version::as_str).collect();
        assert_eq!(
            got,
            ["v0.9.0", "v1.0.0-rc", "v1.0.0", "v1.0.0+a", "v1.0.0+b"]
        );
        assert_eq!(
            Version::parse("x").unwrap_err().to_string(),
            r#"version "x" invalid: not a semantic version"#
        );
    }

    /// Literal port of Go's `comparePrerelease`, the oracle for the crate's
    /// prerelease precedence.
    fn go_compare_prerelease(x: &str, y: &str) -> Ordering {
        if x == y {
            return Ordering::Equal;
        }
        if x.is_empty() {
            return Ordering::Greater;
        }
        if y.is_empty() {
            return Ordering::Less;
        }
        let is_num = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let (mut x, mut y) = (x, y);
        while !x.is_empty() && !y.is_empty() {
            x = &x[1..];
            y = &y[1..];
            let ix = x.find('.').unwrap_or(x.len());
            let iy = y.find('.').unwrap_or(y.len());
            let (dx, dy) = (&x[..ix], &y[..iy]);
            x = &x[ix..];
            y = &y[iy..];
            if dx != dy {
                let (nx, ny) = (is_num(dx), is_num(dy));
                if nx != ny {
                    return if nx {
                        Ordering::Less
                    } else {
                        Ordering::Greater
                    };
                }
                if nx && dx.len() != dy.len() {
                    return dx.len().cmp(&dy.len());
                }
                return dx.cmp(dy);
            }
        }
        if x.is_empty() {
            Ordering::Less
        } else {
            Ordering::Greater
        }
    }

    /// Versions that are often valid and often share parts, so equal
    /// precedence, prerelease and build cases all occur.
    fn version_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            "v(0|1|10|2)(\\.(0|1|10)(\\.(0|1|9|10)(-(0|1|a|b|-|rc|11|00|a-b)(\\.(0|1|a|b|11|z)){0,2})?(\\+(incompatible|0|b|01|a\\.b))?)?)?",
            "[v0-9.+a-z-]{0,10}",
            "\\PC{0,8}",
        ]
    }

    proptest! {
        #[test]
        fn parsing_never_panics(v in "\\PC*") {
            let _ = (is_valid(&v), canonical(&v), major(&v), major_minor(&v), prerelease(&v), build(&v));
            let _ = (compare(&v, "v1.0.0"), max(&v, &v), canonical_module_version(&v));
        }

        #[test]
        fn compare_is_a_total_order(a in version_strategy(), b in version_strategy(), c in version_strategy()) {
            // Antisymmetric and reflexive.
            prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
            prop_assert_eq!(compare(&a, &a), Ordering::Equal);
            // Transitive.
            if compare(&a, &b) != Ordering::Greater && compare(&b, &c) != Ordering::Greater {
                prop_assert_ne!(compare(&a, &c), Ordering::Greater);
            }
            // Consistent with canonical: equal precedence iff equal canonical
            // form (invalid ones all canonicalise to "").
            prop_assert_eq!(compare(&a, &b) == Ordering::Equal, canonical(&a) == canonical(&b));
            // Canonicalising changes nothing about the order.
            prop_assert_eq!(compare(&canonical(&a), &canonical(&b)), compare(&a, &b));
            // The sort order is total and agrees with string equality.
            prop_assert_eq!(compare_for_sort(&a, &b) == Ordering::Equal, a == b);
        }

        #[test]
        fn canonical_is_idempotent_and_valid(v in version_strategy()) {
            let c = canonical(&v);
            prop_assert_eq!(c.is_empty(), !is_valid(&v));
            if !c.is_empty() {
                prop_assert!(is_valid(&c));
                prop_assert_eq!(canonical(&c), c.clone());
                prop_assert_eq!(build(&c), "");
            }
        }

        #[test]
        fn crate_prerelease_order_is_gos(a in version_strategy(), b in version_strategy()) {
            let (pa, pb) = (prerelease(&a), prerelease(&b));
            if is_valid(&a) && is_valid(&b) {
                prop_assert_eq!(compare_prerelease(pa, pb), go_compare_prerelease(pa, pb), "{} vs {}", pa, pb);
            }
        }
    }
}
