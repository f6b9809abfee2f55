//! The checksum-database subtree of a mirror (`DIR/sumdb/<name>/`): what a
//! proxy must serve so that the go command, with `GOPROXY=file://DIR` (or
//! the tree served) and `GOSUMDB=<name>+<key>`, verifies every module with
//! no other network (spec/fetch-protocol.md §5.2; integrity.md §5.2,
//! §5.7-§5.12).
//!
//! Design: **one tree head for the whole mirror.** A lookup response is the
//! record (`id`, go.sum lines) followed by *any* signed tree note whose tree
//! contains the record; the signature covers only the note. The mirror
//! therefore stores every lookup with the newest head it has seen (`latest`),
//! so a client meets exactly one tree and asks only for that tree's tiles:
//! the right-edge tiles (partial widths of that size), and the tile holding
//! each record's leaf with its parents (x/mod `TileHashReader` plans, which
//! [`TilePlan`] reproduces). Older heads this mirror published before (kept
//! in the manifest) are proven consistent with the new one, and the tiles
//! that proof reads are stored too, so a client whose stored latest is an
//! older head of this mirror moves forward offline (integrity.md §5.9).
//!
//! Everything stored is authenticated first: notes with the database key,
//! tiles against the signed head, each record against its leaf hash. A head
//! that does not verify with the key, or two heads that disagree, is an
//! error and nothing is replaced.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::module::path::{escape_path, escape_version};
use crate::net::client::{Client, HttpError};
use crate::sumdb::note::{self, NoteError, Verifier, VerifierList};
use crate::sumdb::ops::HttpOps;
use crate::sumdb::tlog::{self, Hash, Tile, TilePlan, TlogError, Tree};

use super::tree::{TreeIoError, write_atomic, write_if_changed};

/// Go's client tile height (x/mod sumdb `Client` default; cmd/go never changes it).
pub const TILE_HEIGHT: i32 = 8;

/// Largest body accepted from the database (lookups and tiles are small).
const MAX_BODY: u64 = 1 << 20;

/// A verified signed tree head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The tree it names.
    pub tree: Tree,
    /// The signed note, as received.
    pub note: Vec<u8>,
}

/// One module version's record, its note verified (its inclusion is
/// proven later, by [`SumdbMirror::finish`]).
#[derive(Debug, Clone)]
pub struct Lookup {
    /// Module path.
    pub path: String,
    /// Version.
    pub version: String,
    /// Record id (leaf index).
    pub id: i64,
    /// Record text (go.sum lines).
    pub text: Vec<u8>,
    /// The head the lookup came with.
    pub head: Head,
    /// Whether it was fetched in this run (not read from the tree).
    pub fetched: bool,
}

impl Lookup {
    /// The go.sum lines for `version` (plain or `/go.mod`), as x/mod returns them.
    pub fn lines(&self, version: &str) -> Vec<String> {
        let prefix = format!("{} {version} ", self.path);
        String::from_utf8_lossy(&self.text)
            .split('\n')
            .filter(|l| l.starts_with(&prefix))
            .map(str::to_owned)
            .collect()
    }
}

/// Why the checksum-database part failed.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// The database (or the proxy serving it) failed.
    #[error(transparent)]
    Remote(Box<HttpError>),
    /// No route to the database.
    #[error(transparent)]
    Route(Box<crate::sumdb::client::OpsError>),
    /// A database URL that does not parse.
    #[error("Invalid checksum-database URL `{url}`: {reason}")]
    BadUrl { url: String, reason: String },
    /// Something is missing from the tree and there is no database to ask.
    #[error("`{what}` is not in the mirror tree")]
    Missing { what: String },
    /// A module path or version that cannot be escaped.
    #[error(transparent)]
    Path(#[from] crate::module::path::ModulePathError),
    /// A note that does not verify with the configured key.
    #[error(
        "Tree head from `{from}` does not verify with key `{key}` (a tree head from a different log?): {error}"
    )]
    Note {
        /// Where the note came from.
        from: String,
        /// The key.
        key: String,
        /// Why.
        #[source]
        error: NoteError,
    },
    /// A note that is not a tree, or a malformed lookup body.
    #[error("Malformed checksum-database data from `{from}`: {error}")]
    Malformed {
        /// Where it came from.
        from: String,
        /// Why.
        #[source]
        error: TlogError,
    },
    /// A record not covered by the head.
    #[error("{path}@{version}: cannot validate record {id} in tree of size {n}")]
    NotInTree {
        path: String,
        version: String,
        id: i64,
        n: i64,
    },
    /// A record whose hash is not the leaf in the tree.
    #[error("{path}@{version}: cannot authenticate record data in server response")]
    CannotAuthenticate { path: String, version: String },
    /// Tiles that do not hash to the signed head.
    #[error("Tiles of tree#{n} do not verify: {error}")]
    Tiles {
        n: i64,
        #[source]
        error: TlogError,
    },
    /// Two heads that cannot both be true: a forked log, or another log.
    #[error(
        "SECURITY ERROR\ngo.sum database server misbehavior detected!\n\nold database:\n\t{}\nnew database:\n\t{}",
        indent(old),
        indent(new)
    )]
    Fork { old: String, new: String },
    /// A file of the tree.
    #[error(transparent)]
    Io(#[from] TreeIoError),
}

fn indent(note: &str) -> String {
    note.trim_end_matches('\n').replace('\n', "\n\t")
}

/// Where the database is read from: the route the go command would take
/// (GOSUMDB's URL, else the first GOPROXY entry answering
/// `sumdb/<name>/supported`, else the database host; `sumdb::ops`),
/// decided on the first read only, so a run that finds everything in the
/// tree makes no request at all.
#[derive(Clone)]
pub struct Remote {
    /// The HTTP (and file://) client.
    pub client: Client,
    /// Routing, as the go command's checksum-database client does it.
    pub ops: Arc<HttpOps>,
}

impl Remote {
    async fn get(&self, rel: &str) -> Result<Vec<u8>, ProofError> {
        let base = self
            .ops
            .base()
            .await
            .map_err(|e| ProofError::Route(Box::new(e)))?;
        let url = format!("{}/{rel}", base.as_str().trim_end_matches('/'));
        let url = url::Url::parse(&url).map_err(|e| ProofError::BadUrl {
            url: url.clone(),
            reason: e.to_string(),
        })?;
        self.client
            .get_bytes(&url, MAX_BODY)
            .await
            .map_err(|e| ProofError::Remote(Box::new(e)))
    }

    async fn describe(&self, rel: &str) -> String {
        match self.ops.base().await {
            Ok(base) => format!("{}/{rel}", base.as_str().trim_end_matches('/')),
            Err(_) => rel.to_owned(),
        }
    }
}

/// The checksum-database subtree of one mirror.
pub struct SumdbMirror {
    /// Database name.
    pub name: String,
    /// Verifier key.
    pub key: String,
    verifiers: VerifierList,
    dir: PathBuf,
    remote: Option<Remote>,
}

impl SumdbMirror {
    /// The subtree `dir` (`DIR/sumdb/<name>`) for the database with
    /// verifier key `key`, reading what is missing from `remote`.
    pub fn new(key: &str, dir: PathBuf, remote: Option<Remote>) -> Result<Self, NoteError> {
        let verifier = Verifier::new(key)?;
        Ok(Self {
            name: verifier.name().to_owned(),
            key: key.to_owned(),
            verifiers: VerifierList::new([verifier]),
            dir,
            remote,
        })
    }

    /// The subtree's directory.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Opens a signed tree note with the key.
    pub fn open_head(&self, note_bytes: &[u8], from: &str) -> Result<Head, ProofError> {
        let opened = note::open(note_bytes, &self.verifiers).map_err(|error| ProofError::Note {
            from: from.to_owned(),
            key: self.key.clone(),
            error,
        })?;
        let tree =
            tlog::parse_tree(opened.text.as_bytes()).map_err(|error| ProofError::Malformed {
                from: from.to_owned(),
                error,
            })?;
        Ok(Head {
            tree,
            note: note_bytes.to_vec(),
        })
    }

    /// The head stored in the tree (`latest`), if any. A stored head that
    /// does not verify is an error: it may belong to another log.
    pub fn stored_latest(&self) -> Result<Option<Head>, ProofError> {
        let file = self.dir.join("latest");
        match std::fs::read(&file) {
            Ok(data) if !data.is_empty() => {
                self.open_head(&data, &file.display().to_string()).map(Some)
            }
            _ => Ok(None),
        }
    }

    fn lookup_rel(path: &str, version: &str) -> Result<String, ProofError> {
        Ok(format!(
            "lookup/{}@{}",
            escape_path(path)?,
            escape_version(version)?
        ))
    }

    /// The lookup file of path@version in the tree.
    pub fn lookup_file(&self, path: &str, version: &str) -> Result<PathBuf, ProofError> {
        let rel = Self::lookup_rel(path, version)?;
        Ok(rel.split('/').fold(self.dir.clone(), |d, p| d.join(p)))
    }

    fn parse_lookup(
        &self,
        path: &str,
        version: &str,
        body: &[u8],
        from: &str,
        fetched: bool,
    ) -> Result<Lookup, ProofError> {
        let (id, text, note_bytes) =
            tlog::parse_record(body).map_err(|error| ProofError::Malformed {
                from: from.to_owned(),
                error,
            })?;
        let head = self.open_head(note_bytes, from)?;
        Ok(Lookup {
            path: path.to_owned(),
            version: version.to_owned(),
            id,
            text: text.to_vec(),
            head,
            fetched,
        })
    }

    /// The record of path@version: from the tree when a stored lookup
    /// parses and its note verifies, else from the database.
    pub async fn lookup(&self, path: &str, version: &str) -> Result<Lookup, ProofError> {
        let file = self.lookup_file(path, version)?;
        if let Ok(body) = std::fs::read(&file)
            && let Ok(l) =
                self.parse_lookup(path, version, &body, &file.display().to_string(), false)
        {
            return Ok(l);
        }
        self.lookup_remote(path, version).await
    }

    /// The record of path@version, always from the database.
    pub async fn lookup_remote(&self, path: &str, version: &str) -> Result<Lookup, ProofError> {
        let rel = Self::lookup_rel(path, version)?;
        let Some(remote) = &self.remote else {
            return Err(ProofError::Missing { what: rel });
        };
        let body = remote.get(&rel).await?;
        let from = remote.describe(&rel).await;
        self.parse_lookup(path, version, &body, &from, true)
    }

    async fn read_tile(&self, tile: &Tile, local_ok: bool) -> Result<(Vec<u8>, bool), ProofError> {
        let want = (tile.w as usize) * tlog::HASH_SIZE;
        let rel = tile.path();
        if local_ok {
            let file = rel.split('/').fold(self.dir.clone(), |d, p| d.join(p));
            if let Ok(data) = std::fs::read(&file)
                && data.len() == want
            {
                return Ok((data, false));
            }
        }
        let Some(remote) = &self.remote else {
            return Err(ProofError::Missing { what: rel });
        };
        // x/mod Client.readTile: the tile as asked, else the full tile
        // truncated (a partial tile may be gone once the log grew).
        match remote.get(&rel).await {
            Ok(data) => Ok((data, true)),
            Err(err) if !tile.is_full() => {
                let full = Tile {
                    w: 1 << tile.h,
                    ..*tile
                };
                match remote.get(&full.path()).await {
                    Ok(mut data) if data.len() >= want => {
                        data.truncate(want);
                        Ok((data, true))
                    }
                    _ => Err(err),
                }
            }
            Err(err) => Err(err),
        }
    }

    async fn read_plan(
        &self,
        plan: &TilePlan,
        local_ok: bool,
    ) -> Result<(Vec<Vec<u8>>, Vec<bool>), ProofError> {
        let reads = plan.tiles.iter().map(|t| self.read_tile(t, local_ok));
        let results = futures_util::future::join_all(reads).await;
        let mut data = Vec::with_capacity(results.len());
        let mut fetched = Vec::with_capacity(results.len());
        for r in results {
            let (d, f) = r?;
            data.push(d);
            fetched.push(f);
        }
        Ok((data, fetched))
    }

    /// Proves every lookup and every earlier head against one final head
    /// (the newest of the lookups' heads and the stored `latest`), reading
    /// tiles from the tree first and from the database when missing or
    /// damaged. Stores nothing. `None` when there is nothing to prove.
    pub async fn prove(
        &self,
        lookups: &[Lookup],
        earlier: &[Tree],
    ) -> Result<Option<Proven>, ProofError> {
        let stored = self.stored_latest()?;
        let mut heads: Vec<&Head> = lookups.iter().map(|l| &l.head).collect();
        heads.extend(stored.as_ref());
        let Some(final_head) = heads.iter().max_by_key(|h| h.tree.n).map(|h| (*h).clone()) else {
            return Ok(None);
        };
        let n = final_head.tree.n;
        let new_note = || String::from_utf8_lossy(&final_head.note).into_owned();
        // Every other tree to prove consistent with the final one.
        let mut trees: BTreeMap<i64, (Tree, String)> = BTreeMap::new();
        for h in &heads {
            let note = String::from_utf8_lossy(&h.note).into_owned();
            if h.tree.n == n && h.tree.hash != final_head.tree.hash {
                return Err(ProofError::Fork {
                    old: note,
                    new: new_note(),
                });
            }
            if h.tree.n < n && h.tree.n > 0 {
                trees.entry(h.tree.n).or_insert((h.tree, note));
            }
        }
        for t in earlier {
            if t.n > n {
                return Err(ProofError::Fork {
                    old: format!("go.sum database tree\n{}\n{}\n", t.n, t.hash),
                    new: new_note(),
                });
            }
            if t.n == n && t.hash != final_head.tree.hash {
                return Err(ProofError::Fork {
                    old: format!("go.sum database tree\n{}\n{}\n", t.n, t.hash),
                    new: new_note(),
                });
            }
            if t.n < n && t.n > 0 {
                trees
                    .entry(t.n)
                    .or_insert((*t, format!("go.sum database tree\n{}\n{}\n", t.n, t.hash)));
            }
        }
        let mut indexes = Vec::new();
        let mut ranges = Vec::new();
        for (tree, note) in trees.values() {
            let stx = tlog::sub_tree_index(0, tree.n);
            ranges.push((indexes.len(), stx.len(), *tree, note.clone()));
            indexes.extend(stx);
        }
        let leaves_at = indexes.len();
        for l in lookups {
            if l.id < 0 || l.id >= n {
                return Err(ProofError::NotInTree {
                    path: l.path.clone(),
                    version: l.version.clone(),
                    id: l.id,
                    n,
                });
            }
            indexes.push(tlog::stored_hash_index(0, l.id));
        }
        let plan = TilePlan::new(TILE_HEIGHT, final_head.tree, &indexes)
            .map_err(|error| ProofError::Tiles { n, error })?;
        let (mut data, mut fetched) = self.read_plan(&plan, true).await?;
        let hashes = match plan.verify(&data) {
            Ok(h) => h,
            // A damaged tile in the tree: read them all again from the database.
            Err(_) if fetched.iter().any(|f| !f) && self.remote.is_some() => {
                (data, fetched) = self.read_plan(&plan, false).await?;
                plan.verify(&data)
                    .map_err(|error| ProofError::Tiles { n, error })?
            }
            Err(error) => return Err(ProofError::Tiles { n, error }),
        };
        for (start, len, tree, note) in &ranges {
            let got = tlog::tree_hash_from(tree.n, &hashes[*start..start + len])
                .map_err(|error| ProofError::Tiles { n, error })?;
            if got != tree.hash {
                return Err(ProofError::Fork {
                    old: note.clone(),
                    new: new_note(),
                });
            }
        }
        for (l, h) in lookups.iter().zip(&hashes[leaves_at..]) {
            if tlog::record_hash(&l.text) != *h {
                return Err(ProofError::CannotAuthenticate {
                    path: l.path.clone(),
                    version: l.version.clone(),
                });
            }
        }
        Ok(Some(Proven {
            head: final_head,
            tiles: plan
                .tiles
                .into_iter()
                .zip(data)
                .zip(fetched)
                .map(|((t, d), f)| (t, d, f))
                .collect(),
        }))
    }

    /// [`Self::prove`], then stores tiles, lookups (all carrying the final
    /// head), `latest` and `supported`. Returns the final head.
    pub async fn finish(
        &self,
        lookups: &[Lookup],
        earlier: &[Tree],
    ) -> Result<Option<Head>, ProofError> {
        let Some(proven) = self.prove(lookups, earlier).await? else {
            return Ok(None);
        };
        for (tile, d, fetched) in &proven.tiles {
            let file = tile
                .path()
                .split('/')
                .fold(self.dir.clone(), |d, p| d.join(p));
            if *fetched || std::fs::metadata(&file).is_err() {
                write_if_changed(&file, d)?;
            }
        }
        for l in lookups {
            write_if_changed(
                &self.lookup_file(&l.path, &l.version)?,
                &self.lookup_body(l, &proven.head)?,
            )?;
        }
        write_if_changed(&self.dir.join("latest"), &proven.head.note)?;
        let supported = self.dir.join("supported");
        if std::fs::metadata(&supported).is_err() {
            write_atomic(&supported, b"")?;
        }
        Ok(Some(proven.head))
    }

    /// The lookup body the mirror serves: the record with `head`'s note.
    pub fn lookup_body(&self, l: &Lookup, head: &Head) -> Result<Vec<u8>, ProofError> {
        let mut body =
            tlog::format_record(l.id, &l.text).map_err(|error| ProofError::Malformed {
                from: format!("{}@{}", l.path, l.version),
                error,
            })?;
        body.extend_from_slice(&head.note);
        Ok(body)
    }
}

/// The outcome of [`SumdbMirror::prove`].
#[derive(Debug)]
pub struct Proven {
    /// The head everything was proven against.
    pub head: Head,
    /// The tiles read: tile, data, whether it came from the database.
    pub tiles: Vec<(Tile, Vec<u8>, bool)>,
}

/// Parses `<hash>` as written in a manifest.
pub fn parse_hash(s: &str) -> Option<Hash> {
    Hash::parse(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sumdb::note::{Note, Signer};

    const NAME: &str = "sum.unit.test";

    /// A log of `n` records, its tiles written under `dir`, and a signer.
    struct Log {
        records: Vec<Vec<u8>>,
        hashes: Vec<Hash>,
        signer: Signer,
        key: String,
    }

    impl Log {
        fn new(n: usize) -> Log {
            Log::salted(n, "x")
        }

        fn salted(n: usize, salt: &str) -> Log {
            let (skey, vkey) = Signer::key_pair_from_seed(NAME, [5; 32]);
            let mut log = Log {
                records: Vec::new(),
                hashes: Vec::new(),
                signer: Signer::new(&skey).unwrap(),
                key: vkey,
            };
            for i in 0..n {
                let text = format!(
                    "example.com/m{i} v1.0.0 h1:{salt}=\nexample.com/m{i} v1.0.0/go.mod h1:y=\n"
                );
                let h = tlog::stored_hashes(i as i64, text.as_bytes(), &log.hashes).unwrap();
                log.hashes.extend(h);
                log.records.push(text.into_bytes());
            }
            log
        }

        fn tree(&self, n: i64) -> Tree {
            Tree {
                n,
                hash: tlog::tree_hash(n, &self.hashes).unwrap(),
            }
        }

        fn head(&self, n: i64) -> Head {
            let text = String::from_utf8(tlog::format_tree(self.tree(n))).unwrap();
            let note = note::sign(
                &Note {
                    text,
                    ..Note::default()
                },
                &[&self.signer],
            )
            .unwrap();
            Head {
                tree: self.tree(n),
                note,
            }
        }

        fn lookup(&self, id: usize, n: i64) -> Lookup {
            Lookup {
                path: format!("example.com/m{id}"),
                version: "v1.0.0".into(),
                id: id as i64,
                text: self.records[id].clone(),
                head: self.head(n),
                fetched: true,
            }
        }

        /// Writes every tile of tree n (all widths a client of that tree asks for).
        fn write_tiles(&self, dir: &std::path::Path, n: i64) {
            for t in tlog::new_tiles(TILE_HEIGHT, 0, n) {
                let data = tlog::read_tile_data(&t, &self.hashes).unwrap();
                let file = t
                    .path()
                    .split('/')
                    .fold(dir.to_path_buf(), |d, p| d.join(p));
                write_atomic(&file, &data).unwrap();
            }
        }
    }

    #[tokio::test]
    async fn proves_against_one_head_and_catches_lies() {
        let log = Log::new(300);
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("sumdb").join(NAME);
        log.write_tiles(&dir, 300);
        let m = SumdbMirror::new(&log.key, dir.clone(), None).unwrap();
        // Lookups that came with different heads: all proven against the newest.
        let lookups = vec![
            log.lookup(3, 10),
            log.lookup(260, 280),
            log.lookup(299, 300),
        ];
        let earlier = [log.tree(5), log.tree(257)];
        let proven = m.prove(&lookups, &earlier).await.unwrap().unwrap();
        assert_eq!(proven.head.tree.n, 300);
        // Stored: every lookup now carries the newest head.
        m.finish(&lookups, &earlier).await.unwrap();
        let body = std::fs::read(m.lookup_file("example.com/m3", "v1.0.0").unwrap()).unwrap();
        let (_, _, note_bytes) = tlog::parse_record(&body).unwrap();
        assert_eq!(note_bytes, log.head(300).note.as_slice());

        // A record whose text is not the leaf.
        let mut bad = log.lookup(4, 300);
        bad.text = log.records[5].clone();
        let err = m.prove(&[bad], &[]).await.unwrap_err();
        assert!(
            matches!(err, ProofError::CannotAuthenticate { .. }),
            "{err}"
        );
        // A record beyond the tree.
        let mut beyond = log.lookup(4, 300);
        beyond.id = 300;
        let err = m.prove(&[beyond], &[]).await.unwrap_err();
        assert!(matches!(err, ProofError::NotInTree { .. }), "{err}");
        // An earlier head that is not a prefix of the newest: a fork.
        let other = Log::salted(20, "z");
        let err = m
            .prove(
                &[log.lookup(1, 300)],
                &[Tree {
                    n: 20,
                    hash: other.tree(20).hash,
                }],
            )
            .await
            .unwrap_err();
        assert!(err.to_string().starts_with("SECURITY ERROR"), "{err}");
        // A head signed by another key.
        let (_, other_key) = Signer::key_pair_from_seed(NAME, [6; 32]);
        let m2 = SumdbMirror::new(&other_key, dir.clone(), None).unwrap();
        assert!(matches!(
            m2.open_head(&log.head(300).note, "test"),
            Err(ProofError::Note { .. })
        ));
        // A damaged tile, with no database to ask: refused.
        let tile = dir.join("tile/8/0/000");
        let mut data = std::fs::read(&tile).unwrap();
        data[0] ^= 1;
        std::fs::write(&tile, data).unwrap();
        let err = m.prove(&[log.lookup(1, 300)], &[]).await.unwrap_err();
        assert!(matches!(err, ProofError::Tiles { .. }), "{err}");
    }
}
