//! Durations as written in `commerce.toml`: `"60s"`, `"2m"`, `"500ms"`, `"1h"`, `"1m30s"`.
//!
//! A deliberately small grammar (whole numbers, units `ms`, `s`, `m`, `h`, parts optionally
//! separated by spaces) so every budget in a config reads the same way.

use std::time::Duration;

/// Why a duration string was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("empty duration; write a number and a unit, e.g. `60s`")]
    Empty,
    #[error("`{text}` has no unit; write e.g. `{text}s` (units: ms, s, m, h)")]
    MissingUnit { text: String },
    #[error("unknown unit `{unit}` in `{text}`; use ms, s, m or h")]
    UnknownUnit { text: String, unit: String },
    #[error("expected a number at `{rest}` in `{text}`")]
    MissingNumber { text: String, rest: String },
    #[error(
        "fractions are not supported in `{text}`; use a smaller unit, e.g. `1500ms` for `1.5s`"
    )]
    Fraction { text: String },
    #[error("`{text}` is too long a duration")]
    Overflow { text: String },
}

/// Parses a duration such as `"60s"` or `"1m 30s"`.
///
/// # Errors
/// When the text is empty, a number lacks its unit, a unit is unknown, a number is fractional or
/// negative, or the total overflows.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(DurationError::Empty);
    }
    let mut total = Duration::ZERO;
    while !rest.is_empty() {
        let (part, after) = parse_part(text, rest)?;
        total = total.checked_add(part).ok_or_else(|| overflow(text))?;
        rest = after.trim_start();
    }
    Ok(total)
}

/// Parses one `<number><unit>` at the start of `rest`; returns it and what follows.
fn parse_part<'a>(text: &str, rest: &'a str) -> Result<(Duration, &'a str), DurationError> {
    let (digits, after_digits) = split_at_first(rest, |c| !c.is_ascii_digit());
    if digits.is_empty() {
        return Err(DurationError::MissingNumber {
            text: text.to_owned(),
            rest: rest.to_owned(),
        });
    }
    if after_digits.starts_with('.') {
        return Err(DurationError::Fraction {
            text: text.to_owned(),
        });
    }
    let (unit, after_unit) = split_at_first(after_digits.trim_start(), |c| {
        c.is_ascii_digit() || c.is_whitespace()
    });
    if unit.is_empty() {
        return Err(DurationError::MissingUnit {
            text: text.trim().to_owned(),
        });
    }
    let amount: u64 = digits.parse().map_err(|_| overflow(text))?;
    let part = scale(amount, unit)
        .ok_or_else(|| DurationError::UnknownUnit {
            text: text.to_owned(),
            unit: unit.to_owned(),
        })?
        .ok_or_else(|| overflow(text))?;
    Ok((part, after_unit))
}

/// `amount` of `unit`: `None` for an unknown unit, `Some(None)` when it overflows.
fn scale(amount: u64, unit: &str) -> Option<Option<Duration>> {
    let seconds_per_unit = match unit {
        "ms" => return Some(Some(Duration::from_millis(amount))),
        "s" => 1,
        "m" => 60,
        "h" => 60 * 60,
        _ => return None,
    };
    Some(
        amount
            .checked_mul(seconds_per_unit)
            .map(Duration::from_secs),
    )
}

fn split_at_first(text: &str, is_boundary: impl Fn(char) -> bool) -> (&str, &str) {
    text.split_at(text.find(is_boundary).unwrap_or(text.len()))
}

fn overflow(text: &str) -> DurationError {
    DurationError::Overflow {
        text: text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_unit_and_compound_durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(
            parse_duration(" 1m 30s 5ms "),
            Ok(Duration::from_millis(90_005))
        );
        assert_eq!(parse_duration("10 s"), Ok(Duration::from_secs(10)));
    }

    #[test]
    fn rejects_malformed_durations_with_a_reason() {
        let error = |text: &str| parse_duration(text).unwrap_err().to_string();
        assert_eq!(
            error(""),
            "empty duration; write a number and a unit, e.g. `60s`"
        );
        assert_eq!(
            error("60"),
            "`60` has no unit; write e.g. `60s` (units: ms, s, m, h)"
        );
        assert_eq!(error("60x"), "unknown unit `x` in `60x`; use ms, s, m or h");
        assert_eq!(
            error("5sec"),
            "unknown unit `sec` in `5sec`; use ms, s, m or h"
        );
        assert_eq!(error("s"), "expected a number at `s` in `s`");
        assert_eq!(error("-5s"), "expected a number at `-5s` in `-5s`");
        assert_eq!(
            error("1.5s"),
            "fractions are not supported in `1.5s`; use a smaller unit, e.g. `1500ms` for `1.5s`"
        );
        assert_eq!(
            error("99999999999999999999s"),
            "`99999999999999999999s` is too long a duration"
        );
        assert_eq!(
            error("18446744073709551615h"),
            "`18446744073709551615h` is too long a duration"
        );
    }
}
