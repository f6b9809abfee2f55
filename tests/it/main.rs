//! The one integration-test binary: runs the real `gomodfetch` against
//! loopback servers, and the real `go` command where it is on PATH.

mod bench;
mod cli;
mod direct;
mod doctor;
mod download;
mod download_gaps;
mod download_inmodule;
mod goflate;
mod hash;
mod live;
mod mirror;
mod module_oracle;
mod prewarm;
mod provenance;
mod serve;
mod sumdb;
mod sumdb_vectors;
mod support;
mod tls;
