//! `$/progress` reports for long work (the first indexing, a test run), when the client
//! supports server-initiated progress (`window.workDoneProgress`).

use std::cell::RefCell;
use std::collections::BTreeSet;

use crossbeam_channel::Sender;
use lsp_server::{Message, Notification, Request, RequestId};
use lsp_types::notification::{Notification as _, Progress as ProgressNotification};
use lsp_types::request::{Request as _, WorkDoneProgressCreate};
use lsp_types::{
    NumberOrString, ProgressParams, ProgressParamsValue, WorkDoneProgress, WorkDoneProgressBegin,
    WorkDoneProgressCreateParams, WorkDoneProgressEnd,
};

/// The progress reports under way, by token.
#[derive(Debug)]
pub(crate) struct Progress {
    sender: Sender<Message>,
    supported: bool,
    /// Interior mutability: progress starts where the server only reads its state.
    active: RefCell<BTreeSet<&'static str>>,
}

impl Progress {
    pub(crate) fn new(sender: Sender<Message>, supported: bool) -> Self {
        Self {
            sender,
            supported,
            active: RefCell::default(),
        }
    }

    /// Starts the report `token` with `title`, unless it is already under way.
    pub(crate) fn begin(&self, token: &'static str, title: &str) {
        if !self.supported || !self.active.borrow_mut().insert(token) {
            return;
        }
        let create = Request::new(
            RequestId::from(format!("{token}/create")),
            WorkDoneProgressCreate::METHOD.to_owned(),
            WorkDoneProgressCreateParams {
                token: NumberOrString::String(token.to_owned()),
            },
        );
        let _ = self.sender.send(Message::Request(create));
        self.report(
            token,
            WorkDoneProgress::Begin(WorkDoneProgressBegin {
                title: title.to_owned(),
                cancellable: Some(false),
                message: None,
                percentage: None,
            }),
        );
    }

    /// Ends the report `token`, if it is under way.
    pub(crate) fn end(&self, token: &'static str, message: &str) {
        if !self.active.borrow_mut().remove(token) {
            return;
        }
        self.report(
            token,
            WorkDoneProgress::End(WorkDoneProgressEnd {
                message: Some(message.to_owned()),
            }),
        );
    }

    fn report(&self, token: &str, value: WorkDoneProgress) {
        let params = ProgressParams {
            token: NumberOrString::String(token.to_owned()),
            value: ProgressParamsValue::WorkDone(value),
        };
        let _ = self.sender.send(Message::Notification(Notification::new(
            ProgressNotification::METHOD.to_owned(),
            params,
        )));
    }
}
