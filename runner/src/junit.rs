//! JUnit XML: reading nextest's (what happened in a run) and writing ours (the merged report,
//! whichever runner produced it).

use std::path::Path;

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use crate::error::RunnerError;

/// One `<testcase>` as nextest reports it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct JunitCase {
    /// The `<testsuite name>`: nextest's binary id.
    pub binary_id: String,
    pub name: String,
    /// Of the final attempt.
    pub seconds: f64,
    pub outcome: JunitOutcome,
    /// The final failure, when the test failed.
    pub failure: Option<Attempt>,
    /// Failed attempts before the final one: reruns of a failed test, or the failures of a
    /// test that passed on retry (flaky).
    pub earlier_failures: Vec<Attempt>,
    pub stdout: String,
    pub stderr: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum JunitOutcome {
    #[default]
    Passed,
    Failed,
    Skipped,
}

/// One failed attempt.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Attempt {
    pub message: String,
    /// nextest's `type`: `test failure with exit code 101`, `test timeout`, `test abort with
    /// signal 6`, ...
    pub kind: String,
    pub text: String,
    pub stdout: String,
    pub stderr: String,
}

/// Where text between tags belongs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sink {
    None,
    FailureText,
    CaseStdout,
    CaseStderr,
    AttemptText,
    AttemptStdout,
    AttemptStderr,
}

/// Parses nextest's JUnit report.
pub(crate) fn read(path: &Path) -> Result<Vec<JunitCase>, RunnerError> {
    let xml = std::fs::read_to_string(path).map_err(|error| RunnerError::Junit {
        path: path.to_path_buf(),
        message: error.to_string(),
    })?;
    parse(&xml).map_err(|message| RunnerError::Junit {
        path: path.to_path_buf(),
        message,
    })
}

pub(crate) fn parse(xml: &str) -> Result<Vec<JunitCase>, String> {
    let mut reader = Reader::from_str(xml);
    let mut cases = Vec::new();
    let mut suite = String::new();
    let mut case: Option<JunitCase> = None;
    let mut attempt: Option<Attempt> = None;
    let mut sink = Sink::None;
    loop {
        let event = reader
            .read_event()
            .map_err(|error| format!("{error} at byte {}", reader.error_position()))?;
        match event {
            Event::Start(start) | Event::Empty(start)
                if start.local_name().as_ref() == "testsuite" =>
            {
                suite = attribute(&start, "name")?.unwrap_or_default();
            }
            Event::Start(start) => {
                sink = open(&start, &suite, &mut case, &mut attempt, false)?;
            }
            Event::Empty(start) => {
                open(&start, &suite, &mut case, &mut attempt, true)?;
                close(
                    start.local_name().as_ref(),
                    &mut case,
                    &mut attempt,
                    &mut cases,
                );
            }
            Event::End(end) => {
                sink = match sink {
                    Sink::AttemptStdout | Sink::AttemptStderr => Sink::AttemptText,
                    _ => Sink::None,
                };
                close(
                    end.local_name().as_ref(),
                    &mut case,
                    &mut attempt,
                    &mut cases,
                );
            }
            Event::Text(text) => {
                append(sink, &text.xml10_content(), &mut case, &mut attempt);
            }
            Event::GeneralRef(reference) => {
                let text = resolve_reference(&reference)?;
                append(sink, &text, &mut case, &mut attempt);
            }
            Event::CData(data) => {
                append(sink, &data.xml10_content(), &mut case, &mut attempt);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(cases)
}

/// Handles an opening tag; returns where the text inside it goes.
fn open(
    start: &BytesStart<'_>,
    suite: &str,
    case: &mut Option<JunitCase>,
    attempt: &mut Option<Attempt>,
    empty: bool,
) -> Result<Sink, String> {
    let name = start.local_name();
    Ok(match name.as_ref() {
        "testcase" => {
            *case = Some(JunitCase {
                binary_id: attribute(start, "classname")?.unwrap_or_else(|| suite.to_owned()),
                name: attribute(start, "name")?.unwrap_or_default(),
                seconds: attribute(start, "time")?
                    .and_then(|time| time.parse().ok())
                    .unwrap_or(0.0),
                ..JunitCase::default()
            });
            Sink::None
        }
        "failure" | "error" => {
            if let Some(case) = case {
                case.outcome = JunitOutcome::Failed;
                case.failure = Some(attempt_from(start)?);
            }
            if empty { Sink::None } else { Sink::FailureText }
        }
        "flakyFailure" | "flakyError" | "rerunFailure" | "rerunError" => {
            *attempt = Some(attempt_from(start)?);
            Sink::AttemptText
        }
        "skipped" => {
            if let Some(case) = case {
                case.outcome = JunitOutcome::Skipped;
            }
            Sink::None
        }
        "system-out" if attempt.is_some() => Sink::AttemptStdout,
        "system-err" if attempt.is_some() => Sink::AttemptStderr,
        "system-out" => Sink::CaseStdout,
        "system-err" => Sink::CaseStderr,
        _ => Sink::None,
    })
}

fn close(
    name: &str,
    case: &mut Option<JunitCase>,
    attempt: &mut Option<Attempt>,
    cases: &mut Vec<JunitCase>,
) {
    match name {
        "testcase" => cases.extend(case.take()),
        "flakyFailure" | "flakyError" | "rerunFailure" | "rerunError" => {
            if let (Some(case), Some(attempt)) = (case.as_mut(), attempt.take()) {
                case.earlier_failures.push(attempt);
            }
        }
        _ => {}
    }
}

fn append(sink: Sink, text: &str, case: &mut Option<JunitCase>, attempt: &mut Option<Attempt>) {
    let Some(case) = case else { return };
    let target = match sink {
        Sink::None => return,
        Sink::FailureText => case.failure.as_mut().map(|failure| &mut failure.text),
        Sink::CaseStdout => Some(&mut case.stdout),
        Sink::CaseStderr => Some(&mut case.stderr),
        Sink::AttemptText => attempt.as_mut().map(|attempt| &mut attempt.text),
        Sink::AttemptStdout => attempt.as_mut().map(|attempt| &mut attempt.stdout),
        Sink::AttemptStderr => attempt.as_mut().map(|attempt| &mut attempt.stderr),
    };
    if let Some(target) = target {
        target.push_str(text);
    }
}

fn attempt_from(start: &BytesStart<'_>) -> Result<Attempt, String> {
    Ok(Attempt {
        message: attribute(start, "message")?.unwrap_or_default(),
        kind: attribute(start, "type")?.unwrap_or_default(),
        ..Attempt::default()
    })
}

fn attribute(start: &BytesStart<'_>, name: &str) -> Result<Option<String>, String> {
    let attribute = start
        .try_get_attribute(name)
        .map_err(|error| error.to_string())?;
    attribute
        .map(|attribute| {
            attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .map(|value| value.into_owned())
                .map_err(|error| error.to_string())
        })
        .transpose()
}

/// `&amp;`, `&#10;` and the other references quick-xml reports apart from the text around them.
fn resolve_reference(reference: &quick_xml::events::BytesRef<'_>) -> Result<String, String> {
    if let Some(char) = reference
        .resolve_char_ref()
        .map_err(|error| error.to_string())?
    {
        return Ok(char.to_string());
    }
    let name = reference.xml10_content();
    quick_xml::escape::resolve_predefined_entity(&name)
        .map(str::to_owned)
        .ok_or_else(|| format!("unknown entity `&{name};`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped like nextest 0.9's output for a pass, a flaky pass, a failure retried once and a
    /// timeout.
    const NEXTEST_JUNIT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="nextest-run" tests="4" failures="2" errors="0">
    <testsuite name="tiny" tests="4" skipped="0" errors="0" failures="2">
        <testcase name="tests::sums" classname="tiny" time="0.005"/>
        <testcase name="tests::flaky" classname="tiny" time="0.006">
            <flakyFailure time="0.076" message="thread &apos;tests::flaky&apos; panicked at src/lib.rs:47:17" type="test failure with exit code 101">thread &apos;tests::flaky&apos; panicked at src/lib.rs:47:17:
first attempt fails
                <system-out>running 1 test</system-out>
                <system-err>stderr of the first attempt</system-err>
            </flakyFailure>
        </testcase>
        <testcase name="tests::discount" classname="tiny" time="0.095">
            <failure message="thread &apos;tests::discount&apos; panicked at src/lib.rs:36:9" type="test failure with exit code 101">thread &apos;tests::discount&apos; panicked at src/lib.rs:36:9:
assertion `left == right` failed: 6 &lt; 7</failure>
            <rerunFailure time="0.094" message="again" type="test failure with exit code 101">again<system-out>rerun out</system-out></rerunFailure>
            <system-out>computing the discounted total</system-out>
            <system-err>thread &apos;tests::discount&apos; panicked</system-err>
        </testcase>
        <testcase name="tests::hangs" classname="tiny" time="2.003">
            <failure type="test timeout"/>
            <system-out>running 1 test</system-out>
        </testcase>
    </testsuite>
</testsuites>"#;

    #[test]
    fn reads_passes_flakes_failures_retries_and_timeouts() {
        let cases = parse(NEXTEST_JUNIT).expect("valid JUnit");
        assert_eq!(cases.len(), 4);
        let [pass, flaky, failed, hung] = &cases[..] else {
            panic!("four cases");
        };
        assert_eq!(pass.outcome, JunitOutcome::Passed);
        assert_eq!(pass.binary_id, "tiny");
        assert!((pass.seconds - 0.005).abs() < f64::EPSILON);

        assert_eq!(flaky.outcome, JunitOutcome::Passed);
        assert_eq!(flaky.earlier_failures.len(), 1);
        let first = &flaky.earlier_failures[0];
        assert!(first.text.contains("first attempt fails"));
        assert_eq!(first.stderr, "stderr of the first attempt");
        assert_eq!(
            first.message,
            "thread 'tests::flaky' panicked at src/lib.rs:47:17"
        );

        assert_eq!(failed.outcome, JunitOutcome::Failed);
        let failure = failed.failure.as_ref().expect("a failure");
        assert!(failure.text.ends_with("failed: 6 < 7"), "{}", failure.text);
        assert_eq!(failed.earlier_failures.len(), 1);
        assert_eq!(failed.earlier_failures[0].stdout, "rerun out");
        assert_eq!(failed.stdout, "computing the discounted total");
        assert_eq!(failed.stderr, "thread 'tests::discount' panicked");

        assert_eq!(hung.outcome, JunitOutcome::Failed);
        assert_eq!(
            hung.failure.as_ref().map(|f| f.kind.as_str()),
            Some("test timeout")
        );
    }

    #[test]
    fn malformed_xml_is_an_error_with_a_position() {
        let error = parse("<testsuites><testcase name=\"a\"></testsuite>").expect_err("bad");
        assert!(error.contains("at byte"), "{error}");
    }
}
