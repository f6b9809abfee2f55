//! `gomodfetch download` against the real `go mod download`: same servers,
//! separate caches, same JSON, same files/bytes/modes; GOPROXY list rules
//! (spec/fetch-protocol.md §11) with the same outcome and error text; warm
//! cache with no requests; faults; crash safety.
//!
//! Oracle tests skip when `go` is missing unless GOMODFETCH_REQUIRE_GO=1.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::support::modproxy::{Fault, Fixtures, ModProxy};
use crate::support::oracle::{Sandbox, assert_same_tree, go_or_skip, make_writable};

const ALL: &[&str] = &[
    "example.com/simple@v1.0.0",
    "example.com/simple@latest",
    "example.com/simple@v1.0",
    "example.com/simple@<v1.1.0",
    "example.com/simple@>=v1.0.1",
    "example.com/Upper/Case@v1.0.0-RC1",
    "example.com/major/v2@v2.1.0",
    "example.com/major/v2@latest",
    "example.com/legacy@latest",
    "example.com/legacy@v2.0.0+incompatible",
    "example.com/pseudo@v0.0.0-20230102030405-abcdefabcdef",
    "example.com/nested@v1.0.0",
    "example.com/retract@latest",
    "example.com/missing@v1.0.0",
    "example.com/simple@v9.9.9",
    "example.com/simple@v1.5",
    "example.com/simple@<=v1.2",
];

/// Runs go and gomodfetch with `--json` on `args` in two sandboxes sharing
/// `goproxy`; returns (go stdout, our stdout) normalised, and the sandboxes.
fn both(
    goproxy: &str,
    args: &[&str],
    tweak: impl Fn(&mut Sandbox),
) -> (String, String, Sandbox, Sandbox) {
    let mut go = Sandbox::new(goproxy);
    let mut ours = Sandbox::new(goproxy);
    tweak(&mut go);
    tweak(&mut ours);
    let mut go_args = vec!["mod", "download", "-json"];
    go_args.extend_from_slice(args);
    let go_out = go.go(&go_args);
    let mut our_args = vec!["download", "--json"];
    our_args.extend_from_slice(args);
    let our_out = ours.ours(&our_args);
    assert_eq!(
        go_out.status.code(),
        our_out.status.code(),
        "exit codes differ\ngo stderr: {}\nour stderr: {}",
        String::from_utf8_lossy(&go_out.stderr),
        String::from_utf8_lossy(&our_out.stderr)
    );
    (
        go.normalize(&go_out.stdout),
        ours.normalize(&our_out.stdout),
        go,
        ours,
    )
}

#[test]
fn same_cache_and_json_as_go() {
    if !go_or_skip() {
        return;
    }
    let proxy = ModProxy::start(Fixtures::standard());
    let (go_json, our_json, go, ours) = both(&proxy.url(), ALL, |_| {});
    assert_eq!(our_json, go_json);
    assert_same_tree(&go.cache(), &ours.cache());

    // The go command takes our cache as its own: offline build and verify.
    let consumer = ours.dir.path().join("consumer");
    std::fs::create_dir_all(&consumer).unwrap();
    std::fs::write(
        consumer.join("go.mod"),
        "module example.com/consumer\n\ngo 1.20\n\nrequire (\n\texample.com/simple v1.0.0\n\texample.com/Upper/Case v1.0.0-RC1\n\texample.com/major/v2 v2.1.0\n\texample.com/legacy v2.0.0+incompatible\n)\n",
    )
    .unwrap();
    std::fs::write(
        consumer.join("main.go"),
        "package main\n\nimport (\n\t\"example.com/Upper/Case\"\n\t\"example.com/legacy\"\n\t\"example.com/major/v2\"\n\t\"example.com/simple\"\n\t\"example.com/simple/sub\"\n)\n\nfunc main() { println(simple.Hello(), sub.X, Case.Name, major.V, legacy.Legacy) }\n",
    )
    .unwrap();
    let mut offline = Sandbox::new("off");
    offline.env = ours.env.clone();
    offline
        .set("GOPROXY", "off")
        .set("GOFLAGS", "-mod=mod -modcacherw");
    let run = |args: &[&str]| {
        std::process::Command::new("go")
            .args(args)
            .env_clear()
            .envs(&offline.env)
            .current_dir(&consumer)
            .output()
            .unwrap()
    };
    let build = run(&["build", "./..."]);
    assert!(
        build.status.success(),
        "go build: {}",
        String::from_utf8_lossy(&build.stderr)
    );
    let verify = run(&["mod", "verify"]);
    assert!(
        verify.status.success(),
        "go mod verify: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    make_writable(go.dir.path());
    make_writable(ours.dir.path());
}

#[test]
fn warm_cache_makes_no_requests_and_escapes_upper_case() {
    let proxy = ModProxy::start(Fixtures::standard());
    let sb = Sandbox::new(&proxy.url());
    let args = [
        "download",
        "example.com/simple@v1.0.0",
        "example.com/Upper/Case@v1.0.0-RC1",
    ];
    let out = sb.ours(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // §11.28: `!` is sent as %21.
    assert!(
        proxy
            .raw_requests()
            .contains(&"/example.com/%21upper/%21case/@v/v1.0.0-%21r%21c1.zip".to_string()),
        "{:?}",
        proxy.raw_requests()
    );
    proxy.clear_log();
    let out = sb.ours(&args);
    assert!(out.status.success());
    assert_eq!(proxy.requests(), Vec::<String>::new());
}

/// The warm-cache fast path (src/cache/warm.rs, `download::try_warm`) must
/// answer exactly as go does on a warm cache: the same JSON with no request;
/// an entry left half-extracted (`.partial`) is repaired, not reported as
/// present; inside a module, a go.sum line that disagrees with the cache
/// is go's checksum mismatch, not a silent hit.
#[test]
fn warm_cache_answers_as_go() {
    if !go_or_skip() {
        return;
    }
    let proxy = ModProxy::start(Fixtures::standard());
    let exact = [
        "example.com/simple@v1.0.0",
        "example.com/Upper/Case@v1.0.0-RC1",
        "example.com/major/v2@v2.1.0",
        "example.com/legacy@v2.0.0+incompatible",
        "example.com/pseudo@v0.0.0-20230102030405-abcdefabcdef",
    ];
    let (cold_go, cold_ours, go, ours) = both(&proxy.url(), &exact, |_| {});
    assert_eq!(cold_ours, cold_go);
    proxy.clear_log();
    let warm = |sb: &Sandbox, cmd: &[&str]| {
        let mut args = cmd.to_vec();
        args.extend_from_slice(&exact);
        let out = if cmd[0] == "mod" {
            sb.go(&args)
        } else {
            sb.ours(&args)
        };
        (out.status.code(), sb.normalize(&out.stdout))
    };
    let go_warm = warm(&go, &["mod", "download", "-json"]);
    let our_warm = warm(&ours, &["download", "--json"]);
    assert_eq!(our_warm, go_warm);
    // Not what the cold run printed: go drops Origin's Ref and RepoSum when
    // it reads `.info` back from the cache, and so must we.
    assert_ne!(our_warm.1, cold_ours);
    assert_eq!(
        proxy.requests(),
        Vec::<String>::new(),
        "warm runs fetch nothing"
    );

    // An extraction interrupted after `.partial` was created: both redo it.
    let vdir = |sb: &Sandbox| sb.cache().join("cache/download/example.com/simple/@v");
    for sb in [&go, &ours] {
        std::fs::write(vdir(sb).join("v1.0.0.partial"), "").unwrap();
    }
    let go_repair = warm(&go, &["mod", "download", "-json"]);
    let our_repair = warm(&ours, &["download", "--json"]);
    assert_eq!(our_repair, go_repair);
    assert!(!vdir(&ours).join("v1.0.0.partial").exists());
    assert_same_tree(&go.cache(), &ours.cache());

    // Inside a module whose go.sum disagrees with the cached zip: go makes
    // that fatal (`base.Fatalf`): the message alone, no JSON, exit 1.
    let wrong = "example.com/simple v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    let two = ["example.com/simple@v1.0.0", "example.com/major/v2@v2.1.0"];
    let runs: [(&Sandbox, Vec<&str>); 4] = [
        (&go, vec!["go", "mod", "download", two[0]]),
        (&ours, vec!["ours", "download", two[0]]),
        (
            &go,
            [&["go", "mod", "download", "-json"][..], &two].concat(),
        ),
        (&ours, [&["ours", "download", "--json"][..], &two].concat()),
    ];
    let mut codes = Vec::new();
    for (sb, cmd) in runs {
        let module = sb.dir.path().join("home");
        std::fs::write(
            module.join("go.mod"),
            "module example.com/consumer\n\ngo 1.20\n",
        )
        .unwrap();
        std::fs::write(module.join("go.sum"), wrong).unwrap();
        let out = if cmd[0] == "go" {
            sb.go(&cmd[1..])
        } else {
            sb.ours(&cmd[1..])
        };
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            stderr.contains("verifying example.com/simple@v1.0.0: checksum mismatch"),
            "{}: {stderr}",
            cmd[0]
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "",
            "{}: a go.sum mismatch prints no JSON",
            cmd[0]
        );
        codes.push(out.status.code());
    }
    assert_eq!(codes, [Some(1); 4], "exit codes");
    make_writable(go.dir.path());
    make_writable(ours.dir.path());
}

/// A GOPROXY scenario: two proxies A and B with faults, the same arguments
/// for go and gomodfetch; asserts the same JSON (hence the same Error text).
fn rule(
    goproxy_of: impl Fn(&str, &str) -> String,
    fault_a: Option<Fault>,
    fault_b: Option<Fault>,
    args: &[&str],
) -> String {
    let a = ModProxy::start(Fixtures::standard());
    let b = ModProxy::start(Fixtures::standard());
    if let Some(f) = fault_a {
        a.set_fault(move |_| Some(f.clone()));
    }
    if let Some(f) = fault_b {
        b.set_fault(move |_| Some(f.clone()));
    }
    let goproxy = goproxy_of(&a.url(), &b.url());
    let (go_json, our_json, go, ours) = both(&goproxy, args, |_| {});
    assert_eq!(our_json, go_json, "GOPROXY={goproxy}");
    make_writable(go.dir.path());
    make_writable(ours.dir.path());
    our_json
}

#[test]
fn goproxy_rules_match_go() {
    if !go_or_skip() {
        return;
    }
    let m = &["example.com/simple@v1.0.0"];
    // §11.11, 11.12: 404/410 after `,` fall through.
    let out = rule(|a, b| format!("{a},{b}"), Some(Fault::Status(404)), None, m);
    assert!(!out.contains("Error"), "{out}");
    rule(|a, b| format!("{a},{b}"), Some(Fault::Status(410)), None, m);
    // §11.13: 500/403 after `,` stop and are reported.
    let out = rule(|a, b| format!("{a},{b}"), Some(Fault::Status(403)), None, m);
    assert!(out.contains("403 Forbidden"), "{out}");
    // §11.14: `|` falls through on anything.
    let out = rule(|a, b| format!("{a}|{b}"), Some(Fault::Status(403)), None, m);
    assert!(!out.contains("Error"), "{out}");
    // §11.16: all not-found: the last one is reported.
    let out = rule(
        |a, b| format!("{a},{b}"),
        Some(Fault::Status(404)),
        Some(Fault::Status(410)),
        m,
    );
    assert!(out.contains("410 Gone"), "{out}");
    // §11.17: a 500 (via `|`) beats a later 404.
    let out = rule(
        |a, b| format!("{a}|{b}"),
        Some(Fault::Status(403)),
        Some(Fault::Status(404)),
        m,
    );
    assert!(out.contains("403"), "{out}");
    // §11.18, 11.19: off.
    let out = rule(|a, _| format!("{a},off"), Some(Fault::Status(404)), None, m);
    assert!(
        out.contains("module lookup disabled by GOPROXY=off"),
        "{out}"
    );
    rule(|_, _| "off".into(), None, None, m);
    // §11.10: white space and empty elements.
    rule(
        |a, b| format!(" {a} ,, {b} "),
        Some(Fault::Status(404)),
        None,
        m,
    );
    // §11.36: plain-text error bodies shown as Go shows them.
    rule(
        |a, _| a.to_string(),
        Some(Fault::StatusText(
            403,
            "denied by policy\nsee admin\n\nignored".into(),
        )),
        None,
        m,
    );
    // Invalid GOPROXY values (§11.3, 6, 7, 8).
    for bad in [
        " , ",
        "/srv/goproxy",
        "ftp://example.com",
        "file://files.example.com/srv/p",
        "noproxy",
    ] {
        rule(|_, _| bad.into(), None, None, m);
    }
    // §11.31: a .info for another version.
    rule(
        |a, _| a.to_string(),
        Some(Fault::Body(br#"{"Version":"v1.0.1"}"#.to_vec())),
        None,
        m,
    );
}

#[test]
fn bad_zip_is_refused_and_cache_left_clean() {
    if !go_or_skip() {
        return;
    }
    // §11.34: an entry outside <path>@<version>/.
    let mut fixtures = Fixtures::standard();
    let bad = crate::support::modproxy::build_zip(
        "example.com/other",
        "v1.0.0",
        &[("x.go".into(), b"package x\n".to_vec())],
    );
    fixtures
        .modules
        .get_mut("example.com/simple")
        .unwrap()
        .get_mut("v1.0.0")
        .unwrap()
        .zip = bad;
    let proxy = ModProxy::start(fixtures);
    let (go_json, our_json, go, ours) = both(
        &proxy.url(),
        &["example.com/simple@v1.0.0", "example.com/major/v2@v2.1.0"],
        |_| {},
    );
    assert_eq!(our_json, go_json);
    assert!(
        our_json.contains("has unexpected file example.com/other@v1.0.0/x.go"),
        "{our_json}"
    );
    assert_same_tree(&go.cache(), &ours.cache());
    // No zip, no temp file left behind for the bad module.
    let dir = ours.cache().join("cache/download/example.com/simple/@v");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".zip")), "{names:?}");
    make_writable(go.dir.path());
    make_writable(ours.dir.path());
}

#[test]
fn direct_entry_is_reached_after_the_proxy() {
    // Direct mode exists now: a `.git`-qualified path fails in the scheme
    // probe without any network when GIT_ALLOW_PROTOCOL admits no secure
    // remote scheme (hermetic), and that direct error is the one reported.
    let proxy = ModProxy::start(Fixtures::standard());
    let mut sb = Sandbox::new(&format!("{},direct", proxy.url()));
    sb.set("GIT_ALLOW_PROTOCOL", "file");
    let out = sb.ours(&["download", "--json", "example.com/missing.git@v1.0.0"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("example.com/missing.git@v1.0.0: no secure protocol found for repository"),
        "{text}"
    );
    // GONOPROXY: the proxy is never asked.
    let mut sb = Sandbox::new(&proxy.url());
    sb.set("GOPRIVATE", "example.com/private.git")
        .set("GIT_ALLOW_PROTOCOL", "file");
    proxy.clear_log();
    let out = sb.ours(&["download", "--json", "example.com/private.git@v1.0.0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("no secure protocol found for repository")
    );
    assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());
}

#[test]
fn faulty_proxy_hundred_modules_nothing_lost() {
    let mut fixtures = Fixtures::default();
    let mut args = Vec::new();
    for i in 0..100 {
        let path = format!("example.com/many/m{i:03}");
        fixtures.add_simple(&path, "v1.0.0");
        args.push(format!("{path}@v1.0.0"));
    }
    let proxy = ModProxy::start(fixtures);
    // The first request for each file fails, in rotation: 503, reset,
    // truncated body (zips), 429; the retry succeeds.
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let kinds = Arc::new(AtomicU64::new(0));
    proxy.set_fault(move |req| {
        if !seen.lock().unwrap().insert(req.path.clone()) {
            return None;
        }
        match kinds.fetch_add(1, Ordering::SeqCst) % 4 {
            0 => Some(Fault::Status(503)),
            1 => Some(Fault::Reset),
            2 if req.path.ends_with(".zip") => Some(Fault::Truncate(10)),
            2 => Some(Fault::Status(502)),
            _ => Some(Fault::TooMany(0)),
        }
    });
    let sb = Sandbox::new(&proxy.url());
    let mut a: Vec<&str> = vec!["download", "--json", "-j", "16"];
    a.extend(args.iter().map(String::as_str));
    let out = sb.ours(&a);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text.matches("\"Dir\"").count(), 100);
    assert!(!text.contains("\"Error\""));
    for i in 0..100 {
        let d = sb
            .cache()
            .join(format!("example.com/many/m{i:03}@v1.0.0/m.go"));
        assert!(d.exists(), "{}", d.display());
    }
}

/// A module large enough that a download takes a while: incompressible
/// files, so the zip is about `mib` MiB.
fn big_fixtures(mib: usize) -> Fixtures {
    let mut fixtures = Fixtures::standard();
    let go_mod = b"module example.com/big\n\ngo 1.20\n".to_vec();
    let mut files = vec![("go.mod".to_string(), go_mod.clone())];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..mib {
        let mut data = Vec::with_capacity(1 << 20);
        while data.len() < 1 << 20 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            data.extend_from_slice(&state.to_le_bytes());
        }
        files.push((format!("data/blob{i:03}.bin"), data));
    }
    files.push(("big.go".into(), b"package big\n".to_vec()));
    fixtures.add("example.com/big", "v1.0.0", None, Some(go_mod), files);
    fixtures
}

/// `go mod verify` from a consumer module requiring `requires` (path, version).
fn go_verify(sb: &Sandbox, requires: &[(&str, &str)]) -> std::process::Output {
    let consumer = sb.dir.path().join("consumer");
    std::fs::create_dir_all(&consumer).unwrap();
    let mut go_mod = String::from("module example.com/consumer\n\ngo 1.20\n\nrequire (\n");
    for (p, v) in requires {
        go_mod.push_str(&format!("\t{p} {v}\n"));
    }
    go_mod.push_str(")\n");
    std::fs::write(consumer.join("go.mod"), go_mod).unwrap();
    std::process::Command::new("go")
        .args(["mod", "verify"])
        .env_clear()
        .envs(&sb.env)
        .env("GOFLAGS", "-mod=mod -modcacherw")
        .current_dir(&consumer)
        .output()
        .unwrap()
}

#[test]
fn crash_at_any_point_leaves_a_cache_go_accepts() {
    if !go_or_skip() {
        return;
    }
    let proxy = ModProxy::start(big_fixtures(24));
    // Slow the body a little so the kill points spread over download,
    // hashing, commit and extraction.
    proxy.set_latency(std::time::Duration::from_millis(5));
    let args = [
        "download",
        "example.com/big@v1.0.0",
        "example.com/simple@v1.0.0",
    ];
    // How long a full run takes here (no timing assert: only spreads kills).
    let probe = Sandbox::new(&proxy.url());
    let start = std::time::Instant::now();
    assert!(probe.ours(&args).status.success());
    let full = start.elapsed();
    for round in 0..10u32 {
        let sb = Sandbox::new(&proxy.url());
        let mut child = sb.ours_command(&args).spawn().unwrap();
        std::thread::sleep(full * round / 9);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let go = sb.go(&[
            "mod",
            "download",
            "-json",
            "example.com/big@v1.0.0",
            "example.com/simple@v1.0.0",
        ]);
        assert!(
            go.status.success(),
            "round {round}: go mod download after kill: {}{}",
            String::from_utf8_lossy(&go.stdout),
            String::from_utf8_lossy(&go.stderr)
        );
        let verify = go_verify(
            &sb,
            &[
                ("example.com/big", "v1.0.0"),
                ("example.com/simple", "v1.0.0"),
            ],
        );
        assert!(
            verify.status.success(),
            "round {round}: go mod verify: {}{}",
            String::from_utf8_lossy(&verify.stdout),
            String::from_utf8_lossy(&verify.stderr)
        );
        let again = sb.ours(&args);
        assert!(
            again.status.success(),
            "round {round}: {}",
            String::from_utf8_lossy(&again.stderr)
        );
        make_writable(sb.dir.path());
    }
    make_writable(probe.dir.path());
}

#[test]
fn shares_a_cache_with_a_running_go() {
    if !go_or_skip() {
        return;
    }
    let mut fixtures = big_fixtures(4);
    let mut mods = vec!["example.com/big@v1.0.0".to_string()];
    for i in 0..12 {
        let path = format!("example.com/shared/m{i:02}");
        fixtures.add_simple(&path, "v1.0.0");
        mods.push(format!("{path}@v1.0.0"));
    }
    let proxy = ModProxy::start(fixtures);
    for round in 0..4 {
        let sb = Sandbox::new(&proxy.url());
        let mut go_args = vec!["mod", "download", "-json"];
        go_args.extend(mods.iter().map(String::as_str));
        let mut ours_args = vec!["download", "--json"];
        ours_args.extend(mods.iter().rev().map(String::as_str));
        let go_child = std::process::Command::new("go")
            .args(&go_args)
            .env_clear()
            .envs(&sb.env)
            .current_dir(sb.dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let ours = sb.ours(&ours_args);
        let go = go_child.wait_with_output().unwrap();
        assert!(
            go.status.success(),
            "round {round}: go: {}",
            String::from_utf8_lossy(&go.stdout)
        );
        assert!(
            ours.status.success(),
            "round {round}: ours: {}",
            String::from_utf8_lossy(&ours.stdout)
        );
        let requires: Vec<(&str, &str)> = mods.iter().map(|m| m.split_once('@').unwrap()).collect();
        let verify = go_verify(&sb, &requires);
        assert!(
            verify.status.success(),
            "round {round}: {}",
            String::from_utf8_lossy(&verify.stdout)
        );
        make_writable(sb.dir.path());
    }
}

type FaultFn = dyn Fn(&crate::support::modproxy::Request) -> Option<Fault> + Send + Sync;

/// Bad proxy answers: each gives the same error as go, and the cache ends
/// up the same as go's (nothing of the bad module visible).
#[test]
fn bad_answers_match_go() {
    if !go_or_skip() {
        return;
    }
    let m = &["example.com/simple@v1.0.0", "example.com/major/v2@v2.1.0"];
    let cases: Vec<(&str, Box<FaultFn>)> = vec![
        (
            "html instead of a zip",
            Box::new(|r| {
                (r.path.contains("simple") && r.path.ends_with(".zip"))
                    .then(|| Fault::Body(b"<html><body>proxy login</body></html>".to_vec()))
            }),
        ),
        (
            "info not JSON",
            Box::new(|r| {
                (r.path.contains("simple") && r.path.ends_with(".info"))
                    .then(|| Fault::Body(b"<html>".to_vec()))
            }),
        ),
        (
            "redirect loop",
            Box::new(|r| {
                r.path
                    .contains("simple")
                    .then(|| Fault::Redirect(r.raw_path.clone()))
            }),
        ),
        (
            "404 on the zip only",
            Box::new(|r| {
                (r.path.contains("simple") && r.path.ends_with(".zip"))
                    .then_some(Fault::Status(404))
            }),
        ),
    ];
    for (name, fault) in cases {
        let proxy = ModProxy::start(Fixtures::standard());
        let fault = Arc::new(fault);
        proxy.set_fault(move |r| fault(r));
        let (go_json, our_json, go, ours) = both(&proxy.url(), m, |_| {});
        assert_eq!(our_json, go_json, "case: {name}");
        assert!(our_json.contains("\"Error\""), "case {name}: {our_json}");
        assert_same_tree(&go.cache(), &ours.cache());
        make_writable(go.dir.path());
        make_writable(ours.dir.path());
    }
}

#[test]
fn file_proxies_and_private_patterns_match_go() {
    if !go_or_skip() {
        return;
    }
    let proxy = ModProxy::start(Fixtures::standard());
    let m = &["example.com/simple@v1.0.0"];
    // A file:// proxy that lacks the module: Go's `no such file or directory`.
    let empty = tempfile::tempdir().unwrap();
    let file_url = format!("file://{}", empty.path().display());
    let (go_json, our_json, go, ours) = both(&file_url, m, |_| {});
    assert_eq!(our_json, go_json);
    assert!(our_json.contains("no such file or directory"), "{our_json}");
    make_writable(go.dir.path());
    make_writable(ours.dir.path());
    // A file:// proxy falls through (`,`) to the http one.
    let (go_json, our_json, go, ours) = both(&format!("{file_url},{}", proxy.url()), m, |_| {});
    assert_eq!(our_json, go_json);
    assert!(!our_json.contains("Error"), "{our_json}");
    make_writable(go.dir.path());
    make_writable(ours.dir.path());
    // §11.22: GONOPROXY=none sends GOPRIVATE modules to the proxy.
    let (go_json, our_json, go, ours) = both(&proxy.url(), m, |sb| {
        sb.set("GOPRIVATE", "example.com/simple")
            .set("GONOPROXY", "none");
    });
    assert_eq!(our_json, go_json);
    assert!(!our_json.contains("Error"), "{our_json}");
    make_writable(go.dir.path());
    make_writable(ours.dir.path());
    // §11.24: patterns are not trimmed: " example.com/simple" matches nothing.
    let (go_json, our_json, go, ours) = both(&proxy.url(), m, |sb| {
        sb.set("GONOPROXY", "a.example.com, example.com/simple");
    });
    assert_eq!(our_json, go_json);
    make_writable(go.dir.path());
    make_writable(ours.dir.path());
}

#[test]
fn x_prints_requests_as_go_does() {
    let proxy = ModProxy::start(Fixtures::standard());
    let sb = Sandbox::new(&proxy.url());
    let out = sb.ours(&["download", "-x", "example.com/simple@v1.0.0"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let base = format!("{}/example.com/simple/@v/v1.0.0", proxy.url());
    for ext in ["info", "mod", "zip"] {
        assert!(err.contains(&format!("# get {base}.{ext}\n")), "{err}");
        assert!(
            err.contains(&format!("# get {base}.{ext}: 200 OK (")),
            "{err}"
        );
    }
}
