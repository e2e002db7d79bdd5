//! Helpers for tests that need a real git repository (`commerce_project::testing`, behind the
//! `testing` feature).

use std::path::Path;
use std::process::Command;

/// Runs git in `dir` with an isolated configuration (no global or system config, a fixed
/// author, no signing, `main` as the first branch), so tests behave the same on a developer's
/// machine and on a clean CI runner. Panics with git's message when it fails.
pub fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=Commerce Tests",
            "-c",
            "user.email=tests@example.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
