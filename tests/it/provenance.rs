//! Issue 4's bad inputs, one table: a zip for another module, a zip that
//! breaks the zip rules, HTML instead of a zip, a `.info` for another
//! version, a truncated body, a 500 storm, a redirect loop, a malformed
//! GOPROXY, a malformed module path, a go.sum checksum mismatch (the
//! oversized zip is `download_gaps::oversize_zip_stream_fails_like_go`).
//! For each: exit 1; the plain-text error names module@version, the
//! redacted URL of the response whose bytes failed and the cause (Go's
//! text, then `\t(<module@version> from <url>)` for what Go's text lacks,
//! see `FetchError::describe`); `--json`'s `Error` is go's exactly; the
//! bad module leaves nothing of its zip in the cache (the same tree as
//! go's), and the other module of the same run completes.

use std::sync::Arc;

use crate::support::modproxy::{Fault, Fixtures, ModProxy, Request, build_zip};
use crate::support::oracle::{Sandbox, assert_same_tree, go_or_skip, make_writable};
use crate::support::tls::{Behind, Case as TlsCase, Pki, start_tls};

type FaultFn = dyn Fn(&Request) -> Option<Fault> + Send + Sync;

const GOOD: &str = "example.com/major/v2@v2.1.0";
const BAD: &str = "example.com/simple@v1.0.0";

struct Case {
    name: &'static str,
    /// The failing argument.
    arg: &'static str,
    fixtures: fn(&mut Fixtures),
    fault: Option<Arc<FaultFn>>,
    /// The GOPROXY value from the proxy's base URL (as typed, credentials
    /// included) .
    goproxy: fn(&str) -> String,
    /// Served over https with `user:secret@` in GOPROXY.
    https: bool,
    /// Go's cause, in both outputs.
    cause: &'static str,
    /// What the plain output must show as the place: appended to the
    /// redacted base URL (`Some("/x")`), or a whole string (`Whole`).
    place: Place,
    /// A go.sum in the working directory (inside a module).
    go_sum: Option<&'static str>,
    /// Fails at extraction, after go has committed the zip (go keeps it).
    unzip: bool,
}

impl Case {
    /// A bad GOPROXY fails every module, the good one too.
    fn all_fail(&self) -> bool {
        matches!(self.place, Place::Whole(_))
    }
}

enum Place {
    Under(&'static str),
    Whole(&'static str),
    /// No request was made (module path checked first).
    Nowhere,
}

fn none(_: &mut Fixtures) {}

fn set_zip(f: &mut Fixtures, zip: Vec<u8>) {
    f.modules
        .get_mut("example.com/simple")
        .unwrap()
        .get_mut("v1.0.0")
        .unwrap()
        .zip = zip;
}

fn on(suffix: &'static str, fault: Fault) -> Option<Arc<FaultFn>> {
    Some(Arc::new(move |r: &Request| {
        (r.path.starts_with("/example.com/simple/") && r.path.ends_with(suffix))
            .then(|| fault.clone())
    }))
}

fn cases() -> Vec<Case> {
    let same = |u: &str| u.to_string();
    vec![
        Case {
            name: "zip for another module",
            arg: BAD,
            fixtures: |f| {
                let zip = build_zip(
                    "example.com/other",
                    "v1.0.0",
                    &[("x.go".into(), b"package x\n".to_vec())],
                );
                set_zip(f, zip);
            },
            fault: None,
            goproxy: same,
            https: false,
            cause: "zip for example.com/simple@v1.0.0 has unexpected file example.com/other@v1.0.0/x.go",
            place: Place::Under("/example.com/simple/@v/v1.0.0.zip"),
            go_sum: None,
            unzip: false,
        },
        Case {
            name: "zip breaking the zip rules (two files differing in case)",
            arg: BAD,
            fixtures: |f| {
                let zip = build_zip(
                    "example.com/simple",
                    "v1.0.0",
                    &[
                        ("go.mod".into(), b"module example.com/simple\n".to_vec()),
                        ("a.go".into(), b"package simple\n".to_vec()),
                        ("A.go".into(), b"package simple\n".to_vec()),
                    ],
                );
                set_zip(f, zip);
            },
            fault: None,
            goproxy: same,
            https: false,
            cause: "case-insensitive file name collision",
            place: Place::Under("/example.com/simple/@v/v1.0.0.zip"),
            go_sum: None,
            unzip: true,
        },
        Case {
            name: "HTML instead of a zip, over https with credentials",
            arg: BAD,
            fixtures: none,
            fault: on(
                ".zip",
                Fault::Body(b"<html><body>proxy login</body></html>".to_vec()),
            ),
            goproxy: same,
            https: true,
            cause: "zip: not a valid zip file",
            place: Place::Under("/example.com/simple/@v/v1.0.0.zip"),
            go_sum: None,
            unzip: false,
        },
        Case {
            name: ".info for another version, over https with credentials",
            arg: BAD,
            fixtures: none,
            fault: on(".info", Fault::Body(br#"{"Version":"v1.0.1"}"#.to_vec())),
            goproxy: same,
            https: true,
            cause: "proxy returned info for version v1.0.1 instead of requested version",
            place: Place::Under("/example.com/simple/@v/v1.0.0.info"),
            go_sum: None,
            unzip: false,
        },
        Case {
            name: "truncated zip body",
            arg: BAD,
            fixtures: none,
            fault: on(".zip", Fault::Truncate(10)),
            goproxy: same,
            https: false,
            // The fault breaks the connection before the answer's head
            // reaches the client: net/http's `EOF`.
            cause: "v1.0.0.zip\": EOF",
            place: Place::Under("/example.com/simple/@v/v1.0.0.zip"),
            go_sum: None,
            unzip: false,
        },
        Case {
            name: "zip body cut short mid-way",
            arg: BAD,
            fixtures: none,
            fault: on(".zip", Fault::Cut(20)),
            goproxy: same,
            https: false,
            cause: "unexpected EOF",
            place: Place::Under("/example.com/simple/@v/v1.0.0.zip"),
            go_sum: None,
            unzip: false,
        },
        Case {
            name: "500 storm",
            arg: BAD,
            fixtures: none,
            fault: on("", Fault::Status(500)),
            goproxy: same,
            https: false,
            cause: "500 Internal Server Error",
            place: Place::Under("/example.com/simple/@v/v1.0.0.info"),
            go_sum: None,
            unzip: false,
        },
        Case {
            name: "redirect loop",
            arg: BAD,
            fixtures: none,
            fault: Some(Arc::new(|r: &Request| {
                r.path
                    .starts_with("/example.com/simple/")
                    .then(|| Fault::Redirect(r.raw_path.clone()))
            })),
            goproxy: same,
            https: false,
            cause: "stopped after 10 redirects",
            place: Place::Under("/example.com/simple/@v/v1.0.0.info"),
            go_sum: None,
            unzip: false,
        },
        Case {
            name: "malformed GOPROXY with credentials",
            arg: BAD,
            fixtures: none,
            fault: None,
            goproxy: |_| "ftp://user:secret@proxy.example.com/p".to_string(),
            https: false,
            cause: "invalid proxy URL scheme (must be https, http, file)",
            place: Place::Whole("ftp://user:xxxxx@proxy.example.com/p"),
            go_sum: None,
            unzip: false,
        },
        Case {
            name: "malformed module path",
            arg: "example.com/a b@v1.0.0",
            fixtures: none,
            fault: None,
            goproxy: same,
            https: false,
            cause: "malformed module path \"example.com/a b\"",
            place: Place::Nowhere,
            go_sum: None,
            unzip: false,
        },
        Case {
            name: "zip not matching go.sum",
            arg: BAD,
            fixtures: none,
            fault: None,
            goproxy: same,
            https: false,
            cause: "verifying example.com/simple@v1.0.0: checksum mismatch",
            place: Place::Under("/example.com/simple/@v/v1.0.0.zip"),
            go_sum: Some(
                "example.com/simple v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            ),
            unzip: false,
        },
    ]
}

/// The `Error` of the object for `path` in `--json` output.
fn json_error(text: &str, path: &str) -> Option<String> {
    let de = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
    for v in de {
        let v = v.unwrap();
        if v["Path"] == path {
            return v["Error"].as_str().map(str::to_string);
        }
    }
    None
}

/// The bad module's download directory: nothing of the zip may be left.
fn assert_no_zip(sb: &Sandbox, name: &str) {
    let dir = sb.cache().join("cache/download/example.com/simple/@v");
    let names: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(d) => d
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    assert!(
        names
            .iter()
            .all(|n| !n.contains(".zip") && !n.ends_with(".tmp") && !n.ends_with(".partial")),
        "case {name}: {names:?}"
    );
    assert!(
        !sb.cache().join("example.com/simple@v1.0.0").exists(),
        "case {name}: extracted"
    );
}

fn sandbox(goproxy: &str, pki: &Pki, case: &Case) -> Sandbox {
    let mut sb = Sandbox::new(goproxy);
    let root = pki.write_root(sb.dir.path());
    let empty = sb.dir.path().join("empty-cert-dir");
    std::fs::create_dir_all(&empty).unwrap();
    sb.set("SSL_CERT_FILE", &root.display().to_string())
        .set("SSL_CERT_DIR", &empty.display().to_string());
    if let Some(sum) = case.go_sum {
        let home = sb.dir.path().join("home");
        std::fs::write(home.join("go.mod"), "module example.com/main\n\ngo 1.21\n").unwrap();
        std::fs::write(home.join("go.sum"), sum).unwrap();
    }
    sb
}

#[test]
fn bad_inputs_name_module_url_and_cause() {
    let pki = Pki::new();
    let mut failures = Vec::new();
    for case in cases() {
        let mut fixtures = Fixtures::standard();
        (case.fixtures)(&mut fixtures);
        let proxy = ModProxy::start(fixtures);
        if let Some(f) = &case.fault {
            let f = f.clone();
            proxy.set_fault(move |r| f(r));
        }
        let front;
        let (typed, shown) = if case.https {
            let (chain, key) = pki.chain(&TlsCase::Good);
            front = start_tls(chain, key, Behind::Forward(proxy.addr));
            let port = front.addr.port();
            (
                format!("https://user:secret@127.0.0.1:{port}"),
                format!("https://user:xxxxx@127.0.0.1:{port}"),
            )
        } else {
            (proxy.url(), proxy.url())
        };
        let goproxy = (case.goproxy)(&typed);
        let args = [case.arg, GOOD];
        let bad_path = case.arg.split_once('@').unwrap().0;

        // Plain text: go's words, then where from.
        let plain = sandbox(&goproxy, &pki, &case);
        let out = plain.ours(&["download", args[0], args[1]]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let place = match case.place {
            Place::Under(p) => Some(format!("{shown}{p}")),
            Place::Whole(p) => Some(p.to_string()),
            Place::Nowhere => None,
        };
        let ok = out.status.code() == Some(1)
            && stderr.contains(case.cause)
            && (stderr.contains(case.arg) || stderr.contains(&go_quote_path(bad_path)))
            && place.as_ref().is_none_or(|p| stderr.contains(p.as_str()))
            && !stderr.contains("secret")
            && (case.all_fail() || !stderr.contains(GOOD));
        if !ok {
            failures.push(format!(
                "case {}: exit {:?}, want place {place:?}, cause {:?}; stderr:\n{stderr}",
                case.name,
                out.status.code(),
                case.cause
            ));
        }
        if bad_path == "example.com/simple" && !case.unzip {
            assert_no_zip(&plain, case.name);
        }
        assert!(
            case.all_fail() || plain.cache().join(GOOD).exists(),
            "case {}: the other module did not complete\n{stderr}",
            case.name
        );

        // JSON: go's Error exactly, the same cache as go's.
        let ours = sandbox(&goproxy, &pki, &case);
        let our_out = ours.ours(&["download", "--json", args[0], args[1]]);
        let our_json = ours.normalize(&our_out.stdout);
        assert_eq!(our_out.status.code(), Some(1), "case {}", case.name);
        // Inside a module, go 1.26 makes a go.sum mismatch fatal for the
        // whole command (`base.Fatalf`: stderr, no JSON), and so do we.
        if case.go_sum.is_some() {
            assert_eq!(
                our_json, "",
                "case {}: a go.sum mismatch prints no JSON",
                case.name
            );
            if go_or_skip() {
                let go = sandbox(&goproxy, &pki, &case);
                let go_out = go.go(&["mod", "download", "-json", args[0], args[1]]);
                assert_eq!(go_out.status.code(), Some(1), "case {}", case.name);
                assert_eq!(go.normalize(&go_out.stdout), "", "case {}", case.name);
                make_writable(go.dir.path());
            }
            make_writable(plain.dir.path());
            make_writable(ours.dir.path());
            continue;
        }
        if go_or_skip() {
            let go = sandbox(&goproxy, &pki, &case);
            let go_out = go.go(&["mod", "download", "-json", args[0], args[1]]);
            let go_json = go.normalize(&go_out.stdout);
            assert_eq!(
                go_out.status.code(),
                our_out.status.code(),
                "case {}: {}",
                case.name,
                String::from_utf8_lossy(&go_out.stderr)
            );
            assert_eq!(
                our_json,
                go_json,
                "case {}: go stderr: {}",
                case.name,
                String::from_utf8_lossy(&go_out.stderr)
            );
            assert_same_tree(&go.cache(), &ours.cache());
            make_writable(go.dir.path());
        }
        let our_err = json_error(&our_json, bad_path).unwrap_or_default();
        assert!(
            our_err.contains(case.cause),
            "case {}: {our_json}",
            case.name
        );
        assert_eq!(
            json_error(&our_json, "example.com/major/v2").is_some(),
            case.all_fail(),
            "case {}: {our_json}",
            case.name
        );
        make_writable(plain.dir.path());
        make_writable(ours.dir.path());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `"a b"` as Go quotes a path in `malformed module path "..."`.
fn go_quote_path(p: &str) -> String {
    format!("{p:?}")
}
