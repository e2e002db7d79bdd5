//! The kit's own tests on a real app: `fixtures/testkit-shop` (axum + sqlx, its own workspace)
//! built once into `target/fixtures` and run through real `cargo nextest` invocations on the
//! ephemeral Postgres. One binary must pass; the other fails on purpose, and its messages must
//! name the unexpected side effect, the extra query and the replay line.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

fn nextest(test_binary: &str, seed: &str) -> Output {
    let root = workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), PathBuf::from)
        .join("fixtures");
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "nextest",
            "run",
            "--locked",
            "--no-fail-fast",
            "--test",
            test_binary,
        ])
        .arg("--manifest-path")
        .arg(root.join("fixtures/testkit-shop/Cargo.toml"))
        .env("CARGO_TARGET_DIR", target)
        .env("COMMERCE_SEED", seed)
        .env("RUST_BACKTRACE", "0")
        // The fixture's own server, never one the caller points at.
        .env_remove("DATABASE_URL")
        .env_remove("COMMERCE_RUN_DIR")
        .env_remove("NEXTEST_PROFILE")
        .stdin(Stdio::null())
        .output()
        .expect("cargo nextest runs (install it with `cargo install cargo-nextest --locked`)")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Clusters in the temp directory whose owner is gone: left running by a run.
fn orphaned_clusters() -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|dir| {
            let owner = std::fs::read_to_string(dir.join("owner.pid")).ok();
            dir.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("commerce-pg-"))
                && owner.is_some_and(|pid| !Path::new("/proc").join(pid.trim()).exists())
        })
        .collect()
}

#[test]
fn the_kit_works_on_a_real_app_and_its_failures_say_why() {
    let passing = nextest("kit", "4242");
    let output = text(&passing);
    assert!(
        passing.status.success(),
        "the kit's tests failed:\n{output}"
    );
    assert!(output.contains("24 passed"), "{output}");

    let failing = nextest("fails_on_purpose", "4242");
    let output = text(&failing);
    assert!(
        !failing.status.success(),
        "tests meant to fail passed:\n{output}"
    );
    for expected in [
        "unexpected side effect: updated 1 row(s) of `inventory`: {\"sku\":\"CAP-1\"}",
        "replay: COMMERCE_SEED=4242 cargo commerce test -E 'test(=unexpected_side_effect)'",
        "temp dir kept: ",
        "GET /catalog ran 6 SQL statements, more than 2; extra query: SELECT stock FROM inventory WHERE sku = $1",
        "replay: COMMERCE_SEED=4242 cargo commerce test -E 'test(=extra_query)'",
        "2 failed",
    ] {
        assert!(output.contains(expected), "no `{expected}` in:\n{output}");
    }

    // The shared cluster's watchdog stops it once nextest has exited.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !orphaned_clusters().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        orphaned_clusters(),
        Vec::<PathBuf>::new(),
        "a cluster was left running"
    );

    let bad_seed = nextest("kit", "forty-two");
    let output = text(&bad_seed);
    assert!(!bad_seed.status.success());
    assert!(
        output.contains("COMMERCE_SEED is `forty-two`, which is not a number"),
        "{output}"
    );
}
