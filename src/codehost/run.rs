//! Running version-control commands as the go command does
//! (modfetch/codehost/codehost.go: `Run`, `RunError`; modload/init.go: `Init`;
//! spec/fetch-protocol.md §9.6).
//!
//! Owns: the environment a VCS subprocess gets (the user's environment plus
//! `GIT_TERMINAL_PROMPT=0` and `GCM_INTERACTIVE=never` unless already set, so
//! git config and credential helpers still apply but nothing ever prompts),
//! capturing stdout, keeping stderr for the error ([`CommandError`], worded as
//! Go's `RunError`, in the spirit of ripgrep's `CommandError`), and a deadline
//! so a hanging server cannot hang us forever (Go has none; we kill the child
//! when it passes).
//!
//! Must not: read the process environment itself (the caller passes what
//! `settings::env` read), or interpret the output.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;

/// The most stdout we keep from one command (git archive of a 500 MiB module
/// plus slack); beyond it the command fails instead of eating memory.
pub const MAX_OUTPUT: u64 = (500 << 20) + (1 << 20);

/// Receives `-x` lines (the commands, as Go's `-x` prints them).
pub type Trace = Arc<dyn Fn(&str) + Send + Sync>;

/// How VCS commands are run: which binary, which environment, how long.
#[derive(Clone)]
pub struct VcsEnv {
    /// The git program (`git`, found on PATH by default).
    pub git: PathBuf,
    /// Variables added to (or overriding) the inherited environment.
    pub vars: Vec<(OsString, OsString)>,
    /// Kill a command that has not finished after this long.
    pub timeout: Option<Duration>,
    /// The GOMODCACHE directory (`cache/vcs/` lives under it; pings run in it).
    pub modcache: PathBuf,
    /// `-x`: where command lines go.
    pub trace: Option<Trace>,
}

impl std::fmt::Debug for VcsEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VcsEnv")
            .field("git", &self.git)
            .field("vars", &self.vars)
            .field("timeout", &self.timeout)
            .field("modcache", &self.modcache)
            .field("trace", &self.trace.is_some())
            .finish()
    }
}

/// Go's `-x` rendering of one argument (codehost.go: `run`): arguments with
/// `'` in double quotes (bash-escaped), arguments with shell specials or
/// spaces in single quotes.
pub fn quote_arg(arg: &str) -> String {
    if arg.contains('\'') {
        let mut out = String::from("\"");
        for c in arg.chars() {
            match c {
                '"' | '$' | '`' | '\\' => {
                    out.push('\\');
                    out.push(c);
                }
                c => out.push(c),
            }
        }
        out.push('"');
        return out;
    }
    if arg
        .chars()
        .any(|c| "$`\\*?[\"\t\n\u{b}\u{c}\r \u{85}\u{a0}".contains(c))
    {
        return format!("'{arg}'");
    }
    arg.to_owned()
}

impl VcsEnv {
    /// The environment Go gives VCS commands: `lookup` reads the user's
    /// environment (as snapshotted by `settings::env`). `GIT_TERMINAL_PROMPT`
    /// is set to `0` unless non-empty, `GCM_INTERACTIVE` to `never` unless set
    /// (modload/init.go: `Init`). Go 1.26 no longer sets `GIT_SSH_COMMAND`.
    pub fn go_defaults(modcache: PathBuf, lookup: impl Fn(&str) -> Option<String>) -> Self {
        let mut vars = Vec::new();
        if lookup("GIT_TERMINAL_PROMPT").is_none_or(|v| v.is_empty()) {
            vars.push(("GIT_TERMINAL_PROMPT".into(), "0".into()));
        }
        if lookup("GCM_INTERACTIVE").is_none() {
            vars.push(("GCM_INTERACTIVE".into(), "never".into()));
        }
        VcsEnv {
            git: PathBuf::from("git"),
            vars,
            // Generous: a large repository over a slow link takes minutes, a
            // dead server should not take forever.
            timeout: Some(Duration::from_secs(30 * 60)),
            modcache,
            trace: None,
        }
    }
}

/// A VCS command that could not run or exited non-zero. Displayed as Go's
/// `RunError`: `<cmd> in <dir>: <status>:` then the stderr lines indented.
#[derive(Debug, thiserror::Error)]
pub struct CommandError {
    /// The command line, space-joined as Go prints it.
    pub command: String,
    /// The directory it ran in.
    pub dir: PathBuf,
    /// What went wrong: `exit status 128`, a spawn error, a timeout.
    pub cause: CommandFailure,
    /// Everything the command wrote to stderr.
    pub stderr: String,
    /// A hint Go adds for some failures (private repositories).
    pub help: Option<String>,
}

/// Why a command failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandFailure {
    /// It exited with this code.
    Exit(i32),
    /// It was killed by a signal.
    Signal,
    /// It could not be started (`git` missing, ...).
    Spawn(String),
    /// It did not finish within the deadline and was killed.
    Timeout(Duration),
    /// It wrote more than [`MAX_OUTPUT`] bytes.
    TooMuchOutput,
}

impl CommandError {
    /// The exit code, when the command ran and exited.
    pub fn exit_code(&self) -> Option<i32> {
        match self.cause {
            CommandFailure::Exit(code) => Some(code),
            _ => None,
        }
    }
}

impl std::fmt::Display for CommandFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommandFailure::Exit(code) => write!(f, "exit status {code}"),
            CommandFailure::Signal => write!(f, "signal: killed"),
            CommandFailure::Spawn(err) => write!(f, "{err}"),
            CommandFailure::Timeout(d) => write!(f, "timed out after {}s", d.as_secs()),
            CommandFailure::TooMuchOutput => write!(f, "output larger than {MAX_OUTPUT} bytes"),
        }
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} in {}: {}",
            self.command,
            self.dir.display(),
            self.cause
        )?;
        let stderr = self.stderr.trim_end_matches('\n');
        if !stderr.is_empty() {
            write!(f, ":\n\t{}", stderr.replace('\n', "\n\t"))?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n{help}")?;
        }
        Ok(())
    }
}

/// Runs `program args...` in `dir` with `env` plus `extra_env`; returns its
/// stdout, or a [`CommandError`] carrying its stderr.
pub async fn run(
    env: &VcsEnv,
    dir: &Path,
    program: &Path,
    args: &[&str],
    extra_env: &[(&str, &OsString)],
) -> Result<Vec<u8>, CommandError> {
    let command_line = std::iter::once(program.to_string_lossy().into_owned())
        .chain(args.iter().map(|a| (*a).to_owned()))
        .collect::<Vec<_>>()
        .join(" ");
    let fail = |cause: CommandFailure, stderr: String| CommandError {
        command: command_line.clone(),
        dir: dir.to_path_buf(),
        cause,
        stderr,
        help: None,
    };
    let traced = env.trace.as_ref().map(|t| {
        let line = std::iter::once(program.to_string_lossy().into_owned())
            .chain(args.iter().map(|a| quote_arg(a)))
            .collect::<Vec<_>>()
            .join(" ");
        let line = format!("cd {}; {line}", dir.display());
        t(&line);
        (t.clone(), line, Instant::now())
    });
    let result = run_inner(env, dir, program, args, extra_env, fail).await;
    if let Some((t, line, start)) = traced {
        t(&format!("{:.3}s # {line}", start.elapsed().as_secs_f64()));
    }
    result
}

async fn run_inner(
    env: &VcsEnv,
    dir: &Path,
    program: &Path,
    args: &[&str],
    extra_env: &[(&str, &OsString)],
    fail: impl Fn(CommandFailure, String) -> CommandError,
) -> Result<Vec<u8>, CommandError> {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in &env.vars {
        cmd.env(k, v);
    }
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| fail(CommandFailure::Spawn(e.to_string()), String::new()))?;
    let (Some(mut stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(fail(
            CommandFailure::Spawn("no pipes".into()),
            String::new(),
        ));
    };
    let work = async {
        let stderr_task = tokio::spawn(async move {
            let mut err = Vec::new();
            let _ = (&mut stderr).take(1 << 20).read_to_end(&mut err).await;
            err
        });
        let mut out = Vec::new();
        let read = (&mut stdout)
            .take(MAX_OUTPUT + 1)
            .read_to_end(&mut out)
            .await;
        if out.len() as u64 > MAX_OUTPUT {
            // The child may be blocked writing more: stop it so wait returns.
            let _ = child.start_kill();
        }
        drop(stdout);
        let status = child.wait().await;
        let err = stderr_task.await.unwrap_or_default();
        (out, err, read.and(status))
    };
    let (out, err, result) = match env.timeout {
        Some(limit) => match tokio::time::timeout(limit, work).await {
            Ok(done) => done,
            // Dropping `work` drops the child, which kills it (kill_on_drop).
            Err(_) => return Err(fail(CommandFailure::Timeout(limit), String::new())),
        },
        None => work.await,
    };
    let stderr_text = String::from_utf8_lossy(&err).into_owned();
    let status =
        result.map_err(|e| fail(CommandFailure::Spawn(e.to_string()), stderr_text.clone()))?;
    if out.len() as u64 > MAX_OUTPUT {
        return Err(fail(CommandFailure::TooMuchOutput, stderr_text));
    }
    if !status.success() {
        let cause = match status.code() {
            Some(code) => CommandFailure::Exit(code),
            None => CommandFailure::Signal,
        };
        return Err(fail(cause, stderr_text));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> VcsEnv {
        VcsEnv::go_defaults(std::env::temp_dir(), |_| None)
    }

    #[test]
    fn go_defaults_respect_user_settings() {
        let e = VcsEnv::go_defaults(PathBuf::new(), |_| None);
        assert_eq!(e.vars.len(), 2);
        let e = VcsEnv::go_defaults(PathBuf::new(), |k| match k {
            "GIT_TERMINAL_PROMPT" => Some("1".into()),
            "GCM_INTERACTIVE" => Some(String::new()),
            _ => None,
        });
        assert!(e.vars.is_empty(), "{:?}", e.vars);
        let e = VcsEnv::go_defaults(PathBuf::new(), |k| {
            (k == "GIT_TERMINAL_PROMPT").then(String::new)
        });
        assert_eq!(e.vars.len(), 2);
    }

    #[tokio::test]
    async fn failure_carries_stderr_like_go() {
        let dir = std::env::temp_dir();
        let err = run(
            &env(),
            &dir,
            Path::new("sh"),
            &["-c", "echo out; echo bad >&2; echo worse >&2; exit 3"],
            &[],
        )
        .await
        .unwrap_err();
        assert_eq!(err.exit_code(), Some(3));
        let text = err.to_string();
        assert!(text.ends_with(": exit status 3:\n\tbad\n\tworse"), "{text}");
        assert!(text.starts_with("sh -c "), "{text}");
    }

    #[tokio::test]
    async fn success_returns_stdout() {
        let dir = std::env::temp_dir();
        let out = run(&env(), &dir, Path::new("sh"), &["-c", "printf 'a b'"], &[])
            .await
            .unwrap();
        assert_eq!(out, b"a b");
    }

    #[tokio::test]
    async fn timeout_kills_the_child() {
        let mut e = env();
        e.timeout = Some(Duration::from_millis(200));
        let dir = std::env::temp_dir();
        let err = run(&e, &dir, Path::new("sleep"), &["30"], &[])
            .await
            .unwrap_err();
        assert_eq!(
            err.cause,
            CommandFailure::Timeout(Duration::from_millis(200))
        );
    }

    #[tokio::test]
    async fn missing_program_is_a_spawn_error() {
        let dir = std::env::temp_dir();
        let err = run(
            &env(),
            &dir,
            Path::new("/nonexistent/git"),
            &["version"],
            &[],
        )
        .await
        .unwrap_err();
        assert!(matches!(err.cause, CommandFailure::Spawn(_)), "{err}");
    }
}
