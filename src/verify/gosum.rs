//! go.sum: parse, look up, detect mismatches, format canonically
//! (cmd/go modfetch/fetch.go: `readGoSum`, `haveModSumLocked`,
//! `addModSumLocked`, `tidyGoSum`; spec/integrity.md §2).
//!
//! Pure: the caller reads and writes the files (a command decides whether
//! go.sum is rewritten at all). Keys are (module path, version) where the
//! version may end in `/go.mod` for the go.mod hash, exactly as in the file.
//! Mismatch texts are Go's, SECURITY ERROR paragraph included.

use std::cmp::Ordering;
use std::collections::HashMap;

use crate::module::version;

/// The hash of a 1-file tree holding an empty go.mod; an old go command bug
/// wrote these into go.sum files, and readers drop them.
pub const EMPTY_GO_MOD_HASH: &str = "h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY=";

/// Go's `goSumMismatch` paragraph.
pub const GO_SUM_MISMATCH: &str = "\n\nSECURITY ERROR\nThis download does NOT match an earlier download recorded in go.sum.\nThe bits may have been replaced on the origin server, or an attacker may\nhave intercepted the download attempt.\n\nFor more information, see 'go help module-auth'.\n";

/// Go's `hashVersionMismatch` paragraph.
pub const HASH_VERSION_MISMATCH: &str = "\n\nSECURITY WARNING\nThis download is listed in go.sum, but using an unknown hash algorithm.\nThe download cannot be verified.\n\nFor more information, see 'go help module-auth'.\n\n";

/// A go.sum file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GoSumError {
    /// A non-blank line without exactly three fields.
    #[error("malformed go.sum:\n{file}:{line}: wrong number of fields {fields}\n")]
    WrongFieldCount {
        /// The file as named to the user.
        file: String,
        /// 1-based line number.
        line: usize,
        /// Number of fields found.
        fields: usize,
    },
}

/// A recorded `h1:` hash that differs from the downloaded one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "verifying {path}@{version}: checksum mismatch\n\tdownloaded: {downloaded}\n\t{sum_file}:     {recorded}{GO_SUM_MISMATCH}"
)]
pub struct ChecksumMismatch {
    /// Module path.
    pub path: String,
    /// Version, with `/go.mod` for a go.mod hash.
    pub version: String,
    /// The hash of what was downloaded.
    pub downloaded: String,
    /// Which file recorded the other hash (`go.sum`, `go.work.sum`, or a
    /// workspace module's go.sum path).
    pub sum_file: String,
    /// The recorded hash.
    pub recorded: String,
}

/// `warning: verifying m@v: unknown hashes in go.sum: ...; adding h` +
/// Go's SECURITY WARNING, printed when a hash is added next to hashes of
/// unknown algorithms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("warning: verifying {path}@{version}: unknown hashes in go.sum: {}; adding {added}{HASH_VERSION_MISMATCH}", .unknown.join(", "))]
pub struct UnknownHashesWarning {
    /// Module path.
    pub path: String,
    /// Version, with `/go.mod` for a go.mod hash.
    pub version: String,
    /// The hashes already listed.
    pub unknown: Vec<String>,
    /// The hash added.
    pub added: String,
}

/// The (path, version) key of a go.sum line.
pub type Key = (String, String);

/// The contents of one go.sum file: hashes per key, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoSum {
    entries: HashMap<Key, Vec<String>>,
}

impl GoSum {
    /// Parses go.sum data as the go command does (`readGoSum`): fields split
    /// on any white space, blank lines skipped, the empty-go.mod hash
    /// dropped, a line with other than three fields an error. `file` names
    /// the file in that error.
    pub fn parse(file: &str, data: &[u8]) -> Result<GoSum, GoSumError> {
        Self::parse_inner(file, data, false)
    }

    /// Parses like [`GoSum::parse`] but skips malformed lines, as
    /// `go mod tidy` does so that it can repair the file.
    pub fn parse_lenient(data: &[u8]) -> GoSum {
        Self::parse_inner("", data, true).unwrap_or_default()
    }

    fn parse_inner(file: &str, data: &[u8], lenient: bool) -> Result<GoSum, GoSumError> {
        let mut sum = GoSum::default();
        let text = String::from_utf8_lossy(data);
        let mut rest: &str = &text;
        let mut lineno = 0;
        while !rest.is_empty() {
            lineno += 1;
            let line;
            (line, rest) = rest.split_once('\n').unwrap_or((rest, ""));
            // Go's strings.Fields: split on Unicode white space.
            let f: Vec<&str> = line
                .split(char::is_whitespace)
                .filter(|s| !s.is_empty())
                .collect();
            if f.is_empty() {
                continue;
            }
            if f.len() != 3 {
                if lenient {
                    continue;
                }
                return Err(GoSumError::WrongFieldCount {
                    file: file.to_owned(),
                    line: lineno,
                    fields: f.len(),
                });
            }
            if f[2] == EMPTY_GO_MOD_HASH {
                continue;
            }
            sum.entries
                .entry((f[0].to_owned(), f[1].to_owned()))
                .or_default()
                .push(f[2].to_owned());
        }
        Ok(sum)
    }

    /// The recorded hashes for path, version (version may end in `/go.mod`).
    pub fn hashes(&self, path: &str, version: &str) -> &[String] {
        self.entries
            .get(&(path.to_owned(), version.to_owned()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Whether any hash is recorded for this key.
    pub fn contains_key(&self, path: &str, version: &str) -> bool {
        self.entries
            .contains_key(&(path.to_owned(), version.to_owned()))
    }

    /// Checks a downloaded hash against this file (the first loop of Go's
    /// `haveModSumLocked`): `Ok(true)` if listed, `Ok(false)` if the file has
    /// no `h1:` hash for the key before a match, the mismatch otherwise.
    pub fn check(
        &self,
        sum_file: &str,
        path: &str,
        version: &str,
        h: &str,
    ) -> Result<bool, ChecksumMismatch> {
        for vh in self.hashes(path, version) {
            if vh == h {
                return Ok(true);
            }
            if vh.starts_with("h1:") {
                return Err(mismatch(sum_file, path, version, h, vh));
            }
        }
        Ok(false)
    }

    /// Checks every recorded hash (Go's loop over workspace sum files: a
    /// conflicting `h1:` anywhere in the list is fatal, even after a match).
    fn check_all(
        &self,
        sum_file: &str,
        path: &str,
        version: &str,
        h: &str,
    ) -> Result<bool, ChecksumMismatch> {
        let mut found = false;
        for vh in self.hashes(path, version) {
            if vh == h {
                found = true;
            } else if vh.starts_with("h1:") {
                return Err(mismatch(sum_file, path, version, h, vh));
            }
        }
        Ok(found)
    }

    /// Adds a hash unless already listed (Go's `addModSumLocked`, after its
    /// check); returns the warning Go prints when other (unknown-algorithm)
    /// hashes were listed for the key.
    pub fn add(&mut self, path: &str, version: &str, h: &str) -> Option<UnknownHashesWarning> {
        let list = self
            .entries
            .entry((path.to_owned(), version.to_owned()))
            .or_default();
        if list.iter().any(|vh| vh == h) {
            return None;
        }
        let warning = (!list.is_empty()).then(|| UnknownHashesWarning {
            path: path.to_owned(),
            version: version.to_owned(),
            unknown: list.clone(),
            added: h.to_owned(),
        });
        list.push(h.to_owned());
        warning
    }

    /// Removes every hash for this key.
    pub fn remove(&mut self, path: &str, version: &str) {
        self.entries.remove(&(path.to_owned(), version.to_owned()));
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the file has no lines.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The file in the go command's canonical form (`tidyGoSum`): keys in
    /// `module.Sort` order, each key's hashes sorted and de-duplicated, one
    /// `path version hash\n` line each.
    pub fn format(&self) -> Vec<u8> {
        let mut keys: Vec<&Key> = self.entries.keys().collect();
        keys.sort_by(|a, b| module_sort_cmp(a, b));
        let mut out = String::new();
        for key in keys {
            let mut list = self.entries[key].clone();
            list.sort();
            list.dedup();
            for h in list {
                out.push_str(&format!("{} {} {h}\n", key.0, key.1));
            }
        }
        out.into_bytes()
    }
}

fn mismatch(
    sum_file: &str,
    path: &str,
    version: &str,
    h: &str,
    recorded: &str,
) -> ChecksumMismatch {
    ChecksumMismatch {
        path: path.to_owned(),
        version: version.to_owned(),
        downloaded: h.to_owned(),
        sum_file: sum_file.to_owned(),
        recorded: recorded.to_owned(),
    }
}

/// Go's `module.Sort` order: path bytes, then the version part before the
/// first `/` by semver, then the rest (`/go.mod`) as a string. Versions
/// that semver calls equal are ordered as strings, so the result is total.
pub fn module_sort_cmp(a: &Key, b: &Key) -> Ordering {
    a.0.cmp(&b.0).then_with(|| {
        let (vi, fi) =
            a.1.find('/')
                .map_or((a.1.as_str(), ""), |k| a.1.split_at(k));
        let (vj, fj) =
            b.1.find('/')
                .map_or((b.1.as_str(), ""), |k| b.1.split_at(k));
        if vi != vj {
            version::compare(vi, vj).then_with(|| vi.cmp(vj))
        } else {
            fi.cmp(fj)
        }
    })
}

/// The sum files in use: the main one (`go.sum`, or `go.work.sum` in
/// workspace mode) and, in workspace mode, each workspace module's go.sum
/// (read-only), as the go command's `sumState` holds them.
#[derive(Debug, Clone, Default)]
pub struct SumFiles {
    /// Name shown in mismatch messages for the main file (`go.sum` or `go.work.sum`).
    pub main_name: String,
    /// The main file.
    pub main: GoSum,
    /// Workspace modules' go.sum files, by path as shown in messages.
    pub workspace: Vec<(String, GoSum)>,
}

impl SumFiles {
    /// Whether (path, version, h) is already listed (Go's
    /// `haveModSumLocked`); a conflicting `h1:` line is the mismatch error.
    pub fn have(&self, path: &str, version: &str, h: &str) -> Result<bool, ChecksumMismatch> {
        if self.main.check(&self.main_name, path, version, h)? {
            return Ok(true);
        }
        let mut found = false;
        for (name, sum) in &self.workspace {
            found |= sum.check_all(name, path, version, h)?;
        }
        Ok(found)
    }

    /// Whether a workspace module's go.sum lists the key (then the main file
    /// does not get it: `sumInWorkspaceModulesLocked`).
    pub fn in_workspace_modules(&self, path: &str, version: &str) -> bool {
        self.workspace
            .iter()
            .any(|(_, s)| s.contains_key(path, version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A1: &str = "h1:tpqYOOmuilagXzyqoJ3roUjp8gneQeTv5YVpL6BG7/k=";
    const A2: &str = "h1:UWkIka9t4wTRf5TZ+sRdwnADRAp+U7R9A2lAeNEx1cA=";

    #[test]
    fn parse_rules() {
        let data = format!(
            "example.com/m v1.0.0 {A1}\n\n  \t\nexample.com/m\tv1.0.0/go.mod  {A2}\r\nexample.com/e v1.0.0/go.mod {EMPTY_GO_MOD_HASH}\nexample.com/m v1.0.0 h2:x"
        );
        let s = GoSum::parse("go.sum", data.as_bytes()).unwrap();
        assert_eq!(s.hashes("example.com/m", "v1.0.0"), [A1, "h2:x"]);
        assert_eq!(s.hashes("example.com/m", "v1.0.0/go.mod"), [A2]);
        assert!(!s.contains_key("example.com/e", "v1.0.0/go.mod"));
        let err = GoSum::parse("/w/go.sum", b"a b c\na b\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "malformed go.sum:\n/w/go.sum:2: wrong number of fields 2\n"
        );
        assert_eq!(
            GoSum::parse_lenient(b"a b\nx y z\n").hashes("x", "y"),
            ["z"]
        );
        // U+00A0 and U+0085 are white space to strings.Fields.
        let s = GoSum::parse("go.sum", "a\u{a0}b\u{85}c\n".as_bytes()).unwrap();
        assert_eq!(s.hashes("a", "b"), ["c"]);
    }

    #[test]
    fn check_and_mismatch_text() {
        let s = GoSum::parse(
            "go.sum",
            format!("example.com/m v1.0.0 h2:other\nexample.com/m v1.0.0 {A1}\n").as_bytes(),
        )
        .unwrap();
        assert_eq!(s.check("go.sum", "example.com/m", "v1.0.0", A1), Ok(true));
        assert_eq!(s.check("go.sum", "example.com/m", "v1.0.1", A1), Ok(false));
        let err = s
            .check("go.sum", "example.com/m", "v1.0.0", A2)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "verifying example.com/m@v1.0.0: checksum mismatch\n\tdownloaded: {A2}\n\tgo.sum:     {A1}\n\nSECURITY ERROR\nThis download does NOT match an earlier download recorded in go.sum.\nThe bits may have been replaced on the origin server, or an attacker may\nhave intercepted the download attempt.\n\nFor more information, see 'go help module-auth'.\n"
            )
        );
        // A wrong h1 line before the right one is fatal.
        let s = GoSum::parse("go.sum", format!("m v1 {A2}\nm v1 {A1}\n").as_bytes()).unwrap();
        assert!(s.check("go.sum", "m", "v1", A1).is_err());
    }

    #[test]
    fn workspace_files() {
        let files = SumFiles {
            main_name: "go.work.sum".into(),
            main: GoSum::default(),
            workspace: vec![(
                "/w/a/go.sum".into(),
                GoSum::parse("", format!("m v1 {A1}\nm v1 {A2}\n").as_bytes()).unwrap(),
            )],
        };
        let err = files.have("m", "v1", A1).unwrap_err();
        assert_eq!(err.sum_file, "/w/a/go.sum");
        assert!(files.in_workspace_modules("m", "v1"));
    }

    #[test]
    fn add_warns_on_unknown() {
        let mut s = GoSum::parse("go.sum", b"m v1 h2:x\n").unwrap();
        let w = s.add("m", "v1", A1).unwrap();
        assert!(w.to_string().starts_with(&format!("warning: verifying m@v1: unknown hashes in go.sum: h2:x; adding {A1}\n\nSECURITY WARNING\n")));
        assert_eq!(s.add("m", "v1", A1), None);
        assert_eq!(s.add("n", "v1", A1), None);
    }

    #[test]
    fn canonical_format() {
        let data = format!(
            "example.com/b v1.10.0 {A1}\nexample.com/b v1.9.0/go.mod {A2}\nexample.com/b v1.9.0 {A1}\nexample.com/a v0.0.0-20200101000000-abcdefabcdef/go.mod {A2}\nexample.com/b v1.9.0 {A1}\nexample.com/a v0.0.0-20200101000000-abcdefabcdef {A2}\nexample.com/b v1.9.0 {A2}\nexample.com/b v1.2.3-pre {A1}\n"
        );
        let s = GoSum::parse("go.sum", data.as_bytes()).unwrap();
        let want = format!(
            "example.com/a v0.0.0-20200101000000-abcdefabcdef {A2}\nexample.com/a v0.0.0-20200101000000-abcdefabcdef/go.mod {A2}\nexample.com/b v1.2.3-pre {A1}\nexample.com/b v1.9.0 {A2}\nexample.com/b v1.9.0 {A1}\nexample.com/b v1.9.0/go.mod {A2}\nexample.com/b v1.10.0 {A1}\n"
        );
        assert_eq!(String::from_utf8(s.format()).unwrap(), want);
        assert_eq!(
            GoSum::parse("go.sum", want.as_bytes()).unwrap().format(),
            want.as_bytes()
        );
    }
}
