//! `SumdbOps` over HTTP and the on-disk caches shared with the go command (spec/fetch-protocol.md §5, §8.10).
