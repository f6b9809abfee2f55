//! Go's documented defaults: the default GOPROXY list, the default GOSUMDB
//! name and its verifier key. This is the ONLY file allowed to name a public
//! host (scripts/check-hosts enforces it).
//!
//! These apply only when neither the environment, the `go env -w` file nor
//! `$GOROOT/go.env` gives a value (spec/fetch-protocol.md §1.1): since Go 1.21
//! the go command itself compiles in the empty string and relies on go.env,
//! but a standalone tool may run where no Go toolchain is installed.

/// `go env GOPROXY` on a fresh install: Go's module mirror, then `direct`.
pub const GOPROXY: &str = "https://proxy.golang.org,direct";

/// `go env GOSUMDB` on a fresh install: the name of Go's checksum database.
pub const GOSUMDB: &str = "sum.golang.org";

/// The verifier key Go compiles in for [`GOSUMDB`] (x/mod sumdb `knownGOSUMDB`).
pub const GOSUMDB_KEY: &str =
    "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";

/// A name Go rewrites to [`GOSUMDB`] served from that host (modfetch/sumdb.go `dbDial`).
pub const GOSUMDB_ALIASES: &[&str] = &["sum.golang.google.cn"];

/// The FAQ entry the go command points to when git cannot read a username
/// (a private repository over HTTPS): codehost/git.go's `loadRefs` hint.
pub const GIT_HTTPS_FAQ: &str = "https://golang.org/doc/faq#git_https";
