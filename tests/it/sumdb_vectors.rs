//! Go's own checksum-database test data (testdata/vectors/{note,tlog,sumdb}),
//! every row of every file, one test per file; each test names its file and
//! asserts how many rows it checked.

use std::path::PathBuf;

use gomodfetch::sumdb::note::{
    self, Note, NoteError, Signature, Signer, Verifier, VerifierList, Verifiers,
};
use gomodfetch::sumdb::tlog::{self, Hash, Tile, TileHashReader, TileReader, TlogError, Tree};
use serde_json::Value;

fn load(rel: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/vectors")
        .join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn arr(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}"))
}

/// A string field, or its `<field>_hex` sibling when it is not UTF-8.
fn bytes_field(row: &Value, field: &str) -> Vec<u8> {
    match &row[field] {
        Value::String(text) => text.as_bytes().to_vec(),
        _ => hex::decode(s(&row[format!("{field}_hex")])).expect("hex"),
    }
}

fn hash(v: &Value) -> Hash {
    Hash::parse(s(v)).expect("hash")
}

fn sigs(v: &Value) -> Vec<Signature> {
    match v {
        Value::Null => Vec::new(),
        _ => arr(v)
            .iter()
            .map(|x| Signature {
                name: s(&x["name"]).to_owned(),
                hash: x["hash"].as_u64().expect("hash") as u32,
                base64: s(&x["base64"]).to_owned(),
            })
            .collect(),
    }
}

#[test]
fn note_vectors() {
    let file = "note/note.json";
    let d = load(file);
    let mut rows = 0;

    // keys
    let keys = &d["keys"];
    let peter_v = Verifier::new(s(&keys["peter_verifier"])).expect("peter verifier");
    let peter_s = Signer::new(s(&keys["peter_signer"])).expect("peter signer");
    assert_eq!(peter_s.verifier(), peter_v, "{file}: peter pair");
    let enoch_v = Verifier::new(s(&keys["enoch_verifier"])).expect("enoch verifier");
    let enoch_s = Signer::new(s(&keys["enoch_signer_from_zero_seed"])).expect("enoch signer");
    assert_eq!(enoch_s.verifier(), enoch_v, "{file}: enoch pair");
    let (gen_s, gen_v) = Signer::key_pair_from_seed("EnochRoot", [0; 32]);
    assert_eq!(gen_s, s(&keys["enoch_signer_from_zero_seed"]));
    assert_eq!(gen_v, s(&keys["enoch_verifier"]));
    rows += 4;

    // sign
    let sign = &d["sign"];
    let signer = Signer::new(s(&sign["signer_key"])).unwrap();
    let text = s(&sign["text"]);
    let n = Note {
        text: text.to_owned(),
        ..Note::default()
    };
    assert_eq!(
        String::from_utf8(note::sign(&n, &[&signer]).unwrap()).unwrap(),
        s(&sign["want"]),
        "{file}: sign"
    );
    // An existing signature by the same key is replaced.
    let n = Note {
        text: text.to_owned(),
        sigs: vec![Signature {
            name: "PeterNeumann".into(),
            hash: 0xc74f20a3,
            base64: "BADSIGN=".into(),
        }],
        unverified_sigs: vec![],
    };
    assert_eq!(
        String::from_utf8(note::sign(&n, &[&signer]).unwrap()).unwrap(),
        s(&sign["want"]),
        "{file}: re-sign"
    );
    let add = &sign["add_signature"];
    let opened = note::open(
        s(&add["existing"]).as_bytes(),
        &VerifierList::new([peter_v.clone()]),
    )
    .unwrap();
    let enoch = Signer::new(s(&add["signer_key"])).unwrap();
    assert_eq!(
        String::from_utf8(note::sign(&opened, &[&enoch]).unwrap()).unwrap(),
        s(&add["want"]),
        "{file}: add signature"
    );
    rows += 3;
    let errors = arr(&sign["errors"]);
    assert_eq!(errors.len(), 4);
    let bad_cases: Vec<Result<Vec<u8>, NoteError>> = vec![
        note::sign(
            &Note {
                text: "abc".into(),
                ..Note::default()
            },
            &[&signer],
        ),
        note::sign(
            &Note {
                text: text.into(),
                sigs: vec![Signature {
                    name: "a+b".into(),
                    hash: 0,
                    base64: "".into(),
                }],
                unverified_sigs: vec![],
            },
            &[&signer],
        ),
        note::sign(
            &Note {
                text: text.into(),
                sigs: vec![Signature {
                    name: "PeterNeumann".into(),
                    hash: 0xc74f20a3,
                    base64: "BADHASH=".into(),
                }],
                unverified_sigs: vec![],
            },
            &[],
        ),
        note::sign(
            &Note {
                text: text.into(),
                ..Note::default()
            },
            &[&signer.with_name("bad name")],
        ),
    ];
    for (row, got) in errors.iter().zip(bad_cases) {
        let err = got.expect_err(s(&row["desc"]));
        assert_eq!(
            err.to_string(),
            s(&row["want_error"]),
            "{file}: {}",
            s(&row["desc"])
        );
        rows += 1;
    }

    // bad verifier keys and manglings
    for row in arr(&d["bad_verifier_keys"]) {
        let err = Verifier::new(s(&row["key"])).expect_err("bad key accepted");
        assert_eq!(
            err.to_string(),
            s(&row["x_mod_error"]),
            "{file}: {}",
            s(&row["key"])
        );
        rows += 1;
    }
    for (key, is_signer) in [
        (s(&keys["peter_verifier"]), false),
        (s(&keys["peter_signer"]), true),
    ] {
        let parses = |k: &str| {
            if is_signer {
                Signer::new(k).is_ok()
            } else {
                Verifier::new(k).is_ok()
            }
        };
        let b = key.as_bytes();
        for i in 0..b.len() {
            for j in i..=b.len() {
                if (i, j) != (0, b.len()) {
                    assert!(
                        !parses(&key[i..j]),
                        "{file}: accepted substring {:?}",
                        &key[i..j]
                    );
                }
            }
            let mut m = b.to_vec();
            m[i] += 1;
            assert!(
                !parses(std::str::from_utf8(&m).unwrap()),
                "{file}: accepted mangled key"
            );
        }
        rows += 1;
    }

    // open
    for row in arr(&d["open_cases"]) {
        let desc = s(&row["desc"]);
        let msg = bytes_field(row, "message");
        let list: Vec<Verifier> = arr(&row["verifier_keys"])
            .iter()
            .map(|k| Verifier::new(s(k)).unwrap())
            .collect();
        let got = note::open(&msg, &VerifierList::new(list));
        match (&row["want_error"], got) {
            (Value::Null, Ok(n)) => {
                assert_eq!(n.text, s(&row["want_text"]), "{file}: {desc}");
                assert_eq!(n.sigs, sigs(&row["want_sigs"]), "{file}: {desc}");
                assert_eq!(
                    n.unverified_sigs,
                    sigs(&row["want_unverified_sigs"]),
                    "{file}: {desc}"
                );
            }
            (Value::String(want), Err(e)) => {
                assert_eq!(&e.to_string(), want, "{file}: {desc}");
                if row["error_is_unverified_note_error"] == Value::Bool(true) {
                    let NoteError::Unverified(n) = e else {
                        panic!("{file}: {desc}: not unverified")
                    };
                    assert_eq!(n.text, s(&row["want_text"]), "{file}: {desc}");
                    assert_eq!(n.sigs, sigs(&row["want_sigs"]), "{file}: {desc}");
                    assert_eq!(
                        n.unverified_sigs,
                        sigs(&row["want_unverified_sigs"]),
                        "{file}: {desc}"
                    );
                }
            }
            (want, got) => panic!("{file}: {desc}: want {want}, got {got:?}"),
        }
        rows += 1;
    }

    // a Verifiers that answers with another key
    struct Always(Verifier);
    impl Verifiers for Always {
        fn verifier(&self, _: &str, _: u32) -> Result<&Verifier, NoteError> {
            Ok(&self.0)
        }
    }
    for row in arr(&d["mismatched_verifier"]) {
        let v = Verifier::new(s(&row["verifier_returned"])).unwrap();
        let err =
            note::open(s(&row["message"]).as_bytes(), &Always(v)).expect_err("mismatch accepted");
        assert_eq!(err, NoteError::MismatchedVerifier, "{file}");
        assert_eq!(
            err.to_string(),
            "verifier name or hash doesn't match signature"
        );
        rows += 1;
    }

    // verifier list
    let vl = &d["verifier_list"];
    let list = VerifierList::new(
        arr(&vl["keys"])
            .iter()
            .map(|k| Verifier::new(s(k)).unwrap()),
    );
    for row in arr(&vl["lookups"]) {
        let got = list.verifier(s(&row["name"]), row["hash"].as_u64().unwrap() as u32);
        match (&row["want_error"], got) {
            (Value::Null, Ok(v)) => assert_eq!(v.name(), s(&row["name"])),
            (Value::String(want), Err(e)) => assert_eq!(&e.to_string(), want, "{file}"),
            (want, got) => panic!("{file}: want {want}, got {got:?}"),
        }
        rows += 1;
    }
    assert_eq!(rows, 4 + 3 + 4 + 2 + 2 + 16 + 2 + 4, "{file}: rows checked");
}

#[test]
fn tlog_formats_vectors() {
    let file = "tlog/formats.json";
    let d = load(file);
    let mut rows = 0;
    let t = &d["tree"];
    let tree = Tree {
        n: t["N"].as_i64().unwrap(),
        hash: hash(&t["hash"]),
    };
    assert_eq!(
        tree.hash,
        tlog::record_hash(b"hello world"),
        "{file}: hash_of"
    );
    assert_eq!(
        String::from_utf8(tlog::format_tree(tree)).unwrap(),
        s(&t["text"]),
        "{file}: FormatTree"
    );
    assert_eq!(
        tlog::parse_tree(s(&t["text"]).as_bytes()),
        Ok(tree),
        "{file}: ParseTree"
    );
    rows += 1;
    for row in arr(&d["bad_trees"]) {
        let err = tlog::parse_tree(s(&row["text"]).as_bytes()).expect_err("bad tree accepted");
        assert_eq!(err.to_string(), s(&row["x_mod_error"]), "{file}");
        rows += 1;
    }
    for row in arr(&d["good_trees"]) {
        let text = s(&t["text"]).to_owned()
            + &s(&row["suffix"]).repeat(row["repeat"].as_u64().unwrap() as usize);
        assert_eq!(tlog::parse_tree(text.as_bytes()), Ok(tree), "{file}: {row}");
        rows += 1;
    }
    let r = &d["record"];
    let id = r["id"].as_i64().unwrap();
    let formatted = tlog::format_record(id, s(&r["text"]).as_bytes()).unwrap();
    assert_eq!(
        String::from_utf8(formatted.clone()).unwrap(),
        s(&r["formatted"]),
        "{file}: FormatRecord"
    );
    let rest = hex::decode(s(&r["rest_hex"])).unwrap();
    let mut msg = formatted;
    msg.extend_from_slice(&rest);
    let (gid, gtext, grest) = tlog::parse_record(&msg).unwrap();
    assert_eq!(
        (gid, gtext, grest),
        (id, s(&r["text"]).as_bytes(), rest.as_slice()),
        "{file}: ParseRecord"
    );
    rows += 1;
    for row in arr(&d["bad_record_texts"]) {
        let err =
            tlog::format_record(1, s(&row["text"]).as_bytes()).expect_err("bad text accepted");
        assert_eq!(err.to_string(), s(&row["x_mod_error"]), "{file}");
        rows += 1;
    }
    for row in arr(&d["bad_records"]) {
        let err = tlog::parse_record(&bytes_field(row, "record")).expect_err("bad record accepted");
        assert_eq!(err.to_string(), s(&row["x_mod_error"]), "{file}");
        rows += 1;
    }
    assert_eq!(rows, 1 + 3 + 3 + 1 + 4 + 5, "{file}: rows checked");
}

#[test]
fn tlog_tiles_vectors() {
    let file = "tlog/tiles.json";
    let d = load(file);
    let mut rows = 0;
    for row in arr(&d["tile_paths"]) {
        let path = s(&row["path"]);
        let got = Tile::parse_path(path);
        if row["valid"] == Value::Bool(true) {
            let t = &row["tile"];
            let want = Tile {
                h: t["H"].as_i64().unwrap() as i32,
                l: t["L"].as_i64().unwrap() as i32,
                n: t["N"].as_i64().unwrap(),
                w: t["W"].as_i64().unwrap(),
            };
            assert_eq!(got, Ok(want), "{file}: {path}");
            assert_eq!(want.path(), path, "{file}: {path}");
        } else {
            assert_eq!(
                got.expect_err(path).to_string(),
                s(&row["x_mod_error"]),
                "{file}: {path}"
            );
        }
        rows += 1;
    }
    for row in arr(&d["new_tiles"]) {
        let h = row["height"].as_i64().unwrap() as i32;
        let got = tlog::new_tiles(
            h,
            row["old"].as_i64().unwrap(),
            row["new"].as_i64().unwrap(),
        );
        assert_eq!(
            got.len() as u64,
            row["want_count"].as_u64().unwrap(),
            "{file}: {row}"
        );
        rows += 1;
    }
    assert_eq!(rows, 8 + 7, "{file}: rows checked");
}

/// Tiles served from a map (x/mod tlog_test.go testTilesStorage).
struct MapTiles(std::collections::HashMap<Tile, Vec<u8>>, i32);

impl TileReader for MapTiles {
    fn height(&self) -> i32 {
        self.1
    }
    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, TlogError> {
        Ok(tiles
            .iter()
            .map(|t| self.0.get(t).cloned().unwrap_or_default())
            .collect())
    }
    fn save_tiles(&self, _: &[Tile], _: &[Vec<u8>]) {}
}

#[test]
fn tlog_tree_n100_vectors() {
    let file = "tlog/tree_n100.json";
    let d = load(file);
    let mut rows = 0;
    let th = d["tile_height"].as_i64().unwrap() as i32;
    assert_eq!(
        hash(&d["empty_tree_hash"]),
        tlog::tree_hash(0, &[][..]).unwrap(),
        "{file}: empty tree"
    );
    rows += 1;

    // Build the log as x/mod TestTree does, checking every size.
    let leaf_hashes = arr(&d["leaf_hashes"]);
    let tree_hashes = arr(&d["tree_hashes"]);
    let counts = arr(&d["stored_hash_count"]);
    assert_eq!(
        (leaf_hashes.len(), tree_hashes.len(), counts.len()),
        (100, 100, 100)
    );
    let mut storage: Vec<Hash> = Vec::new();
    let mut tiles = std::collections::HashMap::new();
    for i in 0..100i64 {
        let data = format!("leaf {i}");
        let hashes = tlog::stored_hashes(i, data.as_bytes(), &storage[..]).unwrap();
        storage.extend(hashes);
        let k = i as usize;
        assert_eq!(
            tlog::record_hash(data.as_bytes()),
            hash(&leaf_hashes[k]),
            "{file}: leaf {i}"
        );
        assert_eq!(
            tlog::stored_hash_count(i + 1),
            counts[k].as_i64().unwrap(),
            "{file}: count {i}"
        );
        assert_eq!(
            tlog::stored_hash_count(i + 1),
            storage.len() as i64,
            "{file}: storage {i}"
        );
        let tree_hash = tlog::tree_hash(i + 1, &storage[..]).unwrap();
        assert_eq!(tree_hash, hash(&tree_hashes[k]), "{file}: tree {}", i + 1);
        // Every leaf, read back through authenticated tiles of this tree.
        for t in tlog::new_tiles(th, i, i + 1) {
            tiles.insert(t, tlog::read_tile_data(&t, &storage[..]).unwrap());
        }
        let reader = MapTiles(tiles.clone(), th);
        let thr = TileHashReader {
            tree: Tree {
                n: i + 1,
                hash: tree_hash,
            },
            reader: &reader,
        };
        let indexes: Vec<i64> = (0..=i).map(|j| tlog::stored_hash_index(0, j)).collect();
        let got = tlog::HashReader::read_hashes(&thr, &indexes).unwrap();
        let want: Vec<Hash> = (0..=i as usize).map(|j| hash(&leaf_hashes[j])).collect();
        assert_eq!(got, want, "{file}: tile leaves of tree {}", i + 1);
        // A tile reader for a wrong tree hash refuses.
        let wrong = TileHashReader {
            tree: Tree {
                n: i + 1,
                hash: Hash([7; 32]),
            },
            reader: &reader,
        };
        assert_eq!(
            tlog::HashReader::read_hashes(&wrong, &indexes[..1]),
            Err(TlogError::InconsistentTile),
            "{file}: wrong tree {}",
            i + 1
        );
        rows += 3;
    }

    for row in arr(&d["record_proofs"]) {
        let (t, n) = (
            row["tree_size"].as_i64().unwrap(),
            row["index"].as_i64().unwrap(),
        );
        let want: Vec<Hash> = match &row["proof"] {
            Value::Null => vec![],
            p => arr(p).iter().map(hash).collect(),
        };
        let p = tlog::prove_record(t, n, &storage[..]).unwrap();
        assert_eq!(p, want, "{file}: ProveRecord({t}, {n})");
        let th = hash(&tree_hashes[t as usize - 1]);
        let lh = hash(&leaf_hashes[n as usize]);
        assert_eq!(
            tlog::check_record(&p, t, th, n, lh),
            Ok(()),
            "{file}: CheckRecord({t}, {n})"
        );
        for i in 0..p.len() {
            for bit in 0..256 {
                let mut bad = p.clone();
                bad[i].0[bit / 8] ^= 1 << (bit % 8);
                assert!(
                    tlog::check_record(&bad, t, th, n, lh).is_err(),
                    "{file}: flipped record proof"
                );
            }
        }
        rows += 1;
    }
    for row in arr(&d["tree_proofs"]) {
        let (t, n) = (
            row["new_size"].as_i64().unwrap(),
            row["old_size"].as_i64().unwrap(),
        );
        let want: Vec<Hash> = match &row["proof"] {
            Value::Null => vec![],
            p => arr(p).iter().map(hash).collect(),
        };
        let p = tlog::prove_tree(t, n, &storage[..]).unwrap();
        assert_eq!(p, want, "{file}: ProveTree({t}, {n})");
        let th = hash(&tree_hashes[t as usize - 1]);
        let h = hash(&tree_hashes[n as usize - 1]);
        assert_eq!(
            tlog::check_tree(&p, t, th, n, h),
            Ok(()),
            "{file}: CheckTree({t}, {n})"
        );
        for i in 0..p.len() {
            let mut bad = p.clone();
            bad[i].0[0] ^= 1;
            assert!(
                tlog::check_tree(&bad, t, th, n, h).is_err(),
                "{file}: flipped tree proof"
            );
        }
        rows += 1;
    }
    let tile_rows = arr(&d["tiles"]);
    let all = tlog::new_tiles(th, 0, 100);
    assert_eq!(all.len(), tile_rows.len(), "{file}: NewTiles(2, 0, 100)");
    for (row, t) in tile_rows.iter().zip(&all) {
        assert_eq!(t.path(), s(&row["path"]), "{file}");
        let want = Tile {
            h: row["H"].as_i64().unwrap() as i32,
            l: row["L"].as_i64().unwrap() as i32,
            n: row["N"].as_i64().unwrap(),
            w: row["W"].as_i64().unwrap(),
        };
        assert_eq!(*t, want, "{file}: {}", t.path());
        let data = note::decode_base64(s(&row["data_base64"])).unwrap();
        assert_eq!(
            tlog::read_tile_data(t, &storage[..]).unwrap(),
            data,
            "{file}: {}",
            t.path()
        );
        rows += 1;
    }
    for row in arr(&d["stored_hash_index"]) {
        let (l, n, x) = (
            row["level"].as_i64().unwrap() as i32,
            row["n"].as_i64().unwrap(),
            row["index"].as_i64().unwrap(),
        );
        assert_eq!(
            tlog::stored_hash_index(l, n),
            x,
            "{file}: StoredHashIndex({l}, {n})"
        );
        assert_eq!(
            tlog::split_stored_hash_index(x),
            (l, n),
            "{file}: SplitStoredHashIndex({x})"
        );
        rows += 1;
    }
    assert_eq!(rows, 1 + 300 + 9 + 10 + 35 + 24, "{file}: rows checked");
}

mod client {
    //! testdata/vectors/sumdb/client.json: x/mod client_test.go, replayed
    //! against [`gomodfetch::sumdb::client::Client`] over in-memory ops.

    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    use gomodfetch::sumdb::client::{Client, ClientError, OpsError, SumdbOps};
    use gomodfetch::sumdb::note::{self, Note, Signer};
    use gomodfetch::sumdb::tlog::{self, Hash, Tree};
    use serde_json::Value;

    use super::{arr, load, s};

    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    struct Msg(String);

    /// x/mod's testClient: remote, config and cache as maps.
    #[derive(Default)]
    pub struct MemOps {
        pub remote: Mutex<BTreeMap<String, Vec<u8>>>,
        pub config: Mutex<BTreeMap<String, Vec<u8>>>,
        pub cache: Mutex<BTreeMap<String, Vec<u8>>>,
        pub security: Mutex<String>,
        pub get_ok: AtomicBool,
        pub get_tile_ok: AtomicBool,
    }

    impl MemOps {
        pub fn new(remote: &Value, config: &Value) -> Self {
            let ops = MemOps::default();
            ops.get_ok.store(true, Ordering::SeqCst);
            ops.get_tile_ok.store(true, Ordering::SeqCst);
            for f in arr(remote) {
                let data = match &f["text"] {
                    Value::String(t) => t.as_bytes().to_vec(),
                    _ => note::decode_base64(s(&f["base64"])).unwrap(),
                };
                ops.remote
                    .lock()
                    .unwrap()
                    .insert(s(&f["path"]).to_owned(), data);
            }
            for f in arr(config) {
                ops.config
                    .lock()
                    .unwrap()
                    .insert(s(&f["path"]).to_owned(), s(&f["text"]).as_bytes().to_vec());
            }
            ops
        }

        pub fn flip_tiles(&self) {
            for (path, data) in self.remote.lock().unwrap().iter_mut() {
                if path.contains("/tile/") {
                    data.iter_mut().for_each(|b| *b ^= 0x80);
                }
            }
        }
    }

    impl SumdbOps for MemOps {
        async fn read_remote(&self, path: &str) -> Result<Vec<u8>, OpsError> {
            let ok = self.get_ok.load(Ordering::SeqCst)
                && (!path.starts_with("/tile/") || self.get_tile_ok.load(Ordering::SeqCst));
            if !ok {
                return Err(OpsError::failed(Msg(format!(
                    "disallowed remote read {path}"
                ))));
            }
            self.remote
                .lock()
                .unwrap()
                .get(path)
                .cloned()
                .ok_or_else(|| OpsError::failed(Msg(format!("no remote path {path}"))))
        }
        async fn read_config(&self, file: &str) -> Result<Vec<u8>, OpsError> {
            Ok(self
                .config
                .lock()
                .unwrap()
                .get(file)
                .cloned()
                .unwrap_or_default())
        }
        async fn write_config(&self, file: &str, old: &[u8], new: &[u8]) -> Result<(), OpsError> {
            let mut config = self.config.lock().unwrap();
            if config.get(file).map(Vec::as_slice).unwrap_or_default() != old {
                return Err(OpsError::WriteConflict);
            }
            config.insert(file.to_owned(), new.to_vec());
            Ok(())
        }
        async fn read_cache(&self, file: &str) -> Option<Vec<u8>> {
            self.cache.lock().unwrap().get(file).cloned()
        }
        async fn write_cache(&self, file: &str, data: &[u8]) {
            self.cache
                .lock()
                .unwrap()
                .insert(file.to_owned(), data.to_vec());
        }
        fn security_error(&self, msg: &str) {
            let mut s = self.security.lock().unwrap();
            s.push_str(msg.trim_end_matches('\n'));
            s.push('\n');
        }
    }

    fn latest_size(ops: &MemOps, name: &str) -> i64 {
        let config = ops.config.lock().unwrap();
        let latest = config
            .get(&format!("{name}/latest"))
            .cloned()
            .unwrap_or_default();
        let text = String::from_utf8(latest).unwrap();
        text.split('\n').nth(1).unwrap_or("").parse().unwrap_or(-1)
    }

    #[tokio::test]
    async fn sumdb_client_vectors() {
        let file = "sumdb/client.json";
        let d = load(file);
        let name = s(&d["keys"]["name"]);
        let height = d["tile_height"].as_i64().unwrap() as i32;
        let new_client = |ops: MemOps| Client::new(ops).with_tile_height(height);
        let mut rows = 0;

        // TestClientLookup
        let lookups = arr(&d["lookups"]);
        assert_eq!(lookups.len(), 4);
        let want = |i: usize| -> Vec<String> {
            arr(&lookups[i]["want_lines"])
                .iter()
                .map(|l| s(l).to_owned())
                .collect()
        };
        let c = new_client(MemOps::new(
            &d["initial"]["remote"],
            &d["initial"]["config"],
        ));
        assert_eq!(latest_size(c.ops(), name), 1);
        let look = |i: usize| (s(&lookups[i]["path"]), s(&lookups[i]["version"]));
        let (p, v) = look(0);
        assert_eq!(c.lookup(p, v).await.unwrap(), want(0), "{file}: lookups[0]");
        assert_eq!(latest_size(c.ops(), name), 3);
        // Everything is now cached, for the module and its /go.mod.
        c.ops().get_ok.store(false, Ordering::SeqCst);
        assert_eq!(
            c.lookup(p, v).await.unwrap(),
            want(0),
            "{file}: lookups[0] cached"
        );
        let (p, v) = look(1);
        assert_eq!(c.lookup(p, v).await.unwrap(), want(1), "{file}: lookups[1]");
        // A fresh client answers from the disk cache alone.
        {
            let ops = MemOps::new(&d["initial"]["remote"], &d["initial"]["config"]);
            *ops.config.lock().unwrap() = c.ops().config.lock().unwrap().clone();
            *ops.cache.lock().unwrap() = c.ops().cache.lock().unwrap().clone();
            ops.get_ok.store(false, Ordering::SeqCst);
            let fresh = new_client(ops);
            assert_eq!(
                fresh.lookup(p, v).await.unwrap(),
                want(1),
                "{file}: lookups[1] from disk cache"
            );
        }
        assert_eq!(latest_size(c.ops(), name), 3);
        c.ops().get_ok.store(true, Ordering::SeqCst);
        c.ops().get_tile_ok.store(false, Ordering::SeqCst); // the cache has what we need
        let (p, v) = look(2);
        assert_eq!(c.lookup(p, v).await.unwrap(), want(2), "{file}: lookups[2]");
        assert_eq!(latest_size(c.ops(), name), 3);
        // rsc.io/Quote is the only record after rsc.io/sampler: it alone needs more tiles.
        c.ops().get_tile_ok.store(true, Ordering::SeqCst);
        let (p, v) = look(3);
        assert_eq!(c.lookup(p, v).await.unwrap(), want(3), "{file}: lookups[3]");
        assert_eq!(latest_size(c.ops(), name), 4);
        rows += 4;
        for f in arr(&d["final_config"]) {
            let got = c
                .ops()
                .config
                .lock()
                .unwrap()
                .get(s(&f["path"]))
                .cloned()
                .unwrap_or_default();
            assert_eq!(
                String::from_utf8(got).unwrap(),
                s(&f["text"]),
                "{file}: final config {}",
                s(&f["path"])
            );
            rows += 1;
        }
        let cached: Vec<String> = c.ops().cache.lock().unwrap().keys().cloned().collect();
        let want_cached: Vec<String> = arr(&d["final_cache_files"])
            .iter()
            .map(|f| s(f).to_owned())
            .collect();
        assert_eq!(cached, want_cached, "{file}: final cache files");
        rows += want_cached.len();

        // TestClientBadTiles
        let bad = arr(&d["bad_tiles"]);
        assert_eq!(bad.len(), 3);
        let split = |l: &str| {
            l.split_once('@')
                .map(|(p, v)| (p.to_owned(), v.to_owned()))
                .unwrap()
        };
        {
            let ops = MemOps::new(&d["initial"]["remote"], &d["initial"]["config"]);
            ops.flip_tiles();
            let c = new_client(ops);
            let (p, v) = split(s(&bad[0]["lookup"]));
            let err = c.lookup(&p, &v).await.unwrap_err().to_string();
            assert!(
                err.contains(s(&bad[0]["want_error_contains"])),
                "{file}: bad_tiles[0]: {err}"
            );
            assert!(
                c.ops().cache.lock().unwrap().is_empty(),
                "{file}: bad tiles cached"
            );
            rows += 1;
        }
        {
            let c = new_client(MemOps::new(
                &d["initial"]["remote"],
                &d["initial"]["config"],
            ));
            c.lookup(p_of(&lookups[0]), s(&lookups[0]["version"]))
                .await
                .unwrap();
            c.ops().flip_tiles();
            let (p, v) = split(s(&bad[1]["lookup"]));
            let before = c.ops().cache.lock().unwrap().clone();
            let err = c.lookup(&p, &v).await.unwrap_err().to_string();
            assert!(
                err.contains(s(&bad[1]["want_error_contains"])),
                "{file}: bad_tiles[1]: {err}"
            );
            assert_eq!(
                *c.ops().cache.lock().unwrap(),
                before,
                "{file}: cache changed by bad tiles"
            );
            assert_eq!(
                latest_size(c.ops(), name),
                3,
                "{file}: latest moved on bad tiles"
            );
            rows += 1;
        }
        {
            let ops = MemOps::new(&d["initial"]["remote"], &d["initial"]["config"]);
            let signer = Signer::new(s(&d["keys"]["signer"])).unwrap();
            let text = String::from_utf8(tlog::format_tree(Tree {
                n: 1,
                hash: Hash::default(),
            }))
            .unwrap();
            let signed = note::sign(
                &Note {
                    text,
                    ..Note::default()
                },
                &[&signer],
            )
            .unwrap();
            ops.config
                .lock()
                .unwrap()
                .insert(format!("{name}/latest"), signed);
            let c = new_client(ops);
            let (p, v) = split(s(&bad[2]["lookup"]));
            let err = c.lookup(&p, &v).await.unwrap_err().to_string();
            assert!(
                err.contains(s(&bad[2]["want_error_contains"])),
                "{file}: bad_tiles[2]: {err}"
            );
            rows += 1;
        }

        // TestClientFork: rebuild the f2 log (records 0..3, then pkg1 v1.5.3
        // and v1.5.4), serve its tree-6 tiles and the other log's lookup.
        let fork = &d["fork"];
        let mut records: Vec<(i64, Vec<u8>)> = Vec::new();
        for f in arr(&d["initial"]["remote"]) {
            if s(&f["path"]).starts_with("/lookup/") {
                let (id, text, _) = tlog::parse_record(s(&f["text"]).as_bytes()).unwrap();
                records.push((id, text.to_vec()));
            }
        }
        records.sort();
        records.push((4, b"rsc.io/pkg1 v1.5.3 h1:hash!=\n".to_vec()));
        records.push((5, b"rsc.io/pkg1 v1.5.4 h1:hash!=\n".to_vec()));
        let mut storage: Vec<Hash> = Vec::new();
        for (id, text) in &records {
            let hashes = tlog::stored_hashes(*id, text, &storage).unwrap();
            storage.extend(hashes);
        }
        let tree = Tree {
            n: 6,
            hash: tlog::tree_hash(6, &storage).unwrap(),
        };
        let signer = Signer::new(s(&d["keys"]["signer"])).unwrap();
        let text = String::from_utf8(tlog::format_tree(tree)).unwrap();
        let signed = note::sign(
            &Note {
                text,
                ..Note::default()
            },
            &[&signer],
        )
        .unwrap();
        let f2_latest = arr(&fork["f2_config_before"])
            .iter()
            .find(|f| s(&f["path"]).ends_with("/latest"))
            .unwrap();
        assert_eq!(
            String::from_utf8(signed).unwrap(),
            s(&f2_latest["text"]),
            "{file}: rebuilt f2 log"
        );
        let ops = MemOps::new(&Value::Array(vec![]), &fork["f2_config_before"]);
        for t in tlog::new_tiles(height, 0, 6) {
            ops.remote.lock().unwrap().insert(
                format!("/{}", t.path()),
                tlog::read_tile_data(&t, &storage).unwrap(),
            );
        }
        ops.remote.lock().unwrap().insert(
            s(&fork["forked_lookup_path"]).to_owned(),
            s(&fork["forked_lookup_response"]).as_bytes().to_vec(),
        );
        let c = new_client(ops);
        let err = c.lookup("rsc.io/pkg1", "v1.5.2").await.unwrap_err();
        assert!(
            matches!(err.error, ClientError::Security(_)),
            "{file}: fork: {err}"
        );
        assert_eq!(
            err.to_string(),
            s(&fork["x_mod_error"]),
            "{file}: fork error"
        );
        let text = c.ops().security.lock().unwrap().clone();
        for want in arr(&fork["security_message_must_contain"]) {
            assert!(
                text.contains(s(want)),
                "{file}: security text lacks {want}:\n{text}"
            );
        }
        assert_eq!(
            text,
            s(&fork["x_mod_security_message"]),
            "{file}: security text"
        );
        assert_eq!(
            err.security_message().map(|m| format!("{m}\n")),
            Some(text),
            "{file}: message in error"
        );
        assert!(
            c.ops()
                .cache
                .lock()
                .unwrap()
                .keys()
                .all(|k| !k.contains("/lookup/")),
            "{file}: fork cached"
        );
        assert_eq!(latest_size(c.ops(), name), 6, "{file}: latest after fork");
        rows += 1;

        // TestClientGONOSUMDB
        let g = &d["gonosumdb"];
        let c = new_client(MemOps::new(
            &d["initial"]["remote"],
            &d["initial"]["config"],
        ))
        .with_gonosumdb(s(&g["patterns"]));
        fn assert_send<T: Send>(t: T) -> T {
            t
        }
        // Lookups are Send futures: callers may spawn many at once.
        assert_send(c.lookup("rsc.io/sampler", "v1.3.0"))
            .await
            .unwrap(); // initialise before turning off the network
        c.ops().get_ok.store(false, Ordering::SeqCst);
        for p in arr(&g["looked_up"]) {
            let err = c.lookup(s(p), "v1.0.0").await.unwrap_err();
            assert!(
                !matches!(err.error, ClientError::Gonosumdb),
                "{file}: {p} skipped"
            );
            rows += 1;
        }
        for p in arr(&g["skipped"]) {
            let err = c.lookup(s(p), "v1.0.0").await.unwrap_err();
            assert!(
                matches!(err.error, ClientError::Gonosumdb),
                "{file}: {p} looked up: {err}"
            );
            assert_eq!(err.error.to_string(), s(&g["skipped_error"]));
            rows += 1;
        }
        assert_eq!(rows, 4 + 2 + 7 + 3 + 1 + 9, "{file}: rows checked");
    }

    fn p_of(v: &Value) -> &str {
        s(&v["path"])
    }
}

mod never_panics {
    //! Nothing in the checksum-database core panics on any input.

    use gomodfetch::sumdb::note::{self, Verifier, VerifierList};
    use gomodfetch::sumdb::tlog::{self, Hash, Tile, TilePlan, Tree};
    use gomodfetch::verify::gosum::GoSum;
    use proptest::prelude::*;

    const PETER: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn parsers(data in proptest::collection::vec(any::<u8>(), 0..400), text in ".{0,200}") {
            let list = VerifierList::new([Verifier::new(PETER).unwrap()]);
            let _ = note::open(&data, &list);
            let _ = note::open(text.as_bytes(), &list);
            let _ = note::open(format!("{text}\n\n\u{2014} PeterNeumann {text}\n").as_bytes(), &list);
            let _ = Verifier::new(&text);
            let _ = note::Signer::new(&text);
            let _ = tlog::parse_tree(&data);
            let _ = tlog::parse_tree(format!("go.sum database tree\n{text}\n{text}\n").as_bytes());
            let _ = tlog::parse_record(&data);
            let _ = Tile::parse_path(&text);
            let _ = Tile::parse_path(&format!("tile/{text}"));
            let _ = GoSum::parse("go.sum", &data);
            let _ = GoSum::parse_lenient(text.as_bytes());
        }

        #[test]
        fn tile_plans(n in any::<i64>(), h in -2i32..40, idx in proptest::collection::vec(any::<i64>(), 0..4), data in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..70), 0..6)) {
            let tree = Tree { n, hash: Hash::default() };
            if let Ok(plan) = TilePlan::new(h, tree, &idx) {
                let _ = plan.verify(&data);
            }
            let _ = tlog::split_stored_hash_index(n);
            let _ = tlog::stored_hash_index(h, n);
            let _ = tlog::check_record(&[], n, Hash::default(), n / 2, Hash::default());
            let _ = tlog::check_tree(&[Hash::default()], n, Hash::default(), n / 3, Hash::default());
        }
    }
}
