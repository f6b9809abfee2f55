//! Checksum-database lookups through a `SumdbOps` trait: proofs, the latest tree head, fork detection (x/mod sumdb/client.go).
