//! Proxy protocol URLs (`@v/list`, `.info`, `.mod`, `.zip`, `@latest`) and response parsing (spec/fetch-protocol.md §7).
