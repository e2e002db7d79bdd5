//! SQL statements counted per in-process request. sqlx emits a `tracing` event (target
//! `sqlx::query`) for every statement it runs; the kit installs a small global subscriber
//! that attributes each one to the request span it happens in. A handler's own
//! `tokio::spawn`ed work is counted only if the task is instrumented with the current span.
//!
//! A statement repeated [`N_PLUS_ONE_THRESHOLD`] times or more in one request is an N+1
//! finding.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// How many times one statement may run in one request before it is an N+1 finding.
pub const N_PLUS_ONE_THRESHOLD: usize = 3;

const REQUEST_SPAN: &str = "commerce_request";

/// The statements of one request.
pub(crate) type Statements = Arc<Mutex<Vec<String>>>;

#[derive(Debug, Default)]
struct Counter {
    next: AtomicU64,
    spans: Mutex<HashMap<u64, SpanData>>,
}

#[derive(Debug)]
struct SpanData {
    parent: Option<u64>,
    statements: Option<Statements>,
    refs: usize,
}

thread_local! {
    static STACK: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

static REQUESTS: Mutex<Vec<(u64, Statements)>> = Mutex::new(Vec::new());
static NEXT_REQUEST: AtomicU64 = AtomicU64::new(1);

/// Whether the kit's subscriber is the global one (installed on first use). When the test
/// installed another one first, counting is unavailable and saying a count would be a lie.
pub(crate) fn installed() -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| tracing::subscriber::set_global_default(Counter::default()).is_ok())
}

/// A span that collects the statements run inside it.
pub(crate) fn request_span() -> (tracing::Span, Statements) {
    let statements = Statements::default();
    let key = NEXT_REQUEST.fetch_add(1, Ordering::Relaxed);
    REQUESTS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((key, statements.clone()));
    let span = tracing::info_span!(REQUEST_SPAN, request = key);
    (span, statements)
}

struct KeyVisitor(Option<u64>);

impl Visit for KeyVisitor {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "request" {
            self.0 = Some(value);
        }
    }
    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}

struct StatementVisitor(Option<String>);

impl Visit for StatementVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "db.statement" || (field.name() == "summary" && self.0.is_none()) {
            self.0 = Some(value.trim().to_owned());
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "db.statement" || (field.name() == "summary" && self.0.is_none()) {
            self.0 = Some(format!("{value:?}").trim_matches('"').trim().to_owned());
        }
    }
}

impl Subscriber for Counter {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with("sqlx::query") || metadata.name() == REQUEST_SPAN
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn new_span(&self, attributes: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let parent = if attributes.is_root() {
            None
        } else {
            attributes
                .parent()
                .map(Id::into_u64)
                .or_else(|| STACK.with(|stack| stack.borrow().last().copied()))
        };
        let mut key = KeyVisitor(None);
        if attributes.metadata().name() == REQUEST_SPAN {
            attributes.record(&mut key);
        }
        let statements = key.0.and_then(|key| {
            REQUESTS
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, statements)| statements.clone())
        });
        self.spans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                id,
                SpanData {
                    parent,
                    statements,
                    refs: 1,
                },
            );
        Id::from_u64(id)
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        if !event.metadata().target().starts_with("sqlx::query") {
            return;
        }
        let Some(mut current) = STACK.with(|stack| stack.borrow().last().copied()) else {
            return;
        };
        let mut statement = StatementVisitor(None);
        event.record(&mut statement);
        let spans = self.spans.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some(data) = spans.get(&current) {
            if let Some(statements) = &data.statements {
                statements
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(statement.0.unwrap_or_default());
                return;
            }
            match data.parent {
                Some(parent) => current = parent,
                None => return,
            }
        }
    }

    fn enter(&self, span: &Id) {
        STACK.with(|stack| stack.borrow_mut().push(span.into_u64()));
    }

    fn exit(&self, span: &Id) {
        STACK.with(|stack| {
            let mut stack = stack.borrow_mut();
            if let Some(at) = stack.iter().rposition(|id| *id == span.into_u64()) {
                stack.remove(at);
            }
        });
    }

    fn clone_span(&self, span: &Id) -> Id {
        if let Some(data) = self
            .spans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(&span.into_u64())
        {
            data.refs += 1;
        }
        span.clone()
    }

    fn try_close(&self, span: Id) -> bool {
        let mut spans = self.spans.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(data) = spans.get_mut(&span.into_u64()) else {
            return false;
        };
        data.refs -= 1;
        if data.refs > 0 {
            return false;
        }
        if data.statements.is_some() {
            let statements = data.statements.clone();
            REQUESTS
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .retain(|(_, s)| !statements.as_ref().is_some_and(|t| Arc::ptr_eq(s, t)));
        }
        spans.remove(&span.into_u64());
        true
    }
}

/// Statements that ran [`N_PLUS_ONE_THRESHOLD`] times or more, with their counts.
pub(crate) fn repeated(statements: &[String]) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for statement in statements {
        match counts.iter_mut().find(|(s, _)| s == statement) {
            Some(found) => found.1 += 1,
            None => counts.push((statement.clone(), 1)),
        }
    }
    counts.retain(|(_, count)| *count >= N_PLUS_ONE_THRESHOLD);
    counts
}
