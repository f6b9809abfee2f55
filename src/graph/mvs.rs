//! The requirement graph and minimal version selection (cmd/go/internal/mvs
//! graph.go: `Graph`, `Require`, `Selected`, `BuildList`, `FindPath`; errors.go
//! `BuildListError`). Pure: no I/O. Spec: spec/integrity.md §8.1.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet, VecDeque};

use super::{ModuleVersion, cmp_version};

/// A partial or complete requirement graph. Every edge of every loaded node
/// takes part in selection, including nodes that end up not selected.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    roots: Vec<ModuleVersion>,
    required: HashMap<ModuleVersion, Vec<ModuleVersion>>,
    reachable: HashSet<ModuleVersion>,
    selected: HashMap<String, String>,
}

impl Graph {
    /// `mvs.NewGraph`.
    pub fn new(roots: Vec<ModuleVersion>) -> Graph {
        let mut g = Graph {
            roots: Vec::new(),
            ..Graph::default()
        };
        for m in &roots {
            g.reachable.insert(m.clone());
            g.raise(m);
        }
        g.roots = roots;
        g
    }

    fn raise(&mut self, m: &ModuleVersion) {
        if cmp_version(&m.path, &self.selected(&m.path), &m.version) == Ordering::Less {
            self.selected.insert(m.path.clone(), m.version.clone());
        }
    }

    /// `Graph.Require`: records `m`'s requirements (once) and raises the
    /// selected versions. Returns false (and changes nothing) when `m` is not
    /// reachable or its requirements were already recorded.
    pub fn require(&mut self, m: &ModuleVersion, reqs: Vec<ModuleVersion>) -> bool {
        if !self.reachable.contains(m) || self.required.contains_key(m) {
            return false;
        }
        for dep in &reqs {
            self.reachable.insert(dep.clone());
            self.raise(dep);
        }
        self.required.insert(m.clone(), reqs);
        true
    }

    /// `Graph.RequiredBy`.
    pub fn required_by(&self, m: &ModuleVersion) -> Option<&[ModuleVersion]> {
        self.required.get(m).map(Vec::as_slice)
    }

    /// `Graph.Selected`: `"none"` for a path never seen.
    pub fn selected(&self, path: &str) -> String {
        self.selected
            .get(path)
            .cloned()
            .unwrap_or_else(|| "none".to_string())
    }

    /// `Graph.BuildList`: the roots' paths first (in root order), then every
    /// other selected path, sorted by path then version.
    pub fn build_list(&self) -> Vec<ModuleVersion> {
        let mut seen_root: HashSet<&str> = HashSet::new();
        let mut list = Vec::new();
        for r in &self.roots {
            if !seen_root.insert(r.path.as_str()) {
                continue;
            }
            let v = self.selected(&r.path);
            if v != "none" {
                list.push(ModuleVersion::new(&r.path, v));
            }
        }
        let n = list.len();
        for (path, version) in &self.selected {
            if !seen_root.contains(path.as_str()) {
                list.push(ModuleVersion::new(path, version));
            }
        }
        list[n..].sort_by(|a, b| {
            a.path
                .cmp(&b.path)
                .then_with(|| cmp_version(&a.path, &a.version, &b.version))
        });
        list
    }

    /// `Graph.FindPath`: the first path (breadth-first from the roots) to a
    /// node satisfying `f`, root first.
    pub fn find_path(&self, f: impl Fn(&ModuleVersion) -> bool) -> Option<Vec<ModuleVersion>> {
        let mut first: HashMap<&ModuleVersion, Option<&ModuleVersion>> = HashMap::new();
        let mut queue: VecDeque<&ModuleVersion> = VecDeque::new();
        for m in &self.roots {
            first.insert(m, None);
            queue.push_back(m);
        }
        while let Some(m) = queue.pop_front() {
            if f(m) {
                let mut path = vec![m.clone()];
                let mut cur = m;
                while let Some(Some(prev)) = first.get(cur) {
                    path.push((*prev).clone());
                    cur = prev;
                }
                path.reverse();
                return Some(path);
            }
            if let Some(reqs) = self.required.get(m) {
                for r in reqs {
                    if !first.contains_key(r) {
                        first.insert(r, Some(m));
                        queue.push_back(r);
                    }
                }
            }
        }
        None
    }
}

/// mvs `BuildListError.Error()`: the requirement chain to a module whose
/// go.mod could not be loaded, then the cause. `replaced_by` is the module
/// actually read when the failing one is replaced.
pub fn chain_message(
    stack: &[ModuleVersion],
    replaced_by: Option<&ModuleVersion>,
    cause: &str,
) -> String {
    let stack: Vec<&ModuleVersion> = stack.iter().skip_while(|m| m.version.is_empty()).collect();
    let Some((last, init)) = stack.split_last() else {
        return cause.to_string();
    };
    let mut out = String::new();
    for m in init {
        out.push_str(&format!("{m} requires\n\t"));
    }
    match replaced_by {
        Some(r) if r != *last => out.push_str(&format!("{last} (replaced by {r}): {cause}")),
        _ => out.push_str(&format!("{last}: {cause}")),
    }
    out
}
