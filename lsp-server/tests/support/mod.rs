//! The scripted LSP client the integration tests drive the server with: an in-memory
//! connection to the real main loop.

// Each test binary that includes this module uses only part of the client.
#![allow(dead_code)]

use std::thread::JoinHandle;
use std::time::Duration;

use commerce_lsp::{LspError, uri_from_path};
use crossbeam_channel::RecvTimeoutError;
use lsp_server::{Connection, Message, Notification, Request, RequestId, ResponseError};
use lsp_types::Uri;
use serde_json::{Value, json};

/// How long a test waits for one message, unless it sets [`Client::timeout`].
const TIMEOUT: Duration = Duration::from_secs(20);

pub struct Client {
    connection: Connection,
    server: Option<JoinHandle<Result<(), LspError>>>,
    next_id: i32,
    /// Notifications received while waiting for something else, in order.
    pub pending: Vec<Notification>,
    /// Requests the server sent us (progress tokens), answered with `null`.
    pub server_requests: Vec<Request>,
    /// The project directory.
    pub root: std::path::PathBuf,
    /// Deletes the project directory when the client is done, if the client made it.
    _temp_dir: Option<tempfile::TempDir>,
    /// How long to wait for one message.
    pub timeout: Duration,
}

impl Client {
    pub fn start() -> Self {
        Self::start_with(json!({}))
    }

    pub fn start_with(initialization_options: Value) -> Self {
        Self::start_in(
            tempfile::tempdir().expect("temp dir"),
            initialization_options,
            json!({}),
        )
    }

    /// A server for the project in the temp dir `root` (deleted afterwards), for a client
    /// with `capabilities`.
    pub fn start_in(
        root: tempfile::TempDir,
        initialization_options: Value,
        capabilities: Value,
    ) -> Self {
        let mut client = Self::start_at(root.path(), initialization_options, capabilities);
        client._temp_dir = Some(root);
        client
    }

    /// A server for the project in `root`, which the caller cleans up.
    pub fn start_at(
        root: &std::path::Path,
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
            server_requests: Vec::new(),
            root: root.to_path_buf(),
            _temp_dir: None,
            timeout: TIMEOUT,
        };
        let root_uri = uri_from_path(&client.root).expect("root URI");
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

    pub fn uri(&self, relative: &str) -> Uri {
        uri_from_path(&self.root.join(relative)).expect("file URI")
    }

    pub fn send(&self, message: Message) {
        self.connection
            .sender
            .send(message)
            .expect("server is running");
    }

    pub fn notify(&self, method: &str, params: Value) {
        self.send(Message::Notification(Notification::new(
            method.to_owned(),
            params,
        )));
    }

    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, ResponseError> {
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
                Message::Request(request) => self.answer(request),
                other => panic!("unexpected message while waiting for {method}: {other:?}"),
            }
        }
    }

    pub fn receive(&self) -> Message {
        match self.connection.receiver.recv_timeout(self.timeout) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => {
                panic!("no message from the server in {:?}", self.timeout)
            }
            Err(RecvTimeoutError::Disconnected) => panic!("the server hung up"),
        }
    }

    /// The next notification named `method`, taking earlier ones in order.
    pub fn next_notification(&mut self, method: &str) -> Value {
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
                Message::Request(request) => self.answer(request),
                other => panic!("unexpected message while waiting for {method}: {other:?}"),
            }
        }
    }

    /// Answers a request from the server (`window/workDoneProgress/create`) with `null`.
    fn answer(&mut self, request: Request) {
        self.send(Message::Response(lsp_server::Response::new_ok(
            request.id.clone(),
            Value::Null,
        )));
        self.server_requests.push(request);
    }

    pub fn diagnostics(&mut self) -> Value {
        self.next_notification("textDocument/publishDiagnostics")
    }

    pub fn open(&mut self, relative: &str, version: i32, text: &str) -> Uri {
        let uri = self.uri(relative);
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": {
                "uri": uri.as_str(), "languageId": "typescript", "version": version, "text": text,
            }}),
        );
        uri
    }

    pub fn change(&self, uri: &Uri, version: i32, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri.as_str(), "version": version }, "contentChanges": changes }),
        );
    }

    pub fn code_actions(
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
    pub fn shutdown(mut self) {
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
pub fn stable(value: &Value, client: &Client) -> Value {
    let root = uri_from_path(&client.root).expect("root URI");
    let text = serde_json::to_string(value)
        .expect("JSON")
        .replace(root.as_str(), "file:///[root]");
    serde_json::from_str(&text).expect("JSON")
}
