//! The on-disk shape of a mirror tree and the only code that writes into it.
//!
//! Layout (a `file://` GOPROXY, spec/fetch-protocol.md §7, §8.1; the
//! checksum-database subtree a proxy serves, §5.2 and integrity.md §5.12):
//!
//! ```text
//! DIR/<escpath>/@v/list                 canonical versions with a .mod, sorted, "\n"-terminated
//! DIR/<escpath>/@v/<escver>.{info,mod,zip}
//! DIR/sumdb/<name>/supported            empty: "this proxy serves <name>"
//! DIR/sumdb/<name>/latest               the signed tree head every lookup below carries
//! DIR/sumdb/<name>/lookup/<escpath>@<escver>
//! DIR/sumdb/<name>/tile/8/<L>/<NNN>[.p/<W>]
//! DIR/manifest.json
//! ```
//!
//! Every file lands by temp file + rename in its own directory, so a reader
//! (a running `gomodfetch serve`, a `go` with `GOPROXY=file://DIR`) never
//! sees half a file. Temp files are dot-files (`.<name>.<random>.tmp`),
//! which `serve` never serves and a later run removes. Every path is built
//! from validated, escaped module paths and versions, or tile paths we
//! formatted ourselves: nothing is written outside DIR.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::module::path::{ModulePathError, escape_path, escape_version};
use crate::module::version as semver;

/// A mirror tree rooted at one directory.
#[derive(Debug, Clone)]
pub struct MirrorTree {
    root: PathBuf,
}

/// A file in the tree that could not be written or read.
#[derive(Debug, thiserror::Error)]
#[error("Cannot {op} `{}`: {}", path.display(), describe_io(source))]
pub struct TreeIoError {
    /// What was being done (`write`, `read`, `rename`...).
    pub op: &'static str,
    /// The file.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

/// io errors as users need them: disk full said plainly.
pub fn describe_io(err: &std::io::Error) -> String {
    if err.kind() == std::io::ErrorKind::StorageFull || err.raw_os_error() == Some(28) {
        "no space left on device (the files completed before are kept; free space and run again to resume)".to_owned()
    } else {
        err.to_string()
    }
}

impl MirrorTree {
    /// The tree at `root` (not created until something is written).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `DIR/<escpath>/@v`.
    pub fn version_dir(&self, path: &str) -> Result<PathBuf, ModulePathError> {
        Ok(self.root.join(escape_path(path)?).join("@v"))
    }

    /// `DIR/<escpath>/@v/<escver>.<ext>`.
    pub fn module_file(
        &self,
        path: &str,
        version: &str,
        ext: &str,
    ) -> Result<PathBuf, ModulePathError> {
        Ok(self
            .version_dir(path)?
            .join(format!("{}.{ext}", escape_version(version)?)))
    }

    /// `DIR/sumdb/<name>`.
    pub fn sumdb_dir(&self, name: &str) -> PathBuf {
        let mut dir = self.root.join("sumdb");
        for part in name.split('/') {
            dir.push(part);
        }
        dir
    }

    /// `DIR/manifest.json`.
    pub fn manifest_file(&self) -> PathBuf {
        self.root.join("manifest.json")
    }

    /// `DIR/.gomodfetch-mirror.lock`: held by a running `mirror`.
    pub fn lock_file(&self) -> PathBuf {
        self.root.join(".gomodfetch-mirror.lock")
    }

    /// The path of `file` relative to the root, `/`-separated.
    pub fn rel(&self, file: &Path) -> String {
        let rel = file.strip_prefix(&self.root).unwrap_or(file);
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// Creates an exclusive temp file beside `file` (`.<name>.<random>.tmp`).
pub fn temp_beside(file: &Path) -> Result<(std::fs::File, PathBuf), TreeIoError> {
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|source| TreeIoError {
        op: "create directory",
        path: dir.to_path_buf(),
        source,
    })?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    loop {
        let tmp = dir.join(format!(".{name}.{}.tmp", rand::random::<u32>()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((f, tmp)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(source) => {
                return Err(TreeIoError {
                    op: "create",
                    path: tmp,
                    source,
                });
            }
        }
    }
}

/// Moves a finished temp file over `file` (removing the temp on failure).
pub fn commit(tmp: &Path, file: &Path) -> Result<(), TreeIoError> {
    std::fs::rename(tmp, file).map_err(|source| {
        let _ = std::fs::remove_file(tmp);
        TreeIoError {
            op: "rename into",
            path: file.to_path_buf(),
            source,
        }
    })
}

/// Writes `data` to `file` by temp file + rename.
pub fn write_atomic(file: &Path, data: &[u8]) -> Result<(), TreeIoError> {
    let (mut f, tmp) = temp_beside(file)?;
    let written = f.write_all(data).and_then(|()| f.flush());
    drop(f);
    if let Err(source) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(TreeIoError {
            op: "write",
            path: file.to_path_buf(),
            source,
        });
    }
    commit(&tmp, file)
}

/// Writes `data` unless `file` already holds exactly it; returns whether it wrote.
pub fn write_if_changed(file: &Path, data: &[u8]) -> Result<bool, TreeIoError> {
    if std::fs::read(file).is_ok_and(|old| old == data) {
        return Ok(false);
    }
    write_atomic(file, data)?;
    Ok(true)
}

/// Rewrites `@v/list` from the `.mod` files present (Go's
/// `rewriteVersionList`): canonical versions, semver-sorted, one per line.
pub fn rewrite_list(version_dir: &Path) -> Result<bool, TreeIoError> {
    let entries = std::fs::read_dir(version_dir).map_err(|source| TreeIoError {
        op: "read directory",
        path: version_dir.to_path_buf(),
        source,
    })?;
    let mut versions = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(escaped) = name.strip_suffix(".mod")
            && let Ok(v) = crate::module::path::unescape_version(escaped)
            && semver::canonical_module_version(&v) == v
            && !v.is_empty()
        {
            versions.push(v);
        }
    }
    semver::sort(&mut versions);
    let mut text = String::new();
    for v in versions {
        text.push_str(&v);
        text.push('\n');
    }
    write_if_changed(&version_dir.join("list"), text.as_bytes())
}

/// Removes temp files left by a killed run (dot-files ending in `.tmp`).
pub fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        if kind.is_dir() {
            remove_stale_temps(&entry.path());
        } else if kind.is_file() && name.starts_with('.') && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_escaped_and_inside() {
        let t = MirrorTree::new("/m");
        assert_eq!(
            t.module_file("example.com/Upper", "v1.0.0-RC", "zip")
                .unwrap(),
            PathBuf::from("/m/example.com/!upper/@v/v1.0.0-!r!c.zip")
        );
        assert!(t.module_file("../etc", "v1.0.0", "mod").is_err());
        assert!(t.module_file("example.com/m", "../../x", "mod").is_err());
        assert_eq!(
            t.sumdb_dir("db.test/sub"),
            PathBuf::from("/m/sumdb/db.test/sub")
        );
    }

    #[test]
    fn list_is_sorted_and_complete() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("@v");
        for v in ["v1.10.0", "v1.2.0", "v1.2.0-pre", "v2.0.0+incompatible"] {
            write_atomic(&dir.join(format!("{v}.mod")), b"module m\n").unwrap();
        }
        write_atomic(&dir.join("v1.3.0.info"), b"{}").unwrap();
        assert!(rewrite_list(&dir).unwrap());
        assert_eq!(
            std::fs::read_to_string(dir.join("list")).unwrap(),
            "v1.2.0-pre\nv1.2.0\nv1.10.0\nv2.0.0+incompatible\n"
        );
        assert!(!rewrite_list(&dir).unwrap());
        let (_f, tmp_file) = temp_beside(&dir.join("v9.0.0.zip")).unwrap();
        remove_stale_temps(tmp.path());
        assert!(!tmp_file.exists());
    }
}
