//! `gomodfetch bench`: drives the proxy protocol (spec/fetch-protocol.md §7)
//! against one or more proxies and measures what they sustain. Open loop at a
//! fixed rate (latency from the *scheduled* send time, so a stalled server
//! cannot hide its stall: no coordinated omission) or closed loop with N
//! workers. Bodies are read fully and checked; nothing is ever written to a
//! module cache. The library never prints: the command renders the results.
//!
//! - [`workload`]: module versions to request (file, go.mod, mirror tree);
//! - [`plan`]: endpoints, request URLs (escaping, §7.1/§7.2);
//! - [`stats`]: HDR histograms, error classes, merging;
//! - [`runner`]: the send loops, the checks of each body;
//! - `conn`: the lean HTTP/1.1 and HTTP/2 hot path over hyper;
//! - [`report`]: the stable `--json` schema and the text table.

mod conn;
pub mod plan;
pub mod report;
pub mod runner;
pub mod stats;
pub mod workload;
