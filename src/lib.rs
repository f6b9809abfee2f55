//! gomodfetch: a standalone, Go-compatible Go-module fetcher.
//!
//! The crate is layered so that imports only point down (see the README's
//! architecture section):
//!
//! - pure rules, no I/O: [`module`], [`verify`], [`sumdb::note`],
//!   [`sumdb::tlog`], [`sumdb::client`], [`proxy::list`], [`proxy::protocol`],
//!   [`cache::layout`], [`net::redact`], [`net::retry`], [`report`];
//! - I/O adapters: [`net`], [`proxy::http`], [`sumdb::ops`], [`cache`],
//!   [`codehost`];
//! - orchestration: [`fetch`];
//! - the shell: [`commands`], [`ui`], [`cli`], [`settings`] and `main.rs`.

pub mod bench;
pub mod cache;
pub mod cli;
pub mod codehost;
pub mod commands;
pub mod doctor;
pub mod fetch;
pub mod graph;
pub mod mirror;
pub mod module;
pub mod net;
pub mod prewarm;
pub mod proxy;
pub mod repo;
pub mod report;
pub mod settings;
pub mod sumdb;
pub mod ui;
pub mod verify;
