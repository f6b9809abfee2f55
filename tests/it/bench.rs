//! `gomodfetch bench` against a loopback proxy with injected, known latency,
//! errors and stalls (support/bench_server.rs). The checks compare what the
//! report says with what was injected and with the server's own request
//! count. Timing bounds are one-sided or generous on purpose: a loaded
//! 2-core CI machine can only add latency, never remove the injected sleep.
//! Tolerance used throughout: latency percentiles within
//! [injected, injected + 1 s].

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use crate::support::bench_server::{Behaviour, start};
use crate::support::tls::{Behind, Case, Pki, start_tls};
use serde_json::Value;

/// Generous upper margin over an injected latency, in ms.
const MARGIN_MS: f64 = 1000.0;

struct Run {
    output: Output,
    json: Value,
}

impl Run {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    fn target(&self, i: usize) -> &Value {
        &self.json["targets"][i]
    }
}

fn workload(dir: &tempfile::TempDir, text: &str) -> PathBuf {
    let path = dir.path().join("modules.txt");
    std::fs::write(&path, text).unwrap();
    path
}

const TWO_VERSIONS: &str =
    "# the test module\nexample.com/bench@v1.0.0\nexample.com/bench@v1.1.0\n";

fn bench(args: &[&str]) -> Run {
    bench_env(args, &[])
}

fn bench_env(args: &[&str], vars: &[(&str, &str)]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_gomodfetch"))
        .arg("bench")
        .args(args)
        .env("GOENV", "off")
        .env("GOFLAGS", "")
        .envs(vars.iter().copied())
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .output()
        .expect("run gomodfetch bench");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json = if args.contains(&"--json") {
        serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{stdout}\nstderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
    } else {
        Value::Null
    };
    Run { output, json }
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

#[test]
fn closed_loop_counts_match_server_and_injected_errors_are_exact() {
    let server = start(Behaviour {
        latency: Duration::from_millis(50),
        fail_every: Some(5),
        ..Behaviour::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let modules = workload(&dir, TWO_VERSIONS);
    let run = bench(&[
        "--proxy",
        &server.url,
        "--modules",
        modules.to_str().unwrap(),
        "--requests",
        "200",
        "--concurrency",
        "8",
        "--warmup",
        "0s",
        "--json",
    ]);
    assert!(run.output.status.success(), "{}", run.stderr());
    let t = run.target(0);
    assert_eq!(t["proxy"], server.url);
    assert_eq!(t["mode"], "closed");
    assert_eq!(u(&t["requests"]), 200);
    // The server numbers requests 1.. and fails every 5th; #1 is the probe
    // (unmeasured), the measured ones are #2..=#201: 40 of them fail.
    assert_eq!(u(&t["unmeasured_requests"]), 1);
    assert_eq!(server.requests(), 201, "server log vs report");
    assert_eq!(u(&t["errors"]), 40);
    assert_eq!(t["errors_by_class"], serde_json::json!({"http_500": 40}));
    let by = &t["by_endpoint"];
    let per_endpoint: u64 = ["list", "info", "mod", "zip"]
        .iter()
        .map(|e| u(&by[e]["requests"]))
        .sum();
    assert_eq!(per_endpoint, 200);
    assert_eq!(u(&by["zip"]["requests"]), 50);
    let latency = &t["latency_ms"];
    for p in ["p50", "p90", "p99", "p999", "max"] {
        let v = f(&latency[p]);
        assert!(
            (50.0..50.0 + MARGIN_MS).contains(&v),
            "{p} = {v} ms, injected 50 ms"
        );
    }
    assert!(f(&t["duration_s"]) > 0.0 && f(&t["rps"]) > 0.0 && u(&t["bytes"]) > 0);
    assert!(
        run.stderr()
            .contains("40 of 200 requests failed (http_500: 40)"),
        "{}",
        run.stderr()
    );
}

#[test]
fn bimodal_latency_shows_in_the_percentiles() {
    // 1 request in 10 takes 300 ms, the others 20 ms.
    let server = start(Behaviour {
        latency: Duration::from_millis(20),
        slow_every: Some(10),
        slow_latency: Duration::from_millis(300),
        ..Behaviour::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let modules = workload(&dir, TWO_VERSIONS);
    let run = bench(&[
        "--proxy",
        &server.url,
        "--modules",
        modules.to_str().unwrap(),
        "--requests",
        "200",
        "--concurrency",
        "10",
        "--warmup",
        "0",
        "--mix",
        "info",
        "--json",
    ]);
    assert!(run.output.status.success(), "{}", run.stderr());
    let t = run.target(0);
    assert_eq!(u(&t["errors"]), 0);
    assert_eq!(server.requests(), 201);
    let l = &t["latency_ms"];
    let p50 = f(&l["p50"]);
    assert!((20.0..20.0 + MARGIN_MS).contains(&p50), "p50 {p50}");
    // 20 of 200 measured requests (10%) took at least 300 ms.
    assert!(f(&l["p99"]) >= 300.0, "p99 {}", l["p99"]);
    assert!(
        f(&l["max"]) >= 300.0 && f(&l["max"]) < 300.0 + MARGIN_MS,
        "max {}",
        l["max"]
    );
    assert!(f(&t["ttfb_ms"]["p50"]) >= 20.0);
    assert_eq!(t["by_endpoint"].as_object().unwrap().len(), 1);
}

#[test]
fn open_loop_counts_a_stall_against_the_schedule() {
    // Open loop at 20/s with one worker; the server stalls 1 s on request #11
    // (measured ticket 9, scheduled at 0.45 s). The requests scheduled during
    // the stall wait for the worker, and that wait must be in their latency:
    // tickets 9..=20 (12 of 40) are at least 500 ms late, so p90 >= 500 ms.
    // A tool with coordinated omission would report a p90 near 5 ms.
    let server = start(Behaviour {
        latency: Duration::from_millis(5),
        stall: Some((11, Duration::from_secs(1))),
        ..Behaviour::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let modules = workload(&dir, TWO_VERSIONS);
    let run = bench(&[
        "--proxy",
        &server.url,
        "--modules",
        modules.to_str().unwrap(),
        "--rate",
        "20",
        "--requests",
        "40",
        "--concurrency",
        "1",
        "--warmup",
        "0",
        "--mix",
        "info",
        "--json",
    ]);
    assert!(run.output.status.success(), "{}", run.stderr());
    let t = run.target(0);
    assert_eq!(t["mode"], "open");
    assert_eq!(u(&t["requests"]), 40);
    assert_eq!(u(&t["errors"]), 0);
    assert_eq!(server.requests(), 41);
    assert!(f(&t["latency_ms"]["p90"]) >= 500.0, "{}", t["latency_ms"]);
    assert!(f(&t["latency_ms"]["max"]) >= 900.0, "{}", t["latency_ms"]);
    assert!(u(&t["send"]["queued"]) >= 10, "{}", t["send"]);
    assert_eq!(f(&t["send"]["requested_rate"]), 20.0);
}

#[test]
fn warmup_is_sent_but_not_counted() {
    let server = start(Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    let modules = workload(&dir, TWO_VERSIONS);
    let run = bench(&[
        "--proxy",
        &server.url,
        "--modules",
        modules.to_str().unwrap(),
        "--requests",
        "50",
        "--concurrency",
        "2",
        "--warmup",
        "300ms",
        "--json",
    ]);
    assert!(run.output.status.success(), "{}", run.stderr());
    let t = run.target(0);
    assert_eq!(u(&t["requests"]), 50);
    let unmeasured = u(&t["unmeasured_requests"]);
    assert!(unmeasured > 1, "warm-up sent nothing");
    assert_eq!(server.requests(), 50 + unmeasured);
}

#[test]
fn html_answers_are_errors_not_throughput() {
    let server = start(Behaviour {
        html: true,
        ..Behaviour::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let modules = workload(&dir, TWO_VERSIONS);
    let run = bench(&[
        "--proxy",
        &server.url,
        "--modules",
        modules.to_str().unwrap(),
        "--requests",
        "40",
        "--concurrency",
        "4",
        "--warmup",
        "0",
        "--json",
    ]);
    assert!(run.output.status.success(), "{}", run.stderr());
    let t = run.target(0);
    assert_eq!(u(&t["errors"]), 40);
    assert_eq!(t["errors_by_class"], serde_json::json!({"bad_body": 40}));
    assert!(
        t["latency_ms"].is_null(),
        "no success, so no latency: {}",
        t["latency_ms"]
    );
    assert!(
        run.stderr().contains("every one of 40 requests failed"),
        "{}",
        run.stderr()
    );
    // The first failure shown quotes the HTML (which endpoint came first
    // depends on scheduling).
    let shown = run.stderr();
    assert!(
        shown.contains("first bad_body: GET ")
            && shown.contains("<!doctype html><html><body>Sign in"),
        "{shown}"
    );
}

#[test]
fn verify_counts_every_zip_that_differs() {
    // Zips alternate between two contents by the server's count: the probe
    // (#1, odd) fixes the expected hash; of the 10 measured zips (#2..#11)
    // the 5 even ones differ.
    let server = start(Behaviour {
        alternate_zips: true,
        ..Behaviour::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let modules = workload(&dir, "example.com/bench@v1.0.0\n");
    let run = bench(&[
        "--proxy",
        &server.url,
        "--modules",
        modules.to_str().unwrap(),
        "--requests",
        "10",
        "--concurrency",
        "1",
        "--warmup",
        "0",
        "--mix",
        "zip",
        "--verify",
        "--json",
    ]);
    assert!(run.output.status.success(), "{}", run.stderr());
    let t = run.target(0);
    assert_eq!(
        t["errors_by_class"],
        serde_json::json!({"hash_mismatch": 5})
    );

    // A wrong hash in the workload: every zip mismatches.
    let server = start(Behaviour::default());
    let modules = workload(
        &dir,
        "example.com/bench@v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    );
    let run = bench(&[
        "--proxy",
        &server.url,
        "--modules",
        modules.to_str().unwrap(),
        "--requests",
        "6",
        "--concurrency",
        "2",
        "--warmup",
        "0",
        "--mix",
        "zip",
        "--verify",
        "--json",
    ]);
    let t = run.target(0);
    assert_eq!(
        t["errors_by_class"],
        serde_json::json!({"hash_mismatch": 6})
    );
    assert!(
        run.stderr().contains("expected h1:AAAA"),
        "{}",
        run.stderr()
    );
}

#[test]
fn unreachable_proxy_is_reported_and_others_still_measured() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let server = start(Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    let modules = workload(&dir, TWO_VERSIONS);
    let run = bench(&[
        "--proxy",
        &dead,
        "--proxy",
        &server.url,
        "--modules",
        modules.to_str().unwrap(),
        "--requests",
        "20",
        "--warmup",
        "0",
        "--json",
    ]);
    assert_eq!(run.output.status.code(), Some(1), "{}", run.stderr());
    let dead_target = run.target(0);
    assert_eq!(dead_target["proxy"], dead);
    assert!(
        dead_target["error"].as_str().unwrap().contains("GET "),
        "{dead_target}"
    );
    assert_eq!(u(&dead_target["requests"]), 0);
    let live = run.target(1);
    assert_eq!(live["proxy"], server.url);
    assert_eq!(u(&live["requests"]), 20);
    assert_eq!(server.requests(), 21);
    assert!(
        run.stderr().contains("#1: not measured"),
        "{}",
        run.stderr()
    );

    // The table shows both side by side.
    let run = bench(&[
        "--proxy",
        &dead,
        "--proxy",
        &server.url,
        "--modules",
        modules.to_str().unwrap(),
        "--requests",
        "20",
        "--warmup",
        "0",
    ]);
    let table = String::from_utf8_lossy(&run.output.stdout);
    assert!(table.contains("side by side"), "{table}");
    assert!(table.contains("not measured"), "{table}");
}

#[test]
fn an_impossible_rate_is_said_plainly() {
    let server = start(Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    let modules = workload(&dir, TWO_VERSIONS);
    let run = bench(&[
        "--proxy",
        &server.url,
        "--modules",
        modules.to_str().unwrap(),
        "--rate",
        "1000000000",
        "--requests",
        "2000",
        "--concurrency",
        "4",
        "--warmup",
        "0",
        "--mix",
        "info",
        "--json",
    ]);
    assert!(run.output.status.success(), "{}", run.stderr());
    let t = run.target(0);
    assert_eq!(u(&t["requests"]), 2000);
    assert!(f(&t["send"]["achieved_rate"]) < 1e9);
    assert!(
        run.stderr().contains("not the requested 1000000000/s"),
        "{}",
        run.stderr()
    );
}

#[test]
fn bad_workload_lines_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let modules = workload(
        &dir,
        "example.com/bench@v1.0.0\nnot a module line\nexample.com/x@1.0\n",
    );
    let run = bench(&[
        "--proxy",
        "http://127.0.0.1:9/",
        "--modules",
        modules.to_str().unwrap(),
    ]);
    assert_eq!(run.output.status.code(), Some(1));
    let err = run.stderr();
    assert!(err.contains("modules.txt:2: expected"), "{err}");
    assert!(
        err.contains("modules.txt:3: example.com/x@1.0: invalid version"),
        "{err}"
    );
}

#[test]
fn from_mirror_and_from_gomod_build_workloads() {
    let server = start(Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("mirror/example.com/bench/@v");
    std::fs::create_dir_all(&list).unwrap();
    std::fs::write(list.join("list"), "v1.0.0\nv1.1.0\n").unwrap();
    let run = bench(&[
        "--proxy",
        &server.url,
        "--from-mirror",
        dir.path().join("mirror").to_str().unwrap(),
        "--requests",
        "8",
        "--warmup",
        "0",
        "--json",
    ]);
    assert!(run.output.status.success(), "{}", run.stderr());
    assert_eq!(u(&run.target(0)["errors"]), 0);
    assert_eq!(u(&run.target(0)["by_endpoint"]["zip"]["requests"]), 2);

    let gomod = dir.path().join("go.mod");
    std::fs::write(
        &gomod,
        "module example.com/me\n\nrequire (\n\texample.com/bench v1.0.0\n)\n",
    )
    .unwrap();
    let run = bench(&[
        "--proxy",
        &server.url,
        "--from",
        gomod.to_str().unwrap(),
        "--requests",
        "4",
        "--warmup",
        "0",
        "--json",
    ]);
    assert!(run.output.status.success(), "{}", run.stderr());
    assert_eq!(u(&run.target(0)["errors"]), 0);
}

#[test]
fn https_proxy_is_measured_and_a_bad_certificate_is_not() {
    let backend = start(Behaviour::default());
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let root = pki.write_root(dir.path());
    let modules = workload(&dir, TWO_VERSIONS);
    let (chain, key) = pki.chain(&Case::Good);
    let good = start_tls(chain, key, Behind::Forward(backend.addr));
    let (chain, key) = pki.chain(&Case::Expired);
    let expired = start_tls(chain, key, Behind::Forward(backend.addr));
    let run = bench(&[
        "--proxy",
        &good.url_ip(),
        "--proxy",
        &expired.url_ip(),
        "--cacert",
        root.to_str().unwrap(),
        "--modules",
        modules.to_str().unwrap(),
        "--requests",
        "20",
        "--concurrency",
        "2",
        "--warmup",
        "0",
        "--json",
    ]);
    assert_eq!(run.output.status.code(), Some(1), "{}", run.stderr());
    let t = run.target(0);
    assert_eq!(u(&t["requests"]), 20);
    assert_eq!(u(&t["errors"]), 0, "{t}");
    assert_eq!(u(&t["protocols"]["HTTP/1.1"]), 20, "{t}");
    // The expired front never reached the backend: 1 probe + 20 measured.
    assert_eq!(backend.requests(), 21);
    let error = run.target(1)["error"].as_str().unwrap();
    assert!(error.contains("x509: certificate has expired"), "{error}");
}

#[test]
fn redirects_are_followed_and_each_hop_is_a_server_request() {
    let server = start(Behaviour {
        redirect_zips: true,
        ..Behaviour::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let modules = workload(&dir, "example.com/bench@v1.0.0\n");
    let run = bench(&[
        "--proxy",
        &server.url,
        "--modules",
        modules.to_str().unwrap(),
        "--requests",
        "5",
        "--concurrency",
        "1",
        "--warmup",
        "0",
        "--mix",
        "zip",
        "--verify",
        "--json",
    ]);
    assert!(run.output.status.success(), "{}", run.stderr());
    let t = run.target(0);
    assert_eq!(u(&t["requests"]), 5);
    assert_eq!(u(&t["errors"]), 0, "{t}");
    // Probe + 5 measured, each a 302 and the redirected GET.
    assert_eq!(server.requests(), 12);
}

#[test]
fn default_targets_are_the_proxies_of_goproxy() {
    let server = start(Behaviour::default());
    let dir = tempfile::tempdir().unwrap();
    let modules = workload(&dir, TWO_VERSIONS);
    let goproxy = format!("{},direct", server.url);
    let run = bench_env(
        &[
            "--modules",
            modules.to_str().unwrap(),
            "--requests",
            "4",
            "--warmup",
            "0",
            "--json",
        ],
        &[("GOPROXY", &goproxy), ("GOPRIVATE", "")],
    );
    assert!(run.output.status.success(), "{}", run.stderr());
    assert_eq!(run.json["targets"].as_array().unwrap().len(), 1);
    assert_eq!(run.target(0)["proxy"], server.url);
    assert_eq!(server.requests(), 5);

    let run = bench_env(
        &["--modules", modules.to_str().unwrap(), "--requests", "4"],
        &[("GOPROXY", "direct")],
    );
    assert_eq!(run.output.status.code(), Some(1));
    assert!(
        run.stderr()
            .contains("GOPROXY `direct` names no http(s) proxy"),
        "{}",
        run.stderr()
    );
}

/// A server that answers one request per connection and then closes it
/// without saying so (no `Connection: close`), as a proxy behind an idle
/// timeout does. Returns its URL and its request counter.
fn closing_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicU64>) {
    use std::io::{Read, Write};
    use std::sync::atomic::Ordering;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            if request.is_empty() {
                continue;
            }
            counter.fetch_add(1, Ordering::SeqCst);
            let body = br#"{"Version":"v1.0.0"}"#;
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body);
            // Dropping the stream closes the kept-alive connection.
        }
    });
    (url, count)
}

#[test]
fn a_dropped_keep_alive_connection_is_reopened_not_counted_as_an_error() {
    let (url, count) = closing_server();
    let dir = tempfile::tempdir().unwrap();
    let modules = workload(&dir, "example.com/bench@v1.0.0\n");
    let run = bench(&[
        "--proxy",
        &url,
        "--modules",
        modules.to_str().unwrap(),
        "--requests",
        "20",
        "--concurrency",
        "1",
        "--warmup",
        "0",
        "--mix",
        "info",
        "--json",
    ]);
    assert!(run.output.status.success(), "{}", run.stderr());
    let t = run.target(0);
    assert_eq!(u(&t["requests"]), 20);
    assert_eq!(u(&t["errors"]), 0, "{t}");
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 21);
}
