//! `gomodfetch doctor [--json] [--cacert FILE] [TARGET]`: why fetching
//! fails, and the fix. Builds the doctor `Config` from the resolved
//! settings, runs `doctor::diagnose`, prints the findings (text, or the same
//! data as JSON on stdout) and exits 0 only when everything checked is
//! usable.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::commands::{CmdResult, ExitStatus};
use crate::doctor::{self, Config, Report, Severity};
use crate::ui::printer::Printer;

/// Flags of `gomodfetch doctor`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the findings as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Trust the certificates of this PEM bundle too (in addition to Go's rules).
    #[arg(long, value_name = "FILE")]
    pub cacert: Vec<PathBuf>,
    /// Seconds to wait for each connection step.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
    /// A module path (checked through GOPROXY, or directly when private) or a URL.
    pub target: Option<String>,
}

/// Runs `gomodfetch doctor`.
pub async fn run(args: Args, printer: &Printer) -> CmdResult {
    let mut config = load_config()?;
    config
        .trust
        .extra_ca_files
        .extend(args.cacert.iter().cloned());
    let options = doctor::ProbeOptions {
        timeout: std::time::Duration::from_secs(args.timeout.max(1)),
    };
    let report = doctor::diagnose(&config, args.target.as_deref(), &options).await;
    if args.json {
        printer.data(&serde_json::to_string_pretty(&report)?);
    } else {
        printer.data(&render(&report, printer.is_verbose()));
    }
    Ok(if report.ok {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// The configuration as the download command resolves it.
fn load_config() -> Result<Config, Box<dyn std::error::Error + Send + Sync>> {
    let env = crate::settings::env::Env::from_process();
    let settings = crate::settings::Settings::from_env(&env)?;
    Ok(Config {
        goproxy: settings.goproxy.clone(),
        gonoproxy: settings.gonoproxy.clone(),
        gonosumdb: settings.gonosumdb.clone(),
        goprivate: settings.goprivate.clone(),
        goinsecure: settings.goinsecure.clone(),
        gosumdb: settings.gosumdb.clone(),
        trust: settings.trust.clone(),
        https_proxy: settings.http_proxy.https_proxy.clone(),
        http_proxy: settings.http_proxy.http_proxy.clone(),
        no_proxy: settings.http_proxy.no_proxy.clone(),
        gonoproxy_set: env.go_var("GONOPROXY").is_some(),
        gonosumdb_set: env.go_var("GONOSUMDB").is_some(),
    })
}

/// The text report: findings in check order, then the certificates each
/// endpoint presented.
pub fn render(report: &Report, verbose: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "gomodfetch doctor: clock {} (UTC), {} trusted certificates",
        report.clock, report.trusted_certificates
    );
    for finding in &report.findings {
        if finding.severity == Severity::Ok && !verbose && finding.code == "trust.loaded" {
            continue;
        }
        let _ = writeln!(
            out,
            "\n{:<4}  {}",
            finding.severity.label(),
            finding.subject
        );
        let _ = writeln!(out, "      {}", finding.summary);
        for detail in &finding.details {
            let _ = writeln!(out, "      - {detail}");
        }
        for fix in &finding.fix {
            for (i, line) in fix.lines().enumerate() {
                let prefix = if i == 0 { "fix:" } else { "    " };
                let _ = writeln!(out, "      {prefix} {line}");
            }
        }
    }
    // Each server's chain once (a proxy and the sumdb route through it
    // present the same one).
    let mut shown: Vec<(String, String)> = Vec::new();
    let with_chain: Vec<_> = report
        .endpoints
        .iter()
        .filter(|e| {
            let key = (
                url::Url::parse(&e.url)
                    .ok()
                    .map(|u| format!("{}:{:?}", u.host_str().unwrap_or(""), u.port()))
                    .unwrap_or_default(),
                e.chain
                    .first()
                    .map(|c| c.sha256.clone())
                    .unwrap_or_default(),
            );
            if e.chain.is_empty() || shown.contains(&key) {
                return false;
            }
            shown.push(key);
            true
        })
        .collect();
    if !with_chain.is_empty() {
        let _ = writeln!(out, "\nCertificates presented");
        for endpoint in with_chain {
            let _ = writeln!(out, "  {} {}", endpoint.role, endpoint.url);
            if let Some(proxy) = &endpoint.via_proxy {
                let _ = writeln!(out, "    via HTTP proxy {proxy}");
            }
            for (i, cert) in endpoint.chain.iter().enumerate() {
                let _ = writeln!(out, "    [{i}] subject {}", cert.subject);
                let _ = writeln!(out, "        issuer  {}", cert.issuer);
                let _ = writeln!(
                    out,
                    "        valid   {} to {}",
                    cert.not_before_text(),
                    cert.not_after_text()
                );
                let sans = cert.san_list();
                if !sans.is_empty() {
                    let _ = writeln!(out, "        SANs    {}", sans.join(", "));
                }
                let _ = writeln!(out, "        SHA-256 {}", cert.sha256);
            }
            if let Some(anchor) = &endpoint.anchor {
                let _ = writeln!(
                    out,
                    "    trusted through {} from {}",
                    anchor.subject, anchor.source
                );
            }
        }
    }
    let problems = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let _ = writeln!(
        out,
        "\n{}",
        if problems == 0 {
            format!("Everything checked is usable ({warnings} warning(s)).")
        } else {
            format!(
                "{problems} problem(s) and {warnings} warning(s): fetching will fail where marked FAIL."
            )
        }
    );
    out
}
