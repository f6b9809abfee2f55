//! What a run requests: the endpoints of the proxy protocol
//! (spec/fetch-protocol.md §7) and the request URLs, built as the go command
//! builds them: `<base>/<escpath>/@v/<escver>.<ext>` with case escaping (§7.2)
//! and then Go's `url.PathEscape` per segment (§7.1, so `!` goes out as `%21`).

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::workload::ModuleVersion;
use crate::module::path::{escape_path, escape_version};

/// One endpoint of the proxy protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    List,
    Info,
    Mod,
    Zip,
}

impl Endpoint {
    /// Every endpoint, in protocol order (the order of report rows).
    pub const ALL: [Endpoint; 4] = [Endpoint::List, Endpoint::Info, Endpoint::Mod, Endpoint::Zip];

    /// The name used on the command line and in the JSON report.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::List => "list",
            Endpoint::Info => "info",
            Endpoint::Mod => "mod",
            Endpoint::Zip => "zip",
        }
    }

    /// Index into per-endpoint arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `--mix` value that is not a list of endpoint names.
#[derive(Debug, thiserror::Error)]
#[error("Invalid `--mix` entry `{entry}`: expected a comma-separated list of list, info, mod, zip")]
pub struct MixError {
    pub entry: String,
}

/// Parses `--mix list,info,mod,zip` (order kept, repeats allowed, so
/// `info,info,zip` weights info twice).
pub fn parse_mix(text: &str) -> Result<Vec<Endpoint>, MixError> {
    let mut mix = Vec::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let endpoint = Endpoint::ALL
            .into_iter()
            .find(|e| e.name() == entry)
            .ok_or_else(|| MixError {
                entry: entry.to_owned(),
            })?;
        mix.push(endpoint);
    }
    if mix.is_empty() {
        return Err(MixError {
            entry: text.to_owned(),
        });
    }
    Ok(mix)
}

/// Go's `url.PathEscape` keeps letters, digits, `-._~` and `$&+:=@`; the
/// segments are joined with literal `/`.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b':')
    .remove(b'=')
    .remove(b'@')
    .remove(b'/');

/// The path (below the proxy base) of one request, already escaped for the wire.
pub fn request_path(module: &ModuleVersion, endpoint: Endpoint) -> String {
    // The workload was validated (`module::path::check`), so escaping cannot
    // fail; the raw string is a harmless fallback.
    let escaped_path = escape_path(&module.path).unwrap_or_else(|_| module.path.clone());
    let raw = match endpoint {
        Endpoint::List => format!("{escaped_path}/@v/list"),
        other => format!(
            "{escaped_path}/@v/{}.{}",
            escape_version(&module.version).unwrap_or_else(|_| module.version.clone()),
            other.name()
        ),
    };
    utf8_percent_encode(&raw, PATH_SEGMENT).to_string()
}

/// One request of the plan.
#[derive(Debug, Clone)]
pub struct PlannedRequest {
    pub endpoint: Endpoint,
    /// Index of the module version in the workload.
    pub module: usize,
    /// Path below the proxy base (`<escpath>/@v/...`), wire-escaped.
    pub path: String,
}

/// The request sequence: for each module version, one request per `--mix`
/// entry; request number `i` of a run is `requests[i % len]`.
#[derive(Debug, Clone)]
pub struct Plan {
    pub modules: Vec<ModuleVersion>,
    pub requests: Vec<PlannedRequest>,
    pub mix: Vec<Endpoint>,
}

impl Plan {
    pub fn new(modules: Vec<ModuleVersion>, mix: Vec<Endpoint>) -> Self {
        let mut requests = Vec::with_capacity(modules.len() * mix.len());
        for (index, module) in modules.iter().enumerate() {
            for &endpoint in &mix {
                requests.push(PlannedRequest {
                    endpoint,
                    module: index,
                    path: request_path(module, endpoint),
                });
            }
        }
        Plan {
            modules,
            requests,
            mix,
        }
    }

    /// Request number `ticket` of a run.
    pub fn get(&self, ticket: u64) -> &PlannedRequest {
        // The plan is never empty (the workload is not, nor is the mix).
        &self.requests[(ticket % self.requests.len() as u64) as usize]
    }
}

/// Joins a proxy base URL and a request path as the go command does
/// (`strings.TrimSuffix(base, "/") + "/" + path`), keeping a query string.
pub fn join(base: &url::Url, path: &str) -> url::Url {
    let mut joined = base.clone();
    let prefix = base.path().trim_end_matches('/').to_owned();
    joined.set_path(&format!("{prefix}/{path}"));
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mv(path: &str, version: &str) -> ModuleVersion {
        ModuleVersion {
            path: path.into(),
            version: version.into(),
            zip_hash: None,
        }
    }

    #[test]
    fn paths_are_escaped_like_go() {
        let m = mv("example.com/Upper/x", "v1.0.0-RC");
        assert_eq!(
            request_path(&m, Endpoint::Info),
            "example.com/%21upper/x/@v/v1.0.0-%21r%21c.info"
        );
        assert_eq!(
            request_path(&m, Endpoint::List),
            "example.com/%21upper/x/@v/list"
        );
        assert_eq!(
            request_path(
                &mv("example.com/a+b~c", "v1.0.0+incompatible"),
                Endpoint::Zip
            ),
            "example.com/a+b~c/@v/v1.0.0+incompatible.zip"
        );
    }

    #[test]
    fn join_trims_one_slash_and_keeps_query() {
        let base = url::Url::parse("http://127.0.0.1:8080/p/?token=1").unwrap();
        assert_eq!(
            join(&base, "example.com/a/@v/list").as_str(),
            "http://127.0.0.1:8080/p/example.com/a/@v/list?token=1"
        );
        let base = url::Url::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            join(&base, "example.com/a/@v/list").as_str(),
            "http://127.0.0.1:8080/example.com/a/@v/list"
        );
    }

    #[test]
    fn mix_parses_and_rejects() {
        assert_eq!(
            parse_mix("info, zip").unwrap(),
            vec![Endpoint::Info, Endpoint::Zip]
        );
        assert!(parse_mix("info,latest").is_err());
        assert!(parse_mix("").is_err());
    }
}
