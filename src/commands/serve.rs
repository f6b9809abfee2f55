//! `gomodfetch serve DIR`: serve a mirror tree read-only as a GOPROXY
//! (and the checksum-database subtree under `sumdb/<name>/`), over HTTP/1.1
//! and HTTP/2, with TLS when a certificate and key are given. The work is in
//! `mirror::serve`; this file binds, prints where it listens, and turns the
//! access log into stderr lines.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use crate::commands::{CmdResult, ExitStatus};
use crate::mirror::serve::{AccessLog, AccessRecord, TreeServer, serve_listener, tls_config};
use crate::ui::printer::Printer;

/// Flags of `gomodfetch serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The mirror tree to serve (as written by `gomodfetch mirror --to`).
    pub dir: PathBuf,
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// PEM certificate chain; serves HTTPS (HTTP/2 by ALPN) with --tls-key.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

/// Runs `gomodfetch serve` until the process is stopped.
pub async fn run(args: Args, printer: &Printer) -> CmdResult {
    let log_printer = printer.clone();
    let log: AccessLog = Arc::new(move |record: &AccessRecord| {
        log_printer.status(&record.to_string());
    });
    let server = TreeServer::new(&args.dir, Some(log))?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(Arc::new(tls_config(cert, key)?)),
        _ => None,
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|source| ServeBindError {
            addr: args.listen,
            source,
        })?;
    let addr = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    printer.status(&format!(
        "Serving `{}` as a GOPROXY at {scheme}://{addr}",
        args.dir.display()
    ));
    serve_listener(listener, server, tls).await?;
    Ok(ExitStatus::Success)
}

/// The listen address could not be bound.
#[derive(Debug, thiserror::Error)]
#[error("Cannot listen on `{addr}`")]
struct ServeBindError {
    addr: SocketAddr,
    #[source]
    source: std::io::Error,
}
