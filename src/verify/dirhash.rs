//! The `h1:` hash (x/mod sumdb/dirhash/hash.go `Hash1`, `HashZip`, `HashDir`,
//! `DirFiles`; spec/integrity.md §1) over a zip, a directory and a go.mod.
//!
//! `h1:` = base64(SHA-256(summary)), where the summary has one line
//! `hex(SHA-256(content))  name\n` per file, files sorted by name bytes,
//! duplicates kept. Everything streams through one reused buffer: memory does
//! not grow with file or zip size, and each byte is hashed once.
//!
//! Names are bytes, as Go's strings are: a zip entry name that is not UTF-8
//! hashes as its raw bytes. The only name rule here is Go's: no newlines.

use std::collections::HashMap;
use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::verify::zipread::{self, ZipReadError, ZipReader};

/// Read buffer for file contents: large enough that SHA-256, not syscalls,
/// is the cost.
const BUFFER: usize = 256 << 10;

/// Why a hash could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Go: `dirhash: filenames with newlines are not supported`.
    #[error("dirhash: filenames with newlines are not supported")]
    NewlineInName,
    /// A file's content could not be read.
    #[error("reading {name}")]
    Read {
        name: String,
        #[source]
        source: io::Error,
    },
    /// The zip could not be opened or parsed.
    #[error("open zip {path}")]
    Zip {
        path: PathBuf,
        #[source]
        source: ZipReadError,
    },
    /// An entry of the zip could not be opened.
    #[error("open {name} in zip")]
    ZipEntry {
        name: String,
        #[source]
        source: ZipReadError,
    },
    /// Walking the directory failed.
    #[error("walk {path}")]
    Walk {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Go's DirFiles: the root is not a directory.
    #[error("{} is not a directory", path.display())]
    NotADirectory { path: PathBuf },
}

/// Accumulates the summary; each file's content goes through [`Summary::add`].
struct Summary {
    summary: Sha256,
    buffer: Vec<u8>,
}

impl Summary {
    fn new() -> Self {
        Self {
            summary: Sha256::new(),
            buffer: vec![0u8; BUFFER],
        }
    }

    /// Hashes one file: reads `content` to the end and appends its line.
    fn add(&mut self, name: &[u8], content: &mut dyn Read) -> Result<(), HashError> {
        if name.contains(&b'\n') {
            return Err(HashError::NewlineInName);
        }
        let mut file = Sha256::new();
        loop {
            match content.read(&mut self.buffer) {
                Ok(0) => break,
                Ok(n) => file.update(&self.buffer[..n]),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(HashError::Read {
                        name: String::from_utf8_lossy(name).into_owned(),
                        source,
                    });
                }
            }
        }
        self.add_line(name, &file.finalize());
        Ok(())
    }

    /// Appends `<hex sha256>  <name>\n` (the name already checked).
    fn add_line(&mut self, name: &[u8], digest: &[u8]) {
        let mut line = [0u8; 64];
        // Cannot fail: the output is exactly twice the 32-byte digest.
        let _ = hex::encode_to_slice(digest, &mut line);
        self.summary.update(line);
        self.summary.update(b"  ");
        self.summary.update(name);
        self.summary.update(b"\n");
    }

    fn finish(self) -> String {
        let digest = self.summary.finalize();
        format!(
            "h1:{}",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    }
}

/// Go's `Hash1` with an `open` callback: hashes `names` (sorted here, byte
/// order, duplicates kept), reading each through `open(name)`.
pub fn hash1_with<N, R, F>(names: &[N], mut open: F) -> Result<String, HashError>
where
    N: AsRef<[u8]>,
    R: Read,
    F: FnMut(&[u8]) -> Result<R, HashError>,
{
    let mut sorted: Vec<&[u8]> = names.iter().map(AsRef::as_ref).collect();
    sorted.sort_unstable();
    let mut summary = Summary::new();
    for name in sorted {
        if name.contains(&b'\n') {
            return Err(HashError::NewlineInName);
        }
        let mut reader = open(name)?;
        summary.add(name, &mut reader)?;
    }
    Ok(summary.finish())
}

/// `Hash1` over (name, reader) pairs: sorted by name (stable, so equal names
/// keep their order), each reader read to the end once.
pub fn hash1<N, R>(files: impl IntoIterator<Item = (N, R)>) -> Result<String, HashError>
where
    N: AsRef<[u8]>,
    R: Read,
{
    let mut files: Vec<(N, R)> = files.into_iter().collect();
    files.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
    if files.iter().any(|(name, _)| name.as_ref().contains(&b'\n')) {
        return Err(HashError::NewlineInName);
    }
    let mut summary = Summary::new();
    for (name, mut reader) in files {
        summary.add(name.as_ref(), &mut reader)?;
    }
    Ok(summary.finish())
}

/// The go.sum `/go.mod` hash: `Hash1` over one file named `go.mod`
/// (spec/integrity.md §1.3).
pub fn hash_go_mod(content: &[u8]) -> String {
    // In memory already: no read buffer (a warm pre-warm hashes hundreds).
    let mut summary = Summary {
        summary: Sha256::new(),
        buffer: Vec::new(),
    };
    summary.add_line(b"go.mod", &Sha256::digest(content));
    summary.finish()
}

/// Go's `HashZip`: the h1 of a zip file's entries, names exactly as stored
/// (directory entries included, with empty content), streaming.
pub fn hash_zip(path: &Path) -> Result<String, HashError> {
    let mut zip = zipread::open_file(path).map_err(|source| HashError::Zip {
        path: path.to_path_buf(),
        source,
    })?;
    hash_zip_reader(&mut zip)
}

/// [`hash_zip`] over an already opened zip.
pub fn hash_zip_reader<R: Read + Seek>(zip: &mut ZipReader<R>) -> Result<String, HashError> {
    // Every occurrence of a duplicated name hashes the content of the last
    // entry with that name, as Go's name-to-entry map does.
    let mut last: HashMap<&[u8], usize> = HashMap::new();
    for (index, entry) in zip.entries().iter().enumerate() {
        last.insert(&entry.name, index);
    }
    let mut order: Vec<(Vec<u8>, usize)> = zip
        .entries()
        .iter()
        .map(|entry| {
            (
                entry.name.clone(),
                last.get(entry.name.as_slice()).copied().unwrap_or(0),
            )
        })
        .collect();
    drop(last);
    order.sort_by(|a, b| a.0.cmp(&b.0));
    let mut summary = Summary::new();
    for (name, index) in order {
        if name.contains(&b'\n') {
            return Err(HashError::NewlineInName);
        }
        let mut reader = zip.open(index).map_err(|source| HashError::ZipEntry {
            name: String::from_utf8_lossy(&name).into_owned(),
            source,
        })?;
        summary.add(&name, &mut reader)?;
    }
    Ok(summary.finish())
}

/// Go's `DirFiles(dir, prefix)`: every non-directory below `dir` (symlinks
/// listed, not followed), named `prefix/relative/path` with the join cleaned
/// as `filepath.Join` does. Returns (name, file system path) pairs.
pub fn dir_files(dir: &Path, prefix: &str) -> Result<Vec<(Vec<u8>, PathBuf)>, HashError> {
    let walk_err = |path: &Path, source: io::Error| HashError::Walk {
        path: path.to_path_buf(),
        source,
    };
    let info = std::fs::symlink_metadata(dir).map_err(|e| walk_err(dir, e))?;
    if !info.is_dir() {
        return Err(HashError::NotADirectory {
            path: dir.to_path_buf(),
        });
    }
    let mut files = Vec::new();
    let mut stack: Vec<(PathBuf, Vec<u8>)> = vec![(dir.to_path_buf(), Vec::new())];
    while let Some((path, rel)) = stack.pop() {
        let mut children = Vec::new();
        for child in std::fs::read_dir(&path).map_err(|e| walk_err(&path, e))? {
            let child = child.map_err(|e| walk_err(&path, e))?;
            children.push(child);
        }
        for child in children {
            let child_path = child.path();
            let mut child_rel = rel.clone();
            if !child_rel.is_empty() {
                child_rel.push(b'/');
            }
            child_rel.extend_from_slice(&os_bytes(&child.file_name()));
            let kind = child.file_type().map_err(|e| walk_err(&child_path, e))?;
            if kind.is_dir() {
                stack.push((child_path, child_rel));
            } else {
                let mut joined = prefix.as_bytes().to_vec();
                if !joined.is_empty() {
                    joined.push(b'/');
                }
                joined.extend_from_slice(&child_rel);
                files.push((
                    crate::verify::zipcheck::clean_path_bytes(&joined),
                    child_path,
                ));
            }
        }
    }
    Ok(files)
}

#[cfg(unix)]
fn os_bytes(name: &std::ffi::OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    name.as_bytes().to_vec()
}

#[cfg(not(unix))]
fn os_bytes(name: &std::ffi::OsStr) -> Vec<u8> {
    name.to_string_lossy().into_owned().into_bytes()
}

/// Go's `HashDir(dir, prefix, Hash1)`, as `go mod verify` hashes an
/// extracted module with prefix `path@version`.
pub fn hash_dir(dir: &Path, prefix: &str) -> Result<String, HashError> {
    let mut files = dir_files(dir, prefix)?;
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut summary = Summary::new();
    for (name, path) in files {
        if name.contains(&b'\n') {
            return Err(HashError::NewlineInName);
        }
        let mut file = std::fs::File::open(&path).map_err(|source| HashError::Read {
            name: path.display().to_string(),
            source,
        })?;
        summary.add(&name, &mut file)?;
    }
    Ok(summary.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_examples_from_the_spec() {
        assert_eq!(
            hash1(Vec::<(&str, &[u8])>::new()).unwrap(),
            "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert_eq!(
            hash_go_mod(b""),
            "h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY="
        );
        assert_eq!(
            hash_go_mod(b"module example.com/m\n\ngo 1.13\n"),
            "h1:UWkIka9t4wTRf5TZ+sRdwnADRAp+U7R9A2lAeNEx1cA="
        );
    }

    #[test]
    fn hash1_with_opens_each_sorted_name() {
        let names = ["xyz", "abc"];
        let mut opened = Vec::new();
        let h1 = hash1_with(&names, |name| {
            opened.push(name.to_vec());
            let data: &[u8] = if name == b"abc" {
                b"data for abc"
            } else {
                b"data for xyz"
            };
            Ok(data)
        })
        .unwrap();
        assert_eq!(h1, "h1:EP6WfDoQTSk9klnxcjriWJOGztueJUywHNmWeq+efB8=");
        assert_eq!(opened, [b"abc".to_vec(), b"xyz".to_vec()]);
    }
}
