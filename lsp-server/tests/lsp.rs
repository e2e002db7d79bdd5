//! The server driven by a scripted client over an in-memory connection: the real main loop,
//! the real analyzers, real JSON-RPC messages.

mod support;

use serde_json::{Value, json};
use support::{Client, stable};

const FOCUSED: &str = "import { it } from \"vitest\";\n\nit.only(\"adds a line\", () => {});\nit.skip(\"later\", () => {});\n";

#[test]
fn open_publishes_diagnostics_with_rule_ids_and_fixes() {
    let mut client = Client::start();
    client.open("web/cart.test.ts", 1, FOCUSED);
    let published = client.diagnostics();
    assert_eq!(published["version"], 1);
    let diagnostics = published["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(diagnostics.len(), 2);
    assert_eq!(diagnostics[0]["code"], "tests/focused-or-skipped-test");
    assert_eq!(diagnostics[0]["source"], "commerce");
    insta::assert_json_snapshot!(stable(&published, &client));
    client.shutdown();
}

#[test]
fn edits_update_the_diagnostics() {
    let mut client = Client::start();
    let uri = client.open("web/cart.test.ts", 1, FOCUSED);
    let _ = client.diagnostics();
    // Delete `.only` on line 2 (0-based): characters 2..7.
    client.change(
        &uri,
        2,
        json!([{ "range": { "start": {"line": 2, "character": 2}, "end": {"line": 2, "character": 7} }, "text": "" }]),
    );
    let published = client.diagnostics();
    assert_eq!(published["version"], 2);
    let codes: Vec<&str> = published["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|diagnostic| {
            diagnostic["severity"]
                .as_i64()
                .map(|_| diagnostic["message"].as_str().unwrap_or(""))
        })
        .collect();
    assert_eq!(codes.len(), 1, "only the skip is left: {codes:?}");
    assert!(codes[0].starts_with("`it.skip`"), "{codes:?}");
    client.shutdown();
}

#[test]
fn a_quick_fix_is_the_exact_edit_for_the_current_version() {
    let mut client = Client::start();
    let uri = client.open("web/cart.test.ts", 7, FOCUSED);
    let published = client.diagnostics();
    let focused = json!([published["diagnostics"][0].clone()]);
    let response = client.code_actions(&uri, &focused, Some("quickfix"));
    let actions = response.expect("code actions");
    assert_eq!(actions.as_array().map(Vec::len), Some(1));
    let edit = &actions[0]["edit"]["documentChanges"][0];
    assert_eq!(edit["textDocument"]["version"], 7);
    assert_eq!(
        edit["edits"],
        json!([{ "range": { "start": {"line": 2, "character": 2}, "end": {"line": 2, "character": 7} }, "newText": "" }])
    );
    insta::assert_json_snapshot!(stable(&actions, &client));

    // After an edit the old diagnostic's fix is stale and is not offered.
    client.change(&uri, 8, json!([{ "text": format!("{FOCUSED}\n") }]));
    let _ = client.diagnostics();
    let stale = client.code_actions(&uri, &focused, Some("quickfix"));
    assert_eq!(stale.expect("code actions"), json!([]));
    client.shutdown();
}

#[test]
fn fix_all_is_one_edit_with_the_document_version() {
    let mut client = Client::start();
    let text = "it.only(\"a\", () => {});\nfit(\"b\", () => {});\n";
    let uri = client.open("web/a.test.ts", 3, text);
    let _ = client.diagnostics();
    let response = client.code_actions(&uri, &json!([]), Some("source.fixAll.commerce"));
    let actions = response.expect("code actions");
    assert_eq!(actions[0]["kind"], "source.fixAll.commerce");
    let change = &actions[0]["edit"]["documentChanges"][0];
    assert_eq!(change["textDocument"]["version"], 3);
    assert_eq!(change["edits"].as_array().map(Vec::len), Some(1));
    // Applying the single edit gives the text the CLI's --fix gives.
    let edit = &change["edits"][0];
    assert_eq!(edit["range"]["start"], json!({"line": 0, "character": 2}));
    assert_eq!(edit["range"]["end"], json!({"line": 1, "character": 1}));
    assert_eq!(edit["newText"], "(\"a\", () => {});\n");

    // A document with nothing safely fixable gets no fix-all action (answered from the index).
    let clean = client.open("web/b.test.ts", 1, "it(\"b\", () => {});\n");
    let _ = client.diagnostics();
    let response = client.code_actions(&clean, &json!([]), Some("source.fixAll.commerce"));
    assert_eq!(response.expect("code actions"), json!([]));
    client.shutdown();
}

#[test]
fn rapid_changes_publish_only_the_latest_version_last() {
    let mut client = Client::start();
    let uri = client.open("web/cart.test.ts", 1, FOCUSED);
    for version in 2..=30 {
        let text = if version % 2 == 0 {
            FOCUSED.replace(".only", "")
        } else {
            FOCUSED.to_owned()
        };
        client.change(&uri, version, json!([{ "text": text }]));
    }
    // Publishes come in version order and the last one is for version 30.
    let mut last = 0;
    while last != 30 {
        let published = client.diagnostics();
        let version = published["version"].as_i64().expect("version");
        assert!(version > last, "version {version} published after {last}");
        last = version;
    }
    client.shutdown();
}

#[test]
fn close_clears_the_diagnostics() {
    let mut client = Client::start();
    let uri = client.open("web/cart.test.ts", 1, FOCUSED);
    let _ = client.diagnostics();
    client.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": uri.as_str() } }),
    );
    let cleared = client.diagnostics();
    assert_eq!(cleared["diagnostics"], json!([]));
    client.shutdown();
}

#[test]
fn bad_input_is_answered_never_fatal() {
    let mut client = Client::start();
    // Unknown request: MethodNotFound.
    let unknown = client.request("commerce/nope", json!({}));
    assert_eq!(
        unknown.expect_err("an error").code,
        lsp_server::ErrorCode::MethodNotFound as i32
    );
    // Malformed params: InvalidParams.
    let malformed = client.request("textDocument/codeAction", json!({ "textDocument": 3 }));
    assert_eq!(
        malformed.expect_err("an error").code,
        lsp_server::ErrorCode::InvalidParams as i32
    );
    // A change to a file that is not open: logged, ignored.
    let not_open = client.uri("web/never-opened.ts");
    client.change(&not_open, 2, json!([{ "text": "x" }]));
    let log = client.next_notification("window/logMessage");
    assert!(
        log["message"]
            .as_str()
            .is_some_and(|message| message.contains("not open")),
        "{log}"
    );
    // A malformed notification: logged, ignored.
    client.notify("textDocument/didOpen", json!({ "textDocument": "nope" }));
    let log = client.next_notification("window/logMessage");
    assert!(
        log["message"]
            .as_str()
            .is_some_and(|message| message.contains("didOpen")),
        "{log}"
    );
    // A huge document (8 MiB) still gets its diagnostics.
    let huge = format!(
        "{FOCUSED}{}",
        "// filler line for a very large test file\n".repeat(200_000)
    );
    client.open("web/huge.test.ts", 1, &huge);
    let published = client.diagnostics();
    let codes: Vec<&str> = published["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|diagnostic| diagnostic["code"].as_str())
        .collect();
    // The per-file rules still run; the import graph skips a file this large, and says so.
    assert_eq!(
        codes,
        [
            "commerce/file-too-large",
            "tests/focused-or-skipped-test",
            "tests/focused-or-skipped-test"
        ],
        "{published}"
    );
    // A file deleted on disk while open is analysed from the buffer.
    let uri = client.open("web/gone.test.ts", 1, FOCUSED);
    let _ = client.diagnostics();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri.as_str(), "type": 3 }] }),
    );
    // Unchanged diagnostics are not published again; an edit is analysed from the buffer.
    client.change(&uri, 2, json!([{ "text": FOCUSED }]));
    let republished = client.diagnostics();
    assert_eq!(republished["version"], 2);
    assert_eq!(republished["diagnostics"].as_array().map(Vec::len), Some(2));
    // The server still answers.
    let after = client.request("commerce/still-there", json!({}));
    assert!(after.is_err());
    client.pending.clear();
    client.shutdown();
}

#[test]
fn rule_docs_links_come_from_the_settings() {
    let mut client =
        Client::start_with(json!({ "ruleDocsUrl": "https://docs.example/rules/{rule}" }));
    client.open("web/cart.test.ts", 1, FOCUSED);
    let published = client.diagnostics();
    assert_eq!(
        published["diagnostics"][0]["codeDescription"]["href"],
        "https://docs.example/rules/tests/focused-or-skipped-test"
    );
    client.shutdown();
}

#[test]
fn a_broken_commerce_toml_is_shown_and_defaults_are_used() {
    let root = tempfile::tempdir().expect("temp dir");
    std::fs::write(root.path().join("commerce.toml"), "[frontend]\nrootz = 1\n")
        .expect("write config");
    let mut client = Client::start_in(root, json!({}), json!({}));
    let shown = client.next_notification("window/showMessage");
    let message = shown["message"].as_str().expect("message");
    assert!(
        message.contains("unknown key `rootz`") && message.contains("roots"),
        "{message}"
    );
    // Analysis goes on with the defaults.
    client.open("web/cart.test.ts", 1, FOCUSED);
    assert_eq!(
        client.diagnostics()["diagnostics"].as_array().map(Vec::len),
        Some(2)
    );
    client.shutdown();
}

/// Two modules importing each other; the cycle is reported in the first one by path.
const CYCLE_A: &str = "import { b } from \"./b\";\nexport const a = () => b;\n";
const CYCLE_B: &str = "import { a } from \"./a\";\nexport const b = () => a;\n";

fn project_with_a_cycle() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(root.path().join("web")).expect("mkdir");
    std::fs::write(root.path().join("web/a.ts"), CYCLE_A).expect("write a.ts");
    std::fs::write(root.path().join("web/b.ts"), CYCLE_B).expect("write b.ts");
    root
}

fn codes(published: &serde_json::Value) -> Vec<&str> {
    published["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|diagnostic| diagnostic["code"].as_str())
        .collect()
}

#[test]
fn an_edit_republishes_the_other_open_files_whose_diagnostics_it_changes() {
    let mut client = Client::start_in(project_with_a_cycle(), json!({}), json!({}));
    let a = client.open("web/a.ts", 1, CYCLE_A);
    let published = client.diagnostics();
    assert_eq!(codes(&published), ["frontend/import-cycle"], "{published}");
    let b = client.open("web/b.ts", 1, CYCLE_B);
    let published = client.diagnostics();
    assert_eq!(published["uri"], b.as_str());
    assert_eq!(codes(&published), Vec::<&str>::new());

    // b.ts no longer imports a.ts: the cycle reported in a.ts is gone too.
    client.change(&b, 2, json!([{ "text": "export const b = () => 1;\n" }]));
    let mut republished = [client.diagnostics(), client.diagnostics()];
    republished.sort_by_key(|published| published["uri"].as_str().map(str::to_owned));
    let [for_a, for_b] = republished;
    assert_eq!(for_a["uri"], a.as_str());
    assert_eq!(for_a["version"], 1);
    assert_eq!(codes(&for_a), Vec::<&str>::new(), "{for_a}");
    assert_eq!(for_b["version"], 2);

    // And back: the cycle returns in a.ts, which was not edited.
    client.change(&b, 3, json!([{ "text": CYCLE_B }]));
    let mut republished = [client.diagnostics(), client.diagnostics()];
    republished.sort_by_key(|published| published["uri"].as_str().map(str::to_owned));
    assert_eq!(codes(&republished[0]), ["frontend/import-cycle"]);
    client.shutdown();
}

#[test]
fn the_first_indexing_reports_progress_to_clients_that_support_it() {
    let mut client = Client::start_in(
        project_with_a_cycle(),
        json!({}),
        json!({ "window": { "workDoneProgress": true } }),
    );
    client.open("web/a.ts", 1, CYCLE_A);
    let _ = client.diagnostics();
    let begin = client.next_notification("$/progress");
    assert_eq!(begin["token"], "commerce/indexing");
    assert_eq!(begin["value"]["kind"], "begin");
    let end = client.next_notification("$/progress");
    assert_eq!(end["token"], "commerce/indexing");
    assert_eq!(end["value"]["kind"], "end");
    let created: Vec<&str> = client
        .server_requests
        .iter()
        .map(|request| request.method.as_str())
        .collect();
    assert_eq!(created, ["window/workDoneProgress/create"]);
    // Later analyses use the index: no more progress.
    client.open("web/b.ts", 1, CYCLE_B);
    let _ = client.diagnostics();
    assert!(
        client
            .pending
            .iter()
            .all(|notification| notification.method != "$/progress")
    );
    client.shutdown();
}

#[test]
fn unknown_commands_are_refused_with_the_known_one_named() {
    let mut client = Client::start();
    let refused = client
        .request(
            "workspace/executeCommand",
            json!({ "command": "commerce.nope", "arguments": [] }),
        )
        .expect_err("an error");
    assert_eq!(refused.code, lsp_server::ErrorCode::InvalidParams as i32);
    assert!(
        refused.message.contains("commerce.runAffectedTests"),
        "{}",
        refused.message
    );
    let malformed = client
        .request(
            "workspace/executeCommand",
            json!({ "command": "commerce.runAffectedTests", "arguments": [{ "bsae": "main" }] }),
        )
        .expect_err("an error");
    assert_eq!(malformed.code, lsp_server::ErrorCode::InvalidParams as i32);
    client.shutdown();
}

/// A migration without its down: the quick fix creates the down file, as a `CreateFile`
/// operation before the edit, for a client that applies them, and is not offered otherwise.
#[test]
fn a_fix_creating_a_file_is_a_create_operation_for_clients_that_apply_them() {
    const UP: &str = "CREATE TABLE orders (id bigint);\n";
    let missing_down_fix = |capabilities: Value| {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(root.path().join("migrations")).expect("mkdir");
        std::fs::write(root.path().join("migrations/1_orders.up.sql"), UP).expect("write");
        let mut client = Client::start_in(root, json!({}), capabilities);
        let uri = client.open("migrations/1_orders.up.sql", 1, UP);
        let published = client.diagnostics();
        let missing_down: Vec<Value> = published["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|diagnostic| diagnostic["code"] == "migrations/missing-down-migration")
            .cloned()
            .collect();
        assert_eq!(missing_down.len(), 1, "{published}");
        let actions = client
            .code_actions(&uri, &json!(missing_down), Some("quickfix"))
            .expect("code actions");
        let down_uri = client.uri("migrations/1_orders.down.sql");
        client.shutdown();
        (actions, down_uri)
    };

    let (actions, down_uri) = missing_down_fix(json!({
        "workspace": { "workspaceEdit": { "documentChanges": true, "resourceOperations": ["create"] } }
    }));
    let changes = &actions[0]["edit"]["documentChanges"];
    assert_eq!(
        changes[0],
        json!({ "kind": "create", "uri": down_uri.as_str(), "options": { "overwrite": false, "ignoreIfExists": false } })
    );
    assert_eq!(changes[1]["textDocument"]["uri"], down_uri.as_str());
    let text = changes[1]["edits"][0]["newText"].as_str().expect("text");
    assert!(text.ends_with("DROP TABLE IF EXISTS orders;\n"), "{text}");

    let (actions, _) = missing_down_fix(json!({}));
    assert_eq!(actions, json!([]));
}

#[test]
fn a_file_created_on_disk_resolves_the_imports_waiting_for_it() {
    let mut client = Client::start();
    let importer = "import { price } from \"./pricing\";\nprice();\n";
    let uri = client.open("web/cart.ts", 1, importer);
    let published = client.diagnostics();
    assert_eq!(
        published["diagnostics"][0]["code"], "frontend/unresolved-import",
        "{published}"
    );
    std::fs::create_dir_all(client.root.join("web")).expect("web dir");
    std::fs::write(
        client.root.join("web/pricing.ts"),
        "export function price() {}\n",
    )
    .expect("write pricing.ts");
    let created = client.uri("web/pricing.ts");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": created.as_str(), "type": 1 }] }),
    );
    let republished = client.diagnostics();
    assert_eq!(republished["uri"], uri.as_str());
    assert_eq!(republished["diagnostics"], json!([]), "{republished}");
    client.shutdown();
}
