//! One mirroring run: module versions in, a GOPROXY tree with proofs out.
//!
//! Per module version (`.info`, `.mod`, `.zip`, or only `.mod` for a
//! module whose go.mod the graph reads but whose code is never built):
//! read what the tree already holds and reuse it when the previous manifest
//! vouches for it (same `h1:`, and for zips the same size and mtime, so a
//! second run re-hashes nothing it verified); otherwise fetch it through the
//! GOPROXY list (`proxy::route`), hash it, check the hash against the
//! checksum database's record (`sumdb::check::check_lines`, Go's mismatch
//! text), and only then rename it into place. A file in the tree that does
//! not match is replaced.
//!
//! At the end ([`Mirror::finish`]): every lookup of the tree is proven
//! against one head (`proofs`), `list` files are rewritten from the `.mod`
//! files present, and the manifest is written. A failed module is reported
//! and the rest continue; the caller turns failures into the exit status.
//! Never prints.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::manifest::{self, Manifest, ModuleEntry, SumdbInfo, TreeRef};
use super::proofs::{Lookup, ProofError, SumdbMirror};
use super::tree::{self, MirrorTree, TreeIoError};
use crate::module::path::ModulePathError;
use crate::proxy::protocol;
use crate::proxy::route::{Candidate, Router, Walk};
use crate::repo::{Repo, RepoError};
use crate::sumdb::check::{SumdbCheckError, check_lines};
use crate::sumdb::tlog::Tree;
use crate::verify::dirhash::{self, HashError};
use crate::verify::zipcheck;

/// Why one module version could not be mirrored.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.render())]
pub struct MirrorError {
    pub path: String,
    pub version: String,
    #[source]
    pub kind: MirrorErrorKind,
}

/// The cause of a [`MirrorError`].
#[derive(Debug, thiserror::Error)]
pub enum MirrorErrorKind {
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Path(#[from] ModulePathError),
    #[error(transparent)]
    Io(#[from] TreeIoError),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error("verifying module: {0}")]
    Lookup(#[from] ProofError),
    /// Go's `verifying ...: checksum mismatch` block (the error already
    /// names the module, so it is shown as is).
    #[error("{0}")]
    Check(Box<SumdbCheckError>),
    #[error("{0}")]
    Query(String),
    /// A zip that breaks the module zip rules.
    #[error(transparent)]
    Zip(Box<crate::verify::zipcheck::ZipError>),
}

impl MirrorError {
    /// `path@version: cause`, except Go's checksum texts, which already
    /// start with the module.
    fn render(&self) -> String {
        match &self.kind {
            MirrorErrorKind::Check(e) => e.to_string(),
            kind => format!("{}@{}: {kind}", self.path, self.version),
        }
    }

    fn new(path: &str, version: &str, kind: impl Into<MirrorErrorKind>) -> Self {
        Self {
            path: path.to_owned(),
            version: version.to_owned(),
            kind: kind.into(),
        }
    }
}

/// What a run fetched, for the summary line and for tests.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    /// Files fetched from the GOPROXY list.
    pub fetched: u64,
    /// Files reused from the tree.
    pub reused: u64,
    /// Files replaced because the tree's copy did not match.
    pub replaced: u64,
}

type Shared<T> = Result<T, Arc<MirrorError>>;
type Key = (String, String);
/// Once-per-run results keyed by module version (Go's `par.ErrCache`).
type OnceMap<T> = Mutex<HashMap<Key, Arc<OnceCell<Shared<T>>>>>;

/// A mirroring run into one tree.
pub struct Mirror {
    tree: MirrorTree,
    router: Router,
    sumdb: Option<Arc<SumdbMirror>>,
    gonosumdb: String,
    previous: Option<Manifest>,
    lookups: OnceMap<Arc<Lookup>>,
    mods: OnceMap<Arc<Vec<u8>>>,
    zips: OnceMap<()>,
    entries: Mutex<BTreeMap<Key, ModuleEntry>>,
    fetched: AtomicU64,
    reused: AtomicU64,
    replaced: AtomicU64,
}

fn cell<T>(
    map: &Mutex<HashMap<Key, Arc<OnceCell<T>>>>,
    path: &str,
    version: &str,
) -> Arc<OnceCell<T>> {
    map.lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry((path.to_owned(), version.to_owned()))
        .or_default()
        .clone()
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

impl Mirror {
    /// A run into `tree`, fetching through `router`, checking against
    /// `sumdb` (None with GOSUMDB=off) except for GONOSUMDB matches.
    pub fn new(
        tree: MirrorTree,
        router: Router,
        sumdb: Option<SumdbMirror>,
        gonosumdb: &str,
        previous: Option<Manifest>,
    ) -> Self {
        tree::remove_stale_temps(tree.root());
        Self {
            tree,
            router,
            sumdb: sumdb.map(Arc::new),
            gonosumdb: gonosumdb.to_owned(),
            previous,
            lookups: Mutex::default(),
            mods: Mutex::default(),
            zips: Mutex::default(),
            entries: Mutex::default(),
            fetched: AtomicU64::new(0),
            reused: AtomicU64::new(0),
            replaced: AtomicU64::new(0),
        }
    }

    /// The tree.
    pub fn tree(&self) -> &MirrorTree {
        &self.tree
    }

    /// What this run fetched and reused so far.
    pub fn counts(&self) -> Counts {
        Counts {
            fetched: self.fetched.load(Ordering::Relaxed),
            reused: self.reused.load(Ordering::Relaxed),
            replaced: self.replaced.load(Ordering::Relaxed),
        }
    }

    fn covered(&self, path: &str) -> bool {
        self.sumdb.is_some()
            && !crate::module::pattern::match_prefix_patterns(&self.gonosumdb, path)
    }

    fn previous_entry(&self, path: &str, version: &str) -> Option<&ModuleEntry> {
        self.previous.as_ref()?.module(path, version)
    }

    fn record(&self, path: &str, version: &str, f: impl FnOnce(&mut ModuleEntry)) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let e = entries
            .entry((path.to_owned(), version.to_owned()))
            .or_insert_with(|| ModuleEntry {
                path: path.to_owned(),
                version: version.to_owned(),
                sumdb: self.covered(path),
                ..ModuleEntry::default()
            });
        f(e);
    }

    /// The database record of path@version (once per run).
    async fn lookup(&self, path: &str, version: &str) -> Result<Arc<Lookup>, Arc<MirrorError>> {
        let Some(sumdb) = self.sumdb.clone() else {
            return Err(Arc::new(MirrorError::new(
                path,
                version,
                MirrorErrorKind::Query("no checksum database".into()),
            )));
        };
        cell(&self.lookups, path, version)
            .get_or_init(|| async {
                sumdb
                    .lookup(path, version)
                    .await
                    .map(Arc::new)
                    .map_err(|e| Arc::new(MirrorError::new(path, version, e)))
            })
            .await
            .clone()
    }

    /// Checks `h1` of path@version (`version` may end in `/go.mod`)
    /// against the database, when it covers the module.
    async fn check(&self, path: &str, version: &str, h1: &str) -> Result<(), Arc<MirrorError>> {
        if !self.covered(path) {
            return Ok(());
        }
        let bare = version.strip_suffix("/go.mod").unwrap_or(version);
        let lookup = self.lookup(path, bare).await?;
        let name = self
            .sumdb
            .as_ref()
            .map(|s| s.name.clone())
            .unwrap_or_default();
        check_lines(path, version, h1, &name, &lookup.lines(version)).map_err(|e| {
            Arc::new(MirrorError::new(
                path,
                bare,
                MirrorErrorKind::Check(Box::new(e)),
            ))
        })
    }

    /// Mirrors the go.mod of path@version and returns its bytes.
    pub async fn go_mod(
        &self,
        path: &str,
        version: &str,
    ) -> Result<Arc<Vec<u8>>, Arc<MirrorError>> {
        cell(&self.mods, path, version)
            .get_or_init(|| self.go_mod_uncached(path, version))
            .await
            .clone()
    }

    async fn go_mod_uncached(&self, path: &str, version: &str) -> Shared<Arc<Vec<u8>>> {
        let wrap = |k: MirrorErrorKind| Arc::new(MirrorError::new(path, version, k));
        let file = self
            .tree
            .module_file(path, version, "mod")
            .map_err(|e| wrap(e.into()))?;
        let gomod_version = format!("{version}/go.mod");
        let mut replacing = false;
        if let Ok(data) = std::fs::read(&file) {
            let h1 = dirhash::hash_go_mod(&data);
            let vouched = self
                .previous_entry(path, version)
                .is_some_and(|e| e.go_mod == h1);
            if vouched || self.check(path, &gomod_version, &h1).await.is_ok() {
                self.reused.fetch_add(1, Ordering::Relaxed);
                self.record(path, version, |e| e.go_mod = h1);
                return Ok(Arc::new(data));
            }
            replacing = true;
        }
        let owned = version.to_owned();
        let data = self
            .router
            .try_proxies(path, &move |r: &dyn Repo| r.go_mod(owned.clone()))
            .await
            .map_err(|e| wrap(e.into()))?;
        self.fetched.fetch_add(1, Ordering::Relaxed);
        let h1 = dirhash::hash_go_mod(&data);
        self.check(path, &gomod_version, &h1).await?;
        let (f, d) = (file.clone(), data.clone());
        blocking(move || tree::write_atomic(&f, &d))
            .await
            .map_err(|e| wrap(e.into()))?;
        if replacing {
            self.replaced.fetch_add(1, Ordering::Relaxed);
        }
        self.record(path, version, |e| e.go_mod = h1);
        Ok(Arc::new(data))
    }

    /// Mirrors everything of path@version: `.info`, `.mod`, `.zip`.
    pub async fn module(&self, path: &str, version: &str) -> Result<(), Arc<MirrorError>> {
        self.go_mod(path, version).await?;
        self.info(path, version).await?;
        cell(&self.zips, path, version)
            .get_or_init(|| self.zip_uncached(path, version))
            .await
            .clone()
    }

    async fn info(&self, path: &str, version: &str) -> Result<(), Arc<MirrorError>> {
        let wrap = |k: MirrorErrorKind| Arc::new(MirrorError::new(path, version, k));
        let file = self
            .tree
            .module_file(path, version, "info")
            .map_err(|e| wrap(e.into()))?;
        if std::fs::read(&file)
            .ok()
            .and_then(|d| protocol::parse_info(&d).ok())
            .is_some_and(|i| i.version == version)
        {
            self.reused.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        let owned = version.to_owned();
        let info = self
            .router
            .try_proxies(path, &move |r: &dyn Repo| r.stat(owned.clone()))
            .await
            .map_err(|e| wrap(e.into()))?;
        self.fetched.fetch_add(1, Ordering::Relaxed);
        let data = protocol::cache_info_bytes(&info);
        blocking(move || tree::write_atomic(&file, &data))
            .await
            .map_err(|e| wrap(e.into()))
    }

    async fn zip_uncached(&self, path: &str, version: &str) -> Shared<()> {
        let wrap = |k: MirrorErrorKind| Arc::new(MirrorError::new(path, version, k));
        let file = self
            .tree
            .module_file(path, version, "zip")
            .map_err(|e| wrap(e.into()))?;
        let mut replacing = false;
        if let Ok(meta) = std::fs::metadata(&file) {
            // Vouched for by the previous manifest (same h1 recorded, same
            // size and mtime): not hashed again.
            let rel = self.tree.rel(&file);
            let prev_zip = self
                .previous_entry(path, version)
                .and_then(|e| e.zip.clone());
            let same_file = self
                .previous
                .as_ref()
                .and_then(|m| m.files.get(&rel))
                .is_some_and(|f| {
                    f.size == meta.len()
                        && meta
                            .modified()
                            .ok()
                            .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
                            .is_some_and(|d| u64::try_from(d.as_nanos()).ok() == Some(f.mtime_ns))
                });
            if let (Some(h1), true) = (prev_zip, same_file) {
                self.reused.fetch_add(1, Ordering::Relaxed);
                self.record(path, version, |e| e.zip = Some(h1));
                return Ok(());
            }
            let f = file.clone();
            if let Ok(h1) = blocking(move || dirhash::hash_zip(&f)).await
                && self.check(path, version, &h1).await.is_ok()
                && (self.covered(path)
                    || self
                        .previous_entry(path, version)
                        .and_then(|e| e.zip.as_deref())
                        == Some(h1.as_str()))
            {
                self.reused.fetch_add(1, Ordering::Relaxed);
                self.record(path, version, |e| e.zip = Some(h1));
                return Ok(());
            }
            replacing = true;
        }
        let (std_file, tmp) = {
            let f = file.clone();
            blocking(move || tree::temp_beside(&f))
                .await
                .map_err(|e| wrap(e.into()))?
        };
        let result = self
            .fetch_zip_into(path, version, tokio::fs::File::from_std(std_file), &tmp)
            .await;
        let result = match result {
            Ok(()) => {
                // The zip rules the go command applies when it extracts
                // (entry prefixes, names, sizes): a zip it would refuse is
                // not mirrored, checksum database or not.
                let (t, p, v) = (tmp.clone(), path.to_owned(), version.to_owned());
                let rules = blocking(move || {
                    zipcheck::check_zip(&p, &v, &t).and_then(|checked| checked.err())
                })
                .await;
                let t = tmp.clone();
                match rules.map_err(|e| wrap(MirrorErrorKind::Zip(Box::new(e)))) {
                    Err(e) => Err(e),
                    Ok(()) => match blocking(move || dirhash::hash_zip(&t)).await {
                        Ok(h1) => match self.check(path, version, &h1).await {
                            Ok(()) => {
                                let (t, f) = (tmp.clone(), file.clone());
                                blocking(move || tree::commit(&t, &f))
                                    .await
                                    .map(|()| h1)
                                    .map_err(|e| wrap(e.into()))
                            }
                            Err(e) => Err(e),
                        },
                        Err(e) => Err(wrap(e.into())),
                    },
                }
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(h1) => {
                self.fetched.fetch_add(1, Ordering::Relaxed);
                if replacing {
                    self.replaced.fetch_add(1, Ordering::Relaxed);
                }
                self.record(path, version, |e| e.zip = Some(h1));
                Ok(())
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    /// Walks the GOPROXY list streaming the zip into `file` (rewound before
    /// each entry), as `fetch` does.
    async fn fetch_zip_into(
        &self,
        path: &str,
        version: &str,
        mut file: tokio::fs::File,
        tmp: &Path,
    ) -> Shared<()> {
        use tokio::io::{AsyncSeekExt, AsyncWriteExt};
        let wrap = |k: MirrorErrorKind| Arc::new(MirrorError::new(path, version, k));
        let mut walk = Walk::default();
        let candidates = self.router.candidates(path).map_err(|e| wrap(e.into()))?;
        let mut ok = false;
        for (candidate, fall_back_on_error, kind) in candidates {
            let err = match candidate {
                Candidate::Fail(e) => e,
                Candidate::Repo(repo) => {
                    let _ = file.set_len(0).await;
                    let _ = file.seek(std::io::SeekFrom::Start(0)).await;
                    match repo.zip(version, &mut file, tmp, &|_| {}).await {
                        Ok(_) => {
                            ok = true;
                            break;
                        }
                        Err(e) => e,
                    }
                }
            };
            if !walk.record(err, kind, fall_back_on_error) {
                break;
            }
        }
        if !ok {
            return Err(wrap(walk.finish().into()));
        }
        file.flush().await.map_err(|source| {
            wrap(
                TreeIoError {
                    op: "write",
                    path: tmp.to_path_buf(),
                    source,
                }
                .into(),
            )
        })?;
        Ok(())
    }

    /// Lookups of every module the tree will list (this run's and the
    /// previous manifest's), read from the tree or fetched.
    async fn all_lookups(&self, keys: &BTreeSet<Key>) -> Result<Vec<Lookup>, ProofError> {
        let mut out = Vec::new();
        for (path, version) in keys {
            if !self.covered(path) {
                continue;
            }
            match self.lookup(path, version).await {
                Ok(l) => out.push((*l).clone()),
                Err(e) => {
                    if let MirrorErrorKind::Lookup(_) = &e.kind {
                        // Fetch again (the tree's copy may be damaged).
                        if let Some(s) = &self.sumdb {
                            out.push(s.lookup_remote(path, version).await?);
                            continue;
                        }
                    }
                    return Err(ProofError::Missing {
                        what: format!("{path}@{version}: {e}"),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Proves, rewrites `list` files, writes the manifest; returns it.
    pub async fn finish(&self) -> Result<Manifest, FinishError> {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(prev) = &self.previous {
            for m in &prev.modules {
                entries
                    .entry((m.path.clone(), m.version.clone()))
                    .or_insert_with(|| m.clone());
            }
        }
        // Only modules whose .mod is in the tree (a failed run leaves none).
        entries.retain(|(p, v), _| self.tree.module_file(p, v, "mod").is_ok_and(|f| f.exists()));
        let keys: BTreeSet<Key> = entries.keys().cloned().collect();
        let mut sumdb_info = None;
        if let Some(sumdb) = &self.sumdb {
            let lookups = self.all_lookups(&keys).await?;
            let mut earlier: Vec<Tree> = Vec::new();
            let mut earlier_refs: BTreeSet<TreeRef> = BTreeSet::new();
            if let Some(prev) = self.previous.as_ref().and_then(|m| m.sumdb.as_ref())
                && prev.name == sumdb.name
            {
                for r in prev.earlier.iter().chain(std::iter::once(&TreeRef {
                    size: prev.tree_size,
                    hash: prev.tree_hash.clone(),
                })) {
                    if let Some(hash) = super::proofs::parse_hash(&r.hash) {
                        earlier.push(Tree { n: r.size, hash });
                        earlier_refs.insert(r.clone());
                    }
                }
            }
            if let Some(head) = sumdb.finish(&lookups, &earlier).await? {
                earlier_refs.retain(|r| r.size != head.tree.n);
                sumdb_info = Some(SumdbInfo {
                    name: sumdb.name.clone(),
                    key: sumdb.key.clone(),
                    tree_size: head.tree.n,
                    tree_hash: head.tree.hash.to_string(),
                    earlier: earlier_refs.into_iter().collect(),
                });
            }
        }
        let dirs: BTreeSet<PathBuf> = keys
            .iter()
            .filter_map(|(p, _)| self.tree.version_dir(p).ok())
            .collect();
        for dir in dirs {
            blocking(move || tree::rewrite_list(&dir)).await?;
        }
        let tree = self.tree.clone();
        let previous = self.previous.clone();
        let files = blocking(move || manifest::scan_files(&tree, previous.as_ref())).await?;
        let manifest = Manifest {
            format: manifest::FORMAT,
            sumdb: sumdb_info,
            modules: entries.into_values().collect(),
            files,
        };
        manifest.write(&self.tree.manifest_file())?;
        Ok(manifest)
    }
}

/// The end of a run failed: proofs, lists or the manifest.
#[derive(Debug, thiserror::Error)]
pub enum FinishError {
    #[error(transparent)]
    Proof(#[from] ProofError),
    #[error(transparent)]
    Io(#[from] TreeIoError),
}
