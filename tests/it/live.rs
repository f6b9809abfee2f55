//! Live tests, only with `GOMODFETCH_LIVE=1`: the real go command and
//! gomodfetch fetch the modules of `testdata/live/modules.txt` through the
//! GOPROXY and GOSUMDB this machine's environment gives (behind its
//! TLS-intercepting egress, trusted through SSL_CERT_FILE / SSL_CERT_DIR),
//! into separate private caches, and must agree byte for byte.
//!
//! No host is named here: the proxy and the checksum database are whatever
//! the environment (or the toolchain's go.env) says.

use std::path::Path;

use serde_json::Value;

use crate::support::oracle::{Sandbox, assert_same_tree, go_or_skip, make_writable};

#[expect(
    clippy::disallowed_methods,
    reason = "test-only switches and the environment handed to the live run"
)]
fn process_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[expect(clippy::print_stderr, reason = "a skipped test says why")]
fn live_or_skip() -> bool {
    if process_var("GOMODFETCH_LIVE").as_deref() != Some("1") {
        eprintln!("skipping: live test (set GOMODFETCH_LIVE=1)");
        return false;
    }
    go_or_skip()
}

fn modules() -> Vec<String> {
    let list = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/live/modules.txt"),
    )
    .unwrap();
    list.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// A sandbox that reaches the environment's proxy and checksum database:
/// GOPROXY and GOSUMDB as the environment (or go.env) has them, and the
/// variables that make TLS and proxies work here passed through.
fn live_sandbox() -> Sandbox {
    let mut sandbox = Sandbox::new("");
    sandbox
        .unset("GOPROXY")
        .unset("GOSUMDB")
        .unset("GONOSUMCHECK");
    for name in [
        "GOPROXY",
        "GOSUMDB",
        "GONOSUMDB",
        "GOPRIVATE",
        "GONOPROXY",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "NO_PROXY",
        "https_proxy",
        "http_proxy",
        "no_proxy",
    ] {
        if let Some(value) = process_var(name) {
            sandbox.set(name, &value);
        }
    }
    sandbox
}

fn json_objects(out: &str) -> Vec<Value> {
    serde_json::Deserializer::from_str(out)
        .into_iter::<Value>()
        .map(Result::unwrap)
        .collect()
}

fn last_word(out: &[u8]) -> String {
    String::from_utf8_lossy(out)
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_string()
}

/// Issue 3: `gomodfetch hash` agrees with `go mod download -json`'s Sum and
/// GoModSum on real modules (zip, go.mod and extracted directory).
#[test]
fn hash_agrees_with_go_on_real_modules() {
    if !live_or_skip() {
        return;
    }
    let modules = modules();
    assert!(
        modules.len() >= 20,
        "testdata/live/modules.txt lists {}",
        modules.len()
    );
    let sandbox = live_sandbox();
    let mut args = vec!["mod", "download", "-json"];
    args.extend(modules.iter().map(String::as_str));
    let out = sandbox.go(&args);
    assert!(
        out.status.success(),
        "go mod download: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let objects = json_objects(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(objects.len(), modules.len());
    for object in &objects {
        let module = format!(
            "{}@{}",
            object["Path"].as_str().unwrap(),
            object["Version"].as_str().unwrap()
        );
        let sum = object["Sum"].as_str().unwrap();
        let go_mod_sum = object["GoModSum"].as_str().unwrap();
        let zip = sandbox.ours(&["hash", object["Zip"].as_str().unwrap(), "--module", &module]);
        assert!(
            zip.status.success(),
            "hash zip {module}: {}",
            String::from_utf8_lossy(&zip.stderr)
        );
        assert_eq!(last_word(&zip.stdout), sum, "zip of {module}");
        let dir = sandbox.ours(&["hash", object["Dir"].as_str().unwrap(), "--module", &module]);
        assert!(
            dir.status.success(),
            "hash dir {module}: {}",
            String::from_utf8_lossy(&dir.stderr)
        );
        assert_eq!(last_word(&dir.stdout), sum, "dir of {module}");
        let go_mod = sandbox.ours(&["hash", object["GoMod"].as_str().unwrap()]);
        assert!(go_mod.status.success());
        assert_eq!(last_word(&go_mod.stdout), go_mod_sum, "go.mod of {module}");
    }
    make_writable(&sandbox.cache());
}

/// Issues 4, 5 and 6: through the environment's proxy (and its TLS
/// interception), gomodfetch leaves the same cache and the same JSON as the
/// go command, verifying against the checksum database; and the go command
/// accepts the checksum-database state gomodfetch left (`pkg/sumdb`).
#[test]
fn download_matches_go_and_go_accepts_our_sumdb_state() {
    if !live_or_skip() {
        return;
    }
    let modules = modules();
    let go = live_sandbox();
    let ours = live_sandbox();
    let mut args = vec!["mod", "download", "-json"];
    args.extend(modules.iter().map(String::as_str));
    let go_out = go.go(&args);
    assert!(
        go_out.status.success(),
        "go: {}",
        String::from_utf8_lossy(&go_out.stderr)
    );
    let mut our_args = vec!["download", "--json"];
    our_args.extend(modules.iter().map(String::as_str));
    let our_out = ours.ours(&our_args);
    assert!(
        our_out.status.success(),
        "gomodfetch: {}",
        String::from_utf8_lossy(&our_out.stderr)
    );
    assert_eq!(
        go.normalize(&go_out.stdout),
        ours.normalize(&our_out.stdout)
    );

    // The checksum database grows while the test runs, so the two runs may
    // have fetched different tiles; everything else must be identical.
    let strip = |root: &Path| {
        make_writable(root);
        let _ = std::fs::remove_dir_all(root.join("cache/download/sumdb"));
    };
    let go_lookups = std::fs::read_dir(go.cache().join("cache/download/sumdb"))
        .unwrap()
        .count();
    assert!(go_lookups > 0, "go left no checksum-database cache");
    strip(&go.cache());
    strip(&ours.cache());
    assert_same_tree(&go.cache(), &ours.cache());

    // Our pkg/sumdb/<name>/latest must be accepted by go: it fetches a newer
    // tree head and checks it is consistent with ours. Force a lookup by
    // removing one module from the cache.
    let first = &modules[0];
    make_writable(&ours.cache());
    std::fs::remove_dir_all(ours.cache().join("cache/download")).unwrap();
    let again = ours.go(&["mod", "download", "-json", first]);
    assert!(
        again.status.success(),
        "go on our sumdb state: {}",
        String::from_utf8_lossy(&again.stderr)
    );
    let latest = std::fs::read_dir(ours.dir.path().join("gopath/pkg/sumdb"))
        .unwrap()
        .count();
    assert_eq!(latest, 1, "one checksum database's latest tree head");
    make_writable(&go.cache());
    make_writable(&ours.cache());
}
