//! The main modules: one go.mod, or a go.work and the modules it `use`s, with
//! the replacements and exclusions that apply to the whole graph (modload
//! init.go `loadModFile`, modfile.go `replacementFrom`, `toReplaceMap`,
//! `canonicalizeReplacePath`). Spec: spec/integrity.md §7.3, §8.2.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::ModuleVersion;
use crate::module::modfile::{self, ModFile, ModfileError, Replace, WorkFile};

/// One main module: its go.mod, parsed strictly, and its directory.
#[derive(Clone, Debug)]
pub struct MainModule {
    pub path: String,
    pub dir: PathBuf,
    pub file: ModFile,
}

/// Where a replaced module's contents come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Replacement {
    /// Another module version, fetched like any other.
    Module(ModuleVersion),
    /// A directory on disk (absolute), with its `replace` spelling for messages.
    Dir { dir: PathBuf, written: String },
}

/// Why the main module (or workspace) could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(
        "go.mod file not found in current directory or any parent directory; see 'go help modules'"
    )]
    NoModule,
    #[error("reading {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("errors parsing {}:\n{source}", .short)]
    Parse { short: String, source: ModfileError },
    #[error("{}: no module line", .path.display())]
    NoModuleLine { path: PathBuf },
    #[error("conflicting replacements for {old}:\n\t{first}\n\t{second}")]
    ConflictingReplacements {
        old: ModuleVersion,
        first: String,
        second: String,
    },
    #[error(
        "conflicting replacements found for {old} in workspace modules defined by {} and {}",
        .first.display(),
        .second.display()
    )]
    ConflictingWorkspaceReplacements {
        old: ModuleVersion,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("module {path} appears multiple times in workspace")]
    DuplicateWorkspaceModule { path: String },
}

/// The main modules and everything they impose on the graph.
#[derive(Clone, Debug)]
pub struct Workspace {
    pub mains: Vec<MainModule>,
    /// The go.work file, when in workspace mode.
    pub work: Option<(PathBuf, WorkFile)>,
    work_replace: HashMap<ModuleVersion, Replacement>,
    /// Per main module (same order as `mains`): its replace map.
    mod_replace: Vec<HashMap<ModuleVersion, Replacement>>,
    exclude: HashSet<ModuleVersion>,
}

fn read(path: &Path) -> Result<Vec<u8>, WorkspaceError> {
    std::fs::read(path).map_err(|source| WorkspaceError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn display_replacement(r: &Replacement) -> String {
    match r {
        Replacement::Module(m) => format!("{} {}", m.path, m.version),
        Replacement::Dir { written, .. } => written.clone(),
    }
}

/// Lexical `filepath.Clean`: drops `.` components and folds `..`.
pub fn clean(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// modload `toReplaceMap`, with directory targets made absolute against `base`.
fn replace_map(
    replaces: &[Replace],
    base: &Path,
) -> Result<HashMap<ModuleVersion, Replacement>, WorkspaceError> {
    let mut map: HashMap<ModuleVersion, Replacement> = HashMap::new();
    for r in replaces {
        let old = ModuleVersion::new(&r.old_path, r.old_version.clone().unwrap_or_default());
        let new = match &r.new_version {
            Some(v) => Replacement::Module(ModuleVersion::new(&r.new_path, v)),
            None => {
                let p = Path::new(&r.new_path);
                let dir = if p.is_absolute() {
                    clean(p)
                } else {
                    clean(&base.join(p))
                };
                Replacement::Dir {
                    dir,
                    written: r.new_path.clone(),
                }
            }
        };
        if let Some(prev) = map.get(&old)
            && *prev != new
        {
            return Err(WorkspaceError::ConflictingReplacements {
                old,
                first: display_replacement(prev),
                second: display_replacement(&new),
            });
        }
        map.insert(old, new);
    }
    Ok(map)
}

fn lookup<'a>(
    map: &'a HashMap<ModuleVersion, Replacement>,
    m: &ModuleVersion,
) -> Option<&'a Replacement> {
    map.get(m)
        .or_else(|| map.get(&ModuleVersion::new(&m.path, "")))
}

/// `base.ShortPath`: `p` relative to `cwd` when that is shorter.
fn short_path(cwd: &Path, p: &Path) -> String {
    let full = p.display().to_string();
    match p.strip_prefix(cwd) {
        Ok(rel) if !rel.as_os_str().is_empty() && rel.as_os_str().len() < full.len() => {
            rel.display().to_string()
        }
        _ => full,
    }
}

/// A go.mod/go.work parse failure as modload words it: `errors parsing
/// <short>:` and every line's file name shortened (`shortPathErrorList`).
fn parse_error(cwd: &Path, file: &Path, mut source: ModfileError) -> WorkspaceError {
    for e in &mut source.errors {
        e.filename = short_path(cwd, Path::new(&e.filename));
    }
    WorkspaceError::Parse {
        short: short_path(cwd, file),
        source,
    }
}

fn load_main(gomod: &Path, cwd: &Path) -> Result<MainModule, WorkspaceError> {
    let data = read(gomod)?;
    let file = modfile::parse(&gomod.display().to_string(), &data)
        .map_err(|source| parse_error(cwd, gomod, source))?;
    let path = match &file.module {
        Some(m) if !m.path.is_empty() => m.path.clone(),
        _ => {
            return Err(WorkspaceError::NoModuleLine {
                path: gomod.to_path_buf(),
            });
        }
    };
    let dir = gomod.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(MainModule { path, dir, file })
}

impl Workspace {
    /// Finds the main module or workspace from `cwd` as the go command does:
    /// `gowork` is the GOWORK setting (`None`/empty: search upward for go.work,
    /// `off`: module mode only, else a go.work path).
    pub fn discover(cwd: &Path, gowork: Option<&str>) -> Result<Workspace, WorkspaceError> {
        let work_path = match gowork {
            Some("off") => None,
            Some(p) if !p.is_empty() => Some(cwd.join(p)),
            _ => cwd
                .ancestors()
                .map(|d| d.join("go.work"))
                .find(|p| p.is_file()),
        };
        if let Some(work_path) = work_path {
            return Workspace::from_work_in(&work_path, cwd);
        }
        let gomod = cwd
            .ancestors()
            .map(|d| d.join("go.mod"))
            .find(|p| p.is_file())
            .ok_or(WorkspaceError::NoModule)?;
        Workspace::from_go_mod_in(&gomod, cwd)
    }

    /// Module mode: one main module (messages relative to its directory).
    pub fn from_go_mod(gomod: &Path) -> Result<Workspace, WorkspaceError> {
        Workspace::from_go_mod_in(gomod, gomod.parent().unwrap_or(Path::new(".")))
    }

    /// Module mode, file names in messages relative to `cwd`.
    pub fn from_go_mod_in(gomod: &Path, cwd: &Path) -> Result<Workspace, WorkspaceError> {
        let main = load_main(gomod, cwd)?;
        let mod_replace = vec![replace_map(&main.file.replace, &main.dir)?];
        let exclude = main
            .file
            .exclude
            .iter()
            .map(|e| ModuleVersion::new(&e.path, &e.version))
            .collect();
        Ok(Workspace {
            mains: vec![main],
            work: None,
            work_replace: HashMap::new(),
            mod_replace,
            exclude,
        })
    }

    /// Workspace mode: a go.work and the modules it uses.
    pub fn from_work(work_path: &Path) -> Result<Workspace, WorkspaceError> {
        Workspace::from_work_in(work_path, work_path.parent().unwrap_or(Path::new(".")))
    }

    /// Workspace mode, file names in messages relative to `cwd`.
    pub fn from_work_in(work_path: &Path, cwd: &Path) -> Result<Workspace, WorkspaceError> {
        let data = read(work_path)?;
        let work = modfile::parse_work(&work_path.display().to_string(), &data)
            .map_err(|source| parse_error(cwd, work_path, source))?;
        let base = work_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut mains: Vec<MainModule> = Vec::new();
        for u in &work.use_ {
            let dir = clean(&base.join(&u.path));
            let main = load_main(&dir.join("go.mod"), cwd)?;
            if mains.iter().any(|m| m.path == main.path) {
                return Err(WorkspaceError::DuplicateWorkspaceModule { path: main.path });
            }
            mains.push(main);
        }
        let work_replace = replace_map(&work.replace, &base)?;
        let mut mod_replace = Vec::new();
        let mut exclude = HashSet::new();
        for m in &mains {
            mod_replace.push(replace_map(&m.file.replace, &m.dir)?);
            for e in &m.file.exclude {
                exclude.insert(ModuleVersion::new(&e.path, &e.version));
            }
        }
        Ok(Workspace {
            mains,
            work: Some((work_path.to_path_buf(), work)),
            work_replace,
            mod_replace,
            exclude,
        })
    }

    /// The directory `go` would be run from: the go.work's, else the main module's.
    pub fn root(&self) -> &Path {
        match &self.work {
            Some((p, _)) => p.parent().unwrap_or(Path::new(".")),
            None => self
                .mains
                .first()
                .map(|m| m.dir.as_path())
                .unwrap_or(Path::new(".")),
        }
    }

    pub fn is_workspace(&self) -> bool {
        self.work.is_some()
    }

    /// Whether `path` is a main module's path.
    pub fn is_main(&self, path: &str) -> bool {
        self.mains.iter().any(|m| m.path == path)
    }

    pub fn main(&self, path: &str) -> Option<&MainModule> {
        self.mains.iter().find(|m| m.path == path)
    }

    /// Whether a main module excludes `m`.
    pub fn is_excluded(&self, m: &ModuleVersion) -> bool {
        self.exclude.contains(m)
    }

    /// The versions of `path` the main modules exclude.
    pub fn excluded_versions(&self, path: &str) -> Vec<String> {
        self.exclude
            .iter()
            .filter(|m| m.path == path)
            .map(|m| m.version.clone())
            .collect()
    }

    /// modload `Replacement`: go.work replacements first, then the main
    /// modules' (an exact `path version` entry wins over a path-only one).
    pub fn replacement(&self, m: &ModuleVersion) -> Result<Option<Replacement>, WorkspaceError> {
        if m.version.is_empty() && self.is_main(&m.path) {
            return Ok(None);
        }
        if let Some(r) = lookup(&self.work_replace, m) {
            return Ok(Some(r.clone()));
        }
        let mut found: Option<(&Replacement, usize)> = None;
        for (i, map) in self.mod_replace.iter().enumerate() {
            if let Some(r) = lookup(map, m) {
                if let Some((prev, j)) = found
                    && prev != r
                {
                    return Err(WorkspaceError::ConflictingWorkspaceReplacements {
                        old: m.clone(),
                        first: self.mains[j].dir.join("go.mod"),
                        second: self.mains[i].dir.join("go.mod"),
                    });
                }
                found = Some((r, i));
            }
        }
        Ok(found.map(|(r, _)| r.clone()))
    }

    /// The go version that decides pruning: the go.work's go line in
    /// workspace mode, else the main go.mod's.
    pub fn go_version(&self) -> Option<&str> {
        match &self.work {
            Some((_, w)) => w.go.as_deref(),
            None => self.mains.first().and_then(|m| m.file.go.as_deref()),
        }
    }
}
