//! Pre-warming a module cache from go.mod / go.work: `gomodfetch download`
//! with no module arguments (or with `all`) inside a module or workspace
//! fetches exactly what `go mod download [all]` fetches (modcmd/download.go
//! `runDownload`; spec/integrity.md §8.4–§8.5), with more in flight.
//!
//! The go.mod files of the graph are read concurrently as the graph unfolds
//! ([`crate::graph::load`]); the modules' zips are fetched as soon as the
//! graph has fixed their selected versions (for go >= 1.17 main modules the
//! graph is shallow: roots plus unpruned closures). Both go through
//! pluggable sources so this file stays free of network code: the command
//! wires in the fetcher.

use std::sync::Arc;

use futures_util::StreamExt;

use crate::graph::load::{
    self, BoxFuture, DownloadTarget, GoModSource, GraphError, LoadOptions, OnLoaded,
};
use crate::graph::workspace::Workspace;

/// Downloads one module version (`.info`, `.mod`, zip, extraction) and
/// reports it in the caller's terms.
pub trait ModuleDownloader: Send + Sync + 'static {
    type Output: Send + 'static;
    fn download(&self, target: DownloadTarget) -> BoxFuture<Self::Output>;
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
        });
    }
    let graph = load::load_graph(
        ws.clone(),
        source,
        LoadOptions {
            concurrency: options.graph_jobs,
            on_loaded,
        },
    )
    .await?;
    let targets = load::download_set(&ws, &graph, options.all)?;
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
    Ok(Prewarmed {
        no_dependencies: false,
        graph_modules: graph.loaded.len(),
        results,
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
