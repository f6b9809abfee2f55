//! Go's documented defaults (default GOPROXY list, default GOSUMDB name and verifier key). The only file allowed to name a public host.

/// The FAQ entry the go command points to when git cannot read a username
/// (a private repository over HTTPS): codehost/git.go's `loadRefs` hint.
pub const GIT_HTTPS_FAQ: &str = "https://golang.org/doc/faq#git_https";
