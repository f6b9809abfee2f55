//! Loading trusted roots exactly as Go does on Linux (crypto/x509
//! root_unix.go `loadSystemRoots`, root_linux.go `certFiles` /
//! `certDirectories`), recording where every certificate came from so that
//! doctor can explain the trust store.
//!
//! Go's rules, all reproduced here:
//! - Files: `SSL_CERT_FILE` (when non-empty) *replaces* the default file
//!   list. The list is tried in order and the **first file that can be read**
//!   is used (even if it holds no certificate); the rest are not read.
//! - Directories: `SSL_CERT_DIR` (when non-empty) is split on `:` and
//!   *replaces* the default directories. Directories are read **in addition**
//!   to the file: setting `SSL_CERT_FILE` does not turn the default
//!   directories off. Every entry of every directory is read as PEM, except
//!   symlinks whose target has no `/` (OpenSSL's `c_rehash` hash links, which
//!   would only duplicate); entries that cannot be read (subdirectories,
//!   permission errors) are skipped silently.
//! - PEM: only `CERTIFICATE` blocks without headers; a block that does not
//!   decode or parse is skipped, the rest of the file still counts.
//! - Errors: a missing file or directory is no error. The first other error
//!   (permission denied, a directory given as SSL_CERT_FILE) is remembered;
//!   it matters only when no certificate at all was loaded, and then every
//!   verification fails with `x509: failed to load system roots and no roots
//!   provided; <error>`. With no certificate and no error, the pool is simply
//!   empty and every chain is `signed by unknown authority`.
//!
//! `--cacert FILE` (gomodfetch only) adds bundles on top; an unreadable
//! `--cacert` file is an error, because the user named it.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use serde::Serialize;

use super::cert::{CertSummary, fingerprint};
use super::{TlsError, TrustOptions};

/// Go's default bundle files on Linux (root_linux.go `certFiles`).
pub const DEFAULT_CERT_FILES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// Go's default certificate directories on Linux (root_linux.go
/// `certDirectories`).
pub const DEFAULT_CERT_DIRS: &[&str] = &["/etc/ssl/certs", "/etc/pki/tls/certs"];

/// Why a source was consulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Named by `SSL_CERT_FILE`.
    SslCertFile,
    /// One of Go's default files.
    DefaultFile,
    /// A directory named by `SSL_CERT_DIR`.
    SslCertDir,
    /// One of Go's default directories.
    DefaultDir,
    /// A file from `--cacert`.
    CaCert,
}

/// What happened when a file or directory was consulted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SourceStatus {
    /// Does not exist (not an error for Go).
    Missing,
    /// Exists but could not be read (Go remembers the first such error).
    Unreadable { error: String },
    /// Read; `certificates` were added.
    Loaded {
        certificates: usize,
        /// PEM blocks that were skipped, with the reason.
        skipped: Vec<String>,
    },
    /// Not read, because an earlier file of the list was read (files only).
    NotReached,
}

/// One consulted file or directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceReport {
    pub path: PathBuf,
    pub origin: Origin,
    pub is_dir: bool,
    #[serde(flatten)]
    pub status: SourceStatus,
    /// For directories: entries that held no usable certificate, with why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub junk: Vec<String>,
}

/// One trusted certificate and the file it came from.
#[derive(Debug, Clone)]
pub struct TrustedCert {
    pub der: CertificateDer<'static>,
    pub summary: CertSummary,
    pub source: PathBuf,
    pub origin: Origin,
}

/// The trust store and how it was built.
#[derive(Debug, Clone)]
pub struct LoadedRoots {
    pub store: RootCertStore,
    /// Every certificate added, in load order (duplicates kept once).
    pub certs: Vec<TrustedCert>,
    /// Every source consulted, in order.
    pub sources: Vec<SourceReport>,
    /// Go's `firstErr`: the first error other than "does not exist".
    pub first_error: Option<String>,
}

impl LoadedRoots {
    /// Go's `SystemRootsError` detail: set when nothing was loaded and an
    /// error happened (`x509: failed to load system roots and no roots
    /// provided; <detail>`).
    pub fn system_roots_error(&self) -> Option<&str> {
        if self.certs.is_empty() {
            self.first_error.as_deref()
        } else {
            None
        }
    }

    /// The trusted certificate with this subject (raw bytes) and, when both
    /// sides have one, this key identifier.
    pub fn find_issuer_of(&self, cert: &CertSummary) -> Option<&TrustedCert> {
        self.certs.iter().find(|t| cert.is_issued_by(&t.summary))
    }

    /// The trusted certificate with this fingerprint.
    pub fn find_by_fingerprint(&self, sha256: &str) -> Option<&TrustedCert> {
        self.certs.iter().find(|t| t.summary.sha256 == sha256)
    }
}

/// Loads the roots by Go's rules plus `--cacert` files.
pub fn load(options: &TrustOptions) -> Result<LoadedRoots, TlsError> {
    let mut loaded = LoadedRoots {
        store: RootCertStore::empty(),
        certs: Vec::new(),
        sources: Vec::new(),
        first_error: None,
    };

    let (files, file_origin) = match options
        .ssl_cert_file
        .as_ref()
        .filter(|f| !f.as_os_str().is_empty())
    {
        Some(file) => (vec![file.clone()], Origin::SslCertFile),
        None => (
            DEFAULT_CERT_FILES.iter().map(PathBuf::from).collect(),
            Origin::DefaultFile,
        ),
    };
    let mut reached = true;
    for file in files {
        if !reached {
            loaded.sources.push(SourceReport {
                path: file,
                origin: file_origin,
                is_dir: false,
                status: SourceStatus::NotReached,
                junk: Vec::new(),
            });
            continue;
        }
        match read_bounded(&file) {
            Ok(data) => {
                let (certificates, skipped) = loaded.add_pem(&data, &file, file_origin);
                loaded.sources.push(SourceReport {
                    path: file,
                    origin: file_origin,
                    is_dir: false,
                    status: SourceStatus::Loaded {
                        certificates,
                        skipped,
                    },
                    junk: Vec::new(),
                });
                reached = false;
            }
            Err(err) => {
                let status = loaded.note_error(&file, &err);
                loaded.sources.push(SourceReport {
                    path: file,
                    origin: file_origin,
                    is_dir: false,
                    status,
                    junk: Vec::new(),
                });
            }
        }
    }

    let (dirs, dir_origin): (Vec<PathBuf>, Origin) =
        match options.ssl_cert_dir.as_deref().filter(|d| !d.is_empty()) {
            Some(list) => (
                list.split(':').map(PathBuf::from).collect(),
                Origin::SslCertDir,
            ),
            None => (
                DEFAULT_CERT_DIRS.iter().map(PathBuf::from).collect(),
                Origin::DefaultDir,
            ),
        };
    for dir in dirs {
        let report = loaded.load_dir(&dir, dir_origin);
        loaded.sources.push(report);
    }

    for file in &options.extra_ca_files {
        let data = read_bounded(file).map_err(|source| TlsError::CaCert {
            path: file.clone(),
            source,
        })?;
        let (certificates, skipped) = loaded.add_pem(&data, file, Origin::CaCert);
        if certificates == 0 {
            return Err(TlsError::CaCertEmpty {
                path: file.clone(),
                skipped: skipped.join("; "),
            });
        }
        loaded.sources.push(SourceReport {
            path: file.clone(),
            origin: Origin::CaCert,
            is_dir: false,
            status: SourceStatus::Loaded {
                certificates,
                skipped,
            },
            junk: Vec::new(),
        });
    }
    Ok(loaded)
}

impl LoadedRoots {
    fn note_error(&mut self, path: &Path, err: &std::io::Error) -> SourceStatus {
        if err.kind() == ErrorKind::NotFound {
            return SourceStatus::Missing;
        }
        // os.ReadFile of a directory opens fine and fails in read(2).
        let op = if err.kind() == ErrorKind::IsADirectory {
            "read"
        } else {
            "open"
        };
        let text = go_path_error(op, path, err);
        if self.first_error.is_none() {
            self.first_error = Some(text.clone());
        }
        SourceStatus::Unreadable { error: text }
    }

    fn load_dir(&mut self, dir: &Path, origin: Origin) -> SourceReport {
        let mut report = SourceReport {
            path: dir.to_path_buf(),
            origin,
            is_dir: true,
            status: SourceStatus::Missing,
            junk: Vec::new(),
        };
        let entries = match std::fs::read_dir(if dir.as_os_str().is_empty() {
            // Go's os.ReadDir("") fails with ENOENT; std would read ".".
            Path::new("/nonexistent-empty-ssl-cert-dir-element")
        } else {
            dir
        }) {
            Ok(entries) => entries,
            Err(err) => {
                report.status = self.note_error(dir, &err);
                return report;
            }
        };
        let mut names: Vec<_> = entries.flatten().collect();
        // os.ReadDir sorts by name.
        names.sort_by_key(|entry| entry.file_name());
        let mut total = 0;
        let mut skipped = Vec::new();
        for entry in names {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if is_same_dir_symlink(&entry) {
                continue;
            }
            match read_bounded(&path) {
                Ok(data) => {
                    let (count, bad) = self.add_pem(&data, &path, origin);
                    total += count;
                    if count == 0 {
                        let why = if bad.is_empty() {
                            "no PEM certificate".to_owned()
                        } else {
                            bad.join("; ")
                        };
                        report.junk.push(format!("{name}: {why}"));
                    }
                    skipped.extend(bad.into_iter().map(|b| format!("{name}: {b}")));
                }
                Err(err) => {
                    // Go skips unreadable entries without remembering the error.
                    report.junk.push(format!("{name}: {}", go_io_text(&err)));
                }
            }
        }
        report.status = SourceStatus::Loaded {
            certificates: total,
            skipped,
        };
        report
    }

    /// Adds every usable certificate of a PEM text; returns how many were
    /// added and why other blocks were skipped.
    fn add_pem(&mut self, data: &[u8], source: &Path, origin: Origin) -> (usize, Vec<String>) {
        let mut added = 0;
        let mut skipped = Vec::new();
        for block in pem_blocks(data) {
            let block = match block {
                Ok(block) => block,
                Err(why) => {
                    skipped.push(why);
                    continue;
                }
            };
            let summary = match CertSummary::from_der(&block) {
                Ok(summary) => summary,
                Err(err) => {
                    skipped.push(format!("unparsable certificate ({})", err.detail));
                    continue;
                }
            };
            let sha = fingerprint(&block);
            if self.certs.iter().any(|c| c.summary.sha256 == sha) {
                added += 1;
                continue;
            }
            let der = CertificateDer::from(block);
            if let Err(err) = self.store.add(der.clone()) {
                skipped.push(format!(
                    "certificate {:?} not usable as a root ({err})",
                    summary.subject
                ));
                continue;
            }
            self.certs.push(TrustedCert {
                der,
                summary,
                source: source.to_path_buf(),
                origin,
            });
            added += 1;
        }
        (added, skipped)
    }
}

/// The most a certificate file may hold (the largest system bundles are a
/// few hundred KiB).
const MAX_CERT_FILE: u64 = 16 << 20;

/// Reads a certificate file like `os.ReadFile`, but never hangs or
/// exhausts memory on what a directory may hold (FIFOs, sockets,
/// `/proc` files, device files): those are read errors instead.
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    use std::os::unix::fs::FileTypeExt as _;
    let kind = std::fs::metadata(path)?.file_type();
    if kind.is_fifo() || kind.is_socket() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut data = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_CERT_FILE + 1)
        .read_to_end(&mut data)?;
    if data.len() as u64 > MAX_CERT_FILE {
        return Err(std::io::Error::other(
            "file too large for a certificate bundle",
        ));
    }
    Ok(data)
}

fn is_same_dir_symlink(entry: &std::fs::DirEntry) -> bool {
    let Ok(kind) = entry.file_type() else {
        return false;
    };
    if !kind.is_symlink() {
        return false;
    }
    match std::fs::read_link(entry.path()) {
        Ok(target) => !target.to_string_lossy().contains('/'),
        Err(_) => false,
    }
}

/// Splits a PEM text into the DER of its `CERTIFICATE` blocks, as Go's
/// `pem.Decode` loop in `AppendCertsFromPEM` sees them: a block starts at a
/// line beginning `-----BEGIN `, other types and blocks with headers are
/// skipped, undecodable blocks are reported and skipped.
pub fn pem_blocks(data: &[u8]) -> Vec<Result<Vec<u8>, String>> {
    let text = String::from_utf8_lossy(data);
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = line.trim_end();
        let Some(rest) = line.strip_prefix("-----BEGIN ") else {
            continue;
        };
        let Some(kind) = rest.strip_suffix("-----") else {
            continue;
        };
        let end = format!("-----END {kind}-----");
        let mut body = String::new();
        let mut has_headers = false;
        let mut closed = false;
        for inner in lines.by_ref() {
            let inner = inner.trim();
            if inner == end {
                closed = true;
                break;
            }
            if inner.contains(':') {
                has_headers = true;
                continue;
            }
            body.push_str(inner);
        }
        if kind != "CERTIFICATE" {
            continue;
        }
        if !closed {
            out.push(Err("PEM block without an END line".to_owned()));
            continue;
        }
        if has_headers {
            out.push(Err("PEM block with headers".to_owned()));
            continue;
        }
        match base64::engine::general_purpose::STANDARD.decode(body.as_bytes()) {
            Ok(der) => out.push(Ok(der)),
            Err(err) => out.push(Err(format!("broken PEM base64 ({err})"))),
        }
    }
    out
}

/// Go's `*PathError` text: `open /path: permission denied`.
fn go_path_error(op: &str, path: &Path, err: &std::io::Error) -> String {
    format!("{op} {}: {}", path.display(), go_io_text(err))
}

/// The errno text as Go prints it (lower case, no "(os error N)").
pub(crate) fn go_io_text(err: &std::io::Error) -> String {
    match err.kind() {
        ErrorKind::NotFound => "no such file or directory".to_owned(),
        ErrorKind::PermissionDenied => "permission denied".to_owned(),
        ErrorKind::IsADirectory => "is a directory".to_owned(),
        ErrorKind::NotADirectory => "not a directory".to_owned(),
        _ => {
            let text = err.to_string();
            let text = text.split(" (os error").next().unwrap_or(&text).to_owned();
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => text,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_as_go_sees_them() {
        let text = b"junk before\n-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n\
-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----\n\
-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\nAAEC\n-----END CERTIFICATE-----\n\
-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n\
-----BEGIN CERTIFICATE-----\nAAEC\n";
        let blocks = pem_blocks(text);
        assert_eq!(blocks.len(), 4, "{blocks:?}");
        assert_eq!(blocks[0], Ok(vec![0, 1, 2]));
        assert_eq!(blocks[1], Err("PEM block with headers".to_owned()));
        assert!(
            blocks[2]
                .as_ref()
                .is_err_and(|e| e.starts_with("broken PEM base64"))
        );
        assert_eq!(blocks[3], Err("PEM block without an END line".to_owned()));
        assert!(pem_blocks(b"").is_empty());
        assert!(pem_blocks(&[0xff, 0xfe, 0x00]).is_empty());
    }

    #[test]
    fn hash_links_are_skipped_and_errors_only_count_when_empty() {
        let dir = tempfile::tempdir().unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["ca.test".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        std::fs::write(dir.path().join("ca.pem"), cert.pem()).unwrap();
        std::os::unix::fs::symlink("ca.pem", dir.path().join("abcd1234.0")).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "hello").unwrap();
        // A FIFO would block a plain read forever.
        let fifo = std::process::Command::new("mkfifo")
            .arg(dir.path().join("pipe"))
            .status();
        let has_fifo = fifo.is_ok_and(|s| s.success());
        let options = TrustOptions {
            ssl_cert_file: Some(dir.path().join("missing.pem")),
            ssl_cert_dir: Some(format!("{}::/nonexistent-dir", dir.path().display())),
            extra_ca_files: Vec::new(),
        };
        let loaded = load(&options).unwrap();
        assert_eq!(loaded.certs.len(), 1);
        assert_eq!(loaded.first_error, None);
        assert_eq!(loaded.sources[0].status, SourceStatus::Missing);
        let dir_report = &loaded.sources[1];
        assert_eq!(
            dir_report.status,
            SourceStatus::Loaded {
                certificates: 1,
                skipped: Vec::new()
            }
        );
        assert_eq!(dir_report.junk[0], "notes.txt: no PEM certificate");
        if has_fifo {
            assert_eq!(dir_report.junk[1], "pipe: not a regular file");
        }

        // A directory as SSL_CERT_FILE is Go's firstErr, reported only when
        // nothing loads.
        let options = TrustOptions {
            ssl_cert_file: Some(dir.path().to_path_buf()),
            ssl_cert_dir: Some("/nonexistent-dir".to_owned()),
            extra_ca_files: Vec::new(),
        };
        let loaded = load(&options).unwrap();
        assert_eq!(
            loaded.system_roots_error().map(str::to_owned),
            Some(format!("read {}: is a directory", dir.path().display()))
        );
    }
}
