//! Direct mode: repositories, discovery and module zips built from source trees.

pub mod coderepo;
pub mod direct;
pub mod directrepo;
pub mod discovery;
pub mod git;
pub mod goflate;
pub mod govcs;
pub mod run;
#[cfg(test)]
pub(crate) mod testrepo;
pub mod vcs;
pub mod workdir;
pub mod zipbuild;
