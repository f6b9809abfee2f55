//! go.sum parsing, lookup, mismatch detection and canonical formatting (spec/integrity.md §2).
