//! Go's own zip and dirhash vectors (testdata/vectors/{dirhash,zip}/), one
//! test per file or folder, each checking every row and asserting the count.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use gomodfetch::codehost::zipbuild::{self, Method, ZipWriter};
use gomodfetch::verify::dirhash;
use gomodfetch::verify::zipcheck::{self, CheckedFiles, DataFile, FileInfo, FileKind, ModuleFile};
use serde_json::Value;

use super::txtar;

pub fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/vectors")
}

fn read_json(rel: &str) -> Value {
    let path = vectors().join(rel);
    serde_json::from_slice(&fs::read(&path).unwrap()).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The error and its sources joined as Go prints wrapped errors.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

/// The txtar files of one vector folder, sorted.
fn txtar_files(folder: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(vectors().join(folder))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    files
}

struct ZipTest {
    name: String,
    path: Vec<u8>,
    version: String,
    want_err: Option<String>,
    hash: Option<String>,
    files: Vec<(String, Vec<u8>)>,
}

fn read_zip_test(file: &Path) -> ZipTest {
    let data = fs::read(file).unwrap();
    let params = txtar::params(&data);
    let archive = txtar::parse(&data);
    let text = |k: &str| {
        params
            .get(k)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    };
    ZipTest {
        name: file.file_name().unwrap().to_string_lossy().into_owned(),
        path: params.get("path").cloned().unwrap_or_default(),
        version: text("version").unwrap_or_default(),
        want_err: text("wantErr"),
        hash: text("hash"),
        files: archive.files,
    }
}

/// Writes `entries` as a zip (deflated) at `dest`.
pub fn write_zip(dest: &Path, entries: &[(Vec<u8>, Vec<u8>)]) {
    let mut zip = ZipWriter::new(fs::File::create(dest).unwrap());
    for (name, data) in entries {
        zip.add(name, Method::Deflate, &mut &data[..], None)
            .unwrap();
    }
    zip.finish().unwrap();
}

/// Formats a CheckedFiles as the `want` sections print it.
fn format_checked(cf: &CheckedFiles) -> String {
    let mut out = String::from("valid:\n");
    for v in &cf.valid {
        out.push_str(v);
        out.push('\n');
    }
    out.push_str("\nomitted:\n");
    for e in &cf.omitted {
        out.push_str(&format!("{}: {}\n", e.path, e.problem));
    }
    out.push_str("\ninvalid:\n");
    for e in &cf.invalid {
        out.push_str(&format!("{}: {}\n", e.path, e.problem));
    }
    out
}

#[test]
fn dirhash_json() {
    let v = read_json("dirhash/dirhash.json");
    let mut rows = 0;
    for case in v["cases"].as_array().unwrap() {
        let files: Vec<(String, Vec<u8>)> = case["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let name = f["name"].as_str().unwrap().to_owned();
                (name, f["data"].as_str().unwrap().as_bytes().to_vec())
            })
            .collect();
        let want = case["h1"].as_str().unwrap();
        // Hash1 over the given (unsorted) pairs.
        let pairs = files.iter().map(|(n, d)| (n.as_str(), &d[..]));
        assert_eq!(dirhash::hash1(pairs).unwrap(), want, "{}", case["desc"]);
        // The summary in the vector is what was hashed.
        use sha2::Digest;
        let summary = sha2::Sha256::digest(case["summary"].as_str().unwrap().as_bytes());
        use base64::Engine;
        let from_summary = format!(
            "h1:{}",
            base64::engine::general_purpose::STANDARD.encode(summary)
        );
        assert_eq!(from_summary, want);
        // The same files as a zip, and (for prefixed names) as a directory.
        let tmp = tempfile::tempdir().unwrap();
        let zip_path = tmp.path().join("x.zip");
        let entries: Vec<(Vec<u8>, Vec<u8>)> = files
            .iter()
            .map(|(n, d)| (n.as_bytes().to_vec(), d.clone()))
            .collect();
        write_zip(&zip_path, &entries);
        assert_eq!(dirhash::hash_zip(&zip_path).unwrap(), want);
        if let Some((prefix, _)) = files[0].0.split_once('/') {
            let dir = tmp.path().join("dir");
            fs::create_dir(&dir).unwrap();
            for (name, data) in &files {
                fs::write(dir.join(name.split_once('/').unwrap().1), data).unwrap();
            }
            assert_eq!(dirhash::hash_dir(&dir, prefix).unwrap(), want);
        }
        rows += 1;
    }
    let empty = v["empty_h1"].as_str().unwrap();
    assert_eq!(dirhash::hash1(Vec::<(&str, &[u8])>::new()).unwrap(), empty);
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(dirhash::hash_dir(tmp.path(), "p@v1.0.0").unwrap(), empty);
    rows += 1;
    let nl = &v["newline_in_name"];
    let names: Vec<&str> = nl["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    let err = dirhash::hash1(names.iter().map(|n| (*n, &b""[..]))).unwrap_err();
    assert_eq!(err.to_string(), nl["x_mod_error"].as_str().unwrap());
    let err = dirhash::hash1_with(&names, |_| Ok(&b""[..])).unwrap_err();
    assert_eq!(err.to_string(), nl["x_mod_error"].as_str().unwrap());
    rows += 1;
    assert_eq!(rows, 4, "dirhash/dirhash.json rows");
}

fn data_files(files: &[(String, Vec<u8>)]) -> Vec<DataFile> {
    files
        .iter()
        .map(|(path, data)| DataFile {
            path: path.clone(),
            data: data.clone(),
        })
        .collect()
}

fn module_path(t: &ZipTest) -> Option<&str> {
    std::str::from_utf8(&t.path).ok()
}

/// A module path that is not UTF-8 cannot reach the `&str` API; the caller
/// converting bytes reports Go's error, checked here once.
fn assert_invalid_utf8_path(t: &ZipTest) {
    let want = t.want_err.as_deref().unwrap();
    assert!(want.contains("invalid UTF-8"), "{}: {want}", t.name);
    let err = gomodfetch::module::path::ModulePathError::Malformed {
        kind: gomodfetch::module::path::PathKind::Module,
        path: String::from_utf8_lossy(&t.path).into_owned(),
        defect: gomodfetch::module::path::PathDefect::InvalidUtf8,
    };
    assert!(err.to_string().ends_with(": invalid UTF-8"));
}

fn check_create_result(t: &ZipTest, result: Result<(), zipcheck::ZipError>, zip: &Path, rel: &str) {
    match (&t.want_err, result) {
        (Some(want), Err(err)) => {
            let got = chain(&err);
            assert!(
                got.contains(want.as_str()),
                "{rel}/{}: error {got:?} lacks {want:?}",
                t.name
            );
        }
        (Some(want), Ok(())) => panic!("{rel}/{}: succeeded, want error {want:?}", t.name),
        (None, Err(err)) => panic!("{rel}/{}: {}", t.name, chain(&err)),
        (None, Ok(())) => {
            let want = t.hash.as_deref().unwrap();
            assert_eq!(dirhash::hash_zip(zip).unwrap(), want, "{rel}/{}", t.name);
            // What we build, we accept: the zip passes CheckZip and unzips.
            let out = zip.with_extension("out");
            zipcheck::unzip(&out, module_path(t).unwrap(), &t.version, zip)
                .unwrap_or_else(|e| panic!("{rel}/{}: {}", t.name, chain(&e)));
            let prefix = format!("{}@{}", module_path(t).unwrap(), t.version);
            assert_eq!(
                dirhash::hash_dir(&out, &prefix).unwrap(),
                want,
                "{rel}/{}",
                t.name
            );
        }
    }
}

#[test]
fn zip_create_folder() {
    let files = txtar_files("zip/create");
    let mut rows = 0;
    for file in &files {
        let t = read_zip_test(file);
        rows += 1;
        let Some(path) = module_path(&t) else {
            assert_invalid_utf8_path(&t);
            continue;
        };
        let tmp = tempfile::tempdir().unwrap();
        let zip = tmp.path().join("m.zip");
        let result = zipbuild::create(
            fs::File::create(&zip).unwrap(),
            path,
            &t.version,
            &data_files(&t.files),
        );
        check_create_result(&t, result, &zip, "zip/create");
    }
    assert_eq!(rows, 16, "zip/create/*.txt files");
}

#[test]
fn zip_create_from_dir_folder() {
    let files = txtar_files("zip/create_from_dir");
    let mut rows = 0;
    for file in &files {
        let t = read_zip_test(file);
        rows += 1;
        let Some(path) = module_path(&t) else {
            assert_invalid_utf8_path(&t);
            continue;
        };
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("src");
        fs::create_dir(&dir).unwrap();
        for (name, data) in &t.files {
            let dest = dir.join(name);
            fs::create_dir_all(dest.parent().unwrap()).unwrap();
            fs::write(&dest, data).unwrap();
        }
        let zip = tmp.path().join("m.zip");
        let result =
            zipbuild::create_from_dir(fs::File::create(&zip).unwrap(), path, &t.version, &dir);
        check_create_result(&t, result, &zip, "zip/create_from_dir");
    }
    assert_eq!(rows, 13, "zip/create_from_dir/*.txt files");
}

#[test]
fn zip_unzip_folder() {
    let files = txtar_files("zip/unzip");
    let mut rows = 0;
    for file in &files {
        let t = read_zip_test(file);
        rows += 1;
        let Some(path) = module_path(&t) else {
            assert_invalid_utf8_path(&t);
            continue;
        };
        let tmp = tempfile::tempdir().unwrap();
        let zip = tmp.path().join("m.zip");
        let entries: Vec<(Vec<u8>, Vec<u8>)> = t
            .files
            .iter()
            .map(|(n, d)| (n.as_bytes().to_vec(), d.clone()))
            .collect();
        write_zip(&zip, &entries);
        let out = tmp.path().join("out");
        let result = zipcheck::unzip(&out, path, &t.version, &zip);
        match (&t.want_err, result) {
            (Some(want), Err(err)) => {
                let got = chain(&err);
                assert!(
                    got.contains(want.as_str()),
                    "{}: error {got:?} lacks {want:?}",
                    t.name
                );
                assert!(got.starts_with("unzip "), "{}: {got}", t.name);
                // Nothing was extracted from a zip that failed the checks.
                assert!(!out.exists(), "{}: created {}", t.name, out.display());
            }
            (Some(want), Ok(())) => panic!("{}: succeeded, want {want:?}", t.name),
            (None, Err(err)) => panic!("{}: {}", t.name, chain(&err)),
            (None, Ok(())) => {
                let prefix = format!("{path}@{}", t.version);
                let want = t.hash.as_deref().unwrap();
                assert_eq!(
                    dirhash::hash_dir(&out, &prefix).unwrap(),
                    want,
                    "{}",
                    t.name
                );
                assert_eq!(dirhash::hash_zip(&zip).unwrap(), want, "{}", t.name);
                assert_file_modes(&out);
            }
        }
    }
    assert_eq!(rows, 15, "zip/unzip/*.txt files");
}

/// Extracted files are read-only (0444), as x/mod writes them.
fn assert_file_modes(dir: &Path) {
    #[cfg(unix)]
    for entry in fs::read_dir(dir).unwrap() {
        use std::os::unix::fs::PermissionsExt;
        let entry = entry.unwrap();
        let meta = fs::symlink_metadata(entry.path()).unwrap();
        assert!(!meta.file_type().is_symlink());
        if meta.is_dir() {
            assert_file_modes(&entry.path());
        } else {
            assert_eq!(
                meta.permissions().mode() & 0o777,
                0o444,
                "{}",
                entry.path().display()
            );
        }
    }
}

fn want_section(t: &ZipTest) -> (String, Vec<(String, Vec<u8>)>) {
    let want = t
        .files
        .iter()
        .find(|(n, _)| n == "want")
        .map(|(_, d)| String::from_utf8_lossy(d).into_owned());
    let rest = t
        .files
        .iter()
        .filter(|(n, _)| n != "want")
        .cloned()
        .collect();
    (
        want.unwrap_or_else(|| panic!("{}: no want section", t.name)),
        rest,
    )
}

#[test]
fn zip_check_files_folder() {
    let files = txtar_files("zip/check_files");
    for file in &files {
        let t = read_zip_test(file);
        let (want, list) = want_section(&t);
        let (cf, err) = zipcheck::check_files(&data_files(&list));
        assert_eq!(format_checked(&cf), want, "zip/check_files/{}", t.name);
        // The combined error is the invalid list joined (no size error here).
        match err {
            Err(err) => assert_eq!(
                err.to_string(),
                cf.invalid
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            Ok(()) => assert!(cf.invalid.is_empty()),
        }
    }
    assert_eq!(files.len(), 4, "zip/check_files/*.txt files");
}

#[test]
fn zip_check_dir_folder() {
    let files = txtar_files("zip/check_dir");
    for file in &files {
        let t = read_zip_test(file);
        let (want, list) = want_section(&t);
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("work");
        fs::create_dir(&dir).unwrap();
        for (name, data) in &list {
            let dest = dir.join(name);
            fs::create_dir_all(dest.parent().unwrap()).unwrap();
            fs::write(&dest, data).unwrap();
        }
        let (cf, _) = zipcheck::check_dir(&dir).unwrap();
        let got = format_checked(&cf).replace(&dir.display().to_string(), "$work");
        assert_eq!(got, want, "zip/check_dir/{}", t.name);
    }
    assert_eq!(files.len(), 4, "zip/check_dir/*.txt files");
}

#[test]
fn zip_check_zip_folder() {
    let files = txtar_files("zip/check_zip");
    for file in &files {
        let t = read_zip_test(file);
        let (want, list) = want_section(&t);
        let tmp = tempfile::tempdir().unwrap();
        let zip = tmp.path().join("m.zip");
        let entries: Vec<(Vec<u8>, Vec<u8>)> = list
            .iter()
            .map(|(n, d)| (n.as_bytes().to_vec(), d.clone()))
            .collect();
        write_zip(&zip, &entries);
        let cf = zipcheck::check_zip(module_path(&t).unwrap(), &t.version, &zip).unwrap();
        assert_eq!(format_checked(&cf), want, "zip/check_zip/{}", t.name);
    }
    assert_eq!(files.len(), 2, "zip/check_zip/*.txt files");
}

#[test]
fn zip_vendored_package_json() {
    let v = read_json("zip/vendored_package.json");
    let groups = &v["version_groups"];
    let mut rows = 0;
    for case in v["cases"].as_array().unwrap() {
        let path = case["path"].as_str().unwrap();
        let want = case["want"].as_bool().unwrap();
        for vers in groups[case["go_versions"].as_str().unwrap()]
            .as_array()
            .unwrap()
        {
            let vers = vers.as_str().unwrap();
            assert_eq!(
                zipcheck::is_vendored_package(path, vers),
                want,
                "{path} {vers:?}"
            );
            rows += 1;
        }
    }
    assert_eq!(
        v["cases"].as_array().unwrap().len(),
        13,
        "zip/vendored_package.json cases"
    );
    assert_eq!(rows, 120, "zip/vendored_package.json (case, version) pairs");
}

#[test]
fn zip_create_from_dir_special_json() {
    let v = read_json("zip/create_from_dir_special.json");
    let mut rows = 0;
    for case in v["cases"].as_array().unwrap() {
        let desc = case["desc"].as_str().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let dir = match desc {
            "ignore_empty_dir" => {
                let dir = tmp.path().join("m");
                fs::create_dir_all(dir.join("empty")).unwrap();
                dir
            }
            "ignore_symlink" => {
                let dir = tmp.path().join("m");
                fs::create_dir(&dir).unwrap();
                #[cfg(unix)]
                std::os::unix::fs::symlink(&dir, dir.join("link")).unwrap();
                dir
            }
            "dir_is_vendor" => {
                let dir = tmp.path().join("vendor");
                fs::create_dir(&dir).unwrap();
                fs::write(dir.join("go.mod"), "module example.com/m\n\ngo 1.13\n").unwrap();
                dir
            }
            other => panic!("unknown case {other}"),
        };
        let zip = tmp.path().join("m.zip");
        zipbuild::create_from_dir(
            fs::File::create(&zip).unwrap(),
            "example.com/m",
            "v1.0.0",
            &dir,
        )
        .unwrap_or_else(|e| panic!("{desc}: {}", chain(&e)));
        assert_eq!(
            dirhash::hash_zip(&zip).unwrap(),
            case["want_hash"].as_str().unwrap(),
            "{desc}"
        );
        rows += 1;
    }
    assert_eq!(rows, 3, "zip/create_from_dir_special.json cases");
}

/// A file of `size` zero bytes (or `data`), claiming `size` in Lstat.
struct ZeroFile {
    path: String,
    size: u64,
    data: Option<Vec<u8>>,
}

impl ModuleFile for ZeroFile {
    fn path(&self) -> &str {
        &self.path
    }
    fn lstat(&self) -> io::Result<FileInfo> {
        Ok(FileInfo {
            kind: FileKind::Regular,
            size: self.size,
        })
    }
    fn open(&self) -> io::Result<Box<dyn Read + '_>> {
        Ok(match &self.data {
            Some(data) => Box::new(&data[..]),
            None => Box::new(io::repeat(0).take(self.size)),
        })
    }
}

fn zero_files(case: &Value) -> Vec<ZeroFile> {
    case["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| ZeroFile {
            path: f["name"].as_str().unwrap().to_owned(),
            size: f["size"].as_u64().unwrap(),
            data: f["data"].as_str().map(|d| d.as_bytes().to_vec()),
        })
        .collect()
}

fn expect(case: &Value, key: &str) -> Option<String> {
    case[key]
        .as_str()
        .or(case["want_err"].as_str())
        .map(str::to_owned)
}

fn assert_outcome(what: &str, result: Result<(), String>, want: Option<String>) {
    match (result, want) {
        (Ok(()), None) => {}
        (Err(got), Some(want)) => assert!(got.contains(&want), "{what}: {got:?} lacks {want:?}"),
        (Ok(()), Some(want)) => panic!("{what}: succeeded, want {want:?}"),
        (Err(got), None) => panic!("{what}: {got}"),
    }
}

#[test]
fn zip_size_limits_json() {
    let v = read_json("zip/size_limits.json");
    let (path, version) = v["module"].as_str().unwrap().split_once('@').unwrap();
    let mut rows = 0;
    let tmp = tempfile::tempdir().unwrap();
    for case in v["cases"].as_array().unwrap() {
        let desc = case["desc"].as_str().unwrap();
        let files = zero_files(case);
        let (_, err) = zipcheck::check_files(&files);
        assert_outcome(
            &format!("{desc} CheckFiles"),
            err.map_err(|e| chain(&e)),
            expect(case, "want_check_files_err"),
        );
        let result = zipbuild::create(io::sink(), path, version, &files);
        assert_outcome(
            &format!("{desc} Create"),
            result.map_err(|e| chain(&e)),
            expect(case, "want_create_err"),
        );
        // The unzip side: a zip with those entries, generated, streamed.
        let zip = tmp.path().join(format!("{desc}.zip"));
        {
            let mut w = ZipWriter::new(io::BufWriter::new(fs::File::create(&zip).unwrap()));
            for f in &files {
                let name = format!("{path}@{version}/{}", f.path);
                let (mut stream, crc) = zero_deflate(f.size);
                w.add_raw(name.as_bytes(), Method::Deflate, &mut stream, crc, f.size)
                    .unwrap();
            }
            w.finish().unwrap();
        }
        let check = zipcheck::check_zip(path, version, &zip).and_then(|cf| cf.err());
        assert_outcome(
            &format!("{desc} CheckZip"),
            check.map_err(|e| chain(&e)),
            expect(case, "want_check_zip_err"),
        );
        let out = tmp.path().join(desc);
        let result = zipcheck::unzip(&out, path, version, &zip);
        assert_outcome(
            &format!("{desc} Unzip"),
            result.map_err(|e| chain(&e)),
            expect(case, "want_unzip_err"),
        );
        let _ = fs::remove_dir_all(&out);
        let _ = fs::remove_file(&zip);
        rows += 1;
    }
    for case in v["create_only"].as_array().unwrap() {
        let desc = case["desc"].as_str().unwrap();
        let files = zero_files(case);
        let (_, err) = zipcheck::check_files(&files);
        assert_outcome(
            &format!("{desc} CheckFiles"),
            err.map_err(|e| chain(&e)),
            expect(case, "want_check_files_err"),
        );
        let result = zipbuild::create(io::sink(), path, version, &files);
        assert_outcome(
            &format!("{desc} Create"),
            result.map_err(|e| chain(&e)),
            expect(case, "want_create_err"),
        );
        rows += 1;
    }
    for case in v["unzip_special"].as_array().unwrap() {
        let desc = case["desc"].as_str().unwrap();
        let (mpath, mversion) = case["module"].as_str().unwrap().split_once('@').unwrap();
        let zip = tmp.path().join(format!("{desc}.zip"));
        match desc {
            "large_zip" | "too_large_zip" => {
                let size = zipcheck::MAX_ZIP_FILE + u64::from(desc == "too_large_zip");
                fs::File::create(&zip).unwrap().set_len(size).unwrap();
            }
            "size_is_a_lie" => {
                let name = format!("{mpath}@{mversion}/go.mod");
                let mut buf = Vec::new();
                let mut w = ZipWriter::new(&mut buf);
                w.add(
                    name.as_bytes(),
                    Method::Deflate,
                    &mut io::repeat(0).take(0x0BAD),
                    None,
                )
                .unwrap();
                w.finish().unwrap();
                patch_uncompressed_size(&mut buf, 0x0BAD, 0x00AC);
                fs::write(&zip, &buf).unwrap();
            }
            other => panic!("unknown case {other}"),
        }
        let out = tmp.path().join(desc);
        let got = chain(&zipcheck::unzip(&out, mpath, mversion, &zip).unwrap_err());
        let wants: Vec<String> = match case["want_unzip_err"].as_str() {
            Some(w) => vec![w.to_owned()],
            None => case["want_unzip_err_any_of"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w.as_str().unwrap().to_owned())
                .collect(),
        };
        assert!(
            wants.iter().any(|w| got.contains(w.as_str())),
            "{desc}: {got:?} lacks any of {wants:?}"
        );
        let _ = fs::remove_file(&zip);
        rows += 1;
    }
    assert_eq!(rows, 13, "zip/size_limits.json cases");
}

/// Rewrites a declared uncompressed size in the central directory and in the
/// data descriptor (our writer leaves the local header's sizes zero).
fn patch_uncompressed_size(zip: &mut [u8], from: u32, to: u32) {
    let from = from.to_le_bytes();
    let mut patched = 0;
    for i in 0..zip.len().saturating_sub(4) {
        if zip[i..i + 4] == from {
            zip[i..i + 4].copy_from_slice(&to.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "declared sizes patched");
}

/// A raw deflate stream of `size` zero bytes and its CRC-32, made without
/// compressing hundreds of MiB: one 1 MiB block, sync-flushed so it is
/// byte-aligned and not final, repeated; then the tail and an empty final
/// block. Back-references stay inside each block, so the blocks chain.
fn zero_deflate(size: u64) -> (impl Read, u32) {
    use flate2::{Compress, Compression, FlushCompress};
    const CHUNK: u64 = 1 << 20;
    let block = |len: u64, flush: FlushCompress| {
        let mut c = Compress::new(Compression::new(5), false);
        let input = vec![0u8; len as usize];
        let mut out = Vec::with_capacity(len as usize / 100 + 1024);
        c.compress_vec(&input, &mut out, flush).unwrap();
        assert_eq!(c.total_in(), len);
        out
    };
    let full = block(CHUNK, FlushCompress::Sync);
    let tail = block(size % CHUNK, FlushCompress::Finish);
    let mut crc = flate2::Crc::new();
    let mut remaining = size;
    let zeros = vec![0u8; CHUNK as usize];
    while remaining > 0 {
        let n = remaining.min(CHUNK);
        crc.update(&zeros[..n as usize]);
        remaining -= n;
    }
    let repeated = io::repeat(0).take(0);
    let mut body: Box<dyn Read> = Box::new(repeated);
    for _ in 0..size / CHUNK {
        body = Box::new(body.chain(io::Cursor::new(full.clone())));
    }
    (body.chain(io::Cursor::new(tail)), crc.sum())
}

/// A git work tree holding the files of a txtar, committed.
fn git_repo(dir: &Path, repo_txtar: &str, commit: bool) {
    fs::create_dir_all(dir).unwrap();
    for (name, data) in txtar::parse(repo_txtar.as_bytes()).files {
        let dest = dir.join(&name);
        fs::create_dir_all(dest.parent().unwrap()).unwrap();
        fs::write(&dest, data).unwrap();
    }
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q"]);
    if commit {
        git(&["add", "-A"]);
        git(&["commit", "-q", "-m", "init"]);
    }
}

/// The entries of a zip under `prefix`, with contents.
fn zip_contents(zip: &Path, prefix: &str) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut reader = gomodfetch::verify::zipread::open_file(zip).unwrap();
    let mut out = std::collections::BTreeMap::new();
    for i in 0..reader.entries().len() {
        let name = reader.entries()[i].name_lossy().into_owned();
        let rel = name
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("{name} outside {prefix}"));
        let mut data = Vec::new();
        reader.open(i).unwrap().read_to_end(&mut data).unwrap();
        out.insert(rel.to_owned(), data);
    }
    out
}

#[test]
fn zip_create_from_vcs_json() {
    if std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_err()
    {
        panic!("zip/create_from_vcs.json needs git on PATH");
    }
    let v = read_json("zip/create_from_vcs.json");
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    git_repo(&repo, v["repo_txtar"].as_str().unwrap(), true);
    let mut rows = 0;
    let mut run_case = |case: &Value, repo: &Path| {
        let desc = case["desc"].as_str().unwrap_or("v2_case");
        let (path, version) = case["module"].as_str().unwrap().split_once('@').unwrap();
        let zip = tmp.path().join(format!("{rows}.zip"));
        zipbuild::create_from_vcs(
            fs::File::create(&zip).unwrap(),
            path,
            version,
            repo,
            "HEAD",
            case["subdir"].as_str().unwrap(),
        )
        .unwrap_or_else(|e| panic!("{desc}: {}", chain(&e)));
        let got = zip_contents(&zip, &format!("{path}@{version}/"));
        let mut want: Vec<&str> = case["want_files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        want.sort_unstable();
        assert_eq!(
            got.keys().map(String::as_str).collect::<Vec<_>>(),
            want,
            "{desc}"
        );
        if let Some(data) = case["want_data"].as_object() {
            for (name, content) in data {
                assert_eq!(
                    got[name],
                    content.as_str().unwrap().as_bytes(),
                    "{desc}: {name}"
                );
            }
        }
        rows += 1;
    };
    for case in v["cases"].as_array().unwrap() {
        run_case(case, &repo);
    }
    let v2 = &v["v2_case"];
    let repo2 = tmp.path().join("repo2");
    git_repo(&repo2, v2["repo_txtar"].as_str().unwrap(), true);
    run_case(v2, &repo2);
    // Errors: not a repository; a repository without commits.
    let plain = tmp.path().join("plain");
    fs::create_dir(&plain).unwrap();
    let err = zipbuild::create_from_vcs(
        io::sink(),
        "example.com/foo/bar",
        "v0.0.1",
        &plain,
        "HEAD",
        "",
    )
    .unwrap_err();
    let text = chain(&err);
    assert!(
        text.contains("could not find a recognized version control system at"),
        "{text}"
    );
    assert!(text.contains(&plain.display().to_string()), "{text}");
    let empty = tmp.path().join("empty");
    git_repo(&empty, "", false);
    assert!(
        zipbuild::create_from_vcs(
            io::sink(),
            "example.com/foo/bar",
            "v0.0.1",
            &empty,
            "HEAD",
            ""
        )
        .is_err()
    );
    assert_eq!(v["errors"].as_array().unwrap().len(), 2);
    rows += 2;
    assert_eq!(
        rows, 7,
        "zip/create_from_vcs.json cases (4 + v2 + 2 errors)"
    );
}

#[expect(
    clippy::disallowed_methods,
    reason = "the test-only switch GOMODFETCH_LIVE, not configuration"
)]
fn live() -> bool {
    std::env::var_os("GOMODFETCH_LIVE").is_some_and(|v| v == "1")
}

/// zip/vcs_hashes.json: real module versions. Needs the network, so it runs
/// only with GOMODFETCH_LIVE=1: the real go downloads each version through
/// the environment's GOPROXY into a private cache, and our h1 of its zip and
/// of its extracted tree must equal the vector's h1 (and go's Sum).
#[test]
fn zip_vcs_hashes_json() {
    let v = read_json("zip/vcs_hashes.json");
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 23, "zip/vcs_hashes.json cases");
    if !live() {
        #[expect(clippy::print_stderr, reason = "a skipped live test says so")]
        {
            eprintln!(
                "skipping zip/vcs_hashes.json (23 real modules): needs the network; set GOMODFETCH_LIVE=1"
            );
        }
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut rows = 0;
    let mut unavailable = Vec::new();
    for case in cases {
        let module = format!(
            "{}@{}",
            case["path"].as_str().unwrap(),
            case["version"].as_str().unwrap()
        );
        let want = case["h1"].as_str().unwrap();
        let out = std::process::Command::new("go")
            .args(["mod", "download", "-json", &module])
            .current_dir(tmp.path())
            .env("GOFLAGS", "-modcacherw")
            .env("GOMODCACHE", tmp.path().join("modcache"))
            .env("GOPATH", tmp.path().join("gopath"))
            .env("GOTOOLCHAIN", "local")
            .env("GONOSUMCHECK", "1")
            .env("GONOSUMDB", "*")
            .env("GOSUMDB", "off")
            .output()
            .unwrap();
        let json: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{module}: {}", String::from_utf8_lossy(&out.stderr)));
        if let Some(error) = json["Error"].as_str() {
            // A proxy may refuse versions it does not carry (403/404/410):
            // listed, not hidden; anything else fails the test.
            let refused = [
                "403 Forbidden",
                "404 Not Found",
                "410 Gone",
                "not available",
            ];
            assert!(
                refused.iter().any(|r| error.contains(r)),
                "{module}: {error}"
            );
            unavailable.push(module);
            continue;
        }
        assert_eq!(json["Sum"].as_str().unwrap(), want, "{module}: go's Sum");
        let zip = Path::new(json["Zip"].as_str().unwrap());
        assert_eq!(dirhash::hash_zip(zip).unwrap(), want, "{module}: zip");
        let dir = Path::new(json["Dir"].as_str().unwrap());
        assert_eq!(
            dirhash::hash_dir(dir, &module).unwrap(),
            want,
            "{module}: dir"
        );
        rows += 1;
    }
    #[expect(clippy::print_stderr, reason = "the live test reports its coverage")]
    {
        eprintln!(
            "zip/vcs_hashes.json: {rows} of 23 checked; the proxy refused {}: {unavailable:?}",
            unavailable.len()
        );
    }
    assert!(rows >= 1, "the proxy served none of the 23 versions");
    assert_eq!(rows + unavailable.len(), 23);
}
