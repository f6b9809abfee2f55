//! Transparency log: record and node hashes, stored-hash indexes, tree
//! hashes, tiles (coordinates, paths, authenticated reading), the tree note
//! and record formats, inclusion and consistency proofs (x/mod sumdb/tlog:
//! tlog.go, tile.go, note.go; spec/integrity.md §5.4-§5.11).
//!
//! Pure: no network, no disk. Where Go's functions read hashes through a
//! `HashReader`, this module offers both the same shape (a synchronous
//! [`HashReader`], used by tests and servers) and a split form (which indexes
//! are needed; then compute from the hashes read) so that the asynchronous
//! client can fetch in between. Authenticated tile reading is likewise split:
//! [`TilePlan::new`] says which tiles to fetch, [`TilePlan::verify`] checks
//! what was fetched against the tree.
//!
//! Nothing here panics on any input: arithmetic on sizes taken from the
//! network wraps or saturates where Go's would overflow, and "bad math"
//! invariants that Go panics on are returned as errors.

use std::collections::HashMap;
use std::fmt;

use sha2::{Digest, Sha256};

use super::note::{decode_base64, encode_base64};

/// Size of a hash in bytes.
pub const HASH_SIZE: usize = 32;

/// A SHA-256 hash in the log; displayed as standard base64.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Hash(pub [u8; HASH_SIZE]);

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&encode_base64(&self.0))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

impl Hash {
    /// Parses standard base64 of exactly 32 bytes (x/mod `ParseHash`).
    pub fn parse(s: &str) -> Result<Self, TlogError> {
        decode_base64(s)
            .and_then(|d| <[u8; HASH_SIZE]>::try_from(d.as_slice()).ok())
            .map(Hash)
            .ok_or(TlogError::MalformedHash)
    }
}

/// Errors of the log code, worded as x/mod words them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlogError {
    /// A hash that is not base64 of 32 bytes.
    #[error("malformed hash")]
    MalformedHash,
    /// A tree note body that does not parse.
    #[error("malformed tree note")]
    MalformedTree,
    /// A record (or lookup response) that does not parse.
    #[error("malformed record data")]
    MalformedRecord,
    /// A tile path that does not parse or is not canonical.
    #[error("malformed tile path {0:?}")]
    MalformedTilePath(String),
    /// A proof that does not verify.
    #[error("invalid transparency proof")]
    ProofFailed,
    /// Inputs out of range for a proof function.
    #[error("tlog: invalid inputs in {0}")]
    InvalidInputs(&'static str),
    /// A hash reader returned the wrong number of hashes.
    #[error("tlog: ReadHashes({want} indexes) = {got} hashes")]
    ReadHashesCount {
        /// Number requested.
        want: usize,
        /// Number returned.
        got: usize,
    },
    /// An index beyond the tree was requested from a tile hash reader.
    #[error("indexes not in tree")]
    IndexNotInTree,
    /// Tiles that do not hash to the tree (or to their parent tile).
    #[error("downloaded inconsistent tile")]
    InconsistentTile,
    /// A tile reader returned data of the wrong shape.
    #[error("TileReader returned bad result slice ({0})")]
    BadTileData(String),
    /// A tile that cannot hold the requested hash.
    #[error("{0}")]
    BadTile(String),
    /// An internal invariant failed (Go panics here).
    #[error("tlog: bad math: {0}")]
    BadMath(&'static str),
    /// Reading hashes or tiles failed.
    #[error("{0}")]
    Read(String),
}

/// SHA256(0x00 ‖ data): the hash of a record (RFC 6962 leaf hash).
pub fn record_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    Hash(h.finalize().into())
}

/// SHA256(0x01 ‖ left ‖ right): the hash of an interior node.
pub fn node_hash(left: Hash, right: Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left.0);
    h.update(right.0);
    Hash(h.finalize().into())
}

/// The hash of the empty tree: SHA256("").
pub fn empty_tree_hash() -> Hash {
    Hash(Sha256::digest(b"").into())
}

/// The largest power of two strictly less than n, and its log2, for n ≥ 2;
/// (1, 0) for n ≤ 1 (x/mod `maxpow2`, without its loop that never ends for
/// n > 2^62).
fn maxpow2(n: i64) -> (i64, u32) {
    if n <= 2 {
        return (1, 0);
    }
    let l = 63 - (n - 1).leading_zeros();
    (1i64 << l, l)
}

/// `x >> s` that is 0 (for x ≥ 0) instead of panicking when s ≥ 64.
fn shr(x: i64, s: i64) -> i64 {
    if !(0..64).contains(&s) {
        if x < 0 { -1 } else { 0 }
    } else {
        x >> s
    }
}

/// `x << s`, wrapping like Go (0 when s ≥ 64).
fn shl(x: i64, s: i64) -> i64 {
    if !(0..64).contains(&s) {
        0
    } else {
        x.wrapping_shl(s as u32)
    }
}

/// The index in stored-hash order of the hash at `level`, `n`
/// (x/mod `StoredHashIndex`).
pub fn stored_hash_index(level: i32, n: i64) -> i64 {
    // Level L's n'th hash is written right after level L+1's 2n+1'th hash;
    // work down to level 0, then count the hashes before level 0's n'th.
    let mut n = n;
    for _ in 0..level.max(0) {
        n = n.wrapping_mul(2).wrapping_add(1);
    }
    let mut i: i64 = 0;
    while n > 0 {
        i = i.wrapping_add(n);
        n >>= 1;
    }
    i.wrapping_add(i64::from(level))
}

/// The inverse of [`stored_hash_index`] (x/mod `SplitStoredHashIndex`).
pub fn split_stored_hash_index(index: i64) -> (i32, i64) {
    // Determine level 0 record before index. stored_hash_index(0, n) < 2n,
    // so the n we want is in [index/2, index/2+log2(index)].
    let mut n = index / 2;
    let mut index_n = stored_hash_index(0, n);
    loop {
        // Each new record n adds 1 + trailingZeros(n) hashes.
        let x = index_n
            .wrapping_add(1)
            .wrapping_add(i64::from(n.wrapping_add(1).trailing_zeros()));
        if x > index || x <= index_n {
            break;
        }
        n += 1;
        index_n = x;
    }
    // The hash we want was committed with record n, meaning it is one of
    // (0, n), (1, n/2), (2, n/4), ...
    let level = (index - index_n).clamp(0, 63);
    (level as i32, shr(n, level))
}

/// The number of stored hashes expected for a tree with n records
/// (x/mod `StoredHashCount`).
pub fn stored_hash_count(n: i64) -> i64 {
    if n <= 0 {
        return 0;
    }
    // The tree will have the hashes up to the last leaf hash.
    let mut num = stored_hash_index(0, n - 1).wrapping_add(1);
    // And it will have any hashes for subtrees completed by that leaf.
    let mut i = (n - 1) as u64;
    while i & 1 != 0 {
        num += 1;
        i >>= 1;
    }
    num
}

/// Reads stored hashes by index (x/mod `HashReader`).
pub trait HashReader {
    /// Returns the hashes at these stored-hash indexes, in order.
    fn read_hashes(&self, indexes: &[i64]) -> Result<Vec<Hash>, TlogError>;
}

/// An in-memory list of stored hashes is a hash reader.
impl HashReader for [Hash] {
    fn read_hashes(&self, indexes: &[i64]) -> Result<Vec<Hash>, TlogError> {
        indexes
            .iter()
            .map(|&x| {
                usize::try_from(x)
                    .ok()
                    .and_then(|x| self.get(x).copied())
                    .ok_or(TlogError::IndexNotInTree)
            })
            .collect()
    }
}

/// A vector of stored hashes is a hash reader.
impl HashReader for Vec<Hash> {
    fn read_hashes(&self, indexes: &[i64]) -> Result<Vec<Hash>, TlogError> {
        self.as_slice().read_hashes(indexes)
    }
}

fn read_exact<R: HashReader + ?Sized>(r: &R, indexes: &[i64]) -> Result<Vec<Hash>, TlogError> {
    let hashes = r.read_hashes(indexes)?;
    if hashes.len() != indexes.len() {
        return Err(TlogError::ReadHashesCount {
            want: indexes.len(),
            got: hashes.len(),
        });
    }
    Ok(hashes)
}

/// The indexes of the hashes that must be read to store record n (given
/// its hash), i.e. the left siblings it completes
/// (first half of x/mod `StoredHashesForRecordHash`).
pub fn stored_hashes_indexes(n: i64) -> Vec<i64> {
    let m = n.wrapping_add(1).trailing_zeros() as i32;
    (0..m)
        .rev()
        .map(|i| stored_hash_index(i, shr(n, i64::from(i)) - 1))
        .collect()
}

/// The hashes to append to storage when adding record n with hash h,
/// given the hashes read at [`stored_hashes_indexes`] (x/mod
/// `StoredHashesForRecordHash`).
pub fn stored_hashes_from(h: Hash, old: &[Hash]) -> Vec<Hash> {
    let mut hashes = vec![h];
    let mut h = h;
    for o in old.iter().rev() {
        h = node_hash(*o, h);
        hashes.push(h);
    }
    hashes
}

/// The hashes to append to storage when adding record n with data
/// (x/mod `StoredHashes`).
pub fn stored_hashes<R: HashReader + ?Sized>(
    n: i64,
    data: &[u8],
    r: &R,
) -> Result<Vec<Hash>, TlogError> {
    let old = read_exact(r, &stored_hashes_indexes(n))?;
    Ok(stored_hashes_from(record_hash(data), &old))
}

/// The stored-hash indexes of the complete subtrees covering [lo, hi)
/// (x/mod `subTreeIndex`).
pub fn sub_tree_index(lo: i64, hi: i64) -> Vec<i64> {
    let mut need = Vec::new();
    sub_tree_index_into(lo, hi, &mut need);
    need
}

fn sub_tree_index_into(mut lo: i64, hi: i64, need: &mut Vec<i64>) {
    while lo < hi {
        let (k, level) = maxpow2((hi - lo).saturating_add(1));
        need.push(stored_hash_index(level as i32, lo >> level));
        lo += k;
    }
}

/// Folds the hashes of [`sub_tree_index`] into the hash of [lo, hi); returns
/// the rest (x/mod `subTreeHash`).
fn sub_tree_hash(mut lo: i64, hi: i64, hashes: &[Hash]) -> Result<(Hash, &[Hash]), TlogError> {
    let mut num_tree = 0;
    while lo < hi {
        let (k, _) = maxpow2((hi - lo).saturating_add(1));
        num_tree += 1;
        lo += k;
    }
    if num_tree == 0 || hashes.len() < num_tree {
        return Err(TlogError::BadMath("subTreeHash"));
    }
    let mut h = hashes[num_tree - 1];
    for i in (0..num_tree - 1).rev() {
        h = node_hash(hashes[i], h);
    }
    Ok((h, &hashes[num_tree..]))
}

/// The hash of the tree of n records given the hashes at
/// `sub_tree_index(0, n)`.
pub fn tree_hash_from(n: i64, hashes: &[Hash]) -> Result<Hash, TlogError> {
    if n == 0 {
        return Ok(empty_tree_hash());
    }
    let (h, rest) = sub_tree_hash(0, n, hashes)?;
    if !rest.is_empty() {
        return Err(TlogError::BadMath("TreeHash"));
    }
    Ok(h)
}

/// The hash of the tree of n records (x/mod `TreeHash`).
pub fn tree_hash<R: HashReader + ?Sized>(n: i64, r: &R) -> Result<Hash, TlogError> {
    if n == 0 {
        return Ok(empty_tree_hash());
    }
    let hashes = read_exact(r, &sub_tree_index(0, n))?;
    tree_hash_from(n, &hashes)
}

// ---------------------------------------------------------------------------
// Record (inclusion) proofs.

fn leaf_proof_index(lo: i64, hi: i64, n: i64, need: &mut Vec<i64>) {
    if lo + 1 >= hi {
        return;
    }
    let (k, _) = maxpow2(hi - lo);
    if n < lo + k {
        leaf_proof_index(lo, lo + k, n, need);
        sub_tree_index_into(lo + k, hi, need);
    } else {
        sub_tree_index_into(lo, lo + k, need);
        leaf_proof_index(lo + k, hi, n, need);
    }
}

fn leaf_proof(
    lo: i64,
    hi: i64,
    n: i64,
    hashes: &[Hash],
) -> Result<(Vec<Hash>, &[Hash]), TlogError> {
    if lo + 1 >= hi {
        return Ok((Vec::new(), hashes));
    }
    let (k, _) = maxpow2(hi - lo);
    let (mut p, th, hashes) = if n < lo + k {
        let (p, hashes) = leaf_proof(lo, lo + k, n, hashes)?;
        let (th, hashes) = sub_tree_hash(lo + k, hi, hashes)?;
        (p, th, hashes)
    } else {
        let (th, hashes) = sub_tree_hash(lo, lo + k, hashes)?;
        let (p, hashes) = leaf_proof(lo + k, hi, n, hashes)?;
        (p, th, hashes)
    };
    p.push(th);
    Ok((p, hashes))
}

/// The indexes to read for a proof that record n is in tree t.
pub fn record_proof_indexes(t: i64, n: i64) -> Result<Vec<i64>, TlogError> {
    if t < 0 || n < 0 || n >= t {
        return Err(TlogError::InvalidInputs("ProveRecord"));
    }
    let mut need = Vec::new();
    leaf_proof_index(0, t, n, &mut need);
    Ok(need)
}

/// Builds the record proof from the hashes at [`record_proof_indexes`].
pub fn record_proof_from(t: i64, n: i64, hashes: &[Hash]) -> Result<Vec<Hash>, TlogError> {
    if t < 0 || n < 0 || n >= t {
        return Err(TlogError::InvalidInputs("ProveRecord"));
    }
    let (p, rest) = leaf_proof(0, t, n, hashes)?;
    if !rest.is_empty() {
        return Err(TlogError::BadMath("ProveRecord"));
    }
    Ok(p)
}

/// The proof that record n is in tree t (x/mod `ProveRecord`).
pub fn prove_record<R: HashReader + ?Sized>(t: i64, n: i64, r: &R) -> Result<Vec<Hash>, TlogError> {
    let indexes = record_proof_indexes(t, n)?;
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let hashes = read_exact(r, &indexes)?;
    record_proof_from(t, n, &hashes)
}

fn run_record_proof(p: &[Hash], lo: i64, hi: i64, n: i64, leaf: Hash) -> Result<Hash, TlogError> {
    if lo + 1 >= hi {
        return if p.is_empty() {
            Ok(leaf)
        } else {
            Err(TlogError::ProofFailed)
        };
    }
    let Some((last, p)) = p.split_last() else {
        return Err(TlogError::ProofFailed);
    };
    let (k, _) = maxpow2(hi - lo);
    if n < lo + k {
        let th = run_record_proof(p, lo, lo + k, n, leaf)?;
        Ok(node_hash(th, *last))
    } else {
        let th = run_record_proof(p, lo + k, hi, n, leaf)?;
        Ok(node_hash(*last, th))
    }
}

/// Verifies that p proves record n with hash h is in tree t with hash th
/// (x/mod `CheckRecord`).
pub fn check_record(p: &[Hash], t: i64, th: Hash, n: i64, h: Hash) -> Result<(), TlogError> {
    if t < 0 || n < 0 || n >= t {
        return Err(TlogError::InvalidInputs("CheckRecord"));
    }
    if run_record_proof(p, 0, t, n, h)? == th {
        Ok(())
    } else {
        Err(TlogError::ProofFailed)
    }
}

// ---------------------------------------------------------------------------
// Tree (consistency) proofs.

fn tree_proof_index(lo: i64, hi: i64, n: i64, need: &mut Vec<i64>) {
    if n >= hi {
        if lo != 0 {
            sub_tree_index_into(lo, hi, need);
        }
        return;
    }
    let (k, _) = maxpow2(hi - lo);
    if n <= lo + k {
        tree_proof_index(lo, lo + k, n, need);
        sub_tree_index_into(lo + k, hi, need);
    } else {
        sub_tree_index_into(lo, lo + k, need);
        tree_proof_index(lo + k, hi, n, need);
    }
}

fn tree_proof(
    lo: i64,
    hi: i64,
    n: i64,
    hashes: &[Hash],
) -> Result<(Vec<Hash>, &[Hash]), TlogError> {
    if n >= hi {
        if lo == 0 {
            return Ok((Vec::new(), hashes));
        }
        let (th, hashes) = sub_tree_hash(lo, hi, hashes)?;
        return Ok((vec![th], hashes));
    }
    let (k, _) = maxpow2(hi - lo);
    let (mut p, th, hashes) = if n <= lo + k {
        let (p, hashes) = tree_proof(lo, lo + k, n, hashes)?;
        let (th, hashes) = sub_tree_hash(lo + k, hi, hashes)?;
        (p, th, hashes)
    } else {
        let (th, hashes) = sub_tree_hash(lo, lo + k, hashes)?;
        let (p, hashes) = tree_proof(lo + k, hi, n, hashes)?;
        (p, th, hashes)
    };
    p.push(th);
    Ok((p, hashes))
}

/// The indexes to read for a proof that tree n is a prefix of tree t.
pub fn tree_proof_indexes(t: i64, n: i64) -> Result<Vec<i64>, TlogError> {
    if t < 1 || n < 1 || n > t {
        return Err(TlogError::InvalidInputs("ProveTree"));
    }
    let mut need = Vec::new();
    tree_proof_index(0, t, n, &mut need);
    Ok(need)
}

/// Builds the tree proof from the hashes at [`tree_proof_indexes`].
pub fn tree_proof_from(t: i64, n: i64, hashes: &[Hash]) -> Result<Vec<Hash>, TlogError> {
    if t < 1 || n < 1 || n > t {
        return Err(TlogError::InvalidInputs("ProveTree"));
    }
    let (p, rest) = tree_proof(0, t, n, hashes)?;
    if !rest.is_empty() {
        return Err(TlogError::BadMath("ProveTree"));
    }
    Ok(p)
}

/// The proof that tree n is a prefix of tree t (x/mod `ProveTree`).
pub fn prove_tree<R: HashReader + ?Sized>(t: i64, n: i64, r: &R) -> Result<Vec<Hash>, TlogError> {
    let indexes = tree_proof_indexes(t, n)?;
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let hashes = read_exact(r, &indexes)?;
    tree_proof_from(t, n, &hashes)
}

fn run_tree_proof(
    p: &[Hash],
    lo: i64,
    hi: i64,
    n: i64,
    old: Hash,
) -> Result<(Hash, Hash), TlogError> {
    if n >= hi {
        if lo == 0 {
            return if p.is_empty() {
                Ok((old, old))
            } else {
                Err(TlogError::ProofFailed)
            };
        }
        return match p {
            [h] => Ok((*h, *h)),
            _ => Err(TlogError::ProofFailed),
        };
    }
    let Some((last, p)) = p.split_last() else {
        return Err(TlogError::ProofFailed);
    };
    let (k, _) = maxpow2(hi - lo);
    if n <= lo + k {
        let (oh, th) = run_tree_proof(p, lo, lo + k, n, old)?;
        Ok((oh, node_hash(th, *last)))
    } else {
        let (oh, th) = run_tree_proof(p, lo + k, hi, n, old)?;
        Ok((node_hash(*last, oh), node_hash(*last, th)))
    }
}

/// Verifies that p proves tree n with hash h is a prefix of tree t with
/// hash th (x/mod `CheckTree`).
pub fn check_tree(p: &[Hash], t: i64, th: Hash, n: i64, h: Hash) -> Result<(), TlogError> {
    if t < 1 || n < 1 || n > t {
        return Err(TlogError::InvalidInputs("CheckTree"));
    }
    let (h2, th2) = run_tree_proof(p, 0, t, n, h)?;
    if th2 == th && h2 == h {
        Ok(())
    } else {
        Err(TlogError::ProofFailed)
    }
}

// ---------------------------------------------------------------------------
// Tree notes and records (tlog/note.go).

/// A tree head: size and root hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Tree {
    /// Number of records.
    pub n: i64,
    /// Root hash.
    pub hash: Hash,
}

const TREE_PREFIX: &str = "go.sum database tree\n";

/// `go.sum database tree\n<N>\n<hash>\n` (x/mod `FormatTree`).
pub fn format_tree(tree: Tree) -> Vec<u8> {
    format!("{TREE_PREFIX}{}\n{}\n", tree.n, tree.hash).into_bytes()
}

/// Parses a tree note body; extra lines are ignored (x/mod `ParseTree`).
pub fn parse_tree(text: &[u8]) -> Result<Tree, TlogError> {
    if !text.starts_with(TREE_PREFIX.as_bytes())
        || text.iter().filter(|&&b| b == b'\n').count() < 3
        || text.len() > 1_000_000
    {
        return Err(TlogError::MalformedTree);
    }
    let mut lines = text.splitn(4, |&b| b == b'\n');
    lines.next();
    let (Some(nline), Some(hline)) = (lines.next(), lines.next()) else {
        return Err(TlogError::MalformedTree);
    };
    let nline = std::str::from_utf8(nline).map_err(|_| TlogError::MalformedTree)?;
    let n: i64 = nline.parse().map_err(|_| TlogError::MalformedTree)?;
    if n < 0 || nline != n.to_string() {
        return Err(TlogError::MalformedTree);
    }
    let hline = std::str::from_utf8(hline).map_err(|_| TlogError::MalformedTree)?;
    let hash = Hash::parse(hline).map_err(|_| TlogError::MalformedTree)?;
    Ok(Tree { n, hash })
}

/// Valid record text: UTF-8, no control characters but `\n`, no blank
/// line, ends in `\n` (x/mod `isValidRecordText`).
pub fn is_valid_record_text(text: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(text) else {
        return false;
    };
    let mut last = '\0';
    for c in s.chars() {
        if (c < '\u{20}' && c != '\n') || (last == '\n' && c == '\n') {
            return false;
        }
        last = c;
    }
    last == '\n'
}

/// `<id>\n<text>\n` (x/mod `FormatRecord`).
pub fn format_record(id: i64, text: &[u8]) -> Result<Vec<u8>, TlogError> {
    if !is_valid_record_text(text) {
        return Err(TlogError::MalformedRecord);
    }
    let mut msg = format!("{id}\n").into_bytes();
    msg.extend_from_slice(text);
    msg.push(b'\n');
    Ok(msg)
}

/// Splits a lookup response into (id, record text, rest) (x/mod `ParseRecord`).
pub fn parse_record(msg: &[u8]) -> Result<(i64, &[u8], &[u8]), TlogError> {
    let i = msg
        .iter()
        .position(|&b| b == b'\n')
        .ok_or(TlogError::MalformedRecord)?;
    let id: i64 = std::str::from_utf8(&msg[..i])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(TlogError::MalformedRecord)?;
    let msg = &msg[i + 1..];
    let j = msg
        .windows(2)
        .position(|w| w == b"\n\n")
        .ok_or(TlogError::MalformedRecord)?;
    let (text, rest) = (&msg[..j + 1], &msg[j + 2..]);
    if !is_valid_record_text(text) {
        return Err(TlogError::MalformedRecord);
    }
    Ok((id, text, rest))
}

// ---------------------------------------------------------------------------
// Tiles (tlog/tile.go).

/// A tile: W consecutive hashes at tree level L·H, starting at N·2^H
/// (level -1 is the data tile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tile {
    /// Height (1 ≤ H ≤ 30).
    pub h: i32,
    /// Level in the tiling (-1 ≤ L ≤ 63; -1 is the record data).
    pub l: i32,
    /// Number within the level.
    pub n: i64,
    /// Width (1 ≤ W ≤ 2^H; 2^H is a full tile).
    pub w: i64,
}

impl Tile {
    /// Whether this tile is full (W = 2^H).
    pub fn is_full(&self) -> bool {
        self.w == shl(1, i64::from(self.h))
    }

    /// The tile path `tile/H/L/NNN[.p/W]` (x/mod `Tile.Path`).
    pub fn path(&self) -> String {
        let mut n = self.n.max(0);
        let mut n_str = format!("{:03}", n % 1000);
        while n >= 1000 {
            n /= 1000;
            n_str = format!("x{:03}/{n_str}", n % 1000);
        }
        let p_str = if self.is_full() {
            String::new()
        } else {
            format!(".p/{}", self.w)
        };
        let l = if self.l == -1 {
            "data".to_owned()
        } else {
            self.l.to_string()
        };
        format!("tile/{}/{l}/{n_str}{p_str}", self.h)
    }

    /// Parses a canonical tile path (x/mod `ParseTilePath`).
    pub fn parse_path(path: &str) -> Result<Tile, TlogError> {
        let bad = || TlogError::MalformedTilePath(path.to_owned());
        let mut f: Vec<&str> = path.split('/').collect();
        if f.len() < 4 || f[0] != "tile" {
            return Err(bad());
        }
        let h: i64 = go_atoi(f[1]).ok_or_else(bad)?;
        let is_data = f[2] == "data";
        let l: i64 = if is_data {
            0
        } else {
            go_atoi(f[2]).ok_or_else(bad)?
        };
        if !(1..=30).contains(&h) || l < 0 {
            return Err(bad());
        }
        let mut w = 1i64 << h;
        let last = f.len() - 1;
        let dot_p_owned;
        if let Some(stripped) = f[last - 1].strip_suffix(".p") {
            let ww = go_atoi(f[last]).ok_or_else(bad)?;
            if ww <= 0 || ww >= w {
                return Err(bad());
            }
            w = ww;
            dot_p_owned = stripped.to_owned();
            f[last - 1] = &dot_p_owned;
            f.truncate(last);
        }
        let mut n: i64 = 0;
        for s in &f[3..] {
            let nn = go_atoi(s.strip_prefix('x').unwrap_or(s)).ok_or_else(bad)?;
            if !(0..1000).contains(&nn) {
                return Err(bad());
            }
            n = n
                .checked_mul(1000)
                .and_then(|n| n.checked_add(nn))
                .ok_or_else(bad)?;
        }
        let l = if is_data {
            -1
        } else {
            i32::try_from(l).map_err(|_| bad())?
        };
        let t = Tile {
            h: h as i32,
            l,
            n,
            w,
        };
        if path != t.path() {
            return Err(bad());
        }
        Ok(t)
    }
}

/// Go's `strconv.Atoi` (decimal, optional sign) for values that fit i64.
fn go_atoi(s: &str) -> Option<i64> {
    s.parse().ok()
}

/// The tile holding the stored hash `index`, its width just enough to hold
/// it, and the byte range of that hash's subtree in the tile
/// (x/mod `tileForIndex`).
fn tile_for_index(h: i32, index: i64) -> (Tile, usize, usize) {
    let (level, n) = split_stored_hash_index(index);
    let tl = level / h;
    let level = level - tl * h; // level within the tile
    let tn = shr(shl(n, i64::from(level)), i64::from(h));
    let n = n - shr(shl(tn, i64::from(h)), i64::from(level)); // n within the tile at level
    let w = shl(n + 1, i64::from(level));
    let start = shl(n, i64::from(level)) as usize * HASH_SIZE;
    let end = w as usize * HASH_SIZE;
    (Tile { h, l: tl, n: tn, w }, start, end)
}

/// The tile of height h holding the stored hash `index` (x/mod `TileForIndex`).
pub fn tile_for_index_pub(h: i32, index: i64) -> Tile {
    tile_for_index(h.max(1), index).0
}

/// The hash at `index`, recomputed from tile t's data (x/mod `HashFromTile`).
pub fn hash_from_tile(t: &Tile, data: &[u8], index: i64) -> Result<Hash, TlogError> {
    if t.h < 1 || t.h > 30 || t.l < 0 || t.l >= 64 || t.w < 1 || t.w > 1 << t.h {
        return Err(TlogError::BadTile(format!("invalid tile {}", t.path())));
    }
    if (data.len() as i64) < t.w * HASH_SIZE as i64 {
        return Err(TlogError::BadTile(format!(
            "data len {} too short for tile {}",
            data.len(),
            t.path()
        )));
    }
    let (t1, start, end) = tile_for_index(t.h, index);
    if t.l != t1.l || t.n != t1.n || t.w < t1.w {
        return Err(TlogError::BadTile(format!(
            "index {index} is in {} not {}",
            t1.path(),
            t.path()
        )));
    }
    Ok(tile_hash(&data[start..end]))
}

/// The hash of the subtree whose leaves (at some level) are `data`.
fn tile_hash(data: &[u8]) -> Hash {
    if data.len() <= HASH_SIZE {
        let mut h = [0u8; HASH_SIZE];
        h[..data.len()].copy_from_slice(data);
        return Hash(h);
    }
    let n = data.len() / 2;
    node_hash(tile_hash(&data[..n]), tile_hash(&data[n..]))
}

/// The tiles that change when a tree grows from old to new records
/// (x/mod `NewTiles`).
pub fn new_tiles(h: i32, old_tree_size: i64, new_tree_size: i64) -> Vec<Tile> {
    let hh = i64::from(h.max(1));
    let mut tiles = Vec::new();
    let mut level: i64 = 0;
    while shr(new_tree_size, hh * level) > 0 {
        let old_n = shr(old_tree_size, hh * level);
        let new_n = shr(new_tree_size, hh * level);
        if old_n != new_n {
            for n in (old_n >> hh)..(new_n >> hh) {
                tiles.push(Tile {
                    h: hh as i32,
                    l: level as i32,
                    n,
                    w: 1 << hh,
                });
            }
            let n = new_n >> hh;
            let w = new_n - (n << hh);
            if w > 0 {
                tiles.push(Tile {
                    h: hh as i32,
                    l: level as i32,
                    n,
                    w,
                });
            }
        }
        level += 1;
    }
    tiles
}

/// The indexes of the hashes a tile holds (first half of x/mod `ReadTileData`).
pub fn tile_data_indexes(t: &Tile) -> Vec<i64> {
    let size = if t.w == 0 { 1 << t.h } else { t.w };
    let start = shl(t.n, i64::from(t.h));
    (0..size)
        .map(|i| stored_hash_index(t.h * t.l, start + i))
        .collect()
}

/// The bytes of tile t, read from stored hashes (x/mod `ReadTileData`).
pub fn read_tile_data<R: HashReader + ?Sized>(t: &Tile, r: &R) -> Result<Vec<u8>, TlogError> {
    let hashes = read_exact(r, &tile_data_indexes(t))?;
    Ok(hashes.iter().flat_map(|h| h.0).collect())
}

/// The tile k levels above t, for a tree of n records: full if the tree
/// covers it, else trimmed to the tree's edge; `None` if the tree does not
/// reach it (x/mod `tileParent`).
fn tile_parent(t: Tile, k: i32, n: i64) -> Option<Tile> {
    let mut t = t;
    t.l += k;
    t.n = shr(t.n, i64::from(k) * i64::from(t.h));
    t.w = 1 << t.h;
    let max = shr(n, i64::from(t.l) * i64::from(t.h));
    let start = shl(t.n, i64::from(t.h));
    if start.saturating_add(t.w) >= max {
        if start >= max {
            return None;
        }
        t.w = max - start;
    }
    Some(t)
}

/// The tiles to fetch to read some stored hashes of one tree, authenticated
/// (the planning half of x/mod `tileHashReader.ReadHashes`).
#[derive(Debug, Clone)]
pub struct TilePlan {
    tree: Tree,
    /// The tiles to fetch, in order.
    pub tiles: Vec<Tile>,
    stx: Vec<i64>,
    stx_tile_order: Vec<usize>,
    indexes: Vec<i64>,
    index_tile_order: Vec<usize>,
}

impl TilePlan {
    /// Plans the tiles of height h needed to read `indexes` from `tree`,
    /// with the tiles that authenticate them against the tree hash.
    pub fn new(h: i32, tree: Tree, indexes: &[i64]) -> Result<TilePlan, TlogError> {
        if !(1..=30).contains(&h) || tree.n < 0 {
            return Err(TlogError::BadMath("tile height"));
        }
        let mut tile_order: HashMap<Tile, usize> = HashMap::new();
        let mut tiles: Vec<Tile> = Vec::new();

        // Tiles holding the complete subtrees of the tree's binary
        // decomposition: together they recompute the tree hash.
        let stx = sub_tree_index(0, tree.n);
        let mut stx_tile_order = Vec::with_capacity(stx.len());
        for &x in &stx {
            let (tile, _, _) = tile_for_index(h, x);
            let tile = tile_parent(tile, 0, tree.n).ok_or(TlogError::BadMath("stx tile"))?;
            let j = *tile_order.entry(tile).or_insert_with(|| {
                tiles.push(tile);
                tiles.len() - 1
            });
            stx_tile_order.push(j);
        }

        // For each index, its tile and every parent tile up to one already
        // planned: each is authenticated by its parent.
        let limit = stored_hash_index(0, tree.n);
        let mut index_tile_order = Vec::with_capacity(indexes.len());
        for &x in indexes {
            if x < 0 || x >= limit {
                return Err(TlogError::IndexNotInTree);
            }
            let (tile, _, _) = tile_for_index(h, x);
            let mut k = 0;
            let mut found = None;
            while k <= 64 {
                if let Some(&j) = tile_parent(tile, k, tree.n).and_then(|p| tile_order.get(&p)) {
                    found = Some(j);
                    break;
                }
                k += 1;
            }
            let Some(j) = found else {
                return Err(TlogError::BadMath("tileHashReader: no parent"));
            };
            let mut order = if k == 0 { Some(j) } else { None };
            for kk in (0..k).rev() {
                let p =
                    tile_parent(tile, kk, tree.n).ok_or(TlogError::BadMath("tileHashReader"))?;
                if !p.is_full() {
                    return Err(TlogError::BadMath("tileHashReader: partial inner tile"));
                }
                tile_order.insert(p, tiles.len());
                if kk == 0 {
                    order = Some(tiles.len());
                }
                tiles.push(p);
            }
            index_tile_order.push(order.ok_or(TlogError::BadMath("tileHashReader"))?);
        }
        Ok(TilePlan {
            tree,
            tiles,
            stx,
            stx_tile_order,
            indexes: indexes.to_vec(),
            index_tile_order,
        })
    }

    /// Checks the fetched tiles (`data[i]` for `tiles[i]`) against the tree
    /// and returns the requested hashes (the verifying half of x/mod
    /// `tileHashReader.ReadHashes`). Only after this succeeds may the tiles
    /// be cached.
    pub fn verify(&self, data: &[Vec<u8>]) -> Result<Vec<Hash>, TlogError> {
        if data.len() != self.tiles.len() {
            return Err(TlogError::BadTileData(format!(
                "len={}, want {}",
                data.len(),
                self.tiles.len()
            )));
        }
        for (tile, d) in self.tiles.iter().zip(data) {
            if d.len() as i64 != tile.w * HASH_SIZE as i64 {
                return Err(TlogError::BadTileData(format!(
                    "{} len={}, want {}",
                    tile.path(),
                    d.len(),
                    tile.w * HASH_SIZE as i64
                )));
            }
        }
        // The right-edge tiles must hash to the tree.
        if !self.stx.is_empty() {
            let last = self.stx.len() - 1;
            let j = self.stx_tile_order[last];
            let mut th = hash_from_tile(&self.tiles[j], &data[j], self.stx[last])?;
            for i in (0..last).rev() {
                let j = self.stx_tile_order[i];
                let h = hash_from_tile(&self.tiles[j], &data[j], self.stx[i])?;
                th = node_hash(h, th);
            }
            if th != self.tree.hash {
                return Err(TlogError::InconsistentTile);
            }
        } else if self.tree.hash != empty_tree_hash() {
            return Err(TlogError::InconsistentTile);
        }
        // Every other tile must hash to the entry in its parent.
        let order: HashMap<Tile, usize> = self
            .tiles
            .iter()
            .enumerate()
            .map(|(i, t)| (*t, i))
            .collect();
        // x/mod starts after the last right-edge tile (`stxTileOrder[len(stx)-1]
        // + 1`), not at `len(stx)`: several right-edge hashes can share one
        // tile, and starting at `len(stx)` would leave a leaf tile unchecked.
        let first_inner = self.stx_tile_order.last().map_or(0, |&j| j + 1);
        for i in first_inner.min(self.tiles.len())..self.tiles.len() {
            let tile = self.tiles[i];
            let p = tile_parent(tile, 1, self.tree.n).ok_or(TlogError::BadMath("lost parent"))?;
            let &j = order.get(&p).ok_or(TlogError::BadMath("lost parent"))?;
            let h = hash_from_tile(&p, &data[j], stored_hash_index(p.l * p.h, tile.n))?;
            if h != tile_hash(&data[i]) {
                return Err(TlogError::InconsistentTile);
            }
        }
        self.indexes
            .iter()
            .zip(&self.index_tile_order)
            .map(|(&x, &j)| hash_from_tile(&self.tiles[j], &data[j], x))
            .collect()
    }
}

/// Reads and saves tiles (x/mod `TileReader`), synchronously.
pub trait TileReader {
    /// Tile height.
    fn height(&self) -> i32;
    /// The data of each tile.
    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, TlogError>;
    /// Called with tiles that were authenticated.
    fn save_tiles(&self, tiles: &[Tile], data: &[Vec<u8>]);
}

/// A hash reader that reads authenticated hashes of `tree` from tiles
/// (x/mod `TileHashReader`).
pub struct TileHashReader<'a, R: TileReader + ?Sized> {
    /// The tree whose hashes are read.
    pub tree: Tree,
    /// Where tiles come from.
    pub reader: &'a R,
}

impl<R: TileReader + ?Sized> HashReader for TileHashReader<'_, R> {
    fn read_hashes(&self, indexes: &[i64]) -> Result<Vec<Hash>, TlogError> {
        let plan = TilePlan::new(self.reader.height(), self.tree, indexes)?;
        let data = self.reader.read_tiles(&plan.tiles)?;
        let hashes = plan.verify(&data)?;
        self.reader.save_tiles(&plan.tiles, &data);
        Ok(hashes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_hash_index_first_values() {
        let want = [
            (0, 0, 0),
            (0, 1, 1),
            (1, 0, 2),
            (0, 2, 3),
            (0, 3, 4),
            (1, 1, 5),
            (2, 0, 6),
            (0, 4, 7),
            (0, 5, 8),
            (1, 2, 9),
        ];
        for (l, n, x) in want {
            assert_eq!(stored_hash_index(l, n), x);
            assert_eq!(split_stored_hash_index(x), (l, n));
        }
        for x in 0..10_000 {
            let (l, n) = split_stored_hash_index(x);
            assert_eq!(stored_hash_index(l, n), x);
        }
    }

    #[test]
    fn spec_worked_tiles() {
        // spec/integrity.md §5.7: tree of 1 000 001 records at H = 8.
        let tree = Tree {
            n: 1_000_001,
            hash: Hash::default(),
        };
        let plan = TilePlan::new(8, tree, &[stored_hash_index(0, 5)]).unwrap();
        let paths: Vec<String> = plan.tiles.iter().map(Tile::path).collect();
        for want in [
            "tile/8/2/000.p/15",
            "tile/8/1/015.p/66",
            "tile/8/0/x003/906.p/65",
            "tile/8/1/000",
            "tile/8/0/000",
        ] {
            assert!(paths.contains(&want.to_owned()), "{paths:?} lacks {want}");
        }
    }

    #[test]
    fn huge_sizes_do_not_panic() {
        for n in [i64::MAX, i64::MAX - 1, 1 << 62, (1 << 62) + 1, 0, 1] {
            let tree = Tree {
                n,
                hash: Hash::default(),
            };
            let _ = TilePlan::new(8, tree, &[0]);
            let _ = stored_hash_count(n);
            let _ = sub_tree_index(0, n);
        }
        let _ = split_stored_hash_index(i64::MAX);
        let _ = Tile::parse_path("tile/30/63/x999/x999/x999/x999/x999/x999/x999/999");
    }
}
