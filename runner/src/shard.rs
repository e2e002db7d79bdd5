//! `--shard K/N`: one of N slices of the selected tests, via nextest's `--partition count:K/N`.

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
    fn bad_shards_are_rejected_with_the_expected_form() {
        for input in ["0/2", "3/2", "1", "a/b", "1/0", ""] {
            let error = input.parse::<Shard>().expect_err(input);
            assert!(error.to_string().contains("write K/N"), "{error}");
        }
    }
}
