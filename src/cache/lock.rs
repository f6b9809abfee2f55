//! Go-compatible lock files (cmd/go/internal/lockedfile on Linux: `flock`
//! on an open descriptor; lock files created 0666 and never deleted). The
//! only code that takes file locks. Locks are blocking calls: callers run
//! them on `spawn_blocking`.
//!
//! `std::fs::File::lock*` is flock(2) on Linux (stable since Rust 1.89, newer
//! than the crate's declared MSRV; the toolchain in use has it).
#![allow(
    clippy::incompatible_msrv,
    reason = "File::lock is flock(2), stable in the toolchain in use"
)]

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// A held lock; released when dropped (closing the descriptor).
#[derive(Debug)]
pub struct FileLock {
    file: File,
}

impl FileLock {
    /// The locked file (for `lockedfile.Edit`-style read-modify-write).
    pub fn file(&self) -> &File {
        &self.file
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

fn open(path: &Path, write: bool) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(write)
        .create(write)
        .mode(0o666)
        .open(path)
}

/// `lockedfile.MutexAt(path).Lock()`: exclusive lock on `path`, created if
/// missing. Blocks.
pub fn lock_exclusive(path: &Path) -> std::io::Result<FileLock> {
    let file = open(path, true)?;
    file.lock()?;
    Ok(FileLock { file })
}

/// Like [`lock_exclusive`] but returns `None` instead of blocking.
pub fn try_lock_exclusive(path: &Path) -> std::io::Result<Option<FileLock>> {
    let file = open(path, true)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(FileLock { file })),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// `lockedfile.Read`: the contents of `path` under a shared lock.
pub fn read_shared(path: &Path) -> std::io::Result<Vec<u8>> {
    let file = open(path, false)?;
    file.lock_shared()?;
    // Closing the descriptor releases the lock.
    super::warm::read_to_end(file)
}
