//! Every GOMODCACHE path (spec/fetch-protocol.md §8.1, modfetch/cache.go
//! `CachePath`, `DownloadDir`). Pure: paths only, no I/O.

use std::path::{Path, PathBuf};

use crate::module::{path as modpath, version as semver};

/// A cache path that cannot be built (Go's `CachePath` errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    #[error("{0}")]
    Path(String),
    #[error("non-semver module version {0:?}")]
    NonSemver(String),
    #[error("non-canonical module version {0:?}")]
    NonCanonical(String),
}

/// The paths of one module cache root.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `$GOMODCACHE`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `$GOMODCACHE/cache/download`.
    pub fn download_root(&self) -> PathBuf {
        self.root.join("cache").join("download")
    }

    /// `cache/download/<escpath>/@v`.
    pub fn version_dir(&self, path: &str) -> Result<PathBuf, LayoutError> {
        let esc = modpath::escape_path(path).map_err(|e| LayoutError::Path(e.to_string()))?;
        Ok(self.download_root().join(esc).join("@v"))
    }

    /// `cache/download/<escpath>/@v/<escver>.<suffix>` for a canonical version.
    pub fn file(&self, path: &str, version: &str, suffix: &str) -> Result<PathBuf, LayoutError> {
        let escver = check_version(version)?;
        Ok(self.version_dir(path)?.join(format!("{escver}.{suffix}")))
    }

    /// Every path of one canonical module@version, escaped and checked once
    /// (a warm-cache probe asks for six of them).
    pub fn version_paths(&self, path: &str, version: &str) -> Result<VersionPaths, LayoutError> {
        let escver = check_version(version)?;
        let esc = modpath::escape_path(path).map_err(|e| LayoutError::Path(e.to_string()))?;
        Ok(VersionPaths {
            stem: self
                .download_root()
                .join(&esc)
                .join("@v")
                .join(&escver)
                .into_os_string(),
            dir: self.root.join(format!("{esc}@{escver}")),
        })
    }

    /// `<escpath>@<escver>`: the extracted tree.
    pub fn module_dir(&self, path: &str, version: &str) -> Result<PathBuf, LayoutError> {
        let escver = check_version(version)?;
        let esc = modpath::escape_path(path).map_err(|e| LayoutError::Path(e.to_string()))?;
        Ok(self.root.join(format!("{esc}@{escver}")))
    }
}

/// The paths of one module@version ([`Layout::version_paths`]).
#[derive(Debug, Clone)]
pub struct VersionPaths {
    /// `cache/download/<escpath>/@v/<escver>`, without a suffix.
    stem: std::ffi::OsString,
    /// `<escpath>@<escver>`: the extracted tree.
    pub dir: PathBuf,
}

impl VersionPaths {
    /// `cache/download/<escpath>/@v/<escver>.<suffix>`, as [`Layout::file`].
    pub fn file(&self, suffix: &str) -> PathBuf {
        let mut s = self.stem.clone();
        s.push(".");
        s.push(suffix);
        PathBuf::from(s)
    }
}

fn check_version(version: &str) -> Result<String, LayoutError> {
    if !semver::is_valid(version) {
        return Err(LayoutError::NonSemver(version.to_string()));
    }
    if semver::canonical_module_version(version) != version {
        return Err(LayoutError::NonCanonical(version.to_string()));
    }
    modpath::escape_version(version).map_err(|e| LayoutError::Path(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_paths_equal_file_and_module_dir() {
        let l = Layout::new("/c");
        let (p, v) = ("example.com/Upper/v2", "v2.0.0-RC1");
        let vp = l.version_paths(p, v).unwrap();
        for suffix in ["info", "mod", "zip", "ziphash", "partial", "lock"] {
            assert_eq!(vp.file(suffix), l.file(p, v, suffix).unwrap());
        }
        assert_eq!(vp.dir, l.module_dir(p, v).unwrap());
        assert!(l.version_paths(p, "v2.0").is_err());
    }

    #[test]
    fn paths() {
        let l = Layout::new("/c");
        assert_eq!(
            l.file("example.com/Upper", "v1.0.0-RC1", "info").unwrap(),
            Path::new("/c/cache/download/example.com/!upper/@v/v1.0.0-!r!c1.info")
        );
        assert_eq!(
            l.module_dir("example.com/m", "v2.0.0+incompatible")
                .unwrap(),
            Path::new("/c/example.com/m@v2.0.0+incompatible")
        );
        assert_eq!(
            l.file("example.com/m", "v1.2", "mod"),
            Err(LayoutError::NonCanonical("v1.2".into()))
        );
        assert!(l.file("example.com/m", "master", "mod").is_err());
    }
}
