//! Air-gapped mirroring (issue 9): a GOPROXY tree plus the checksum-database
//! subtree that lets the go command verify it offline, its manifest and
//! checks, and the read-only server for it.

pub mod serve;
