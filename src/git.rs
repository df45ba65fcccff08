//! Every git call mnpsync makes: the commit of the manifests' repository, `git pull --ff-only`
//! for `watch --git-pull`, and the redaction of remote URLs' credentials in git's messages.
//!
//! One way to run git: [`run`], asynchronous, with a timeout, no prompt, and stdin closed. It
//! never reads or writes the working tree itself.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// A git command that takes longer is abandoned (`git pull` is retried next interval).
pub(crate) const GIT_TIMEOUT: Duration = Duration::from_secs(60);

/// The directory git should run in for a manifest path: the path itself when it is a
/// directory, else its parent (`.` for a bare file name).
pub(crate) fn dir_of(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    }
}

/// Runs `git -C dir ARGS` without prompting; returns stdout, or the last line of stderr
/// (credentials redacted) as the error.
///
/// # Errors
/// git missing, failing, or slower than `GIT_TIMEOUT`.
pub async fn run(dir: &Path, args: &[&str]) -> Result<String, String> {
    let mut command = tokio::process::Command::new("git");
    command
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let output = match tokio::time::timeout(GIT_TIMEOUT, command.output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => return Err(format!("cannot run git: {e}")),
        Err(_) => return Err(format!("timed out after {}s", GIT_TIMEOUT.as_secs())),
    };
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message = stderr.trim().lines().last().unwrap_or("").to_string();
        Err(redact_url_credentials(&format!(
            "{} ({})",
            if message.is_empty() {
                "failed"
            } else {
                &message
            },
            output.status
        )))
    }
}

/// The git HEAD of the repository that contains `path`, or `None` outside git.
///
/// Runs `git -C <dir> rev-parse HEAD`, so the process's working directory does not matter.
pub async fn commit(path: &Path) -> Option<String> {
    let out = run(&dir_of(path), &["rev-parse", "--verify", "--quiet", "HEAD"])
        .await
        .ok()?;
    let commit = out.trim();
    (!commit.is_empty()).then(|| commit.to_string())
}

/// The suffix of a commit whose manifests have uncommitted changes: `<sha>-dirty`.
pub const DIRTY: &str = "-dirty";

/// The commit of the manifests' repository (the first path's), with [`DIRTY`] appended when
/// any of `paths` has uncommitted changes (`git status --porcelain` on them: modified, staged,
/// deleted or untracked files), so a plan or journal never claims a commit it was not made from.
pub async fn commit_of(paths: &[PathBuf]) -> Option<String> {
    let head = commit(paths.first()?).await?;
    for path in paths {
        if is_dirty(path).await {
            return Some(format!("{head}{DIRTY}"));
        }
    }
    Some(head)
}

/// Whether `git status --porcelain` lists anything under `path` (a path outside any work tree,
/// or a git that fails, is not dirty: there is no commit to qualify).
async fn is_dirty(path: &Path) -> bool {
    let spec = if path.is_dir() {
        PathBuf::from(".")
    } else {
        path.file_name()
            .map_or_else(|| PathBuf::from("."), PathBuf::from)
    };
    let spec = spec.to_string_lossy().into_owned();
    match run(
        &dir_of(path),
        &[
            "status",
            "--porcelain",
            "--untracked-files=all",
            "--",
            &spec,
        ],
    )
    .await
    {
        Ok(out) => !out.trim().is_empty(),
        Err(_) => false,
    }
}

/// The top of the work tree that contains `path`.
///
/// # Errors
/// `path` is not in a git work tree, or git failed.
pub(crate) async fn top_level(path: &Path) -> Result<PathBuf, String> {
    let top = run(&dir_of(path), &["rev-parse", "--show-toplevel"]).await?;
    Ok(PathBuf::from(top.trim()))
}

/// `git pull --ff-only --quiet` in the work tree `top`.
///
/// # Errors
/// As [`run`].
#[cfg(feature = "watch")]
pub(crate) async fn pull_ff_only(top: &Path) -> Result<(), String> {
    run(top, &["pull", "--ff-only", "--quiet"]).await.map(drop)
}

/// Replaces the user-info of URLs (`https://user:token@host`) so remotes' tokens are not logged.
pub(crate) fn redact_url_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c == '/' || c.is_whitespace() || c == '\'' || c == '"')
            .unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(user_end) => {
                out.push_str("***@");
                rest = &tail[user_end + 1..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_errors_lose_url_credentials() {
        assert_eq!(
            redact_url_credentials(
                "fatal: unable to access 'https://bot:ghp_secret@github.com/o/r.git/': 403"
            ),
            "fatal: unable to access 'https://***@github.com/o/r.git/': 403"
        );
        assert_eq!(
            redact_url_credentials("https://github.com/o/r and ssh://git@host/x"),
            "https://github.com/o/r and ssh://***@host/x"
        );
    }

    #[tokio::test]
    async fn commit_outside_a_repository_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(commit(dir.path()).await, None);
        assert!(top_level(dir.path()).await.is_err());
    }
}
