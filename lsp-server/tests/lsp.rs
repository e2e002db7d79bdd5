//! The server driven by a scripted client over an in-memory connection: the real main loop,
//! the real analyzers, real JSON-RPC messages.

use std::thread::JoinHandle;
use std::time::Duration;

use commerce_lsp::{LspError, uri_from_path};
use crossbeam_channel::RecvTimeoutError;
use lsp_server::{Connection, Message, Notification, Request, RequestId, ResponseError};
use lsp_types::Uri;
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(20);

const FOCUSED: &str = "import { it } from \"vitest\";\n\nit.only(\"adds a line\", () => {});\nit.skip(\"later\", () => {});\n";

struct Client {
    connection: Connection,
    server: Option<JoinHandle<Result<(), LspError>>>,
    next_id: i32,
    /// Notifications received while waiting for something else, in order.
    pending: Vec<Notification>,
    root: tempfile::TempDir,
}

impl Client {
    fn start() -> Self {
        Self::start_with(json!({}))
    }

    fn start_with(initialization_options: Value) -> Self {
        Self::start_in(
            tempfile::tempdir().expect("temp dir"),
            initialization_options,
        )
    }

    fn start_in(root: tempfile::TempDir, initialization_options: Value) -> Self {
        Self::start_in_with(root, initialization_options, json!({}))
    }

    fn start_in_with(
        root: tempfile::TempDir,
        initialization_options: Value,
        capabilities: Value,
    ) -> Self {
        let (server_side, connection) = Connection::memory();
        let server = std::thread::spawn(move || commerce_lsp::run(server_side));
        let mut client = Self {
            connection,
            server: Some(server),
            next_id: 0,
            pending: Vec::new(),
            root,
        };
        let root_uri = uri_from_path(client.root.path()).expect("root URI");
        let response = client.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": root_uri.as_str(),
                "capabilities": capabilities,
                "initializationOptions": initialization_options,
            }),
        );
        assert!(response.is_ok(), "{response:?}");
        client.notify("initialized", json!({}));
        client
    }

    fn uri(&self, relative: &str) -> Uri {
        uri_from_path(&self.root.path().join(relative)).expect("file URI")
    }

    fn send(&self, message: Message) {
        self.connection
            .sender
            .send(message)
            .expect("server is running");
    }

    fn notify(&self, method: &str, params: Value) {
        self.send(Message::Notification(Notification::new(
            method.to_owned(),
            params,
        )));
    }

    fn request(&mut self, method: &str, params: Value) -> Result<Value, ResponseError> {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.send(Message::Request(Request::new(
            id.clone(),
            method.to_owned(),
            params,
        )));
        loop {
            match self.receive() {
                Message::Response(response) if response.id == id => {
                    return response.response_result;
                }
                Message::Notification(notification) => self.pending.push(notification),
                other => panic!("unexpected message while waiting for {method}: {other:?}"),
            }
        }
    }

    fn receive(&self) -> Message {
        match self.connection.receiver.recv_timeout(TIMEOUT) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => panic!("no message from the server in {TIMEOUT:?}"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server hung up"),
        }
    }

    /// The next notification named `method`, taking earlier ones in order.
    fn next_notification(&mut self, method: &str) -> Value {
        if let Some(index) = self
            .pending
            .iter()
            .position(|notification| notification.method == method)
        {
            return self.pending.remove(index).params;
        }
        loop {
            match self.receive() {
                Message::Notification(notification) if notification.method == method => {
                    return notification.params;
                }
                Message::Notification(notification) => self.pending.push(notification),
                other => panic!("unexpected message while waiting for {method}: {other:?}"),
            }
        }
    }

    fn diagnostics(&mut self) -> Value {
        self.next_notification("textDocument/publishDiagnostics")
    }

    fn open(&mut self, relative: &str, version: i32, text: &str) -> Uri {
        let uri = self.uri(relative);
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": {
                "uri": uri.as_str(), "languageId": "typescript", "version": version, "text": text,
            }}),
        );
        uri
    }

    fn change(&self, uri: &Uri, version: i32, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri.as_str(), "version": version }, "contentChanges": changes }),
        );
    }

    fn code_actions(
        &mut self,
        uri: &Uri,
        diagnostics: &Value,
        only: Option<&str>,
    ) -> Result<Value, ResponseError> {
        let mut context = json!({ "diagnostics": diagnostics });
        if let Some(only) = only {
            context["only"] = json!([only]);
        }
        self.request(
            "textDocument/codeAction",
            json!({
                "textDocument": { "uri": uri.as_str() },
                "range": { "start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0} },
                "context": context,
            }),
        )
    }

    /// `shutdown` + `exit`; the server must stop cleanly with nothing left unread.
    fn shutdown(mut self) {
        let response = self.request("shutdown", Value::Null);
        assert!(response.is_ok(), "{response:?}");
        self.notify("exit", Value::Null);
        let server = self.server.take().expect("server thread");
        server
            .join()
            .expect("server did not panic")
            .expect("server stopped cleanly");
        let unread: Vec<Message> = self.connection.receiver.try_iter().collect();
        let unread_publishes: Vec<_> = self
            .pending
            .iter()
            .filter(|notification| notification.method != "window/logMessage")
            .collect();
        assert!(unread.is_empty(), "unread messages at shutdown: {unread:?}");
        assert!(
            unread_publishes.is_empty(),
            "unread notifications: {unread_publishes:?}"
        );
    }
}

/// Diagnostics without the per-run temp dir in their URIs.
fn stable(value: &Value, client: &Client) -> Value {
    let root = uri_from_path(client.root.path()).expect("root URI");
    let text = serde_json::to_string(value)
        .expect("JSON")
        .replace(root.as_str(), "file:///[root]");
    serde_json::from_str(&text).expect("JSON")
}

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
    let republished = client.diagnostics();
    assert_eq!(republished["diagnostics"].as_array().map(Vec::len), Some(2));
    // The server still answers.
    let after = client.request("commerce/still-there", json!({}));
    assert!(after.is_err());
    let _ = client.diagnostics(); // the huge or gone file may publish again after the watch event
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
    let mut client = Client::start_in(root, json!({}));
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

/// A migration without its down: the quick fix creates the down file, as a `CreateFile`
/// operation before the edit, for a client that applies them, and is not offered otherwise.
#[test]
fn a_fix_creating_a_file_is_a_create_operation_for_clients_that_apply_them() {
    const UP: &str = "CREATE TABLE orders (id bigint);\n";
    let missing_down_fix = |capabilities: Value| {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(root.path().join("migrations")).expect("mkdir");
        std::fs::write(root.path().join("migrations/1_orders.up.sql"), UP).expect("write");
        let mut client = Client::start_in_with(root, json!({}), capabilities);
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
