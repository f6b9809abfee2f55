//! The only writer of cache files, with Go's temp names and write order
//! (spec/fetch-protocol.md §8.3, §8.5; modfetch/cache.go `writeDiskCache`,
//! `tempFile`, `rewriteVersionList`; fetch.go `hashZip`).
//!
//! - `.info`/`.mod`: `<name><rand 0..1e9>.tmp`, O_EXCL 0666, write, close,
//!   rename over the final name; removed on failure. After a `.mod`, `list`.
//! - `.ziphash`: `lockedfile.Write` (exclusive lock, truncate, write).
//! - `list`: `lockedfile.Edit`: unchanged → untouched; else truncate to 0,
//!   extend to the new size (zero-filled), write.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::cache::lock;
use crate::module::version;

/// Creates `<dir>/<prefix><rand>.tmp` exclusively (Go's `tempFile`).
pub fn temp_file(dir: &Path, prefix: &str) -> std::io::Result<(File, PathBuf)> {
    let mut last = None;
    for _ in 0..10_000 {
        let name = dir.join(format!(
            "{prefix}{}.tmp",
            rand::random_range(0..1_000_000_000u32)
        ));
        match OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o666)
            .open(&name)
        {
            Ok(f) => return Ok((f, name)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no temp name")))
}

/// `writeDiskCache`: temp file, write, rename; then `list` for a `.mod`.
pub fn write_file(file: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let base = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (mut f, tmp) = temp_file(dir, &base)?;
    let result = f.write_all(data).and_then(|()| {
        drop(f);
        std::fs::rename(&tmp, file)
    });
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if base.ends_with(".mod") {
        // Best effort, as in Go (the error is ignored there).
        let _ = rewrite_version_list(dir);
    }
    Ok(())
}

/// `lockedfile.Write(ziphash, h1, 0666)`.
pub fn write_locked(file: &Path, data: &[u8]) -> std::io::Result<()> {
    let held = lock::lock_exclusive(file)?;
    let f = held.file();
    f.set_len(0)?;
    f.write_all_at(data, 0)?;
    Ok(())
}

/// `rewriteVersionList(dir)` for an `@v` directory.
pub fn rewrite_version_list(dir: &Path) -> std::io::Result<()> {
    let held = lock::lock_exclusive(&dir.join("list"))?;
    let mut list: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(v) = name.strip_suffix(".mod")
            && !v.is_empty()
            && version::canonical_module_version(v) == v
        {
            list.push(v.to_string());
        }
    }
    version::sort(&mut list);
    let mut buf = Vec::new();
    for v in &list {
        buf.extend_from_slice(v.as_bytes());
        buf.push(b'\n');
    }
    let f = held.file();
    if f.metadata()?.len() == buf.len() as u64 {
        let mut old = vec![0u8; buf.len()];
        if f.read_exact_at(&mut old, 0).is_ok() && old == buf {
            return Ok(());
        }
    }
    f.set_len(0)?;
    f.set_len(buf.len() as u64)?;
    if let Err(e) = f.write_all_at(&buf, 0) {
        let _ = f.set_len(0);
        return Err(e);
    }
    Ok(())
}

/// Removes `<dir>/<prefix>*.tmp` leftovers (best effort).
pub fn remove_stale_temps(dir: &Path, prefix: &str) {
    remove_temps_where(dir, prefix, |_| true);
}

/// Like [`remove_stale_temps`], for those last modified at least `age` ago.
pub fn remove_stale_temps_older_than(dir: &Path, prefix: &str, age: std::time::Duration) {
    remove_temps_where(dir, prefix, |entry| {
        entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|e| e >= age))
    });
}

fn remove_temps_where(dir: &Path, prefix: &str, pick: impl Fn(&std::fs::DirEntry) -> bool) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(prefix) && name.ends_with(".tmp") && name != prefix && pick(&entry)
            {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_old_speculative_temps_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let old = tmp.path().join("v1.0.0.spec-zip1.tmp");
        let fresh = tmp.path().join("v1.0.0.spec-zip2.tmp");
        let other = tmp.path().join("v1.0.1.spec-zip3.tmp");
        for p in [&old, &fresh, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        for p in [&old, &other] {
            std::fs::File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_modified(two_hours_ago)
                .unwrap();
        }
        remove_stale_temps_older_than(
            tmp.path(),
            "v1.0.0.spec-zip",
            std::time::Duration::from_secs(3600),
        );
        assert!(!old.exists(), "a crash leftover is removed");
        assert!(fresh.exists(), "a live speculation is kept");
        assert!(other.exists(), "another version's temp is not touched");
    }
}
