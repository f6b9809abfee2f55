//! Every GOMODCACHE path (spec/fetch-protocol.md §8.1).
