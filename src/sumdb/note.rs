//! Signed notes: verifier keys, ed25519 signatures (x/mod sumdb/note, spec/integrity.md §5.3).
