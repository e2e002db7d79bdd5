//! `workspace/executeCommand`: running the affected tests and showing their failures.

use std::collections::{BTreeSet, HashMap};
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;

use commerce_analysis::panic_message;
use commerce_runner::CancelToken;
use lsp_server::{ErrorCode, Message, RequestId, Response};
use lsp_types::{ExecuteCommandParams, MessageType, Uri};

use super::{Event, Server, TESTING, invalid_params};
use crate::convert;
use crate::tests_run::{self, AffectedTests, RUN_AFFECTED_TESTS, RunArguments, TestFindings};

impl Server {
    pub(super) fn execute_command(
        &mut self,
        id: RequestId,
        params: ExecuteCommandParams,
    ) -> Option<Response> {
        if params.command != RUN_AFFECTED_TESTS {
            return Some(Response::new_err(
                id,
                ErrorCode::InvalidParams as i32,
                format!(
                    "cargo commerce has no command `{}`; it has `{RUN_AFFECTED_TESTS}`",
                    params.command
                ),
            ));
        }
        let arguments = match params.arguments.into_iter().next() {
            Some(value) => match serde_json::from_value::<RunArguments>(value) {
                Ok(arguments) => arguments,
                Err(error) => return Some(invalid_params(id, &error)),
            },
            None => RunArguments::default(),
        };
        self.run_affected_tests(id, arguments);
        None
    }

    /// Runs the affected tests on a thread of its own (a run takes minutes, the pool is for
    /// analyses); a newer run cancels the one under way.
    pub(super) fn run_affected_tests(&mut self, request: RequestId, arguments: RunArguments) {
        if let Some(previous) = self.test_run.take() {
            previous.cancel();
        }
        let cancel = CancelToken::new();
        self.test_run = Some(cancel.clone());
        self.progress
            .begin(TESTING, "cargo commerce: running the affected tests");
        let workspace = Arc::clone(&self.workspace);
        let sender = self.events_sender.clone();
        let spawned = std::thread::Builder::new()
            .name("commerce-tests".to_owned())
            .spawn(move || {
                let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
                    tests_run::run_affected(&workspace.project, arguments, &cancel)
                }))
                .unwrap_or_else(|payload| {
                    Err(format!(
                        "the test run crashed: {}",
                        panic_message(payload.as_ref())
                    ))
                });
                let _ = sender.send(Event::TestsRan { request, outcome });
            });
        if let Err(error) = spawned {
            self.log(
                MessageType::ERROR,
                format!("cannot start the test run: {error}"),
            );
        }
    }

    pub(super) fn tests_ran(&mut self, request: RequestId, outcome: Result<AffectedTests, String>) {
        self.test_run = None;
        self.progress.end(TESTING, "done");
        let response = match outcome {
            Ok(AffectedTests { findings, summary }) => {
                self.show_test_findings(findings);
                Response::new_ok(request, summary)
            }
            Err(message) => Response::new_err(request, ErrorCode::RequestFailed as i32, message),
        };
        self.send(Message::Response(response));
    }

    /// Shows `findings` instead of the previous test findings: open documents are analysed
    /// again (their findings merge), files that are not open get theirs published directly.
    pub(super) fn show_test_findings(&mut self, findings: TestFindings) {
        let previous = std::mem::replace(&mut self.tests, Arc::new(findings));
        let root = self.workspace.project.root().to_path_buf();
        let open: HashMap<PathBuf, Uri> = self
            .documents
            .keys()
            .filter_map(|uri| Some((self.workspace.relative(uri)?, uri.clone())))
            .collect();
        let files: BTreeSet<PathBuf> = previous.keys().chain(self.tests.keys()).cloned().collect();
        for path in &files {
            match open.get(path) {
                Some(uri) => self.schedule(uri),
                None => {
                    let Some(uri) = convert::uri_of(&root, path) else {
                        continue;
                    };
                    let diagnostics = self.closed_file_findings(path);
                    self.publish(uri, None, diagnostics);
                }
            }
        }
    }
}
