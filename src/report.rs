//! Progress reporting as a trait, so the library never prints: the CLI's
//! indicatif display (`ui::progress`) implements it, tests use the no-op.

/// Receives progress events from downloads. Implementations must be cheap:
/// they are called from the hot path of every body chunk.
pub trait Reporter: Send + Sync {
    /// A module@version starts downloading; `size` is the body length when known.
    fn on_start(&self, _module: &str, _version: &str, _size: Option<u64>) -> usize {
        0
    }
    /// `bytes` more bytes of the body of download `id` arrived.
    fn on_progress(&self, _id: usize, _bytes: u64) {}
    /// Download `id` finished (successfully or not).
    fn on_finish(&self, _id: usize) {}
    /// The total number of modules the job expects grew to `total`.
    fn on_total(&self, _total: usize) {}
}

/// A `Reporter` that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoReporter;

impl Reporter for NoReporter {}
