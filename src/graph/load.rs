//! Loading the module graph: go.mod files are read concurrently as the graph
//! unfolds, with Go's pruning rules (modload buildlist.go `readModGraph`,
//! modfile.go `goModSummary` / `rawGoModSummary` / `summaryFromModFile`), then
//! the set `go mod download` fetches (modcmd/download.go `runDownload`).
//! Spec: spec/integrity.md §8.2–§8.5.
//!
//! The go.mod bytes of module versions come from a [`GoModSource`] (the
//! fetcher: cache, proxy, go.sum check); directory replacements are read from
//! disk here.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use tokio::task::JoinSet;

use super::mvs::{Graph, chain_message};
use super::workspace::{Replacement, Workspace, WorkspaceError};
use super::{ModuleVersion, Pruning, cmp_version, is_toolchain_path, pruning_for_go_version};
use crate::module::modfile::{self, ModFile};

/// A boxed, sendable future (what [`GoModSource::go_mod`] returns).
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Called as each go.mod is loaded (progress).
pub type OnLoaded = Box<dyn FnMut(&ModuleVersion, &Summary) + Send>;

/// Called as each module version joins the graph to be loaded, with the
/// version the graph selects for its path at that moment (for downloads
/// started ahead of selection; the selection may still rise).
pub type OnEnqueue = Box<dyn FnMut(&ModuleVersion, &str) + Send>;

/// Where go.mod files of module versions come from.
pub trait GoModSource: Send + Sync + 'static {
    /// The go.mod of `m` (a real module version, never a directory). The
    /// error is shown after `m@v: ` in Go's requirement chain.
    fn go_mod(&self, m: ModuleVersion) -> BoxFuture<Result<Vec<u8>, String>>;
}

/// The graph could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    /// A go.mod in the graph could not be read or parsed; `message` is Go's
    /// requirement chain (`a@v1 requires\n\tb@v2: reading ...`).
    #[error("{message}")]
    Load {
        module: ModuleVersion,
        message: String,
    },
}

/// What a loaded go.mod contributes (modload `modFileSummary`).
#[derive(Clone, Debug)]
pub struct Summary {
    pub module: String,
    pub go: Option<String>,
    pub require: Vec<ModuleVersion>,
    pub pruning: Pruning,
}

fn summary_from(file: &ModFile, ws: &Workspace) -> Summary {
    let require = file
        .require
        .iter()
        .map(|r| ModuleVersion::new(&r.path, &r.version))
        .filter(|r| !ws.is_excluded(r))
        .collect();
    Summary {
        module: file
            .module
            .as_ref()
            .map(|m| m.path.clone())
            .unwrap_or_default(),
        go: file.go.clone(),
        require,
        pruning: pruning_for_go_version(file.go.as_deref()),
    }
}

/// The loaded module graph and what was read to build it.
#[derive(Debug)]
pub struct LoadedGraph {
    pub graph: Graph,
    /// Every module version whose go.mod was read, with the module actually
    /// read (after replacement; `version == ""` for a directory).
    pub loaded: Vec<(ModuleVersion, ModuleVersion)>,
}

impl LoadedGraph {
    /// The build list without the main modules and the `go`/`toolchain`
    /// pseudo-modules.
    pub fn build_list(&self, ws: &Workspace) -> Vec<ModuleVersion> {
        self.graph
            .build_list()
            .into_iter()
            .filter(|m| !(m.version.is_empty() && ws.is_main(&m.path)))
            .filter(|m| !is_toolchain_path(&m.path))
            .collect()
    }
}

enum Outcome {
    Ok(Arc<Summary>),
    Err {
        actual: ModuleVersion,
        message: String,
    },
}

async fn load_summary(
    ws: Arc<Workspace>,
    source: Arc<dyn GoModSource>,
    m: ModuleVersion,
) -> Outcome {
    // A main module in workspace mode: its own go.mod.
    if m.version.is_empty()
        && let Some(main) = ws.main(&m.path)
    {
        return Outcome::Ok(Arc::new(summary_from(&main.file, &ws)));
    }
    let replacement = match ws.replacement(&m) {
        Ok(r) => r,
        Err(e) => {
            return Outcome::Err {
                actual: m.clone(),
                message: e.to_string(),
            };
        }
    };
    let (actual, name, data) = match replacement {
        Some(Replacement::Dir { dir, written }) => {
            let actual = ModuleVersion::new(written, "");
            let name: PathBuf = dir.join("go.mod");
            match tokio::fs::read(&name).await {
                Ok(data) => (actual, name.display().to_string(), data),
                Err(e) => {
                    // Go: `reading <ShortPath>: open <abs>: <errno text>`.
                    let short = name
                        .strip_prefix(ws.root())
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|_| name.display().to_string());
                    return Outcome::Err {
                        actual,
                        message: format!(
                            "reading {short}: open {}: {}",
                            name.display(),
                            go_io_error(&e)
                        ),
                    };
                }
            }
        }
        other => {
            let actual = match other {
                Some(Replacement::Module(r)) => r,
                _ => m.clone(),
            };
            match source.go_mod(actual.clone()).await {
                Ok(data) => (actual, "go.mod".to_string(), data),
                Err(message) => return Outcome::Err { actual, message },
            }
        }
    };
    let file = match modfile::parse_lax(&name, &data) {
        Ok(f) => f,
        Err(e) => {
            let short = if actual.version.is_empty() {
                name.clone()
            } else {
                "go.mod".to_string()
            };
            return Outcome::Err {
                actual,
                message: format!("parsing {short}: {e}"),
            };
        }
    };
    let summary = summary_from(&file, &ws);
    if !actual.version.is_empty() {
        if summary.module.is_empty() {
            return Outcome::Err {
                actual,
                message: "parsing go.mod: missing module line".to_string(),
            };
        }
        if summary.module != m.path && summary.module != actual.path {
            return Outcome::Err {
                actual,
                message: format!(
                    "parsing go.mod:\n\tmodule declares its path as: {}\n\t        but was required as: {}",
                    summary.module, m.path
                ),
            };
        }
    }
    Outcome::Ok(Arc::new(summary))
}

/// An io::Error as Go's `*PathError` text ends (`no such file or directory`).
fn go_io_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

struct Loader {
    ws: Arc<Workspace>,
    source: Arc<dyn GoModSource>,
    graph: Graph,
    /// (module, pruning) pairs enqueued so far (Go's `loading` map).
    enqueued: HashSet<(ModuleVersion, Pruning)>,
    /// Loaded summaries (Go's `loadCache`).
    done: HashMap<ModuleVersion, Arc<Summary>>,
    failed: HashMap<ModuleVersion, (ModuleVersion, String)>,
    /// Modules being read, with the prunings waiting for their summary.
    waiting: HashMap<ModuleVersion, Vec<Pruning>>,
    loaded: Vec<(ModuleVersion, ModuleVersion)>,
    tasks: JoinSet<(ModuleVersion, Outcome)>,
    limit: usize,
    backlog: Vec<ModuleVersion>,
    on_loaded: Option<OnLoaded>,
    on_enqueue: Option<OnEnqueue>,
}

impl Loader {
    fn enqueue(&mut self, m: ModuleVersion, pruning: Pruning) {
        if m.version == "none" || is_toolchain_path(&m.path) {
            return;
        }
        if !self.enqueued.insert((m.clone(), pruning)) {
            return;
        }
        if let Some(cb) = self.on_enqueue.as_mut() {
            cb(&m, &self.graph.selected(&m.path));
        }
        if let Some(summary) = self.done.get(&m).cloned() {
            self.graph.require(&m, summary.require.clone());
            self.visit(&summary, pruning);
            return;
        }
        if self.failed.contains_key(&m) {
            return;
        }
        if let Some(w) = self.waiting.get_mut(&m) {
            w.push(pruning);
            return;
        }
        self.waiting.insert(m.clone(), vec![pruning]);
        self.backlog.push(m);
        self.spawn_some();
    }

    fn spawn_some(&mut self) {
        while self.tasks.len() < self.limit {
            let Some(m) = self.backlog.pop() else { break };
            let ws = self.ws.clone();
            let source = self.source.clone();
            self.tasks.spawn(async move {
                let out = load_summary(ws, source, m.clone()).await;
                (m, out)
            });
        }
    }

    /// The children of a loaded module, by Go's pruning rule.
    fn visit(&mut self, summary: &Summary, pruning: Pruning) {
        let next = if pruning == Pruning::Unpruned {
            Pruning::Unpruned
        } else {
            summary.pruning
        };
        if pruning != Pruning::Pruned || summary.pruning == Pruning::Unpruned {
            for r in summary.require.clone() {
                self.enqueue(r, next);
            }
        }
    }

    fn finish(&mut self, m: ModuleVersion, out: Outcome) {
        let prunings = self.waiting.remove(&m).unwrap_or_default();
        match out {
            Outcome::Ok(summary) => {
                self.graph.require(&m, summary.require.clone());
                let actual = match self.ws.replacement(&m) {
                    Ok(Some(Replacement::Module(r))) => r,
                    Ok(Some(Replacement::Dir { written, .. })) => ModuleVersion::new(written, ""),
                    _ => m.clone(),
                };
                self.loaded.push((m.clone(), actual));
                if let Some(cb) = self.on_loaded.as_mut() {
                    cb(&m, &summary);
                }
                self.done.insert(m, summary.clone());
                for p in prunings {
                    self.visit(&summary, p);
                }
            }
            Outcome::Err { actual, message } => {
                self.failed.insert(m, (actual, message));
            }
        }
    }

    async fn idle(&mut self) {
        while let Some(joined) = self.tasks.join_next().await {
            if let Ok((m, out)) = joined {
                self.finish(m, out);
            }
            self.spawn_some();
        }
    }
}

/// Options for [`load_graph`].
pub struct LoadOptions {
    /// How many go.mod files may be read at once.
    pub concurrency: usize,
    /// Called as each go.mod is loaded (for progress).
    pub on_loaded: Option<OnLoaded>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            concurrency: 64,
            on_loaded: None,
        }
    }
}

/// modload `readModGraph` for the workspace's main module(s): pruned when the
/// main go.mod says go >= 1.17, unpruned below, `workspace` pruning in
/// workspace mode. Fails when any go.mod of the graph could not be loaded.
pub async fn load_graph(
    ws: Arc<Workspace>,
    source: Arc<dyn GoModSource>,
    options: LoadOptions,
) -> Result<LoadedGraph, GraphError> {
    let partial = load_graph_partial(ws, source, options, None).await;
    match partial.error {
        Some(e) => Err(e),
        None => Ok(partial.graph),
    }
}

/// A graph loaded as far as it could be (modload `expandGraph` returns the
/// partial graph beside its error): the modules whose go.mod failed are in
/// it, selected, without requirements.
#[derive(Debug)]
pub struct PartialGraph {
    pub graph: LoadedGraph,
    /// Go's graph error: the requirement chain to the first (breadth-first)
    /// module whose go.mod could not be loaded (`mvs.BuildListError`).
    pub error: Option<GraphError>,
}

/// [`load_graph`], keeping what loaded when some go.mod fails (`go mod
/// download all` downloads the partial build list, then reports the graph
/// error), with `on_enqueue` seeing each module version as it is queued.
pub async fn load_graph_partial(
    ws: Arc<Workspace>,
    source: Arc<dyn GoModSource>,
    options: LoadOptions,
    on_enqueue: Option<OnEnqueue>,
) -> PartialGraph {
    let mains: Vec<ModuleVersion> = ws
        .mains
        .iter()
        .map(|m| ModuleVersion::new(&m.path, ""))
        .collect();
    let workspace_mode = ws.is_workspace();
    let mut loader = Loader {
        ws: ws.clone(),
        source,
        graph: Graph::new(mains.clone()),
        enqueued: HashSet::new(),
        done: HashMap::new(),
        failed: HashMap::new(),
        waiting: HashMap::new(),
        loaded: Vec::new(),
        tasks: JoinSet::new(),
        limit: options.concurrency.max(1),
        backlog: Vec::new(),
        on_loaded: options.on_loaded,
        on_enqueue,
    };

    if workspace_mode {
        for m in &mains {
            loader.enqueue(m.clone(), Pruning::Workspace);
        }
        loader.idle().await;
        // Reload dependencies of the main modules that are not at their
        // selected versions (readModGraph's workspace loop).
        let mut has_deps_in_all: Vec<String> = mains.iter().map(|m| m.path.clone()).collect();
        let mut seen: HashSet<ModuleVersion> = HashSet::new();
        loop {
            let mut needs: Vec<ModuleVersion> = Vec::new();
            for p in &has_deps_in_all {
                let m = ModuleVersion::new(p, loader.graph.selected(p));
                if !seen.contains(&m) {
                    needs.push(m);
                    continue;
                }
                if let Some(reqs) = loader.graph.required_by(&m) {
                    for r in reqs {
                        let s = ModuleVersion::new(&r.path, loader.graph.selected(&r.path));
                        if cmp_version(&r.path, &s.version, &r.version).is_gt()
                            && !seen.contains(&s)
                        {
                            needs.push(s);
                        }
                    }
                }
            }
            needs.sort();
            needs.dedup();
            if needs.is_empty() {
                break;
            }
            for m in needs {
                seen.insert(m.clone());
                if !has_deps_in_all.contains(&m.path) {
                    has_deps_in_all.push(m.path.clone());
                }
                loader.enqueue(m, Pruning::Workspace);
            }
            loader.idle().await;
        }
    } else {
        let main = &ws.mains[0];
        let pruning = pruning_for_go_version(main.file.go.as_deref());
        let mut roots: Vec<ModuleVersion> = Vec::new();
        for r in &main.file.require {
            let m = ModuleVersion::new(&r.path, &r.version);
            if ws.is_excluded(&m) {
                continue;
            }
            roots.push(m);
        }
        // `go mod download` runs with -mod=mod: roots not at their selected
        // version are raised and the graph reloaded until it is consistent
        // (modload `expandGraph` / `updatePrunedRoots`).
        loop {
            loader.graph = Graph::new(mains.clone());
            loader.enqueued.clear();
            loader.graph.require(&mains[0], roots.clone());
            for r in roots.clone() {
                loader.enqueue(r, pruning);
            }
            loader.idle().await;
            if !loader.failed.is_empty() || pruning != Pruning::Pruned {
                break;
            }
            let mut next: Vec<ModuleVersion> = Vec::new();
            let mut seen_paths: HashSet<String> = HashSet::new();
            for r in &roots {
                if ws.is_main(&r.path) || !seen_paths.insert(r.path.clone()) {
                    continue;
                }
                next.push(ModuleVersion::new(&r.path, loader.graph.selected(&r.path)));
            }
            if next == roots {
                break;
            }
            roots = next;
        }
    }

    let mut error = None;
    if !loader.failed.is_empty() {
        let failed = &loader.failed;
        let stack = loader
            .graph
            .find_path(|m| failed.contains_key(m))
            .unwrap_or_default();
        let (module, (actual, cause)) = match stack.last().and_then(|m| failed.get_key_value(m)) {
            Some((m, v)) => (m.clone(), v.clone()),
            None => {
                let mut all: Vec<_> = failed.iter().collect();
                all.sort_by(|a, b| a.0.cmp(b.0));
                let (m, v) = all[0];
                (m.clone(), v.clone())
            }
        };
        let stack = if stack.is_empty() {
            vec![module.clone()]
        } else {
            stack
        };
        let message = chain_message(&stack, Some(&actual), &cause);
        error = Some(GraphError::Load { module, message });
    }

    PartialGraph {
        graph: LoadedGraph {
            graph: loader.graph,
            loaded: loader.loaded,
        },
        error,
    }
}

/// One module `go mod download` fetches: as required, and as fetched (after
/// a module replacement).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadTarget {
    pub module: ModuleVersion,
    pub actual: ModuleVersion,
}

/// Whether `gomodfetch download` (no arguments) downloads the whole build
/// list (`all`) or only the main go.mod's requirements (modcmd `runDownload`).
pub fn no_args_means_all(ws: &Workspace) -> bool {
    if ws.is_workspace() {
        return true;
    }
    let main = &ws.mains[0];
    pruning_for_go_version(main.file.go.as_deref()) == Pruning::Unpruned
}

/// The modules `go mod download` fetches: with `all`, every module of the
/// build list; otherwise (main go.mod at go >= 1.17) the selected version of
/// each path the main go.mod requires. Replacements applied; main modules,
/// directory replacements and the `go`/`toolchain` pseudo-modules skipped.
/// Sorted as `go mod download` lists them (by path).
pub fn download_set(
    ws: &Workspace,
    loaded: &LoadedGraph,
    all: bool,
) -> Result<Vec<DownloadTarget>, GraphError> {
    let mods: Vec<ModuleVersion> = if all || no_args_means_all(ws) {
        loaded.build_list(ws)
    } else {
        let mut seen = HashSet::new();
        ws.mains[0]
            .file
            .require
            .iter()
            .filter(|r| seen.insert(r.path.clone()))
            .map(|r| ModuleVersion::new(&r.path, loaded.graph.selected(&r.path)))
            .filter(|m| m.version != "none" && !is_toolchain_path(&m.path))
            .collect()
    };
    let mut out = Vec::new();
    for m in mods {
        if ws.is_main(&m.path) && m.version.is_empty() {
            continue;
        }
        let actual = match ws.replacement(&m)? {
            Some(Replacement::Dir { .. }) => continue,
            Some(Replacement::Module(r)) => r,
            None => m.clone(),
        };
        out.push(DownloadTarget { module: m, actual });
    }
    Ok(out)
}

/// True when the main module has no requirements at all (`go: no module
/// dependencies to download`).
pub fn has_no_requirements(ws: &Workspace) -> bool {
    !ws.is_workspace() && ws.mains[0].file.require.is_empty()
}
