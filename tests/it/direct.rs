//! Direct mode against the real go command: git repositories built at test
//! time (tags, a `/v2` subdirectory module, a module in a subdirectory with
//! prefixed tags, an untagged head needing a pseudo-version, a repository
//! without go.mod tagged v3 → `+incompatible`, symlinks, vendor and nested
//! modules), reached under `.git`-qualified module paths that go resolves
//! without discovery: the scheme probe and every later git command go to
//! `https://example.com/<name>`, which the test's git config rewrites
//! (`url.<file://...>.insteadOf`) to the local repository. Both tools run
//! with GOPROXY=direct on private caches; the caches must match.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use crate::support::oracle::{Entry, Sandbox, go_or_skip, make_writable, snapshot};

/// Builds a repository under `dir` with fixed identities and dates.
struct Repo {
    dir: PathBuf,
    time: i64,
}

impl Repo {
    fn new(dir: &Path) -> Repo {
        std::fs::create_dir_all(dir).unwrap();
        let r = Repo {
            dir: dir.to_path_buf(),
            time: 1_706_933_106, // 2024-02-03T04:05:06Z
        };
        r.git(&["init", "-q", "-b", "main", "."]);
        r
    }

    fn git(&self, args: &[&str]) -> String {
        let date = format!("@{} +0000", self.time);
        let out = Command::new("git")
            .args(args)
            .current_dir(&self.dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn write(&self, path: &str, content: &str) -> &Repo {
        let p = self.dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
        self
    }

    fn symlink(&self, path: &str, target: &str) -> &Repo {
        std::os::unix::fs::symlink(target, self.dir.join(path)).unwrap();
        self
    }

    fn commit(&mut self, msg: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", msg]);
        self.time += 86_400;
    }

    fn tag(&self, name: &str) -> &Repo {
        self.git(&["tag", name]);
        self
    }
}

/// The repositories and a git config that maps `https://example.com/` to them.
fn build_repos(root: &Path) -> PathBuf {
    let repos = root.join("repos");
    let mut a = Repo::new(&repos.join("a"));
    a.write("go.mod", "module example.com/a.git\n\ngo 1.20\n")
        .write("a.go", "package a\n")
        .write("LICENSE", "root license\n")
        .write(
            "vendor/modules.txt",
            "# example.com/dep v1.0.0\nexample.com/dep\n",
        )
        .write("vendor/example.com/dep/d.go", "package dep\n")
        .write("nested/go.mod", "module example.com/a.git/nested\n")
        .write("nested/n.go", "package nested\n")
        .write("sub/go.mod", "module example.com/a.git/sub\n")
        .write("sub/s.go", "package sub\n")
        .write("v2/go.mod", "module example.com/a.git/v2\n\ngo 1.21\n")
        .write("v2/a.go", "package a\n")
        .symlink("link.go", "a.go");
    a.commit("first");
    a.tag("v1.0.0")
        .tag("sub/v0.1.0")
        .tag("v2/v2.0.0")
        .tag("not-a-version");
    a.write("b.go", "package a\n\nconst B = 1\n");
    a.commit("second, untagged");

    let mut b = Repo::new(&repos.join("b"));
    b.write("b.go", "package b\n")
        .write("LICENSE", "b license\n");
    b.commit("first");
    b.tag("v1.0.0");
    b.write("c.go", "package b\n");
    b.commit("second");
    b.tag("v3.0.0");
    b.write("d.go", "package b\n");
    b.commit("third, untagged: a +incompatible pseudo-version");

    // No tags at all: v0.0.0 pseudo-versions.
    let mut c = Repo::new(&repos.join("c"));
    c.write("go.mod", "module example.com/c.git\n")
        .write("c.go", "package c\n");
    c.commit("first");
    c.write("c2.go", "package c\n");
    c.commit("second");

    let config = root.join("gitconfig");
    std::fs::write(
        &config,
        format!(
            "[url \"file://{}/\"]\n\tinsteadOf = https://example.com/\n",
            repos.display()
        ),
    )
    .unwrap();
    config
}

fn sandbox(gitconfig: &Path) -> Sandbox {
    let mut s = Sandbox::new("direct");
    s.set("GIT_CONFIG_GLOBAL", &gitconfig.display().to_string())
        .set("GIT_CONFIG_NOSYSTEM", "1");
    s
}

/// The fields of `go mod download -json` objects that must agree.
fn summaries(out: &str) -> Vec<String> {
    let mut list = Vec::new();
    let stream = serde_json::Deserializer::from_str(out).into_iter::<serde_json::Value>();
    for v in stream {
        let v = v.unwrap();
        let field = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_owned();
        let mut origin = v.get("Origin").cloned().unwrap_or_default();
        if field("Query") == "latest"
            && let Some(o) = origin.as_object_mut()
        {
            // Go merges the version list's Origin (TagPrefix, TagSum) into
            // `@latest` answers (modload's mergeOrigin); the Fetcher's
            // query does not yet. Not part of any cache file.
            o.remove("TagPrefix");
            o.remove("TagSum");
        }
        list.push(format!(
            "{} {} query={} sum={} gomodsum={} error={} origin={origin}",
            field("Path"),
            field("Version"),
            field("Query"),
            field("Sum"),
            field("GoModSum"),
            field("Error")
        ));
    }
    list
}

/// The cache without what legitimately differs: git's object store under
/// cache/vcs (pack layout is git's business). The `.zip` files are compared
/// byte for byte (codehost/goflate.rs deflates as Go does).
fn comparable(root: &Path) -> Vec<(String, Entry)> {
    snapshot(root)
        .into_iter()
        .filter(|(k, _)| {
            let vcs_internal =
                k.starts_with("cache/vcs/") && !k.ends_with(".info") && k.matches('/').count() > 2;
            !vcs_internal
        })
        .collect()
}

fn show(e: &Entry) -> String {
    match e {
        Entry::Dir { mode } => format!("dir {mode:o}"),
        Entry::File { mode, data } => format!("file {mode:o} {}", String::from_utf8_lossy(data)),
    }
}

#[test]
fn direct_downloads_match_go() {
    if !go_or_skip() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let gitconfig = build_repos(tmp.path());
    let args = [
        "example.com/a.git@v1.0.0",
        "example.com/a.git@main",
        "example.com/a.git/sub@v0.1.0",
        "example.com/a.git/sub@latest",
        "example.com/a.git/v2@v2.0.0",
        "example.com/b.git@v1.0.0",
        "example.com/b.git@v3.0.0",
        "example.com/b.git@main",
        "example.com/c.git@latest",
        "example.com/a.git@v9.9.9",
        "example.com/missing.git@v1.0.0",
    ];
    // A tag that is not a version resolves to the commit's version; run
    // alone, after the rest: when run together, which query writes
    // v1.0.0.info first (and so its Origin.Ref) is a race in go itself.
    let later = ["example.com/a.git@not-a-version"];
    let go = sandbox(&gitconfig);
    let ours = sandbox(&gitconfig);
    let mut go_args = vec!["mod", "download", "-json"];
    go_args.extend(args);
    let mut our_args = vec!["download", "--json"];
    our_args.extend(args);
    let go_out = go.go(&go_args);
    let our_out = ours.ours(&our_args);
    assert_eq!(go_out.status.code(), our_out.status.code(), "exit codes");
    let go_json = go.normalize(&go_out.stdout);
    let our_json = ours.normalize(&our_out.stdout);
    let (gs, os) = (summaries(&go_json), summaries(&our_json));
    assert_eq!(
        gs,
        os,
        "\ngo:\n{go_json}\nours:\n{our_json}\nstderr: {}",
        String::from_utf8_lossy(&our_out.stderr)
    );
    // Something real was compared: a pseudo-version and +incompatible.
    assert!(
        gs.iter().any(|l| l.contains("v1.0.1-0.20240204040506-")),
        "{gs:#?}"
    );
    assert!(
        gs.iter().any(|l| l.contains("v3.0.0+incompatible")),
        "{gs:#?}"
    );
    let go_out = go.go(&[&["mod", "download", "-json"][..], &later[..]].concat());
    let our_out = ours.ours(&[&["download", "--json"][..], &later[..]].concat());
    assert_eq!(go_out.status.code(), our_out.status.code(), "exit codes");
    assert_eq!(
        summaries(&go.normalize(&go_out.stdout)),
        summaries(&ours.normalize(&our_out.stdout))
    );

    let (a, b) = (comparable(&go.cache()), comparable(&ours.cache()));
    let diffs: Vec<String> = a
        .iter()
        .filter(|e| !b.contains(e))
        .map(|(k, v)| format!("go only or different: {k}: {}", show(v)))
        .chain(
            b.iter()
                .filter(|e| !a.contains(e))
                .map(|(k, v)| format!("ours only or different: {k}: {}", show(v))),
        )
        .collect();
    assert!(diffs.is_empty(), "caches differ:\n{}", diffs.join("\n"));
    // The zips exist on both sides for every success.
    for (k, _) in snapshot(&go.cache())
        .iter()
        .filter(|(k, _)| k.ends_with(".zip"))
    {
        assert!(ours.cache().join(k).is_file(), "missing {k}");
    }
    make_writable(&go.cache());
    make_writable(&ours.cache());
}

#[test]
fn a_hanging_git_server_times_out_with_a_clear_error() {
    use gomodfetch::codehost::git::GitRepo;
    use gomodfetch::codehost::run::VcsEnv;
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // Accepts connections and never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let held = tokio::spawn(async move {
            let mut conns = Vec::new();
            while let Ok((sock, _)) = listener.accept().await {
                conns.push(sock);
            }
        });
        let tmp = tempfile::tempdir().unwrap();
        let mut env = VcsEnv::go_defaults(tmp.path().join("mod"), |_| None);
        env.vars.push(("GIT_CONFIG_NOSYSTEM".into(), "1".into()));
        env.vars
            .push(("GIT_CONFIG_GLOBAL".into(), "/dev/null".into()));
        env.timeout = Some(Duration::from_secs(2));
        let url = format!("http://{addr}/repo");
        let repo = GitRepo::open(Arc::new(env), &url, None).await.unwrap();
        let err = repo.stat("v1.0.0").await.unwrap_err().to_string();
        assert!(
            err.contains(&format!("git ls-remote -q --end-of-options {url}")),
            "{err}"
        );
        assert!(err.contains("timed out after 2s"), "{err}");
        held.abort();
    });
}

/// Runs the same `download -json` on both tools; returns (go, ours) summaries.
fn both(go: &Sandbox, ours: &Sandbox, args: &[&str]) -> (Vec<String>, Vec<String>) {
    let go_out = go.go(&[&["mod", "download", "-json"][..], args].concat());
    let our_out = ours.ours(&[&["download", "--json"][..], args].concat());
    assert_eq!(
        go_out.status.code(),
        our_out.status.code(),
        "exit codes for {args:?}"
    );
    (
        summaries(&go.normalize(&go_out.stdout)),
        summaries(&ours.normalize(&our_out.stdout)),
    )
}

#[test]
fn private_modules_with_goproxy_off_and_govcs_rules_match_go() {
    if !go_or_skip() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let gitconfig = build_repos(tmp.path());
    // GOPROXY=off, but GOPRIVATE modules still come from version control.
    let (mut go, mut ours) = (sandbox(&gitconfig), sandbox(&gitconfig));
    for s in [&mut go, &mut ours] {
        s.set("GOPROXY", "off")
            .set("GOPRIVATE", "example.com/a.git");
    }
    let (g, o) = both(
        &go,
        &ours,
        &["example.com/a.git@v1.0.0", "example.com/b.git@v1.0.0"],
    );
    assert_eq!(g, o);
    assert!(g[0].contains("sum=h1:"), "{g:#?}");
    assert!(
        g[1].contains("module lookup disabled by GOPROXY=off"),
        "{g:#?}"
    );

    // GOVCS forbids git for one root; the built-in rules still allow the other.
    let (mut go, mut ours) = (sandbox(&gitconfig), sandbox(&gitconfig));
    for s in [&mut go, &mut ours] {
        s.set("GOVCS", "example.com/b.git:off");
    }
    let (g, o) = both(
        &go,
        &ours,
        &["example.com/b.git@v1.0.0", "example.com/a.git@v1.0.0"],
    );
    assert_eq!(g, o);
    assert!(
        g[0].contains("GOVCS disallows using git for public example.com/b.git"),
        "{g:#?}"
    );
    // A malformed GOVCS fails every direct lookup.
    let (mut go, mut ours) = (sandbox(&gitconfig), sandbox(&gitconfig));
    for s in [&mut go, &mut ours] {
        s.set("GOVCS", "example.com/b.git");
    }
    let (g, o) = both(&go, &ours, &["example.com/b.git@v1.0.0"]);
    assert_eq!(g, o);
    assert!(
        g[0].contains("malformed entry in GOVCS (missing colon)"),
        "{g:#?}"
    );
    for s in [&go, &ours] {
        make_writable(&s.cache());
    }
}

#[test]
fn a_missing_http_repository_is_not_found() {
    use gomodfetch::codehost::discovery::HttpDiscovery;
    use gomodfetch::codehost::git::{GitRepo, NotFoundProbe};
    use gomodfetch::codehost::run::VcsEnv;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // Every request is a 404, as a forge answers for a repository that does not exist.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let _ = sock.read(&mut buf).await;
                    let _ = sock
                        .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        .await;
                });
            }
        });
        let tmp = tempfile::tempdir().unwrap();
        let mut env = VcsEnv::go_defaults(tmp.path().join("mod"), |_| None);
        env.vars.push(("GIT_CONFIG_NOSYSTEM".into(), "1".into()));
        env.vars.push(("GIT_CONFIG_GLOBAL".into(), "/dev/null".into()));
        let url = format!("http://{addr}/nope");
        let probe: Arc<dyn NotFoundProbe> =
            Arc::new(HttpDiscovery::new(&gomodfetch::net::tls::TrustOptions::default()).unwrap());
        let repo = GitRepo::open(Arc::new(env.clone()), &url, Some(probe)).await.unwrap();
        let err = repo.stat("v1.0.0").await.unwrap_err();
        assert!(err.is_not_exist(), "{err}");
        assert!(err.to_string().contains(&format!("git ls-remote -q --end-of-options {url}")), "{err}");
        // Without the probe the same failure is a plain error (no fall-through).
        let env2 = {
            let mut e = env;
            e.modcache = tmp.path().join("mod2");
            e
        };
        let repo = GitRepo::open(Arc::new(env2), &url, None).await.unwrap();
        assert!(!repo.stat("v1.0.0").await.unwrap_err().is_not_exist());
        server.abort();
    });
}

#[test]
fn x_prints_the_git_commands_go_runs() {
    if !go_or_skip() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let gitconfig = build_repos(tmp.path());
    let (go, ours) = (sandbox(&gitconfig), sandbox(&gitconfig));
    let lines = |s: &Sandbox, out: &[u8]| -> Vec<String> {
        let mut v: Vec<String> = s
            .normalize(out)
            .lines()
            .filter(|l| {
                l.split_once("s # ")
                    .is_none_or(|(t, _)| t.parse::<f64>().is_err())
            })
            .map(str::to_owned)
            .collect();
        // Go reads go.mod several times in a row; we read it once.
        v.dedup();
        v
    };
    let g = go.go(&["mod", "download", "-x", "example.com/a.git@v1.0.0"]);
    let o = ours.ours(&["download", "-x", "example.com/a.git@v1.0.0"]);
    assert!(g.status.success() && o.status.success());
    let (g, o) = (lines(&go, &g.stderr), lines(&ours, &o.stderr));
    assert!(
        g.iter()
            .any(|l| l.contains("git -c core.autocrlf=input -c core.eol=lf archive")),
        "{g:#?}"
    );
    assert_eq!(g, o);
    make_writable(&go.cache());
}
