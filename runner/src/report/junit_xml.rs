//! `junit.xml`: the report in the JUnit XML that CI systems read, one `<testsuite>` per test
//! binary, with nextest's `flakyFailure` for tests that passed on retry.

use std::collections::BTreeMap;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::{Failure, Report, Status, TestResult};

pub(super) fn render(report: &Report) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    let failures: BTreeMap<&str, &Failure> = report
        .failures
        .iter()
        .map(|failure| (failure.test.as_str(), failure))
        .collect();
    let flaky: BTreeMap<&str, &[String]> = report
        .flaky
        .iter()
        .map(|flaky| (flaky.test.as_str(), flaky.failures.as_slice()))
        .collect();
    let mut suites: BTreeMap<&str, Vec<&TestResult>> = BTreeMap::new();
    for test in &report.tests {
        suites.entry(&test.binary_id).or_default().push(test);
    }
    let summary = &report.summary;
    let _ = writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    let mut root = BytesStart::new("testsuites");
    root.push_attribute(("name", "cargo-commerce"));
    root.push_attribute(("tests", summary.total.to_string().as_str()));
    root.push_attribute(("failures", summary.failing().to_string().as_str()));
    root.push_attribute(("errors", "0"));
    root.push_attribute((
        "skipped",
        (summary.skipped + summary.not_run).to_string().as_str(),
    ));
    root.push_attribute(("time", seconds(report.run.elapsed_ms as f64).as_str()));
    let _ = writer.write_event(Event::Start(root));
    for (binary_id, tests) in suites {
        let mut suite = BytesStart::new("testsuite");
        suite.push_attribute(("name", binary_id));
        suite.push_attribute(("tests", tests.len().to_string().as_str()));
        let failing = tests.iter().filter(|test| test.status.is_failing()).count();
        suite.push_attribute(("failures", failing.to_string().as_str()));
        suite.push_attribute(("errors", "0"));
        let skipped = tests
            .iter()
            .filter(|test| matches!(test.status, Status::Skipped | Status::NotRun))
            .count();
        suite.push_attribute(("skipped", skipped.to_string().as_str()));
        let _ = writer.write_event(Event::Start(suite));
        for test in tests {
            write_case(
                &mut writer,
                test,
                failures.get(test.id.as_str()).copied(),
                flaky.get(test.id.as_str()).copied(),
            );
        }
        let _ = writer.write_event(Event::End(BytesEnd::new("testsuite")));
    }
    let _ = writer.write_event(Event::End(BytesEnd::new("testsuites")));
    let mut xml = String::from_utf8_lossy(&writer.into_inner()).into_owned();
    xml.push('\n');
    xml
}

fn write_case(
    writer: &mut Writer<Vec<u8>>,
    test: &TestResult,
    failure: Option<&Failure>,
    flaky: Option<&[String]>,
) {
    let mut case = BytesStart::new("testcase");
    case.push_attribute(("name", test.name.as_str()));
    case.push_attribute(("classname", test.binary_id.as_str()));
    case.push_attribute(("time", seconds(test.duration_ms).as_str()));
    let children = match (test.status, failure, flaky) {
        (Status::Failed | Status::TimedOut, Some(failure), _) => {
            let kind = if test.status == Status::TimedOut {
                "test timeout"
            } else {
                "test failure"
            };
            let first_line = failure.message.lines().next().unwrap_or_default();
            let body = format!("{}\n\n{}", failure.message, failure.output);
            vec![element("failure", first_line, kind, &body)]
        }
        (Status::Failed | Status::TimedOut, None, _) => {
            vec![element("failure", "test failed", "test failure", "")]
        }
        (Status::Flaky, _, Some(messages)) => messages
            .iter()
            .map(|message| element("flakyFailure", message, "test failure", message))
            .collect(),
        (Status::Skipped, ..) => vec![element("skipped", "ignored", "", "")],
        (Status::NotRun, ..) => vec![element(
            "skipped",
            "not run: the run was interrupted",
            "",
            "",
        )],
        _ => Vec::new(),
    };
    if children.is_empty() {
        let _ = writer.write_event(Event::Empty(case));
        return;
    }
    let _ = writer.write_event(Event::Start(case));
    for (start, body) in children {
        let name = start.name().as_ref().to_owned();
        if body.is_empty() {
            let _ = writer.write_event(Event::Empty(start));
        } else {
            let _ = writer.write_event(Event::Start(start));
            let _ = writer.write_event(Event::Text(BytesText::new(&body)));
            let _ = writer.write_event(Event::End(BytesEnd::new(name)));
        }
    }
    let _ = writer.write_event(Event::End(BytesEnd::new("testcase")));
}

fn element<'a>(name: &'a str, message: &str, kind: &str, body: &str) -> (BytesStart<'a>, String) {
    let mut start = BytesStart::new(name);
    start.push_attribute(("message", message));
    if !kind.is_empty() {
        start.push_attribute(("type", kind));
    }
    (start, body.to_owned())
}

fn seconds(milliseconds: f64) -> String {
    format!("{:.3}", milliseconds / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::junit::{self, JunitOutcome};
    use crate::report::fixtures;

    #[test]
    fn our_junit_reads_back_with_every_outcome() {
        let xml = render(&fixtures::report());
        let cases = junit::parse(&xml).expect("well-formed XML");
        assert_eq!(cases.len(), 6);
        let outcome = |name: &str| {
            cases
                .iter()
                .find(|case| case.name == name)
                .map(|case| (case.outcome, case.earlier_failures.len()))
        };
        assert_eq!(
            outcome("cart::sums_prices"),
            Some((JunitOutcome::Passed, 0))
        );
        assert_eq!(
            outcome("cart::flaky_checkout"),
            Some((JunitOutcome::Passed, 1))
        );
        assert_eq!(
            outcome("cart::discount_applies"),
            Some((JunitOutcome::Failed, 0))
        );
        assert_eq!(outcome("cart::ignored"), Some((JunitOutcome::Skipped, 0)));
        let hung = cases
            .iter()
            .find(|case| case.name.starts_with("sync::inventory"))
            .expect("the hung test, with its name unescaped");
        assert_eq!(hung.name, "sync::inventory <hangs> & \"quotes\"");
        assert_eq!(
            hung.failure.as_ref().map(|failure| failure.kind.as_str()),
            Some("test timeout")
        );
        assert!(xml.contains("<testsuites name=\"cargo-commerce\" tests=\"6\" failures=\"2\""));
    }
}
