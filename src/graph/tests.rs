//! Graph tests on in-memory go.mod files (the oracle comparison with the real
//! `go` lives in tests/it/prewarm.rs).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::load::{
    BoxFuture, GoModSource, GraphError, LoadOptions, download_set, load_graph, no_args_means_all,
};
use super::workspace::Workspace;
use super::*;

struct Mem {
    mods: HashMap<ModuleVersion, String>,
    reads: Mutex<Vec<ModuleVersion>>,
}

impl GoModSource for Mem {
    fn go_mod(&self, m: ModuleVersion) -> BoxFuture<Result<Vec<u8>, String>> {
        if let Ok(mut r) = self.reads.lock() {
            r.push(m.clone());
        }
        let out = self
            .mods
            .get(&m)
            .map(|s| s.clone().into_bytes())
            .ok_or_else(|| {
                format!(
                    "reading http://127.0.0.1/{}/@v/{}.mod: 404 Not Found",
                    m.path, m.version
                )
            });
        Box::pin(async move { out })
    }
}

/// `spec`: lines `path@version go=1.17 dep@v dep@v`.
fn mem(spec: &str) -> Arc<Mem> {
    let mut mods = HashMap::new();
    for line in spec.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let mut f = line.split_whitespace();
        let Some((path, version)) = f.next().and_then(|m| m.split_once('@')) else {
            panic!("bad spec line {line}")
        };
        let mut text = format!("module {path}\n");
        for item in f {
            if let Some(go) = item.strip_prefix("go=") {
                text.push_str(&format!("go {go}\n"));
            } else if let Some((p, v)) = item.split_once('@') {
                text.push_str(&format!("require {p} {v}\n"));
            }
        }
        mods.insert(ModuleVersion::new(path, version), text);
    }
    Arc::new(Mem {
        mods,
        reads: Mutex::new(Vec::new()),
    })
}

fn workspace(dir: &Path, gomod: &str) -> Arc<Workspace> {
    std::fs::write(dir.join("go.mod"), gomod).unwrap();
    Arc::new(Workspace::from_go_mod(&dir.join("go.mod")).unwrap())
}

fn names(v: &[ModuleVersion]) -> Vec<String> {
    let mut v: Vec<String> = v
        .iter()
        .map(|m| format!("{}@{}", short(&m.path), m.version))
        .collect();
    v.sort();
    v
}

fn short(p: &str) -> &str {
    p.strip_prefix("example.com/").unwrap_or(p)
}

async fn run(
    ws: Arc<Workspace>,
    src: Arc<Mem>,
    all: bool,
) -> Result<(Vec<String>, Vec<String>), GraphError> {
    let g = load_graph(ws.clone(), src.clone(), LoadOptions::default()).await?;
    let reads = names(&src.reads.lock().unwrap());
    let set: Vec<ModuleVersion> = download_set(&ws, &g, all)?
        .into_iter()
        .map(|t| t.actual)
        .collect();
    Ok((reads, names(&set)))
}

const SPEC_EXAMPLE: &str = "
    example.com/a@v1.0.0 go=1.17 example.com/b@v1.0.0
    example.com/b@v1.0.0 go=1.17 example.com/c@v1.0.0
    example.com/c@v1.0.0 go=1.17
    example.com/u@v1.0.0 go=1.16 example.com/v@v1.0.0
    example.com/v@v1.0.0 go=1.17 example.com/w@v1.0.0
    example.com/w@v1.0.0 go=1.17
";

#[tokio::test]
async fn spec_worked_example_pruned() {
    // spec/integrity.md §8.5, observed with go 1.19.8.
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(
        dir.path(),
        "module example.com/m\ngo 1.17\nrequire (\n\texample.com/a v1.0.0\n\texample.com/u v1.0.0\n)\n",
    );
    assert!(!no_args_means_all(&ws));
    let (reads, set) = run(ws.clone(), mem(SPEC_EXAMPLE), false).await.unwrap();
    assert_eq!(reads, vec!["a@v1.0.0", "u@v1.0.0", "v@v1.0.0", "w@v1.0.0"]);
    assert_eq!(set, vec!["a@v1.0.0", "u@v1.0.0"]);
    let (_, all) = run(ws, mem(SPEC_EXAMPLE), true).await.unwrap();
    assert_eq!(
        all,
        vec!["a@v1.0.0", "b@v1.0.0", "u@v1.0.0", "v@v1.0.0", "w@v1.0.0"]
    );
}

#[tokio::test]
async fn unpruned_main_loads_everything() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(
        dir.path(),
        "module example.com/m\ngo 1.16\nrequire (\n\texample.com/a v1.0.0\n\texample.com/u v1.0.0\n)\n",
    );
    assert!(no_args_means_all(&ws));
    let (reads, set) = run(ws, mem(SPEC_EXAMPLE), false).await.unwrap();
    let every = vec![
        "a@v1.0.0", "b@v1.0.0", "c@v1.0.0", "u@v1.0.0", "v@v1.0.0", "w@v1.0.0",
    ];
    assert_eq!(reads, every);
    assert_eq!(set, every);
}

#[tokio::test]
async fn mvs_selects_higher_than_direct_requirement() {
    let spec = "
        example.com/a@v1.0.0 go=1.17 example.com/d@v1.2.0
        example.com/d@v1.1.0 go=1.17
        example.com/d@v1.2.0 go=1.17 example.com/e@v1.0.0
        example.com/e@v1.0.0 go=1.17
    ";
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(
        dir.path(),
        "module example.com/m\ngo 1.21\nrequire example.com/a v1.0.0\nrequire example.com/d v1.1.0\n",
    );
    let (reads, set) = run(ws.clone(), mem(spec), false).await.unwrap();
    // go mod download runs with -mod=mod: the root d is raised to v1.2.0 and
    // the graph reloaded, so d@v1.2.0's go.mod is read and e joins `all`.
    assert_eq!(reads, vec!["a@v1.0.0", "d@v1.1.0", "d@v1.2.0"]);
    assert_eq!(set, vec!["a@v1.0.0", "d@v1.2.0"]);
    let (_, all) = run(ws, mem(spec), true).await.unwrap();
    assert_eq!(all, vec!["a@v1.0.0", "d@v1.2.0", "e@v1.0.0"]);
}

#[tokio::test]
async fn exclude_and_replace() {
    let spec = "
        example.com/a@v1.0.0 go=1.17 example.com/d@v1.2.0 example.com/r@v1.0.0
        example.com/d@v1.1.0 go=1.17
        example.com/fork@v1.5.0 go=1.17
    ";
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("local")).unwrap();
    std::fs::write(
        dir.path().join("local/go.mod"),
        "module example.com/l\ngo 1.20\n",
    )
    .unwrap();
    let ws = workspace(
        dir.path(),
        "module example.com/m\ngo 1.17\nrequire (\n\texample.com/a v1.0.0\n\texample.com/d v1.1.0\n\texample.com/r v1.0.0\n\texample.com/l v1.0.0\n)\n\
         exclude example.com/d v1.2.0\nreplace example.com/r => example.com/fork v1.5.0\nreplace example.com/l => ./local\n",
    );
    let (reads, set) = run(ws, mem(spec), false).await.unwrap();
    assert_eq!(reads, vec!["a@v1.0.0", "d@v1.1.0", "fork@v1.5.0"]);
    assert_eq!(set, vec!["a@v1.0.0", "d@v1.1.0", "fork@v1.5.0"]);
}

#[tokio::test]
async fn missing_go_mod_names_the_chain() {
    let spec = "example.com/a@v1.0.0 go=1.16 example.com/b@v1.0.0";
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(
        dir.path(),
        "module example.com/m\ngo 1.17\nrequire example.com/a v1.0.0\n",
    );
    let err = run(ws, mem(spec), false).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "example.com/a@v1.0.0 requires\n\texample.com/b@v1.0.0: reading http://127.0.0.1/example.com/b/@v/v1.0.0.mod: 404 Not Found"
    );
}

#[tokio::test]
async fn workspace_mode_downloads_all() {
    let spec = "
        example.com/a@v1.0.0 go=1.17 example.com/b@v1.0.0
        example.com/a@v1.1.0 go=1.17 example.com/b@v1.1.0
        example.com/b@v1.0.0 go=1.17 example.com/c@v1.0.0
        example.com/b@v1.1.0 go=1.17 example.com/c@v1.1.0
        example.com/c@v1.0.0 go=1.17
        example.com/c@v1.1.0 go=1.17
    ";
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("x")).unwrap();
    std::fs::create_dir_all(d.join("y")).unwrap();
    std::fs::write(
        d.join("x/go.mod"),
        "module example.com/x\ngo 1.21\nrequire example.com/a v1.0.0\n",
    )
    .unwrap();
    std::fs::write(
        d.join("y/go.mod"),
        "module example.com/y\ngo 1.21\nrequire example.com/a v1.1.0\n",
    )
    .unwrap();
    std::fs::write(d.join("go.work"), "go 1.21\nuse (\n\t./x\n\t./y\n)\n").unwrap();
    let ws = Arc::new(Workspace::discover(d, None).unwrap());
    assert!(no_args_means_all(&ws));
    let (reads, set) = run(ws, mem(spec), false).await.unwrap();
    assert_eq!(reads, vec!["a@v1.0.0", "a@v1.1.0", "b@v1.1.0"]);
    assert_eq!(set, vec!["a@v1.1.0", "b@v1.1.0", "c@v1.1.0"]);
}

#[test]
fn go_versions_compare_as_gover() {
    use std::cmp::Ordering::*;
    assert_eq!(gover_compare("1.17", "1.17"), Equal);
    assert_eq!(gover_compare("1.16", "1.17"), Less);
    assert_eq!(gover_compare("1.21", "1.21rc1"), Less);
    assert_eq!(gover_compare("1.21rc1", "1.21.0"), Less);
    assert_eq!(gover_compare("1.9", "1.17"), Less);
    assert_eq!(gover_compare("1.100", "1.17"), Greater);
    assert_eq!(pruning_for_go_version(None), Pruning::Unpruned);
    assert_eq!(pruning_for_go_version(Some("1.17")), Pruning::Pruned);
    assert_eq!(cmp_version("example.com/a", "", "v9.0.0"), Greater);
    assert_eq!(cmp_version("example.com/a", "none", "v0.0.0"), Less);
}

#[tokio::test]
async fn bad_input_errors_as_go() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A replacement directory without go.mod (Go's wording, checked with go1.26).
    let ws = workspace(
        d,
        "module example.com/m\ngo 1.17\nrequire example.com/l v1.0.0\nreplace example.com/l => ./nope\n",
    );
    let err = run(ws, mem(""), false).await.unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "example.com/l@v1.0.0 (replaced by ./nope): reading nope/go.mod: open {}/nope/go.mod: no such file or directory",
            d.display()
        )
    );
    // A dependency go.mod that does not parse (lax: only require/module/go/retract count).
    let ws = workspace(
        d,
        "module example.com/m\ngo 1.17\nrequire example.com/bad v1.0.0\n",
    );
    let mut src = HashMap::new();
    src.insert(
        ModuleVersion::new("example.com/bad", "v1.0.0"),
        "module example.com/bad\n\nfoo bar\nrequire x\n".to_string(),
    );
    let src = Arc::new(Mem {
        mods: src,
        reads: Mutex::new(Vec::new()),
    });
    let err = run(ws, src, false).await.unwrap_err().to_string();
    assert_eq!(
        err,
        "example.com/bad@v1.0.0: parsing go.mod: go.mod:4: usage: require module/path v1.2.3"
    );
    // The main go.mod itself.
    std::fs::write(d.join("go.mod"), "module example.com/m\nfoo\n").unwrap();
    let err = Workspace::from_go_mod(&d.join("go.mod"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "errors parsing go.mod:\ngo.mod:2: unknown directive: foo"
    );
    // Go keeps the full name inside the message (checked with go1.26).
    std::fs::write(d.join("go.mod"), "module example.com/m\nrequire (\n").unwrap();
    let err = Workspace::from_go_mod(&d.join("go.mod"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "errors parsing go.mod:\ngo.mod:3: syntax error (unterminated block started at {}/go.mod:2:1)",
            d.display()
        )
    );
}
