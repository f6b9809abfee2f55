//! Go's documented defaults (default GOPROXY list, default GOSUMDB name and verifier key). The only file allowed to name a public host.
