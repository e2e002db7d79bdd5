//! `commerce.runAffectedTests` end to end: real git, real cargo-nextest on a copy of
//! `fixtures/runner/tiny`, failures published at their assertion line, and the report read
//! back by the next server. Runs in the `commerce-runner-e2e` test group (one at a time, one
//! shared build of the fixture).

mod support;

use std::fs;
use std::path::Path;
use std::time::Duration;

use commerce_project::testing::{copy_tiny_workspace, git};
use serde_json::json;
use support::Client;

/// A copy of the tiny fixture crate in a git repository.
fn tiny_repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tiny_workspace(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures"),
        dir.path(),
    );
    git(dir.path(), &["init", "--quiet"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "--quiet", "-m", "tiny"]);
    dir
}

#[test]
fn run_affected_tests_publishes_failures_at_their_assertion_and_the_next_server_reads_them() {
    let dir = tiny_repository();
    // The fixture's `discount_applies` fails when asked to; the edit to lib.rs is the change.
    fs::write(dir.path().join("behaviour"), "fail").expect("write behaviour");
    let lib = fs::read_to_string(dir.path().join("src/lib.rs")).expect("read lib.rs");
    let edited = format!("{lib}\n// an edit under test\n");
    fs::write(dir.path().join("src/lib.rs"), &edited).expect("edit lib.rs");
    let assertion_line = edited
        .lines()
        .position(|line| line.contains("\"discount was not applied\""))
        .expect("the fixture's assertion");

    let mut client = Client::start_at(
        dir.path(),
        json!({}),
        json!({ "window": { "workDoneProgress": true } }),
    );
    client.timeout = Duration::from_secs(600);
    let summary = client
        .request(
            "workspace/executeCommand",
            json!({ "command": "commerce.runAffectedTests", "arguments": [{ "base": "HEAD" }] }),
        )
        .expect("the run ends");
    assert_eq!(summary["failed"], 1, "{summary}");
    assert!(summary["passed"].as_u64() > Some(0), "{summary}");

    // lib.rs is not open: its failure is published without a version. (The shared target
    // dir may hold an older report, published at startup: wait for this run's finding.)
    let published = discount_failure_published(&mut client);
    let failure = published["diagnostics"]
        .as_array()
        .and_then(|found| found.iter().find(|d| d["code"] == "tests/failed"))
        .expect("the failure");
    assert_eq!(
        failure["range"]["start"]["line"], assertion_line,
        "{published}"
    );
    let progress: Vec<String> = client
        .pending
        .iter()
        .filter(|notification| notification.method == "$/progress")
        .map(|notification| notification.params["value"]["kind"].to_string())
        .collect();
    assert_eq!(progress, ["\"begin\"", "\"end\""]);
    client.pending.clear();
    client.shutdown();

    // A new session shows the last report's failure as soon as the file is opened.
    let mut client = Client::start_at(dir.path(), json!({}), json!({}));
    client.timeout = Duration::from_secs(120);
    client.open("src/lib.rs", 1, &edited);
    let published = discount_failure_published(&mut client);
    assert_eq!(published["version"], 1, "{published}");
    client.pending.clear();
    client.shutdown();
}

/// The next publish of `src/lib.rs` that reports the fixture's failing `discount_applies`.
fn discount_failure_published(client: &mut Client) -> serde_json::Value {
    let mut seen = Vec::new();
    loop {
        let published = client.diagnostics();
        let reports_it = published["uri"]
            .as_str()
            .is_some_and(|uri| uri.ends_with("/src/lib.rs"))
            && published["diagnostics"].as_array().is_some_and(|found| {
                found.iter().any(|diagnostic| {
                    diagnostic["code"] == "tests/failed"
                        && diagnostic["message"]
                            .as_str()
                            .is_some_and(|message| message.contains("discount_applies"))
                })
            });
        if reports_it {
            return published;
        }
        seen.push(published);
        assert!(
            seen.len() < 5,
            "no failure of discount_applies published: {seen:?}"
        );
    }
}
