//! Resolved configuration: `Settings` built once from the CLI, the `Env`
//! snapshot and Go's defaults (spec/fetch-protocol.md §1), with the precedence
//! written where it is resolved.

pub mod defaults;
pub mod env;
pub mod goflags;
