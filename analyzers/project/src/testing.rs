//! Helpers for tests that need a real git repository or a real Cargo workspace
//! (`commerce_project::testing`, behind the `testing` feature).

use std::fs;
use std::path::Path;
use std::process::Command;

/// Copies the fixture directory `fixture` into `into`: every file under it except hidden
/// ones (a fixture's own `.gitignore` keeps its build output out of this repository and is
/// not part of the project it stands for).
pub fn copy_fixture(fixture: &Path, into: &Path) {
    for entry in fs::read_dir(fixture).expect("read the fixture") {
        let entry = entry.expect("a fixture entry");
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let to = into.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            fs::create_dir_all(&to).expect("mkdir");
            copy_fixture(&entry.path(), &to);
        } else {
            fs::copy(entry.path(), &to).expect("copy the fixture");
        }
    }
}

/// Copies `fixtures/runner/tiny` (a one-crate workspace whose tests fail, flake or hang on
/// request; `fixtures` is the repository's `fixtures` directory) into `into`, building into one
/// target directory that every copy of this checkout shares, so it compiles once. It is under
/// the checkout's own `target/`, not the system temp dir: two checkouts testing at once would
/// otherwise rebuild and delete each other's artifacts mid-run.
pub fn copy_tiny_workspace(fixtures: &Path, into: &Path) {
    copy_fixture(&fixtures.join("runner/tiny"), into);
    let checkout = fixtures.parent().unwrap_or(fixtures);
    let target = checkout.join("target/commerce-runner-tiny");
    fs::create_dir_all(into.join(".cargo")).expect("mkdir");
    fs::write(
        into.join(".cargo/config.toml"),
        format!("[build]\ntarget-dir = {:?}\n", target.to_string_lossy()),
    )
    .expect("write the cargo config");
}

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

/// A directory of the shared real-world corpus (its README lists what is there):
/// `$COMMERCE_CORPUS/<part>` when the variable is set (relative to the repository root), else
/// `../shared/corpus/<part>` beside the repository root. A missing directory fails the test
/// with where it looked and how to get the data; it never passes by skipping.
pub fn corpus(part: &str) -> std::path::PathBuf {
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = std::env::var_os("COMMERCE_CORPUS").map_or_else(
        || repository.join("../shared/corpus"),
        |dir| repository.join(dir),
    );
    let dir = root.join(part);
    assert!(
        dir.exists(),
        "the corpus is missing at {}: set COMMERCE_CORPUS to the shared corpus (default \
         `../shared/corpus` beside the repository root), or fetch its public part with \
         `scripts/fetch-corpus.sh DIR`",
        dir.display()
    );
    dir
}
