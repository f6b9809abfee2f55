//! Comparing a downloaded hash with the checksum database's answer
//! (cmd/go modfetch/fetch.go `checkSumDB`; spec/integrity.md §2.3 step 2).
//!
//! Pure: given the lines a lookup returned (or its error), decide and word
//! the outcome exactly as the go command does, SECURITY ERROR paragraphs
//! included.

use super::client::LookupError;
use super::config::GosumdbError;

/// Go's `sumdbMismatch` paragraph.
pub const SUMDB_MISMATCH: &str = "\n\nSECURITY ERROR\nThis download does NOT match the one reported by the checksum server.\nThe bits may have been replaced on the origin server, or an attacker may\nhave intercepted the download attempt.\n\nFor more information, see 'go help module-auth'.\n";

/// Go's `sumdbAbsent` paragraph (go ≥ 1.2x: a record without the h1 line
/// is an error).
pub const SUMDB_ABSENT: &str = "\n\nSECURITY ERROR\nThis download does NOT match one reported by the checksum server.\nThe checksum server has provided checksums, but the checksums do\nnot contain an entry for the download.\nThe checksum server may be malfunctioning, or an attacker may have\nintercepted the checksum request.\nThe download cannot be verified.\n\nFor more information, see 'go help module-auth'.\n";

/// What is being verified: the zip (`module`) or the go.mod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Noun {
    /// The module zip.
    Module,
    /// The go.mod file.
    GoMod,
}

impl std::fmt::Display for Noun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Noun::Module => "module",
            Noun::GoMod => "go.mod",
        })
    }
}

/// Why the checksum database did not confirm a download
/// (`<path>@<version>: verifying <noun>: ...`).
#[derive(Debug, Clone, thiserror::Error)]
pub enum SumdbCheckError {
    /// The database lists another `h1:` hash.
    #[error(
        "{path}@{version}: verifying {noun}: checksum mismatch\n\tdownloaded: {downloaded}\n\t{db}: {db_hash}{SUMDB_MISMATCH}"
    )]
    Mismatch {
        /// Module path.
        path: String,
        /// Version (without `/go.mod`).
        version: String,
        /// Zip or go.mod.
        noun: Noun,
        /// The downloaded hash.
        downloaded: String,
        /// The database name.
        db: String,
        /// The database's hash.
        db_hash: String,
    },
    /// The record has no `h1:` line for this key.
    #[error(
        "{path}@{version}: verifying {noun}: checksum missing from sumdb response{SUMDB_ABSENT}"
    )]
    Missing {
        /// Module path.
        path: String,
        /// Version (without `/go.mod`).
        version: String,
        /// Zip or go.mod.
        noun: Noun,
    },
    /// The lookup failed (network, 404, proofs, fork).
    #[error("{path}@{version}: verifying {noun}: {error}")]
    Lookup {
        /// Module path.
        path: String,
        /// Version (without `/go.mod`).
        version: String,
        /// Zip or go.mod.
        noun: Noun,
        /// The lookup error.
        #[source]
        error: Box<LookupError>,
    },
    /// GOSUMDB cannot be used.
    #[error("{path}@{version}: verifying {noun}: {error}")]
    Config {
        /// Module path.
        path: String,
        /// Version (without `/go.mod`).
        version: String,
        /// Zip or go.mod.
        noun: Noun,
        /// Why.
        #[source]
        error: GosumdbError,
    },
}

impl SumdbCheckError {
    /// The `SECURITY ERROR` text of a detected fork, if this is one.
    pub fn security_message(&self) -> Option<&str> {
        match self {
            SumdbCheckError::Lookup { error, .. } => error.security_message(),
            _ => None,
        }
    }
}

/// Splits `v1.2.3/go.mod` into (`v1.2.3`, GoMod), else (version, Module).
pub fn split_noun(version: &str) -> (&str, Noun) {
    match version.strip_suffix("/go.mod") {
        Some(v) => (v, Noun::GoMod),
        None => (version, Noun::Module),
    }
}

/// Checks hash `h` of path@version (version may end in `/go.mod`) against
/// the lines database `db` returned for it (Go's `checkSumDB` after the
/// lookup).
pub fn check_lines(
    path: &str,
    version: &str,
    h: &str,
    db: &str,
    lines: &[String],
) -> Result<(), SumdbCheckError> {
    let (bare, noun) = split_noun(version);
    let have = format!("{path} {version} {h}");
    let prefix = format!("{path} {version} h1:");
    for line in lines {
        if *line == have {
            return Ok(());
        }
        if line.starts_with(&prefix) {
            return Err(SumdbCheckError::Mismatch {
                path: path.to_owned(),
                version: bare.to_owned(),
                noun,
                downloaded: h.to_owned(),
                db: db.to_owned(),
                db_hash: line[prefix.len() - "h1:".len()..].to_owned(),
            });
        }
    }
    Err(SumdbCheckError::Missing {
        path: path.to_owned(),
        version: bare.to_owned(),
        noun,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes() {
        let lines = vec![
            "example.com/m v1.0.0 h1:AAA=".to_owned(),
            "example.com/m v1.0.0 h2:zzz".to_owned(),
        ];
        assert!(
            check_lines(
                "example.com/m",
                "v1.0.0",
                "h1:AAA=",
                "db.example.com",
                &lines
            )
            .is_ok()
        );
        let err = check_lines(
            "example.com/m",
            "v1.0.0",
            "h1:BBB=",
            "db.example.com",
            &lines,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "example.com/m@v1.0.0: verifying module: checksum mismatch\n\tdownloaded: h1:BBB=\n\tdb.example.com: h1:AAA={SUMDB_MISMATCH}"
            )
        );
        let err =
            check_lines("example.com/m", "v1.0.0/go.mod", "h1:BBB=", "db", &lines).unwrap_err();
        assert!(err.to_string().starts_with("example.com/m@v1.0.0: verifying go.mod: checksum missing from sumdb response\n\nSECURITY ERROR\n"));
    }
}
