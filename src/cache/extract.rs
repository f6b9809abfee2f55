//! Extracting a verified zip into `<escpath>@<escver>/` behind `.partial`,
//! then making directories read-only unless `-modcacherw`
//! (modfetch/fetch.go `unzip`, `makeDirsReadOnly`, `RemoveAll`; spec §8.4-8.5).
//! Blocking: callers run it on `spawn_blocking` while holding `<v>.lock`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::verify::zipcheck;

/// Why extraction failed.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("{0}")]
    Zip(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExtractError + '_ {
    move |source| ExtractError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Go's `RemoveAll` for the module cache: make directories writable, then remove.
pub fn remove_all(dir: &Path) -> std::io::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    make_writable(dir);
    std::fs::remove_dir_all(dir)
}

fn make_writable(dir: &Path) {
    if let Ok(meta) = std::fs::symlink_metadata(dir)
        && meta.is_dir()
    {
        let mode = meta.permissions().mode();
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode | 0o700));
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                make_writable(&e.path());
            }
        }
    }
}

/// Extracts `zipfile` into `dir` as Go's `unzip` does, `partial` marking the
/// work in progress. The caller has checked that the directory is not
/// already complete and holds the version lock.
pub fn extract(
    dir: &Path,
    partial: &Path,
    path: &str,
    version: &str,
    zipfile: &Path,
    modcacherw: bool,
) -> Result<(), ExtractError> {
    let parent = dir.parent().unwrap_or(Path::new("/"));
    // Leftover `<dir>.tmp-*` directories from old Go versions.
    if let (Some(name), Ok(entries)) = (dir.file_name(), std::fs::read_dir(parent)) {
        let prefix = format!("{}.tmp-", name.to_string_lossy());
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = remove_all(&e.path());
            }
        }
    }
    if dir.exists() {
        remove_all(dir).map_err(io(dir))?;
    }
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    std::fs::write(partial, b"").map_err(io(partial))?;
    if let Err(e) = zipcheck::unzip(dir, path, version, zipfile) {
        if remove_all(dir).is_ok() {
            let _ = std::fs::remove_file(partial);
        }
        return Err(ExtractError::Zip(go_text(&e)));
    }
    std::fs::remove_file(partial).map_err(io(partial))?;
    if !modcacherw {
        make_dirs_read_only(dir);
    }
    Ok(())
}

/// Go's text of an `Unzip` error: `unzip <zipfile>: <cause>` (the
/// wrapper's `Display` leaves the cause to the error chain).
fn go_text(e: &zipcheck::ZipError) -> String {
    match e {
        zipcheck::ZipError::Unzip { zip, source } => {
            format!("unzip {}: {}", zip.display(), go_text(source))
        }
        e => e.to_string(),
    }
}

/// `makeDirsReadOnly`: children before parents, `mode &^ 0222`.
fn make_dirs_read_only(dir: &Path) {
    fn walk(dir: &Path, out: &mut Vec<(std::path::PathBuf, u32)>) {
        if let Ok(meta) = std::fs::symlink_metadata(dir)
            && meta.is_dir()
        {
            let mode = meta.permissions().mode();
            if mode & 0o222 != 0 {
                out.push((dir.to_path_buf(), mode));
            }
            if let Ok(entries) = std::fs::read_dir(dir) {
                let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
                entries.sort();
                for e in entries {
                    walk(&e, out);
                }
            }
        }
    }
    let mut dirs = Vec::new();
    walk(dir, &mut dirs);
    for (path, mode) in dirs.into_iter().rev() {
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode & !0o222));
    }
}
