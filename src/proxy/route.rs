//! `try_proxies`: walk the proxy list, fall through on not-found (or any error after `|`), rank the errors as Go does (spec/fetch-protocol.md §3).
