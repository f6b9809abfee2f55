//! `gomodfetch hash` and the pure zip/h1 core behind it: Go's vectors
//! (hash/vectors.rs), a fuzz target (hash/fuzz.rs), and the binary on good
//! and bad inputs, cross-checked with the real `go` where it is on PATH.

mod txtar;
mod vectors;
