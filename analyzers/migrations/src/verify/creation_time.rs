//! Literals PostgreSQL folded from the clock when an object was created.
//!
//! `'now'::timestamp`, `timestamp 'now'`, `'today'::date`, `DEFAULT 'now'` are constants to the
//! parser: the catalog keeps the value they had at `CREATE` time, and `pg_get_viewdef`,
//! `pg_get_expr` and friends print it as a literal, `'2026-12-07 18:54:18.901671'::timestamp
//! without time zone` (timestamps with time zone carry the session's offset, `…+00`). A round
//! trip that drops and recreates such an object gets a new literal. So, when two definitions
//! differ, every timestamp or date literal that falls inside the run's own time window is
//! written back as the keyword that made it (`'now'`, `'today'`, `'tomorrow'`, `'yesterday'`)
//! and the definitions compared again: any other difference is still one.

use std::borrow::Cow;
use std::time::Instant;

use postgres::Client;

const SECONDS_PER_DAY: f64 = 86_400.0;

/// Slack on each side of the window: `timestamp(0)` rounds to the second, and the server's
/// clock is read once, a moment after the run started.
const TOLERANCE_SECONDS: f64 = 1.0;

/// When the run started by the server's clock, to tell its creation-time literals from any
/// other.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RunClock {
    /// Seconds since the Unix epoch.
    utc_start: f64,
    /// The session's wall-clock time as seconds since 1970-01-01 00:00, which is how a
    /// timestamp without time zone holds it.
    local_start: f64,
    started: Instant,
}

impl RunClock {
    /// Reads the server's clock, in UTC and in the session's time zone.
    pub fn read(client: &mut Client) -> Result<Self, postgres::Error> {
        let started = Instant::now();
        let row = client.query_one(
            "SELECT extract(epoch FROM clock_timestamp())::float8, \
                    extract(epoch FROM clock_timestamp()::timestamp)::float8",
            &[],
        )?;
        Ok(Self {
            utc_start: row.try_get(0)?,
            local_start: row.try_get(1)?,
            started,
        })
    }

    /// From the start of the run until now.
    pub fn window(&self) -> CreationWindow {
        let elapsed = self.started.elapsed().as_secs_f64();
        let span = |start: f64| {
            (
                start - TOLERANCE_SECONDS,
                start + elapsed + TOLERANCE_SECONDS,
            )
        };
        CreationWindow {
            utc: span(self.utc_start),
            local: span(self.local_start),
        }
    }
}

/// The instants a creation-time literal of this run can hold, with the tolerance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CreationWindow {
    utc: (f64, f64),
    local: (f64, f64),
}

impl CreationWindow {
    /// `text` with every creation-time literal written as the keyword that made it.
    pub fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = String::new();
        let mut copied = 0;
        let mut rest_start = 0;
        while let Some(open) = text[rest_start..].find('\'').map(|at| rest_start + at) {
            let Some(close) = closing_quote(text, open + 1) else {
                break;
            };
            rest_start = close + 1;
            let Some(kind) = literal_kind(&text[close + 1..]) else {
                continue;
            };
            if let Some(keyword) = self.keyword(&text[open + 1..close], kind) {
                out.push_str(&text[copied..=open]);
                out.push_str(keyword);
                copied = close;
            }
        }
        if copied == 0 {
            Cow::Borrowed(text)
        } else {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
    }

    /// The keyword a literal of `kind` holding `value` was made by, if it is one of this run.
    fn keyword(&self, value: &str, kind: LiteralKind) -> Option<&'static str> {
        let within = |(low, high): (f64, f64), seconds: f64| low <= seconds && seconds <= high;
        let day_of = |seconds: f64| (seconds / SECONDS_PER_DAY).floor() as i64;
        let relative_day = |day: i64| {
            let (first, last) = (day_of(self.local.0), day_of(self.local.1));
            if (first..=last).contains(&day) {
                Some("today")
            } else if day == last + 1 {
                Some("tomorrow")
            } else if day == first - 1 {
                Some("yesterday")
            } else {
                None
            }
        };
        if kind == LiteralKind::Date {
            return relative_day(parse_date(value)?);
        }
        let stamp = parse_timestamp(value)?;
        let instant_now = match (kind, stamp.offset) {
            (LiteralKind::TimestampTz, Some(offset)) => within(self.utc, stamp.local - offset),
            (LiteralKind::Timestamp, None) => within(self.local, stamp.local),
            _ => return None,
        };
        if instant_now {
            return Some("now");
        }
        // 'today', 'tomorrow' and 'yesterday' are midnights of the session's time zone.
        if stamp.local.rem_euclid(SECONDS_PER_DAY) == 0.0 {
            return relative_day(day_of(stamp.local));
        }
        None
    }
}

/// The byte index of the quote closing a literal whose text starts at `from` (`''` is a
/// quote inside it).
fn closing_quote(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = from;
    while at < bytes.len() {
        if bytes[at] == b'\'' {
            if bytes.get(at + 1) == Some(&b'\'') {
                at += 2;
                continue;
            }
            return Some(at);
        }
        at += 1;
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LiteralKind {
    Date,
    Timestamp,
    TimestampTz,
}

/// The type a literal is cast to, from the text after its closing quote, as the catalog
/// functions print it: `::date`, `::timestamp(0) without time zone`, `::timestamp with time
/// zone`.
fn literal_kind(after: &str) -> Option<LiteralKind> {
    let cast = after.strip_prefix("::")?;
    if cast.starts_with("date") {
        return Some(LiteralKind::Date);
    }
    let rest = cast.strip_prefix("timestamp")?;
    let rest = match rest.strip_prefix('(') {
        Some(precision) => &precision[precision.find(')')? + 1..],
        None => rest,
    };
    if rest.starts_with(" with time zone") {
        Some(LiteralKind::TimestampTz)
    } else if rest.starts_with(" without time zone") {
        Some(LiteralKind::Timestamp)
    } else {
        None
    }
}

/// A timestamp as printed in the ISO date style: its wall-clock seconds since 1970-01-01, and
/// the UTC offset in seconds when it has one.
struct Stamp {
    local: f64,
    offset: Option<f64>,
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff][±HH[:MM[:SS]]]`; `None` for anything else (`infinity`, BC
/// dates, another date style), which then compares as written.
fn parse_timestamp(value: &str) -> Option<Stamp> {
    let (date, time) = value.split_once(' ')?;
    let day = parse_date(date)?;
    let split = time.find(['+', '-']).unwrap_or(time.len());
    let (clock, offset) = time.split_at(split);
    let mut parts = clock.split(':');
    let hours: u32 = parts.next()?.parse().ok()?;
    let minutes: u32 = parts.next()?.parse().ok()?;
    let seconds: f64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || hours > 24 || minutes > 59 || !(0.0..61.0).contains(&seconds) {
        return None;
    }
    let offset = match offset.chars().next() {
        None => None,
        Some(sign) => {
            let mut offset_seconds = 0.0;
            for (part, unit) in offset[1..].split(':').zip([3600.0, 60.0, 1.0]) {
                offset_seconds += part.parse::<u32>().ok()? as f64 * unit;
            }
            Some(if sign == '-' {
                -offset_seconds
            } else {
                offset_seconds
            })
        }
    };
    Some(Stamp {
        local: day as f64 * SECONDS_PER_DAY
            + f64::from(hours) * 3600.0
            + f64::from(minutes) * 60.0
            + seconds,
        offset,
    })
}

/// `YYYY-MM-DD` as days since 1970-01-01.
fn parse_date(value: &str) -> Option<i64> {
    let mut parts = value.split('-');
    let year: i64 = parts.next().filter(|year| year.len() >= 4)?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
impl CreationWindow {
    /// Whether `expected` and `actual` are the same but for creation-time literals.
    fn same(&self, expected: &str, actual: &str) -> bool {
        self.mask(expected) == self.mask(actual)
    }

    /// A window from `local_start` (`YYYY-MM-DD HH:MM:SS`, the session's wall clock) lasting
    /// `seconds`, in a session `offset_hours` east of UTC.
    pub(crate) fn at(local_start: &str, seconds: f64, offset_hours: f64) -> Self {
        let local = parse_timestamp(local_start).expect("a timestamp").local;
        let utc = local - offset_hours * 3600.0;
        let span = |start: f64| {
            (
                start - TOLERANCE_SECONDS,
                start + seconds + TOLERANCE_SECONDS,
            )
        };
        Self {
            utc: span(utc),
            local: span(local),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run from 18:54:18 to 18:55:18 on 2026-12-07, in a session at UTC-5.
    fn window() -> CreationWindow {
        CreationWindow::at("2026-12-07 18:54:18", 60.0, -5.0)
    }

    #[test]
    fn dates_are_days_since_the_epoch() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2000-03-01"), Some(11_017));
        assert_eq!(parse_date("2026-12-07"), Some(20_794));
        assert_eq!(parse_date("1969-12-31"), Some(-1));
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date("infinity"), None);
    }

    /// What `pg_get_viewdef` printed for a view of `'now'::timestamp`, `timestamp 'now'`,
    /// `'now'::timestamptz`, `'today'::date`, `'tomorrow'::timestamp`,
    /// `'yesterday'::timestamptz` and `'now'::timestamp(0)`, created in the window.
    #[test]
    fn literals_of_the_run_are_the_keywords_that_made_them() {
        let printed = "SELECT '2026-12-07 18:54:19.901671'::timestamp without time zone AS x, \
             '2026-12-07 23:54:19.901671+00'::timestamp with time zone AS z, \
             '2026-12-07 18:54:20.1-05'::timestamp with time zone AS z5, \
             '2026-12-07'::date AS td, '2026-12-08 00:00:00'::timestamp without time zone AS tm, \
             '2026-12-06 00:00:00-05'::timestamp with time zone AS yz, \
             '2026-12-07 18:55:18.2'::timestamp(0) without time zone AS r, \
             'it''s'::text AS s, 'infinity'::timestamp without time zone AS i, \
             '1970-01-01 00:00:00'::timestamp without time zone AS e, \
             '2026-12-07 18:54:19'::text AS t FROM t";
        assert_eq!(
            window().mask(printed),
            "SELECT 'now'::timestamp without time zone AS x, \
             'now'::timestamp with time zone AS z, \
             'now'::timestamp with time zone AS z5, \
             'today'::date AS td, 'tomorrow'::timestamp without time zone AS tm, \
             'yesterday'::timestamp with time zone AS yz, \
             'now'::timestamp(0) without time zone AS r, \
             'it''s'::text AS s, 'infinity'::timestamp without time zone AS i, \
             '1970-01-01 00:00:00'::timestamp without time zone AS e, \
             '2026-12-07 18:54:19'::text AS t FROM t"
        );
    }

    #[test]
    fn only_creation_time_literals_are_the_same() {
        let window = window();
        let view = |at: &str| {
            format!(
                "SELECT t.a FROM t WHERE (t.at < ('{at}'::timestamp without time zone - '1 day'::interval))"
            )
        };
        assert!(window.same(
            &view("2026-12-07 18:54:18.5"),
            &view("2026-12-07 18:55:01.25")
        ));
        // A literal from before the run was written by hand.
        assert!(!window.same(&view("2026-12-07 18:54:18.5"), &view("2026-12-01 10:00:00")));
        assert!(!window.same(&view("2026-12-07 18:54:18.5"), &view("2026-12-07 18:57:00")));
        // Another difference next to a creation-time literal is still one.
        assert!(!window.same(
            &view("2026-12-07 18:54:18.5"),
            &view("2026-12-07 18:55:01.25").replace("'1 day'", "'2 days'")
        ));
        // The offset says which instant a timestamp with time zone is: 18:54 UTC is not in
        // a run at 18:54 UTC-5.
        assert!(!window.same(
            "'2026-12-07 18:54:20-05'::timestamp with time zone",
            "'2026-12-07 18:54:20+00'::timestamp with time zone"
        ));
    }
}
