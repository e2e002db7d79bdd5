//! The open-model driver: request `k` is due at `k / rate` seconds after the start, whatever
//! the server does, and its latency is measured from that intended time (or from when it was
//! sent, for a request that went out up to [`EARLY`] before it), so a stalled server shows its
//! stall in the percentiles instead of hiding it (coordinated omission).
//!
//! Each iteration of the scenario's steps is a task started when its first request is due; a
//! step waits for the one before it (it may need its captured values), so a late answer makes
//! the next step late too, and that lateness counts. Only the driver's own delay (a task that
//! woke up after the time it asked for) is kept apart, to tell when the driver cannot keep the
//! rate. The run ends at `warmup + duration + timeout` at the latest: what has not answered
//! then is a timeout.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use hdrhistogram::Histogram;
use http::Request;
use http_body_util::Full;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::report::{
    DriverReport, Errors, Percentiles, PhaseReport, Problem, ScenarioReport, TimelinePoint,
};
use crate::scenario::{self, Scenario, SplitMix64, Step};
use crate::target::{Failure, Target};

/// A request started later than this after it was due (and after the step before it ended)
/// is late: the driver, not the server, delayed it.
const LATE_MS: f64 = 10.0;
/// Tasks wake this much before a request is due: tokio's timer rounds a deadline up to the
/// next millisecond, so waking at the due time would add up to that much to every latency.
/// A request that goes out early has its latency counted from when it was sent.
const EARLY: Duration = Duration::from_millis(1);
/// Saturated when more than this share of requests was late.
const LATE_SHARE_LIMIT: f64 = 0.05;
/// Iterations in flight at once; past this the schedule waits (and the delay is the
/// driver's), so a rate the machine cannot drive does not exhaust memory.
const MAX_IN_FLIGHT: usize = 20_000;
/// Latencies are kept in microseconds up to this (an hour); larger values are clamped.
const MAX_MICROS: u64 = 3_600_000_000;
/// The chart has at most this many points.
const TIMELINE_POINTS: f64 = 100.0;
/// Distinct problem messages kept per scenario.
const MAX_PROBLEMS: usize = 10;

/// Runs `scenario` against `target` and measures it. Needs a tokio runtime with timers (and
/// I/O for an [`crate::HttpTarget`]); see [`run_blocking`].
///
/// The scenario must be [`Scenario::validate`]d; a bad one still runs but reports each
/// failing request as a problem.
pub async fn run<T: Target>(scenario: &Scenario, target: T) -> ScenarioReport {
    let total_slots = slot_count(scenario);
    let window = Duration::from_secs_f64(
        ((scenario.warmup + scenario.duration).as_secs_f64() / TIMELINE_POINTS).max(0.1),
    );
    let recorder = Arc::new(Mutex::new(Recorder::new(window)));
    if let Some(flush) = &scenario.flush
        && let Err(message) = flush_once(scenario, flush, &target).await
    {
        lock(&recorder).problem(message);
    }
    let start = Instant::now();
    let shared = Arc::new(Shared {
        scenario: scenario.clone(),
        target,
        start,
        total_slots,
        recorder: Arc::clone(&recorder),
    });
    let deadline = start + scenario.warmup + scenario.duration + scenario.timeout;
    let mut tasks = JoinSet::new();
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let steps = scenario.steps.len() as u64;
    let iterations = total_slots.div_ceil(steps);
    let mut spawned = 0;
    let schedule = async {
        for iteration in 0..iterations {
            tokio::time::sleep_until(shared.due(iteration * steps) - EARLY).await;
            let Ok(permit) = Arc::clone(&in_flight).acquire_owned().await else {
                break;
            };
            let shared = Arc::clone(&shared);
            tasks.spawn(async move {
                shared.iteration(iteration).await;
                drop(permit);
            });
            spawned += 1;
            // Reap finished iterations so the set does not grow with the run.
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
    };
    // Past the deadline, unfinished requests are recorded as timeouts by their guards when
    // the tasks are dropped.
    let _ = tokio::time::timeout_at(deadline, schedule).await;
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    let unspawned = total_slots.saturating_sub(spawned * steps);
    lock(&recorder).finish(scenario, total_slots, unspawned)
}

/// Runs [`run`] on a runtime of its own (one thread: the driver stays off the cores the
/// server needs).
///
/// # Errors
/// When the runtime cannot be built.
pub fn run_blocking<T: Target>(
    scenario: &Scenario,
    target: T,
) -> Result<ScenarioReport, std::io::Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(run(scenario, target)))
}

/// How many requests the schedule holds: one every `1 / rate` s over warmup and duration.
pub fn slot_count(scenario: &Scenario) -> u64 {
    ((scenario.warmup + scenario.duration).as_secs_f64() * scenario.rate)
        .ceil()
        .max(1.0) as u64
}

async fn flush_once<T: Target>(
    scenario: &Scenario,
    flush: &Step,
    target: &T,
) -> Result<(), String> {
    let request = build(
        flush,
        &[],
        &mut SplitMix64::for_iteration(scenario.seed, 0),
        0,
    )
    .map_err(|error| format!("flush `{}`: {error}", flush.describe()))?;
    match target.send(request, scenario.timeout).await {
        Ok(exchange) if exchange.status.is_success() => Ok(()),
        Ok(exchange) => Err(format!(
            "flush `{}` answered {}; the cold phase may not be cold",
            flush.describe(),
            exchange.status
        )),
        Err(failure) => Err(format!("flush `{}`: {failure}", flush.describe())),
    }
}

struct Shared<T> {
    scenario: Scenario,
    target: T,
    start: Instant,
    total_slots: u64,
    recorder: Arc<Mutex<Recorder>>,
}

impl<T: Target> Shared<T> {
    fn due(&self, slot: u64) -> Instant {
        self.start + self.offset(slot)
    }

    fn offset(&self, slot: u64) -> Duration {
        Duration::from_secs_f64(slot as f64 / self.scenario.rate)
    }

    fn phase(&self, slot: u64) -> Phase {
        if self.offset(slot) < self.scenario.warmup {
            Phase::Cold
        } else {
            Phase::Warm
        }
    }

    async fn iteration(&self, iteration: u64) {
        let steps = &self.scenario.steps;
        let first = iteration * steps.len() as u64;
        let mut rng = SplitMix64::for_iteration(self.scenario.seed, iteration);
        let mut values: Vec<(String, String)> = Vec::new();
        let mut previous_end = self.due(first);
        for (at, step) in steps.iter().enumerate() {
            let slot = first + at as u64;
            if slot >= self.total_slots {
                return;
            }
            let due = self.due(slot);
            tokio::time::sleep_until(due - EARLY).await;
            let ready = Instant::now();
            let phase = self.phase(slot);
            let mut pending = Pending {
                recorder: &self.recorder,
                phase,
                due,
                open: true,
            };
            lock(&self.recorder).started(ready.saturating_duration_since(due.max(previous_end)));
            let request = match build(step, &values, &mut rng, iteration) {
                Ok(request) => request,
                Err(error) => {
                    pending.fail(
                        "missing-value",
                        format!("step {} (`{}`): {error}", at + 1, step.describe()),
                    );
                    return;
                }
            };
            let exchange = match self.target.send(request, self.scenario.timeout).await {
                Ok(exchange) => exchange,
                Err(failure) => {
                    let kind = failure.kind();
                    pending.fail(kind, failure_message(step, &failure));
                    return;
                }
            };
            let end = Instant::now();
            pending.answered(&exchange, end);
            for (name, pointer) in &step.capture {
                match scenario::capture(&exchange.body, pointer) {
                    Some(value) => values.push((name.clone(), value)),
                    None => {
                        lock(&self.recorder).missing_value(
                            phase,
                            format!(
                                "step {} (`{}`) answered {} without `{pointer}` for `${{{name}}}`; the rest of the iteration was not sent",
                                at + 1,
                                step.describe(),
                                exchange.status
                            ),
                        );
                        return;
                    }
                }
            }
            previous_end = end;
        }
    }
}

fn failure_message(step: &Step, failure: &Failure) -> String {
    format!("`{}`: {failure}", step.describe())
}

/// Builds the request of a step (path-only URI); `Err` names a value that was not captured.
fn build(
    step: &Step,
    values: &[(String, String)],
    rng: &mut SplitMix64,
    iteration: u64,
) -> Result<Request<Full<Bytes>>, String> {
    let missing = |name: String| format!("`${{{name}}}` has no value");
    let path = step.path.render(values, rng, iteration).map_err(missing)?;
    let mut request = Request::builder().method(step.method.clone()).uri(path);
    for (name, value) in &step.headers {
        request = request.header(name, value.render(values, rng, iteration).map_err(missing)?);
    }
    let body = match &step.body {
        Some(body) => {
            if !step
                .headers
                .iter()
                .any(|(name, _)| name == http::header::CONTENT_TYPE)
            {
                request = request.header(http::header::CONTENT_TYPE, "application/json");
            }
            Bytes::from(body.render(values, rng, iteration).map_err(missing)?)
        }
        None => Bytes::new(),
    };
    request
        .body(Full::new(body))
        .map_err(|error| format!("cannot build the request: {error}"))
}

fn lock(recorder: &Mutex<Recorder>) -> MutexGuard<'_, Recorder> {
    recorder
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A sent request not yet answered: dropped without an answer (the run's deadline aborted
/// its task), it is a timeout.
struct Pending<'a> {
    recorder: &'a Mutex<Recorder>,
    phase: Phase,
    due: Instant,
    open: bool,
}

impl Pending<'_> {
    fn answered(&mut self, exchange: &crate::target::Exchange, end: Instant) {
        self.open = false;
        lock(self.recorder).answered(self.phase, self.due, exchange, end);
    }

    fn fail(&mut self, kind: &'static str, message: String) {
        self.open = false;
        let mut recorder = lock(self.recorder);
        recorder.failed(self.phase, self.due, kind);
        recorder.problem(message);
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if self.open {
            let mut recorder = lock(self.recorder);
            recorder.failed(self.phase, self.due, "timeout");
            recorder.problem(
                "requests still unanswered at the end of the run (duration + timeout) count as timeouts"
                    .to_owned(),
            );
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Cold,
    Warm,
}

/// Everything measured so far.
struct Recorder {
    cold: PhaseStats,
    warm: PhaseStats,
    /// The driver's own delay per started request, in microseconds.
    lag: Histogram<u64>,
    late: u64,
    window: Duration,
    /// Per window: latencies and errors.
    timeline: Vec<(Histogram<u64>, u64)>,
    start: Option<Instant>,
    problems: BTreeMap<String, u64>,
}

struct PhaseStats {
    latency: Histogram<u64>,
    service: Histogram<u64>,
    responses: u64,
    /// Requests that got no response.
    failed: u64,
    /// Answered requests whose iteration stopped for a value missing from the answer.
    stopped: u64,
    by_status: BTreeMap<u16, u64>,
    by_kind: BTreeMap<&'static str, u64>,
}

fn histogram(significant_digits: u8) -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, significant_digits)
        .expect("static bounds: 1 µs to an hour, at most 3 significant digits")
}

fn micros(duration: Duration) -> u64 {
    (duration.as_micros() as u64).clamp(1, MAX_MICROS)
}

impl PhaseStats {
    fn new() -> Self {
        Self {
            latency: histogram(3),
            service: histogram(3),
            responses: 0,
            failed: 0,
            stopped: 0,
            by_status: BTreeMap::new(),
            by_kind: BTreeMap::new(),
        }
    }

    fn requests(&self) -> u64 {
        self.responses + self.failed
    }

    fn report(&self, length: Duration, scheduled: u64) -> PhaseReport {
        let status_errors: u64 = self.by_status.values().sum();
        let total = status_errors + self.failed + self.stopped;
        let requests = self.requests();
        PhaseReport {
            achieved_rate: if length.is_zero() {
                0.0
            } else {
                round(self.responses as f64 / length.as_secs_f64())
            },
            requests,
            errors: Errors {
                total,
                rate: if requests == 0 {
                    0.0
                } else {
                    total as f64 / requests as f64
                },
                by_status: self
                    .by_status
                    .iter()
                    .map(|(status, count)| (status.to_string(), *count))
                    .collect(),
                by_kind: self
                    .by_kind
                    .iter()
                    .map(|(kind, count)| ((*kind).to_owned(), *count))
                    .collect(),
                not_sent: scheduled.saturating_sub(requests),
            },
            latency_ms: percentiles(&self.latency),
            service_ms: percentiles(&self.service),
        }
    }
}

fn percentiles(histogram: &Histogram<u64>) -> Percentiles {
    if histogram.is_empty() {
        return Percentiles::default();
    }
    let at = |quantile: f64| millis(histogram.value_at_quantile(quantile));
    Percentiles {
        p50: at(0.50),
        p90: at(0.90),
        p95: at(0.95),
        p99: at(0.99),
        max: millis(histogram.max()),
    }
}

/// Microseconds to milliseconds, rounded to microseconds.
fn millis(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

impl Recorder {
    fn new(window: Duration) -> Self {
        Self {
            cold: PhaseStats::new(),
            warm: PhaseStats::new(),
            lag: histogram(2),
            late: 0,
            window,
            timeline: Vec::new(),
            start: None,
            problems: BTreeMap::new(),
        }
    }

    fn phase(&mut self, phase: Phase) -> &mut PhaseStats {
        match phase {
            Phase::Cold => &mut self.cold,
            Phase::Warm => &mut self.warm,
        }
    }

    fn started(&mut self, lag: Duration) {
        let _ = self.lag.record(micros(lag));
        if lag.as_secs_f64() * 1000.0 > LATE_MS {
            self.late += 1;
        }
    }

    fn point(&mut self, due: Instant) -> &mut (Histogram<u64>, u64) {
        let start = *self.start.get_or_insert(due);
        let index = (due.saturating_duration_since(start).as_secs_f64() / self.window.as_secs_f64())
            as usize;
        if self.timeline.len() <= index {
            self.timeline.resize_with(index + 1, || (histogram(2), 0));
        }
        &mut self.timeline[index]
    }

    fn answered(
        &mut self,
        phase: Phase,
        due: Instant,
        exchange: &crate::target::Exchange,
        end: Instant,
    ) {
        // Sent late (the server, a busy connection or the driver held it): from the due time,
        // so the delay counts. Sent early: from when it was sent.
        let latency = micros(end.saturating_duration_since(due.min(exchange.sent_at)));
        let stats = self.phase(phase);
        stats.responses += 1;
        let _ = stats.latency.record(latency);
        let _ = stats
            .service
            .record(micros(end.saturating_duration_since(exchange.sent_at)));
        let error = exchange.status.is_client_error() || exchange.status.is_server_error();
        if error {
            *stats.by_status.entry(exchange.status.as_u16()).or_default() += 1;
        }
        let point = self.point(due);
        let _ = point.0.record(latency);
        point.1 += u64::from(error);
    }

    fn failed(&mut self, phase: Phase, due: Instant, kind: &'static str) {
        let stats = self.phase(phase);
        stats.failed += 1;
        *stats.by_kind.entry(kind).or_default() += 1;
        self.point(due).1 += 1;
    }

    /// A response without a value a later step needs: the request itself was answered, so it
    /// is not counted twice, but the iteration stops and that is an error of its own.
    fn missing_value(&mut self, phase: Phase, message: String) {
        let stats = self.phase(phase);
        stats.stopped += 1;
        *stats.by_kind.entry("missing-value").or_default() += 1;
        self.problem(message);
    }

    fn problem(&mut self, message: String) {
        if self.problems.len() < MAX_PROBLEMS || self.problems.contains_key(&message) {
            *self.problems.entry(message).or_default() += 1;
        }
    }

    fn finish(&mut self, scenario: &Scenario, total_slots: u64, unspawned: u64) -> ScenarioReport {
        let rate = scenario.rate;
        let cold_slots = ((scenario.warmup.as_secs_f64() * rate).ceil() as u64).min(total_slots);
        let cold =
            (!scenario.warmup.is_zero()).then(|| self.cold.report(scenario.warmup, cold_slots));
        let warm = self
            .warm
            .report(scenario.duration, total_slots - cold_slots);
        let started = self.lag.len();
        let late_pct = if started == 0 {
            0.0
        } else {
            self.late as f64 / started as f64 * 100.0
        };
        let lag_p99_ms = millis(self.lag.value_at_quantile(0.99));
        let saturated = late_pct > LATE_SHARE_LIMIT * 100.0 || unspawned > 0;
        let driver = DriverReport {
            saturated,
            late_pct: round(late_pct),
            lag_p99_ms,
            lag_max_ms: millis(self.lag.max()),
            message: saturated.then(|| {
                let unsent = if unspawned > 0 {
                    format!(", {unspawned} never sent before the deadline")
                } else {
                    String::new()
                };
                format!(
                    "could not keep {rate} req/s: {late_pct:.1}% of requests started over {LATE_MS} ms late (p99 delay {lag_p99_ms:.1} ms){unsent}; the latencies include that delay, so lower the rate or run on a less loaded machine"
                )
            }),
        };
        let window_ms = self.window.as_secs_f64() * 1000.0;
        let timeline = self
            .timeline
            .iter()
            .enumerate()
            .map(|(index, (latency, errors))| TimelinePoint {
                t_ms: index as f64 * window_ms,
                requests: latency.len() + errors,
                errors: *errors,
                p50_ms: percentiles(latency).p50,
                p95_ms: percentiles(latency).p95,
                max_ms: percentiles(latency).max,
            })
            .collect();
        let mut problems: Vec<Problem> = std::mem::take(&mut self.problems)
            .into_iter()
            .map(|(message, count)| Problem { message, count })
            .collect();
        problems.sort_by(|a, b| b.count.cmp(&a.count).then(a.message.cmp(&b.message)));
        ScenarioReport {
            name: scenario.name.clone(),
            target_rate: rate,
            warm,
            cold,
            duration_ms: scenario.duration.as_secs_f64() * 1000.0,
            warmup_ms: scenario.warmup.as_secs_f64() * 1000.0,
            connections: scenario.connections,
            thresholds: scenario.thresholds,
            driver,
            timeline,
            problems,
        }
    }
}
