//! `gomodfetch hash` and the pure zip/h1 core behind it: Go's vectors
//! (hash/vectors.rs), a fuzz target (hash/fuzz.rs), and the binary on good
//! and bad inputs, cross-checked with the real `go` where it is on PATH
//! (skipped without it, unless GOMODFETCH_REQUIRE_GO=1).

mod fuzz;
mod txtar;
mod vectors;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gomodfetch::codehost::zipbuild::{Method, ZipWriter};

const SIMPLE_H1: &str = "h1:tpqYOOmuilagXzyqoJ3roUjp8gneQeTv5YVpL6BG7/k=";
const SIMPLE_GO_MOD_H1: &str = "h1:UWkIka9t4wTRf5TZ+sRdwnADRAp+U7R9A2lAeNEx1cA=";
const GO_MOD: &str = "module example.com/m\n\ngo 1.13\n";

/// The files of testdata/vectors/zip/create/simple.txt.
fn simple_files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("go.mod", GO_MOD),
        ("m.go", "package m\n\nfunc Foo() int { return 42 }\n"),
        (
            "cmd/hello/hello.go",
            "package main\n\nimport (\n  \"fmt\"\n  \"example.com/m\"\n)\n\nfunc main() {\n  fmt.Println(m.Foo())\n}\n",
        ),
    ]
}

fn write_module_zip(dest: &Path, prefix: &str, files: &[(&str, &str)]) {
    let entries: Vec<(Vec<u8>, Vec<u8>)> = files
        .iter()
        .map(|(n, d)| (format!("{prefix}/{n}").into_bytes(), d.as_bytes().to_vec()))
        .collect();
    vectors::write_zip(dest, &entries);
}

fn gomodfetch(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gomodfetch"))
        .arg("hash")
        .args(args)
        .output()
        .expect("run gomodfetch")
}

fn last_word(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_owned()
}

fn assert_prints(args: &[&std::ffi::OsStr], want: &str) {
    let out = gomodfetch(args);
    assert!(
        out.status.success(),
        "hash {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(last_word(&out), want, "hash {args:?}");
}

fn assert_fails(args: &[&std::ffi::OsStr], reason: &str) {
    let out = gomodfetch(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "hash {args:?}: {stderr}");
    assert!(
        stderr.contains(reason),
        "hash {args:?}: {stderr:?} lacks {reason:?}"
    );
    assert!(out.stdout.is_empty(), "nothing on stdout for a bad input");
}

#[test]
fn hash_prints_h1_of_zip_go_mod_and_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = tmp.path().join("m.zip");
    write_module_zip(&zip, "example.com/m@v1.0.0", &simple_files());
    let module = "example.com/m@v1.0.0".as_ref();
    assert_prints(&[zip.as_os_str()], SIMPLE_H1);
    assert_prints(&[zip.as_os_str(), "--module".as_ref(), module], SIMPLE_H1);
    let out = gomodfetch(&[zip.as_os_str()]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("example.com/m v1.0.0 {SIMPLE_H1}\n"),
        "the zip's line is its go.sum line"
    );

    let go_mod = tmp.path().join("go.mod");
    fs::write(&go_mod, GO_MOD).unwrap();
    assert_prints(&[go_mod.as_os_str()], SIMPLE_GO_MOD_H1);
    assert_prints(
        &[go_mod.as_os_str(), "--module".as_ref(), module],
        SIMPLE_GO_MOD_H1,
    );

    let dir = tmp.path().join("extracted");
    gomodfetch::verify::zipcheck::unzip(&dir, "example.com/m", "v1.0.0", &zip).unwrap();
    assert_prints(&[dir.as_os_str(), "--module".as_ref(), module], SIMPLE_H1);
    assert_fails(&[dir.as_os_str()], "--module");
    // A zip named otherwise is still recognised by its magic.
    let renamed = tmp.path().join("v1.0.0.bin");
    fs::copy(&zip, &renamed).unwrap();
    assert_prints(&[renamed.as_os_str()], SIMPLE_H1);
}

/// Writes a zip whose entries are `(name, data)` under `example.com/m@v1.0.0/`.
fn bad_zip(dir: &Path, file: &str, entries: &[(&str, &[u8])]) -> PathBuf {
    let path = dir.join(file);
    let mut w = ZipWriter::new(fs::File::create(&path).unwrap());
    for (name, data) in entries {
        let name = format!("example.com/m@v1.0.0/{name}");
        w.add(name.as_bytes(), Method::Deflate, &mut &data[..], None)
            .unwrap();
    }
    w.finish().unwrap();
    path
}

#[test]
fn hash_rejects_bad_zips_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let traversal = bad_zip(
        d,
        "traversal.zip",
        &[("go.mod", b"module example.com/m\n"), ("../x", b"evil")],
    );
    let collision = bad_zip(
        d,
        "collision.zip",
        &[("m.go", b"package m"), ("M.GO", b"package m")],
    );
    let nested = bad_zip(
        d,
        "nested.zip",
        &[("sub/go.mod", b"module example.com/m/sub\n")],
    );
    let path = d.join("oversize.zip");
    {
        let mut w = ZipWriter::new(fs::File::create(&path).unwrap());
        let mut zeros = io::Read::take(io::repeat(0), (16 << 20) + 1);
        w.add(
            b"example.com/m@v1.0.0/go.mod",
            Method::Deflate,
            &mut zeros,
            None,
        )
        .unwrap();
        w.finish().unwrap();
    }
    let garbage = d.join("garbage.zip");
    fs::write(&garbage, b"this is not a zip").unwrap();
    let module = "example.com/m@v1.0.0".as_ref();
    for (zip, reason) in [
        (
            &traversal,
            r#"example.com/m@v1.0.0/../x: malformed file path "../x": invalid path element "..""#,
        ),
        (
            &collision,
            r#"case-insensitive file name collision: "m.go" and "M.GO""#,
        ),
        (&nested, "go.mod file not in module root directory"),
        (&path, "go.mod file too large (max size is 16777216 bytes)"),
        (&garbage, "zip: not a valid zip file"),
    ] {
        assert_fails(&[zip.as_os_str()], reason);
        assert_fails(&[zip.as_os_str(), "--module".as_ref(), module], reason);
    }
    // Entries outside the module named by --module.
    let good = d.join("good.zip");
    write_module_zip(&good, "example.com/m@v1.0.0", &simple_files());
    assert_fails(
        &[
            good.as_os_str(),
            "--module".as_ref(),
            "example.com/m@v1.0.1".as_ref(),
        ],
        r#"path does not have prefix "example.com/m@v1.0.1/""#,
    );
    assert_fails(
        &[
            good.as_os_str(),
            "--module".as_ref(),
            "example.com/m/v2@v2.0.0".as_ref(),
        ],
        "not a valid module zip",
    );
}

/// Go ignores zip modes (spec/integrity.md §4.3): an entry marked as a
/// symlink is a regular file whose content is the link text. So `hash`
/// accepts it and `unzip` never creates a symlink.
#[test]
fn symlink_entries_are_plain_files_never_links() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = tmp.path().join("link.zip");
    {
        let mut w = ZipWriter::new(fs::File::create(&zip).unwrap());
        w.add(
            b"example.com/m@v1.0.0/go.mod",
            Method::Deflate,
            &mut GO_MOD.as_bytes(),
            None,
        )
        .unwrap();
        w.add(
            b"example.com/m@v1.0.0/link",
            Method::Store,
            &mut &b"/etc/passwd"[..],
            None,
        )
        .unwrap();
        w.set_unix_mode_of_last(0o120777);
        w.finish().unwrap();
    }
    let want = gomodfetch::verify::dirhash::hash1([
        ("example.com/m@v1.0.0/go.mod", GO_MOD.as_bytes()),
        ("example.com/m@v1.0.0/link", b"/etc/passwd".as_slice()),
    ])
    .unwrap();
    assert_prints(&[zip.as_os_str()], &want);
    let out = tmp.path().join("out");
    gomodfetch::verify::zipcheck::unzip(&out, "example.com/m", "v1.0.0", &zip).unwrap();
    let meta = fs::symlink_metadata(out.join("link")).unwrap();
    assert!(meta.file_type().is_file(), "extracted as a regular file");
    assert_eq!(fs::read(out.join("link")).unwrap(), b"/etc/passwd");
    if let Some((_keep, go)) = go_download(&[("example.com/m", "v1.0.0", GO_MOD, &zip)]) {
        assert_eq!(
            go[0].sum, want,
            "go accepts the symlink-marked entry with the same h1"
        );
        let dir = Path::new(&go[0].dir);
        assert!(
            fs::symlink_metadata(dir.join("link"))
                .unwrap()
                .file_type()
                .is_file()
        );
    }
}

use crate::support::go_required;

#[expect(
    clippy::disallowed_methods,
    reason = "the real go needs PATH and HOME from the test's environment"
)]
fn inherited(name: &str) -> std::ffi::OsString {
    std::env::var_os(name).unwrap_or_default()
}

struct GoDownload {
    sum: String,
    go_mod_sum: String,
    dir: String,
    zip: String,
}

/// Lays out a `file://` GOPROXY holding the given modules and runs
/// `go mod download -json` on each with a private cache. None when `go` is
/// not on PATH (a failure instead under GOMODFETCH_REQUIRE_GO=1).
fn go_download(
    modules: &[(&str, &str, &str, &Path)],
) -> Option<(tempfile::TempDir, Vec<GoDownload>)> {
    let found = Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            !go_required(),
            "GOMODFETCH_REQUIRE_GO=1 but `go` is not on PATH"
        );
        #[expect(clippy::print_stderr, reason = "a skipped check says so")]
        {
            eprintln!("skipping the go cross-check: go is not on PATH");
        }
        return None;
    }
    let tmp_dir = tempfile::tempdir().unwrap();
    let tmp = tmp_dir.path().to_path_buf();
    let proxy = tmp.join("proxy");
    let mut args = vec!["mod".to_owned(), "download".to_owned(), "-json".to_owned()];
    for (path, version, go_mod, zip) in modules {
        let at_v = proxy.join(path).join("@v");
        fs::create_dir_all(&at_v).unwrap();
        fs::write(
            at_v.join(format!("{version}.info")),
            format!("{{\"Version\":\"{version}\"}}"),
        )
        .unwrap();
        fs::write(at_v.join(format!("{version}.mod")), go_mod).unwrap();
        fs::copy(zip, at_v.join(format!("{version}.zip"))).unwrap();
        fs::write(at_v.join("list"), format!("{version}\n")).unwrap();
        args.push(format!("{path}@{version}"));
    }
    let work = tmp.join("work");
    fs::create_dir(&work).unwrap();
    let out = Command::new("go")
        .args(&args)
        .current_dir(&work)
        .env_clear()
        .env("PATH", inherited("PATH"))
        .env("HOME", tmp.join("home"))
        .env("GOPROXY", format!("file://{}", proxy.display()))
        .env("GOSUMDB", "off")
        .env("GONOSUMDB", "*")
        .env("GOFLAGS", "-modcacherw")
        .env("GOPATH", tmp.join("gopath"))
        .env("GOMODCACHE", tmp.join("modcache"))
        .env("GOCACHE", tmp.join("gocache"))
        .env("GOENV", "off")
        .env("GOTOOLCHAIN", "local")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "go mod download: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // -json prints one object per module, concatenated.
    let stream = serde_json::Deserializer::from_slice(&out.stdout).into_iter::<serde_json::Value>();
    let mut results = Vec::new();
    for value in stream {
        let value = value.unwrap();
        let field = |k: &str| value[k].as_str().unwrap_or_default().to_owned();
        assert!(value["Error"].is_null(), "go: {}", value["Error"]);
        results.push(GoDownload {
            sum: field("Sum"),
            go_mod_sum: field("GoModSum"),
            dir: field("Dir"),
            zip: field("Zip"),
        });
    }
    assert_eq!(results.len(), modules.len());
    Some((tmp_dir, results))
}

/// The real go command agrees with `gomodfetch hash` on Sum and GoModSum, and
/// `hash DIR --module` of the tree go extracted gives the same Sum.
#[test]
fn hash_agrees_with_go_mod_download() {
    let tmp = tempfile::tempdir().unwrap();
    let simple = tmp.path().join("simple.zip");
    write_module_zip(&simple, "example.com/m@v1.0.0", &simple_files());
    // A second module with a vendor directory, a nested module and non-ASCII names.
    let other = tmp.path().join("other.zip");
    let other_mod = "module example.com/other/v2\n\ngo 1.24\n";
    let mut files = Vec::new();
    let mut dir_files = vec![
        ("go.mod", other_mod),
        ("vendor/modules.txt", "# vendored\n"),
        ("vendor/a/a.go", "package a\n"),
        ("pkg/vendor/vendor.go", "package vendor\n"),
        ("sub/go.mod", "module example.com/other/v2/sub\n"),
        ("sub/s.go", "package sub\n"),
        ("caf\u{e9}/\u{e9}t\u{e9}.go", "package cafe\n"),
        ("LICENSE", "license text\n"),
    ];
    let src = tmp.path().join("src");
    for (name, data) in &dir_files {
        let dest = src.join(name);
        fs::create_dir_all(dest.parent().unwrap()).unwrap();
        fs::write(&dest, data).unwrap();
    }
    gomodfetch::codehost::zipbuild::create_from_dir(
        fs::File::create(&other).unwrap(),
        "example.com/other/v2",
        "v2.1.0",
        &src,
    )
    .unwrap();
    files.append(&mut dir_files);
    let ours = |zip: &Path| {
        let out = gomodfetch(&[zip.as_os_str()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        last_word(&out)
    };
    let ours_go_mod = |data: &str| {
        let path = tmp.path().join("x.mod");
        fs::write(&path, data).unwrap();
        last_word(&gomodfetch(&[path.as_os_str()]))
    };
    let Some((_keep, go)) = go_download(&[
        ("example.com/m", "v1.0.0", GO_MOD, &simple),
        ("example.com/other/v2", "v2.1.0", other_mod, &other),
    ]) else {
        return;
    };
    let checks = [
        (&go[0], &simple, GO_MOD, "example.com/m@v1.0.0"),
        (&go[1], &other, other_mod, "example.com/other/v2@v2.1.0"),
    ];
    for (go, zip, go_mod, module) in checks {
        assert_eq!(ours(zip), go.sum, "{module}: zip h1");
        assert_eq!(ours_go_mod(go_mod), go.go_mod_sum, "{module}: go.mod h1");
        assert_prints(
            &[go.dir.as_ref(), "--module".as_ref(), module.as_ref()],
            &go.sum,
        );
        assert_prints(&[go.zip.as_ref()], &go.sum);
    }
    assert_eq!(go[0].sum, SIMPLE_H1);
}
