//! The warm-cache probe: is `path@version` already complete in GOMODCACHE,
//! as the go command would find it without the network? One synchronous
//! function shared by `download`'s and the pre-warm's fast paths and by the
//! fetcher's per-module check, so that all three agree on "complete".
//!
//! What Go looks at (cmd/go/internal/modfetch): `readDiskStat` (the `.info`
//! parses and names this version), `readDiskGoMod` (the `.mod` is not the
//! `//vgo 0.0.` placeholder), `DownloadDir` (the extracted directory exists,
//! `.partial` does not, `.ziphash` does) and `checkMod` (`.ziphash` read
//! under a shared lock, `lockedfile.Read`). Anything missing or unreadable
//! is a miss: the full path decides, and reports.
//!
//! A warm run is nothing but these probes, so they are written for few
//! system calls (a small file is open, read, read, close: no size probe, no
//! seek) and, for many modules, spread over the machine's cores.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::cache::layout::Layout;
use crate::cache::lock;
use crate::proxy::protocol::{self, RevInfo};

/// A complete cache entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// `<v>.info` and what it says.
    pub info_path: PathBuf,
    pub info: RevInfo,
    /// `<v>.mod` and its bytes.
    pub go_mod_path: PathBuf,
    pub go_mod: Vec<u8>,
    /// `<v>.zip` and its size.
    pub zip_path: PathBuf,
    pub zip_len: u64,
    /// The zip's `h1:`, from `<v>.ziphash`.
    pub sum: String,
    /// The extracted tree, `<path>@<v>/`.
    pub dir: PathBuf,
}

/// `path@version` if it is complete in the cache, else `None`.
pub fn probe(layout: &Layout, path: &str, version: &str) -> Option<Entry> {
    probe_knowing(layout, path, version, None)
}

/// [`probe`], with the `.mod` bytes already read from this cache (by the
/// pre-warm's graph walk) when `go_mod` is given.
pub fn probe_knowing(
    layout: &Layout,
    path: &str,
    version: &str,
    go_mod: Option<&[u8]>,
) -> Option<Entry> {
    let paths = layout.version_paths(path, version).ok()?;
    let info_path = paths.file("info");
    let info = protocol::parse_info(&read_small(&info_path).ok()?).ok()?;
    if info.version != version {
        return None;
    }
    let go_mod_path = paths.file("mod");
    let go_mod = match go_mod {
        Some(known) => known.to_vec(),
        None => read_small(&go_mod_path).ok()?,
    };
    if go_mod.starts_with(b"//vgo 0.0.") {
        return None;
    }
    let zip_path = paths.file("zip");
    let zip_len = std::fs::metadata(&zip_path).ok()?.len();
    let sum = read_ziphash(&paths.file("ziphash"))?;
    let dir = paths.dir.clone();
    if !std::fs::metadata(&dir).ok()?.is_dir()
        || std::fs::symlink_metadata(paths.file("partial")).is_ok()
    {
        return None;
    }
    Some(Entry {
        info_path,
        info,
        go_mod_path,
        go_mod,
        zip_path,
        zip_len,
        sum,
        dir,
    })
}

/// [`probe`] for many modules, in order, on up to `available_parallelism`
/// threads (a warm run of a hundred modules is a few milliseconds of system
/// calls; two cores halve it).
pub fn probe_all(layout: &Layout, modules: &[(&str, &str)]) -> Vec<Option<Entry>> {
    let known: Vec<Known> = modules.iter().map(|&(p, v)| (p, v, None)).collect();
    probe_all_knowing(layout, &known)
}

/// A module to probe, with its `.mod` bytes if already read.
pub type Known<'a> = (&'a str, &'a str, Option<&'a [u8]>);

/// [`probe_all`] with [`probe_knowing`].
pub fn probe_all_knowing(layout: &Layout, modules: &[Known]) -> Vec<Option<Entry>> {
    const PER_THREAD_MIN: usize = 16;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(modules.len() / PER_THREAD_MIN)
        .max(1);
    if threads == 1 {
        return modules
            .iter()
            .map(|&(p, v, m)| probe_knowing(layout, p, v, m))
            .collect();
    }
    let chunk = modules.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = modules
            .chunks(chunk)
            .skip(1)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|&(p, v, m)| probe_knowing(layout, p, v, m))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        // This thread takes the first chunk rather than waiting idle.
        let mut out: Vec<Option<Entry>> = modules[..chunk.min(modules.len())]
            .iter()
            .map(|&(p, v, m)| probe_knowing(layout, p, v, m))
            .collect();
        for h in handles {
            match h.join() {
                Ok(part) => out.extend(part),
                // A probe does not panic; if one did, report misses.
                Err(_) => out.extend(std::iter::repeat_n(None, chunk)),
            }
        }
        out.truncate(modules.len());
        out
    })
}

/// `.ziphash` under a shared lock (`lockedfile.Read`), trimmed; `None` when
/// missing, unreadable or empty.
fn read_ziphash(path: &Path) -> Option<String> {
    let data = lock::read_shared(path).ok()?;
    let sum = String::from_utf8_lossy(&data).trim().to_string();
    (!sum.is_empty()).then_some(sum)
}

/// A small file's bytes: open, read until EOF, close.
pub(crate) fn read_small(path: &Path) -> std::io::Result<Vec<u8>> {
    read_to_end(File::open(path)?)
}

/// `read_to_end` without the size probe (`statx` + `lseek`) that std's
/// `File` specialisation makes: cache metadata files are a few hundred
/// bytes, and a warm run reads hundreds of them.
pub(crate) fn read_to_end(mut file: File) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Ok(out),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, data: &[u8]) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
    }

    /// A complete entry for `example.com/m@v1.0.0`.
    fn complete(layout: &Layout) {
        let f = |s: &str| layout.file("example.com/m", "v1.0.0", s).unwrap();
        write(
            &f("info"),
            br#"{"Version":"v1.0.0","Time":"2023-01-01T00:00:00Z"}"#,
        );
        write(&f("mod"), b"module example.com/m\n");
        write(&f("zip"), b"PK-not-read");
        write(&f("ziphash"), b"h1:abc=\n");
        std::fs::create_dir_all(layout.module_dir("example.com/m", "v1.0.0").unwrap()).unwrap();
    }

    #[test]
    fn complete_entry_and_each_way_to_miss() {
        let tmp = tempfile::tempdir().unwrap();
        let layout = Layout::new(tmp.path());
        complete(&layout);
        let hit = probe(&layout, "example.com/m", "v1.0.0").expect("complete");
        assert_eq!(hit.sum, "h1:abc=");
        assert_eq!(hit.zip_len, 11);
        assert_eq!(hit.go_mod, b"module example.com/m\n");
        assert_eq!(hit.info.version, "v1.0.0");

        let f = |s: &str| layout.file("example.com/m", "v1.0.0", s).unwrap();
        type Break = fn(&Layout, &dyn Fn(&str) -> PathBuf);
        let breaks: &[(&str, Break)] = &[
            ("partial left by an interrupted extraction", |_, f| {
                write(&f("partial"), b"")
            }),
            ("no ziphash", |_, f| {
                std::fs::remove_file(f("ziphash")).unwrap()
            }),
            ("empty ziphash", |_, f| write(&f("ziphash"), b"\n")),
            ("no zip", |_, f| std::fs::remove_file(f("zip")).unwrap()),
            ("placeholder go.mod", |_, f| {
                write(&f("mod"), b"//vgo 0.0.4\n\nmodule example.com/m\n")
            }),
            ("info of another version", |_, f| {
                write(&f("info"), br#"{"Version":"v1.0.1"}"#)
            }),
            ("no extracted dir", |l, _| {
                std::fs::remove_dir(l.module_dir("example.com/m", "v1.0.0").unwrap()).unwrap()
            }),
        ];
        for (what, brk) in breaks {
            complete(&layout);
            let _ = std::fs::remove_file(f("partial"));
            assert!(probe(&layout, "example.com/m", "v1.0.0").is_some());
            brk(&layout, &f);
            assert!(
                probe(&layout, "example.com/m", "v1.0.0").is_none(),
                "{what}: must be a miss"
            );
        }
    }

    #[test]
    fn probe_all_keeps_order_across_threads() {
        let tmp = tempfile::tempdir().unwrap();
        let layout = Layout::new(tmp.path());
        complete(&layout);
        // 40 modules, every third complete, so the threads' chunks differ.
        let mods: Vec<(&str, &str)> = (0..40)
            .map(|i| {
                if i % 3 == 0 {
                    ("example.com/m", "v1.0.0")
                } else {
                    ("example.com/missing", "v1.0.0")
                }
            })
            .collect();
        let got = probe_all(&layout, &mods);
        assert_eq!(got.len(), 40);
        for (i, g) in got.iter().enumerate() {
            assert_eq!(g.is_some(), i % 3 == 0, "module {i}");
        }
    }
}
