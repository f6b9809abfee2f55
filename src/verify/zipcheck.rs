//! Module zip rules and safe extraction: x/mod zip/zip.go `CheckZip`,
//! `CheckFiles`, `CheckDir`, `Unzip`, the size limits, the vendor rule and the
//! case-fold collision checker (spec/integrity.md §4; the files extraction
//! leaves behind are spec/fetch-protocol.md §8.2/§8.4).
//!
//! Every rule and message is Go's, in Go's order, because the go command
//! rejects a cache that a looser checker would accept. `unzip` checks the
//! whole zip before it creates anything, never writes outside its target
//! (names are clean, relative and pass `CheckFilePath`; files are created
//! with `create_new`, so nothing is written through an existing link), never
//! creates symlinks, and writes files read-only (0444) as x/mod does. The
//! caller (cache/extract.rs) owns the `.partial` marker and making
//! directories read-only afterwards.
//!
//! Building zips (`create`, `create_from_dir`) lives in codehost/zipbuild.rs
//! and shares [`check_files`] and the [`ModuleFile`] abstraction from here.

use std::fmt;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::module::path::{self as modpath, ModulePathError, PathDefect, PathKind, go_quote};
use crate::module::version;
use crate::verify::casefold::str_to_fold;
use crate::verify::zipread::{self, ZipReadError, ZipReader};

/// Largest module zip, and largest total uncompressed size (500 MiB).
pub const MAX_ZIP_FILE: u64 = 500 << 20;
/// Largest root `go.mod` in a module zip (16 MiB).
pub const MAX_GO_MOD: u64 = 16 << 20;
/// Largest root `LICENSE` in a module zip (16 MiB).
pub const MAX_LICENSE: u64 = 16 << 20;

/// Why one file is invalid or omitted (Go's `FileError.Err`).
#[derive(Debug, Clone, thiserror::Error)]
pub enum FileProblem {
    #[error("file path is not clean")]
    NotClean,
    #[error("file path is not relative")]
    NotRelative,
    #[error("go.mod files must have lowercase names")]
    GoModCase,
    #[error("go.mod file not in module root directory")]
    GoModNotInRoot,
    #[error("go.mod file too large (max size is {MAX_GO_MOD} bytes)")]
    GoModSize,
    #[error("LICENSE file too large (max size is {MAX_LICENSE} bytes)")]
    LicenseSize,
    #[error("path does not have prefix {}", go_quote(.prefix))]
    NoPrefix { prefix: String },
    /// `module.CheckFilePath` failed.
    #[error(transparent)]
    Path(#[from] ModulePathError),
    #[error("case-insensitive file name collision: {} and {}", go_quote(.first), go_quote(.second))]
    CaseCollision { first: String, second: String },
    #[error("entry {} is both a file and a directory", go_quote(.path))]
    FileAndDirectory { path: String },
    #[error("multiple entries for file {}", go_quote(.path))]
    MultipleEntries { path: String },
    /// `Lstat` failed.
    #[error(transparent)]
    Io(Arc<io::Error>),
    // Reasons a file is omitted.
    #[error("directory is a version control repository")]
    VcsDirectory,
    #[error("file is in vendor directory")]
    Vendored,
    #[error("file is in another module")]
    SubmoduleFile,
    #[error("directory is in another module")]
    SubmoduleDirectory,
    #[error("file is inserted by 'hg archive' and is always omitted")]
    HgArchival,
    #[error("file is a symbolic link")]
    Symlink,
    #[error("not a regular file")]
    NotRegular,
}

/// One file and what is wrong with it: `path: problem`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct FileError {
    pub path: String,
    pub problem: FileProblem,
}

/// Go's `FileErrorList`: the invalid files, one per line.
#[derive(Debug, Clone)]
pub struct FileErrorList(pub Vec<FileError>);

impl fmt::Display for FileErrorList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FileErrorList {}

/// The size limit a set of files or a zip exceeds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    /// From `CheckFiles`/`CheckDir`/`Create`.
    #[error("module source tree too large (max size is {MAX_ZIP_FILE} bytes)")]
    SourceTree,
    /// From `CheckZip`: the declared uncompressed sizes add up past the limit.
    #[error(
        "total uncompressed size of module contents too large (max size is {MAX_ZIP_FILE} bytes)"
    )]
    Uncompressed,
    /// From `CheckZip`: the zip file itself is too large.
    #[error("module zip file is too large ({size} bytes; limit is {MAX_ZIP_FILE} bytes)")]
    ZipFile { size: u64 },
}

/// Go's `CheckedFiles`: every file lands in exactly one list.
#[derive(Debug, Clone, Default)]
pub struct CheckedFiles {
    /// Paths to include in a zip (for `check_zip`, the full entry names).
    pub valid: Vec<String>,
    /// Files left out on purpose, with the reason.
    pub omitted: Vec<FileError>,
    /// Files that make the set invalid.
    pub invalid: Vec<FileError>,
    /// Set when a size limit is exceeded.
    pub size_error: Option<SizeError>,
}

impl CheckedFiles {
    /// Go's `CheckedFiles.Err`: the size error if any, else the invalid files.
    pub fn err(&self) -> Result<(), ZipError> {
        if let Some(size) = &self.size_error {
            return Err(ZipError::Size(size.clone()));
        }
        if !self.invalid.is_empty() {
            return Err(ZipError::Files(FileErrorList(self.invalid.clone())));
        }
        Ok(())
    }
}

/// Why a module zip could not be checked, built or extracted.
#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    #[error("version {} is not canonical (should be {})", go_quote(.version), go_quote(.canonical))]
    NotCanonical { version: String, canonical: String },
    /// `module.Check(path, version)` failed.
    #[error(transparent)]
    Module(ModulePathError),
    #[error(transparent)]
    Size(SizeError),
    #[error(transparent)]
    Files(FileErrorList),
    /// The zip could not be parsed or an entry could not be read.
    #[error(transparent)]
    Read(#[from] ZipReadError),
    #[error("target directory {} exists and is not empty", .dir.display())]
    DirNotEmpty { dir: PathBuf },
    #[error("uncompressed size of file {name} is larger than declared size ({size} bytes)")]
    LargerThanDeclared { name: String, size: u64 },
    /// `Create`: a file yielded more bytes than its size said.
    #[error("file {} is larger than declared size", go_quote(.path))]
    FileLargerThanDeclared { path: String },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Go wraps every `Unzip` error as `unzip <zipfile>: <err>`.
    #[error("unzip {}", .zip.display())]
    Unzip {
        zip: PathBuf,
        #[source]
        source: Box<ZipError>,
    },
    /// Go wraps `Create` errors as `create zip: <err>` (with the directory
    /// when called from `CreateFromDir`).
    #[error("create zip{}", .dir.as_ref().map(|d| format!(" {}", d.display())).unwrap_or_default())]
    Create {
        dir: Option<PathBuf>,
        #[source]
        source: Box<ZipError>,
    },
    /// `CreateFromVCS`: the directory is not the root of a git work tree.
    #[error("could not find a recognized version control system at {}", go_quote(&.repo_root.display().to_string()))]
    UnrecognizedVcs { repo_root: PathBuf },
    /// `CreateFromVCS`: `git archive` failed (its stderr quoted).
    #[error("error running `git archive`: {status}, {stderr}")]
    GitArchive { status: String, stderr: String },
    /// `CreateFromVCS` failed; Go words it `create zip from version control system <repo>: …`.
    #[error("create zip from version control system {}", .repo_root.display())]
    CreateFromVcs {
        repo_root: PathBuf,
        #[source]
        source: Box<ZipError>,
    },
    /// Listing the directory for `CreateFromDir` failed.
    #[error("create zip from directory {}", .dir.display())]
    CreateFromDir {
        dir: PathBuf,
        #[source]
        source: Box<ZipError>,
    },
}

impl ZipError {
    fn io(path: &Path, source: io::Error) -> Self {
        ZipError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// What a file is, as `Lstat` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Regular,
    Directory,
    Symlink,
    /// Devices, sockets, pipes.
    Other,
}

/// Go's `os.FileInfo`, the parts the rules use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileInfo {
    pub kind: FileKind,
    /// Declared size in bytes (`Create` copies at most this many).
    pub size: u64,
}

impl From<&std::fs::Metadata> for FileInfo {
    fn from(meta: &std::fs::Metadata) -> Self {
        let kind = meta.file_type();
        let kind = if kind.is_symlink() {
            FileKind::Symlink
        } else if kind.is_dir() {
            FileKind::Directory
        } else if kind.is_file() {
            FileKind::Regular
        } else {
            FileKind::Other
        };
        FileInfo {
            kind,
            size: meta.len(),
        }
    }
}

/// Go's `zip.File`: a file of a module, in a directory, a zip or memory.
pub trait ModuleFile {
    /// Clean slash-separated path from the module root.
    fn path(&self) -> &str;
    /// Information about the file itself (not a symlink's target).
    fn lstat(&self) -> io::Result<FileInfo>;
    /// The file's content.
    fn open(&self) -> io::Result<Box<dyn Read + '_>>;
    /// False when the real name was not UTF-8 and `path` is a lossy copy
    /// (then the file is invalid, as Go's `CheckFilePath` says).
    fn path_is_utf8(&self) -> bool {
        true
    }
}

/// A file held in memory (Go's `dataFile`), mode 0644.
#[derive(Debug, Clone)]
pub struct DataFile {
    pub path: String,
    pub data: Vec<u8>,
}

impl ModuleFile for DataFile {
    fn path(&self) -> &str {
        &self.path
    }
    fn lstat(&self) -> io::Result<FileInfo> {
        Ok(FileInfo {
            kind: FileKind::Regular,
            size: self.data.len() as u64,
        })
    }
    fn open(&self) -> io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(&self.data[..]))
    }
}

/// A file found by walking a directory (Go's `dirFile`).
#[derive(Debug, Clone)]
pub struct DirFile {
    pub file_path: PathBuf,
    pub slash_path: String,
    pub info: FileInfo,
    utf8: bool,
}

impl ModuleFile for DirFile {
    fn path(&self) -> &str {
        &self.slash_path
    }
    fn lstat(&self) -> io::Result<FileInfo> {
        Ok(self.info)
    }
    fn open(&self) -> io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(std::fs::File::open(&self.file_path)?))
    }
    fn path_is_utf8(&self) -> bool {
        self.utf8
    }
}

/// Go's `path.Clean` over bytes.
pub fn clean_path_bytes(path: &[u8]) -> Vec<u8> {
    if path.is_empty() {
        return b".".to_vec();
    }
    let rooted = path[0] == b'/';
    let n = path.len();
    let mut out: Vec<u8> = Vec::with_capacity(n);
    let (mut r, mut dotdot) = (0, 0);
    if rooted {
        out.push(b'/');
        r = 1;
        dotdot = 1;
    }
    while r < n {
        if path[r] == b'/' || (path[r] == b'.' && (r + 1 == n || path[r + 1] == b'/')) {
            r += 1;
        } else if path[r] == b'.' && path[r + 1] == b'.' && (r + 2 == n || path[r + 2] == b'/') {
            r += 2;
            if out.len() > dotdot {
                let mut w = out.len() - 1;
                while w > dotdot && out[w] != b'/' {
                    w -= 1;
                }
                out.truncate(w);
            } else if !rooted {
                if !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(b"..");
                dotdot = out.len();
            }
        } else {
            if (rooted && out.len() != 1) || (!rooted && !out.is_empty()) {
                out.push(b'/');
            }
            while r < n && path[r] != b'/' {
                out.push(path[r]);
                r += 1;
            }
        }
    }
    if out.is_empty() {
        return b".".to_vec();
    }
    out
}

/// Go's `path.Clean`.
pub fn clean_path(path: &str) -> String {
    String::from_utf8_lossy(&clean_path_bytes(path.as_bytes())).into_owned()
}

/// Go's `path.Dir`.
fn path_dir(p: &str) -> String {
    let dir = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    clean_path(dir)
}

/// Go's `path.Split`: (dir with trailing slash, base).
fn path_split(p: &str) -> (&str, &str) {
    match p.rfind('/') {
        Some(i) => (&p[..=i], &p[i + 1..]),
        None => ("", p),
    }
}

/// Go's `path.Base`.
fn path_base(p: &str) -> &str {
    let p = p.trim_end_matches('/');
    if p.is_empty() {
        return "/";
    }
    match p.rfind('/') {
        Some(i) => &p[i + 1..],
        None => p,
    }
}

/// `go/version.Lang(v) >= go1.24` for the `go` version of a go.mod, where
/// `vers` is `"go" + version` (empty or invalid compares lowest).
fn at_least_go1_24(vers: &str) -> bool {
    match go_lang(vers) {
        Some((major, minor)) => (major, minor) >= (1, 24),
        None => false,
    }
}

/// The (major, minor) of a Go toolchain version (`go1.21`, `go1.21.3`,
/// `go1.22rc1`, `go1`), as `go/version` parses it; `None` if invalid.
fn go_lang(vers: &str) -> Option<(u64, u64)> {
    let rest = vers.strip_prefix("go")?;
    let (major, rest) = split_decimal(rest)?;
    if rest.is_empty() {
        return Some((major, 0));
    }
    let rest = rest.strip_prefix('.')?;
    let (minor, rest) = split_decimal(rest)?;
    if rest.is_empty() {
        return Some((major, minor));
    }
    if let Some(patch) = rest.strip_prefix('.') {
        let (_, tail) = split_decimal(patch)?;
        // go1.21.0 and later have patch releases; older ones could not.
        return tail.is_empty().then_some((major, minor));
    }
    // Prerelease: rc/beta followed by a decimal (go1.22rc1), only after x.y.
    let kind_len = rest.bytes().take_while(u8::is_ascii_lowercase).count();
    if kind_len == 0 {
        return None;
    }
    let (_, tail) = split_decimal(&rest[kind_len..])?;
    tail.is_empty().then_some((major, minor))
}

/// A decimal without leading zeros at the start of `s`, and what follows.
fn split_decimal(s: &str) -> Option<(u64, &str)> {
    let len = s.bytes().take_while(u8::is_ascii_digit).count();
    if len == 0 || (len > 1 && s.starts_with('0')) {
        return None;
    }
    Some((s[..len].parse().ok()?, &s[len..]))
}

/// The `go` directive of a go.mod, as `"go" + version`, or "" when absent,
/// repeated or malformed (x/mod `parseGoVers`, which uses `modfile.ParseLax`
/// and returns "" on any parse error). Only the go line matters here.
fn parse_go_vers(data: &[u8]) -> String {
    let text = String::from_utf8_lossy(data);
    let mut found: Option<String> = None;
    let mut depth = 0usize;
    for line in text.lines() {
        let line = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        let tokens: Vec<&str> = line.split_whitespace().collect();
        if tokens.last() == Some(&"(") {
            depth += 1;
            continue;
        }
        if tokens.first() == Some(&")") {
            depth = depth.saturating_sub(1);
            continue;
        }
        if depth == 0 && tokens.first() == Some(&"go") {
            if tokens.len() != 2 || found.is_some() || !valid_go_directive(tokens[1]) {
                return String::new();
            }
            found = Some(format!("go{}", tokens[1]));
        }
    }
    found.unwrap_or_default()
}

/// modfile's `GoVersionRE`: `^([1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?$`.
fn valid_go_directive(v: &str) -> bool {
    let Some((_, rest)) = split_decimal(v) else {
        return false;
    };
    if v.starts_with('0') {
        return false;
    }
    let Some(rest) = rest.strip_prefix('.') else {
        return false;
    };
    let Some((_, mut rest)) = split_decimal(rest) else {
        return false;
    };
    if let Some(patch) = rest.strip_prefix('.') {
        let Some((_, tail)) = split_decimal(patch) else {
            return false;
        };
        rest = tail;
    }
    if rest.is_empty() {
        return true;
    }
    let letters = rest.bytes().take_while(u8::is_ascii_lowercase).count();
    let digits = rest[letters..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    letters > 0 && digits > 0 && letters + digits == rest.len()
}

/// Go's `isVendoredPackage(name, vers)` with `vers` the go.mod's
/// `go/version.Lang` ("" when none); Go 1.24 changed the rule
/// (spec/integrity.md §4.5).
pub fn is_vendored_package(name: &str, vers: &str) -> bool {
    let go124 = at_least_go1_24(vers);
    if go124 && name == "vendor/modules.txt" {
        return true;
    }
    let i = if name.starts_with("vendor/") {
        "vendor/".len()
    } else if let Some(j) = name.find("/vendor/") {
        if go124 {
            j + "/vendor/".len()
        } else {
            // The pre-1.24 bug (golang.org/issue/37397) kept for old checksums.
            "/vendor/".len()
        }
    } else {
        return false;
    };
    name.get(i..).is_some_and(|rest| rest.contains('/'))
}

/// Go's `collisionChecker`.
#[derive(Default)]
struct CollisionChecker {
    seen: std::collections::HashMap<String, (String, bool)>,
}

impl CollisionChecker {
    fn check(&mut self, p: &str, is_dir: bool) -> Result<(), FileProblem> {
        let mut p = p.to_owned();
        let mut is_dir = is_dir;
        loop {
            let fold = str_to_fold(&p);
            match self.seen.get(&fold) {
                Some((other, other_dir)) => {
                    if *other != p {
                        return Err(FileProblem::CaseCollision {
                            first: other.clone(),
                            second: p,
                        });
                    }
                    if is_dir != *other_dir {
                        return Err(FileProblem::FileAndDirectory { path: p });
                    }
                    if !is_dir {
                        return Err(FileProblem::MultipleEntries { path: p });
                    }
                }
                None => {
                    self.seen.insert(fold, (p.clone(), is_dir));
                }
            }
            let parent = path_dir(&p);
            if parent == "." {
                return Ok(());
            }
            p = parent;
            is_dir = true;
        }
    }
}

/// The go version rule input of a file list: `Lang` of the root go.mod's
/// `go` line.
fn files_go_version<F: ModuleFile>(files: &[F]) -> String {
    // Go reads every root go.mod in order, so the last one wins.
    for f in files.iter().rev() {
        if f.path() == "go.mod"
            && let Ok(info) = f.lstat()
            && info.kind == FileKind::Regular
            && let Ok(mut reader) = f.open()
        {
            let mut data = Vec::new();
            if reader.read_to_end(&mut data).is_ok() {
                return lang_of(&parse_go_vers(&data));
            }
            return String::new();
        }
    }
    String::new()
}

fn lang_of(vers: &str) -> String {
    match go_lang(vers) {
        Some((major, minor)) if major == 1 && minor == 0 && !vers.starts_with("go1.0") => {
            "go1".to_owned()
        }
        Some((major, minor)) => format!("go{major}.{minor}"),
        None => String::new(),
    }
}

/// Go's `checkFiles`: the classification plus, for the valid files, their
/// indices in `files` and their sizes (what `Create` writes).
pub fn check_files_detailed<F: ModuleFile>(files: &[F]) -> (CheckedFiles, Vec<(usize, u64)>) {
    let mut cf = CheckedFiles::default();
    let mut valid = Vec::new();
    let mut err_paths = std::collections::HashSet::new();
    let mut add_error = |cf: &mut CheckedFiles, path: &str, omitted: bool, problem: FileProblem| {
        if !err_paths.insert(path.to_owned()) {
            return;
        }
        let fe = FileError {
            path: path.to_owned(),
            problem,
        };
        if omitted {
            cf.omitted.push(fe);
        } else {
            cf.invalid.push(fe);
        }
    };

    // Directories holding a go.mod (other than the root) are other modules.
    let mut have_go_mod = std::collections::HashSet::new();
    for f in files {
        let p = f.path();
        let (dir, base) = path_split(p);
        if base.eq_ignore_ascii_case("go.mod") || str_to_fold(base) == "go.mod" {
            match f.lstat() {
                Err(err) => {
                    add_error(&mut cf, p, false, FileProblem::Io(Arc::new(err)));
                    continue;
                }
                Ok(info) if info.kind != FileKind::Regular => continue,
                Ok(_) => {
                    have_go_mod.insert(dir.to_owned());
                }
            }
        }
    }
    let vers = files_go_version(files);
    let in_submodule = |p: &str| {
        let mut p = p;
        loop {
            let (dir, _) = path_split(p);
            if dir.is_empty() {
                return false;
            }
            if have_go_mod.contains(dir) {
                return true;
            }
            p = &dir[..dir.len() - 1];
        }
    };

    let mut collisions = CollisionChecker::default();
    let mut max_size = MAX_ZIP_FILE;
    for (index, f) in files.iter().enumerate() {
        let p = f.path();
        if clean_path(p) != p {
            add_error(&mut cf, p, false, FileProblem::NotClean);
            continue;
        }
        if p.starts_with('/') {
            add_error(&mut cf, p, false, FileProblem::NotRelative);
            continue;
        }
        if is_vendored_package(p, &vers) {
            add_error(&mut cf, p, true, FileProblem::Vendored);
            continue;
        }
        if in_submodule(p) {
            add_error(&mut cf, p, true, FileProblem::SubmoduleFile);
            continue;
        }
        if p == ".hg_archival.txt" {
            add_error(&mut cf, p, true, FileProblem::HgArchival);
            continue;
        }
        let path_check = if f.path_is_utf8() {
            modpath::check_file_path(p)
        } else {
            Err(ModulePathError::Malformed {
                kind: PathKind::File,
                path: p.to_owned(),
                defect: PathDefect::InvalidUtf8,
            })
        };
        if let Err(err) = path_check {
            add_error(&mut cf, p, false, FileProblem::Path(err));
            continue;
        }
        if p.to_lowercase() == "go.mod" && p != "go.mod" {
            add_error(&mut cf, p, false, FileProblem::GoModCase);
            continue;
        }
        let info = match f.lstat() {
            Ok(info) => info,
            Err(err) => {
                add_error(&mut cf, p, false, FileProblem::Io(Arc::new(err)));
                continue;
            }
        };
        if let Err(problem) = collisions.check(p, info.kind == FileKind::Directory) {
            add_error(&mut cf, p, false, problem);
            continue;
        }
        if info.kind == FileKind::Symlink {
            add_error(&mut cf, p, true, FileProblem::Symlink);
            continue;
        }
        if info.kind != FileKind::Regular {
            add_error(&mut cf, p, true, FileProblem::NotRegular);
            continue;
        }
        // Go's size is an int64: a size of 2^63 or more is negative there and
        // fails the same test.
        if info.size <= max_size {
            max_size -= info.size;
        } else if cf.size_error.is_none() {
            cf.size_error = Some(SizeError::SourceTree);
        }
        if p == "go.mod" && info.size > MAX_GO_MOD {
            add_error(&mut cf, p, false, FileProblem::GoModSize);
            continue;
        }
        if p == "LICENSE" && info.size > MAX_LICENSE {
            add_error(&mut cf, p, false, FileProblem::LicenseSize);
            continue;
        }
        cf.valid.push(p.to_owned());
        valid.push((index, info.size));
    }
    (cf, valid)
}

/// Go's `CheckFiles`: classify a file list; the error is `CheckedFiles::err`.
pub fn check_files<F: ModuleFile>(files: &[F]) -> (CheckedFiles, Result<(), ZipError>) {
    let (cf, _) = check_files_detailed(files);
    let err = cf.err();
    (cf, err)
}

/// Go's `listFilesInDir`: the files below `dir` in walk order (sorted,
/// depth first), and what the walk itself left out (VCS directories, nested
/// modules, vendored paths, irregular files).
pub fn list_files_in_dir(dir: &Path) -> Result<(Vec<DirFile>, Vec<FileError>), ZipError> {
    let vers = match std::fs::read(dir.join("go.mod")) {
        Ok(data) => lang_of(&parse_go_vers(&data)),
        Err(_) => String::new(),
    };
    let mut files = Vec::new();
    let mut omitted = Vec::new();
    let info = std::fs::symlink_metadata(dir).map_err(|e| ZipError::io(dir, e))?;
    if !info.is_dir() {
        // Go walks a non-directory root as a single file named ".".
        if info.file_type().is_file() {
            files.push(DirFile {
                file_path: dir.to_path_buf(),
                slash_path: ".".to_owned(),
                info: FileInfo::from(&info),
                utf8: true,
            });
        } else {
            omitted.push(FileError {
                path: ".".to_owned(),
                problem: FileProblem::NotRegular,
            });
        }
        return Ok((files, omitted));
    }
    walk_dir(dir, "", &vers, &mut files, &mut omitted)?;
    Ok((files, omitted))
}

fn walk_dir(
    dir: &Path,
    rel: &str,
    vers: &str,
    files: &mut Vec<DirFile>,
    omitted: &mut Vec<FileError>,
) -> Result<(), ZipError> {
    let mut children = Vec::new();
    for child in std::fs::read_dir(dir).map_err(|e| ZipError::io(dir, e))? {
        let child = child.map_err(|e| ZipError::io(dir, e))?;
        children.push(child.file_name());
    }
    children.sort();
    for name in children {
        let file_path = dir.join(&name);
        let utf8 = name.to_str().is_some();
        let name = name.to_string_lossy();
        let slash_path = if rel.is_empty() {
            name.into_owned()
        } else {
            format!("{rel}/{name}")
        };
        let meta =
            std::fs::symlink_metadata(&file_path).map_err(|e| ZipError::io(&file_path, e))?;
        let info = FileInfo::from(&meta);
        if is_vendored_package(&slash_path, vers) {
            omitted.push(FileError {
                path: slash_path,
                problem: FileProblem::Vendored,
            });
            // Go returns nil here, not SkipDir: a vendored directory is
            // still walked, and each of its files is omitted in turn.
            if info.kind == FileKind::Directory {
                let last = omitted.last().map(|e| e.path.clone()).unwrap_or_default();
                walk_dir(&file_path, &last, vers, files, omitted)?;
            }
            continue;
        }
        if info.kind == FileKind::Directory {
            if matches!(name_of(&slash_path), ".bzr" | ".git" | ".hg" | ".svn") {
                omitted.push(FileError {
                    path: slash_path,
                    problem: FileProblem::VcsDirectory,
                });
                continue;
            }
            if let Ok(go_mod) = std::fs::symlink_metadata(file_path.join("go.mod"))
                && !go_mod.is_dir()
            {
                omitted.push(FileError {
                    path: slash_path,
                    problem: FileProblem::SubmoduleDirectory,
                });
                continue;
            }
            walk_dir(&file_path, &slash_path, vers, files, omitted)?;
            continue;
        }
        if info.kind != FileKind::Regular {
            omitted.push(FileError {
                path: slash_path,
                problem: FileProblem::NotRegular,
            });
            continue;
        }
        files.push(DirFile {
            file_path,
            slash_path,
            info,
            utf8,
        });
    }
    Ok(())
}

fn name_of(slash_path: &str) -> &str {
    path_base(slash_path)
}

/// `filepath.Join(dir, rel)` as a display string.
fn join_display(dir: &Path, rel: &str) -> String {
    let joined = format!("{}/{}", dir.display(), rel);
    clean_path(&joined)
}

/// Go's `CheckDir`: as [`check_files`] over the directory's files, with
/// paths written as file system paths (`dir/rel`).
pub fn check_dir(dir: &Path) -> Result<(CheckedFiles, Result<(), ZipError>), ZipError> {
    let (files, omitted) = list_files_in_dir(dir)?;
    let (mut cf, _) = check_files(&files);
    for p in &mut cf.valid {
        *p = join_display(dir, p);
    }
    cf.omitted.extend(omitted);
    for e in cf.omitted.iter_mut().chain(cf.invalid.iter_mut()) {
        e.path = join_display(dir, &e.path);
    }
    let err = cf.err();
    Ok((cf, err))
}

/// The module-level checks shared by `CheckZip` and `Create`: a canonical
/// version and `module.Check`.
pub fn check_module(module_path: &str, version: &str) -> Result<(), ZipError> {
    let canonical = version::canonical_module_version(version);
    if canonical != version {
        return Err(ZipError::NotCanonical {
            version: version.to_owned(),
            canonical,
        });
    }
    modpath::check(module_path, version).map_err(ZipError::Module)
}

/// Go's `CheckZip(m, zipFile)`: checks names, collisions and sizes of a
/// module zip without reading file contents. `Err` is for module-level and
/// parse failures; per-file problems are in the `CheckedFiles` (see
/// [`CheckedFiles::err`]).
pub fn check_zip(module_path: &str, version: &str, zip: &Path) -> Result<CheckedFiles, ZipError> {
    let mut file = std::fs::File::open(zip).map_err(|e| ZipError::io(zip, e))?;
    let (_, cf) = check_zip_file(module_path, version, &mut file, zip)?;
    Ok(cf)
}

fn check_zip_file<'f>(
    module_path: &str,
    version: &str,
    file: &'f mut std::fs::File,
    zip: &Path,
) -> Result<(ZipReader<&'f mut std::fs::File>, CheckedFiles), ZipError> {
    check_module(module_path, version)?;
    let size = file.metadata().map_err(|e| ZipError::io(zip, e))?.len();
    check_zip_reader(module_path, version, file, size)
}

/// `checkZip` over any seekable reader of `size` bytes; returns the parsed
/// zip for extraction. Does not repeat [`check_module`].
pub fn check_zip_reader<R: Read + Seek>(
    module_path: &str,
    version: &str,
    reader: R,
    size: u64,
) -> Result<(ZipReader<R>, CheckedFiles), ZipError> {
    if size > MAX_ZIP_FILE {
        return Err(ZipError::Size(SizeError::ZipFile { size }));
    }
    let zip = ZipReader::new(reader, size)?;
    let prefix = format!("{module_path}@{version}/");
    let mut cf = CheckedFiles::default();
    let mut collisions = CollisionChecker::default();
    let mut total: u64 = 0;
    for entry in zip.entries() {
        let full = entry.name_lossy().into_owned();
        let mut invalid = |problem: FileProblem| {
            cf.invalid.push(FileError {
                path: full.clone(),
                problem,
            })
        };
        let Some(rest) = entry.name.strip_prefix(prefix.as_bytes()) else {
            invalid(FileProblem::NoPrefix {
                prefix: prefix.clone(),
            });
            continue;
        };
        if rest.is_empty() {
            continue;
        }
        let (rest, is_dir) = match rest.strip_suffix(b"/") {
            Some(stripped) => (stripped, true),
            None => (rest, false),
        };
        if clean_path_bytes(rest) != rest {
            invalid(FileProblem::NotClean);
            continue;
        }
        let name = match std::str::from_utf8(rest) {
            Ok(name) => name,
            Err(_) => {
                invalid(FileProblem::Path(ModulePathError::Malformed {
                    kind: PathKind::File,
                    path: String::from_utf8_lossy(rest).into_owned(),
                    defect: PathDefect::InvalidUtf8,
                }));
                continue;
            }
        };
        if let Err(err) = modpath::check_file_path(name) {
            invalid(FileProblem::Path(err));
            continue;
        }
        if let Err(problem) = collisions.check(name, is_dir) {
            invalid(problem);
            continue;
        }
        if is_dir {
            continue;
        }
        let base = path_base(name);
        if str_to_fold(base) == "go.mod" {
            if base != name {
                invalid(FileProblem::GoModNotInRoot);
                continue;
            }
            if name != "go.mod" {
                invalid(FileProblem::GoModCase);
                continue;
            }
        }
        let sz = entry.uncompressed_size;
        if sz <= MAX_ZIP_FILE - total {
            total += sz;
        } else if cf.size_error.is_none() {
            cf.size_error = Some(SizeError::Uncompressed);
        }
        if name == "go.mod" && sz > MAX_GO_MOD {
            invalid(FileProblem::GoModSize);
            continue;
        }
        if name == "LICENSE" && sz > MAX_LICENSE {
            invalid(FileProblem::LicenseSize);
            continue;
        }
        cf.valid.push(full);
    }
    Ok((zip, cf))
}

/// Go's `Unzip(dir, m, zipFile)`: checks the whole zip, then extracts its
/// files into `dir` (absent or empty), files 0444, directories 0777 before
/// umask. Errors are wrapped `unzip <zip>: …`. On failure files may have
/// been written; the caller removes `dir` (as cmd/go does).
pub fn unzip(dir: &Path, module_path: &str, version: &str, zip: &Path) -> Result<(), ZipError> {
    unzip_inner(dir, module_path, version, zip).map_err(|source| ZipError::Unzip {
        zip: zip.to_path_buf(),
        source: Box::new(source),
    })
}

fn unzip_inner(dir: &Path, module_path: &str, version: &str, zip: &Path) -> Result<(), ZipError> {
    if let Ok(mut entries) = std::fs::read_dir(dir)
        && entries.next().is_some()
    {
        return Err(ZipError::DirNotEmpty {
            dir: dir.to_path_buf(),
        });
    }
    let mut file = std::fs::File::open(zip).map_err(|e| ZipError::io(zip, e))?;
    let (mut reader, cf) = check_zip_file(module_path, version, &mut file, zip)?;
    cf.err()?;
    let prefix_len = module_path.len() + 1 + version.len() + 1;
    std::fs::create_dir_all(dir).map_err(|e| ZipError::io(dir, e))?;
    let mut buffer = vec![0u8; 256 << 10];
    for index in 0..reader.entries().len() {
        let entry = &reader.entries()[index];
        let Some(name) = entry.name.get(prefix_len..) else {
            continue;
        };
        if name.is_empty() || name.ends_with(b"/") {
            continue;
        }
        // checkZip accepted the name, so it is UTF-8, clean and relative.
        let Ok(name) = std::str::from_utf8(name) else {
            continue;
        };
        let full_name = entry.name_lossy().into_owned();
        let declared = entry.uncompressed_size;
        let dst = dir.join(name);
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent).map_err(|e| ZipError::io(parent, e))?;
        }
        let mut out = create_read_only(&dst).map_err(|e| ZipError::io(&dst, e))?;
        let mut entry_reader = reader.open(index)?;
        let mut written: u64 = 0;
        let limit = declared.saturating_add(1);
        while written < limit {
            let want = usize::try_from(limit - written)
                .unwrap_or(usize::MAX)
                .min(buffer.len());
            let n = match entry_reader.read(&mut buffer[..want]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(read_error(err)),
            };
            out.write_all(&buffer[..n])
                .map_err(|e| ZipError::io(&dst, e))?;
            written += n as u64;
        }
        drop(entry_reader);
        out.flush().map_err(|e| ZipError::io(&dst, e))?;
        if written > declared {
            return Err(ZipError::LargerThanDeclared {
                name: full_name,
                size: declared,
            });
        }
    }
    Ok(())
}

/// Turns an `io::Error` from an entry reader back into the zip error it carries.
fn read_error(err: io::Error) -> ZipError {
    if err
        .get_ref()
        .is_some_and(|inner| inner.is::<ZipReadError>())
    {
        match err
            .into_inner()
            .map(|inner| inner.downcast::<ZipReadError>())
        {
            Some(Ok(zip_err)) => ZipError::Read(*zip_err),
            Some(Err(other)) => ZipError::Read(ZipReadError::Io(io::Error::other(other))),
            None => ZipError::Read(ZipReadError::Format),
        }
    } else {
        ZipError::Read(ZipReadError::Io(err))
    }
}

#[cfg(unix)]
fn create_read_only(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o444)
        .open(path)
}

#[cfg(not(unix))]
fn create_read_only(path: &Path) -> io::Result<std::fs::File> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    let mut perms = file.metadata()?.permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(path, perms)?;
    Ok(file)
}

/// Reads a zip's entries for callers that only need the names (the
/// `hash` command infers `path@version` from them).
pub fn entry_names(zip: &Path) -> Result<Vec<Vec<u8>>, ZipError> {
    let reader = zipread::open_file(zip)?;
    Ok(reader.entries().iter().map(|e| e.name.clone()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_matches_go() {
        for (input, want) in [
            ("", "."),
            ("a/../b", "b"),
            ("./a", "a"),
            ("a//b", "a/b"),
            ("../a", "../a"),
            ("/../a", "/a"),
            ("a/b/", "a/b"),
            ("a/..", "."),
            ("..", ".."),
            ("a/../..", ".."),
        ] {
            assert_eq!(clean_path(input), want, "clean({input:?})");
        }
    }

    #[test]
    fn go_lang_and_directive() {
        assert!(at_least_go1_24("go1.24"));
        assert!(at_least_go1_24("go1.99"));
        assert!(at_least_go1_24("go2"));
        assert!(!at_least_go1_24("go1.23"));
        assert!(!at_least_go1_24(""));
        assert_eq!(lang_of("go1.24.0"), "go1.24");
        assert_eq!(lang_of("go1.22rc1"), "go1.22");
        assert_eq!(parse_go_vers(b"module m\n\ngo 1.24 // x\n"), "go1.24");
        assert_eq!(parse_go_vers(b"go 1.23\ngo 1.24\n"), "");
        assert_eq!(parse_go_vers(b"go 01.2\n"), "");
        assert!(valid_go_directive("1.21rc1"));
        assert!(!valid_go_directive("1"));
    }

    #[test]
    fn collisions_as_go() {
        let mut cc = CollisionChecker::default();
        assert!(cc.check("a/b.go", false).is_ok());
        assert!(cc.check("a/c.go", false).is_ok());
        assert_eq!(
            cc.check("A/d.go", false).unwrap_err().to_string(),
            r#"case-insensitive file name collision: "a" and "A""#
        );
        assert_eq!(
            cc.check("a/b.go/x", false).unwrap_err().to_string(),
            r#"entry "a/b.go" is both a file and a directory"#
        );
    }
}
