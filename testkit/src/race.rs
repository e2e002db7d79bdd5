//! Races and idempotency, exercised for real: tasks released together by a barrier on a
//! multi-thread runtime. Use [`crate::Isolation::Database`] or [`crate::Isolation::Schema`]
//! for these: a transaction-isolated test has one connection, so its requests take turns.
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use commerce_testkit::race::race;
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! let counter = Arc::new(AtomicUsize::new(0));
//! let results = race(8, |i| {
//!     let counter = counter.clone();
//!     async move { counter.fetch_add(1, Ordering::SeqCst); i }
//! }).await;
//! assert_eq!(results, (0..8).collect::<Vec<_>>());
//! assert_eq!(counter.load(Ordering::SeqCst), 8);
//! # });
//! ```

use std::future::Future;
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::Barrier;

use crate::TestDb;
use crate::http::{RequestBuilder, TestApp, TestResponse};
use crate::side_effects::Op;

/// Runs `task(0..n)` as `n` tokio tasks released at once by a barrier; the results come back
/// in task order.
///
/// # Panics
/// When a task panics (its panic is passed on).
pub async fn race<T, F, Fut>(n: usize, task: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let barrier = barrier.clone();
            let work = task(i);
            tokio::spawn(async move {
                barrier.wait().await;
                work.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    for handle in handles {
        match handle.await {
            Ok(result) => results.push(result),
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    }
    results
}

/// What an idempotent write must do.
#[derive(Debug)]
pub struct Idempotent<'a> {
    /// How many identical requests race.
    pub concurrency: usize,
    /// The writes one request makes: (op, table, rows).
    pub side_effects: &'a [(Op, &'a str, usize)],
}

/// Asserts `request` (built per call, without an `Idempotency-Key`: the check adds one) is
/// idempotent: `concurrency` identical requests with one key produce exactly the side effects
/// of one request (read from the database's log), every answer is the first success replayed
/// (or 409 while the first is in flight), and the same key with `other_body` gets a 4xx.
///
/// # Panics
/// Naming the violation; the violation is also sent to the report.
pub async fn assert_idempotent<F>(
    app: &TestApp,
    db: &TestDb,
    request: F,
    other_body: &Value,
    expect: &Idempotent<'_>,
) where
    F: Fn(&TestApp) -> RequestBuilder,
{
    let key = db.case().per_worker("idem");
    let mark = db.mark().await;
    let responses: Vec<TestResponse> = race(expect.concurrency, |_| {
        let builder = request(app).idempotency_key(&key);
        async move { builder.send().await }
    })
    .await;
    let route = responses
        .first()
        .map_or_else(String::new, |response| response.route.clone());
    let violation = |detail: String| -> ! {
        crate::telemetry::emit(&serde_json::json!({
            "kind": "idempotency_violation", "test": db.case().name(), "route": route,
            "detail": detail,
        }));
        panic!("not idempotent ({route}): {detail}");
    };
    let successes: Vec<&TestResponse> = responses
        .iter()
        .filter(|response| response.status.is_success())
        .collect();
    let Some(first) = successes.first() else {
        violation(format!(
            "none of {} identical requests succeeded: {:?}",
            responses.len(),
            responses
                .iter()
                .map(|r| r.status.as_u16())
                .collect::<Vec<_>>()
        ));
    };
    for response in &responses {
        if response.status.as_u16() == 409 {
            continue;
        }
        if response.status != first.status || !same_body(response, first) {
            violation(format!(
                "a replay answered {} {} instead of the first answer {} {}",
                response.status,
                response.text(),
                first.status,
                first.text()
            ));
        }
    }
    let log = db.side_effects_since(mark).await;
    if let Err(panic) = std::panic::catch_unwind(|| log.assert_exact(expect.side_effects)) {
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        violation(format!(
            "{} identical requests did not have the side effects of one: {message}",
            expect.concurrency
        ));
    }
    let other = request(app)
        .idempotency_key(&key)
        .json(other_body)
        .send()
        .await;
    if !other.status.is_client_error() {
        violation(format!(
            "the same key with another body answered {} instead of a 4xx",
            other.status
        ));
    }
}

/// The same body: equal JSON values (a replay read back from a `jsonb` column comes with its
/// keys reordered), else equal bytes.
fn same_body(a: &TestResponse, b: &TestResponse) -> bool {
    match (
        serde_json::from_slice::<Value>(&a.body),
        serde_json::from_slice::<Value>(&b.body),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.body == b.body,
    }
}

/// Asserts concurrent reservations and releases of one stock never take it below zero and
/// end at the arithmetic expectation: `initial - reserved + released`, counting only the
/// calls that succeeded. `reserve` and `release` return whether they succeeded; `stock`
/// reads the level. Every logged write of `column` in `table` is checked for going negative.
///
/// # Panics
/// When stock went negative or ended elsewhere.
#[allow(clippy::too_many_arguments)]
pub async fn assert_stock_invariant<R, RF, L, LF>(
    db: &TestDb,
    initial: i64,
    (reservations, releases): (usize, usize),
    reserve: R,
    release: L,
    (table, column): (&str, &str),
) where
    R: Fn() -> RF,
    RF: Future<Output = bool> + Send + 'static,
    L: Fn() -> LF,
    LF: Future<Output = bool> + Send + 'static,
{
    let mark = db.mark().await;
    let outcomes = race(reservations + releases, |i| {
        let future: std::pin::Pin<Box<dyn Future<Output = (bool, bool)> + Send>> =
            if i < reservations {
                let f = reserve();
                Box::pin(async move { (true, f.await) })
            } else {
                let f = release();
                Box::pin(async move { (false, f.await) })
            };
        future
    })
    .await;
    let reserved = outcomes.iter().filter(|(r, ok)| *r && *ok).count() as i64;
    let released = outcomes.iter().filter(|(r, ok)| !*r && *ok).count() as i64;
    let log = db.side_effects_since(mark).await;
    for entry in log.of(table) {
        if let Some(level) = entry
            .new
            .as_ref()
            .and_then(|row| row.get(column))
            .and_then(Value::as_i64)
        {
            assert!(
                level >= 0,
                "stock went below zero: {table}.{column} = {level} (log seq {})",
                entry.seq
            );
        }
    }
    let last = log
        .of(table)
        .filter_map(|entry| entry.new.as_ref()?.get(column)?.as_i64())
        .last()
        .unwrap_or(initial);
    assert_eq!(
        last,
        initial - reserved + released,
        "stock ended at {last}, not {initial} - {reserved} reserved + {released} released"
    );
}
