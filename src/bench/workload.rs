//! The module versions a bench run requests: a file of `path@version` lines
//! (optionally followed by the zip's `h1:` hash), the requires of a go.mod
//! (`module::modfile`, with hashes from the go.sum beside it), or every version listed in a
//! mirror tree (`<escpath>/@v/list`, spec/fetch-protocol.md §8.1). Bad lines
//! are collected and reported as `file:line: problem`, never skipped.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::module::modfile::{self, ModfileError};
use crate::module::path;

/// One module version to request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleVersion {
    pub path: String,
    pub version: String,
    /// The expected `h1:` of the zip, when the workload knows it.
    pub zip_hash: Option<String>,
}

/// A line of a workload file that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub file: PathBuf,
    pub line: usize,
    pub problem: String,
}

impl fmt::Display for BadLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.problem)
    }
}

/// Why no workload could be built.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    #[error("Cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("Bad workload lines:\n{}", join_lines(lines))]
    BadLines { lines: Vec<BadLine> },
    #[error("Cannot use `{}` as a workload", path.display())]
    GoMod {
        path: PathBuf,
        #[source]
        source: ModfileError,
    },
    #[error("No module versions found in `{}`", path.display())]
    Empty { path: PathBuf },
}

fn join_lines(lines: &[BadLine]) -> String {
    lines
        .iter()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn read(path: &Path) -> Result<String, WorkloadError> {
    std::fs::read_to_string(path).map_err(|source| WorkloadError::Read {
        path: path.to_owned(),
        source,
    })
}

fn non_empty(items: Vec<ModuleVersion>, path: &Path) -> Result<Vec<ModuleVersion>, WorkloadError> {
    if items.is_empty() {
        Err(WorkloadError::Empty {
            path: path.to_owned(),
        })
    } else {
        Ok(items)
    }
}

/// A module path and version a proxy can be asked about (`module.Check`,
/// and a version that escapes to a file name).
fn check(module: &str, version: &str) -> Result<(), String> {
    path::check(module, version).map_err(|e| e.to_string())?;
    path::escape_version(version)
        .map(drop)
        .map_err(|e| format!("{module}@{version}: {e}"))
}

/// Parses a modules file: `path@version [h1:hash]` per line, `#` comments
/// and blank lines ignored.
pub fn parse_modules(text: &str, file: &Path) -> Result<Vec<ModuleVersion>, Vec<BadLine>> {
    let mut items = Vec::new();
    let mut bad = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let mut fields = line.split_whitespace();
        let spec = fields.next().unwrap_or_default();
        let hash = fields.next();
        let problem = if fields.next().is_some() {
            Some("expected `path@version [h1:hash]`, found extra fields".to_owned())
        } else {
            match spec.rsplit_once('@') {
                None => Some(format!("expected `path@version`, found `{spec}`")),
                Some((path, version)) => match check(path, version) {
                    Err(e) => Some(e),
                    Ok(()) => match hash {
                        Some(h) if !h.starts_with("h1:") => {
                            Some(format!("expected an `h1:` hash, found `{h}`"))
                        }
                        _ => {
                            items.push(ModuleVersion {
                                path: path.to_owned(),
                                version: version.to_owned(),
                                zip_hash: hash.map(str::to_owned),
                            });
                            None
                        }
                    },
                },
            }
        };
        if let Some(problem) = problem {
            bad.push(BadLine {
                file: file.to_owned(),
                line: index + 1,
                problem,
            });
        }
    }
    if bad.is_empty() { Ok(items) } else { Err(bad) }
}

/// Reads a modules file.
pub fn from_modules_file(file: &Path) -> Result<Vec<ModuleVersion>, WorkloadError> {
    let items =
        parse_modules(&read(file)?, file).map_err(|lines| WorkloadError::BadLines { lines })?;
    non_empty(items, file)
}

/// Fills in zip hashes from go.sum text (`path version h1:...` lines; the
/// `/go.mod` lines are for go.mod files and are skipped).
pub fn apply_gosum(items: &mut [ModuleVersion], gosum: &str) {
    for line in gosum.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if let [path, version, hash] = fields.as_slice()
            && !version.ends_with("/go.mod")
            && let Some(item) = items
                .iter_mut()
                .find(|m| m.path == *path && m.version == *version)
        {
            item.zip_hash = Some((*hash).to_owned());
        }
    }
}

/// Reads the requires of a go.mod, with hashes from `go.sum` beside it.
pub fn from_gomod(file: &Path) -> Result<Vec<ModuleVersion>, WorkloadError> {
    let text = read(file)?;
    let parsed =
        modfile::parse_lax(&file.display().to_string(), text.as_bytes()).map_err(|source| {
            WorkloadError::GoMod {
                path: file.to_owned(),
                source,
            }
        })?;
    let mut bad = Vec::new();
    let mut items = Vec::new();
    for require in parsed.require {
        match check(&require.path, &require.version) {
            Ok(()) => items.push(ModuleVersion {
                path: require.path,
                version: require.version,
                zip_hash: None,
            }),
            Err(problem) => bad.push(BadLine {
                file: file.to_owned(),
                line: require.line,
                problem,
            }),
        }
    }
    if !bad.is_empty() {
        return Err(WorkloadError::BadLines { lines: bad });
    }
    let gosum = file.with_file_name("go.sum");
    if let Ok(text) = std::fs::read_to_string(&gosum) {
        apply_gosum(&mut items, &text);
    }
    non_empty(items, file)
}

/// Every version listed in a mirror (GOPROXY) tree: each `<escpath>/@v/list`.
pub fn from_mirror(root: &Path) -> Result<Vec<ModuleVersion>, WorkloadError> {
    let mut items = Vec::new();
    let mut bad = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| WorkloadError::Read {
            path: dir.clone(),
            source,
        })?;
        let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        for child in children {
            if !child.is_dir() {
                continue;
            }
            if child.file_name().is_some_and(|n| n == "@v") {
                let list = child.join("list");
                if list.is_file() {
                    collect_list(root, &dir, &list, &mut items, &mut bad)?;
                }
            } else if child.file_name().is_some_and(|n| n != "sumdb") {
                stack.push(child);
            }
        }
    }
    if !bad.is_empty() {
        return Err(WorkloadError::BadLines { lines: bad });
    }
    items.sort_by(|a, b| (&a.path, &a.version).cmp(&(&b.path, &b.version)));
    non_empty(items, root)
}

fn collect_list(
    root: &Path,
    module_dir: &Path,
    list: &Path,
    items: &mut Vec<ModuleVersion>,
    bad: &mut Vec<BadLine>,
) -> Result<(), WorkloadError> {
    let escaped = module_dir
        .strip_prefix(root)
        .unwrap_or(module_dir)
        .to_string_lossy()
        .replace('\\', "/");
    let path = match path::unescape_path(&escaped) {
        Ok(path) => path,
        Err(err) => {
            bad.push(BadLine {
                file: list.to_owned(),
                line: 0,
                problem: err.to_string(),
            });
            return Ok(());
        }
    };
    for (index, line) in read(list)?.lines().enumerate() {
        let Some(version) = line.split_whitespace().next() else {
            continue;
        };
        match check(&path, version) {
            Ok(()) => items.push(ModuleVersion {
                path: path.clone(),
                version: version.to_owned(),
                zip_hash: None,
            }),
            Err(problem) => bad.push(BadLine {
                file: list.to_owned(),
                line: index + 1,
                problem,
            }),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_file_reports_every_bad_line() {
        let text = "# comment\nexample.com/a@v1.0.0\n\nnot-a-line\nexample.com/b@v1.2.3 h1:abc=\nnodot/x@v1.0.0\nexample.com/c@v1 md5:x\n";
        let bad = parse_modules(text, Path::new("w.txt")).unwrap_err();
        let shown: Vec<String> = bad.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 3, "{shown:?}");
        assert!(shown[0].starts_with("w.txt:4: expected `path@version`"));
        assert!(shown[1].starts_with("w.txt:6: malformed module path \"nodot/x\""));
        assert!(shown[2].starts_with("w.txt:7: expected an `h1:` hash"));
    }

    #[test]
    fn modules_file_keeps_hashes() {
        let items = parse_modules("example.com/b@v1.2.3 h1:abc=\n", Path::new("w")).unwrap();
        assert_eq!(items[0].zip_hash.as_deref(), Some("h1:abc="));
    }

    #[test]
    fn gosum_fills_zip_hashes() {
        let mv = |p: &str, v: &str| ModuleVersion {
            path: p.into(),
            version: v.into(),
            zip_hash: None,
        };
        let mut items = vec![
            mv("example.com/a", "v1.0.0"),
            mv("example.com/b", "v1.1.0"),
            mv("example.com/c", "v0.1.0"),
        ];
        apply_gosum(
            &mut items,
            "example.com/b v1.1.0 h1:zip=\nexample.com/b v1.1.0/go.mod h1:mod=\n",
        );
        assert_eq!(items[1].zip_hash.as_deref(), Some("h1:zip="));
        assert_eq!(items[0].zip_hash, None);
    }
}
