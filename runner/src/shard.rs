//! `--shard K/N`: one of N slices of the selected tests, via nextest's `--partition count:K/N`,
//! or balanced by the durations of an earlier report so every shard takes about as long.

use std::fmt;
use std::str::FromStr;

/// Shard `index` (1-based) of `total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    pub index: u32,
    pub total: u32,
}

impl Shard {
    /// nextest's `--partition` value.
    pub fn partition(self) -> String {
        format!("count:{}/{}", self.index, self.total)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.total)
    }
}

/// nextest's `count:K/N` partition of one binary's tests (in name order, `#[ignore]`d ones
/// left out): the K-th test and every N-th after it. The same tests as nextest's shard, so
/// the cargo test fallback splits a run the same way.
pub fn count_slice<T: Clone>(tests: &[T], shard: Shard) -> Vec<T> {
    tests
        .iter()
        .skip(shard.index.saturating_sub(1) as usize)
        .step_by(shard.total.max(1) as usize)
        .cloned()
        .collect()
}

/// Which shard (0-based) each test goes to, so the shards' summed durations are as even as
/// the longest-processing-time-first rule makes them (within 4/3 of the best split). Tests
/// without a known duration count as the median of the known ones. Every shard computes the
/// same split from the same inputs, so shards need not talk to each other.
pub fn balance(tests: &[(&str, Option<f64>)], shards: u32) -> Vec<u32> {
    let mut known: Vec<f64> = tests.iter().filter_map(|(_, duration)| *duration).collect();
    known.sort_by(f64::total_cmp);
    let fallback = known.get(known.len() / 2).copied().unwrap_or(1.0);
    let mut order: Vec<(usize, f64)> = tests
        .iter()
        .enumerate()
        .map(|(index, (_, duration))| (index, duration.unwrap_or(fallback)))
        .collect();
    // Longest first; equal durations in id order, so the split does not depend on input order.
    order.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then_with(|| tests[a.0].0.cmp(tests[b.0].0))
    });
    let mut loads = vec![0.0_f64; shards.max(1) as usize];
    let mut assignment = vec![0; tests.len()];
    for (index, duration) in order {
        let (lightest, _) = loads
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(b.1).then_with(|| a.0.cmp(&b.0)))
            .unwrap_or((0, &0.0));
        loads[lightest] += duration;
        assignment[index] = u32::try_from(lightest).unwrap_or(0);
    }
    assignment
}

/// Why a `--shard` value is not `K/N` with `1 <= K <= N`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a shard; write K/N with 1 <= K <= N, e.g. `--shard 2/4`")]
pub struct ShardParseError {
    input: String,
}

impl FromStr for Shard {
    type Err = ShardParseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let error = || ShardParseError {
            input: input.to_owned(),
        };
        let (index, total) = input.split_once('/').ok_or_else(error)?;
        let index: u32 = index.trim().parse().map_err(|_| error())?;
        let total: u32 = total.trim().parse().map_err(|_| error())?;
        if index == 0 || index > total {
            return Err(error());
        }
        Ok(Self { index, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_become_partitions() {
        let shard: Shard = "2/4".parse().expect("valid");
        assert_eq!(shard, Shard { index: 2, total: 4 });
        assert_eq!(shard.partition(), "count:2/4");
        assert_eq!(shard.to_string(), "2/4");
    }

    #[test]
    fn count_slices_take_every_nth_test_like_nextest() {
        let tests = ["a", "b", "c", "d", "e"];
        assert_eq!(
            count_slice(&tests, Shard { index: 1, total: 2 }),
            ["a", "c", "e"]
        );
        assert_eq!(
            count_slice(&tests, Shard { index: 2, total: 2 }),
            ["b", "d"]
        );
        assert_eq!(count_slice(&tests, Shard { index: 3, total: 3 }), ["c"]);
        assert_eq!(
            count_slice(&tests[..1], Shard { index: 2, total: 2 }),
            [""; 0]
        );
    }

    #[test]
    fn balanced_shards_even_out_durations_and_ignore_input_order() {
        let tests: Vec<(String, Option<f64>)> = [900.0, 500.0, 400.0, 300.0, 300.0, 200.0, 100.0]
            .iter()
            .enumerate()
            .map(|(index, duration)| (format!("t{index}"), Some(*duration)))
            .chain([("new".to_owned(), None)])
            .collect();
        let view: Vec<(&str, Option<f64>)> = tests
            .iter()
            .map(|(id, duration)| (id.as_str(), *duration))
            .collect();
        let assignment = balance(&view, 3);
        let mut loads = [0.0; 3];
        for ((_, duration), shard) in view.iter().zip(&assignment) {
            // The new test counts as the median, 300 ms.
            loads[*shard as usize] += duration.unwrap_or(300.0);
        }
        let spread = loads.iter().copied().fold(f64::MIN, f64::max)
            - loads.iter().copied().fold(f64::MAX, f64::min);
        assert!(spread <= 100.0, "{loads:?}");
        let mut reversed = view.clone();
        reversed.reverse();
        let mut again = balance(&reversed, 3);
        again.reverse();
        assert_eq!(again, assignment);
    }

    #[test]
    fn bad_shards_are_rejected_with_the_expected_form() {
        for input in ["0/2", "3/2", "1", "a/b", "1/0", ""] {
            let error = input.parse::<Shard>().expect_err(input);
            assert!(error.to_string().contains("write K/N"), "{error}");
        }
    }
}
