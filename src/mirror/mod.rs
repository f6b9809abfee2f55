//! Air-gapped mirroring (issue 9): a GOPROXY tree plus the checksum-database
//! subtree that lets the go command verify it offline (`tree`, `proofs`),
//! what to put in it (`sources`), one run (`run`), its manifest and delta
//! (`manifest`), the offline check (`check`), and the read-only server
//! (`serve`).

pub mod check;
pub mod manifest;
pub mod proofs;
pub mod run;
pub mod serve;
pub mod sources;
pub mod tree;
