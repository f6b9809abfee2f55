//! TLS trust and failure wording against loopback TLS servers whose
//! certificates are generated at test time, compared with the real `go`
//! (`go mod download` with the same SSL_CERT_FILE / SSL_CERT_DIR).

use std::path::Path;
use std::process::Command;

use gomodfetch::net::tls::{self, TlsFailure, TrustOptions};

use crate::support::tls::{Behind, Case, Pki, Server, module_files, start_raw, start_tls};

use crate::support::go_required as require_go;

fn go_available() -> bool {
    let ok = Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || !require_go(),
        "go is not on PATH but GOMODFETCH_REQUIRE_GO=1"
    );
    ok
}

/// Runs `go mod download -json example.com/tlsmod@v1.0.0` against `proxy`
/// with a private cache and the given trust variables; returns go's
/// `Error` field (None on success).
pub fn go_download(proxy: &str, trust: &[(&str, &str)], work: &Path) -> Option<String> {
    let mut cmd = Command::new("go");
    cmd.env_clear()
        .current_dir(work)
        .args(["mod", "download", "-json", "example.com/tlsmod@v1.0.0"])
        .env("PATH", crate_path())
        .env("HOME", work)
        .env("GOPATH", work.join("gopath"))
        .env("GOMODCACHE", work.join("gomodcache"))
        .env("GOENV", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-modcacherw")
        .env("GOPROXY", proxy)
        .env("GOSUMDB", "off")
        .env("GOCACHE", work.join("gocache"));
    for (k, v) in trust {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run go");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("go output: {}", String::from_utf8_lossy(&out.stdout)));
    json.get("Error")
        .and_then(|e| e.as_str())
        .map(str::to_owned)
}

#[allow(
    clippy::disallowed_methods,
    reason = "the oracle needs PATH to find go's tools"
)]
fn crate_path() -> String {
    std::env::var("PATH").unwrap_or_default()
}

/// GETs `url` with gomodfetch's TLS configuration; Ok(status) or the
/// classified failure and Go's words for it.
fn fetch(url: &str, trust: &TrustOptions) -> Result<u16, (Option<TlsFailure>, String)> {
    let config = tls::client_config(trust).expect("client config");
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(config)
        .no_proxy()
        .build()
        .expect("client");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        match client.get(url).send().await {
            Ok(resp) => Ok(resp.status().as_u16()),
            Err(err) => Err((
                tls::classify_error(&err),
                tls::describe_error(&err).unwrap_or_else(|| format!("no TLS failure in: {err:?}")),
            )),
        }
    })
}

struct Setup {
    _dir: tempfile::TempDir,
    work: std::path::PathBuf,
    root_file: std::path::PathBuf,
    server: Server,
}

fn setup(case: Case) -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dir.path().to_path_buf();
    let pki = Pki::new();
    let root_file = pki.write_root(&work);
    let (chain, key) = pki.chain(&case);
    let server = start_tls(chain, key, Behind::Files(module_files()));
    Setup {
        _dir: dir,
        work,
        root_file,
        server,
    }
}

fn info_url(base: &str) -> String {
    format!("{base}/example.com/tlsmod/@v/v1.0.0.info")
}

/// One case: our verdict and Go's words, then the same with real `go`.
fn check_case(case: Case, via_ip: bool, expect: Result<(), (&str, &str)>) {
    let s = setup(case);
    let base = if via_ip {
        s.server.url_ip()
    } else {
        s.server.url_localhost()
    };
    // An empty SSL_CERT_DIR keeps the machine's own certificates (Go's
    // default directories) out of the comparison.
    let empty_dir = s.work.join("empty-cert-dir");
    std::fs::create_dir_all(&empty_dir).unwrap();
    let empty_dir = empty_dir.display().to_string();
    let trust = TrustOptions {
        ssl_cert_file: Some(s.root_file.clone()),
        ssl_cert_dir: Some(empty_dir.clone()),
        ..TrustOptions::default()
    };
    let ours = fetch(&info_url(&base), &trust);
    match (&ours, &expect) {
        (Ok(200), Ok(())) => {}
        (Err((failure, text)), Err((kind, words))) => {
            assert_eq!(failure.as_ref().map(|f| f.kind()), Some(*kind), "{text}");
            assert!(text.contains(words), "ours: {text}\nwanted: {words}");
        }
        _ => panic!("ours: {ours:?}, expected {expect:?}"),
    }
    if !go_available() {
        return;
    }
    let root = s.root_file.display().to_string();
    let go = go_download(
        &base,
        &[("SSL_CERT_FILE", &root), ("SSL_CERT_DIR", &empty_dir)],
        &s.work,
    );
    match (&go, &ours) {
        (None, Ok(_)) => {}
        (Some(go_err), Err((_, text))) => {
            // The clock may tick between the two runs.
            let (go_words, our_words) = (without_now(go_err), without_now(text));
            assert!(go_words.contains(&our_words), "go: {go_err}\nours: {text}");
        }
        _ => panic!("go and gomodfetch disagree: go {go:?}, ours {ours:?}"),
    }
}

/// Replaces the `current time <RFC 3339>` of an expiry message.
fn without_now(text: &str) -> String {
    match text.find("current time ") {
        Some(at) => {
            let start = at + "current time ".len();
            let end = text[start..].find(' ').map_or(text.len(), |e| start + e);
            format!("{}<now>{}", &text[..start], &text[end..])
        }
        None => text.to_owned(),
    }
}

#[test]
fn good_chain_is_trusted_like_go() {
    check_case(Case::Good, false, Ok(()));
    check_case(Case::Good, true, Ok(()));
}

#[test]
fn expired_leaf_reads_as_go() {
    check_case(
        Case::Expired,
        false,
        Err((
            "expired",
            "tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time ",
        )),
    );
}

#[test]
fn not_yet_valid_leaf_reads_as_go() {
    check_case(
        Case::NotYetValid,
        false,
        Err((
            "not_yet_valid",
            "x509: certificate has expired or is not yet valid: current time ",
        )),
    );
}

#[test]
fn wrong_host_reads_as_go() {
    check_case(
        Case::WrongHost,
        false,
        Err((
            "name_mismatch",
            "x509: certificate is valid for other.example.com, not localhost",
        )),
    );
    check_case(
        Case::WrongHost,
        true,
        Err((
            "name_mismatch",
            "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs",
        )),
    );
}

#[test]
fn leaf_only_is_a_missing_intermediate() {
    check_case(
        Case::LeafOnly,
        false,
        Err((
            "missing_intermediate",
            "tls: failed to verify certificate: x509: certificate signed by unknown authority",
        )),
    );
}

#[test]
fn self_signed_leaf_is_unknown_authority() {
    check_case(
        Case::SelfSigned,
        false,
        Err((
            "self_signed",
            "x509: certificate signed by unknown authority",
        )),
    );
}

#[test]
fn expired_intermediate_reads_as_go() {
    // Go's buildChains returns the intermediate's own expiry error.
    check_case(
        Case::ExpiredIntermediate,
        false,
        Err((
            "expired",
            "tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time ",
        )),
    );
}

#[test]
fn untrusted_root_and_ssl_cert_dir() {
    // Trust another CA: the good chain is then unknown, as in Go.
    let s = setup(Case::Good);
    let other = Pki::new();
    let other_dir = s.work.join("other");
    std::fs::create_dir(&other_dir).unwrap();
    let other_file = other.write_root(&other_dir);
    let base = s.server.url_localhost();
    let ours = fetch(
        &info_url(&base),
        &TrustOptions {
            ssl_cert_file: Some(other_file.clone()),
            ..TrustOptions::default()
        },
    );
    let Err((
        Some(TlsFailure::UnknownIssuer {
            issuer, root_sent, ..
        }),
        text,
    )) = &ours
    else {
        panic!("{ours:?}");
    };
    assert!(issuer.contains("gomodfetch test root"), "{issuer}");
    assert!(!root_sent);
    assert_eq!(
        text,
        "tls: failed to verify certificate: x509: certificate signed by unknown authority"
    );

    // SSL_CERT_DIR: every file of each colon-separated directory.
    let good_dir = s.work.join("certs");
    std::fs::create_dir(&good_dir).unwrap();
    std::fs::copy(&s.root_file, good_dir.join("anything.txt")).unwrap();
    std::fs::write(good_dir.join("junk"), b"not a certificate").unwrap();
    let dirs = format!("{}:{}", other_dir.display(), good_dir.display());
    let ours_dir = fetch(
        &info_url(&base),
        &TrustOptions {
            ssl_cert_dir: Some(dirs.clone()),
            ..TrustOptions::default()
        },
    );
    assert_eq!(ours_dir.as_ref().ok(), Some(&200), "{ours_dir:?}");

    if !go_available() {
        return;
    }
    let go = go_download(
        &base,
        &[("SSL_CERT_FILE", &other_file.display().to_string())],
        &s.work,
    );
    assert!(
        go.as_deref().is_some_and(|e| e.contains(text.as_str())),
        "{go:?}"
    );
    let go = go_download(&base, &[("SSL_CERT_DIR", &dirs)], &s.work);
    assert_eq!(go, None);
}

#[test]
fn unreadable_ssl_cert_file_still_loads_default_dirs_like_go() {
    // Go: SSL_CERT_FILE replaces the file list only; SSL_CERT_DIR the dirs.
    let s = setup(Case::Good);
    let dir = s.work.join("d");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(&s.root_file, dir.join("root.pem")).unwrap();
    let trust = TrustOptions {
        ssl_cert_file: Some(s.work.join("missing.pem")),
        ssl_cert_dir: Some(dir.display().to_string()),
        ..TrustOptions::default()
    };
    let base = s.server.url_localhost();
    assert_eq!(fetch(&info_url(&base), &trust).ok(), Some(200));
    // An empty file is read (and stops the file list) but adds nothing.
    let empty = s.work.join("empty.pem");
    std::fs::write(&empty, b"").unwrap();
    let empty_dir = s.work.join("none");
    std::fs::create_dir(&empty_dir).unwrap();
    let trust = TrustOptions {
        ssl_cert_file: Some(empty.clone()),
        ssl_cert_dir: Some(empty_dir.display().to_string()),
        ..TrustOptions::default()
    };
    let ours = fetch(&info_url(&base), &trust);
    let Err((Some(failure), text)) = &ours else {
        panic!("{ours:?}");
    };
    assert_eq!(failure.kind(), "unknown_issuer", "{text}");
    if go_available() {
        let go = go_download(
            &base,
            &[
                ("SSL_CERT_FILE", &empty.display().to_string()),
                ("SSL_CERT_DIR", &empty_dir.display().to_string()),
            ],
            &s.work,
        );
        assert!(
            go.as_deref().is_some_and(|e| e.contains(text.as_str())),
            "{go:?}"
        );
    }
}

#[test]
fn garbage_instead_of_tls_is_not_tls() {
    let server = start_raw(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    let ours = fetch(
        &format!("{}/x", server.url_localhost()),
        &TrustOptions::default(),
    );
    let Err((Some(failure), _)) = &ours else {
        panic!("{ours:?}");
    };
    assert_eq!(failure.kind(), "not_tls");
}

#[test]
fn directory_as_ssl_cert_file_is_gos_system_roots_error() {
    let s = setup(Case::Good);
    let as_dir = s.work.join("not-a-file");
    let empty = s.work.join("empty");
    std::fs::create_dir(&as_dir).unwrap();
    std::fs::create_dir(&empty).unwrap();
    let trust = TrustOptions {
        ssl_cert_file: Some(as_dir.clone()),
        ssl_cert_dir: Some(empty.display().to_string()),
        ..TrustOptions::default()
    };
    let base = s.server.url_localhost();
    let ours = fetch(&info_url(&base), &trust);
    let Err((Some(failure), text)) = &ours else {
        panic!("{ours:?}");
    };
    assert_eq!(failure.kind(), "no_roots");
    assert_eq!(
        text,
        &format!(
            "tls: failed to verify certificate: x509: failed to load system roots and no roots provided; read {}: is a directory",
            as_dir.display()
        )
    );
    if go_available() {
        let go = go_download(
            &base,
            &[
                ("SSL_CERT_FILE", &as_dir.display().to_string()),
                ("SSL_CERT_DIR", &empty.display().to_string()),
            ],
            &s.work,
        );
        assert!(
            go.as_deref().is_some_and(|e| e.contains(text.as_str())),
            "{go:?}"
        );
    }
}

/// Runs `gomodfetch download -json example.com/tlsmod@v1.0.0` with the same
/// environment `go_download` gives go; returns its `Error` (None on success).
fn ours_download(proxy: &str, trust: &[(&str, &str)], work: &Path) -> Option<String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gomodfetch"));
    cmd.env_clear()
        .current_dir(work)
        .args(["download", "--json", "example.com/tlsmod@v1.0.0"])
        .env("HOME", work)
        .env("GOPATH", work.join("ours-gopath"))
        .env("GOMODCACHE", work.join("ours-gomodcache"))
        .env("GOENV", "off")
        .env("GOFLAGS", "-modcacherw")
        .env("GOPROXY", proxy)
        .env("GOSUMDB", "off")
        .env("GOMODFETCH_TEST_NO_RETRY_DELAY", "1");
    for (k, v) in trust {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run gomodfetch");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "gomodfetch output: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let error = json
        .get("Error")
        .and_then(|e| e.as_str())
        .map(str::to_owned);
    assert_eq!(
        out.status.success(),
        error.is_none(),
        "exit status vs Error: {error:?}"
    );
    error
}

/// `gomodfetch download` succeeds or fails exactly where `go mod download`
/// does, for every certificate case, and its error carries Go's words.
#[test]
fn download_fails_exactly_where_go_does() {
    let cases = [
        (Case::Good, None),
        (
            Case::Expired,
            Some("x509: certificate has expired or is not yet valid: current time "),
        ),
        (
            Case::NotYetValid,
            Some("x509: certificate has expired or is not yet valid: current time "),
        ),
        (
            Case::WrongHost,
            Some("x509: certificate is valid for other.example.com, not localhost"),
        ),
        (
            Case::LeafOnly,
            Some("x509: certificate signed by unknown authority"),
        ),
        (
            Case::SelfSigned,
            Some("x509: certificate signed by unknown authority"),
        ),
        (
            Case::ExpiredIntermediate,
            Some("x509: certificate has expired or is not yet valid: "),
        ),
    ];
    let check_go = go_available();
    for (case, words) in cases {
        let s = setup(case);
        let empty = s.work.join("empty-cert-dir");
        std::fs::create_dir_all(&empty).unwrap();
        let root = s.root_file.display().to_string();
        let empty = empty.display().to_string();
        // Once through SSL_CERT_FILE, once through SSL_CERT_DIR.
        let root_dir = s.work.join("root-dir");
        std::fs::create_dir_all(&root_dir).unwrap();
        std::fs::copy(&s.root_file, root_dir.join("ca.crt")).unwrap();
        let root_dir = root_dir.display().to_string();
        let trusts: [Vec<(&str, &str)>; 2] = [
            vec![("SSL_CERT_FILE", &root), ("SSL_CERT_DIR", &empty)],
            vec![
                ("SSL_CERT_FILE", "/nonexistent/bundle.pem"),
                ("SSL_CERT_DIR", &root_dir),
            ],
        ];
        for trust in trusts {
            let base = s.server.url_localhost();
            let ours = ours_download(&base, &trust, &s.work);
            match (words, &ours) {
                (None, None) => {}
                (Some(words), Some(err)) => {
                    assert!(err.contains(words), "ours: {err}\nwanted: {words}");
                    assert!(err.contains("tls: failed to verify certificate: "), "{err}");
                    assert!(err.contains("example.com/tlsmod@v1.0.0"), "{err}");
                }
                _ => panic!("ours: {ours:?}, expected {words:?}"),
            }
            if check_go {
                let go = go_download(&base, &trust, &s.work);
                match (&go, &ours) {
                    (None, None) => {}
                    (Some(go_err), Some(our_err)) => {
                        let (g, o) = (without_now(go_err), without_now(our_err));
                        assert_eq!(g, o, "go and gomodfetch word it differently");
                    }
                    _ => panic!("go: {go:?}\nours: {ours:?}"),
                }
            }
        }
    }
}

/// A server that answers garbage instead of TLS: the same words as go.
/// (A plain-HTTP answer gives go's `http: server gave HTTP response to
/// HTTPS client`: download_gaps::plain_http_server_behind_https_url_reads_as_go.)
#[test]
fn garbage_instead_of_tls_reads_as_go() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_raw(b"\x00\x01garbage garbage garbage\n");
    let base = server.url_localhost();
    let ours = ours_download(&base, &[], dir.path());
    assert!(
        ours.as_deref()
            .is_some_and(|e| e.ends_with(": tls: first record does not look like a TLS handshake")),
        "{ours:?}"
    );
    if go_available() {
        assert_eq!(go_download(&base, &[], dir.path()), ours);
    }
}
