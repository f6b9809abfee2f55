//! `gomodfetch download ARGS` inside a module or workspace: each argument is
//! resolved against the main modules' build list, as `go mod download`
//! resolves it (cmd/go/internal/modcmd/download.go `runDownload`,
//! modload/list.go `listModules`, modload/build.go `moduleInfo`):
//!
//! - `m` (no version): `m` at its selected version, replacement applied
//!   (`module m: not a known dependency` when the build list has no `m`);
//! - `m@upgrade`, `m@patch`: the query relative to the selected version
//!   (modload/query.go `newQueryMatcher`), any other `m@q` as outside a
//!   module (with the main modules' exclusions); no replacement;
//! - a pattern with `...`: every build-list module whose path matches
//!   (modules matched by an earlier pattern are not repeated; `warning:
//!   pattern "p" matched no module dependencies` when none is left);
//! - the main module itself (`m`, `m@upgrade`, `m@patch`): nothing, after
//!   `go: skipping download of ARG that resolves to the main module`.
//!
//! The full module graph is loaded only when go loads it: when some
//! argument is a pattern, or names (bare, `@upgrade`, `@patch`) a path that
//! is not a root requirement, or the main go.mod is unpruned (go < 1.17).
//! Otherwise the root requirements of go.mod answer, and no other go.mod is
//! read. A graph that fails to load still answers from the modules it
//! reached; its error is reported after the results (as go's `infosErr`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::commands::download::{ModuleJson, fill};
use crate::fetch::Fetcher;
use crate::graph::load::{GoModSource, LoadOptions};
use crate::graph::workspace::{Replacement, Workspace};
use crate::graph::{
    ModuleVersion, Pruning, cmp_version, is_toolchain_path, pruning_for_go_version,
};

/// One result to produce, in argument order.
#[derive(Debug)]
pub enum Job {
    /// An argument outside a module (`path@query`, as given).
    Arg(String),
    /// `path@query`, with `current` the version the build list selects for
    /// `path` (`""` or `none`: none) and the versions of `path` the main
    /// modules exclude.
    Query {
        path: String,
        query: String,
        current: String,
        excluded: Vec<String>,
    },
    /// A build-list module at its selected version (replacement applied):
    /// downloaded and reported without Query or Origin.
    Module(ModuleVersion),
    /// An argument that resolved to an error (reported like a failed module).
    Failed(Box<ModuleJson>),
}

/// What the arguments resolved to.
#[derive(Debug, Default)]
pub struct Plan {
    pub jobs: Vec<Job>,
    /// stderr lines to print before any result, complete (`go: skipping
    /// download of ...`, `warning: pattern ...`), in go's order.
    pub notes: Vec<String>,
    /// The graph could not be loaded completely (`go: <error>` after the
    /// results; exit 1).
    pub graph_error: Option<String>,
    /// How many go.mod files the graph read (0: the roots answered).
    pub graph_modules: usize,
}

/// pkgpattern `MatchPattern` for module paths: `...` matches any string
/// (slashes included), and a trailing `/...` also matches the path before
/// it (`x/...` matches `x`). Go's special case for `vendor` elements is left
/// out: module paths do not contain them.
pub fn match_pattern(pattern: &str, name: &str) -> bool {
    if let Some(base) = pattern.strip_suffix("/...")
        && glob(base, name)
    {
        return true;
    }
    glob(pattern, name)
}

fn glob(pattern: &str, name: &str) -> bool {
    let pieces: Vec<&str> = pattern.split("...").collect();
    let [first, middle @ .., last] = pieces.as_slice() else {
        return pattern == name;
    };
    if pieces.len() == 1 {
        return pattern == name;
    }
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    for piece in middle {
        match rest.find(piece) {
            Some(i) => rest = &rest[i + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The root requirements' versions (modload `Requirements.rootSelected`):
/// main modules at `""`; outside workspace mode, each path the main go.mod
/// requires (not excluded) at its highest required version.
fn root_versions(ws: &Workspace) -> HashMap<String, String> {
    let mut roots: HashMap<String, String> = ws
        .mains
        .iter()
        .map(|m| (m.path.clone(), String::new()))
        .collect();
    if ws.is_workspace() {
        return roots;
    }
    for r in &ws.mains[0].file.require {
        let m = ModuleVersion::new(&r.path, &r.version);
        if ws.is_excluded(&m) || ws.is_main(&r.path) {
            continue;
        }
        let v = roots
            .entry(m.path.clone())
            .or_insert_with(|| m.version.clone());
        if cmp_version(&m.path, &m.version, v).is_gt() {
            *v = m.version;
        }
    }
    roots
}

fn pruning(ws: &Workspace) -> Pruning {
    if ws.is_workspace() {
        Pruning::Workspace
    } else {
        pruning_for_go_version(ws.mains[0].file.go.as_deref())
    }
}

/// Whether `listModules` loads the full module graph for `args`.
fn needs_full_graph(ws: &Workspace, roots: &HashMap<String, String>, args: &[String]) -> bool {
    let unpruned = pruning(ws) == Pruning::Unpruned;
    args.iter().any(|arg| {
        if arg == "all" || arg.contains("...") {
            return true;
        }
        match arg.split_once('@') {
            Some((path, vers)) => {
                (vers == "upgrade" || vers == "patch") && (unpruned || !roots.contains_key(path))
            }
            None => unpruned || !roots.contains_key(arg.as_str()),
        }
    })
}

/// A build-list module as `moduleInfo` reports it for download: `None` for
/// a main module or a directory replacement (nothing to download).
fn build_list_job(ws: &Workspace, m: ModuleVersion) -> Result<Option<Job>, String> {
    if m.version.is_empty() && ws.is_main(&m.path) {
        return Ok(None);
    }
    match ws.replacement(&m).map_err(|e| e.to_string())? {
        None => Ok(Some(Job::Module(m))),
        Some(Replacement::Module(r)) => Ok(Some(Job::Module(r))),
        Some(Replacement::Dir { .. }) => Ok(None),
    }
}

/// Resolves `args` (already checked by `fatal_argument`) against the build
/// list of `ws`, reading go.mod files through `source` when the full graph
/// is needed. `Err`: a fatal error (`go: <message>`, exit 1, no results).
pub async fn plan(
    ws: Arc<Workspace>,
    source: Arc<dyn GoModSource>,
    args: &[String],
    graph_jobs: usize,
) -> Result<Plan, String> {
    let mut plan = Plan::default();
    for main in &ws.mains {
        for arg in args {
            let vers = arg.strip_prefix(main.path.as_str());
            if matches!(vers, Some("" | "@upgrade" | "@patch")) {
                plan.notes.push(format!(
                    "gomodfetch: skipping download of {arg} that resolves to the main module"
                ));
            }
        }
    }
    let roots = root_versions(&ws);
    let graph = if needs_full_graph(&ws, &roots, args) {
        let partial = crate::graph::load::load_graph_partial(
            ws.clone(),
            source,
            LoadOptions {
                concurrency: graph_jobs.max(1),
                on_loaded: None,
            },
            None,
        )
        .await;
        plan.graph_error = partial.error.map(|e| e.to_string());
        plan.graph_modules = partial.graph.loaded.len();
        Some(partial.graph)
    } else {
        None
    };
    let selected = |path: &str| -> String {
        match &graph {
            Some(g) => g.graph.selected(path),
            None => roots.get(path).cloned().unwrap_or_default(),
        }
    };
    let incomplete = plan.graph_error.is_some();
    let mut matched: HashSet<ModuleVersion> = HashSet::new();
    for arg in args {
        if let Some((path, query)) = arg.split_once('@') {
            let current = selected(path);
            let relative = query == "upgrade" || query == "patch";
            if relative && current == "none" && incomplete {
                // The graph is incomplete: go cannot tell what to upgrade from.
                continue;
            }
            if relative && ws.is_main(path) {
                continue;
            }
            let excluded = ws.excluded_versions(path);
            plan.jobs.push(Job::Query {
                path: path.to_string(),
                query: query.to_string(),
                current,
                excluded,
            });
            continue;
        }
        if arg == "all" || arg.contains("...") {
            let list = graph
                .as_ref()
                .map(|g| g.graph.build_list())
                .unwrap_or_default();
            let mut matches = Vec::new();
            for m in list {
                let hit = if arg == "all" {
                    !is_toolchain_path(&m.path)
                } else {
                    match_pattern(arg, &m.path) && !is_toolchain_path(&m.path)
                };
                if hit && matched.insert(m.clone()) {
                    matches.push(m);
                }
            }
            if matches.is_empty() {
                plan.notes.push(format!(
                    "warning: pattern {} matched no module dependencies",
                    crate::module::path::go_quote(arg)
                ));
            }
            for m in matches {
                if let Some(job) = build_list_job(&ws, m)? {
                    plan.jobs.push(job);
                }
            }
            continue;
        }
        let v = selected(arg);
        if v == "none" {
            if incomplete {
                continue;
            }
            plan.jobs.push(Job::Failed(Box::new(ModuleJson {
                path: arg.clone(),
                error: format!("module {arg}: not a known dependency"),
                ..ModuleJson::default()
            })));
            continue;
        }
        if let Some(job) = build_list_job(&ws, ModuleVersion::new(arg, v))? {
            plan.jobs.push(job);
        }
    }
    Ok(plan)
}

/// Downloads what one job names and reports it as `go mod download -json`
/// does (modcmd `DownloadModule`).
pub async fn download(fetcher: &Fetcher, job: Job) -> ModuleJson {
    let (path, query, current, excluded) = match job {
        Job::Arg(arg) => return super::download::download_one(fetcher, &arg).await,
        Job::Failed(m) => return *m,
        Job::Module(m) => {
            let mut out = ModuleJson {
                path: m.path,
                version: m.version,
                ..ModuleJson::default()
            };
            fill(fetcher, &mut out).await;
            return out;
        }
        Job::Query {
            path,
            query,
            current,
            excluded,
        } => (path, query, current, excluded),
    };
    let mut m = ModuleJson {
        path: path.clone(),
        version: query.clone(),
        ..ModuleJson::default()
    };
    let is_excluded = |v: &str| excluded.iter().any(|e| e == v);
    let info = match fetcher
        .query_from(&path, &query, &current, &is_excluded)
        .await
    {
        Ok(info) => info,
        Err(e) => {
            m.set_error(&e);
            m.origin = e.origin();
            return m;
        }
    };
    if info.version != query {
        m.query = query;
    }
    m.version = info.version;
    m.origin = info.origin;
    fill(fetcher, &mut m).await;
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::load::BoxFuture;

    #[test]
    fn patterns_as_go_matches_them() {
        assert!(match_pattern("example.com/...", "example.com/a"));
        assert!(match_pattern("example.com/...", "example.com"));
        assert!(!match_pattern("example.com/...", "example.community/a"));
        assert!(match_pattern("example.com/b...", "example.com/b"));
        assert!(match_pattern("example.com/b...", "example.com/bc/d"));
        assert!(match_pattern("...", "x"));
        assert!(match_pattern(".../b", "example.com/a/b"));
        assert!(!match_pattern(".../b", "example.com/a/bc"));
        assert!(match_pattern("ex...com/...x", "example.com/x"));
        assert!(!match_pattern("a...a", "a"));
        assert!(match_pattern("a...a", "aa"));
    }

    struct Src(Arc<std::sync::Mutex<Vec<String>>>);
    impl GoModSource for Src {
        fn go_mod(&self, m: ModuleVersion) -> BoxFuture<Result<Vec<u8>, String>> {
            if let Ok(mut v) = self.0.lock() {
                v.push(m.to_string());
            }
            let text = match m.path.as_str() {
                "example.com/a" | "example.com/r" => {
                    "module example.com/a\ngo 1.17\nrequire example.com/b v1.2.0\n"
                }
                _ => "module example.com/b\ngo 1.17\n",
            };
            Box::pin(async move { Ok(text.as_bytes().to_vec()) })
        }
    }

    fn ws(dir: &std::path::Path, gomod: &str) -> Arc<Workspace> {
        let path = dir.join("go.mod");
        std::fs::write(&path, gomod).unwrap();
        Arc::new(Workspace::from_go_mod(&path).unwrap())
    }

    async fn plan_of(ws: &Arc<Workspace>, args: &[&str]) -> (Plan, Vec<String>) {
        let read = Arc::new(std::sync::Mutex::new(Vec::new()));
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let p = plan(ws.clone(), Arc::new(Src(read.clone())), &args, 4)
            .await
            .unwrap();
        let mut read = read.lock().unwrap().clone();
        read.sort();
        (p, read)
    }

    /// The jobs as `path@version` / `path@query from current` / `error`.
    fn jobs(p: &Plan) -> Vec<String> {
        p.jobs
            .iter()
            .map(|j| match j {
                Job::Module(m) => m.to_string(),
                Job::Query {
                    path,
                    query,
                    current,
                    ..
                } => format!("{path}@{query} from {current}"),
                Job::Failed(j) => j.error.clone(),
                Job::Arg(a) => a.clone(),
            })
            .collect()
    }

    #[tokio::test]
    async fn roots_answer_without_the_graph_when_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let ws = ws(
            dir.path(),
            "module example.com/m\ngo 1.21\nrequire example.com/a v1.0.0\nrequire example.com/b v1.2.0 // indirect\n",
        );
        let (p, read) = plan_of(&ws, &["example.com/a", "example.com/a@patch"]).await;
        assert!(read.is_empty(), "{read:?}");
        assert_eq!(
            jobs(&p),
            vec!["example.com/a@v1.0.0", "example.com/a@patch from v1.0.0"]
        );
        // A path outside the roots needs the graph; it is not a dependency.
        let (p, read) = plan_of(&ws, &["example.com/c", "example.com/m"]).await;
        assert_eq!(read, vec!["example.com/a@v1.0.0", "example.com/b@v1.2.0"]);
        assert_eq!(
            jobs(&p),
            vec!["module example.com/c: not a known dependency"]
        );
        assert_eq!(
            p.notes,
            vec!["gomodfetch: skipping download of example.com/m that resolves to the main module"]
        );
        // Patterns match the build list, once; an empty match warns.
        let (p, _) = plan_of(&ws, &["example.com/...", "example.com/b...", "x/..."]).await;
        assert_eq!(
            jobs(&p),
            vec!["example.com/a@v1.0.0", "example.com/b@v1.2.0"]
        );
        assert_eq!(
            p.notes,
            vec![
                "warning: pattern \"example.com/b...\" matched no module dependencies",
                "warning: pattern \"x/...\" matched no module dependencies"
            ]
        );
    }

    #[tokio::test]
    async fn unpruned_modules_use_the_selected_version_and_replacements() {
        let dir = tempfile::tempdir().unwrap();
        let ws = ws(
            dir.path(),
            "module example.com/m\ngo 1.16\nrequire (\n\texample.com/a v1.0.0\n\texample.com/b v1.0.0\n)\nreplace example.com/a => example.com/r v1.5.0\n",
        );
        let (p, read) = plan_of(
            &ws,
            &["example.com/b", "example.com/a", "example.com/b@upgrade"],
        )
        .await;
        assert_eq!(
            read,
            vec![
                "example.com/b@v1.0.0",
                "example.com/b@v1.2.0",
                "example.com/r@v1.5.0"
            ]
        );
        assert_eq!(
            jobs(&p),
            vec![
                "example.com/b@v1.2.0",
                "example.com/r@v1.5.0",
                "example.com/b@upgrade from v1.2.0"
            ]
        );
    }
}
