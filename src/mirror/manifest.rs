//! `DIR/manifest.json`: what a mirror holds, so the air-gapped side can
//! check a transfer before serving it (`gomodfetch mirror verify`) and the
//! connected side can carry only what changed (`--delta`).
//!
//! It lists every module version with its `h1:` hashes (zip and go.mod),
//! the checksum-database head the proofs are made against (and the earlier
//! heads this mirror published, which the stored tiles also prove), and
//! every file of the tree with its size and SHA-256. The manifest itself is
//! not signed: the hashes it lists are checked against the database's
//! signed head by `mirror verify`, which needs the key from the user.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::tree::{MirrorTree, TreeIoError, commit, temp_beside, write_atomic};

/// The manifest's format version.
pub const FORMAT: u32 = 1;

/// The manifest file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// The checksum database the proofs come from (absent with GOSUMDB=off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sumdb: Option<SumdbInfo>,
    /// Every module version, sorted by path then version.
    pub modules: Vec<ModuleEntry>,
    /// Every file of the tree (relative, `/`-separated) but this one.
    pub files: BTreeMap<String, FileEntry>,
}

/// The checksum database and the head used.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SumdbInfo {
    /// Database name (`DIR/sumdb/<name>`).
    pub name: String,
    /// Its verifier key, as configured when mirroring (self-asserted: pass
    /// the key to `mirror verify` to check against your own copy).
    pub key: String,
    /// Size of the tree every stored lookup carries.
    pub tree_size: i64,
    /// Its root hash (base64).
    pub tree_hash: String,
    /// Earlier heads of this mirror, proven consistent by stored tiles.
    #[serde(default)]
    pub earlier: Vec<TreeRef>,
}

/// A tree head (size and root hash).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct TreeRef {
    pub size: i64,
    pub hash: String,
}

/// One module version.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ModuleEntry {
    pub path: String,
    pub version: String,
    /// `h1:` of the go.mod.
    pub go_mod: String,
    /// `h1:` of the zip; absent when only the go.mod is mirrored (a module
    /// the graph reads but never builds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    /// Whether the checksum database covers it (false under GONOSUMDB/GOPRIVATE).
    pub sumdb: bool,
}

/// One file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    pub size: u64,
    pub sha256: String,
    /// Modification time when hashed (nanoseconds), a hint so a later run
    /// need not hash unchanged files again; not checked by `verify`.
    #[serde(default)]
    pub mtime_ns: u64,
}

/// The manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error(transparent)]
    Io(#[from] TreeIoError),
    #[error("Cannot parse `{}`: {source}", path.display())]
    Parse {
        path: std::path::PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

impl Manifest {
    /// Reads a manifest; `None` if the file does not exist.
    pub fn read(path: &Path) -> Result<Option<Manifest>, ManifestError> {
        match std::fs::read(path) {
            Ok(data) => {
                serde_json::from_slice(&data)
                    .map(Some)
                    .map_err(|source| ManifestError::Parse {
                        path: path.to_path_buf(),
                        source,
                    })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(TreeIoError {
                op: "read",
                path: path.to_path_buf(),
                source,
            }
            .into()),
        }
    }

    /// Writes it (temp file + rename).
    pub fn write(&self, path: &Path) -> Result<(), TreeIoError> {
        let mut data = serde_json::to_vec_pretty(self).unwrap_or_default();
        data.push(b'\n');
        write_atomic(path, &data)
    }

    /// The module entry for path@version.
    pub fn module(&self, path: &str, version: &str) -> Option<&ModuleEntry> {
        self.modules
            .binary_search_by(|m| (m.path.as_str(), m.version.as_str()).cmp(&(path, version)))
            .ok()
            .map(|i| &self.modules[i])
    }
}

fn mtime_ns(meta: &std::fs::Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// SHA-256 of a file, streamed.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Lists every file of the tree (not dot-files, not the manifest) with its
/// size and SHA-256, reusing `previous`'s hash when size and mtime match.
pub fn scan_files(
    tree: &MirrorTree,
    previous: Option<&Manifest>,
) -> Result<BTreeMap<String, FileEntry>, TreeIoError> {
    let mut out = BTreeMap::new();
    let mut stack = vec![tree.root().to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| TreeIoError {
            op: "read directory",
            path: dir.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(path);
                continue;
            }
            if !kind.is_file() {
                continue;
            }
            let rel = tree.rel(&path);
            if rel == "manifest.json" {
                continue;
            }
            let meta = entry.metadata().map_err(|source| TreeIoError {
                op: "stat",
                path: path.clone(),
                source,
            })?;
            let (size, mtime) = (meta.len(), mtime_ns(&meta));
            let known = previous
                .and_then(|m| m.files.get(&rel))
                .filter(|f| f.size == size && f.mtime_ns == mtime && mtime != 0);
            let sha256 = match known {
                Some(f) => f.sha256.clone(),
                None => sha256_file(&path).map_err(|source| TreeIoError {
                    op: "read",
                    path: path.clone(),
                    source,
                })?,
            };
            out.insert(
                rel,
                FileEntry {
                    size,
                    sha256,
                    mtime_ns: mtime,
                },
            );
        }
    }
    Ok(out)
}

/// Copies every file of `new` that `old` lacks or lists with other content
/// from the tree into `out` (same relative paths), plus the new manifest.
/// Returns the relative paths copied. Applying it on the other side is a
/// plain recursive copy over the tree (`cp -R delta/. DIR/`).
pub fn write_delta(
    tree: &MirrorTree,
    new: &Manifest,
    old: &Manifest,
    out: &Path,
) -> Result<Vec<String>, TreeIoError> {
    let mut copied = Vec::new();
    for (rel, entry) in &new.files {
        if old.files.get(rel).is_some_and(|o| o.sha256 == entry.sha256) {
            continue;
        }
        let src = rel
            .split('/')
            .fold(tree.root().to_path_buf(), |p, s| p.join(s));
        let dst = rel.split('/').fold(out.to_path_buf(), |p, s| p.join(s));
        let mut from = std::fs::File::open(&src).map_err(|source| TreeIoError {
            op: "read",
            path: src.clone(),
            source,
        })?;
        let (mut to, tmp) = temp_beside(&dst)?;
        if let Err(source) = std::io::copy(&mut from, &mut to) {
            let _ = std::fs::remove_file(&tmp);
            return Err(TreeIoError {
                op: "write",
                path: dst,
                source,
            });
        }
        drop(to);
        commit(&tmp, &dst)?;
        copied.push(rel.clone());
    }
    new.write(&out.join("manifest.json"))?;
    Ok(copied)
}
