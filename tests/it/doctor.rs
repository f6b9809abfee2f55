//! `doctor` against loopback servers: each TLS case of issue 6 is named by
//! its own finding, the good chain is the only usable one, and bad input
//! (broken trust files, garbage, a 407 proxy) is a finding, never a crash.

use std::path::Path;

use gomodfetch::doctor::{self, Config, ProbeOptions, Report, Severity};
use gomodfetch::net::tls::TrustOptions;

use crate::support::tls::{
    Behind, Ca, Case, Pki, module_files, start_connect_proxy, start_raw, start_tls,
};

fn diagnose(config: &Config, target: Option<&str>) -> Report {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let options = ProbeOptions {
        timeout: std::time::Duration::from_secs(5),
    };
    rt.block_on(doctor::diagnose(config, target, &options))
}

/// Trust only `root_file` (an empty SSL_CERT_DIR keeps the machine's own
/// certificates out).
fn trust(root_file: &Path, work: &Path) -> TrustOptions {
    let empty = work.join("empty-dir");
    std::fs::create_dir_all(&empty).unwrap();
    TrustOptions {
        ssl_cert_file: Some(root_file.to_path_buf()),
        ssl_cert_dir: Some(empty.display().to_string()),
        extra_ca_files: Vec::new(),
    }
}

fn config(goproxy: &str, trust: TrustOptions) -> Config {
    Config {
        goproxy: goproxy.to_owned(),
        gosumdb: "off".to_owned(),
        trust,
        ..Config::default()
    }
}

fn codes(report: &Report) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .map(|f| f.code.clone())
        .collect()
}

/// Runs doctor against a server presenting `case`; returns the report.
fn case_report(case: Case) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let root = pki.write_root(dir.path());
    let (chain, key) = pki.chain(&case);
    let server = start_tls(chain, key, Behind::Files(module_files()));
    diagnose(
        &config(&server.url_localhost(), trust(&root, dir.path())),
        Some("example.com/tlsmod"),
    )
}

#[test]
fn good_chain_is_the_only_usable_case() {
    let report = case_report(Case::Good);
    assert!(report.ok, "{:#?}", report.findings);
    let proxy = &report.endpoints[0];
    assert_eq!(proxy.chain.len(), 2);
    assert!(
        proxy
            .anchor
            .as_ref()
            .is_some_and(|a| a.source.contains("SSL_CERT_FILE"))
    );
    assert!(proxy.chain[0].dns_names.contains(&"localhost".to_owned()));
    assert_eq!(proxy.chain[0].sha256.len(), 95);
    // The module is found through the proxy.
    assert!(
        report
            .endpoints
            .iter()
            .any(|e| e.role.starts_with("TARGET") && e.http_status == Some(200))
    );
}

#[test]
fn each_broken_chain_is_named() {
    for (case, code, words) in [
        (Case::Expired, "tls.expired", "certificate expired"),
        (Case::NotYetValid, "tls.not_yet_valid", "not yet valid"),
        (
            Case::WrongHost,
            "tls.name_mismatch",
            "valid for other.example.com, not `localhost`",
        ),
        (
            Case::LeafOnly,
            "tls.missing_intermediate",
            "missing intermediate",
        ),
        (Case::SelfSigned, "tls.self_signed", "self-signed"),
        (
            Case::ExpiredIntermediate,
            "tls.expired",
            "gomodfetch test old intermediate",
        ),
    ] {
        let report = case_report(case);
        assert!(!report.ok, "{code}");
        let finding = report
            .findings
            .iter()
            .find(|f| f.code == code)
            .unwrap_or_else(|| panic!("no {code} in {:#?}", report.findings));
        assert!(
            finding.summary.contains(words),
            "{code}: {}",
            finding.summary
        );
        assert_eq!(finding.severity, Severity::Error);
        assert!(!finding.fix.is_empty(), "{code} has no fix");
        // The chain is shown even though verification failed.
        assert!(!report.endpoints[0].chain.is_empty(), "{code}");
    }
}

#[test]
fn untrusted_private_ca_says_how_to_trust_it() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let other = Pki::new();
    let other_root = other.write_root(dir.path());
    let (chain, key) = pki.chain(&Case::Good);
    let server = start_tls(chain, key, Behind::Files(module_files()));
    let report = diagnose(
        &config(&server.url_localhost(), trust(&other_root, dir.path())),
        None,
    );
    assert!(!report.ok);
    let finding = report
        .findings
        .iter()
        .find(|f| f.code == "tls.unknown_issuer")
        .expect("unknown issuer");
    assert!(
        finding.summary.contains("gomodfetch test root"),
        "{}",
        finding.summary
    );
    let fix = finding.fix.join("\n");
    assert!(
        fix.contains("SSL_CERT_FILE") && fix.contains("SSL_CERT_DIR") && fix.contains("--cacert"),
        "{fix}"
    );
}

#[test]
fn intercepting_proxy_is_detected_and_trusted() {
    // A CONNECT proxy that terminates every tunnel with its own CA, like a
    // corporate TLS-inspecting egress proxy.
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::root("test egress inspection CA");
    let root_file = dir.path().join("egress-ca.pem");
    std::fs::write(&root_file, &ca.cert.pem).unwrap();
    let leaf = ca.leaf_named(
        "test-egress-proxy",
        &["goproxy.example.com", "sum.example.net"],
    );
    let tls = start_tls(
        vec![leaf.der, ca.cert.der.clone()],
        leaf.key,
        Behind::Files(module_files()),
    );
    let proxy = start_connect_proxy(tls.addr);
    let mut cfg = config("https://goproxy.example.com", trust(&root_file, dir.path()));
    cfg.gosumdb = "sum.example.net".to_owned();
    cfg.https_proxy = Some(format!("http://{}", proxy.addr));
    let report = diagnose(&cfg, None);
    assert!(report.ok, "{:#?}", report.findings);
    let finding = report
        .findings
        .iter()
        .find(|f| f.code == "tls.interception")
        .unwrap_or_else(|| panic!("{:#?}", report.findings));
    assert_eq!(finding.severity, Severity::Info);
    assert!(
        finding.summary.contains("is trusted"),
        "{}",
        finding.summary
    );
    assert!(
        finding
            .details
            .iter()
            .any(|d| d.contains("unrelated hosts")),
        "{:?}",
        finding.details
    );
    assert!(report.endpoints.iter().all(|e| e.via_proxy.is_some()));

    // Without the CA: the same interception, now a failure with the fix.
    let other = Pki::new();
    let other_root = other.write_root(&dir.path().join(""));
    cfg.trust = trust(&other_root, dir.path());
    let report = diagnose(&cfg, None);
    assert!(!report.ok);
    let finding = report
        .findings
        .iter()
        .find(|f| f.code == "tls.interception")
        .expect("interception");
    assert_eq!(finding.severity, Severity::Error);
    assert!(finding.summary.contains("not trusted"));
}

#[test]
fn a_shared_public_style_ca_is_not_interception() {
    // Two unrelated hosts under one ordinary CA (intermediate sent, root
    // not sent, leaf named after a host): no interception claimed.
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let root = pki.write_root(dir.path());
    let leaf = pki.intermediate.leaf_named(
        "goproxy.example.com",
        &["goproxy.example.com", "sum.example.net"],
    );
    let tls = start_tls(
        vec![leaf.der, pki.intermediate.cert.der.clone()],
        leaf.key,
        Behind::Files(module_files()),
    );
    let proxy = start_connect_proxy(tls.addr);
    let mut cfg = config("https://goproxy.example.com", trust(&root, dir.path()));
    cfg.gosumdb = "sum.example.net".to_owned();
    cfg.https_proxy = Some(format!("http://{}", proxy.addr));
    let report = diagnose(&cfg, None);
    assert!(report.ok, "{:#?}", report.findings);
    assert!(report.endpoints.len() >= 2);
    assert!(
        !report.findings.iter().any(|f| f.code == "tls.interception"),
        "{:#?}",
        report.findings
    );
}

#[test]
fn proxy_407_dns_refused_and_garbage_are_findings() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let root = pki.write_root(dir.path());

    let auth = start_raw(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n");
    let mut cfg = config("https://goproxy.example.com", trust(&root, dir.path()));
    cfg.https_proxy = Some(format!("http://{}", auth.addr));
    let report = diagnose(&cfg, None);
    assert!(
        codes(&report).contains(&"proxy.auth_required".to_owned()),
        "{:#?}",
        report.findings
    );
    assert!(!report.ok);

    let report = diagnose(
        &config("https://no-such-host.invalid", trust(&root, dir.path())),
        None,
    );
    assert!(
        codes(&report).contains(&"net.dns".to_owned()),
        "{:#?}",
        report.findings
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let report = diagnose(
        &config(
            &format!("https://127.0.0.1:{port}"),
            trust(&root, dir.path()),
        ),
        None,
    );
    assert!(
        codes(&report).contains(&"net.refused".to_owned()),
        "{:#?}",
        report.findings
    );

    let garbage = start_raw(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    let report = diagnose(
        &config(&garbage.url_localhost(), trust(&root, dir.path())),
        None,
    );
    let finding = report
        .findings
        .iter()
        .find(|f| f.code == "tls.not_tls")
        .expect("not tls");
    assert!(
        finding.details.iter().any(|d| d.contains("plain HTTP")),
        "{finding:?}"
    );

    let noise = start_raw(b"\x00\x01garbage garbage garbage\n");
    let report = diagnose(
        &config(&noise.url_localhost(), trust(&root, dir.path())),
        None,
    );
    assert!(!report.ok);
    assert!(
        codes(&report).iter().any(|c| c.starts_with("tls.")),
        "{:#?}",
        report.findings
    );
}

#[test]
fn plain_http_proxy_works_without_goinsecure_and_missing_sumdb_fails() {
    let dir = tempfile::tempdir().unwrap();
    let plain = start_raw(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    let mut cfg = config(
        &format!("http://127.0.0.1:{}", plain.addr.port()),
        trust(&dir.path().join("none.pem"), dir.path()),
    );
    let report = diagnose(&cfg, None);
    assert!(report.ok, "{:#?}", report.findings);
    let finding = report
        .findings
        .iter()
        .find(|f| f.code == "goproxy.plain_http")
        .expect("plain http");
    assert_eq!(finding.severity, Severity::Warning);
    assert!(finding.summary.contains("without GOINSECURE"));

    // A checksum database URL where nothing answers /latest.
    let pki = Pki::new();
    let root = pki.write_root(dir.path());
    let (chain, key) = pki.chain(&Case::Good);
    let tls = start_tls(chain, key, Behind::Files(Default::default()));
    cfg.trust = trust(&root, dir.path());
    cfg.gosumdb = format!("sum.example.com+00000000+AAAA {}", tls.url_localhost());
    let report = diagnose(&cfg, None);
    assert!(!report.ok);
    assert!(
        codes(&report).contains(&"sumdb.not_found".to_owned()),
        "{:#?}",
        report.findings
    );
}

#[test]
fn bad_trust_files_are_findings() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let (chain, key) = pki.chain(&Case::Good);
    let server = start_tls(chain, key, Behind::Files(module_files()));
    let url = server.url_localhost();

    // A directory as SSL_CERT_FILE, and no directory: nothing loads.
    let as_dir = dir.path().join("a-directory");
    std::fs::create_dir(&as_dir).unwrap();
    let empty_dir = dir.path().join("empty");
    std::fs::create_dir(&empty_dir).unwrap();
    let report = diagnose(
        &config(
            &url,
            TrustOptions {
                ssl_cert_file: Some(as_dir.clone()),
                ssl_cert_dir: Some(empty_dir.display().to_string()),
                extra_ca_files: Vec::new(),
            },
        ),
        None,
    );
    let c = codes(&report);
    assert!(
        c.contains(&"trust.unreadable".to_owned()) && c.contains(&"trust.none".to_owned()),
        "{c:?}"
    );
    assert!(c.contains(&"tls.no_roots".to_owned()), "{c:?}");

    // An empty SSL_CERT_FILE; a broken PEM; a directory of junk with the
    // root among it (usable).
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, b"").unwrap();
    let certs = dir.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    std::fs::write(certs.join("README"), b"these are my certificates\n").unwrap();
    std::fs::write(
        certs.join("broken.pem"),
        b"-----BEGIN CERTIFICATE-----\nnot base64 at all!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    std::fs::write(
        certs.join("truncated.pem"),
        b"-----BEGIN CERTIFICATE-----\nMIIB\n",
    )
    .unwrap();
    std::fs::write(
        certs.join("bad-der.pem"),
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    pki.write_root(&certs);
    let report = diagnose(
        &config(
            &url,
            TrustOptions {
                ssl_cert_file: Some(empty),
                ssl_cert_dir: Some(certs.display().to_string()),
                extra_ca_files: Vec::new(),
            },
        ),
        None,
    );
    assert!(report.ok, "{:#?}", report.findings);
    let c = codes(&report);
    assert!(c.contains(&"trust.empty".to_owned()), "{c:?}");
    assert!(c.contains(&"trust.broken_pem".to_owned()), "{c:?}");
    assert!(
        report.findings.iter().any(|f| f.code == "trust.junk"),
        "{:#?}",
        report.findings
    );

    // An unreadable --cacert is a finding too.
    let report = diagnose(
        &config(
            &url,
            TrustOptions {
                extra_ca_files: vec![dir.path().join("nope.pem")],
                ..trust(&dir.path().join("nope.pem"), dir.path())
            },
        ),
        None,
    );
    assert!(codes(&report).contains(&"trust.cacert".to_owned()));
}

/// Runs the `gomodfetch doctor` binary with only `vars` in its environment.
fn doctor_cli(vars: &[(&str, &str)], args: &[&str], home: &Path) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_gomodfetch"));
    cmd.env_clear()
        .arg("doctor")
        .args(args)
        .env("HOME", home)
        .env("GOENV", "off");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run gomodfetch doctor");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_exit_status_json_and_cacert() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let pki = Pki::new();
    let root = pki.write_root(home);
    let empty = home.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (chain, key) = pki.chain(&Case::Good);
    let good = start_tls(chain, key, Behind::Files(module_files()));
    let good_url = good.url_localhost();
    let root_s = root.display().to_string();
    let empty_s = empty.display().to_string();
    let base = [
        ("GOPROXY", good_url.as_str()),
        ("GOSUMDB", "off"),
        ("SSL_CERT_DIR", empty_s.as_str()),
    ];

    // Trusted: exit 0, text names the chain.
    let mut vars = base.to_vec();
    vars.push(("SSL_CERT_FILE", root_s.as_str()));
    let (code, out, err) = doctor_cli(&vars, &["example.com/tlsmod"], home);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("Certificates presented") && out.contains("SHA-256"),
        "{out}"
    );

    // Not trusted: exit 1; the same findings as JSON.
    let other = home.join("other");
    std::fs::create_dir(&other).unwrap();
    let other_root = Pki::new().write_root(&other).display().to_string();
    let mut vars = base.to_vec();
    vars.push(("SSL_CERT_FILE", other_root.as_str()));
    let (code, out, _) = doctor_cli(&vars, &["--json"], home);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(json["ok"], false);
    let findings = json["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["code"] == "tls.unknown_issuer" && f["severity"] == "error"),
        "{out}"
    );
    assert!(
        json["endpoints"][0]["chain"][0]["sha256"].is_string(),
        "{out}"
    );

    // --cacert fixes it for one run.
    let (code, out, _) = doctor_cli(&vars, &["--cacert", &root_s], home);
    assert_eq!(code, 0, "{out}");

    // A bare word in GOPROXY is named, and fails.
    let proxy_list = format!("{good_url},insecure");
    let mut vars = base.to_vec();
    vars[0] = ("GOPROXY", proxy_list.as_str());
    vars.push(("SSL_CERT_FILE", root_s.as_str()));
    let (code, out, _) = doctor_cli(&vars, &[], home);
    assert_eq!(code, 1);
    assert!(
        out.contains("invalid proxy URL missing scheme: insecure"),
        "{out}"
    );
}

#[allow(clippy::disallowed_methods, reason = "test switch, not configuration")]
fn live() -> bool {
    std::env::var("GOMODFETCH_LIVE").is_ok_and(|v| v == "1")
}

/// Live (GOMODFETCH_LIVE=1): through the environment's own GOPROXY and
/// trust settings, download a real module (the first requirement of the
/// local Go toolchain's own go.mod, so no host is named here) and check that
/// doctor sees the TLS interception and that it is trusted.
#[test]
fn live_download_and_interception() {
    if !live() {
        return;
    }
    let goroot = std::process::Command::new("go")
        .args(["env", "GOROOT"])
        .output()
        .expect("go env");
    let goroot = String::from_utf8_lossy(&goroot.stdout).trim().to_owned();
    let gomod =
        std::fs::read_to_string(Path::new(&goroot).join("src/go.mod")).expect("GOROOT/src/go.mod");
    let module = gomod
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.starts_with("module")
                && !l.starts_with("go ")
                && !l.starts_with("require (")
                && !l.starts_with(')')
        })
        .find_map(|l| {
            let l = l.trim_start_matches("require ");
            let mut parts = l.split_whitespace();
            Some(format!("{}@{}", parts.next()?, parts.next()?))
        })
        .filter(|m| m.contains('.'))
        .expect("a requirement in GOROOT/src/go.mod");
    let dir = tempfile::tempdir().unwrap();
    // Inherit the real environment (GOPROXY, SSL_CERT_FILE, proxies); only
    // the caches are private.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gomodfetch"))
        .args(["download", "--json", &module])
        .env("GOMODCACHE", dir.path().join("mod"))
        .env("GOPATH", dir.path().join("gopath"))
        .env("GOFLAGS", "-modcacherw")
        .output()
        .expect("run download");
    assert!(
        out.status.success(),
        "{module}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gomodfetch"))
        .args(["doctor", "--json", &module])
        .output()
        .expect("run doctor");
    let text = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert!(out.status.success(), "{text}");
    let interception = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "tls.interception")
        .unwrap_or_else(|| panic!("no interception found: {text}"));
    assert_eq!(interception["severity"], "info", "{text}");
    assert!(
        interception["summary"]
            .as_str()
            .unwrap()
            .contains("is trusted"),
        "{text}"
    );
}
