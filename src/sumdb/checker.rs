//! The checksum checker the fetch pipeline calls ([`crate::fetch::SumCheck`])
//! for every downloaded `.mod` and zip `h1:` before anything of it becomes
//! visible: go.sum (and go.work.sum, and workspace modules' go.sum files)
//! first, then the checksum database, exactly as cmd/go's `checkModSum`
//! does (modfetch/fetch.go; spec/integrity.md §2.3, spec/fetch-protocol.md
//! §5.3). Also keeps the hashes it accepted so that `--write-sum` can add
//! them to the main sum file in Go's canonical order (`tidyGoSum`).
//!
//! Concurrency: the go.sum state sits behind a std mutex that is released
//! before any lookup; many lookups run at once on one shared client.
//! [`SumCheck::prefetch`] starts a module's database reads on a task of
//! their own as soon as the fetcher knows the module is needed, so they run
//! while its `.info`/`.mod`/zip download; the check then only awaits them.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::check::{self, SumdbCheckError, split_noun};
use super::client::Client;
use super::config::{self, GosumdbError, SumdbConfig};
use super::ops::HttpOps;
use crate::fetch::{SumCheck, SumError, SumKind};
use crate::graph::workspace::{Workspace, WorkspaceError};
use crate::net::client::Client as HttpClient;
use crate::repo::BoxFuture;
use crate::settings::{Settings, defaults};
use crate::verify::gosum::{GoSum, GoSumError, SumFiles};

/// Known databases: (name, verifier key).
pub type Known = Vec<(&'static str, &'static str)>;
/// Alias names: (alias, database name, URL).
pub type Aliases = Vec<(String, String, String)>;

/// Go's table of known databases and alias names.
pub fn known_databases() -> (Known, Aliases) {
    let known = vec![(defaults::GOSUMDB, defaults::GOSUMDB_KEY)];
    let aliases = defaults::GOSUMDB_ALIASES
        .iter()
        .map(|a| {
            (
                (*a).to_owned(),
                defaults::GOSUMDB.to_owned(),
                format!("https://{a}"),
            )
        })
        .collect();
    (known, aliases)
}

/// Parses GOSUMDB with Go's built-in table.
pub fn dial_config(gosumdb: &str) -> Result<SumdbConfig, GosumdbError> {
    let (known, aliases) = known_databases();
    let aliases: Vec<(&str, &str, &str)> = aliases
        .iter()
        .map(|(a, n, u)| (a.as_str(), n.as_str(), u.as_str()))
        .collect();
    config::parse_gosumdb(gosumdb, &known, &aliases)
}

/// The sum files of the main module or workspace, where they live.
#[derive(Debug, Clone)]
pub struct SumFileSet {
    /// The file `--write-sum` rewrites (go.sum, or go.work.sum).
    pub main_path: PathBuf,
    /// Their contents.
    pub files: SumFiles,
}

/// Why the sum files could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SumFilesError {
    /// A malformed line (Go exits with this).
    #[error(transparent)]
    Malformed(#[from] GoSumError),
    /// The file exists but cannot be read.
    #[error("reading {}: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

fn read_sum(path: &Path, name: &str) -> Result<GoSum, SumFilesError> {
    match crate::cache::lock::read_shared(path) {
        Ok(data) => Ok(GoSum::parse(name, &data)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(GoSum::default()),
        Err(source) => Err(SumFilesError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Whether `h` for `path version` (`version` or `version/go.mod`) is
/// acceptable without the network, as Go's `checkModSum` decides: a sum file
/// lists it, or no line is needed because the checksum database is not
/// consulted for `path`. `false` also when a sum file disagrees: the full
/// path reports that mismatch in Go's words.
pub fn accepted_offline(
    sums: Option<&SumFileSet>,
    settings: &Settings,
    path: &str,
    version: &str,
    h: &str,
) -> bool {
    if let Some(s) = sums {
        match s.files.have(path, version, h) {
            Ok(true) => return true,
            Ok(false) => {}
            Err(_) => return false,
        }
    }
    !config::use_sumdb(
        path,
        &settings.gosumdb,
        &settings.gonosumdb,
        &settings.goproxy,
    )
}

impl SumFileSet {
    /// The sum files in use when running in `cwd` (`initGoSum`): none outside
    /// a module; the main module's go.sum; in workspace mode go.work.sum plus
    /// every workspace module's go.sum (read-only).
    pub fn discover(cwd: &Path, gowork: Option<&str>) -> Result<Option<SumFileSet>, SumFilesError> {
        let ws = match Workspace::discover(cwd, gowork) {
            Ok(ws) => ws,
            Err(WorkspaceError::NoModule) => return Ok(None),
            // A module that does not load is reported by whoever loads it.
            Err(_) => return Ok(None),
        };
        Self::for_workspace(&ws).map(Some)
    }

    /// The sum files of a loaded workspace.
    pub fn for_workspace(ws: &Workspace) -> Result<SumFileSet, SumFilesError> {
        if let Some((work, _)) = &ws.work {
            let main_path = PathBuf::from(format!("{}.sum", work.display()));
            let mut workspace = Vec::new();
            for m in &ws.mains {
                let p = m.dir.join("go.sum");
                let name = p.display().to_string();
                workspace.push((name.clone(), read_sum(&p, &name)?));
            }
            let main = read_sum(&main_path, &main_path.display().to_string())?;
            return Ok(SumFileSet {
                main_path,
                files: SumFiles {
                    main_name: "go.work.sum".to_owned(),
                    main,
                    workspace,
                },
            });
        }
        let dir = ws.root().to_path_buf();
        let main_path = dir.join("go.sum");
        let main = read_sum(&main_path, &main_path.display().to_string())?;
        Ok(SumFileSet {
            main_path,
            files: SumFiles {
                main_name: "go.sum".to_owned(),
                main,
                workspace: Vec::new(),
            },
        })
    }
}

/// The run's one database client.
type DbClient = Client<Arc<HttpOps>>;

struct SumState {
    set: SumFileSet,
    /// Hashes accepted this run that the main file lacked, in check order.
    added: Vec<(String, String, String)>,
    /// Warnings Go prints (unknown hash algorithms).
    warnings: Vec<String>,
}

/// go.sum + checksum-database verification for the fetch pipeline.
pub struct SumdbChecker {
    db: Result<(String, Arc<DbClient>), GosumdbError>,
    ops: Option<Arc<HttpOps>>,
    gosumdb: String,
    gonosumdb: String,
    goproxy: String,
    sums: Option<Mutex<SumState>>,
    /// Module versions whose database reads were started by `prefetch`.
    prefetched: Mutex<HashSet<(String, String)>>,
    /// Whether a fork's `SECURITY ERROR` text was already handed out.
    security_shown: AtomicBool,
}

impl SumdbChecker {
    /// A checker for this run: the database from GOSUMDB (reached through
    /// `client`), and the sum files in use, if any.
    pub fn new(settings: &Settings, client: HttpClient, sums: Option<SumFileSet>) -> Self {
        let (db, ops) = match dial_config(&settings.gosumdb) {
            Ok(cfg) => {
                let name = cfg.name.clone();
                let ops = Arc::new(HttpOps::new(
                    client,
                    cfg,
                    &settings.goproxy,
                    &settings.gonoproxy,
                    settings.cache_root().ok(),
                    settings.gopath.as_deref(),
                ));
                (Ok((name, Arc::new(Client::new(ops.clone())))), Some(ops))
            }
            Err(e) => (Err(e), None),
        };
        Self {
            db,
            ops,
            gosumdb: settings.gosumdb.clone(),
            gonosumdb: settings.gonosumdb.clone(),
            goproxy: settings.goproxy.clone(),
            sums: sums.map(|set| {
                Mutex::new(SumState {
                    set,
                    added: Vec::new(),
                    warnings: Vec::new(),
                })
            }),
            prefetched: Mutex::new(HashSet::new()),
            security_shown: AtomicBool::new(false),
        }
    }

    /// Starts, on a task of its own, the database reads that checking
    /// path@version's hashes of `kinds` will need, unless the check will
    /// not consult the database (GONOSUMDB, GOSUMDB=off, or every such hash
    /// key already has an `h1:` line in the sum files, which decides it).
    /// Reads only; the check verifies and reports as before.
    pub fn prefetch(&self, path: &str, version: &str, kinds: &[SumKind]) {
        let Ok((_, client)) = &self.db else {
            return;
        };
        if !config::use_sumdb(path, &self.gosumdb, &self.gonosumdb, &self.goproxy) {
            return;
        }
        // GOPROXY=off: the download fails without a request, and go then
        // contacts no database; neither may a prefetch.
        if self.goproxy.split([',', '|']).next().map(str::trim) == Some("off") {
            return;
        }
        if let Some(st) = &self.sums {
            let st = st.lock().unwrap_or_else(PoisonError::into_inner);
            let listed = |key: &str| {
                let files = &st.set.files;
                std::iter::once(&files.main)
                    .chain(files.workspace.iter().map(|(_, s)| s))
                    .any(|s| s.hashes(path, key).iter().any(|h| h.starts_with("h1:")))
            };
            let go_mod = format!("{version}/go.mod");
            if kinds.iter().all(|k| match k {
                SumKind::Zip => listed(version),
                SumKind::GoMod => listed(&go_mod),
            }) {
                return;
            }
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if !self
            .prefetched
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((path.to_owned(), version.to_owned()))
        {
            return;
        }
        let (client, path, version) = (client.clone(), path.to_owned(), version.to_owned());
        runtime.spawn(async move { client.prefetch(&path, &version).await });
    }

    /// The operations (for tests and diagnostics).
    pub fn ops(&self) -> Option<&Arc<HttpOps>> {
        self.ops.as_ref()
    }

    /// Warnings to show the user (unknown hash algorithms in go.sum).
    pub fn take_warnings(&self) -> Vec<String> {
        match &self.sums {
            Some(s) => {
                std::mem::take(&mut s.lock().unwrap_or_else(PoisonError::into_inner).warnings)
            }
            None => Vec::new(),
        }
    }

    /// Checks one hash as `checkModSum` does. `version` may end in `/go.mod`.
    pub async fn check_sum(&self, path: &str, version: &str, h: &str) -> Result<(), SumCheckError> {
        if let Some(st) = &self.sums {
            let st = st.lock().unwrap_or_else(PoisonError::into_inner);
            if st.set.files.have(path, version, h)? {
                return Ok(());
            }
        }
        if config::use_sumdb(path, &self.gosumdb, &self.gonosumdb, &self.goproxy) {
            self.check_sumdb(path, version, h).await?;
        }
        if let Some(st) = &self.sums {
            let mut st = st.lock().unwrap_or_else(PoisonError::into_inner);
            // Someone may have added it meanwhile (concurrent checks).
            if !st.set.files.have(path, version, h)?
                && !st.set.files.in_workspace_modules(path, version)
            {
                if let Some(w) = st.set.files.main.add(path, version, h) {
                    st.warnings.push(w.to_string());
                }
                st.added
                    .push((path.to_owned(), version.to_owned(), h.to_owned()));
            }
        }
        Ok(())
    }

    async fn check_sumdb(&self, path: &str, version: &str, h: &str) -> Result<(), SumdbCheckError> {
        let (bare, noun) = split_noun(version);
        let (name, client) = match &self.db {
            Ok(db) => db,
            Err(error) => {
                return Err(SumdbCheckError::Config {
                    path: path.to_owned(),
                    version: bare.to_owned(),
                    noun,
                    error: error.clone(),
                });
            }
        };
        match client.lookup(path, version).await {
            Ok(lines) => check::check_lines(path, version, h, name, &lines),
            Err(error) => Err(SumdbCheckError::Lookup {
                path: path.to_owned(),
                version: bare.to_owned(),
                noun,
                error: Box::new(error),
            }),
        }
    }

    /// Adds the hashes accepted this run to the main sum file, as
    /// `go mod download` with arguments does: re-read the file under its
    /// lock, merge, write it back in canonical order if it changed. Returns
    /// the file written, if any.
    pub fn write_sums(&self) -> Result<Option<PathBuf>, SumFilesError> {
        let Some(st) = &self.sums else {
            return Ok(None);
        };
        let st = st.lock().unwrap_or_else(PoisonError::into_inner);
        if st.added.is_empty() {
            return Ok(None);
        }
        let path = st.set.main_path.clone();
        let io_err = |source| SumFilesError::Read {
            path: path.clone(),
            source,
        };
        let held = crate::cache::lock::lock_exclusive(&path).map_err(io_err)?;
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut held.file(), &mut data).map_err(io_err)?;
        // Lines other processes added meanwhile are kept.
        let mut sum = GoSum::parse_lenient(&data);
        for (p, v, h) in &st.added {
            sum.add(p, v, h);
        }
        let out = sum.format();
        if out == data {
            return Ok(None);
        }
        held.file().set_len(0).map_err(io_err)?;
        std::os::unix::fs::FileExt::write_all_at(held.file(), &out, 0).map_err(io_err)?;
        Ok(Some(path))
    }
}

/// A checksum failure: go.sum mismatch, or the database did not confirm.
#[derive(Debug, thiserror::Error)]
pub enum SumCheckError {
    /// go.sum (or go.work.sum) records another hash.
    #[error(transparent)]
    GoSum(#[from] crate::verify::gosum::ChecksumMismatch),
    /// The checksum database disagrees, or could not be checked.
    #[error(transparent)]
    Sumdb(#[from] SumdbCheckError),
}

impl SumCheck for SumdbChecker {
    fn prefetch(&self, path: &str, version: &str, kinds: &[SumKind]) {
        SumdbChecker::prefetch(self, path, version, kinds);
    }

    fn check<'a>(
        &'a self,
        path: &'a str,
        version: &'a str,
        kind: SumKind,
        h1: &'a str,
    ) -> BoxFuture<'a, Result<(), SumError>> {
        Box::pin(async move {
            let version = match kind {
                SumKind::Zip => version.to_owned(),
                SumKind::GoMod => format!("{version}/go.mod"),
            };
            self.check_sum(path, &version, h1).await.map_err(|e| {
                // A fork is reported with Go's full SECURITY ERROR text, once
                // per run as go (which exits on it) prints it; the other
                // modules it stopped say `security error: misbehaving server`.
                let security = match &e {
                    SumCheckError::Sumdb(s) => s.security_message(),
                    SumCheckError::GoSum(_) => None,
                };
                let (message, first_fork) = match security {
                    Some(m) if !self.security_shown.swap(true, Ordering::SeqCst) => {
                        (m.to_owned(), true)
                    }
                    _ => (e.to_string(), false),
                };
                // Both end go's whole command (base.Fatalf): the go.sum
                // mismatch, and the fork's evidence (printed once).
                SumError {
                    message,
                    fatal: first_fork || matches!(e, SumCheckError::GoSum(_)),
                }
            })
        })
    }
}
