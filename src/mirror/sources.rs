//! What to mirror: a project's module graph (go.mod / go.work / a
//! directory: what `go mod download all` fetches, and every go.mod the
//! graph reads), the modules of an existing module cache, or a list file.
//! The graph is loaded by `graph::load` with go.mod files read through the
//! mirror itself, so each one is verified and stored as the graph unfolds.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::run::Mirror;
use crate::graph::ModuleVersion;
use crate::graph::load::{self, BoxFuture, GoModSource, GraphError, LoadOptions};
use crate::graph::workspace::{Workspace, WorkspaceError};
use crate::module::path::{unescape_path, unescape_version};
use crate::module::version as semver;

/// go.mod files for the graph loader, read through the mirror.
pub struct MirrorGoMods(pub Arc<Mirror>);

impl GoModSource for MirrorGoMods {
    fn go_mod(&self, m: ModuleVersion) -> BoxFuture<Result<Vec<u8>, String>> {
        let mirror = self.0.clone();
        Box::pin(async move {
            mirror
                .go_mod(&m.path, &m.version)
                .await
                .map(|d| d.as_ref().clone())
                .map_err(|e| e.kind.to_string())
        })
    }
}

/// What one project needs from a mirror.
#[derive(Debug, Default)]
pub struct Needs {
    /// Modules whose `.info`, `.mod` and `.zip` are needed (the build list).
    pub full: Vec<ModuleVersion>,
    /// Modules whose go.mod the graph reads (all of them get `.mod`).
    pub go_mods: Vec<ModuleVersion>,
}

/// A project could not be read or its graph loaded.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error("Cannot read `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}: {message}")]
    List {
        file: String,
        line: usize,
        message: String,
    },
}

/// Opens `--from`: a go.mod, a go.work, or a directory (searched as the go
/// command does, go.work first).
pub fn open_project(from: &Path) -> Result<Workspace, SourceError> {
    if from.is_dir() {
        return Ok(Workspace::discover(from, None)?);
    }
    if from.file_name().is_some_and(|n| n == "go.work") {
        return Ok(Workspace::from_work(from)?);
    }
    Ok(Workspace::from_go_mod(from)?)
}

/// Loads the graph of `ws` through the mirror: everything `go mod
/// download all` fetches, and every go.mod read on the way.
pub async fn project_needs(
    mirror: Arc<Mirror>,
    ws: Workspace,
    jobs: usize,
) -> Result<Needs, SourceError> {
    let ws = Arc::new(ws);
    if load::has_no_requirements(&ws) {
        return Ok(Needs::default());
    }
    let loaded = load::load_graph(
        ws.clone(),
        Arc::new(MirrorGoMods(mirror)),
        LoadOptions {
            concurrency: jobs.max(1),
            on_loaded: None,
        },
    )
    .await?;
    let full = load::download_set(&ws, &loaded, true)?
        .into_iter()
        .map(|t| t.actual)
        .collect();
    let go_mods = loaded
        .loaded
        .iter()
        .map(|(_, actual)| actual.clone())
        .filter(|m| !m.version.is_empty())
        .collect();
    Ok(Needs { full, go_mods })
}

/// A synthetic main module requiring `modules`, for `--with-deps`, written
/// into `dir` (a scratch directory outside the mirror). It says `go 1.16`,
/// so the graph is unpruned: the whole transitive closure, which is what a
/// project building these modules can need whatever its own go.mod prunes.
pub fn synthetic_project(dir: &Path, modules: &[ModuleVersion]) -> Result<Workspace, SourceError> {
    let mut text = String::from("module gomodfetch.invalid/mirror\n\ngo 1.16\n\nrequire (\n");
    for m in modules {
        text.push_str(&format!("\t{} {}\n", m.path, m.version));
    }
    text.push_str(")\n");
    let file = dir.join("go.mod");
    std::fs::write(&file, text).map_err(|source| SourceError::Read {
        path: file.clone(),
        source,
    })?;
    Ok(Workspace::from_go_mod(&file)?)
}

/// Every module version in a module cache's `cache/download`, with whether
/// its zip is there too.
pub fn cache_modules(gomodcache: &Path) -> Result<Vec<(ModuleVersion, bool)>, SourceError> {
    let root = gomodcache.join("cache").join("download");
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| SourceError::Read {
            path: dir.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            if name == "sumdb" && dir == root {
                continue;
            }
            if name != "@v" {
                stack.push(path);
                continue;
            }
            let Ok(rel) = dir.strip_prefix(&root) else {
                continue;
            };
            let escaped = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let Ok(module) = unescape_path(&escaped) else {
                continue;
            };
            for file in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                let file_name = file.file_name().to_string_lossy().into_owned();
                let Some(ev) = file_name.strip_suffix(".mod") else {
                    continue;
                };
                let Ok(version) = unescape_version(ev) else {
                    continue;
                };
                if semver::canonical_module_version(&version) != version {
                    continue;
                }
                let has_zip = path.join(format!("{ev}.zip")).exists()
                    && path.join(format!("{ev}.ziphash")).exists();
                out.push((ModuleVersion::new(&module, &version), has_zip));
            }
        }
    }
    out.sort_by(|a, b| (&a.0.path, &a.0.version).cmp(&(&b.0.path, &b.0.version)));
    Ok(out)
}

/// Reads `--list`: one `MODULE@QUERY` per line; blank lines and `#`
/// comments ignored.
pub fn read_list(file: &Path) -> Result<Vec<String>, SourceError> {
    let text = std::fs::read_to_string(file).map_err(|source| SourceError::Read {
        path: file.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let arg = line.split_whitespace().collect::<Vec<_>>();
        let arg = match arg.as_slice() {
            [one] if one.contains('@') => (*one).to_owned(),
            [path, version] => format!("{path}@{version}"),
            _ => {
                return Err(SourceError::List {
                    file: file.display().to_string(),
                    line: i + 1,
                    message: format!("want MODULE@VERSION, got {line:?}"),
                });
            }
        };
        out.push(arg);
    }
    Ok(out)
}
