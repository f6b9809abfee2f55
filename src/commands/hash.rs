//! `gomodfetch hash PATH [--module path@version]`: the `h1:` of a module zip,
//! a go.mod file or an extracted module directory, for auditing files by hand
//! (issue 3). The hash is always the last word of stdout, so
//! `gomodfetch hash x.zip | awk '{print $NF}'` works; when the module is
//! known the line is the go.sum line (`path version[/go.mod] h1:...`).
//!
//! - a zip (by `.zip` name or zip magic): checked as the go command checks a
//!   downloaded zip (x/mod `CheckZip` for `--module`, or for the
//!   `path@version/` prefix its entries share), then hashed (`HashZip`);
//! - any other file: the go.sum `/go.mod` hash of its bytes;
//! - a directory: needs `--module`; hashed as `go mod verify` hashes an
//!   extracted module (`HashDir(dir, "path@version")`).

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::commands::{CmdResult, ExitStatus};
use crate::ui::printer::Printer;
use crate::verify::dirhash::{self, HashError};
use crate::verify::zipcheck::{self, ZipError};

/// Flags of `gomodfetch hash`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A module zip, a go.mod file, or an extracted module directory.
    pub path: PathBuf,
    /// The module the zip or directory holds, as path@version (required for
    /// a directory; for a zip, inferred from its entries when absent).
    #[arg(long = "module", value_name = "PATH@VERSION")]
    pub module: Option<String>,
}

/// Why `gomodfetch hash` failed.
#[derive(Debug, thiserror::Error)]
pub enum HashCommandError {
    #[error("--module {value:?} is not of the form path@version")]
    ModuleArgument { value: String },
    #[error("{} is a directory: say which module it holds with --module path@version", .path.display())]
    DirectoryNeedsModule { path: PathBuf },
    #[error("cannot infer path@version from the entries of {}: {reason}; pass --module path@version", .path.display())]
    CannotInfer { path: PathBuf, reason: String },
    #[error("{} is not a valid module zip for {module}", .path.display())]
    BadZip {
        path: PathBuf,
        module: String,
        #[source]
        source: Box<ZipError>,
    },
    #[error("invalid module {module}")]
    BadModule {
        module: String,
        #[source]
        source: Box<ZipError>,
    },
    #[error("cannot hash {}", .path.display())]
    Hash {
        path: PathBuf,
        #[source]
        source: HashError,
    },
    #[error("cannot read {}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Runs `gomodfetch hash`.
pub async fn run(args: Args, printer: &Printer) -> CmdResult {
    let line = tokio::task::spawn_blocking(move || hash_line(&args.path, args.module.as_deref()))
        .await??;
    printer.data(&line);
    Ok(ExitStatus::Success)
}

fn split_module(value: &str) -> Result<(&str, &str), HashCommandError> {
    match value.split_once('@') {
        Some((path, version)) if !path.is_empty() && !version.is_empty() => Ok((path, version)),
        _ => Err(HashCommandError::ModuleArgument {
            value: value.to_owned(),
        }),
    }
}

/// What `gomodfetch hash` prints for `path`: the go.sum line when the module
/// is known, else the bare `h1:`.
pub fn hash_line(path: &Path, module: Option<&str>) -> Result<String, HashCommandError> {
    let module = module.map(split_module).transpose()?;
    let meta = std::fs::metadata(path).map_err(|source| HashCommandError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let hash_err = |source| HashCommandError::Hash {
        path: path.to_path_buf(),
        source,
    };
    if meta.is_dir() {
        let Some((mod_path, version)) = module else {
            return Err(HashCommandError::DirectoryNeedsModule {
                path: path.to_path_buf(),
            });
        };
        zipcheck::check_module(mod_path, version).map_err(|source| {
            HashCommandError::BadModule {
                module: format!("{mod_path}@{version}"),
                source: Box::new(source),
            }
        })?;
        let h1 = dirhash::hash_dir(path, &format!("{mod_path}@{version}")).map_err(hash_err)?;
        return Ok(format!("{mod_path} {version} {h1}"));
    }
    if is_zip(path)? {
        let (mod_path, version) = match module {
            Some((p, v)) => (p.to_owned(), v.to_owned()),
            None => infer_module(path)?,
        };
        let cf = zipcheck::check_zip(&mod_path, &version, path)
            .and_then(|cf| cf.err().map(|()| cf))
            .map_err(|source| HashCommandError::BadZip {
                path: path.to_path_buf(),
                module: format!("{mod_path}@{version}"),
                source: Box::new(source),
            })?;
        drop(cf);
        let h1 = dirhash::hash_zip(path).map_err(hash_err)?;
        return Ok(format!("{mod_path} {version} {h1}"));
    }
    let data = std::fs::read(path).map_err(|source| HashCommandError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let h1 = dirhash::hash_go_mod(&data);
    Ok(match module {
        Some((mod_path, version)) => format!("{mod_path} {version}/go.mod {h1}"),
        None => h1,
    })
}

/// A zip by name, or by its first bytes (a local header or an empty zip).
fn is_zip(path: &Path) -> Result<bool, HashCommandError> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
    {
        return Ok(true);
    }
    let mut magic = [0u8; 4];
    let mut file = std::fs::File::open(path).map_err(|source| HashCommandError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let n = file.read(&mut magic).unwrap_or(0);
    Ok(n == 4 && (magic == *b"PK\x03\x04" || magic == *b"PK\x05\x06"))
}

/// The `path@version` of the first entry's `path@version/` prefix; CheckZip
/// then requires every entry to share it.
fn infer_module(path: &Path) -> Result<(String, String), HashCommandError> {
    let cannot = |reason: &str| HashCommandError::CannotInfer {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    };
    let names = zipcheck::entry_names(path).map_err(|source| HashCommandError::BadZip {
        path: path.to_path_buf(),
        module: "(unknown)".to_owned(),
        source: Box::new(source),
    })?;
    let first = names.first().ok_or_else(|| cannot("the zip is empty"))?;
    let first = std::str::from_utf8(first).map_err(|_| cannot("an entry name is not UTF-8"))?;
    let at = first
        .find('@')
        .ok_or_else(|| cannot("the first entry has no path@version/ prefix"))?;
    let slash = first[at..]
        .find('/')
        .ok_or_else(|| cannot("the first entry has no path@version/ prefix"))?;
    Ok((first[..at].to_owned(), first[at + 1..at + slash].to_owned()))
}
