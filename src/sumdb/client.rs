//! Checksum-database lookups (x/mod sumdb/client.go `Client`; spec/integrity.md
//! §5.8-§5.10): fetch or read the cached lookup record, keep one timeline of
//! signed tree heads (`mergeLatest`, with a compare-and-swap of the stored
//! latest), authenticate the record and every tree through tiles, and report
//! a fork with Go's `SECURITY ERROR` text.
//!
//! All I/O goes through [`SumdbOps`] (x/mod `ClientOps`), implemented over
//! HTTP and the go command's on-disk caches in `sumdb::ops`, and by
//! in-memory fakes in tests. Pure apart from that trait: no tokio, no disk.
//!
//! Concurrency: lookups may run concurrently on one client. Each lookup
//! record and each tile is fetched at most once per client (concurrent
//! requests for the same key wait for the one in flight, as Go's `parCache`);
//! the in-memory latest tree is behind a std mutex that is never held across
//! an await.
//!
//! Prefetch ([`Client::prefetch`], not in x/mod): the GETs a lookup will
//! make (its record, then the tiles its proofs need) can be started early,
//! while the caller downloads the module, so that the lookup itself finds
//! them in flight or done. A prefetch only reads: it verifies, merges and
//! writes nothing (no cache file, no latest); the lookup does all of that
//! exactly as before, on the bytes the prefetch fetched.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::hash::Hash as StdHash;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::future::join_all;
use futures_util::lock::Mutex as AsyncMutex;

use super::note::{self, NoteError, Verifier, VerifierList};
use super::tlog::{self, Hash, Tile, TilePlan, TlogError, Tree};
use crate::module::path::{ModulePathError, escape_path, escape_version};

/// An error from a [`SumdbOps`] operation.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OpsError {
    /// `write_config` found content other than `old` (x/mod `ErrWriteConflict`).
    #[error("write conflict")]
    WriteConflict,
    /// Any other failure (network, HTTP status, disk), already worded for users.
    #[error(transparent)]
    Failed(Arc<dyn std::error::Error + Send + Sync>),
}

impl OpsError {
    /// Wraps any error.
    pub fn failed(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        OpsError::Failed(Arc::new(e))
    }
}

/// The client's access to the outside world (x/mod `ClientOps`).
///
/// Paths given to `read_remote` are relative to the database root and start
/// with `/` (`/lookup/...`, `/tile/...`). Config files are `key` and
/// `<name>/latest`; cache files are `<name>/lookup/...` and `<name>/tile/...`.
pub trait SumdbOps: Send + Sync {
    /// GETs a path from the database.
    fn read_remote(&self, path: &str) -> impl Future<Output = Result<Vec<u8>, OpsError>> + Send;
    /// Reads a config file; a missing `<name>/latest` must read as empty.
    fn read_config(&self, file: &str) -> impl Future<Output = Result<Vec<u8>, OpsError>> + Send;
    /// Replaces a config file's content `old` by `new`, atomically; fails
    /// with [`OpsError::WriteConflict`] if the content is no longer `old`.
    fn write_config(
        &self,
        file: &str,
        old: &[u8],
        new: &[u8],
    ) -> impl Future<Output = Result<(), OpsError>> + Send;
    /// Reads a cache file; `None` if absent (or unreadable).
    fn read_cache(&self, file: &str) -> impl Future<Output = Option<Vec<u8>>> + Send;
    /// Writes a cache file (best effort, errors ignored as Go does).
    fn write_cache(&self, file: &str, data: &[u8]) -> impl Future<Output = ()> + Send;
    /// Told the full text of a detected fork before the lookup fails with
    /// [`ClientError::Security`] (cmd/go prints it and exits).
    fn security_error(&self, msg: &str);
}

/// Why a lookup failed, worded as x/mod words it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// Initialisation (key, stored latest) failed.
    #[error("initializing sumdb.Client: {0}")]
    Init(Box<ClientError>),
    /// The configured verifier key is not valid.
    #[error(transparent)]
    Key(NoteError),
    /// An operation failed.
    #[error(transparent)]
    Ops(#[from] OpsError),
    /// The module path or version cannot be escaped.
    #[error(transparent)]
    Escape(#[from] ModulePathError),
    /// A malformed lookup response, or tiles that do not verify.
    #[error(transparent)]
    Tlog(#[from] TlogError),
    /// The tree note does not verify.
    #[error("reading tree note: {error}\nnote:\n{note}")]
    TreeNote {
        /// Why.
        error: NoteError,
        /// The note, as received.
        note: String,
    },
    /// The verified note is not a tree.
    #[error("reading tree: {error}\ntree:\n{text}")]
    Tree {
        /// Why.
        error: TlogError,
        /// The note text.
        text: String,
    },
    /// Tiles needed to compare two trees could not be read or authenticated.
    #[error("checking tree#{old}{}: {error}", if old == new { String::new() } else { format!(" against tree#{new}") })]
    CheckingTree {
        /// Size of the older tree.
        old: i64,
        /// Size of the newer tree.
        new: i64,
        /// Why.
        error: Box<ClientError>,
    },
    /// The record id is not in the latest tree.
    #[error("cannot validate record {id} in tree of size {n}")]
    CannotValidate {
        /// Record id.
        id: i64,
        /// Tree size.
        n: i64,
    },
    /// The record's hash is not the leaf hash in the tree.
    #[error("cannot authenticate record data in server response")]
    CannotAuthenticate,
    /// Proof that the server forked its log (x/mod `ErrSecurity`); the
    /// message is Go's `SECURITY ERROR` text with both notes and the proof.
    #[error("security error: misbehaving server")]
    Security(Arc<str>),
    /// The path is listed in GONOSUMDB (x/mod `ErrGONOSUMDB`).
    #[error("skipped (listed in GONOSUMDB)")]
    Gonosumdb,
}

/// A failed lookup of path@vers (`<path>@<vers>: <error>`).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{path}@{version}: {error}")]
pub struct LookupError {
    /// Module path.
    pub path: String,
    /// Version as asked (may end in `/go.mod`).
    pub version: String,
    /// Why.
    #[source]
    pub error: ClientError,
}

impl LookupError {
    /// The `SECURITY ERROR` text when this failure proves a fork.
    pub fn security_message(&self) -> Option<&str> {
        match &self.error {
            ClientError::Security(msg) => Some(msg),
            ClientError::Init(inner) => match inner.as_ref() {
                ClientError::Security(msg) => Some(msg),
                _ => None,
            },
            _ => None,
        }
    }
}

/// A map of once-computed values: concurrent callers for one key share one
/// computation (Go's `par.Cache`). Only callers for the same key wait.
struct OnceMap<K, V> {
    cells: Mutex<HashMap<K, Arc<AsyncMutex<Option<V>>>>>,
}

impl<K: Eq + StdHash + Clone, V: Clone> OnceMap<K, V> {
    fn new() -> Self {
        Self {
            cells: Mutex::new(HashMap::new()),
        }
    }

    async fn get_or_run<F, Fut>(&self, key: &K, f: F) -> V
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
            cells.entry(key.clone()).or_default().clone()
        };
        let mut slot = cell.lock().await;
        if let Some(v) = slot.as_ref() {
            return v.clone();
        }
        let v = f().await;
        *slot = Some(v.clone());
        v
    }
}

/// What initialisation establishes.
struct Init {
    name: String,
    verifiers: VerifierList,
}

/// The latest known tree and its signed note.
#[derive(Clone, Default)]
struct Latest {
    tree: Tree,
    msg: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum When {
    Past,
    Now,
    Future,
}

/// A checksum-database client (x/mod `sumdb.Client`).
pub struct Client<O> {
    ops: O,
    tile_height: i32,
    nosumdb: String,
    init: AsyncMutex<Option<Result<Arc<Init>, ClientError>>>,
    records: OnceMap<String, Result<Arc<Vec<u8>>, ClientError>>,
    tiles: OnceMap<Tile, Result<Arc<Vec<u8>>, ClientError>>,
    /// Raw remote reads by path, each made at most once per client: shared
    /// between a prefetch and the lookup that uses its result.
    remote: OnceMap<String, Result<Arc<Vec<u8>>, OpsError>>,
    latest: Mutex<Latest>,
    tile_saved: Mutex<HashSet<Tile>>,
}

impl<O: SumdbOps> Client<O> {
    /// A client with Go's tile height (8) and no GONOSUMDB patterns.
    pub fn new(ops: O) -> Self {
        Self {
            ops,
            tile_height: 8,
            nosumdb: String::new(),
            init: AsyncMutex::new(None),
            records: OnceMap::new(),
            tiles: OnceMap::new(),
            remote: OnceMap::new(),
            latest: Mutex::new(Latest {
                tree: Tree {
                    n: 0,
                    hash: tlog::empty_tree_hash(),
                },
                msg: Vec::new(),
            }),
            tile_saved: Mutex::new(HashSet::new()),
        }
    }

    /// Sets the tile height (x/mod `SetTileHeight`; the go command never
    /// changes it from 8). Values outside 1..=30 are ignored.
    pub fn with_tile_height(mut self, height: i32) -> Self {
        if (1..=30).contains(&height) {
            self.tile_height = height;
        }
        self
    }

    /// Sets GONOSUMDB-style patterns whose modules are skipped
    /// (x/mod `SetGONOSUMDB`; cmd/go filters before calling the client).
    pub fn with_gonosumdb(mut self, patterns: &str) -> Self {
        self.nosumdb = patterns.to_owned();
        self
    }

    /// The operations this client uses.
    pub fn ops(&self) -> &O {
        &self.ops
    }

    /// The latest verified signed tree note (empty before any).
    pub fn latest_note(&self) -> Vec<u8> {
        self.latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .msg
            .clone()
    }

    fn latest(&self) -> Latest {
        self.latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Returns the go.sum lines for path@vers (vers may end in `/go.mod`)
    /// from the database, after authenticating them (x/mod `Client.Lookup`).
    pub async fn lookup(&self, path: &str, vers: &str) -> Result<Vec<String>, LookupError> {
        let wrap = |error| LookupError {
            path: path.to_owned(),
            version: vers.to_owned(),
            error,
        };
        if !self.nosumdb.is_empty()
            && crate::module::pattern::match_prefix_patterns(&self.nosumdb, path)
        {
            return Err(wrap(ClientError::Gonosumdb));
        }
        let data = self.lookup_record(path, vers).await.map_err(wrap)?;
        let prefix = format!("{path} {vers} ");
        let text = String::from_utf8_lossy(&data);
        Ok(text
            .split('\n')
            .filter(|line| line.starts_with(&prefix))
            .map(str::to_owned)
            .collect())
    }

    async fn lookup_record(&self, path: &str, vers: &str) -> Result<Arc<Vec<u8>>, ClientError> {
        let init = self.init().await?;
        let epath = escape_path(path)?;
        let evers = escape_version(vers.strip_suffix("/go.mod").unwrap_or(vers))?;
        let remote_path = format!("/lookup/{epath}@{evers}");
        let file = format!("{}{remote_path}", init.name);
        self.records
            .get_or_run(&file, || async {
                let (data, write_cache) = match self.ops.read_cache(&file).await {
                    Some(data) => (data, false),
                    None => (self.read_remote(&remote_path).await?.to_vec(), true),
                };
                let (id, text, tree_msg) = tlog::parse_record(&data)?;
                self.merge_latest(&init, tree_msg).await?;
                self.check_record(&init, id, text).await?;
                // Only validated data reaches the cache.
                if write_cache {
                    self.ops.write_cache(&file, &data).await;
                }
                Ok(Arc::new(data))
            })
            .await
    }

    /// A remote read, shared with any prefetch of the same path.
    async fn read_remote(&self, path: &str) -> Result<Arc<Vec<u8>>, OpsError> {
        self.remote
            .get_or_run(&path.to_owned(), || async {
                self.ops.read_remote(path).await.map(Arc::new)
            })
            .await
    }

    /// Starts, and waits for, the remote reads a [`Client::lookup`] of
    /// path@vers will need: the record (unless cached on disk), then the
    /// tiles that prove it and its tree against the latest tree known now
    /// (unless cached). Reads only: nothing is verified, merged or written
    /// here, and failures are left for the lookup to meet and report.
    pub async fn prefetch(&self, path: &str, vers: &str) {
        if !self.nosumdb.is_empty()
            && crate::module::pattern::match_prefix_patterns(&self.nosumdb, path)
        {
            return;
        }
        let Ok(init) = self.init().await else {
            return;
        };
        let (Ok(epath), Ok(evers)) = (
            escape_path(path),
            escape_version(vers.strip_suffix("/go.mod").unwrap_or(vers)),
        ) else {
            return;
        };
        let remote_path = format!("/lookup/{epath}@{evers}");
        let file = format!("{}{remote_path}", init.name);
        let data = match self.ops.read_cache(&file).await {
            Some(data) => Arc::new(data),
            None => match self.read_remote(&remote_path).await {
                Ok(data) => data,
                Err(_) => return,
            },
        };
        // The tiles: planned from the record's tree head (its signature
        // checked, so a bad note costs no requests), as the lookup will
        // plan them if the latest tree has not moved meanwhile.
        let Ok((id, _, tree_msg)) = tlog::parse_record(&data) else {
            return;
        };
        let Ok(opened) = note::open(tree_msg, &init.verifiers) else {
            return;
        };
        let Ok(tree) = tlog::parse_tree(opened.text.as_bytes()) else {
            return;
        };
        let latest = self.latest().tree;
        let (newer, older) = if tree.n >= latest.n {
            (tree, latest)
        } else {
            (latest, tree)
        };
        let mut indexes = Vec::new();
        if id >= 0 && id < newer.n {
            indexes.push(tlog::stored_hash_index(0, id));
        }
        if older.n > 0 && older.n < newer.n {
            indexes.extend(tlog::sub_tree_index(0, older.n));
        }
        let Ok(plan) = TilePlan::new(self.tile_height, newer, &indexes) else {
            return;
        };
        join_all(plan.tiles.iter().map(|t| self.prefetch_tile(&init, *t))).await;
    }

    /// Reads a tile's bytes into the shared remote reads unless the disk
    /// cache holds it (or its full tile), as [`Client::read_tile`] looks.
    async fn prefetch_tile(&self, init: &Init, tile: Tile) {
        let key = |t: &Tile| format!("{}/{}", init.name, t.path());
        if self.ops.read_cache(&key(&tile)).await.is_some() {
            return;
        }
        let full = Tile {
            w: 1 << tile.h,
            ..tile
        };
        if tile != full && self.ops.read_cache(&key(&full)).await.is_some() {
            return;
        }
        let _ = self.read_remote(&format!("/{}", tile.path())).await;
    }

    async fn init(&self) -> Result<Arc<Init>, ClientError> {
        let mut slot = self.init.lock().await;
        if let Some(result) = slot.as_ref() {
            return result.clone();
        }
        let result = self
            .init_work()
            .await
            .map_err(|e| ClientError::Init(Box::new(e)));
        *slot = Some(result.clone());
        result
    }

    async fn init_work(&self) -> Result<Arc<Init>, ClientError> {
        let vkey = self.ops.read_config("key").await?;
        let vkey = String::from_utf8_lossy(&vkey);
        let verifier = Verifier::new(vkey.trim()).map_err(ClientError::Key)?;
        let init = Arc::new(Init {
            name: verifier.name().to_owned(),
            verifiers: VerifierList::new([verifier]),
        });
        let data = self
            .ops
            .read_config(&format!("{}/latest", init.name))
            .await?;
        self.merge_latest(&init, &data).await?;
        Ok(init)
    }

    /// Merges a signed tree note into the latest tree, and persists it if
    /// it moved forward (x/mod `mergeLatest`).
    async fn merge_latest(&self, init: &Init, msg: &[u8]) -> Result<(), ClientError> {
        if self.merge_latest_mem(init, msg).await? != When::Future {
            return Ok(());
        }
        // The in-memory latest moved forward: write it to the config, unless
        // the stored one is newer (then merge that in instead). Compare-and-
        // swap, so the stored latest only ever moves forward.
        let file = format!("{}/latest", init.name);
        loop {
            let stored = self.ops.read_config(&file).await?;
            if self.merge_latest_mem(init, &stored).await? != When::Past {
                return Ok(());
            }
            let ours = self.latest().msg;
            match self.ops.write_config(&file, &stored, &ours).await {
                Err(OpsError::WriteConflict) => continue,
                other => return other.map_err(ClientError::from),
            }
        }
    }

    /// Merges a signed tree note into the in-memory latest tree
    /// (x/mod `mergeLatestMem`).
    async fn merge_latest_mem(&self, init: &Init, msg: &[u8]) -> Result<When, ClientError> {
        if msg.is_empty() {
            // Accept the empty message as the initial tree.
            return Ok(if self.latest().tree.n == 0 {
                When::Now
            } else {
                When::Past
            });
        }
        let opened = note::open(msg, &init.verifiers).map_err(|error| ClientError::TreeNote {
            error,
            note: String::from_utf8_lossy(msg).into_owned(),
        })?;
        let tree = tlog::parse_tree(opened.text.as_bytes()).map_err(|error| ClientError::Tree {
            error,
            text: opened.text.clone(),
        })?;
        let mut latest = self.latest();
        loop {
            if tree.n <= latest.tree.n {
                self.check_trees(init, tree, msg, latest.tree, &latest.msg)
                    .await?;
                return Ok(if tree.n < latest.tree.n {
                    When::Past
                } else {
                    When::Now
                });
            }
            self.check_trees(init, latest.tree, &latest.msg, tree, msg)
                .await?;
            // Install, unless another lookup moved latest meanwhile; then
            // check against that one.
            let mut guard = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
            if guard.tree == latest.tree {
                guard.tree = tree;
                guard.msg = msg.to_vec();
                return Ok(When::Future);
            }
            latest = guard.clone();
        }
    }

    /// Checks that `older` is a prefix of `newer`, by recomputing older's
    /// hash from tiles authenticated against newer (x/mod `checkTrees`).
    async fn check_trees(
        &self,
        init: &Init,
        older: Tree,
        older_note: &[u8],
        newer: Tree,
        newer_note: &[u8],
    ) -> Result<(), ClientError> {
        let h = match self.tree_hash(init, older.n, newer).await {
            Ok(h) => h,
            Err(error) => {
                return Err(ClientError::CheckingTree {
                    old: older.n,
                    new: newer.n,
                    error: Box::new(error),
                });
            }
        };
        if h == older.hash {
            return Ok(());
        }
        // The tiles authenticate against newer but disagree with older:
        // the server has signed two inconsistent trees.
        let mut buf =
            String::from("SECURITY ERROR\ngo.sum database server misbehavior detected!\n\n");
        let indent = |b: &[u8]| String::from_utf8_lossy(b).replace('\n', "\n\t");
        buf.push_str(&format!("old database:\n\t{}\n", indent(older_note)));
        buf.push_str(&format!("new database:\n\t{}\n", indent(newer_note)));
        buf.push_str(&format!("proof of misbehavior:\n\t{h}"));
        match self.prove_tree(init, newer, older.n).await {
            Err(e) => buf.push_str(&format!("\tinternal error: {e}\n")),
            Ok(p) => match tlog::check_tree(&p, newer.n, newer.hash, older.n, h) {
                Err(_) => buf.push_str("\tinternal error: generated inconsistent proof\n"),
                Ok(()) => {
                    for h in p {
                        buf.push_str(&format!("\n\t{h}"));
                    }
                }
            },
        }
        self.ops.security_error(&buf);
        Err(ClientError::Security(buf.into()))
    }

    /// Checks that record `id` with text `data` is in the latest tree
    /// (x/mod `checkRecord`).
    async fn check_record(&self, init: &Init, id: i64, data: &[u8]) -> Result<(), ClientError> {
        let latest = self.latest().tree;
        if id >= latest.n {
            return Err(ClientError::CannotValidate { id, n: latest.n });
        }
        let hashes = self
            .read_hashes(init, latest, &[tlog::stored_hash_index(0, id)])
            .await?;
        if hashes.first() == Some(&tlog::record_hash(data)) {
            Ok(())
        } else {
            Err(ClientError::CannotAuthenticate)
        }
    }

    /// The hash of the first n records, read from tiles of `tree`.
    async fn tree_hash(&self, init: &Init, n: i64, tree: Tree) -> Result<Hash, ClientError> {
        if n == 0 {
            return Ok(tlog::empty_tree_hash());
        }
        let hashes = self
            .read_hashes(init, tree, &tlog::sub_tree_index(0, n))
            .await?;
        Ok(tlog::tree_hash_from(n, &hashes)?)
    }

    /// The consistency proof from n to `tree`, read from tiles of `tree`.
    async fn prove_tree(&self, init: &Init, tree: Tree, n: i64) -> Result<Vec<Hash>, ClientError> {
        let indexes = tlog::tree_proof_indexes(tree.n, n)?;
        if indexes.is_empty() {
            return Ok(Vec::new());
        }
        let hashes = self.read_hashes(init, tree, &indexes).await?;
        Ok(tlog::tree_proof_from(tree.n, n, &hashes)?)
    }

    /// Authenticated hash reading (x/mod `TileHashReader(tree, tileReader)`):
    /// fetch the planned tiles in parallel, verify them against the tree,
    /// then save them to the cache.
    async fn read_hashes(
        &self,
        init: &Init,
        tree: Tree,
        indexes: &[i64],
    ) -> Result<Vec<Hash>, ClientError> {
        let plan = TilePlan::new(self.tile_height, tree, indexes)?;
        let results = join_all(plan.tiles.iter().map(|t| self.read_tile(init, *t))).await;
        let mut data = Vec::with_capacity(results.len());
        for r in results {
            data.push(r?.as_ref().clone());
        }
        let hashes = plan.verify(&data)?;
        self.save_tiles(init, &plan.tiles, &data).await;
        Ok(hashes)
    }

    /// Reads a tile: cached exact tile, else cached full tile truncated,
    /// else the remote tile, else the remote full tile truncated
    /// (x/mod `Client.readTile`).
    async fn read_tile(&self, init: &Init, tile: Tile) -> Result<Arc<Vec<u8>>, ClientError> {
        self.tiles
            .get_or_run(&tile, || async {
                let key = |t: &Tile| format!("{}/{}", init.name, t.path());
                if let Some(data) = self.ops.read_cache(&key(&tile)).await {
                    self.mark_tile_saved(tile);
                    return Ok(Arc::new(data));
                }
                let full = Tile {
                    w: 1 << tile.h,
                    ..tile
                };
                let truncate = |mut data: Vec<u8>| {
                    let keep = data.len() / full.w as usize * tile.w as usize;
                    data.truncate(keep);
                    data
                };
                if tile != full {
                    if let Some(data) = self.ops.read_cache(&key(&full)).await {
                        // Do not save the partial tile later: the full one is cached.
                        self.mark_tile_saved(tile);
                        return Ok(Arc::new(truncate(data)));
                    }
                }
                let err = match self.read_remote(&format!("/{}", tile.path())).await {
                    Ok(data) => return Ok(data),
                    Err(e) => e,
                };
                if tile != full {
                    // The partial tile may be gone once the full one exists.
                    if let Ok(data) = self.read_remote(&format!("/{}", full.path())).await {
                        return Ok(Arc::new(truncate(data.to_vec())));
                    }
                }
                Err(ClientError::Ops(err))
            })
            .await
    }

    fn mark_tile_saved(&self, tile: Tile) {
        self.tile_saved
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(tile);
    }

    /// Writes authenticated tiles not yet cached (x/mod `tileReader.SaveTiles`).
    async fn save_tiles(&self, init: &Init, tiles: &[Tile], data: &[Vec<u8>]) {
        let save: Vec<bool> = {
            let mut saved = self
                .tile_saved
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            tiles.iter().map(|t| saved.insert(*t)).collect()
        };
        for ((tile, d), save) in tiles.iter().zip(data).zip(save) {
            if save {
                self.ops
                    .write_cache(&format!("{}/{}", init.name, tile.path()), d)
                    .await;
            }
        }
    }
}
