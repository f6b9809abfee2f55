//! GOPROXY string into a list of `ProxySpec` (spec/fetch-protocol.md §2).
