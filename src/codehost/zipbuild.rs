//! Building module zips: x/mod zip/zip.go `Create` and `CreateFromDir`
//! (spec/integrity.md §4.5), over the rules in verify/zipcheck.rs (vendor and
//! nested-module exclusion including the Go 1.24 vendor change,
//! `.hg_archival.txt`, VCS directories, size limits).
//!
//! The writer follows Go's `archive/zip.Writer` layout for `zw.Create(name)`
//! byte for byte: deflate with Go's compress/flate at level 5 (our port in
//! codehost/goflate.rs), fed in the chunks Go's `io.Copy` from an
//! `io.LimitedReader` gives it, a data descriptor after each file, no
//! directory entries, zero timestamps, the UTF-8 flag as Go's `detectUTF8`
//! sets it, zip64 records only when sizes or offsets need them. It streams
//! to any `Write` (no `Seek`), as Go's does. So the zips equal the go
//! command's, not only their `h1:`.

use std::io::{self, Read, Write};
use std::path::Path;

use super::goflate;
use crate::verify::zipcheck::{self, DataFile, DirFile, ModuleFile, ZipError};
use crate::verify::zipread::ZipReader;

const FILE_HEADER_SIGNATURE: u32 = 0x0403_4b50;
const DIRECTORY_HEADER_SIGNATURE: u32 = 0x0201_4b50;
const DIRECTORY_END_SIGNATURE: u32 = 0x0605_4b50;
const DIRECTORY64_LOC_SIGNATURE: u32 = 0x0706_4b50;
const DIRECTORY64_END_SIGNATURE: u32 = 0x0606_4b50;
const DATA_DESCRIPTOR_SIGNATURE: u32 = 0x0807_4b50;
const ZIP_VERSION_20: u16 = 20;
const ZIP_VERSION_45: u16 = 45;
const UINT16_MAX: u64 = 0xffff;
const UINT32_MAX: u64 = 0xffff_ffff;

/// How an entry's data is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Store,
    Deflate,
}

struct CentralEntry {
    name: Vec<u8>,
    creator_version: u16,
    external_attrs: u32,
    flags: u16,
    method: u16,
    crc32: u32,
    compressed: u64,
    uncompressed: u64,
    offset: u64,
}

/// Counts bytes written through it.
struct Counting<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Computes CRC-32 and counts bytes of what is copied through it.
struct Crc32Writer<W> {
    inner: W,
    crc: flate2::Crc,
}

impl<W: Write> Write for Crc32Writer<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A streaming zip writer with Go's layout. Any byte string may be a name
/// (tests use it to build deliberately bad zips: duplicates, traversal).
pub struct ZipWriter<W: Write> {
    out: Counting<W>,
    entries: Vec<CentralEntry>,
}

impl<W: Write> ZipWriter<W> {
    pub fn new(inner: W) -> Self {
        Self {
            out: Counting { inner, written: 0 },
            entries: Vec::new(),
        }
    }

    /// The data-descriptor flag, and the UTF-8 flag as Go's `detectUTF8`
    /// decides: a valid UTF-8 name that has a character outside 0x20-0x7d
    /// or a backslash (`~` and `\` differ in Shift-JIS and EUC-KR).
    fn flags(name: &[u8]) -> u16 {
        let mut flags: u16 = 0x8;
        if let Ok(name) = std::str::from_utf8(name)
            && name
                .chars()
                .any(|c| (c as u32) < 0x20 || (c as u32) > 0x7d || c == '\\')
        {
            flags |= 0x800;
        }
        flags
    }

    fn method_id(method: Method) -> u16 {
        match method {
            Method::Store => 0,
            Method::Deflate => 8,
        }
    }

    fn write_local_header(&mut self, name: &[u8], method: Method) -> io::Result<()> {
        let name_len = u16::try_from(name.len()).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidInput, "zip: FileHeader.Name too long")
        })?;
        let mut header = Vec::with_capacity(30 + name.len());
        header.extend_from_slice(&FILE_HEADER_SIGNATURE.to_le_bytes());
        header.extend_from_slice(&ZIP_VERSION_20.to_le_bytes());
        header.extend_from_slice(&Self::flags(name).to_le_bytes());
        header.extend_from_slice(&Self::method_id(method).to_le_bytes());
        header.extend_from_slice(&[0u8; 4]); // time, date
        header.extend_from_slice(&[0u8; 12]); // crc and sizes: in the data descriptor
        header.extend_from_slice(&name_len.to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes());
        header.extend_from_slice(name);
        self.out.write_all(&header)
    }

    fn finish_entry(
        &mut self,
        name: &[u8],
        method: Method,
        offset: u64,
        crc32: u32,
        compressed: u64,
        uncompressed: u64,
    ) -> io::Result<()> {
        let zip64 = compressed >= UINT32_MAX || uncompressed >= UINT32_MAX;
        let mut descriptor = Vec::with_capacity(24);
        descriptor.extend_from_slice(&DATA_DESCRIPTOR_SIGNATURE.to_le_bytes());
        descriptor.extend_from_slice(&crc32.to_le_bytes());
        if zip64 {
            descriptor.extend_from_slice(&compressed.to_le_bytes());
            descriptor.extend_from_slice(&uncompressed.to_le_bytes());
        } else {
            descriptor.extend_from_slice(&(compressed as u32).to_le_bytes());
            descriptor.extend_from_slice(&(uncompressed as u32).to_le_bytes());
        }
        self.out.write_all(&descriptor)?;
        self.entries.push(CentralEntry {
            name: name.to_vec(),
            creator_version: ZIP_VERSION_20,
            external_attrs: 0,
            flags: Self::flags(name),
            method: Self::method_id(method),
            crc32,
            compressed,
            uncompressed,
            offset,
        });
        Ok(())
    }

    /// Writes one entry whose content is read from `content` until EOF or
    /// until `limit` bytes were read; returns the number of bytes read.
    pub fn add(
        &mut self,
        name: &[u8],
        method: Method,
        content: &mut dyn Read,
        limit: Option<u64>,
    ) -> io::Result<u64> {
        let offset = self.out.written;
        self.write_local_header(name, method)?;
        let start = self.out.written;
        let mut limited: Box<dyn Read> = match limit {
            Some(limit) => Box::new(content.take(limit)),
            None => Box::new(content),
        };
        let (crc32, uncompressed) = match method {
            Method::Store => {
                let mut sink = Crc32Writer {
                    inner: &mut self.out,
                    crc: flate2::Crc::new(),
                };
                let n = go_copy(&mut limited, &mut sink, limit)?;
                (sink.crc.sum(), n)
            }
            Method::Deflate => {
                let encoder = goflate::Writer::new(&mut self.out, goflate::ARCHIVE_ZIP_LEVEL)?;
                let mut sink = Crc32Writer {
                    inner: encoder,
                    crc: flate2::Crc::new(),
                };
                let n = go_copy(&mut limited, &mut sink, limit)?;
                let crc = sink.crc.sum();
                sink.inner.finish()?;
                (crc, n)
            }
        };
        let compressed = self.out.written - start;
        self.finish_entry(name, method, offset, crc32, compressed, uncompressed)?;
        Ok(uncompressed)
    }

    /// Writes one entry from already compressed data (raw deflate or stored
    /// bytes) whose CRC-32 and uncompressed size the caller knows: copying an
    /// entry between zips without recompressing it.
    pub fn add_raw(
        &mut self,
        name: &[u8],
        method: Method,
        compressed: &mut dyn Read,
        crc32: u32,
        uncompressed: u64,
    ) -> io::Result<()> {
        let offset = self.out.written;
        self.write_local_header(name, method)?;
        let start = self.out.written;
        io::copy(compressed, &mut self.out)?;
        let compressed = self.out.written - start;
        self.finish_entry(name, method, offset, crc32, compressed, uncompressed)
    }

    /// Marks the last entry as made on Unix with file mode `mode` (for
    /// example `0o120777` for a symlink). Module zips never need this; tests
    /// use it to check that modes are ignored as Go ignores them.
    pub fn set_unix_mode_of_last(&mut self, mode: u32) {
        if let Some(last) = self.entries.last_mut() {
            last.creator_version = (3 << 8) | ZIP_VERSION_20;
            last.external_attrs = mode << 16;
        }
    }

    /// Writes the central directory and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        let start = self.out.written;
        for e in &self.entries {
            let zip64 = e.compressed >= UINT32_MAX || e.uncompressed >= UINT32_MAX;
            let big_offset = e.offset >= UINT32_MAX;
            let mut extra = Vec::new();
            if zip64 || big_offset {
                extra.extend_from_slice(&1u16.to_le_bytes());
                extra.extend_from_slice(&24u16.to_le_bytes());
                extra.extend_from_slice(&e.uncompressed.to_le_bytes());
                extra.extend_from_slice(&e.compressed.to_le_bytes());
                extra.extend_from_slice(&e.offset.to_le_bytes());
            }
            let reader_version = if zip64 || big_offset {
                ZIP_VERSION_45
            } else {
                ZIP_VERSION_20
            };
            let mut h = Vec::with_capacity(46 + e.name.len() + extra.len());
            h.extend_from_slice(&DIRECTORY_HEADER_SIGNATURE.to_le_bytes());
            h.extend_from_slice(&e.creator_version.to_le_bytes());
            h.extend_from_slice(&reader_version.to_le_bytes());
            h.extend_from_slice(&e.flags.to_le_bytes());
            h.extend_from_slice(&e.method.to_le_bytes());
            h.extend_from_slice(&[0u8; 4]);
            h.extend_from_slice(&e.crc32.to_le_bytes());
            if zip64 || big_offset {
                h.extend_from_slice(&u32::MAX.to_le_bytes());
                h.extend_from_slice(&u32::MAX.to_le_bytes());
            } else {
                h.extend_from_slice(&(e.compressed as u32).to_le_bytes());
                h.extend_from_slice(&(e.uncompressed as u32).to_le_bytes());
            }
            h.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            h.extend_from_slice(&(extra.len() as u16).to_le_bytes());
            h.extend_from_slice(&[0u8; 6]); // comment len, disk, internal attrs
            h.extend_from_slice(&e.external_attrs.to_le_bytes());
            let offset = if zip64 || big_offset {
                u32::MAX
            } else {
                e.offset as u32
            };
            h.extend_from_slice(&offset.to_le_bytes());
            h.extend_from_slice(&e.name);
            h.extend_from_slice(&extra);
            self.out.write_all(&h)?;
        }
        let end = self.out.written;
        let mut records = self.entries.len() as u64;
        let mut size = end - start;
        let mut offset = start;
        if records >= UINT16_MAX || size >= UINT32_MAX || offset >= UINT32_MAX {
            let mut z = Vec::with_capacity(76);
            z.extend_from_slice(&DIRECTORY64_END_SIGNATURE.to_le_bytes());
            z.extend_from_slice(&44u64.to_le_bytes());
            z.extend_from_slice(&ZIP_VERSION_45.to_le_bytes());
            z.extend_from_slice(&ZIP_VERSION_45.to_le_bytes());
            z.extend_from_slice(&0u32.to_le_bytes());
            z.extend_from_slice(&0u32.to_le_bytes());
            z.extend_from_slice(&records.to_le_bytes());
            z.extend_from_slice(&records.to_le_bytes());
            z.extend_from_slice(&size.to_le_bytes());
            z.extend_from_slice(&offset.to_le_bytes());
            z.extend_from_slice(&DIRECTORY64_LOC_SIGNATURE.to_le_bytes());
            z.extend_from_slice(&0u32.to_le_bytes());
            z.extend_from_slice(&end.to_le_bytes());
            z.extend_from_slice(&1u32.to_le_bytes());
            self.out.write_all(&z)?;
            records = UINT16_MAX;
            size = UINT32_MAX;
            offset = UINT32_MAX;
        }
        let mut e = Vec::with_capacity(22);
        e.extend_from_slice(&DIRECTORY_END_SIGNATURE.to_le_bytes());
        e.extend_from_slice(&[0u8; 4]);
        e.extend_from_slice(&(records as u16).to_le_bytes());
        e.extend_from_slice(&(records as u16).to_le_bytes());
        e.extend_from_slice(&(size as u32).to_le_bytes());
        e.extend_from_slice(&(offset as u32).to_le_bytes());
        e.extend_from_slice(&0u16.to_le_bytes());
        self.out.write_all(&e)?;
        self.out.flush()?;
        Ok(self.out.inner)
    }
}

/// Go's `io.Copy(w, &io.LimitedReader{R: r, N: limit})`: a 32 KiB buffer
/// (smaller when the limit is), each read written as it comes, so the
/// compressor sees the chunks Go's does.
fn go_copy(src: &mut dyn Read, dst: &mut dyn Write, limit: Option<u64>) -> io::Result<u64> {
    let size = match limit {
        Some(limit) if limit < 32 * 1024 => limit.max(1) as usize,
        _ => 32 * 1024,
    };
    let mut buf = vec![0u8; size];
    let mut total = 0u64;
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        dst.write_all(&buf[..n])?;
        total += n as u64;
    }
}

fn write_error(source: io::Error) -> ZipError {
    ZipError::Read(crate::verify::zipread::ZipReadError::Io(source))
}

/// Go's `Create(w, m, files)`: checks the module and the files, then writes
/// the valid files, in input order, as `path@version/name` entries. Errors
/// are wrapped `create zip: …`.
pub fn create<W: Write, F: ModuleFile>(
    writer: W,
    module_path: &str,
    version: &str,
    files: &[F],
) -> Result<(), ZipError> {
    create_inner(writer, module_path, version, files).map_err(|source| ZipError::Create {
        dir: None,
        source: Box::new(source),
    })
}

fn create_inner<W: Write, F: ModuleFile>(
    writer: W,
    module_path: &str,
    version: &str,
    files: &[F],
) -> Result<(), ZipError> {
    zipcheck::check_module(module_path, version)?;
    let (cf, valid) = zipcheck::check_files_detailed(files);
    cf.err()?;
    let prefix = format!("{module_path}@{version}/");
    let mut zip = ZipWriter::new(writer);
    for (index, size) in valid {
        let Some(f) = files.get(index) else { continue };
        let path = f.path();
        let mut content = f.open().map_err(write_error)?;
        let name = format!("{prefix}{path}");
        let read = zip
            .add(
                name.as_bytes(),
                Method::Deflate,
                &mut content,
                Some(size.saturating_add(1)),
            )
            .map_err(write_error)?;
        if read > size {
            return Err(ZipError::FileLargerThanDeclared {
                path: path.to_owned(),
            });
        }
    }
    zip.finish().map_err(write_error)?;
    Ok(())
}

/// Go's `CreateFromDir(w, m, dir)`: walks `dir` (skipping VCS directories,
/// nested modules, vendored packages and irregular files) and calls
/// [`create`].
pub fn create_from_dir<W: Write>(
    writer: W,
    module_path: &str,
    version: &str,
    dir: &Path,
) -> Result<(), ZipError> {
    let (files, _omitted): (Vec<DirFile>, _) =
        zipcheck::list_files_in_dir(dir).map_err(|source| ZipError::CreateFromDir {
            dir: dir.to_path_buf(),
            source: Box::new(source),
        })?;
    create_inner(writer, module_path, version, &files).map_err(|source| ZipError::Create {
        dir: Some(dir.to_path_buf()),
        source: Box::new(source),
    })
}

/// Go's `CreateFromVCS(w, m, repoRoot, revision, subdir)` for git: the files
/// `git archive` gives for `revision` (so ignored files are absent), limited
/// to `subdir`, plus the repository root's LICENSE when `subdir` has none,
/// written with [`create`]. `repo_root` must be a work tree's root.
pub fn create_from_vcs<W: Write>(
    writer: W,
    module_path: &str,
    version: &str,
    repo_root: &Path,
    revision: &str,
    subdir: &str,
) -> Result<(), ZipError> {
    let wrap = |source: ZipError| match source {
        ZipError::Create { source, .. } => ZipError::Create {
            dir: Some(repo_root.to_path_buf()),
            source,
        },
        other => ZipError::CreateFromVcs {
            repo_root: repo_root.to_path_buf(),
            source: Box::new(other),
        },
    };
    if !is_git_repo(repo_root) {
        return Err(wrap(ZipError::UnrecognizedVcs {
            repo_root: repo_root.to_path_buf(),
        }));
    }
    let files = files_in_git_repo(repo_root, revision, subdir).map_err(wrap)?;
    create(writer, module_path, version, &files).map_err(wrap)
}

fn git(repo_root: &Path, args: &[&str]) -> io::Result<std::process::Output> {
    std::process::Command::new("git")
        .args(args)
        .current_dir(repo_root)
        .env("PWD", repo_root)
        .output()
}

/// Go's `isGitRepo`: `git rev-parse --git-dir` names `repo_root/.git`.
fn is_git_repo(repo_root: &Path) -> bool {
    let Ok(out) = git(repo_root, &["rev-parse", "--git-dir"]) else {
        return false;
    };
    if !out.status.success() {
        return false;
    }
    let git_dir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let git_dir = Path::new(&git_dir);
    let git_dir = if git_dir.is_absolute() {
        git_dir.to_path_buf()
    } else {
        repo_root.join(git_dir)
    };
    git_dir == repo_root.join(".git")
}

/// Go's `filesInGitRepo`.
fn files_in_git_repo(
    repo_root: &Path,
    revision: &str,
    subdir: &str,
) -> Result<Vec<DataFile>, ZipError> {
    let mut args = vec![
        "-c",
        "core.autocrlf=input",
        "-c",
        "core.eol=lf",
        "archive",
        "--format=zip",
        revision,
    ];
    if !subdir.is_empty() {
        args.push(subdir);
    }
    let out = git(repo_root, &args).map_err(|source| ZipError::Io {
        path: repo_root.to_path_buf(),
        source,
    })?;
    if !out.status.success() {
        return Err(ZipError::GitArchive {
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim_end().to_owned(),
        });
    }
    let size = out.stdout.len() as u64;
    let mut zip = ZipReader::new(io::Cursor::new(out.stdout), size)?;
    let mut files = Vec::new();
    let mut have_license = false;
    for index in 0..zip.entries().len() {
        let name = zip.entries()[index].name.clone();
        let Some(rest) = name.strip_prefix(subdir.as_bytes()) else {
            continue;
        };
        if name.ends_with(b"/") || rest.is_empty() {
            continue;
        }
        let rest = rest.strip_prefix(b"/").unwrap_or(rest);
        let path = String::from_utf8_lossy(rest).into_owned();
        let mut data = Vec::new();
        zip.open(index)?
            .read_to_end(&mut data)
            .map_err(|source| ZipError::Io {
                path: repo_root.join(&path),
                source,
            })?;
        have_license |= path == "LICENSE";
        files.push(DataFile { path, data });
    }
    if !have_license && !subdir.is_empty() {
        let blob = format!("{revision}:LICENSE");
        if let Ok(out) = git(repo_root, &["cat-file", "blob", &blob])
            && out.status.success()
        {
            files.push(DataFile {
                path: "LICENSE".to_owned(),
                data: out.stdout,
            });
        }
    }
    Ok(files)
}
