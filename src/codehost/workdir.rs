//! VCS work directories under `GOMODCACHE/cache/vcs/`, shared with the go
//! command (modfetch/codehost/codehost.go: `WorkDir`; spec/fetch-protocol.md
//! §9.7): `<sha256 hex of "type:url">`, its `.info` (the key, no newline) and
//! its `.lock`, locked as Go's `lockedfile.Mutex` does (flock on Linux) so a
//! running `go` and gomodfetch can use one directory.
//!
//! Must not: run VCS commands (git.rs does).

use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A failure to prepare a work directory.
#[derive(Debug, thiserror::Error)]
pub enum WorkDirError {
    #[error("neither GOPATH nor GOMODCACHE are set")]
    NoCache,
    #[error("codehost.WorkDir: can't find or create lock file: {0}")]
    Lock(#[source] io::Error),
    #[error("{path} exists with wrong content (have {have:?} want {want:?})", path = .path.display())]
    WrongInfo {
        path: PathBuf,
        have: String,
        want: String,
    },
    #[error("{path}: {source}", path = .path.display())]
    Io { path: PathBuf, source: io::Error },
}

/// The work directory and lock file for a repository of type `typ`
/// (`git3`, `vcs1.hg`, ...) at `name` (the remote URL).
pub fn work_dir_path(modcache: &Path, typ: &str, name: &str) -> (PathBuf, PathBuf) {
    let key = format!("{typ}:{name}");
    let hash = hex::encode(Sha256::digest(key.as_bytes()));
    let dir = modcache.join("cache/vcs").join(hash);
    let mut lock = dir.clone().into_os_string();
    lock.push(".lock");
    (dir, PathBuf::from(lock))
}

/// An exclusive lock on a file, held until dropped (Go's `lockedfile.Mutex`),
/// taken through the cache's locking module like every other lock.
#[derive(Debug)]
pub struct FileLock {
    _lock: crate::cache::lock::FileLock,
}

impl FileLock {
    /// Blocks until `path` (created 0666 if missing) is exclusively locked.
    pub fn lock(path: &Path) -> io::Result<FileLock> {
        crate::cache::lock::lock_exclusive(path).map(|l| FileLock { _lock: l })
    }

    /// [`FileLock::lock`] off the async threads.
    pub async fn lock_async(path: PathBuf) -> io::Result<FileLock> {
        tokio::task::spawn_blocking(move || FileLock::lock(&path))
            .await
            .map_err(io::Error::other)?
    }
}

/// Creates (or reuses) the work directory for `typ:name`, exactly as Go's
/// `WorkDir` does: under the lock, reuse when both `.info` and the directory
/// exist (and the `.info` holds the key), else start from scratch.
/// Returns the directory and its lock file. Blocking.
pub fn work_dir(
    modcache: &Path,
    typ: &str,
    name: &str,
    trace: Option<&super::run::Trace>,
) -> Result<(PathBuf, PathBuf), WorkDirError> {
    let x = |line: String| {
        if let Some(t) = trace {
            t(&line);
        }
    };
    if modcache.as_os_str().is_empty() {
        return Err(WorkDirError::NoCache);
    }
    let key = format!("{typ}:{name}");
    let (dir, lock) = work_dir_path(modcache, typ, name);
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WorkDirError::Io { path, source }
    };
    let parent = dir.parent().unwrap_or(modcache);
    x(format!("mkdir -p {} # {typ} {name}", parent.display()));
    std::fs::create_dir_all(parent).map_err(io_err(parent))?;
    x(format!("# lock {}", lock.display()));
    let _guard = FileLock::lock(&lock).map_err(WorkDirError::Lock)?;

    let mut info_path = dir.clone().into_os_string();
    info_path.push(".info");
    let info_path = PathBuf::from(info_path);
    let data = std::fs::read(&info_path);
    let is_dir = std::fs::metadata(&dir).map(|m| m.is_dir()).unwrap_or(false);
    if let (Ok(data), true) = (&data, is_dir) {
        let have = String::from_utf8_lossy(data);
        let have = have.strip_suffix('\n').unwrap_or(&have);
        if have != key {
            return Err(WorkDirError::WrongInfo {
                path: info_path,
                have: have.to_owned(),
                want: key,
            });
        }
        x(format!("# {} for {typ} {name}", dir.display()));
        return Ok((dir, lock));
    }
    // Info file or directory missing: start from scratch.
    x(format!("mkdir -p {} # {typ} {name}", dir.display()));
    let _ = remove_dir_all_writable(&dir);
    std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    if let Err(source) = write_file(&info_path, key.as_bytes()) {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(WorkDirError::Io {
            path: info_path,
            source,
        });
    }
    Ok((dir, lock))
}

fn write_file(path: &Path, data: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    f.write_all(data)
}

/// `os.RemoveAll`; work directories are never read-only, but a stale one
/// might be, so make directories writable first.
fn remove_dir_all_writable(dir: &Path) -> io::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    std::fs::remove_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_is_sha256_of_type_and_url() {
        // Observed with go 1.26 (spec §9.7): git3:http://vcs.example.com/git/repo.git.
        let (dir, lock) = work_dir_path(
            Path::new("/m"),
            "git3",
            "http://vcs.example.com/git/repo.git",
        );
        let name = dir.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(
            name.starts_with("e52252c6") && name.ends_with("be2"),
            "{name}"
        );
        assert_eq!(lock, PathBuf::from(format!("/m/cache/vcs/{name}.lock")));
    }

    #[test]
    fn creates_then_reuses_then_rejects_wrong_info() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, _) = work_dir(tmp.path(), "git3", "https://example.com/r", None).unwrap();
        let info = std::fs::read_to_string(format!("{}.info", dir.display())).unwrap();
        assert_eq!(info, "git3:https://example.com/r");
        std::fs::write(dir.join("marker"), "x").unwrap();
        let (again, _) = work_dir(tmp.path(), "git3", "https://example.com/r", None).unwrap();
        assert!(again.join("marker").exists(), "reused");
        std::fs::write(format!("{}.info", dir.display()), "git3:other").unwrap();
        let err = work_dir(tmp.path(), "git3", "https://example.com/r", None).unwrap_err();
        assert!(
            err.to_string().contains("exists with wrong content"),
            "{err}"
        );
        // Missing .info: the directory is recreated from scratch.
        std::fs::remove_file(format!("{}.info", dir.display())).unwrap();
        let (fresh, _) = work_dir(tmp.path(), "git3", "https://example.com/r", None).unwrap();
        assert!(!fresh.join("marker").exists());
    }

    #[test]
    fn empty_cache_is_an_error() {
        assert!(matches!(
            work_dir(Path::new(""), "git3", "x", None),
            Err(WorkDirError::NoCache)
        ));
    }
}
