//! Deprecation, sunset dates (`x-sunset`) and stability levels (`x-stability-level`), read the
//! way oasdiff reads them.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value as Json;

use crate::model::{Operation, extension};

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    year: i64,
    month: u32,
    day: u32,
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Date {
    /// `YYYY-MM-DD`, optionally followed by an RFC 3339 time (`T12:00:00Z`).
    fn parse(text: &str) -> Option<Self> {
        let date = text.get(..10)?;
        let rest = &text[10..];
        if !(rest.is_empty() || rest.starts_with('T')) {
            return None;
        }
        let mut parts = date.split('-');
        let year: i64 = parts.next().filter(|part| part.len() == 4)?.parse().ok()?;
        let month: u32 = parts.next().filter(|part| part.len() == 2)?.parse().ok()?;
        let day: u32 = parts.next().filter(|part| part.len() == 2)?.parse().ok()?;
        ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(Self { year, month, day })
    }
}

/// Today's date in UTC.
pub fn today() -> Date {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    civil_from_days(i64::try_from(seconds / 86_400).unwrap_or(0))
}

/// Howard Hinnant's days-to-civil algorithm: the proleptic Gregorian date `days` after
/// 1970-01-01.
fn civil_from_days(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    Date {
        year,
        month: u32::try_from(month).unwrap_or(1),
        day: u32::try_from(day).unwrap_or(1),
    }
}

/// An element's `x-sunset`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sunset {
    Absent,
    Date(Date),
    /// Present but not a date, as written.
    Invalid(String),
}

pub fn sunset(extensions: &[(String, Json)]) -> Sunset {
    match extension(extensions, "x-sunset") {
        None => Sunset::Absent,
        Some(Json::String(text)) => {
            Date::parse(text).map_or_else(|| Sunset::Invalid(text.clone()), Sunset::Date)
        }
        Some(other) => Sunset::Invalid(other.to_string()),
    }
}

/// `x-stability-level`, ordered from least to most stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stability {
    Draft,
    Alpha,
    Beta,
    Stable,
}

/// The stability an element declares: `Ok(None)` when it declares none, `Err` with the text
/// when it is not one of `draft`, `alpha`, `beta`, `stable`.
pub fn stability(extensions: &[(String, Json)]) -> Result<Option<Stability>, String> {
    match extension(extensions, "x-stability-level") {
        None => Ok(None),
        Some(Json::String(text)) => match text.as_str() {
            "draft" => Ok(Some(Stability::Draft)),
            "alpha" => Ok(Some(Stability::Alpha)),
            "beta" => Ok(Some(Stability::Beta)),
            "stable" => Ok(Some(Stability::Stable)),
            _ => Err(text.clone()),
        },
        Some(other) => Err(other.to_string()),
    }
}

/// A stability change oasdiff reports: the levels differ, an undeclared one counting as
/// `stable`, and the base was at least `beta` (its default `--stability-level`; changes of
/// `draft` and `alpha` elements promise nothing). `(from, to)`, or `None`.
pub fn stability_change(
    base: Option<Stability>,
    head: Option<Stability>,
) -> Option<(Stability, Stability)> {
    let (from, to) = (
        base.unwrap_or(Stability::Stable),
        head.unwrap_or(Stability::Stable),
    );
    (from != to && from >= Stability::Beta).then_some((from, to))
}

/// Whether an operation is `draft` or `alpha`: such operations promise nothing yet.
pub fn is_unstable(operation: &Operation) -> bool {
    is_unstable_extensions(&operation.extensions)
}

/// Whether extensions declare `x-stability-level: draft` or `alpha`.
pub fn is_unstable_extensions(extensions: &[(String, Json)]) -> bool {
    matches!(
        stability(extensions),
        Ok(Some(Stability::Draft | Stability::Alpha))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_and_order() {
        let date = Date::parse("2025-03-01").expect("a date");
        assert_eq!(date.to_string(), "2025-03-01");
        assert!(Date::parse("2025-03-01T10:00:00Z").is_some());
        assert!(Date::parse("invalid-date").is_none());
        assert!(Date::parse("2025-13-01").is_none());
        assert!(Date::parse("9999-08-10").expect("a date") > today());
        assert_eq!(civil_from_days(0).to_string(), "1970-01-01");
        assert_eq!(civil_from_days(19_723).to_string(), "2024-01-01");
    }

    #[test]
    fn stability_levels() {
        let level = |text: &str| {
            stability(&[(
                "x-stability-level".to_owned(),
                Json::String(text.to_owned()),
            )])
        };
        assert_eq!(level("beta"), Ok(Some(Stability::Beta)));
        assert_eq!(level("invalid"), Err("invalid".to_owned()));
        assert_eq!(stability(&[]), Ok(None));
        assert!(Stability::Draft < Stability::Stable);
    }
}
