//! The indicatif implementation of `Reporter`: one bar for the whole job
//! (modules done/total, bytes and rate) plus the modules in flight. Only
//! created when stderr is a terminal (`Printer::wants_progress`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::report::Reporter;

/// The live display of one download job.
pub struct Progress {
    bar: ProgressBar,
    next_id: AtomicUsize,
    in_flight: Mutex<HashMap<usize, String>>,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    pub fn new() -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {pos}/{len} modules  {msg}  [{elapsed_precise}]",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Self {
            bar,
            next_id: AtomicUsize::new(1),
            in_flight: Mutex::default(),
        }
    }

    /// One module (resolved and downloaded, or failed) is done.
    pub fn module_done(&self) {
        self.bar.inc(1);
    }

    /// Clears the display.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    fn refresh(&self, map: &HashMap<usize, String>) {
        let mut names: Vec<&String> = map.values().collect();
        names.sort();
        let shown: Vec<&str> = names.iter().take(3).map(|s| s.as_str()).collect();
        let more = map.len().saturating_sub(shown.len());
        let mut msg = shown.join(", ");
        if more > 0 {
            msg.push_str(&format!(" +{more}"));
        }
        self.bar.set_message(msg);
    }
}

impl Reporter for Progress {
    fn on_start(&self, module: &str, version: &str, _size: Option<u64>) -> usize {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut map = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(id, format!("{module}@{version}"));
        self.refresh(&map);
        id
    }

    fn on_progress(&self, _id: usize, _bytes: u64) {}

    fn on_finish(&self, id: usize) {
        let mut map = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&id);
        self.refresh(&map);
    }

    fn on_total(&self, total: usize) {
        self.bar.set_length(total as u64);
    }
}
