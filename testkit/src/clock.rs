//! Time the app takes from a [`Clock`], so tests can freeze it, set it and jump it forward.
//!
//! **The rule the kit relies on:** application code takes the current time from the `Clock`
//! in its state (or the [`Now`] extractor), never from the database's `now()` /
//! `CURRENT_TIMESTAMP` nor from `SystemTime::now()`. Pass the time into SQL as a parameter.
//! Otherwise a test cannot move time (expire a token, close a sale), and a test's transaction
//! sees one frozen `now()` for its whole life.
//!
//! ```
//! use std::time::Duration;
//! use commerce_testkit::clock::{Clock, TestClock, rfc3339};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let clock = TestClock::new();
//! assert_eq!(rfc3339(clock.now()), "2026-01-01T00:00:00Z");
//! clock.advance(Duration::from_secs(3600)).await;
//! assert_eq!(rfc3339(clock.now()), "2026-01-01T01:00:00Z");
//! clock.set(std::time::UNIX_EPOCH + Duration::from_secs(86_400));
//! assert_eq!(rfc3339(clock.now()), "1970-01-02T00:00:00Z");
//! # });
//! ```
//!
//! With tokio's time paused (`tokio::time::pause()`), [`TestClock::driving_tokio`] also
//! advances it, so `tokio::time::sleep` and timeouts in the app fire when the clock jumps.
//! Pause after the test database is up: on paused time, sqlx's connect and acquire timeouts
//! fire at once while it waits for the server.
//!
//! ```
//! use std::time::Duration;
//! use commerce_testkit::clock::{Clock, TestClock};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
//! let clock = TestClock::driving_tokio();
//! let sleeper = tokio::spawn(tokio::time::sleep(Duration::from_secs(30)));
//! clock.advance(Duration::from_secs(31)).await;
//! sleeper.await.unwrap(); // returns at once: tokio's time moved too
//! # });
//! ```

use std::fmt::Debug;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{FromRef, FromRequestParts};
use http::request::Parts;

/// Where the app gets the current time.
pub trait Clock: Send + Sync + Debug {
    fn now(&self) -> SystemTime;
}

/// The clock an app keeps in its state.
pub type SharedClock = Arc<dyn Clock>;

/// The real clock, for production.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock a test controls: starts frozen at 2026-01-01T00:00:00Z.
#[derive(Debug, Clone)]
pub struct TestClock {
    state: Arc<Mutex<State>>,
    drives_tokio: bool,
}

#[derive(Debug)]
struct State {
    at: SystemTime,
    /// `Some` while the clock runs: the instant `at` was read.
    running_since: Option<Instant>,
}

/// 2026-01-01T00:00:00Z, where a test clock starts.
pub const TEST_EPOCH: Duration = Duration::from_secs(1_767_225_600);

impl Default for TestClock {
    fn default() -> Self {
        Self::new()
    }
}

impl TestClock {
    /// A frozen clock at [`TEST_EPOCH`].
    pub fn new() -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                at: UNIX_EPOCH + TEST_EPOCH,
                running_since: None,
            })),
            drives_tokio: false,
        }
    }

    /// Like [`TestClock::new`], and [`TestClock::advance`] also advances tokio's time, which
    /// the test must have paused (`#[tokio::test(start_paused = true)]`).
    pub fn driving_tokio() -> Self {
        Self {
            drives_tokio: true,
            ..Self::new()
        }
    }

    /// This clock as the app's state holds it.
    pub fn shared(&self) -> SharedClock {
        Arc::new(self.clone())
    }

    /// Stops the clock at the current time.
    pub fn freeze(&self) {
        let mut state = self.lock();
        state.at = now_of(&state);
        state.running_since = None;
    }

    /// Lets the clock run in real time from where it is.
    pub fn resume(&self) {
        let mut state = self.lock();
        state.at = now_of(&state);
        state.running_since = Some(Instant::now());
    }

    /// Sets the current time.
    pub fn set(&self, at: SystemTime) {
        let mut state = self.lock();
        state.at = at;
        if state.running_since.is_some() {
            state.running_since = Some(Instant::now());
        }
    }

    /// Jumps forward by `by` (and tokio's paused time with it, see
    /// [`TestClock::driving_tokio`]).
    pub async fn advance(&self, by: Duration) {
        {
            let mut state = self.lock();
            state.at += by;
        }
        if self.drives_tokio {
            tokio::time::advance(by).await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn now_of(state: &State) -> SystemTime {
    state.at
        + state
            .running_since
            .map_or(Duration::ZERO, |since| since.elapsed())
}

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        now_of(&self.lock())
    }
}

/// The current time from the app state's [`SharedClock`], as a handler argument.
///
/// ```
/// use axum::{Router, routing::get, extract::FromRef};
/// use commerce_testkit::{TestApp, clock::{Now, SharedClock, TestClock, rfc3339}};
///
/// #[derive(Clone)]
/// struct AppState { clock: SharedClock }
/// impl FromRef<AppState> for SharedClock {
///     fn from_ref(state: &AppState) -> Self { state.clock.clone() }
/// }
///
/// async fn time(Now(now): Now) -> String { rfc3339(now) }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let clock = TestClock::new();
/// let app = TestApp::new(Router::new()
///     .route("/time", get(time))
///     .with_state(AppState { clock: clock.shared() }));
/// assert_eq!(app.get("/time").send().await.text(), "2026-01-01T00:00:00Z");
/// # });
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Now(pub SystemTime);

impl<S> FromRequestParts<S> for Now
where
    SharedClock: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(_parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Now(SharedClock::from_ref(state).now()))
    }
}

/// Whole seconds since the Unix epoch (negative before it).
pub fn unix_seconds(at: SystemTime) -> i64 {
    match at.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_secs() as i64,
        Err(before) => -(before.duration().as_secs() as i64),
    }
}

/// `at` as an RFC 3339 UTC timestamp with whole seconds (`2026-01-01T00:00:00Z`).
pub fn rfc3339(at: SystemTime) -> String {
    let seconds = unix_seconds(at);
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}
