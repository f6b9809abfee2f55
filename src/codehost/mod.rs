//! Direct mode: repositories, discovery and module zips built from source trees.

pub mod discovery;
pub mod git;
pub mod zipbuild;
