//! Test support: git repositories built at test time with fixed identities
//! and dates, and a [`VcsEnv`] isolated from the user's git configuration.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use super::run::VcsEnv;

/// A git repository under construction in a temp directory.
pub struct TestRepo {
    pub dir: PathBuf,
    /// Seconds since the epoch for the next commit; bumped by each commit.
    pub time: i64,
}

impl TestRepo {
    pub fn new(dir: &Path) -> TestRepo {
        std::fs::create_dir_all(dir).unwrap();
        let repo = TestRepo {
            dir: dir.to_path_buf(),
            time: 1_706_933_106, // 2024-02-03T04:05:06Z
        };
        repo.git(&["init", "-q", "-b", "main", "."]);
        repo
    }

    /// Runs git in the repository; panics on failure; returns stdout.
    pub fn git(&self, args: &[&str]) -> String {
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

    /// Writes `path` (creating parents) with `content`.
    pub fn write(&self, path: &str, content: &str) -> &Self {
        let p = self.dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
        self
    }

    #[allow(dead_code)]
    pub fn remove(&self, path: &str) -> &Self {
        self.git(&["rm", "-q", "-r", path]);
        self
    }

    /// Commits everything; returns the full hash.
    pub fn commit(&mut self, msg: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", msg]);
        self.time += 86_400;
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    pub fn tag(&self, name: &str) -> &Self {
        self.git(&["tag", name]);
        self
    }

    pub fn annotated_tag(&self, name: &str) -> &Self {
        self.git(&["tag", "-a", "-m", name, name]);
        self
    }

    pub fn url(&self) -> String {
        format!("file://{}", self.dir.display())
    }
}

/// A [`VcsEnv`] with a private module cache and no user or system git config.
pub fn env(modcache: &Path) -> Arc<VcsEnv> {
    let mut env = VcsEnv::go_defaults(modcache.to_path_buf(), |_| None);
    env.vars.push(("GIT_CONFIG_NOSYSTEM".into(), "1".into()));
    env.vars
        .push(("GIT_CONFIG_GLOBAL".into(), "/dev/null".into()));
    Arc::new(env)
}
