//! The module graph: from the main go.mod (or go.work) to the set of module
//! versions `go mod download` fetches. Mirrors cmd/go/internal/modload
//! (buildlist.go `readModGraph`, modfile.go `goModSummary`, `replacementFrom`,
//! init.go `requirementsFromModFiles`), cmd/go/internal/mvs (`BuildList`) and
//! modcmd/download.go `runDownload`. Spec: spec/integrity.md §8.
//!
//! - [`workspace`]: the main modules, their replacements and exclusions;
//! - [`mvs`]: the requirement graph and version selection (pure);
//! - [`load`]: loading go.mod files concurrently as the graph unfolds.

pub mod load;
pub mod mvs;
pub mod workspace;

use std::cmp::Ordering;
use std::fmt;

/// A module path at a version. `version` is `""` for a main module or a
/// directory replacement (Go's `module.Version`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleVersion {
    pub path: String,
    pub version: String,
}

impl ModuleVersion {
    pub fn new(path: impl Into<String>, version: impl Into<String>) -> Self {
        ModuleVersion {
            path: path.into(),
            version: version.into(),
        }
    }
}

impl fmt::Display for ModuleVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.version.is_empty() {
            f.write_str(&self.path)
        } else {
            write!(f, "{}@{}", self.path, self.version)
        }
    }
}

/// Whether a module's go.mod lists enough to prune its dependencies' graphs
/// (modload `modPruning`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pruning {
    Pruned,
    Unpruned,
    Workspace,
}

/// `gover.ExplicitIndirectVersion`: the first Go version whose go.mod files
/// allow graph pruning.
pub const EXPLICIT_INDIRECT_VERSION: &str = "1.17";

/// modload `pruningForGoVersion`; a missing go line is unpruned.
pub fn pruning_for_go_version(go: Option<&str>) -> Pruning {
    match go {
        Some(v) if gover_compare(v, EXPLICIT_INDIRECT_VERSION) != Ordering::Less => Pruning::Pruned,
        _ => Pruning::Unpruned,
    }
}

/// Whether `path` is one of the pseudo-modules `go` and `toolchain`
/// (`gover.IsToolchain`): never downloaded.
pub fn is_toolchain_path(path: &str) -> bool {
    path == "go" || path == "toolchain"
}

/// `gover.Compare` for Go versions such as `1.21`, `1.21rc1`, `1.21.3`
/// (`1.21` < `1.21rc1` < `1.21.0`); unparsable versions sort lowest.
pub fn gover_compare(x: &str, y: &str) -> Ordering {
    fn parse(v: &str) -> Option<(&str, &str, &str, &str, &str)> {
        let num = |s: &str| -> usize { s.bytes().take_while(u8::is_ascii_digit).count() };
        let n = num(v);
        if n == 0 {
            return None;
        }
        let (major, rest) = v.split_at(n);
        if rest.is_empty() {
            return Some((major, "0", "0", "", ""));
        }
        let rest = rest.strip_prefix('.')?;
        let n = num(rest);
        if n == 0 {
            return None;
        }
        let (minor, rest) = rest.split_at(n);
        let (patch, rest) = match rest.strip_prefix('.') {
            Some(r) => {
                let n = num(r);
                if n == 0 {
                    return None;
                }
                r.split_at(n)
            }
            None => ("", rest),
        };
        let k = rest.bytes().take_while(u8::is_ascii_lowercase).count();
        let (kind, pre) = rest.split_at(k);
        if !pre.bytes().all(|c| c.is_ascii_digit()) || (!kind.is_empty() && pre.is_empty()) {
            return None;
        }
        Some((major, minor, patch, kind, pre))
    }
    fn cmp_int(a: &str, b: &str) -> Ordering {
        let a = a.trim_start_matches('0');
        let b = b.trim_start_matches('0');
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    }
    fn cmp_patch(a: &str, b: &str) -> Ordering {
        match (a.is_empty(), b.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            _ => cmp_int(a, b),
        }
    }
    match (parse(x), parse(y)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => cmp_int(a.0, b.0)
            .then_with(|| cmp_int(a.1, b.1))
            .then_with(|| cmp_patch(a.2, b.2))
            .then_with(|| a.3.cmp(b.3))
            .then_with(|| cmp_int(a.4, b.4)),
    }
}

/// Version order of the module graph (`gover.ModCompare` / mvs `cmpVersion`):
/// `""` (a main module) is above everything, `none` below everything, and
/// otherwise semver order. For the `go` and `toolchain` paths, Go versions.
pub fn cmp_version(path: &str, v: &str, w: &str) -> Ordering {
    if v == w {
        return Ordering::Equal;
    }
    if v.is_empty() {
        return Ordering::Greater;
    }
    if w.is_empty() {
        return Ordering::Less;
    }
    if v == "none" {
        return Ordering::Less;
    }
    if w == "none" {
        return Ordering::Greater;
    }
    if is_toolchain_path(path) {
        let strip = |s: &'_ str| -> String { s.trim_start_matches("go").to_string() };
        return gover_compare(&strip(v), &strip(w));
    }
    crate::module::version::compare(v, w)
}

#[cfg(test)]
mod tests;
