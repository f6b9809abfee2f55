//! The remaining `go mod download` behaviour gaps of issue 4, each against
//! the real `go` where it can run: whole-command argument errors outside a
//! module, Go's one re-send after an https 4xx, .netrc credentials end to end
//! over https (never to another host after a redirect, redacted in errors),
//! the 500 MiB zip cap on a streamed body, and a plain-HTTP server behind an
//! https GOPROXY URL.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use base64::Engine as _;

use crate::support::modproxy::{Fault, Fixtures, ModProxy};
use crate::support::oracle::{Sandbox, assert_same_tree, go_or_skip, make_writable};
use crate::support::tls::{Behind, Case, Pki, Server, start_tls};

const NO_ROOT: &str =
    "go.mod file not found in current directory or any parent directory; see 'go help modules'";

/// `m@upgrade` / `m@patch` (and the other arguments that need a main
/// module) outside a module fail the whole command with go's words, in
/// JSON mode too: no JSON at all, exit 1, nothing fetched.
#[test]
fn upgrade_and_patch_outside_a_module_fail_the_command_like_go() {
    let proxy =
        crate::support::modproxy::ModProxy::start(crate::support::modproxy::Fixtures::standard());
    let cases: &[(&[&str], String)] = &[
        (
            &["example.com/simple@upgrade"],
            format!("cannot match \"example.com/simple@upgrade\": {NO_ROOT}"),
        ),
        (
            &["example.com/simple@v1.0.0", "example.com/simple@patch"],
            format!("cannot match \"example.com/simple@patch\": {NO_ROOT}"),
        ),
        (
            &["example.com/simple@patch", "example.com/simple@upgrade"],
            format!("cannot match \"example.com/simple@patch\": {NO_ROOT}"),
        ),
        (
            &["example.com/simple@v1.0.0", "example.com/simple"],
            format!(
                "cannot match \"example.com/simple\" without -versions or an explicit version: {NO_ROOT}"
            ),
        ),
        (
            &["example.com/simple@v1.0.0", "example.com/..."],
            format!("cannot match \"example.com/...\": {NO_ROOT}"),
        ),
        (
            &["example.com/simple@v1.0.0", "all"],
            format!("cannot match \"all\": {NO_ROOT}"),
        ),
        (
            &["./simple@v1.0.0", "example.com/simple@upgrade"],
            "cannot use relative path ./simple@v1.0.0 to specify module".to_string(),
        ),
        (
            &["example.com\\simple@v1.0.0"],
            "module paths never use backslash".to_string(),
        ),
        (
            &["example.com/simple@-v1"],
            "invalid module version \"-v1\"".to_string(),
        ),
    ];
    let check_go = go_or_skip();
    for (args, message) in cases {
        for json in [false, true] {
            let sb = Sandbox::new(&proxy.url());
            proxy.clear_log();
            let mut ours_args = vec!["download"];
            if json {
                ours_args.push("--json");
            }
            ours_args.extend_from_slice(args);
            let ours = sb.ours(&ours_args);
            let ours_err = String::from_utf8_lossy(&ours.stderr).into_owned();
            assert_eq!(ours.status.code(), Some(1), "{args:?}: {ours_err}");
            assert_eq!(ours_err, format!("gomodfetch: {message}\n"), "{args:?}");
            assert!(ours.stdout.is_empty(), "{args:?}");
            assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());
            if check_go {
                let mut go_args = vec!["mod", "download"];
                if json {
                    go_args.push("-json");
                }
                go_args.extend_from_slice(args);
                let go = sb.go(&go_args);
                assert_eq!(go.status.code(), ours.status.code(), "{args:?}");
                assert_eq!(
                    String::from_utf8_lossy(&go.stderr),
                    format!("go: {message}\n"),
                    "{args:?}"
                );
                assert!(go.stdout.is_empty());
            }
            make_writable(sb.dir.path());
        }
    }
    // Inside a module the same `@upgrade` is a query like any other.
    let sb = Sandbox::new(&proxy.url());
    let module = sb.dir.path().join("home");
    std::fs::write(
        module.join("go.mod"),
        "module example.com/main\n\ngo 1.21\n",
    )
    .unwrap();
    let ours = sb.ours(&["download", "--json", "example.com/simple@upgrade"]);
    let text = String::from_utf8_lossy(&ours.stdout);
    assert!(ours.status.success(), "{text}");
    assert!(text.contains("\"Query\": \"upgrade\""), "{text}");
    make_writable(sb.dir.path());
}

/// A TLS front (certificate for localhost and 127.0.0.1 from a test PKI)
/// before a loopback module proxy, and the root to trust, in `dir`.
fn https_front(proxy: &ModProxy, pki: &Pki) -> Server {
    let (chain, key) = pki.chain(&Case::Good);
    start_tls(chain, key, Behind::Forward(proxy.addr))
}

/// Sandboxes for go and ours sharing `goproxy`, trusting `pki`'s root only.
fn sandboxes(goproxy: &str, pki: &Pki, tweak: &dyn Fn(&mut Sandbox)) -> (Sandbox, Sandbox) {
    let make = || {
        let mut sb = Sandbox::new(goproxy);
        let root = pki.write_root(sb.dir.path());
        let empty = sb.dir.path().join("empty-cert-dir");
        std::fs::create_dir_all(&empty).unwrap();
        sb.set("SSL_CERT_FILE", &root.display().to_string())
            .set("SSL_CERT_DIR", &empty.display().to_string());
        tweak(&mut sb);
        sb
    };
    (make(), make())
}

/// `go mod download -json args` and `gomodfetch download --json args`;
/// returns (go stdout, our stdout) with the caches shown as `$CACHE`, after
/// asserting equal exit codes. Where go cannot run, ours twice.
fn run_both(go: &Sandbox, ours: &Sandbox, args: &[&str]) -> (String, String) {
    let mut our_args = vec!["download", "--json"];
    our_args.extend_from_slice(args);
    if !go_or_skip() {
        let text = ours.normalize(&ours.ours(&our_args).stdout);
        return (text.clone(), text);
    }
    let mut go_args = vec!["mod", "download", "-json"];
    go_args.extend_from_slice(args);
    let go_out = go.go(&go_args);
    let our_out = ours.ours(&our_args);
    assert_eq!(
        go_out.status.code(),
        our_out.status.code(),
        "exit codes differ\ngo: {}{}\nours: {}{}",
        String::from_utf8_lossy(&go_out.stdout),
        String::from_utf8_lossy(&go_out.stderr),
        String::from_utf8_lossy(&our_out.stdout),
        String::from_utf8_lossy(&our_out.stderr)
    );
    (
        go.normalize(&go_out.stdout),
        ours.normalize(&our_out.stdout),
    )
}

fn our_json(sb: &Sandbox, args: &[&str]) -> (Option<i32>, String) {
    let mut our_args = vec!["download", "--json"];
    our_args.extend_from_slice(args);
    let out = sb.ours(&our_args);
    (out.status.code(), sb.normalize(&out.stdout))
}

fn count(log: &[String], path: &str) -> usize {
    log.iter().filter(|p| p.as_str() == path).count()
}

/// Go 1.24+ (web/http.go `get`): an https answer in 400..=499 is dropped
/// and the same request sent once more (with GOAUTH's credentials); the
/// second answer stands. Plain http is never re-sent.
#[test]
fn https_4xx_is_sent_once_more_like_go() {
    let check_go = go_or_skip();
    let proxy = ModProxy::start(Fixtures::standard());
    let pki = Pki::new();
    let front = https_front(&proxy, &pki);
    // The first request for simple's .info is refused, the next one served.
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let install = |proxy: &ModProxy, status: u16| {
        let seen = seen.clone();
        seen.lock().unwrap().clear();
        proxy.set_fault(move |r| {
            (r.path.ends_with("simple/@v/v1.0.0.info")
                && seen.lock().unwrap().insert(r.path.clone()))
            .then(|| Fault::StatusText(status, "try again\n".into()))
        });
    };
    let info = "/example.com/simple/@v/v1.0.0.info";
    let missing = "/example.com/missing/@v/v1.0.0.info";
    let args = ["example.com/simple@v1.0.0", "example.com/missing@v1.0.0"];
    for status in [401, 403, 404] {
        let (go, ours) = sandboxes(&front.url_ip(), &pki, &|_| {});
        install(&proxy, status);
        proxy.clear_log();
        let (code, text) = our_json(&ours, &args);
        assert_eq!(code, Some(1), "{text}");
        assert!(!text.contains("try again"), "{status}: {text}");
        assert!(text.contains("\"Zip\""), "{status}: {text}");
        let log = proxy.requests();
        assert_eq!(count(&log, info), 2, "{status}: {log:?}");
        assert_eq!(count(&log, missing), 2, "{status}: {log:?}");
        if check_go {
            install(&proxy, status);
            proxy.clear_log();
            let mut go_args = vec!["mod", "download", "-json"];
            go_args.extend_from_slice(&args);
            let go_out = go.go(&go_args);
            assert_eq!(go_out.status.code(), Some(1));
            assert_eq!(go.normalize(&go_out.stdout), text);
            let go_log = proxy.requests();
            let (mut a, mut b) = (go_log.clone(), log.clone());
            a.sort();
            b.sort();
            assert_eq!(a, b, "go's requests vs ours");
        }
        make_writable(go.dir.path());
        make_writable(ours.dir.path());
    }
    // Plain http: one request, the 401 stands (for go as for us).
    let (go, ours) = sandboxes(&proxy.url(), &pki, &|_| {});
    install(&proxy, 401);
    proxy.clear_log();
    let (code, text) = our_json(&ours, &args[..1]);
    assert_eq!(code, Some(1));
    assert!(text.contains("401 Unauthorized"), "{text}");
    assert_eq!(count(&proxy.requests(), info), 1);
    if check_go {
        install(&proxy, 401);
        let go_out = go.go(&["mod", "download", "-json", args[0]]);
        assert_eq!(go.normalize(&go_out.stdout), text);
    }
    make_writable(go.dir.path());
    make_writable(ours.dir.path());
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// .netrc end to end over https: the credentials go to their host (the
/// proxy refuses requests without them), never to another host a redirect
/// leads to, and a refusal names the URL with any password redacted.
#[test]
fn netrc_credentials_over_https_like_go() {
    let check_go = go_or_skip();
    let pki = Pki::new();
    let proxy = ModProxy::start(Fixtures::standard());
    let front = https_front(&proxy, &pki);
    // Another server (another port; reached as `localhost` or `127.0.0.1`)
    // that serves the zips and records what it was sent.
    let other = ModProxy::start(Fixtures::standard());
    let other_front = https_front(&other, &pki);
    let port = front.addr.port();
    let want = basic("gopher", "s3cret");
    let require_auth = |redirect_to: Option<String>| {
        let want = want.clone();
        proxy.set_fault(move |r| {
            if r.authorization.as_deref() != Some(want.as_str()) {
                return Some(Fault::StatusText(401, "login required\n".into()));
            }
            match &redirect_to {
                Some(base) if r.path.ends_with(".zip") => {
                    Some(Fault::Redirect(format!("{base}{}", r.raw_path)))
                }
                _ => None,
            }
        });
    };
    let netrc = |sb: &mut Sandbox, password: &str| {
        let path = sb.dir.path().join("netrc");
        std::fs::write(
            &path,
            format!(
                "machine 127.0.0.1:{port} login gopher password {password}\nmachine localhost:{} login other password leaked\n",
                other_front.addr.port()
            ),
        )
        .unwrap();
        sb.set("NETRC", &path.display().to_string());
    };
    let args = ["example.com/simple@v1.0.0"];

    // Right credentials; zips redirected to another host name and port.
    for other_base in [other_front.url_localhost(), other_front.url_ip()] {
        require_auth(Some(other_base.clone()));
        let (go, ours) = sandboxes(&front.url_ip(), &pki, &|sb| netrc(sb, "s3cret"));
        proxy.clear_log();
        other.clear_log();
        let (code, text) = our_json(&ours, &args);
        assert_eq!(code, Some(0), "{text}");
        let log = proxy.log();
        assert!(!log.is_empty());
        assert!(
            log.iter()
                .all(|r| r.authorization.as_deref() == Some(want.as_str()))
        );
        let other_log = other.log();
        assert_eq!(other_log.len(), 1, "{other_log:?}");
        assert_eq!(other_log[0].authorization, None, "sent to {other_base}");
        if check_go {
            other.clear_log();
            let go_out = go.go(&["mod", "download", "-json", args[0]]);
            assert!(
                go_out.status.success(),
                "{}",
                String::from_utf8_lossy(&go_out.stdout)
            );
            assert_eq!(go.normalize(&go_out.stdout), text);
            assert_same_tree(&go.cache(), &ours.cache());
            let go_other = other.log();
            // Go keeps Authorization when only the port changes (net/http
            // compares host names); gomodfetch never carries credentials
            // to another host:port.
            if other_base.contains("localhost") {
                assert_eq!(go_other[0].authorization, None);
            } else {
                assert_eq!(go_other[0].authorization.as_deref(), Some(want.as_str()));
            }
        }
        make_writable(go.dir.path());
        make_writable(ours.dir.path());
    }

    // Wrong password: 401 after the one re-send, the same words as go.
    require_auth(None);
    let (go, ours) = sandboxes(&front.url_ip(), &pki, &|sb| netrc(sb, "wrong"));
    let (go_json, our_json) = run_both(&go, &ours, &args);
    assert_eq!(our_json, go_json);
    assert!(
        our_json.contains(&format!(
            "reading https://127.0.0.1:{port}/example.com/simple/@v/v1.0.0.info: 401 Unauthorized\\n\\tserver response: login required"
        )),
        "{our_json}"
    );
    make_writable(go.dir.path());
    make_writable(ours.dir.path());

    // GOAUTH=off: no credentials at all, still one re-send (go as well).
    let (go, ours) = sandboxes(&front.url_ip(), &pki, &|sb| {
        netrc(sb, "s3cret");
        sb.set("GOAUTH", "off");
    });
    proxy.clear_log();
    let (go_json, our_json) = run_both(&go, &ours, &args);
    assert_eq!(our_json, go_json);
    assert!(our_json.contains("401 Unauthorized"), "{our_json}");
    let log = proxy.log();
    assert!(log.iter().all(|r| r.authorization.is_none()), "{log:?}");
    let info = "/example.com/simple/@v/v1.0.0.info";
    let expected = if check_go { 4 } else { 2 };
    assert_eq!(log.iter().filter(|r| r.path == info).count(), expected);
    make_writable(go.dir.path());
    make_writable(ours.dir.path());

    // Credentials in GOPROXY itself: sent, and redacted in the error.
    for (status, reason) in [(401, "Unauthorized"), (403, "Forbidden")] {
        proxy.set_fault(move |_| Some(Fault::Status(status)));
        let goproxy = format!("https://gopher:hunter2@127.0.0.1:{port}");
        let (go, ours) = sandboxes(&goproxy, &pki, &|_| {});
        proxy.clear_log();
        let (go_json, our_json) = run_both(&go, &ours, &args);
        assert_eq!(our_json, go_json);
        assert!(
            our_json.contains(&format!(
                "reading https://gopher:xxxxx@127.0.0.1:{port}/example.com/simple/@v/v1.0.0.info: {status} {reason}"
            )),
            "{our_json}"
        );
        assert!(!our_json.contains("hunter2"), "{our_json}");
        let sent = basic("gopher", "hunter2");
        assert!(
            proxy
                .log()
                .iter()
                .all(|r| r.authorization.as_deref() == Some(sent.as_str()))
        );
        make_writable(go.dir.path());
        make_writable(ours.dir.path());
    }
}

/// Go's 500 MiB cap on a zip body (`codehost.MaxZipFile`, proxy.go `Zip`:
/// `downloaded zip file too large`), on a body one byte over, streamed
/// without Content-Length and generated as it is sent: the module fails
/// with go's words, the other one is downloaded, nothing of the zip is
/// left in the cache, exit 1, the same cache as go's.
#[test]
fn oversize_zip_stream_fails_like_go() {
    let proxy = ModProxy::start(Fixtures::standard());
    proxy.set_fault(|r| {
        (r.path == "/example.com/simple/@v/v1.0.0.zip").then_some(Fault::Stream((500 << 20) + 1))
    });
    let args = ["example.com/simple@v1.0.0", "example.com/major/v2@v2.1.0"];
    let pki = Pki::new();
    let (go, ours) = sandboxes(&proxy.url(), &pki, &|_| {});
    let (code, text) = our_json(&ours, &args);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("\"Error\": \"example.com/simple@v1.0.0: downloaded zip file too large\""),
        "{text}"
    );
    assert_eq!(text.matches("\"Error\"").count(), 1, "{text}");
    let dir = ours.cache().join("cache/download/example.com/simple/@v");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["list", "v1.0.0.info", "v1.0.0.lock", "v1.0.0.mod"],
        "{names:?}"
    );
    assert!(!ours.cache().join("example.com/simple@v1.0.0").exists());
    // Plain text: module@version and the cause on stderr, then the URL
    // the oversized body came from (go's text has none).
    let plain = ours.ours(&["download", "example.com/simple@v1.0.0"]);
    assert_eq!(plain.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&plain.stderr),
        format!(
            "gomodfetch: example.com/simple@v1.0.0: downloaded zip file too large\n\t(from {}/example.com/simple/@v/v1.0.0.zip)\n",
            proxy.url()
        )
    );
    if go_or_skip() {
        let go_out = go.go(&["mod", "download", "-json", args[0], args[1]]);
        assert_eq!(go_out.status.code(), Some(1));
        assert_eq!(go.normalize(&go_out.stdout), text);
        assert_same_tree(&go.cache(), &ours.cache());
    }
    make_writable(go.dir.path());
    make_writable(ours.dir.path());
}

/// An https GOPROXY URL answered by a plain-HTTP server: net/http's
/// `http: server gave HTTP response to HTTPS client`, with the URL and
/// module@version, the same JSON as go.
#[test]
fn plain_http_server_behind_https_url_reads_as_go() {
    let proxy = ModProxy::start(Fixtures::standard());
    let goproxy = format!("https://127.0.0.1:{}", proxy.addr.port());
    let pki = Pki::new();
    let (go, ours) = sandboxes(&goproxy, &pki, &|_| {});
    let (code, text) = our_json(&ours, &["example.com/simple@v1.0.0"]);
    assert_eq!(code, Some(1));
    assert!(
        text.contains(&format!(
            "\"Error\": \"example.com/simple@v1.0.0: Get \\\"{goproxy}/example.com/simple/@v/v1.0.0.info\\\": http: server gave HTTP response to HTTPS client\""
        )),
        "{text}"
    );
    if go_or_skip() {
        let go_out = go.go(&["mod", "download", "-json", "example.com/simple@v1.0.0"]);
        assert_eq!(go.normalize(&go_out.stdout), text);
    }
    make_writable(go.dir.path());
    make_writable(ours.dir.path());
}

/// Discovery pages (`?go-get=1`) and repository probes are go-command GETs
/// too: .netrc credentials on https, one re-send after a 4xx.
#[test]
fn discovery_sends_netrc_credentials_and_resends_after_4xx() {
    use gomodfetch::codehost::discovery::{DiscoveryClient, HttpDiscovery};
    use gomodfetch::codehost::vcs::Security;
    let pki = Pki::new();
    let proxy = ModProxy::start(Fixtures::default());
    let front = https_front(&proxy, &pki);
    let want = basic("gopher", "s3cret");
    let page = b"<html><head><meta name=\"go-import\" content=\"example.com/private git https://example.com/private.git\"></head></html>".to_vec();
    {
        let want = want.clone();
        proxy.set_fault(move |r| {
            Some(if r.authorization.as_deref() == Some(want.as_str()) {
                Fault::Body(page.clone())
            } else {
                Fault::StatusText(401, "login required\n".into())
            })
        });
    }
    let dir = tempfile::tempdir().unwrap();
    let netrc = dir.path().join("netrc");
    std::fs::write(
        &netrc,
        format!(
            "machine 127.0.0.1:{} login gopher password s3cret\n",
            front.addr.port()
        ),
    )
    .unwrap();
    let trust = gomodfetch::net::tls::TrustOptions {
        ssl_cert_file: Some(pki.write_root(dir.path())),
        ssl_cert_dir: Some(dir.path().display().to_string()),
        ..Default::default()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let get = |netrc: Option<&std::path::Path>| {
        let discovery = HttpDiscovery::new(&trust)
            .unwrap()
            .with_netrc_file(netrc)
            .with_base_override(&front.url_ip());
        rt.block_on(discovery.get("example.com", "/private", Security::SecureOnly))
            .unwrap()
    };
    proxy.clear_log();
    let resp = get(Some(&netrc));
    assert_eq!(resp.status, 200);
    assert!(String::from_utf8_lossy(&resp.body).contains("go-import"));
    let log = proxy.log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].authorization.as_deref(), Some(want.as_str()));
    // Without credentials: 401, asked twice.
    proxy.clear_log();
    let resp = get(None);
    assert_eq!(resp.status, 401);
    let log = proxy.log();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log.iter().all(|r| r.authorization.is_none()));
}

/// `-x` shows a re-sent request as go does: one `# get` line before, one
/// with the final status after.
#[test]
fn x_trace_of_a_resent_4xx_reads_as_go() {
    let proxy = ModProxy::start(Fixtures::standard());
    let pki = Pki::new();
    let front = https_front(&proxy, &pki);
    let (go, ours) = sandboxes(&front.url_ip(), &pki, &|_| {});
    let args = ["-x", "example.com/missing@v1.0.0"];
    let norm = |text: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(text)
            .lines()
            .map(|l| match l.rfind(" (") {
                Some(i) if l.starts_with("# get ") && l.ends_with("s)") => {
                    format!("{} (T)", &l[..i])
                }
                _ => l.replacen("gomodfetch: ", "go: ", 1),
            })
            .collect()
    };
    proxy.clear_log();
    let o = ours.ours(&["download", args[0], args[1]]);
    let info = format!(
        "# get {}/example.com/missing/@v/v1.0.0.info",
        front.url_ip()
    );
    let ours_lines = norm(&o.stderr);
    assert_eq!(
        ours_lines[..2],
        [info.clone(), format!("{info}: 404 Not Found (T)")],
        "{ours_lines:#?}"
    );
    assert_eq!(proxy.requests().len(), 2);
    if go_or_skip() {
        let g = go.go(&["mod", "download", args[0], args[1]]);
        assert_eq!(norm(&g.stderr), ours_lines);
    }
    make_writable(go.dir.path());
    make_writable(ours.dir.path());
}
