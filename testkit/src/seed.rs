//! The run's seed (`COMMERCE_SEED`, chosen and recorded by `cargo commerce test`) and the
//! per-test random generator derived from it and the test's name, so a test's values do not
//! depend on which other tests ran.
//!
//! ```
//! use commerce_testkit::seed::{Seed, TestRng};
//!
//! let seed = Seed::parse("42").unwrap();
//! let mut a = TestRng::for_test(seed, "cart::discount_applies");
//! let mut b = TestRng::for_test(seed, "cart::discount_applies");
//! assert_eq!(a.next_u64(), b.next_u64());
//! assert_ne!(
//!     TestRng::for_test(seed, "cart::other").next_u64(),
//!     TestRng::for_test(seed, "cart::discount_applies").next_u64()
//! );
//! assert!(Seed::parse("forty-two").unwrap_err().to_string().contains("not a number"));
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

/// The environment variable holding the run's seed.
pub const SEED_VAR: &str = "COMMERCE_SEED";

/// A run's seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seed(pub u64);

/// `COMMERCE_SEED` is set but is not a seed.
#[derive(Debug, thiserror::Error)]
#[error(
    "COMMERCE_SEED is `{0}`, which is not a number: set it to an unsigned 64-bit integer \
     (the seed a report's replay line names), or unset it for a random seed"
)]
pub struct SeedError(pub String);

impl Seed {
    /// Parses a seed as `COMMERCE_SEED` holds it.
    ///
    /// # Errors
    /// When `text` is not an unsigned 64-bit integer.
    pub fn parse(text: &str) -> Result<Self, SeedError> {
        text.trim()
            .parse()
            .map(Seed)
            .map_err(|_| SeedError(text.to_owned()))
    }

    /// `COMMERCE_SEED`, or a seed from the clock when it is unset, chosen once per process
    /// (the replay line names it).
    ///
    /// # Errors
    /// When the variable is set but not a number.
    pub fn from_env() -> Result<Self, SeedError> {
        match std::env::var(SEED_VAR) {
            Ok(text) if !text.trim().is_empty() => Self::parse(&text),
            _ => {
                static RANDOM: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
                Ok(Seed(*RANDOM.get_or_init(|| {
                    SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map_or(0, |elapsed| elapsed.as_nanos() as u64)
                })))
            }
        }
    }
}

/// FNV-1a: a stable hash of a name (std's hasher may change between Rust releases, and a
/// replay must give the same values on any toolchain).
pub(crate) fn stable_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A small, fast, seedable generator (xoshiro256**): the same seed and test name give the
/// same values on every machine.
#[derive(Debug, Clone)]
pub struct TestRng {
    state: [u64; 4],
}

impl TestRng {
    /// The generator of test `name` in a run seeded with `seed`.
    pub fn for_test(seed: Seed, name: &str) -> Self {
        Self::from_u64(seed.0 ^ stable_hash(name.as_bytes()))
    }

    /// A generator from one number (expanded with SplitMix64).
    pub fn from_u64(mut x: u64) -> Self {
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Self {
            state: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A number in `range` (`low..high`, high exclusive; `low` when empty).
    pub fn range(&mut self, range: std::ops::Range<u64>) -> u64 {
        let span = range.end.saturating_sub(range.start);
        if span == 0 {
            return range.start;
        }
        range.start + self.next_u64() % span
    }

    /// One element of `items`.
    ///
    /// # Panics
    /// When `items` is empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        assert!(!items.is_empty(), "pick from an empty slice");
        &items[self.range(0..items.len() as u64) as usize]
    }

    /// `true` with probability `numerator / denominator`.
    pub fn chance(&mut self, numerator: u64, denominator: u64) -> bool {
        self.range(0..denominator) < numerator
    }
}
