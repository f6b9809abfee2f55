//! `?go-get=1` discovery and the static table of known hosts (spec/fetch-protocol.md §9).
