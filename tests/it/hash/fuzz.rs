//! Fuzz target for zip reading, checking, extraction and hashing (issue 3:
//! nothing panics on any input; extraction never leaves its directory and
//! never makes a symlink; what unzips hashes the same as the zip). A short
//! proptest run on every `cargo test`; GOMODFETCH_FUZZ_CASES=N runs longer.

use std::fs;
use std::io::Cursor;
use std::path::Path;

use gomodfetch::codehost::zipbuild::{Method, ZipWriter};
use gomodfetch::verify::dirhash;
use gomodfetch::verify::zipcheck;
use gomodfetch::verify::zipread::ZipReader;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

#[expect(
    clippy::disallowed_methods,
    reason = "the test-only switch GOMODFETCH_FUZZ_CASES, not configuration"
)]
fn cases(default: u32) -> u32 {
    std::env::var("GOMODFETCH_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Reads everything the way hashing and checking do; must not panic.
fn exercise_bytes(data: &[u8]) {
    let size = data.len() as u64;
    if let Ok(mut zip) = ZipReader::new(Cursor::new(data), size) {
        for i in 0..zip.entries().len() {
            if let Ok(mut r) = zip.open(i) {
                let _ = std::io::copy(&mut r, &mut std::io::sink());
            }
        }
        let _ = dirhash::hash_zip_reader(&mut zip);
    }
    let _ = zipcheck::check_zip_reader("example.com/m", "v1.0.0", Cursor::new(data), size);
}

fn name_strategy() -> impl Strategy<Value = String> {
    let part = prop::sample::select(vec![
        "a", "A", "b.go", "B.GO", "go.mod", "GO.MOD", "..", ".", "", "vendor", "\u{212A}", "k",
        "x y", "@", "a\\b", "c:", "LICENSE", "\u{e9}", "sub",
    ]);
    let prefix = prop::sample::select(vec![
        "example.com/m@v1.0.0/",
        "example.com/m@v1.0.0/",
        "example.com/m@v1.0.0/",
        "example.com/m@v1.0.0",
        "example.com/n@v1.0.0/",
        "/",
        "",
    ]);
    (prefix, prop::collection::vec(part, 1..4), any::<bool>()).prop_map(|(p, parts, dir)| {
        let mut name = format!("{p}{}", parts.join("/"));
        if dir {
            name.push('/');
        }
        name
    })
}

fn entries_strategy() -> impl Strategy<Value = Vec<(String, Vec<u8>, bool)>> {
    prop::collection::vec(
        (
            name_strategy(),
            prop::collection::vec(any::<u8>(), 0..64),
            any::<bool>(),
        ),
        0..6,
    )
}

/// Builds the zip, optionally corrupts one byte, then checks, extracts and
/// hashes it, asserting the safety properties.
fn exercise_zip(entries: &[(String, Vec<u8>, bool)], flip: Option<(usize, u8)>, root: &Path) {
    let mut w = ZipWriter::new(Vec::new());
    for (name, data, deflate) in entries {
        let method = if *deflate {
            Method::Deflate
        } else {
            Method::Store
        };
        w.add(name.as_bytes(), method, &mut &data[..], None)
            .unwrap();
    }
    let mut bytes = w.finish().unwrap();
    if let Some((at, value)) = flip
        && !bytes.is_empty()
    {
        let at = at % bytes.len();
        bytes[at] ^= value | 1;
    }
    exercise_bytes(&bytes);
    let zip = root.join("f.zip");
    fs::write(&zip, &bytes).unwrap();
    let out = root.join("out");
    let result = zipcheck::unzip(&out, "example.com/m", "v1.0.0", &zip);
    if out.exists() {
        assert_contained(&out, &out);
    }
    if result.is_ok() {
        // go mod verify's two hashes agree for what unzips, except that a
        // zip's directory entries are hashed (empty) and a tree's are not.
        let reader = zipcheck::entry_names(&zip).unwrap();
        if !reader.iter().any(|n| n.ends_with(b"/")) {
            assert_eq!(
                dirhash::hash_dir(&out, "example.com/m@v1.0.0").unwrap(),
                dirhash::hash_zip(&zip).unwrap()
            );
        }
    } else {
        // Go checks everything first: a zip failing checkZip writes nothing.
        let checked = zipcheck::check_zip("example.com/m", "v1.0.0", &zip).and_then(|cf| cf.err());
        if checked.is_err() {
            assert!(
                !out.exists(),
                "a zip failing CheckZip created {}",
                out.display()
            );
        }
    }
    let _ = fs::remove_dir_all(&out);
}

fn assert_contained(root: &Path, dir: &Path) {
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = fs::symlink_metadata(entry.path()).unwrap();
        assert!(
            !meta.file_type().is_symlink(),
            "symlink {}",
            entry.path().display()
        );
        let canonical = fs::canonicalize(entry.path()).unwrap();
        assert!(canonical.starts_with(fs::canonicalize(root).unwrap()));
        if meta.is_dir() {
            assert_contained(root, &entry.path());
        }
    }
}

#[test]
fn fuzz_zip_bytes_never_panic() {
    let mut runner = TestRunner::new(Config {
        cases: cases(256),
        ..Config::default()
    });
    runner
        .run(&prop::collection::vec(any::<u8>(), 0..512), |data| {
            exercise_bytes(&data);
            // The same bytes behind a valid-looking end record.
            let mut with_end = data.clone();
            with_end.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\0\x01\0\x2e\0\0\0\0\0\0\0\0\0");
            exercise_bytes(&with_end);
            Ok(())
        })
        .unwrap();
}

#[test]
fn fuzz_module_zips_check_extract_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let mut runner = TestRunner::new(Config {
        cases: cases(128),
        ..Config::default()
    });
    runner
        .run(
            &(
                entries_strategy(),
                prop::option::of((any::<usize>(), any::<u8>())),
            ),
            |(entries, flip)| {
                exercise_zip(&entries, flip, tmp.path());
                Ok(())
            },
        )
        .unwrap();
}
