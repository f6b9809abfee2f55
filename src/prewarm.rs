//! Pre-warming a module cache from go.mod / go.work: `gomodfetch download`
//! with no module arguments (or with `all`) inside a module or workspace
//! fetches exactly what `go mod download [all]` fetches (modcmd/download.go
//! `runDownload`; spec/integrity.md §8.4–§8.5), with more in flight.
//!
//! The go.mod files of the graph are read concurrently as the graph unfolds
//! ([`crate::graph::load`]). Zips start before the graph is complete: each
//! module version the graph queues that is, at that moment, the selected
//! version of a path `go mod download` will fetch is handed to
//! [`ModuleDownloader::speculate`] (in a tidy go >= 1.17 module every main
//! requirement is already its selected version), which fetches it privately.
//! Once MVS has run, the download of each selected version claims and
//! commits its speculation; the others are discarded without a trace, so the
//! cache ends up exactly as go leaves it. Both go through pluggable sources
//! so this file stays free of network code: the command wires in the fetcher.
//!
//! When the download set is the build list (`all`, go < 1.17, workspaces) a
//! graph that fails to load still yields the modules it reached, downloaded
//! one by one, and the graph error after them, as `go mod download` does.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures_util::StreamExt;

use crate::graph::load::{
    self, BoxFuture, DownloadTarget, GoModSource, GraphError, LoadOptions, OnEnqueue, OnLoaded,
};
use crate::graph::workspace::{Replacement, Workspace};
use crate::graph::{ModuleVersion, is_toolchain_path};

/// Downloads one module version (`.info`, `.mod`, zip, extraction) and
/// reports it in the caller's terms.
pub trait ModuleDownloader: Send + Sync + 'static {
    type Output: Send + 'static;
    fn download(&self, target: DownloadTarget) -> BoxFuture<Self::Output>;
    /// Starts fetching `target` ahead of need while the graph loads: it is
    /// probably, not certainly, going to be selected. Nothing of it may
    /// become visible before [`ModuleDownloader::download`] of the same
    /// target claims it. Default: nothing.
    fn speculate(&self, _target: &DownloadTarget) {}
    /// Stops the speculation of `target` (a higher version was selected).
    fn abandon(&self, _target: &DownloadTarget) {}
    /// Stops every speculation not in `keep` and resolves once they have
    /// left no trace.
    fn discard(&self, _keep: &[DownloadTarget]) -> BoxFuture<()> {
        Box::pin(async {})
    }
}

/// How many versions of one path may be speculated on (each a raise of the
/// one before) before its download waits for the final selection.
const SPECULATIONS_PER_PATH: u32 = 3;

/// Decides which queued module versions to fetch ahead (see the module
/// docs): the currently selected version of a path that will be downloaded,
/// replacements applied, main modules and directories skipped.
struct Speculator<D: ModuleDownloader> {
    ws: Arc<Workspace>,
    downloader: Arc<D>,
    /// The paths downloaded; `None`: every path of the build list.
    paths: Option<HashSet<String>>,
    /// Per path: the target speculated on last, and how many so far.
    started: HashMap<String, (DownloadTarget, u32)>,
}

impl<D: ModuleDownloader> Speculator<D> {
    fn on_enqueue(&mut self, m: &ModuleVersion, selected: &str) {
        if m.version.is_empty()
            || m.version != selected
            || is_toolchain_path(&m.path)
            || self.ws.is_main(&m.path)
            || self.paths.as_ref().is_some_and(|p| !p.contains(&m.path))
        {
            return;
        }
        if let Some((prev, n)) = self.started.get(&m.path)
            && (prev.module == *m || *n >= SPECULATIONS_PER_PATH)
        {
            return;
        }
        let actual = match self.ws.replacement(m) {
            Ok(None) => m.clone(),
            Ok(Some(Replacement::Module(r))) => r,
            Ok(Some(Replacement::Dir { .. })) | Err(_) => return,
        };
        let target = DownloadTarget {
            module: m.clone(),
            actual,
        };
        self.downloader.speculate(&target);
        let n = match self.started.remove(&m.path) {
            Some((prev, n)) => {
                if prev.actual != target.actual {
                    self.downloader.abandon(&prev);
                }
                n + 1
            }
            None => 1,
        };
        self.started.insert(m.path.clone(), (target, n));
    }
}

/// How to pre-warm.
#[derive(Clone, Debug)]
pub struct Options {
    /// `gomodfetch download all`: the whole build list.
    pub all: bool,
    /// Module downloads in flight at once.
    pub jobs: usize,
    /// go.mod reads in flight at once while the graph loads.
    pub graph_jobs: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            all: false,
            jobs: 32,
            graph_jobs: 64,
        }
    }
}

/// What a pre-warm did.
pub struct Prewarmed<T> {
    /// Nothing to download: the main module has no requirements (`go: no
    /// module dependencies to download`).
    pub no_dependencies: bool,
    /// How many go.mod files the graph read.
    pub graph_modules: usize,
    /// One entry per module, in `go mod download`'s order.
    pub results: Vec<(DownloadTarget, T)>,
    /// The graph could not be loaded completely, but the download set is
    /// the build list: `results` covers the modules it reached and this is
    /// the error `go mod download` reports after them.
    pub graph_error: Option<GraphError>,
}

/// Loads the graph of `ws` and downloads the modules `go mod download
/// [all]` would. `on_loaded` sees each go.mod as it is read, `on_targets`
/// the download list once it is known (both for progress).
pub async fn prewarm<D: ModuleDownloader>(
    ws: Arc<Workspace>,
    source: Arc<dyn GoModSource>,
    downloader: Arc<D>,
    options: &Options,
    on_loaded: Option<OnLoaded>,
    on_targets: Option<Box<dyn FnOnce(usize) + Send>>,
) -> Result<Prewarmed<D::Output>, GraphError> {
    if !options.all && load::has_no_requirements(&ws) {
        return Ok(Prewarmed {
            no_dependencies: true,
            graph_modules: 0,
            results: Vec::new(),
            graph_error: None,
        });
    }
    let whole_build_list = options.all || load::no_args_means_all(&ws);
    let paths = (!whole_build_list).then(|| {
        ws.mains[0]
            .file
            .require
            .iter()
            .map(|r| r.path.clone())
            .collect::<HashSet<String>>()
    });
    let mut speculator = Speculator {
        ws: ws.clone(),
        downloader: downloader.clone(),
        paths,
        started: HashMap::new(),
    };
    let on_enqueue: OnEnqueue =
        Box::new(move |m: &ModuleVersion, selected: &str| speculator.on_enqueue(m, selected));
    let partial = load::load_graph_partial(
        ws.clone(),
        source,
        LoadOptions {
            concurrency: options.graph_jobs,
            on_loaded,
        },
        Some(on_enqueue),
    )
    .await;
    let (graph, graph_error) = match partial.error {
        // modcmd `runDownload`: with explicit module paths (go >= 1.17, no
        // `all`) the graph must load; with `all` the build list reached is
        // downloaded and the error reported after it.
        Some(e) if !whole_build_list => {
            downloader.discard(&[]).await;
            return Err(e);
        }
        error => (partial.graph, error),
    };
    let targets = match load::download_set(&ws, &graph, options.all) {
        Ok(t) => t,
        Err(e) => {
            downloader.discard(&[]).await;
            return Err(e);
        }
    };
    downloader.discard(&targets).await;
    if let Some(cb) = on_targets {
        cb(targets.len());
    }
    let results: Vec<(DownloadTarget, D::Output)> = futures_util::stream::iter(targets)
        .map(|t| {
            let d = downloader.clone();
            async move {
                let out = d.download(t.clone()).await;
                (t, out)
            }
        })
        .buffered(options.jobs.max(1))
        .collect()
        .await;
    downloader.discard(&[]).await;
    Ok(Prewarmed {
        no_dependencies: false,
        graph_modules: graph.loaded.len(),
        results,
        graph_error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::ModuleVersion;
    use std::sync::Mutex;

    struct Src;
    impl GoModSource for Src {
        fn go_mod(&self, m: ModuleVersion) -> BoxFuture<Result<Vec<u8>, String>> {
            let text = match m.path.as_str() {
                "example.com/a" => "module example.com/a\ngo 1.17\nrequire example.com/b v1.0.0\n",
                _ => "module example.com/b\ngo 1.17\n",
            };
            Box::pin(async move { Ok(text.as_bytes().to_vec()) })
        }
    }

    struct Dl(Mutex<Vec<String>>);
    impl ModuleDownloader for Dl {
        type Output = String;
        fn download(&self, t: DownloadTarget) -> BoxFuture<String> {
            let s = t.actual.to_string();
            if let Ok(mut v) = self.0.lock() {
                v.push(s.clone());
            }
            Box::pin(async move { s })
        }
    }

    #[tokio::test]
    async fn downloads_the_set_in_order_and_reports_no_dependencies() {
        let dir = tempfile::tempdir().unwrap();
        let gomod = dir.path().join("go.mod");
        std::fs::write(
            &gomod,
            "module example.com/m\ngo 1.17\nrequire example.com/a v1.0.0\n",
        )
        .unwrap();
        let ws = Arc::new(Workspace::from_go_mod(&gomod).unwrap());
        let dl = Arc::new(Dl(Mutex::new(Vec::new())));
        let mut opts = Options::default();
        let out = prewarm(ws.clone(), Arc::new(Src), dl.clone(), &opts, None, None)
            .await
            .unwrap();
        let got: Vec<String> = out.results.into_iter().map(|(_, s)| s).collect();
        assert_eq!(got, vec!["example.com/a@v1.0.0"]);
        assert_eq!(out.graph_modules, 1);
        opts.all = true;
        let out = prewarm(ws, Arc::new(Src), dl, &opts, None, None)
            .await
            .unwrap();
        let got: Vec<String> = out.results.into_iter().map(|(_, s)| s).collect();
        assert_eq!(got, vec!["example.com/a@v1.0.0", "example.com/b@v1.0.0"]);

        std::fs::write(&gomod, "module example.com/m\ngo 1.17\n").unwrap();
        let ws = Arc::new(Workspace::from_go_mod(&gomod).unwrap());
        let dl = Arc::new(Dl(Mutex::new(Vec::new())));
        let out = prewarm(ws, Arc::new(Src), dl, &Options::default(), None, None)
            .await
            .unwrap();
        assert!(out.no_dependencies && out.results.is_empty());
    }
}
