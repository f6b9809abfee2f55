//! A loopback GOPROXY for the bench tests with injected, known behaviour:
//! a latency per request, a deterministic error rate (every k-th request by
//! the server's own count answers 500), a one-off stall, HTML bodies, and
//! alternating zips. It serves one module, `example.com/bench`, at any
//! version, and logs how many requests it answered.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{StatusCode, Uri};
use axum::response::Response;

/// What the server does; request numbers count from 1 in arrival order.
#[derive(Debug, Clone, Default)]
pub struct Behaviour {
    /// Sleep this long before every answer.
    pub latency: Duration,
    /// Every `slow_every`-th request sleeps `slow_latency` instead.
    pub slow_every: Option<u64>,
    pub slow_latency: Duration,
    /// Request number `n` sleeps this long instead (a stall).
    pub stall: Option<(u64, Duration)>,
    /// Every `fail_every`-th request answers 500.
    pub fail_every: Option<u64>,
    /// Every answer is an HTML page with status 200.
    pub html: bool,
    /// Zip answers alternate between two different zips.
    pub alternate_zips: bool,
    /// Zip requests are redirected (302) to `/cdn/<same path>`.
    pub redirect_zips: bool,
}

/// A running server.
pub struct BenchServer {
    pub url: String,
    pub addr: std::net::SocketAddr,
    count: Arc<AtomicU64>,
}

impl BenchServer {
    /// Requests answered (or being answered) so far, by the server's count.
    pub fn requests(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }
}

/// A valid module zip of `example.com/bench@version`, with `variant` in a file.
pub fn module_zip(version: &str, variant: u8) -> Vec<u8> {
    let mut cursor = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut cursor);
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file(format!("example.com/bench@{version}/go.mod"), options)
            .unwrap();
        zip.write_all(b"module example.com/bench\n").unwrap();
        zip.start_file(format!("example.com/bench@{version}/bench.go"), options)
            .unwrap();
        write!(zip, "package bench\n\nconst Variant = {variant}\n").unwrap();
        zip.finish().unwrap();
    }
    cursor.into_inner()
}

/// Starts the server on 127.0.0.1:0 in its own thread and runtime.
pub fn start(behaviour: Behaviour) -> BenchServer {
    let count = Arc::new(AtomicU64::new(0));
    let (tx, rx) = std::sync::mpsc::channel();
    let server_count = count.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let behaviour = Arc::new(behaviour);
            let app = axum::Router::new().fallback(move |uri: Uri| {
                let behaviour = behaviour.clone();
                let count = server_count.clone();
                async move { answer(&behaviour, &count, &uri).await }
            });
            axum::serve(listener, app).await.unwrap();
        });
    });
    let addr = rx.recv().unwrap();
    BenchServer {
        url: format!("http://{addr}/"),
        addr,
        count,
    }
}

async fn answer(behaviour: &Behaviour, count: &AtomicU64, uri: &Uri) -> Response {
    let n = count.fetch_add(1, Ordering::SeqCst) + 1;
    let mut delay = behaviour.latency;
    if let Some(every) = behaviour.slow_every
        && n % every == 0
    {
        delay = behaviour.slow_latency;
    }
    if let Some((at, stall)) = behaviour.stall
        && n == at
    {
        delay = stall;
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let respond = |status: StatusCode, body: Vec<u8>| {
        Response::builder()
            .status(status)
            .body(Body::from(body))
            .unwrap()
    };
    if behaviour.fail_every.is_some_and(|every| n % every == 0) {
        return respond(
            StatusCode::INTERNAL_SERVER_ERROR,
            b"injected failure\n".to_vec(),
        );
    }
    if behaviour.html {
        return respond(
            StatusCode::OK,
            b"<!doctype html><html><body>Sign in</body></html>".to_vec(),
        );
    }
    let mut path = uri.path();
    if behaviour.redirect_zips && path.ends_with(".zip") {
        if let Some(original) = path.strip_prefix("/cdn") {
            path = original;
        } else {
            return Response::builder()
                .status(StatusCode::FOUND)
                .header("Location", format!("/cdn{path}"))
                .body(Body::empty())
                .unwrap();
        }
    }
    let Some(rest) = path.strip_prefix("/example.com/bench/@v/") else {
        return respond(StatusCode::NOT_FOUND, b"not found\n".to_vec());
    };
    if rest == "list" {
        return respond(StatusCode::OK, b"v1.0.0\nv1.1.0\n".to_vec());
    }
    let Some((version, ext)) = rest.rsplit_once('.') else {
        return respond(StatusCode::NOT_FOUND, b"not found\n".to_vec());
    };
    match ext {
        "info" => respond(
            StatusCode::OK,
            format!(r#"{{"Version":"{version}","Time":"2024-01-02T03:04:05Z"}}"#).into_bytes(),
        ),
        "mod" => respond(StatusCode::OK, b"module example.com/bench\n".to_vec()),
        "zip" => {
            let variant = if behaviour.alternate_zips {
                (n % 2) as u8
            } else {
                0
            };
            respond(StatusCode::OK, module_zip(version, variant))
        }
        _ => respond(StatusCode::NOT_FOUND, b"not found\n".to_vec()),
    }
}
