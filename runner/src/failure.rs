//! What a failed test says about itself: the panic message, where it panicked, the backtrace,
//! and a rough class, read from the output libtest and nextest capture.

use serde::{Deserialize, Serialize};

/// A source location, as Rust's panic message prints it (relative to the workspace root).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub path: String,
    pub line: u32,
    pub column: u32,
}

/// What kind of failure a test had.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Classification {
    /// An `assert!`/`assert_eq!`/`assert_ne!` did not hold.
    Assertion,
    /// Any other panic (`unwrap` on `None`/`Err`, `panic!`, indexing out of bounds, ...).
    Panic,
    /// Killed for running past the slow timeout.
    Timeout,
    /// Killed by a signal or exited without a panic (abort, stack overflow, `process::exit`).
    Crash,
    /// A doctest that does not compile.
    CompileError,
}

impl Classification {
    /// As `report.json` spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Classification::Assertion => "assertion",
            Classification::Panic => "panic",
            Classification::Timeout => "timeout",
            Classification::Crash => "crash",
            Classification::CompileError => "compile-error",
        }
    }
}

/// The parts of a panic report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Panic {
    pub message: String,
    pub location: Option<Location>,
    pub backtrace: Option<String>,
}

/// Reads the first panic in `output`:
///
/// ```text
/// thread 'tests::total' (26834) panicked at src/lib.rs:36:9:
/// assertion `left == right` failed: discount was not applied
///   left: 6
///  right: 5
/// stack backtrace:
///    0: ...
/// note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.
/// ```
pub fn parse_panic(output: &str) -> Option<Panic> {
    let mut lines = output.lines().skip_while(|line| !is_panic_header(line));
    let header = lines.next()?;
    let location = header
        .split_once(" panicked at ")
        .and_then(|(_, rest)| parse_location(rest.trim_end_matches(':')));
    let mut message = Vec::new();
    let mut backtrace: Option<Vec<&str>> = None;
    for line in lines {
        if let Some(trace) = backtrace.as_mut() {
            if is_backtrace_line(line) {
                trace.push(line);
                continue;
            }
            break;
        }
        if line.starts_with("stack backtrace:") {
            backtrace = Some(vec![line]);
        } else if line.starts_with("note: run with `RUST_BACKTRACE")
            || is_panic_header(line)
            || line.starts_with("test result:")
        {
            break;
        } else {
            message.push(line);
        }
    }
    while message.last().is_some_and(|line| line.trim().is_empty()) {
        message.pop();
    }
    Some(Panic {
        message: message.join("\n"),
        location,
        backtrace: backtrace.map(|trace| trace.join("\n")),
    })
}

fn is_panic_header(line: &str) -> bool {
    line.starts_with("thread '") && line.contains(" panicked at ")
}

fn is_backtrace_line(line: &str) -> bool {
    line.starts_with("  ") || line.starts_with("note: Some details are omitted")
}

/// `src/lib.rs:36:9` (paths may contain `:`, so it is split from the right).
fn parse_location(text: &str) -> Option<Location> {
    let mut parts = text.trim().rsplitn(3, ':');
    let column = parts.next()?.parse().ok()?;
    let line = parts.next()?.parse().ok()?;
    let path = parts.next()?.to_owned();
    Some(Location { path, line, column })
}

/// The class of a failure from nextest's failure type and the panic, if any.
pub fn classify(failure_type: &str, panic: Option<&Panic>) -> Classification {
    if failure_type.contains("timeout") {
        Classification::Timeout
    } else if let Some(panic) = panic {
        if panic.message.starts_with("assertion") {
            Classification::Assertion
        } else {
            Classification::Panic
        }
    } else {
        Classification::Crash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "\
running 1 test
thread 'tests::discount_applies' (26834) panicked at src/lib.rs:36:9:
assertion `left == right` failed: discount was not applied
  left: 6
 right: 5
stack backtrace:
   0: __rustc::rust_begin_unwind
             at /rustc/library/std/src/panicking.rs:689:5
   4: tiny::tests::discount_applies
             at ./src/lib.rs:36:9
note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.
test tests::discount_applies ... FAILED
";

    #[test]
    fn reads_message_location_and_backtrace() {
        let panic = parse_panic(OUTPUT).expect("a panic");
        assert_eq!(
            panic.message,
            "assertion `left == right` failed: discount was not applied\n  left: 6\n right: 5"
        );
        assert_eq!(
            panic.location,
            Some(Location {
                path: "src/lib.rs".into(),
                line: 36,
                column: 9
            })
        );
        let backtrace = panic.backtrace.expect("a backtrace");
        assert!(backtrace.starts_with("stack backtrace:"));
        assert!(backtrace.ends_with("for a verbose backtrace."));
        assert_eq!(
            classify(
                "test failure with exit code 101",
                parse_panic(OUTPUT).as_ref()
            ),
            Classification::Assertion
        );
    }

    #[test]
    fn a_panic_without_a_backtrace_and_the_older_header_format() {
        let output = "thread 'main' panicked at crates/cart/src/lib.rs:3:5:\ncalled `Option::unwrap()` on a `None` value\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        let panic = parse_panic(output).expect("a panic");
        assert_eq!(panic.message, "called `Option::unwrap()` on a `None` value");
        assert_eq!(
            panic.location.map(|location| location.path),
            Some("crates/cart/src/lib.rs".to_owned())
        );
        assert_eq!(panic.backtrace, None);
        assert_eq!(
            classify("test failure", parse_panic(output).as_ref()),
            Classification::Panic
        );
    }

    #[test]
    fn no_panic_means_a_crash_or_a_timeout() {
        assert_eq!(parse_panic("running 1 test\n"), None);
        assert_eq!(
            classify("test abort with signal 6", None),
            Classification::Crash
        );
        assert_eq!(classify("test timeout", None), Classification::Timeout);
    }

    #[test]
    fn classifications_are_spelled_as_in_the_report() {
        for classification in [
            Classification::Assertion,
            Classification::Panic,
            Classification::Timeout,
            Classification::Crash,
            Classification::CompileError,
        ] {
            assert_eq!(
                serde_json::to_value(classification).ok(),
                Some(serde_json::Value::from(classification.as_str()))
            );
        }
    }
}
