//! Pre-warming (issue 7): `gomodfetch download` with no arguments (and with
//! `all`) inside a module or workspace fetches exactly what `go mod download`
//! fetches. Consumer modules and a module universe are built at test time and
//! served by a loopback proxy; the real `go` is the oracle.
//!
//! Skips when `go` is not on PATH, unless GOMODFETCH_REQUIRE_GO=1 (CI).

pub(crate) mod universe;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use gomodfetch::graph::ModuleVersion;
use gomodfetch::graph::load::{self, BoxFuture, GoModSource, LoadOptions};
use gomodfetch::graph::workspace::Workspace;

use universe::{Universe, go_mod_text, package_source};

use crate::support::go_required;
use crate::support::oracle::cache_files;

#[expect(
    clippy::disallowed_methods,
    reason = "the test passes PATH on to the tools it runs with a cleared environment"
)]
fn path_var() -> std::ffi::OsString {
    std::env::var_os("PATH").unwrap_or_default()
}

/// One build cache for every `go build` of this test run (building the
/// standard library once instead of per scenario); only compiled packages
/// land there, so sharing it keeps the tests hermetic.
fn shared_gocache() -> PathBuf {
    std::env::temp_dir().join("gomodfetch-it-gocache")
}

fn have_go() -> bool {
    let ok = Command::new("go")
        .arg("version")
        .env("GOTOOLCHAIN", "local")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || !go_required(),
        "GOMODFETCH_REQUIRE_GO=1 but `go` is missing"
    );
    ok
}

/// The environment both tools run with: private caches, loopback proxy,
/// no checksum database (go.sum is complete where it matters).
fn tool_env(cmd: &mut Command, home: &Path, cache: &Path, proxy: &str, gowork: &str) {
    cmd.env_clear()
        .env("PATH", path_var())
        .env("HOME", home)
        .env("GOTOOLCHAIN", "local")
        .env("GOENV", "off")
        .env("GOFLAGS", "-modcacherw")
        .env("GOPROXY", proxy)
        .env("GOSUMDB", "off")
        .env("GONOSUMDB", "*")
        .env("GOPATH", home.join("gopath"))
        .env("GOCACHE", shared_gocache())
        .env("GOMODCACHE", cache)
        .env("GOWORK", gowork)
        .env("NO_COLOR", "1");
}

fn go(dir: &Path, home: &Path, cache: &Path, proxy: &str, gowork: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new("go");
    cmd.args(args).current_dir(dir);
    tool_env(&mut cmd, home, cache, proxy, gowork);
    cmd.output().expect("run go")
}

fn ours(dir: &Path, home: &Path, cache: &Path, proxy: &str, gowork: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gomodfetch"));
    cmd.arg("download").args(args).current_dir(dir);
    tool_env(&mut cmd, home, cache, proxy, gowork);
    cmd.output().expect("run gomodfetch")
}

fn text(o: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `path@version` of every `.mod` / `.zip` in Go's download cache.
fn cached(cache: &Path, ext: &str) -> BTreeSet<String> {
    cache_files(cache)
        .into_iter()
        .filter_map(|f| {
            let (path, file) = f.split_once("/@v/")?;
            let version = file.strip_suffix(ext)?;
            Some(format!("{path}@{version}"))
        })
        .collect()
}

/// A consumer module on disk.
struct Consumer {
    path: String,
    go: Option<String>,
    require: Vec<(String, String)>,
    extra: String,
    imports: Vec<String>,
}

impl Consumer {
    fn new(path: &str, go: Option<&str>, require: &[&str], imports: &[&str]) -> Consumer {
        Consumer {
            path: path.to_string(),
            go: go.map(String::from),
            require: require
                .iter()
                .map(|r| {
                    let (p, v) = r.split_once('@').expect("p@v");
                    (p.to_string(), v.to_string())
                })
                .collect(),
            extra: String::new(),
            imports: imports.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn extra(mut self, s: &str) -> Consumer {
        self.extra = s.to_string();
        self
    }

    fn write(&self, dir: &Path, u: &Universe) {
        std::fs::create_dir_all(dir).unwrap();
        let gomod = go_mod_text(&self.path, self.go.as_deref(), &self.require) + &self.extra;
        std::fs::write(dir.join("go.mod"), gomod).unwrap();
        std::fs::write(dir.join("go.sum"), u.go_sum()).unwrap();
        let main = package_source("main", &self.imports, true);
        std::fs::write(dir.join("main.go"), main).unwrap();
    }
}

/// A go.mod source reading the universe directly (the library-level check).
struct UniverseSource(Arc<Universe>);

impl GoModSource for UniverseSource {
    fn go_mod(&self, m: ModuleVersion) -> BoxFuture<Result<Vec<u8>, String>> {
        let out = self
            .0
            .go_mod(&m.path, &m.version)
            .ok_or_else(|| format!("{m}: not found"));
        Box::pin(async move { out })
    }
}

/// What gomodfetch's graph says `go mod download [all]` fetches: (`.mod` set, `.zip` set).
fn library_sets(
    dir: &Path,
    gowork: Option<&str>,
    u: Arc<Universe>,
    all: bool,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let ws = Arc::new(Workspace::discover(dir, gowork).unwrap());
        let g = load::load_graph(
            ws.clone(),
            Arc::new(UniverseSource(u)),
            LoadOptions::default(),
        )
        .await
        .unwrap();
        let set = load::download_set(&ws, &g, all).unwrap();
        let zips: BTreeSet<String> = set.iter().map(|t| t.actual.to_string()).collect();
        let mut mods: BTreeSet<String> = g
            .loaded
            .iter()
            .filter(|(_, a)| !a.version.is_empty())
            .map(|(_, a)| a.to_string())
            .collect();
        mods.extend(zips.iter().cloned());
        (mods, zips)
    })
}

struct Scenario {
    name: &'static str,
    universe: Universe,
    /// (relative dir, consumer)
    consumers: Vec<(&'static str, Consumer)>,
    go_work: Option<&'static str>,
    /// Packages to build afterwards (None: the go.mod is not tidy, skip building).
    build: Option<Vec<&'static str>>,
    extra_files: Vec<(&'static str, &'static str)>,
}

impl Scenario {
    fn setup(&self, root: &Path) -> PathBuf {
        let dir = root.join("src");
        for (rel, c) in &self.consumers {
            let d = if *rel == "." {
                dir.clone()
            } else {
                dir.join(rel)
            };
            c.write(&d, &self.universe);
        }
        if let Some(w) = self.go_work {
            std::fs::write(dir.join("go.work"), w).unwrap();
        }
        for (rel, content) in &self.extra_files {
            let p = dir.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
        dir
    }
    fn gowork(&self) -> &'static str {
        if self.go_work.is_some() { "" } else { "off" }
    }
}

fn spec_example() -> Scenario {
    // spec/integrity.md §8.5's worked example.
    Scenario {
        name: "pruned",
        universe: Universe::new(
            "example.com/a@v1.0.0 go=1.17 req=example.com/b@v1.0.0
             example.com/b@v1.0.0 go=1.17 req=example.com/c@v1.0.0
             example.com/c@v1.0.0 go=1.17
             example.com/u@v1.0.0 go=1.16 req=example.com/v@v1.0.0
             example.com/v@v1.0.0 go=1.17 req=example.com/w@v1.0.0
             example.com/w@v1.0.0 go=1.17",
        ),
        consumers: vec![(
            ".",
            Consumer::new(
                "example.com/main",
                Some("1.17"),
                &["example.com/a@v1.0.0", "example.com/u@v1.0.0"],
                &["example.com/a", "example.com/u"],
            ),
        )],
        go_work: None,
        build: Some(vec!["./..."]),
        extra_files: vec![],
    }
}

fn unpruned() -> Scenario {
    Scenario {
        name: "unpruned-go1.16-with-cycle",
        universe: Universe::new(
            "example.com/a@v1.0.0 go=1.16 req=example.com/b@v1.0.0 imp=example.com/b
             example.com/b@v1.0.0 go=1.16 req=example.com/a@v1.0.0 req=example.com/c@v1.1.0
             example.com/c@v1.0.0 go=1.17
             example.com/c@v1.1.0 go=1.17 req=example.com/d@v1.0.0
             example.com/d@v1.0.0
             example.com/e@v1.0.0 go=1.20 req=example.com/c@v1.0.0",
        ),
        consumers: vec![(
            ".",
            Consumer::new(
                "example.com/main",
                Some("1.16"),
                &["example.com/a@v1.0.0", "example.com/e@v1.0.0"],
                &["example.com/a", "example.com/e"],
            ),
        )],
        go_work: None,
        build: Some(vec!["./..."]),
        extra_files: vec![],
    }
}

fn mvs_higher() -> Scenario {
    Scenario {
        name: "mvs-higher-than-direct",
        universe: Universe::new(
            "example.com/a@v1.0.0 go=1.17 req=example.com/d@v1.1.0 imp=example.com/d
             example.com/b@v1.0.0 go=1.17 req=example.com/d@v1.2.0 imp=example.com/d
             example.com/d@v1.1.0 go=1.17
             example.com/d@v1.2.0 go=1.17 req=example.com/e@v1.0.0
             example.com/e@v1.0.0 go=1.17",
        ),
        consumers: vec![(
            ".",
            Consumer::new(
                "example.com/main",
                Some("1.21"),
                &[
                    "example.com/a@v1.0.0",
                    "example.com/b@v1.0.0",
                    "example.com/d@v1.2.0",
                ],
                &["example.com/a", "example.com/b"],
            ),
        )],
        go_work: None,
        build: Some(vec!["./..."]),
        extra_files: vec![],
    }
}

fn untidy_root_raised() -> Scenario {
    let mut s = mvs_higher();
    s.name = "untidy-root-raised";
    s.consumers = vec![(
        ".",
        Consumer::new(
            "example.com/main",
            Some("1.21"),
            &[
                "example.com/a@v1.0.0",
                "example.com/b@v1.0.0",
                "example.com/d@v1.1.0",
            ],
            &["example.com/a", "example.com/b"],
        ),
    )];
    s.build = None;
    s
}

fn replace_exclude() -> Scenario {
    Scenario {
        name: "replace-exclude",
        universe: Universe::new(
            "example.com/a@v1.0.0 go=1.17 req=example.com/x@v1.2.0
             example.com/x@v1.1.0 go=1.17
             example.com/x@v1.2.0 go=1.17
             example.com/r@v1.0.0 go=1.17
             example.com/fork@v1.5.0 go=1.17
             example.com/l@v1.0.0 go=1.17",
        ),
        consumers: vec![(
            ".",
            Consumer::new(
                "example.com/main",
                Some("1.17"),
                &[
                    "example.com/a@v1.0.0",
                    "example.com/l@v1.0.0",
                    "example.com/r@v1.0.0",
                    "example.com/x@v1.1.0",
                ],
                &["example.com/a", "example.com/l", "example.com/r", "example.com/x"],
            )
            .extra(
                "\nexclude example.com/x v1.2.0\n\nreplace example.com/r => example.com/fork v1.5.0\n\nreplace example.com/l => ./local\n",
            ),
        )],
        go_work: None,
        build: Some(vec!["./..."]),
        extra_files: vec![
            ("local/go.mod", "module example.com/l\n\ngo 1.17\n"),
            ("local/l.go", "package l\n\nfunc F() int { return 1 }\n"),
        ],
    }
}

fn workspace() -> Scenario {
    Scenario {
        name: "workspace",
        universe: Universe::new(
            "example.com/a@v1.0.0 go=1.17 req=example.com/b@v1.0.0
             example.com/a@v1.1.0 go=1.17 req=example.com/b@v1.1.0
             example.com/b@v1.0.0 go=1.17 req=example.com/c@v1.0.0
             example.com/b@v1.1.0 go=1.17 req=example.com/c@v1.1.0
             example.com/c@v1.0.0 go=1.17
             example.com/c@v1.1.0 go=1.17
             example.com/old@v1.0.0 go=1.16 req=example.com/c@v1.0.0",
        ),
        consumers: vec![
            (
                "x",
                Consumer::new(
                    "example.com/x",
                    Some("1.21"),
                    &["example.com/a@v1.0.0"],
                    &["example.com/a"],
                ),
            ),
            (
                "y",
                Consumer::new(
                    "example.com/y",
                    Some("1.21"),
                    &["example.com/a@v1.1.0", "example.com/old@v1.0.0"],
                    &["example.com/a", "example.com/old"],
                ),
            ),
        ],
        go_work: Some("go 1.21\n\nuse (\n\t./x\n\t./y\n)\n"),
        build: Some(vec!["example.com/x", "example.com/y"]),
        extra_files: vec![],
    }
}

fn scenarios() -> Vec<Scenario> {
    vec![
        spec_example(),
        unpruned(),
        mvs_higher(),
        untidy_root_raised(),
        replace_exclude(),
        workspace(),
    ]
}

/// The graph (library level) against `go mod download` and `go mod download
/// all`: the same `.mod` and `.zip` sets in Go's cache.
#[test]
fn graph_matches_go_mod_download() {
    if !have_go() {
        return;
    }
    let mut checked = 0;
    for s in scenarios() {
        let universe = Arc::new(s.universe.clone());
        let proxy = universe.serve(Duration::ZERO);
        for all in [false, true] {
            let tmp = tempfile::tempdir().unwrap();
            // go may rewrite go.mod (it runs with -mod=mod): separate copies.
            let dir = s.setup(&tmp.path().join("go"));
            let lib_dir = s.setup(&tmp.path().join("lib"));
            let cache = tmp.path().join("gocache-mod");
            let args: &[&str] = if all {
                &["mod", "download", "all"]
            } else {
                &["mod", "download"]
            };
            let out = go(&dir, tmp.path(), &cache, &proxy.url, s.gowork(), args);
            assert!(
                out.status.success(),
                "{} go {args:?}: {}",
                s.name,
                text(&out)
            );
            let gowork = s.go_work.map(|_| "").unwrap_or("off");
            let (mods, zips) = library_sets(&lib_dir, Some(gowork), universe.clone(), all);
            assert_eq!(
                mods,
                cached(&cache, ".mod"),
                "{} all={all}: .mod set differs from go's",
                s.name
            );
            assert_eq!(
                zips,
                cached(&cache, ".zip"),
                "{} all={all}: .zip set differs from go's",
                s.name
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 12);
}

/// The CLI end to end: `gomodfetch download [all]` leaves the same
/// cache/download files as `go mod download [all]`, and `go build` with
/// GOPROXY=off then succeeds on gomodfetch's cache.
#[test]
fn cli_matches_go_mod_download_and_builds_offline() {
    if !have_go() {
        return;
    }
    for s in scenarios() {
        let proxy = s.universe.serve(Duration::ZERO);
        for all in [false, true] {
            let tmp = tempfile::tempdir().unwrap();
            let go_dir = s.setup(&tmp.path().join("go"));
            let our_dir = s.setup(&tmp.path().join("ours"));
            let go_cache = tmp.path().join("go-modcache");
            let our_cache = tmp.path().join("our-modcache");
            let (gargs, oargs): (&[&str], &[&str]) = if all {
                (&["mod", "download", "-json", "all"], &["-json", "all"])
            } else {
                (&["mod", "download", "-json"], &["-json"])
            };
            let gout = go(
                &go_dir,
                tmp.path(),
                &go_cache,
                &proxy.url,
                s.gowork(),
                gargs,
            );
            assert!(gout.status.success(), "{} go: {}", s.name, text(&gout));
            let out = ours(
                &our_dir,
                tmp.path(),
                &our_cache,
                &proxy.url,
                s.gowork(),
                oargs,
            );
            assert!(
                out.status.success(),
                "{} gomodfetch: {}",
                s.name,
                text(&out)
            );
            assert_eq!(
                cache_files(&our_cache),
                cache_files(&go_cache),
                "{} all={all}: cache/download files differ (left: ours, right: go)",
                s.name
            );
            let norm = |o: &Output, cache: &Path| {
                String::from_utf8_lossy(&o.stdout)
                    .replace(&cache.display().to_string(), "$GOMODCACHE")
            };
            assert_eq!(
                norm(&out, &our_cache),
                norm(&gout, &go_cache),
                "{} all={all}: -json (left: ours, right: go)",
                s.name
            );
            if let Some(pkgs) = &s.build {
                let mut args = vec!["build", "-o", "/dev/null"];
                if pkgs.len() > 1 {
                    args.truncate(1);
                }
                args.extend(pkgs.iter().copied());
                let out = go(&our_dir, tmp.path(), &our_cache, "off", s.gowork(), &args);
                assert!(
                    out.status.success(),
                    "{} all={all}: go build offline on our cache: {}",
                    s.name,
                    text(&out)
                );
            }
        }
    }
}

/// A zip that does not match go.sum: both tools refuse with the same lines,
/// and nothing of that module becomes visible in our cache.
#[test]
fn go_sum_mismatch_refused_like_go() {
    if !have_go() {
        return;
    }
    let s = spec_example();
    let mut bad = s.universe.clone();
    bad.corrupt_zip("example.com/a", "v1.0.0");
    let proxy = bad.serve(Duration::ZERO);
    let tmp = tempfile::tempdir().unwrap();
    let go_dir = s.setup(&tmp.path().join("go"));
    let our_dir = s.setup(&tmp.path().join("ours"));
    let go_cache = tmp.path().join("go-modcache");
    let our_cache = tmp.path().join("our-modcache");
    let g = go(
        &go_dir,
        tmp.path(),
        &go_cache,
        &proxy.url,
        "off",
        &["mod", "download"],
    );
    let o = ours(&our_dir, tmp.path(), &our_cache, &proxy.url, "off", &[]);
    assert!(!g.status.success(), "go accepted a bad zip: {}", text(&g));
    assert!(
        !o.status.success(),
        "gomodfetch accepted a bad zip: {}",
        text(&o)
    );
    let lines = |out: &Output, prefix: &str| -> Vec<String> {
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| !l.starts_with("gomodfetch: ") || !l.contains(" modules ("))
            .map(|l| l.strip_prefix(prefix).unwrap_or(l).to_string())
            .collect()
    };
    let go_lines = lines(&g, "go: ");
    assert!(
        go_lines.iter().any(|l| l.contains("checksum mismatch")),
        "go's refusal: {go_lines:?}"
    );
    // Ours adds where the bad zip came from after go's text.
    let (from, our_lines): (Vec<String>, Vec<String>) = lines(&o, "gomodfetch: ")
        .into_iter()
        .partition(|l| l.starts_with("\t(from "));
    assert_eq!(
        from,
        [format!(
            "\t(from {}/example.com/a/@v/v1.0.0.zip)",
            proxy.url
        )],
        "{our_lines:?}"
    );
    assert_eq!(our_lines, go_lines, "refusal lines (left: ours, right: go)");
    let ours_files = cache_files(&our_cache);
    assert!(
        !ours_files
            .iter()
            .any(|f| f.starts_with("example.com/a/@v/v1.0.0.zip")),
        "bad zip visible in our cache: {ours_files:?}"
    );
    assert!(!our_cache.join("example.com/a@v1.0.0").exists());
}

/// From a restored partial cache (files missing, an extraction removed):
/// only what is missing is fetched, and the cache ends up as go's.
#[test]
fn partial_cache_is_topped_up() {
    if !have_go() {
        return;
    }
    let s = spec_example();
    let proxy = s.universe.serve(Duration::ZERO);
    let tmp = tempfile::tempdir().unwrap();
    let go_dir = s.setup(&tmp.path().join("go"));
    let our_dir = s.setup(&tmp.path().join("ours"));
    let go_cache = tmp.path().join("go-modcache");
    let our_cache = tmp.path().join("our-modcache");
    let g = go(
        &go_dir,
        tmp.path(),
        &go_cache,
        &proxy.url,
        "off",
        &["mod", "download"],
    );
    assert!(g.status.success(), "{}", text(&g));
    let o = ours(&our_dir, tmp.path(), &our_cache, &proxy.url, "off", &[]);
    assert!(o.status.success(), "{}", text(&o));
    let dl = our_cache.join("cache/download");
    std::fs::remove_file(dl.join("example.com/a/@v/v1.0.0.zip")).unwrap();
    std::fs::remove_file(dl.join("example.com/a/@v/v1.0.0.ziphash")).unwrap();
    std::fs::remove_file(dl.join("example.com/w/@v/v1.0.0.mod")).unwrap();
    std::fs::remove_dir_all(our_cache.join("example.com/u@v1.0.0")).unwrap();
    let before = proxy.requests();
    let o = ours(&our_dir, tmp.path(), &our_cache, &proxy.url, "off", &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(cache_files(&our_cache), cache_files(&go_cache));
    assert!(our_cache.join("example.com/u@v1.0.0/u.go").is_file());
    // a's zip and w's go.mod again (u's extraction comes from its cached zip).
    assert_eq!(proxy.requests() - before, 2, "requests made to top up");
    let b = go(
        &our_dir,
        tmp.path(),
        &our_cache,
        "off",
        "off",
        &["build", "./..."],
    );
    assert!(b.status.success(), "{}", text(&b));
    // Warm: nothing asked of the proxy, nothing changed, the same -json.
    let before = proxy.requests();
    let o = ours(
        &our_dir,
        tmp.path(),
        &our_cache,
        &proxy.url,
        "off",
        &["-json"],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(proxy.requests(), before, "a warm pre-warm made requests");
    assert_eq!(cache_files(&our_cache), cache_files(&go_cache));
    let g = go(
        &go_dir,
        tmp.path(),
        &go_cache,
        &proxy.url,
        "off",
        &["mod", "download", "-json"],
    );
    assert!(g.status.success(), "{}", text(&g));
    let norm = |out: &Output, cache: &Path| {
        String::from_utf8_lossy(&out.stdout).replace(&cache.display().to_string(), "$GOMODCACHE")
    };
    assert_eq!(
        norm(&o, &our_cache),
        norm(&g, &go_cache),
        "-json (left: ours, right: go)"
    );
}

/// Outside any module: `all` cannot match, and no arguments means nothing
/// was asked for; exit 1 as go does.
#[test]
fn outside_a_module() {
    if !have_go() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("empty");
    std::fs::create_dir_all(&dir).unwrap();
    let cache = tmp.path().join("modcache");
    for (gargs, oargs) in [
        (vec!["mod", "download", "all"], vec!["all"]),
        (vec!["mod", "download"], vec![]),
    ] {
        let g = go(&dir, tmp.path(), &cache, "off", "off", &gargs);
        let o = ours(&dir, tmp.path(), &cache, "off", "off", &oargs);
        assert_eq!(g.status.code(), Some(1), "{}", text(&g));
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let gl = String::from_utf8_lossy(&g.stderr).replace("go: ", "");
        let ol = String::from_utf8_lossy(&o.stderr).replace("gomodfetch: ", "");
        if oargs.is_empty() {
            assert!(ol.starts_with("no modules specified"), "{ol}");
        } else {
            assert_eq!(ol, gl);
        }
    }
}

/// A zip fetched ahead of the graph (a main requirement, speculatively) whose
/// version MVS then raises: the lower version's zip was fetched but leaves no
/// trace in the cache (no zip, temp file, `.info` or extraction); the cache is
/// go's. The proxy holds the go.mod that raises it until the speculative zip
/// was asked for, so the speculation always happens first. Pruned (the root
/// raised between graph rounds) and unpruned (raised while the graph loads,
/// the running speculation abandoned).
#[test]
fn speculative_zip_of_a_raised_requirement_leaves_no_trace() {
    if !have_go() {
        return;
    }
    let unpruned = Scenario {
        name: "unpruned-direct-raised",
        universe: Universe::new(
            "example.com/a@v1.0.0 go=1.16 req=example.com/d@v1.2.0
             example.com/d@v1.1.0 go=1.16
             example.com/d@v1.2.0 go=1.16",
        ),
        consumers: vec![(
            ".",
            Consumer::new(
                "example.com/main",
                Some("1.16"),
                &["example.com/a@v1.0.0", "example.com/d@v1.1.0"],
                &["example.com/a", "example.com/d"],
            ),
        )],
        go_work: None,
        build: None,
        extra_files: vec![],
    };
    let cases = [
        (untidy_root_raised(), "/example.com/b/@v/v1.0.0.mod"),
        (unpruned, "/example.com/a/@v/v1.0.0.mod"),
    ];
    let lower_zip = "/example.com/d/@v/v1.1.0.zip";
    for (s, raiser) in cases {
        let go_proxy = s.universe.serve(Duration::ZERO);
        let our_proxy = s.universe.serve_gated(
            Duration::ZERO,
            vec![(raiser.to_string(), lower_zip.to_string())],
        );
        for json in [false, true] {
            let tmp = tempfile::tempdir().unwrap();
            let go_dir = s.setup(&tmp.path().join("go"));
            let our_dir = s.setup(&tmp.path().join("ours"));
            let go_cache = tmp.path().join("go-modcache");
            let our_cache = tmp.path().join("our-modcache");
            let (gargs, oargs): (&[&str], &[&str]) = if json {
                (&["mod", "download", "-json"], &["-json"])
            } else {
                (&["mod", "download"], &[])
            };
            let before = our_proxy.paths().len();
            let g = go(&go_dir, tmp.path(), &go_cache, &go_proxy.url, "off", gargs);
            assert!(g.status.success(), "{} go: {}", s.name, text(&g));
            let o = ours(
                &our_dir,
                tmp.path(),
                &our_cache,
                &our_proxy.url,
                "off",
                oargs,
            );
            assert!(o.status.success(), "{} gomodfetch: {}", s.name, text(&o));
            assert!(
                our_proxy.paths()[before..].iter().any(|p| p == lower_zip),
                "{}: the lower version's zip was never fetched ahead: {:?}",
                s.name,
                our_proxy.paths()
            );
            let files = cache_files(&our_cache);
            assert!(
                !files
                    .iter()
                    .any(
                        |f| f.starts_with("example.com/d/@v/v1.1.0.") && !f.ends_with(".mod")
                            || f.ends_with(".tmp")
                    ),
                "{}: a trace of the speculation in our cache: {files:?}",
                s.name
            );
            assert!(!our_cache.join("example.com/d@v1.1.0").exists());
            assert!(our_cache.join("example.com/d@v1.2.0").is_dir());
            assert_eq!(
                files,
                cache_files(&go_cache),
                "{} json={json}: cache/download files differ (left: ours, right: go)",
                s.name
            );
            if json {
                let norm = |out: &Output, cache: &Path| {
                    String::from_utf8_lossy(&out.stdout)
                        .replace(&cache.display().to_string(), "$GOMODCACHE")
                };
                assert_eq!(norm(&o, &our_cache), norm(&g, &go_cache), "{}", s.name);
            }
        }
    }
}

/// Stderr lines without the tool's prefix, minus gomodfetch's summary line.
fn error_lines(out: &Output, prefix: &str) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !(l.starts_with("gomodfetch: ") && l.contains(" modules (")))
        .map(|l| l.strip_prefix(prefix).unwrap_or(l).to_string())
        .collect()
}

/// A graph with several go.mod files missing, where the download set is the
/// build list (go < 1.17, `all`, a workspace): go downloads every module the graph
/// reached and reports each failure (a plain run stops there; -json prints
/// the objects, then the graph error). The same lines, exit status, objects
/// and cache as go.
#[test]
fn build_list_graph_errors_reported_per_module_like_go() {
    if !have_go() {
        return;
    }
    let mut universe = Universe::new(
        "example.com/a@v1.0.0 go=1.16 req=example.com/x@v1.0.0
         example.com/c@v1.0.0 go=1.16 req=example.com/y@v1.0.0
         example.com/e@v1.0.0 go=1.16",
    );
    universe.remove("example.com/c", "v1.0.0", "zip");
    let proxy = universe.serve(Duration::ZERO);
    let require = [
        "example.com/a@v1.0.0",
        "example.com/b@v1.0.0",
        "example.com/c@v1.0.0",
        "example.com/e@v1.0.0",
        "example.com/z@v1.0.0",
    ];
    // "work": a workspace of a go 1.21 module with the requirements above
    // and one requiring a missing module.
    let cases: [(&str, &[&str]); 6] = [
        ("1.16", &[]),
        ("1.16", &["-json"]),
        ("1.17", &["all"]),
        ("1.17", &["-json", "all"]),
        ("work", &[]),
        ("work", &["-json"]),
    ];
    for (go_version, args) in cases {
        let workspace = go_version == "work";
        let mut consumers = vec![(
            if workspace { "x" } else { "." },
            Consumer::new(
                "example.com/main",
                Some(if workspace { "1.21" } else { go_version }),
                &require,
                &[],
            ),
        )];
        if workspace {
            consumers.push((
                "y",
                Consumer::new(
                    "example.com/other",
                    Some("1.21"),
                    &["example.com/e@v1.0.0", "example.com/w@v1.0.0"],
                    &[],
                ),
            ));
        }
        let s = Scenario {
            name: "graph-errors",
            universe: universe.clone(),
            consumers,
            go_work: workspace.then_some("go 1.21\n\nuse (\n\t./x\n\t./y\n)\n"),
            build: None,
            extra_files: vec![],
        };
        let tmp = tempfile::tempdir().unwrap();
        let go_dir = s.setup(&tmp.path().join("go"));
        let our_dir = s.setup(&tmp.path().join("ours"));
        let go_cache = tmp.path().join("go-modcache");
        let our_cache = tmp.path().join("our-modcache");
        let mut gargs = vec!["mod", "download"];
        gargs.extend_from_slice(args);
        let g = go(
            &go_dir,
            tmp.path(),
            &go_cache,
            &proxy.url,
            s.gowork(),
            &gargs,
        );
        let o = ours(
            &our_dir,
            tmp.path(),
            &our_cache,
            &proxy.url,
            s.gowork(),
            args,
        );
        let what = format!("go {go_version} {args:?}");
        assert_eq!(g.status.code(), Some(1), "{what}: {}", text(&g));
        assert_eq!(o.status.code(), Some(1), "{what}: {}", text(&o));
        let go_lines = error_lines(&g, "go: ");
        // Every module of the partial build list has its own line (plain)
        // or object (-json).
        let reported = if args.contains(&"-json") {
            String::from_utf8_lossy(&g.stdout).to_string()
        } else {
            go_lines.join("\n")
        };
        for m in ["b", "c", "x", "y", "z"] {
            assert!(
                reported.contains(&format!("example.com/{m}@v1.0.0")),
                "{what}: go did not report {m}: {}",
                text(&g)
            );
        }
        assert_eq!(
            error_lines(&o, "gomodfetch: "),
            go_lines,
            "{what}: stderr (left: ours, right: go)"
        );
        let norm = |out: &Output, cache: &Path| {
            String::from_utf8_lossy(&out.stdout)
                .replace(&cache.display().to_string(), "$GOMODCACHE")
        };
        assert_eq!(
            norm(&o, &our_cache),
            norm(&g, &go_cache),
            "{what}: stdout (left: ours, right: go)"
        );
        assert_eq!(
            cache_files(&our_cache),
            cache_files(&go_cache),
            "{what}: cache/download files differ (left: ours, right: go)"
        );
    }
}
