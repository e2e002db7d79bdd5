//! An in-process message broker with the semantics a commerce backend relies on: topics
//! routed to queues by routing-key patterns (AMQP topic exchanges: `*` one word, `#` zero or
//! more), a JSON Schema per topic checked on publish, consumers that ack or nack, retries with
//! seeded full-jitter exponential backoff on the test clock, a dead-letter queue after the
//! last attempt, dedupe keys within a window of clock time, and delayed delivery.
//!
//! Nothing is delivered in the background: a message becomes due at a clock time, and
//! [`Broker::fetch`] (pull) or [`Broker::pump`] (the registered handlers) deliver what is due
//! *now*, so advancing the [`TestClock`] is what delivers a retry ([`Broker::advance`]).
//!
//! ```
//! use std::time::Duration;
//! use commerce_testkit::clock::TestClock;
//! use commerce_testkit::stubs::queue::{Broker, Publish, Retry, TopicOptions};
//! use serde_json::json;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let clock = TestClock::new();
//! let broker = Broker::new(clock.shared(), 42);
//! broker.declare_topic("orders", TopicOptions {
//!     schema: Some(json!({"type": "object", "required": ["id"],
//!                         "properties": {"id": {"type": "integer"}}})),
//!     ..TopicOptions::default()
//! }).unwrap();
//! broker.declare_queue("emails", Retry { max_attempts: 2, ..Retry::default() });
//! broker.bind("emails", "orders", "order.*").unwrap();
//!
//! broker.publish("orders", "order.created", json!({"id": 1}), Publish::default()).unwrap();
//! let refused = broker.publish("orders", "order.created", json!({"id": "one"}), Publish::default());
//! assert_eq!(refused.unwrap_err().pointer(), Some("/id"));
//!
//! let delivery = broker.fetch("emails").unwrap();
//! broker.nack(&delivery, "smtp down").unwrap();      // retried after a seeded backoff
//! assert!(broker.fetch("emails").is_none());         // not due yet
//! clock.advance(Duration::from_secs(60)).await;
//! let again = broker.fetch("emails").unwrap();
//! assert_eq!(again.attempt, 2);
//! broker.nack(&again, "smtp down").unwrap();         // the last attempt: dead-lettered
//! broker.assert_dead_lettered("emails", 1);
//! # });
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use commerce_metrics::Metrics;
use serde_json::Value;

use crate::case::TestCase;
use crate::clock::SharedClock;
use crate::seed::TestRng;

/// What a publish or a consumer did wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("no topic `{0}`: declare it with `Broker::declare_topic` before publishing to it")]
    UnknownTopic(String),
    #[error("no queue `{0}`: declare it with `Broker::declare_queue`")]
    UnknownQueue(String),
    #[error("the schema of topic `{topic}` is not a valid JSON Schema: {message}")]
    InvalidSchema { topic: String, message: String },
    #[error("message rejected by the schema of topic `{topic}` at `{pointer}`: {message}")]
    SchemaViolation {
        topic: String,
        /// The JSON pointer of the failing field (`/lines/0/quantity`; empty for the root).
        pointer: String,
        message: String,
    },
    #[error("delivery {0} is not in flight: it was acked or nacked already, or never fetched")]
    NotInFlight(u64),
}

impl QueueError {
    /// The JSON pointer of a schema violation.
    pub fn pointer(&self) -> Option<&str> {
        match self {
            QueueError::SchemaViolation { pointer, .. } => Some(pointer),
            _ => None,
        }
    }
}

/// How a topic checks and deduplicates what is published to it.
#[derive(Debug, Clone)]
pub struct TopicOptions {
    /// Every message must validate against it.
    pub schema: Option<Value>,
    /// A message whose dedupe key was published within this clock time is dropped.
    pub dedupe_window: Duration,
}

impl Default for TopicOptions {
    fn default() -> Self {
        Self {
            schema: None,
            dedupe_window: Duration::from_secs(300),
        }
    }
}

/// A queue's retry policy: full-jitter exponential backoff (the delay before attempt `n + 1`
/// is uniform in `[0, min(max_delay, base_delay · 2^(n-1))]`), and the dead-letter queue
/// after `max_attempts` deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(300),
        }
    }
}

impl Retry {
    /// The upper bound of the delay after delivery `attempt` (1-based) failed.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let doubling = 2_u32.saturating_pow(attempt.saturating_sub(1));
        self.base_delay.saturating_mul(doubling).min(self.max_delay)
    }

    /// The delay after delivery `attempt` failed, drawn from `rng` (millisecond steps).
    pub fn delay(&self, attempt: u32, rng: &mut TestRng) -> Duration {
        let ceiling = self.ceiling(attempt).as_millis() as u64;
        Duration::from_millis(rng.range(0..ceiling.saturating_add(1)))
    }
}

/// How one message is published.
#[derive(Debug, Clone, Default)]
pub struct Publish {
    /// Messages with the same key on the same topic within its window are delivered once.
    pub dedupe_key: Option<String>,
    /// Delivered no earlier than this much clock time after the publish.
    pub delay: Option<Duration>,
}

/// A message as the broker keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The broker-wide publish order.
    pub id: u64,
    pub topic: String,
    pub routing_key: String,
    pub payload: Value,
    pub dedupe_key: Option<String>,
    pub published_at: SystemTime,
}

/// One delivery of a message to a consumer of `queue`.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Names this delivery for [`Broker::ack`] and [`Broker::nack`].
    pub tag: u64,
    pub queue: String,
    /// 1 for the first delivery.
    pub attempt: u32,
    pub message: Message,
}

/// A nack that scheduled another attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Retried {
    pub queue: String,
    pub message_id: u64,
    /// The attempt that failed.
    pub attempt: u32,
    pub reason: String,
    pub delay: Duration,
    pub due_at: SystemTime,
}

/// A message that failed its last attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    pub queue: String,
    pub attempts: u32,
    pub last_reason: String,
    pub message: Message,
}

/// A publish dropped because its dedupe key was seen within the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Deduplicated {
    pub topic: String,
    pub dedupe_key: String,
    /// The message that was kept.
    pub original_id: u64,
    pub payload: Value,
}

/// What [`Broker::publish`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// Accepted as message `id`, routed to `queues` queues (0 when no binding matched).
    Accepted { id: u64, queues: usize },
    /// Dropped: message `original` had the same dedupe key within the window.
    Duplicate { original: u64 },
}

/// A consumer's verdict on a delivery: `Err(reason)` nacks it.
pub type Handler = Arc<dyn Fn(&Delivery) -> Result<(), String> + Send + Sync>;

/// The broker; clones share it.
#[derive(Clone)]
pub struct Broker {
    inner: Arc<Mutex<State>>,
    clock: SharedClock,
    /// For a broker of one test: the worker's suffix every name gets.
    suffix: String,
    metrics: Option<Metrics>,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("suffix", &self.suffix)
            .field("state", &*self.lock())
            .finish_non_exhaustive()
    }
}

/// A registered consumer.
#[derive(Clone)]
struct Consumer(Handler);

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Consumer")
    }
}

#[derive(Debug)]
struct Topic {
    validator: Option<Arc<jsonschema::Validator>>,
    dedupe_window: Duration,
    /// The last message per dedupe key.
    seen: HashMap<String, (u64, SystemTime)>,
}

#[derive(Debug)]
struct Queue {
    retry: Retry,
    /// (due at, message id, attempt) waiting for a consumer.
    ready: Vec<(SystemTime, u64, u32)>,
}

#[derive(Debug)]
struct Binding {
    queue: String,
    topic: String,
    pattern: String,
}

#[derive(Debug)]
struct State {
    rng: TestRng,
    topics: BTreeMap<String, Topic>,
    queues: BTreeMap<String, Queue>,
    bindings: Vec<Binding>,
    consumers: BTreeMap<String, Consumer>,
    messages: Vec<Message>,
    in_flight: HashMap<u64, Delivery>,
    next_tag: u64,
    deliveries: Vec<Delivery>,
    acked: Vec<(String, u64)>,
    retried: Vec<Retried>,
    dead_letters: Vec<DeadLetter>,
    deduplicated: Vec<Deduplicated>,
}

impl Broker {
    /// A broker on `clock`, its backoff drawn from a generator seeded with `seed`.
    pub fn new(clock: SharedClock, seed: u64) -> Self {
        Self {
            inner: Arc::new(Mutex::new(State {
                rng: TestRng::from_u64(seed),
                topics: BTreeMap::new(),
                queues: BTreeMap::new(),
                bindings: Vec::new(),
                consumers: BTreeMap::new(),
                messages: Vec::new(),
                in_flight: HashMap::new(),
                next_tag: 1,
                deliveries: Vec::new(),
                acked: Vec::new(),
                retried: Vec::new(),
                dead_letters: Vec::new(),
                deduplicated: Vec::new(),
            })),
            clock,
            suffix: String::new(),
            metrics: None,
        }
    }

    /// The broker of one test: seeded from the test's generator (the run's seed and the test's
    /// name), and every topic and queue name suffixed with the worker and run
    /// ([`TestCase::per_worker`]), as a shared broker would need.
    pub fn for_test(case: &TestCase, clock: SharedClock) -> Self {
        Self {
            suffix: case.per_worker(""),
            ..Self::new(clock, case.rng().next_u64())
        }
    }

    /// Counts publishes, retries and dead letters in `metrics` (`queue_publish_total{topic}`,
    /// `retry_total`, `dlq_total`).
    #[must_use]
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The name the broker uses for `base` (suffixed per worker by [`Broker::for_test`]).
    pub fn name(&self, base: &str) -> String {
        format!("{base}{}", self.suffix)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Declares (or redeclares) topic `topic`.
    ///
    /// # Errors
    /// [`QueueError::InvalidSchema`] when the schema does not compile.
    pub fn declare_topic(&self, topic: &str, options: TopicOptions) -> Result<(), QueueError> {
        let name = self.name(topic);
        let validator = options
            .schema
            .as_ref()
            .map(|schema| {
                jsonschema::validator_for(schema).map_err(|error| QueueError::InvalidSchema {
                    topic: name.clone(),
                    message: error.to_string(),
                })
            })
            .transpose()?
            .map(Arc::new);
        self.lock().topics.insert(
            name,
            Topic {
                validator,
                dedupe_window: options.dedupe_window,
                seen: HashMap::new(),
            },
        );
        Ok(())
    }

    /// Declares queue `queue` with its retry policy (its dead letters are kept beside it).
    pub fn declare_queue(&self, queue: &str, retry: Retry) {
        self.lock().queues.insert(
            self.name(queue),
            Queue {
                retry,
                ready: Vec::new(),
            },
        );
    }

    /// Routes the messages of `topic` whose routing key matches `pattern` to `queue`.
    ///
    /// # Errors
    /// When the topic or the queue was not declared.
    pub fn bind(&self, queue: &str, topic: &str, pattern: &str) -> Result<(), QueueError> {
        let (queue, topic) = (self.name(queue), self.name(topic));
        let mut state = self.lock();
        if !state.topics.contains_key(&topic) {
            return Err(QueueError::UnknownTopic(topic));
        }
        if !state.queues.contains_key(&queue) {
            return Err(QueueError::UnknownQueue(queue));
        }
        state.bindings.push(Binding {
            queue,
            topic,
            pattern: pattern.to_owned(),
        });
        Ok(())
    }

    /// Registers the consumer [`Broker::pump`] hands `queue`'s due messages to.
    ///
    /// # Errors
    /// When the queue was not declared.
    pub fn consume(
        &self,
        queue: &str,
        handler: impl Fn(&Delivery) -> Result<(), String> + Send + Sync + 'static,
    ) -> Result<(), QueueError> {
        let queue = self.name(queue);
        let mut state = self.lock();
        if !state.queues.contains_key(&queue) {
            return Err(QueueError::UnknownQueue(queue));
        }
        state.consumers.insert(queue, Consumer(Arc::new(handler)));
        Ok(())
    }

    /// Publishes `payload` on `topic` with `routing_key`: validated against the topic's
    /// schema, dropped when its dedupe key was seen within the window, else routed to every
    /// queue with a matching binding (once per queue), due now or after its delay.
    ///
    /// # Errors
    /// [`QueueError::SchemaViolation`] with the failing field's JSON pointer (nothing is
    /// published), or [`QueueError::UnknownTopic`].
    pub fn publish(
        &self,
        topic: &str,
        routing_key: &str,
        payload: Value,
        options: Publish,
    ) -> Result<Published, QueueError> {
        let topic_name = self.name(topic);
        let now = self.clock.now();
        let mut state = self.lock();
        let state = &mut *state;
        let Some(topic) = state.topics.get_mut(&topic_name) else {
            return Err(QueueError::UnknownTopic(topic_name));
        };
        if let Some(validator) = &topic.validator
            && let Some(error) = validator.iter_errors(&payload).next()
        {
            return Err(QueueError::SchemaViolation {
                topic: topic_name,
                pointer: error.instance_path().to_string(),
                message: error.to_string(),
            });
        }
        let id = state.messages.len() as u64 + 1;
        if let Some(key) = &options.dedupe_key {
            if let Some((original, at)) = topic.seen.get(key)
                && now.duration_since(*at).unwrap_or_default() < topic.dedupe_window
            {
                let original = *original;
                state.deduplicated.push(Deduplicated {
                    topic: topic_name,
                    dedupe_key: key.clone(),
                    original_id: original,
                    payload,
                });
                return Ok(Published::Duplicate { original });
            }
            topic.seen.insert(key.clone(), (id, now));
        }
        let due = now + options.delay.unwrap_or_default();
        let mut targets: Vec<&str> = state
            .bindings
            .iter()
            .filter(|binding| {
                binding.topic == topic_name && routing_key_matches(&binding.pattern, routing_key)
            })
            .map(|binding| binding.queue.as_str())
            .collect();
        targets.sort_unstable();
        targets.dedup();
        for queue in &targets {
            if let Some(queue) = state.queues.get_mut(*queue) {
                queue.ready.push((due, id, 1));
            }
        }
        let queues = targets.len();
        state.messages.push(Message {
            id,
            topic: topic_name.clone(),
            routing_key: routing_key.to_owned(),
            payload,
            dedupe_key: options.dedupe_key,
            published_at: now,
        });
        if let Some(metrics) = &self.metrics {
            metrics.queue_published(&topic_name);
        }
        Ok(Published::Accepted { id, queues })
    }

    /// The next message of `queue` due now (earliest due first, then publish order), in
    /// flight until acked or nacked; `None` when nothing is due.
    pub fn fetch(&self, queue: &str) -> Option<Delivery> {
        self.fetch_named(self.name(queue))
    }

    fn fetch_named(&self, queue: String) -> Option<Delivery> {
        let now = self.clock.now();
        let mut state = self.lock();
        let waiting = &mut state.queues.get_mut(&queue)?.ready;
        let next = waiting
            .iter()
            .enumerate()
            .filter(|(_, (due, _, _))| *due <= now)
            .min_by_key(|(_, (due, id, _))| (*due, *id))
            .map(|(index, _)| index)?;
        let (_, id, attempt) = waiting.remove(next);
        let message = state.messages[(id - 1) as usize].clone();
        let tag = state.next_tag;
        state.next_tag += 1;
        let delivery = Delivery {
            tag,
            queue,
            attempt,
            message,
        };
        state.in_flight.insert(tag, delivery.clone());
        state.deliveries.push(delivery.clone());
        Some(delivery)
    }

    /// Acknowledges a delivery: the message is done.
    ///
    /// # Errors
    /// [`QueueError::NotInFlight`] for a delivery acked or nacked already.
    pub fn ack(&self, delivery: &Delivery) -> Result<(), QueueError> {
        let mut state = self.lock();
        let done = state
            .in_flight
            .remove(&delivery.tag)
            .ok_or(QueueError::NotInFlight(delivery.tag))?;
        state.acked.push((done.queue, done.message.id));
        Ok(())
    }

    /// Rejects a delivery: retried after the queue's backoff, or dead-lettered when it was
    /// the last attempt.
    ///
    /// # Errors
    /// [`QueueError::NotInFlight`] for a delivery acked or nacked already.
    pub fn nack(&self, delivery: &Delivery, reason: &str) -> Result<(), QueueError> {
        let now = self.clock.now();
        let mut state = self.lock();
        let state = &mut *state;
        let failed = state
            .in_flight
            .remove(&delivery.tag)
            .ok_or(QueueError::NotInFlight(delivery.tag))?;
        let Some(queue) = state.queues.get_mut(&failed.queue) else {
            return Err(QueueError::UnknownQueue(failed.queue));
        };
        if failed.attempt >= queue.retry.max_attempts {
            state.dead_letters.push(DeadLetter {
                queue: failed.queue,
                attempts: failed.attempt,
                last_reason: reason.to_owned(),
                message: failed.message,
            });
            if let Some(metrics) = &self.metrics {
                metrics.dead_lettered();
            }
            return Ok(());
        }
        let delay = queue.retry.delay(failed.attempt, &mut state.rng);
        queue
            .ready
            .push((now + delay, failed.message.id, failed.attempt + 1));
        state.retried.push(Retried {
            queue: failed.queue,
            message_id: failed.message.id,
            attempt: failed.attempt,
            reason: reason.to_owned(),
            delay,
            due_at: now + delay,
        });
        if let Some(metrics) = &self.metrics {
            metrics.retried();
        }
        Ok(())
    }

    /// Hands every message due now to its queue's consumer ([`Broker::consume`]), acking on
    /// `Ok` and nacking on `Err`, until none is due; returns how many deliveries were made.
    /// Queues without a consumer keep their messages.
    pub fn pump(&self) -> usize {
        let mut delivered = 0;
        loop {
            let consumers: Vec<(String, Consumer)> = self
                .lock()
                .consumers
                .iter()
                .map(|(queue, consumer)| (queue.clone(), consumer.clone()))
                .collect();
            let mut progressed = false;
            for (queue, Consumer(handler)) in consumers {
                while let Some(delivery) = self.fetch_named(queue.clone()) {
                    delivered += 1;
                    progressed = true;
                    // The handler runs unlocked: it may publish, or ack or nack the delivery
                    // itself, in which case its own verdict stands (NotInFlight here).
                    let _ = match handler(&delivery) {
                        Ok(()) => self.ack(&delivery),
                        Err(reason) => self.nack(&delivery, &reason),
                    };
                }
            }
            if !progressed {
                return delivered;
            }
        }
    }

    /// Advances `clock` (the broker's) by `by`, then delivers what became due
    /// ([`Broker::pump`]).
    pub async fn advance(&self, clock: &crate::clock::TestClock, by: Duration) -> usize {
        clock.advance(by).await;
        self.pump()
    }

    /// Every message accepted on `topic`, in publish order.
    pub fn published(&self, topic: &str) -> Vec<Message> {
        let topic = self.name(topic);
        self.lock()
            .messages
            .iter()
            .filter(|message| message.topic == topic)
            .cloned()
            .collect()
    }

    /// Every delivery made, in order (retries included).
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.lock().deliveries.clone()
    }

    /// Every nack that scheduled another attempt, in order.
    pub fn retried(&self) -> Vec<Retried> {
        self.lock().retried.clone()
    }

    /// The dead letters of `queue`.
    pub fn dead_lettered(&self, queue: &str) -> Vec<DeadLetter> {
        let queue = self.name(queue);
        self.lock()
            .dead_letters
            .iter()
            .filter(|letter| letter.queue == queue)
            .cloned()
            .collect()
    }

    /// Every publish dropped as a duplicate.
    pub fn deduplicated(&self) -> Vec<Deduplicated> {
        self.lock().deduplicated.clone()
    }

    /// Asserts `topic` accepted exactly `count` messages.
    ///
    /// # Panics
    /// Listing the messages when the count differs.
    #[track_caller]
    pub fn assert_published(&self, topic: &str, count: usize) {
        let messages = self.published(topic);
        check_count("published on topic", &self.name(topic), count, &messages);
    }

    /// Asserts exactly `count` nacks were retried.
    ///
    /// # Panics
    /// Listing the retries when the count differs.
    #[track_caller]
    pub fn assert_retried(&self, count: usize) {
        check_count("retried", "(any queue)", count, &self.retried());
    }

    /// Asserts `queue` dead-lettered exactly `count` messages.
    ///
    /// # Panics
    /// Listing the dead letters when the count differs.
    #[track_caller]
    pub fn assert_dead_lettered(&self, queue: &str, count: usize) {
        let letters = self.dead_lettered(queue);
        check_count("dead-lettered by queue", &self.name(queue), count, &letters);
    }

    /// Asserts exactly `count` publishes were dropped as duplicates.
    ///
    /// # Panics
    /// Listing them when the count differs.
    #[track_caller]
    pub fn assert_deduplicated(&self, count: usize) {
        check_count("deduplicated", "(any topic)", count, &self.deduplicated());
    }
}

#[track_caller]
fn check_count<T: std::fmt::Debug>(what: &str, name: &str, expected: usize, found: &[T]) {
    assert!(
        found.len() == expected,
        "expected {expected} message(s) {what} `{name}`, found {}:\n{found:#?}",
        found.len()
    );
}

/// Whether `key` matches an AMQP topic `pattern`: words separated by `.`, `*` matching exactly
/// one word and `#` zero or more.
pub fn routing_key_matches(pattern: &str, key: &str) -> bool {
    fn matches(pattern: &[&str], key: &[&str]) -> bool {
        match pattern.split_first() {
            None => key.is_empty(),
            Some((&"#", rest)) => (0..=key.len()).any(|skip| matches(rest, &key[skip..])),
            Some((&word, rest)) => key.split_first().is_some_and(|(first, tail)| {
                (word == "*" || word == *first) && matches(rest, tail)
            }),
        }
    }
    let pattern: Vec<&str> = pattern.split('.').collect();
    let key: Vec<&str> = if key.is_empty() {
        Vec::new()
    } else {
        key.split('.').collect()
    };
    matches(&pattern, &key)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::clock::{Clock as _, TestClock};
    use crate::stubs::metrics::Scrape;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
    }

    fn broker(clock: &TestClock, retry: Retry) -> Broker {
        let broker = Broker::new(clock.shared(), 7);
        broker
            .declare_topic("orders", TopicOptions::default())
            .unwrap();
        broker.declare_queue("fulfilment", retry);
        broker.bind("fulfilment", "orders", "order.#").unwrap();
        broker
    }

    #[test]
    fn routing_keys_match_as_amqp_topic_exchanges_do() {
        for (pattern, key, expected) in [
            ("order.created", "order.created", true),
            ("order.created", "order.paid", false),
            ("order.*", "order.created", true),
            ("order.*", "order.created.eu", false),
            ("order.*", "order", false),
            ("order.#", "order", true),
            ("order.#", "order.created.eu", true),
            ("#.eu", "order.created.eu", true),
            ("#", "", true),
            ("*.created.*", "order.created.eu", true),
            ("*.created.*", "created.eu", false),
        ] {
            assert_eq!(
                routing_key_matches(pattern, key),
                expected,
                "{pattern} ~ {key}"
            );
        }
    }

    #[test]
    fn a_message_violating_the_schema_is_refused_with_the_pointer_of_the_field() {
        let broker = Broker::new(TestClock::new().shared(), 1);
        broker
            .declare_topic(
                "orders",
                TopicOptions {
                    schema: Some(json!({
                        "type": "object", "required": ["id", "lines"],
                        "properties": {
                            "id": {"type": "integer"},
                            "lines": {"type": "array", "items": {
                                "type": "object", "required": ["quantity"],
                                "properties": {"quantity": {"type": "integer", "minimum": 1}}
                            }}
                        }
                    })),
                    ..TopicOptions::default()
                },
            )
            .unwrap();
        let bad = json!({"id": 1, "lines": [{"quantity": 2}, {"quantity": 0}]});
        let error = broker
            .publish("orders", "order.created", bad, Publish::default())
            .unwrap_err();
        assert_eq!(error.pointer(), Some("/lines/1/quantity"));
        assert!(
            error.to_string().starts_with(
                "message rejected by the schema of topic `orders` at `/lines/1/quantity`:"
            ),
            "{error}"
        );
        broker.assert_published("orders", 0);
        let good = json!({"id": 1, "lines": [{"quantity": 2}]});
        broker
            .publish("orders", "order.created", good, Publish::default())
            .unwrap();
        broker.assert_published("orders", 1);
        assert_eq!(
            broker.publish("nope", "x", json!({}), Publish::default()),
            Err(QueueError::UnknownTopic("nope".to_owned()))
        );
        let invalid = broker.declare_topic(
            "broken",
            TopicOptions {
                schema: Some(json!({"type": "no-such-type"})),
                ..TopicOptions::default()
            },
        );
        assert!(matches!(invalid, Err(QueueError::InvalidSchema { .. })));
    }

    #[test]
    fn retries_come_due_on_the_clock_then_the_message_is_dead_lettered() {
        runtime().block_on(async {
            let clock = TestClock::new();
            let metrics = Metrics::new();
            let retry = Retry {
                max_attempts: 3,
                base_delay: Duration::from_secs(10),
                max_delay: Duration::from_secs(60),
            };
            let broker = broker(&clock, retry).with_metrics(metrics.clone());
            let calls = Arc::new(AtomicUsize::new(0));
            let counted = Arc::clone(&calls);
            broker
                .consume("fulfilment", move |_| {
                    counted.fetch_add(1, Ordering::SeqCst);
                    Err("warehouse down".to_owned())
                })
                .unwrap();
            broker
                .publish(
                    "orders",
                    "order.created",
                    json!({"id": 1}),
                    Publish::default(),
                )
                .unwrap();
            assert_eq!(broker.pump(), 1);
            assert_eq!(broker.pump(), 0, "the retry waits for the clock");
            let first = broker.retried()[0].clone();
            assert!(first.delay <= retry.ceiling(1));
            assert_eq!(first.due_at, clock.now() + first.delay);
            // One second short of the retry: nothing; at it: the second attempt.
            if first.delay >= Duration::from_secs(1) {
                assert_eq!(
                    broker
                        .advance(&clock, first.delay - Duration::from_secs(1))
                        .await,
                    0
                );
                assert_eq!(broker.advance(&clock, Duration::from_secs(1)).await, 1);
            } else {
                assert_eq!(broker.advance(&clock, first.delay).await, 1);
            }
            assert_eq!(broker.advance(&clock, retry.max_delay).await, 1);
            assert_eq!(broker.advance(&clock, retry.max_delay).await, 0);
            assert_eq!(calls.load(Ordering::SeqCst), 3);
            broker.assert_retried(2);
            broker.assert_dead_lettered("fulfilment", 1);
            let letter = &broker.dead_lettered("fulfilment")[0];
            assert_eq!(
                (letter.attempts, letter.last_reason.as_str()),
                (3, "warehouse down")
            );
            let attempts: Vec<u32> = broker.deliveries().iter().map(|d| d.attempt).collect();
            assert_eq!(attempts, [1, 2, 3]);

            let scrape = Scrape::parse(&metrics.encode()).unwrap();
            assert_eq!(
                scrape.value("queue_publish_total", &[("topic", "orders")]),
                Some(1.0)
            );
            assert_eq!(scrape.value("retry_total", &[]), Some(2.0));
            assert_eq!(scrape.value("dlq_total", &[]), Some(1.0));
        });
    }

    #[test]
    fn the_same_seed_draws_the_same_backoff() {
        let delays = |seed| {
            let clock = TestClock::new();
            let broker = Broker::new(clock.shared(), seed);
            broker.declare_topic("t", TopicOptions::default()).unwrap();
            broker.declare_queue("q", Retry::default());
            broker.bind("q", "t", "#").unwrap();
            broker
                .publish("t", "k", json!(1), Publish::default())
                .unwrap();
            let delivery = broker.fetch("q").unwrap();
            broker.nack(&delivery, "no").unwrap();
            broker.retried()[0].delay
        };
        assert_eq!(delays(3), delays(3));
        assert!((0..20).any(|seed| delays(seed) != delays(3)));
    }

    #[test]
    fn a_dedupe_key_is_delivered_once_within_its_window() {
        runtime().block_on(async {
            let clock = TestClock::new();
            let broker = broker(&clock, Retry::default());
            let keyed = || Publish {
                dedupe_key: Some("order-1-created".to_owned()),
                delay: None,
            };
            let first = broker
                .publish("orders", "order.created", json!({"id": 1}), keyed())
                .unwrap();
            assert_eq!(first, Published::Accepted { id: 1, queues: 1 });
            clock.advance(Duration::from_secs(299)).await;
            assert_eq!(
                broker.publish(
                    "orders",
                    "order.created",
                    json!({"id": 1, "again": true}),
                    keyed()
                ),
                Ok(Published::Duplicate { original: 1 })
            );
            broker.assert_deduplicated(1);
            assert_eq!(broker.deduplicated()[0].payload["again"], true);
            clock.advance(Duration::from_secs(1)).await;
            assert_eq!(
                broker.publish("orders", "order.created", json!({"id": 1}), keyed()),
                Ok(Published::Accepted { id: 2, queues: 1 }),
                "the window is over"
            );
            broker.assert_published("orders", 2);
        });
    }

    #[test]
    fn a_delayed_message_waits_and_acks_are_final() {
        runtime().block_on(async {
            let clock = TestClock::new();
            let broker = broker(&clock, Retry::default());
            broker.declare_queue("eu", Retry::default());
            broker.bind("eu", "orders", "*.*.eu").unwrap();
            let delayed = Publish {
                dedupe_key: None,
                delay: Some(Duration::from_secs(30)),
            };
            broker
                .publish("orders", "order.created.eu", json!({"id": 1}), delayed)
                .unwrap();
            broker
                .publish(
                    "orders",
                    "payment.created",
                    json!({"id": 2}),
                    Publish::default(),
                )
                .unwrap();
            assert!(
                broker.fetch("fulfilment").is_none(),
                "delayed; the other is unrouted there"
            );
            clock.advance(Duration::from_secs(30)).await;
            let delivery = broker.fetch("fulfilment").unwrap();
            assert_eq!(delivery.message.payload, json!({"id": 1}));
            broker.ack(&delivery).unwrap();
            assert_eq!(
                broker.ack(&delivery),
                Err(QueueError::NotInFlight(delivery.tag))
            );
            assert_eq!(
                broker.fetch("eu").unwrap().message.routing_key,
                "order.created.eu"
            );
            assert!(broker.fetch("fulfilment").is_none());
        });
    }

    #[test]
    fn a_tests_broker_suffixes_its_names_per_worker() {
        let case = TestCase::named("queue::names");
        let broker = Broker::for_test(&case, TestClock::new().shared());
        broker
            .declare_topic("orders", TopicOptions::default())
            .unwrap();
        let name = broker.name("orders");
        assert!(
            name.starts_with(&format!("orders_w{}_", case.worker())),
            "{name}"
        );
        broker
            .publish("orders", "k", json!(1), Publish::default())
            .unwrap();
        assert_eq!(broker.published("orders")[0].topic, name);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// For any seed and policy, each backoff lies in the full-jitter bounds and a message
        /// nacked every time is delivered exactly `max_attempts` times, then dead-lettered;
        /// one acked at some attempt is delivered no more.
        #[test]
        fn backoff_stays_in_bounds_and_attempts_are_capped(
            seed in any::<u64>(),
            max_attempts in 1_u32..8,
            base_ms in 1_u64..5_000,
            cap_factor in 1_u32..64,
            ack_at in proptest::option::of(1_u32..8),
        ) {
            let clock = TestClock::new();
            let retry = Retry {
                max_attempts,
                base_delay: Duration::from_millis(base_ms),
                max_delay: Duration::from_millis(base_ms) * cap_factor,
            };
            let broker = Broker::new(clock.shared(), seed);
            broker.declare_topic("t", TopicOptions::default()).unwrap();
            broker.declare_queue("q", retry);
            broker.bind("q", "t", "#").unwrap();
            broker.consume("q", move |delivery| {
                if Some(delivery.attempt) == ack_at { Ok(()) } else { Err("no".to_owned()) }
            }).unwrap();
            broker.publish("t", "k", json!(1), Publish::default()).unwrap();
            let rt = runtime();
            let mut delivered = broker.pump();
            for _ in 0..max_attempts {
                delivered += rt.block_on(broker.advance(&clock, retry.max_delay));
            }
            let expected = ack_at.filter(|at| *at <= max_attempts).unwrap_or(max_attempts);
            prop_assert_eq!(delivered, expected as usize);
            prop_assert!(delivered <= max_attempts as usize);
            for retried in broker.retried() {
                let ceiling = (retry.base_delay * 2_u32.pow(retried.attempt - 1)).min(retry.max_delay);
                prop_assert!(retried.delay <= ceiling, "{:?} > {:?}", retried.delay, ceiling);
            }
            let dead = usize::from(ack_at.is_none_or(|at| at > max_attempts));
            prop_assert_eq!(broker.dead_lettered("q").len(), dead);
        }
    }
}
