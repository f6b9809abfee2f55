//! GOSUMDB parsing and the "does this module use the checksum database"
//! rule (cmd/go modfetch/sumdb.go: `dbDial`, `useSumDB`;
//! spec/fetch-protocol.md §4.3, §5.1; spec/integrity.md §5.1).
//!
//! Pure: the known-database table (Go's `knownGOSUMDB`) and the alias names
//! are passed in by the caller from `settings::defaults`, the one file that
//! may spell them.

use super::note::{NoteError, Verifier};
use crate::module::pattern::match_prefix_patterns;

/// The module path Go downloads toolchains from; it always uses the
/// checksum database (Go ≥ 1.21).
pub const TOOLCHAIN_MODULE: &str = "golang.org/toolchain";

/// A parsed GOSUMDB setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SumdbConfig {
    /// The database name (the verifier key's name, `host[/path]`).
    pub name: String,
    /// The full verifier key.
    pub key: String,
    /// An explicit base URL (GOSUMDB's second field); bypasses proxies.
    pub url: Option<String>,
}

/// Why GOSUMDB is unusable, worded as cmd/go words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GosumdbError {
    /// `GOSUMDB=off` and a lookup was still needed (the toolchain module).
    #[error("checksum database disabled by GOSUMDB=off")]
    Off,
    /// GOSUMDB is empty.
    #[error("missing GOSUMDB")]
    Missing,
    /// More than two fields.
    #[error("invalid GOSUMDB: too many fields")]
    TooManyFields,
    /// The first field is neither a known name nor a verifier key.
    #[error("invalid GOSUMDB: {0}")]
    Key(NoteError),
    /// The key's name is not `host[/path]`.
    #[error("invalid sumdb name (must be host[/path]): {0}")]
    Name(String),
    /// The URL field does not parse.
    #[error("invalid GOSUMDB URL: {0}")]
    Url(String),
}

/// Parses GOSUMDB as `dbDial` does. `known` maps database names to their
/// verifier keys; `aliases` maps alias names to (real name, URL).
pub fn parse_gosumdb(
    gosumdb: &str,
    known: &[(&str, &str)],
    aliases: &[(&str, &str, &str)],
) -> Result<SumdbConfig, GosumdbError> {
    let rewritten;
    let mut gosumdb = gosumdb;
    if let Some((_, name, url)) = aliases.iter().find(|(alias, _, _)| *alias == gosumdb) {
        rewritten = format!("{name} {url}");
        gosumdb = &rewritten;
    }
    if gosumdb == "off" {
        return Err(GosumdbError::Off);
    }
    let mut fields: Vec<&str> = gosumdb
        .split(char::is_whitespace)
        .filter(|f| !f.is_empty())
        .collect();
    if let Some(first) = fields.first_mut() {
        if let Some((_, key)) = known.iter().find(|(name, _)| name == first) {
            *first = key;
        }
    }
    match fields.len() {
        0 => return Err(GosumdbError::Missing),
        1 | 2 => {}
        _ => return Err(GosumdbError::TooManyFields),
    }
    let verifier = Verifier::new(fields[0]).map_err(GosumdbError::Key)?;
    let name = verifier.name().to_owned();
    if !is_host_path(&name) {
        return Err(GosumdbError::Name(name));
    }
    let url = match fields.get(1) {
        Some(u) => Some(
            url::Url::parse(u)
                .map_err(|e| GosumdbError::Url(e.to_string()))?
                .to_string(),
        ),
        None => None,
    };
    Ok(SumdbConfig {
        name,
        key: fields[0].to_owned(),
        url,
    })
}

/// Whether `https://<name>` is a URL with only a host and an optional path
/// that needs no escaping (dbDial's check).
fn is_host_path(name: &str) -> bool {
    let host = name.split('/').next().unwrap_or("");
    !host.is_empty()
        && !name.ends_with('/')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~/:!$&'()*+,;=".contains(&b))
        && !host.contains(['!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '='])
        && !name.contains("//")
}

/// Whether lookups for this module path go to the checksum database
/// (`useSumDB`): not with GOSUMDB=off or a GONOSUMDB match, except that the
/// toolchain module always does unless GOPROXY is a single `file://` URL.
pub fn use_sumdb(path: &str, gosumdb: &str, gonosumdb: &str, goproxy: &str) -> bool {
    let single_file_proxy = goproxy.starts_with("file://") && !goproxy.contains([',', '|']);
    if path == TOOLCHAIN_MODULE && !single_file_proxy {
        return true;
    }
    gosumdb != "off" && !match_prefix_patterns(gonosumdb, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sumdb.example.com+3ee3e9d5+AZTxn4ZT79t0h1mzx4Fa0Y2HfnmLkJhTVAQg8r0VVqyE";

    fn key() -> String {
        let (_, v) = super::super::note::Signer::key_pair_from_seed("sumdb.example.com", [1; 32]);
        v
    }

    #[test]
    fn forms() {
        let k = key();
        let known = [("sumdb.example.com", k.as_str())];
        let aliases = [(
            "alias.example.com",
            "sumdb.example.com",
            "https://alias.example.com",
        )];
        let c = parse_gosumdb("sumdb.example.com", &known, &aliases).unwrap();
        assert_eq!(
            (c.name.as_str(), c.key.as_str(), c.url),
            ("sumdb.example.com", k.as_str(), None)
        );
        let c = parse_gosumdb("alias.example.com", &known, &aliases).unwrap();
        assert_eq!(c.url.as_deref(), Some("https://alias.example.com/"));
        let c = parse_gosumdb(&format!("{k}  http://127.0.0.1:1234/db"), &[], &[]).unwrap();
        assert_eq!(c.url.as_deref(), Some("http://127.0.0.1:1234/db"));
        assert_eq!(parse_gosumdb("off", &known, &[]), Err(GosumdbError::Off));
        assert_eq!(
            parse_gosumdb(" ", &known, &[]).unwrap_err().to_string(),
            "missing GOSUMDB"
        );
        assert_eq!(
            parse_gosumdb("a b c", &known, &[]).unwrap_err().to_string(),
            "invalid GOSUMDB: too many fields"
        );
        assert_eq!(
            parse_gosumdb("other.example.com", &known, &[])
                .unwrap_err()
                .to_string(),
            "invalid GOSUMDB: malformed verifier id"
        );
        assert_eq!(
            parse_gosumdb(KEY, &[], &[]).unwrap_err().to_string(),
            "invalid GOSUMDB: invalid verifier hash"
        );
        let (_, bad) = super::super::note::Signer::key_pair_from_seed("a.example.com/", [1; 32]);
        assert!(matches!(
            parse_gosumdb(&bad, &[], &[]),
            Err(GosumdbError::Name(_))
        ));
    }

    #[test]
    fn which_modules() {
        assert!(use_sumdb("example.com/m", "x", "", "direct"));
        assert!(!use_sumdb("example.com/m", "off", "", "direct"));
        assert!(!use_sumdb("example.com/m", "x", "*.com", "direct"));
        assert!(use_sumdb(TOOLCHAIN_MODULE, "off", "*", "direct"));
        assert!(!use_sumdb(TOOLCHAIN_MODULE, "off", "", "file:///p"));
        assert!(use_sumdb(TOOLCHAIN_MODULE, "off", "", "file:///p,direct"));
    }
}
