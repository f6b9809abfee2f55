//! `gomodfetch download ARGS` inside a module against the real `go mod
//! download ARGS` (modcmd/download.go, modload/list.go `listModules`):
//! arguments resolve against the main module's build list. Per case, both
//! tools run in a fresh copy of a consumer module built at test time, each
//! with its own empty cache, against one loopback proxy
//! (tests/it/support/modproxy.rs); they must agree on stdout (cache root
//! normalised), stderr (`go: ` for `gomodfetch: `), the exit code, the set of
//! files under `cache/download`, and leave go.mod and go.sum as go does.
//!
//! Skips when `go` is not on PATH, unless GOMODFETCH_REQUIRE_GO=1 (CI).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Output};

use crate::support::modproxy::{Fault, Fixtures, ModProxy};
use crate::support::oracle::{Sandbox, cache_files, go_or_skip, make_writable};

/// `a` requires `b`; `c` is outside every build list; `d` replaces `r`.
fn fixtures() -> Fixtures {
    let mut f = Fixtures::default();
    for v in ["v1.0.0", "v1.0.1", "v1.1.0"] {
        module(
            &mut f,
            "example.com/a",
            v,
            "go 1.20\n\nrequire example.com/b v1.0.0\n",
        );
    }
    for v in ["v1.0.0", "v1.2.0"] {
        module(&mut f, "example.com/b", v, "go 1.20\n");
    }
    module(&mut f, "example.com/c", "v1.0.0", "go 1.20\n");
    module(&mut f, "example.com/d", "v1.0.0", "go 1.20\n");
    f
}

fn module(f: &mut Fixtures, path: &str, version: &str, rest: &str) {
    let go_mod = format!("module {path}\n\n{rest}").into_bytes();
    let name = path.rsplit('/').next().unwrap_or("m");
    f.add(
        path,
        version,
        None,
        Some(go_mod.clone()),
        vec![
            ("go.mod".into(), go_mod),
            (
                "x.go".into(),
                format!("package {name}\n\nconst V = \"{version}\"\n").into_bytes(),
            ),
        ],
    );
}

/// go.sum lines (zip and go.mod) of `path@version` as served.
fn sum_lines(f: &Fixtures, path: &str, version: &str) -> String {
    let m = &f.modules[path][version];
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("m.zip");
    std::fs::write(&zip, &m.zip).unwrap();
    let h = gomodfetch::verify::dirhash::hash_zip(&zip).unwrap();
    let hm = gomodfetch::verify::dirhash::hash_go_mod(&m.go_mod);
    format!("{path} {version} {h}\n{path} {version}/go.mod {hm}\n")
}

/// A consumer module: its go.mod and a go.sum complete for its build list
/// (so that neither tool has a reason to add lines).
struct Consumer {
    go_mod: String,
    go_sum: String,
    /// Other files (relative path, content), e.g. a go.work and its modules.
    extra: Vec<(String, String)>,
}

/// go 1.21 (pruned): roots `a` and `r` (replaced by `d`), `b` indirect.
fn pruned(f: &Fixtures) -> Consumer {
    Consumer {
        go_mod: "module example.com/m\n\ngo 1.21\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/r v1.0.0\n)\n\nrequire example.com/b v1.0.0 // indirect\n\nreplace example.com/r v1.0.0 => example.com/d v1.0.0\n".into(),
        go_sum: sum_lines(f, "example.com/a", "v1.0.0")
            + &sum_lines(f, "example.com/b", "v1.0.0")
            + &sum_lines(f, "example.com/d", "v1.0.0"),
        extra: vec![],
    }
}

/// go 1.16 (unpruned): only `a` required; `b` comes from the graph.
fn unpruned(f: &Fixtures) -> Consumer {
    Consumer {
        go_mod: "module example.com/m\n\ngo 1.16\n\nrequire example.com/a v1.0.0\n".into(),
        go_sum: sum_lines(f, "example.com/a", "v1.0.0") + &sum_lines(f, "example.com/b", "v1.0.0"),
        extra: vec![],
    }
}

struct Run {
    out: Output,
    stdout: String,
    stderr: String,
    files: BTreeSet<String>,
    go_mod: String,
    go_sum: String,
    extra: Vec<(String, String)>,
}

/// Runs `go mod download ARGS` or `gomodfetch download ARGS` in a fresh
/// copy of `consumer` with a fresh cache.
fn run(tool: &str, proxy: &str, consumer: &Consumer, args: &[&str]) -> Run {
    let mut sb = Sandbox::new(proxy);
    sb.set("GOWORK", "off");
    let dir: PathBuf = sb.dir.path().join("src");
    std::fs::create_dir_all(&dir).unwrap();
    if !consumer.go_mod.is_empty() {
        std::fs::write(dir.join("go.mod"), &consumer.go_mod).unwrap();
        std::fs::write(dir.join("go.sum"), &consumer.go_sum).unwrap();
    } else {
        sb.set("GOWORK", "");
    }
    for (rel, content) in &consumer.extra {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    let mut cmd = if tool == "go" {
        let mut c = Command::new("go");
        c.args(["mod", "download"]);
        c
    } else {
        let mut c = Command::new(env!("CARGO_BIN_EXE_gomodfetch"));
        c.arg("download");
        c
    };
    let args: Vec<String> = args
        .iter()
        .map(|a| match (*a, tool) {
            ("-json", "ours") => "--json".to_string(),
            _ => a.to_string(),
        })
        .collect();
    let out = cmd
        .args(&args)
        .env_clear()
        .envs(&sb.env)
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|l| match l.strip_prefix("gomodfetch: ") {
            Some(rest) => format!("go: {rest}\n"),
            None => format!("{l}\n"),
        })
        .collect();
    let run = Run {
        stdout: sb.normalize(&out.stdout),
        stderr,
        files: cache_files(&sb.cache()),
        go_mod: std::fs::read_to_string(dir.join("go.mod")).unwrap_or_default(),
        go_sum: std::fs::read_to_string(dir.join("go.sum")).unwrap_or_default(),
        extra: consumer
            .extra
            .iter()
            .map(|(rel, _)| {
                let text = std::fs::read_to_string(dir.join(rel)).unwrap_or_default();
                (rel.clone(), text)
            })
            .collect(),
        out,
    };
    make_writable(sb.dir.path());
    run
}

fn show(r: &Run) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}\nfiles: {:?}",
        r.out.status, r.stdout, r.stderr, r.files
    )
}

/// Runs both tools on `args` and asserts they agree; returns go's run.
fn same(proxy: &str, consumer: &Consumer, args: &[&str]) -> Run {
    let go = run("go", proxy, consumer, args);
    let ours = run("ours", proxy, consumer, args);
    let what = format!(
        "{args:?}\n--- go:\n{}\n--- ours:\n{}",
        show(&go),
        show(&ours)
    );
    assert_eq!(
        go.out.status.code(),
        ours.out.status.code(),
        "exit code: {what}"
    );
    assert_eq!(go.stdout, ours.stdout, "stdout: {what}");
    assert_eq!(go.stderr, ours.stderr, "stderr: {what}");
    assert_eq!(go.files, ours.files, "cache files: {what}");
    assert_eq!(go.go_mod, ours.go_mod, "go.mod: {what}");
    assert_eq!(go.go_sum, ours.go_sum, "go.sum: {what}");
    assert_eq!(go.go_mod, consumer.go_mod, "go changed go.mod: {what}");
    assert_eq!(go.go_sum, consumer.go_sum, "go changed go.sum: {what}");
    assert_eq!(go.extra, ours.extra, "files: {what}");
    assert_eq!(go.extra, consumer.extra, "go changed files: {what}");
    go
}

/// The `"Version"` values of a `-json` stream, in order.
fn versions(stdout: &str) -> Vec<String> {
    serde_json::Deserializer::from_str(stdout)
        .into_iter::<serde_json::Value>()
        .map(|v| {
            let v = v.unwrap();
            format!(
                "{}@{}",
                v["Path"].as_str().unwrap_or(""),
                v["Version"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[test]
fn bare_paths_resolve_to_the_selected_version_as_go() {
    if !go_or_skip() {
        return;
    }
    let f = fixtures();
    let proxy = ModProxy::start(f.clone());
    let url = proxy.url();
    let c = pruned(&f);
    // A root requirement: its version in go.mod, no other go.mod read.
    let go = same(&url, &c, &["-json", "example.com/a"]);
    assert_eq!(versions(&go.stdout), ["example.com/a@v1.0.0"]);
    assert!(
        !go.files.iter().any(|f| f.starts_with("example.com/b/")),
        "{:?}",
        go.files
    );
    // A replaced one: its replacement is downloaded; the main module is skipped.
    let go = same(&url, &c, &["-json", "example.com/m", "example.com/r"]);
    assert_eq!(versions(&go.stdout), ["example.com/d@v1.0.0"]);
    assert!(
        go.stderr.contains("skipping download of example.com/m"),
        "{}",
        go.stderr
    );
    // Not in the build list: `module m: not a known dependency`, exit 1,
    // with -json and without.
    let go = same(&url, &c, &["-json", "example.com/c"]);
    assert!(
        go.stdout.contains("not a known dependency"),
        "{}",
        go.stdout
    );
    assert_eq!(go.out.status.code(), Some(1));
    let go = same(&url, &c, &["example.com/a", "example.com/c"]);
    assert_eq!(
        go.stderr,
        "go: module example.com/c: not a known dependency\n"
    );
    // Unpruned (go 1.16): the graph's selection answers.
    let u = unpruned(&f);
    let go = same(&url, &u, &["-json", "example.com/b"]);
    assert_eq!(versions(&go.stdout), ["example.com/b@v1.0.0"]);
}

#[test]
fn upgrade_and_patch_are_relative_to_the_selected_version_as_go() {
    if !go_or_skip() {
        return;
    }
    let f = fixtures();
    let proxy = ModProxy::start(f.clone());
    let url = proxy.url();
    let c = pruned(&f);
    let go = same(&url, &c, &["-json", "example.com/a@patch"]);
    assert_eq!(versions(&go.stdout), ["example.com/a@v1.0.1"]);
    let go = same(&url, &c, &["-json", "example.com/a@upgrade"]);
    assert_eq!(versions(&go.stdout), ["example.com/a@v1.1.0"]);
    // Not a root: the graph says b is at v1.0.0; v1.2.0 is no patch of it.
    let go = same(&url, &c, &["-json", "example.com/b@patch"]);
    assert_eq!(versions(&go.stdout), ["example.com/b@v1.0.0"]);
    // No selected version: upgrade is latest, patch has no base.
    let go = same(&url, &c, &["-json", "example.com/c@upgrade"]);
    assert_eq!(versions(&go.stdout), ["example.com/c@v1.0.0"]);
    let go = same(&url, &c, &["-json", "example.com/c@patch"]);
    assert!(
        go.stdout.contains("no existing version is required"),
        "{}",
        go.stdout
    );
    // The main module: skipped.
    same(&url, &c, &["-json", "example.com/m@upgrade"]);
    // Unpruned: from the graph's selection.
    let u = unpruned(&f);
    let go = same(
        &url,
        &u,
        &["-json", "example.com/b@upgrade", "example.com/a@patch"],
    );
    assert_eq!(
        versions(&go.stdout),
        ["example.com/b@v1.2.0", "example.com/a@v1.0.1"]
    );
}

#[test]
fn exact_versions_and_patterns_inside_a_module_as_go() {
    if !go_or_skip() {
        return;
    }
    let f = fixtures();
    let proxy = ModProxy::start(f.clone());
    let url = proxy.url();
    let c = pruned(&f);
    // An exact version is that version, selected or not, never replaced.
    let go = same(
        &url,
        &c,
        &["-json", "example.com/a@v1.0.1", "example.com/c@v1.0.0"],
    );
    assert_eq!(
        versions(&go.stdout),
        ["example.com/a@v1.0.1", "example.com/c@v1.0.0"]
    );
    same(&url, &c, &["-json", "example.com/r@v1.0.0"]);
    // Patterns match the build list (replacements applied, each module
    // once); one that matches nothing warns.
    let go = same(
        &url,
        &c,
        &[
            "-json",
            "example.com/...",
            "example.com/b...",
            "example.com/zz...",
        ],
    );
    assert_eq!(
        versions(&go.stdout),
        [
            "example.com/a@v1.0.0",
            "example.com/b@v1.0.0",
            "example.com/d@v1.0.0"
        ]
    );
    assert!(
        go.stderr.contains("warning: pattern \"example.com/zz...\""),
        "{}",
        go.stderr
    );
}

#[test]
fn exclusions_and_graph_errors_inside_a_module_as_go() {
    if !go_or_skip() {
        return;
    }
    let f = fixtures();
    let proxy = ModProxy::start(f.clone());
    let url = proxy.url();
    // An excluded version is skipped by patch, which stays on the current
    // version; an exact query still gets it.
    let mut c = pruned(&f);
    c.go_mod.push_str("\nexclude example.com/a v1.0.1\n");
    let go = same(&url, &c, &["-json", "example.com/a@patch"]);
    assert_eq!(versions(&go.stdout), ["example.com/a@v1.0.0"]);
    let go = same(&url, &c, &["-json", "example.com/a@v1.0.1"]);
    assert_eq!(versions(&go.stdout), ["example.com/a@v1.0.1"]);
    // A go.mod of the graph cannot be read: what the graph reached is
    // answered, the graph error comes last (after the JSON; alone without).
    let c = pruned(&f);
    proxy.set_fault(|r| (r.path == "/example.com/b/@v/v1.0.0.mod").then_some(Fault::Status(404)));
    let go = same(&url, &c, &["-json", "example.com/c"]);
    assert_eq!(go.out.status.code(), Some(1));
    assert!(
        go.stderr.contains("example.com/b@v1.0.0: reading "),
        "{}",
        go.stderr
    );
    same(&url, &c, &["-json", "example.com/..."]);
    same(&url, &c, &["example.com/..."]);
    // Roots alone need no graph: no error.
    let go = same(&url, &c, &["-json", "example.com/a"]);
    assert_eq!(go.out.status.code(), Some(0));
}

/// Outside a module too: a query reads retractions from the go.mod of the
/// module's latest version whatever its prefix (`m@v1.0` fetches the latest
/// `.info` and `.mod`), and only once some version passes the query (`m@<v1.0.0`
/// with no candidate fetches nothing).
#[test]
fn queries_read_retractions_from_the_latest_version_as_go() {
    if !go_or_skip() {
        return;
    }
    let proxy = ModProxy::start(fixtures());
    for q in [
        "example.com/a@v1.0",
        "example.com/a@<v1.0.0",
        "example.com/b@>=v1.1",
    ] {
        let go_sb = Sandbox::new(&proxy.url());
        let ours_sb = Sandbox::new(&proxy.url());
        let go = go_sb.go(&["mod", "download", "-json", q]);
        let ours = ours_sb.ours(&["download", "--json", q]);
        let what = format!(
            "{q}\ngo: {}\n{}\nours: {}\n{}",
            go.status,
            String::from_utf8_lossy(&go.stdout),
            ours.status,
            String::from_utf8_lossy(&ours.stdout)
        );
        assert_eq!(go.status.code(), ours.status.code(), "{what}");
        assert_eq!(
            go_sb.normalize(&go.stdout),
            ours_sb.normalize(&ours.stdout),
            "{what}"
        );
        let (gf, of) = (cache_files(&go_sb.cache()), cache_files(&ours_sb.cache()));
        assert_eq!(gf, of, "{what}");
        if q.ends_with("@v1.0") {
            assert!(gf.contains("example.com/a/@v/v1.1.0.mod"), "{gf:?}");
        }
        if q.contains('<') {
            assert!(gf.is_empty(), "{gf:?}");
        }
        make_writable(go_sb.dir.path());
        make_writable(ours_sb.dir.path());
    }
}

/// `upgrade` and `patch` from a pseudo-version: never to a tag made before
/// it (modload/query.go `lookup`); staying on it still reads the
/// retractions of the latest version.
#[test]
fn upgrade_and_patch_from_a_pseudo_version_as_go() {
    if !go_or_skip() {
        return;
    }
    const PSEUDO: &str = "v0.0.0-20230101000000-abcdefabcdef";
    let mut f = fixtures();
    for (v, time) in [
        (PSEUDO, "2023-01-01T00:00:00Z"),
        ("v0.1.0", "2022-01-01T00:00:00Z"),
        ("v0.2.0", "2024-01-01T00:00:00Z"),
    ] {
        let go_mod = b"module example.com/p\n\ngo 1.20\n".to_vec();
        f.add(
            "example.com/p",
            v,
            Some(format!(r#"{{"Version":"{v}","Time":"{time}"}}"#).into_bytes()),
            Some(go_mod.clone()),
            vec![("go.mod".into(), go_mod)],
        );
    }
    let c = Consumer {
        go_mod: format!("module example.com/m\n\ngo 1.21\n\nrequire example.com/p {PSEUDO}\n"),
        go_sum: sum_lines(&f, "example.com/p", PSEUDO),
        extra: vec![],
    };
    // Only the older tag: upgrade stays; patch (v0.0.x) stays too.
    f.lists.insert("example.com/p".into(), "v0.1.0\n".into());
    let proxy = ModProxy::start(f.clone());
    let url = proxy.url();
    let go = same(&url, &c, &["-json", "example.com/p@upgrade"]);
    assert_eq!(versions(&go.stdout), [format!("example.com/p@{PSEUDO}")]);
    let go = same(&url, &c, &["-json", "example.com/p@patch"]);
    assert_eq!(versions(&go.stdout), [format!("example.com/p@{PSEUDO}")]);
    assert!(
        go.files.contains("example.com/p/@v/v0.1.0.mod"),
        "{:?}",
        go.files
    );
    // A newer tag: upgrade takes it.
    proxy.with_fixtures(|f| {
        f.lists
            .insert("example.com/p".into(), "v0.1.0\nv0.2.0\n".into());
    });
    let go = same(&url, &c, &["-json", "example.com/p@upgrade"]);
    assert_eq!(versions(&go.stdout), ["example.com/p@v0.2.0"]);
}

/// A workspace (go.work with two modules): the roots are the main modules
/// only, so every dependency argument reads the graph.
#[test]
fn workspace_arguments_resolve_against_the_workspace_build_list_as_go() {
    if !go_or_skip() {
        return;
    }
    let f = fixtures();
    let proxy = ModProxy::start(f.clone());
    let url = proxy.url();
    let m1_sum =
        sum_lines(&f, "example.com/a", "v1.0.0") + &sum_lines(&f, "example.com/b", "v1.0.0");
    let m2_sum = sum_lines(&f, "example.com/b", "v1.2.0");
    let c = Consumer {
        go_mod: String::new(),
        go_sum: String::new(),
        extra: vec![
            ("go.work".into(), "go 1.21\n\nuse (\n\t./m1\n\t./m2\n)\n".into()),
            (
                "m1/go.mod".into(),
                "module example.com/m1\n\ngo 1.21\n\nrequire example.com/a v1.0.0\n\nrequire example.com/b v1.0.0 // indirect\n".into(),
            ),
            ("m1/go.sum".into(), m1_sum),
            (
                "m2/go.mod".into(),
                "module example.com/m2\n\ngo 1.21\n\nrequire example.com/b v1.2.0\n".into(),
            ),
            ("m2/go.sum".into(), m2_sum),
        ],
    };
    let go = same(&url, &c, &["-json", "example.com/b", "example.com/a@patch"]);
    assert_eq!(
        versions(&go.stdout),
        ["example.com/b@v1.2.0", "example.com/a@v1.0.1"]
    );
    let go = same(
        &url,
        &c,
        &[
            "-json",
            "example.com/m1",
            "example.com/m2@upgrade",
            "example.com/...",
        ],
    );
    assert_eq!(
        versions(&go.stdout),
        ["example.com/a@v1.0.0", "example.com/b@v1.2.0"]
    );
    let go = same(&url, &c, &["example.com/c"]);
    assert_eq!(
        go.stderr,
        "go: module example.com/c: not a known dependency\n"
    );
}
