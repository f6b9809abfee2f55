//! Transparency log: record hashes, tiles, inclusion and consistency proofs (x/mod sumdb/tlog, spec/integrity.md §5.4-5.11).
