//! One test's context: its name, the run's seed and the test's generator, its worker slot,
//! its own temp directory, and the replay line printed when it fails.
//!
//! ```
//! use commerce_testkit::TestCase;
//!
//! let case = TestCase::named("checkout::totals");
//! let replay = case.replay_line();
//! assert!(replay.starts_with("COMMERCE_SEED="));
//! assert!(replay.ends_with("cargo commerce test -E 'test(=checkout::totals)'"));
//! // Queue and topic names no other worker uses.
//! assert!(case.per_worker("orders").starts_with("orders_w"));
//! let dir = case.temp_dir();
//! assert!(dir.is_dir());
//! drop(case); // passed: the directory is removed
//! assert!(!dir.exists());
//! ```

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::seed::{SEED_VAR, Seed, TestRng};

/// One test's context. Dropped while the test panics, it prints the replay line and keeps
/// the test's temp directory (naming it); dropped after a pass, it removes the directory.
#[derive(Debug)]
pub struct TestCase {
    name: String,
    seed: Seed,
    worker: usize,
    run: String,
    temp_dir: Mutex<Option<PathBuf>>,
}

/// Worker slots taken in this process, for when nextest gives none (`cargo test` runs a
/// binary's tests on threads of one process).
static LOCAL_SLOTS: Mutex<Vec<bool>> = Mutex::new(Vec::new());
static NEXT_UNNAMED: AtomicUsize = AtomicUsize::new(0);

impl TestCase {
    /// The context of the test running on this thread (libtest names each test's thread
    /// after the test).
    ///
    /// # Panics
    /// When `COMMERCE_SEED` is set but is not a number.
    pub fn current() -> Self {
        let name = std::thread::current()
            .name()
            .filter(|name| *name != "main")
            .map_or_else(
                || format!("unnamed_{}", NEXT_UNNAMED.fetch_add(1, Ordering::Relaxed)),
                str::to_owned,
            );
        Self::named(&name)
    }

    /// The context of test `name`.
    ///
    /// # Panics
    /// When `COMMERCE_SEED` is set but is not a number.
    pub fn named(name: &str) -> Self {
        let seed = Seed::from_env().unwrap_or_else(|error| panic!("{error}"));
        Self {
            name: name.to_owned(),
            seed,
            worker: take_slot(),
            run: run_id(),
            temp_dir: Mutex::new(None),
        }
    }

    /// The test's name, as nextest's `test(=…)` filter takes it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The run's seed.
    pub fn seed(&self) -> Seed {
        self.seed
    }

    /// This test's generator: the same for the same seed and test name, whatever else runs.
    pub fn rng(&self) -> TestRng {
        TestRng::for_test(self.seed, &self.name)
    }

    /// The worker slot: no other test running at the same time has the same one.
    pub fn worker(&self) -> usize {
        self.worker
    }

    /// The one command that replays this test with the same seed.
    pub fn replay_line(&self) -> String {
        format!(
            "{SEED_VAR}={} cargo commerce test -E 'test(={})'",
            self.seed.0, self.name
        )
    }

    /// `base` suffixed with the worker and run, for queue names, topics, buckets and users
    /// that parallel tests must not share.
    pub fn per_worker(&self, base: &str) -> String {
        format!("{base}_w{}_{}", self.worker, self.run)
    }

    /// This test's own directory, `target/commerce/tmp/<run>/w<worker>/<test>`, created on
    /// first use; removed when the test passes, kept (and named) when it fails.
    ///
    /// # Panics
    /// When the directory cannot be created.
    pub fn temp_dir(&self) -> PathBuf {
        let mut slot = self
            .temp_dir
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(dir) = slot.as_ref() {
            return dir.clone();
        }
        let dir = target_dir()
            .join("commerce/tmp")
            .join(&self.run)
            .join(format!("w{}", self.worker))
            .join(self.name.replace("::", "__"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|error| panic!("cannot create {}: {error}", dir.display()));
        *slot = Some(dir.clone());
        dir
    }
}

impl Drop for TestCase {
    fn drop(&mut self) {
        let dir = self
            .temp_dir
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if std::thread::panicking() {
            let kept = dir.map_or_else(String::new, |dir| {
                format!("\n  temp dir kept: {}", dir.display())
            });
            report_failure(&format!("  replay: {}{kept}", self.replay_line()));
        } else if let Some(dir) = dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        release_slot(self.worker);
    }
}

/// What a failing test prints under its panic message: test harnesses show a failing test's
/// stderr, and the kit has no other channel to the person reading it.
#[allow(clippy::print_stderr)]
pub(crate) fn report_failure(text: &str) {
    eprintln!("{text}");
}

/// nextest's slot of this test among the running ones, else a slot free in this process.
fn take_slot() -> usize {
    if let Some(slot) = std::env::var("NEXTEST_TEST_GLOBAL_SLOT")
        .ok()
        .and_then(|slot| slot.parse().ok())
    {
        return slot;
    }
    let mut slots = LOCAL_SLOTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let free = slots.iter().position(|taken| !taken).unwrap_or(slots.len());
    if free == slots.len() {
        slots.push(true);
    } else {
        slots[free] = true;
    }
    free
}

fn release_slot(slot: usize) {
    if std::env::var_os("NEXTEST_TEST_GLOBAL_SLOT").is_some() {
        return;
    }
    let mut slots = LOCAL_SLOTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(taken) = slots.get_mut(slot) {
        *taken = false;
    }
}

/// The run: what `cargo commerce test` names it, else the test runner's process (the parent
/// of every test process of one `cargo nextest run`).
pub(crate) fn run_id() -> String {
    std::env::var("COMMERCE_RUN_ID")
        .ok()
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| format!("p{}", std::os::unix::process::parent_id()))
}

/// Cargo's target directory: `CARGO_TARGET_DIR`, else the directory marked with
/// `CACHEDIR.TAG` above the test binary, else the system temp directory.
pub(crate) fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.ancestors()
                .find(|dir| dir.join("CACHEDIR.TAG").is_file())
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(std::env::temp_dir)
}
