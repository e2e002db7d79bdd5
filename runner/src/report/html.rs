//! `report.html`: one self-contained page (inline CSS and SVG, no script, nothing fetched)
//! with the verdict, gates, failures and charts of test durations and p95s.

use std::fmt::Write as _;

use super::{GateStatus, Report, Status, Timing};

const SLOWEST: usize = 15;
const CHART_WIDTH: f64 = 720.0;
const LABEL_WIDTH: f64 = 300.0;
const BAR_HEIGHT: f64 = 18.0;
const BAR_GAP: f64 = 6.0;

pub(super) fn render(report: &Report) -> String {
    let verdict = if report.passed() { "PASS" } else { "FAIL" };
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>cargo commerce test: {verdict}</title><style>{STYLE}</style></head><body>\n"
    );
    let summary = &report.summary;
    let _ = write!(
        out,
        "<h1 class=\"{}\">cargo commerce test: {verdict}</h1>\n<p>{} passed · {} failed · {} timed out · {} flaky · {} skipped{} — {:.1} s, suite <code>{}</code>, seed <code>{}</code></p>\n",
        verdict.to_ascii_lowercase(),
        summary.passed,
        summary.failed,
        summary.timed_out,
        summary.flaky,
        summary.skipped,
        if summary.not_run > 0 {
            format!(" · {} not run (interrupted)", summary.not_run)
        } else {
            String::new()
        },
        report.run.elapsed_ms as f64 / 1000.0,
        escape(&report.run.suite),
        report.run.seed,
    );
    if let Some(budget) = report.budget.as_ref().filter(|budget| budget.over) {
        let _ = writeln!(
            out,
            "<p class=\"over\">Over budget: {:.1} s of {:.1} s. The slowest tests are charted below.</p>",
            budget.elapsed_ms as f64 / 1000.0,
            budget.limit_ms as f64 / 1000.0
        );
    }
    gates(&mut out, report);
    let slowest = report.slowest(SLOWEST);
    if !slowest.is_empty() {
        out.push_str("<h2>Slowest tests</h2>\n");
        out.push_str(&bar_chart(
            "Slowest tests (ms)",
            &slowest
                .iter()
                .map(|timing| Bar {
                    label: timing.test.clone(),
                    value: timing.duration_ms,
                    class: status_class(report, timing),
                })
                .collect::<Vec<_>>(),
        ));
    }
    if !report.p95.is_empty() {
        out.push_str("<h2>p95 per test binary</h2>\n");
        out.push_str(&bar_chart(
            "p95 test duration per binary (ms)",
            &report
                .p95
                .iter()
                .map(|row| Bar {
                    label: match row.group.as_str() {
                        "*" => format!("all tests ({})", row.tests),
                        group => format!("{group} ({} tests)", row.tests),
                    },
                    value: row.p95_ms,
                    class: "p95",
                })
                .collect::<Vec<_>>(),
        ));
    }
    failures(&mut out, report);
    out.push_str("</body></html>\n");
    out
}

fn gates(out: &mut String, report: &Report) {
    if report.gates.is_empty() {
        return;
    }
    out.push_str("<h2>Gates</h2>\n<table><tr><th>gate</th><th>result</th><th>why</th></tr>\n");
    for gate in &report.gates {
        let class = match gate.status {
            GateStatus::Pass => "pass",
            GateStatus::Fail => "fail",
            GateStatus::Skip => "skip",
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"{class}\">{}</td><td>{}</td></tr>",
            escape(&gate.gate),
            gate.status.as_str(),
            escape(&gate.why)
        );
    }
    out.push_str("</table>\n");
}

fn failures(out: &mut String, report: &Report) {
    if report.failures.is_empty() {
        return;
    }
    out.push_str("<h2>Failures</h2>\n");
    for failure in &report.failures {
        let location = failure
            .location
            .as_ref()
            .map(|location| {
                format!(
                    " at <code>{}:{}:{}</code>",
                    escape(&location.path),
                    location.line,
                    location.column
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<section class=\"failure\"><h3>{}</h3><p>{}{location}</p><pre>{}</pre><p>Replay: <code>{}</code></p>",
            escape(&failure.test),
            escape(
                serde_json::to_value(failure.classification)
                    .ok()
                    .and_then(|value| value.as_str().map(str::to_owned))
                    .unwrap_or_default()
                    .as_str()
            ),
            escape(&failure.message),
            escape(&failure.replay)
        );
        if !failure.output.trim().is_empty() {
            let _ = writeln!(
                out,
                "<details><summary>captured output</summary><pre>{}</pre></details>",
                escape(&failure.output)
            );
        }
        if let Some(diff) = &failure.diff {
            let _ = writeln!(
                out,
                "<details><summary>change under test</summary><pre>{}</pre></details>",
                escape(diff)
            );
        }
        out.push_str("</section>\n");
    }
}

struct Bar {
    label: String,
    value: f64,
    class: &'static str,
}

/// A horizontal bar chart: labels on the left, bars scaled to the largest value, the value
/// at the end of each bar.
fn bar_chart(title: &str, bars: &[Bar]) -> String {
    let max = bars.iter().map(|bar| bar.value).fold(0.0_f64, f64::max);
    let scale = if max > 0.0 {
        (CHART_WIDTH - LABEL_WIDTH - 80.0) / max
    } else {
        0.0
    };
    let height = bars.len() as f64 * (BAR_HEIGHT + BAR_GAP) + BAR_GAP;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{CHART_WIDTH}\" height=\"{height}\" viewBox=\"0 0 {CHART_WIDTH} {height}\"><title>{}</title>\n",
        escape(title)
    );
    for (index, bar) in bars.iter().enumerate() {
        let y = BAR_GAP + index as f64 * (BAR_HEIGHT + BAR_GAP);
        let width = (bar.value * scale).max(1.0);
        let text_y = y + BAR_HEIGHT * 0.75;
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{text_y}\" text-anchor=\"end\" class=\"label\">{}</text>\
             <rect x=\"{LABEL_WIDTH}\" y=\"{y}\" width=\"{width:.1}\" height=\"{BAR_HEIGHT}\" class=\"{}\"><title>{}: {:.1} ms</title></rect>\
             <text x=\"{:.1}\" y=\"{text_y}\" class=\"value\">{:.1} ms</text>",
            LABEL_WIDTH - 6.0,
            escape(&shorten(&bar.label, 42)),
            bar.class,
            escape(&bar.label),
            bar.value,
            LABEL_WIDTH + width + 4.0,
            bar.value
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn status_class(report: &Report, timing: &Timing) -> &'static str {
    match report
        .tests
        .iter()
        .find(|test| test.id == timing.test)
        .map(|test| test.status)
    {
        Some(Status::Failed | Status::TimedOut) => "failed",
        Some(Status::Flaky) => "flaky",
        _ => "passed",
    }
}

/// The end of a long label, which is the part that tells tests apart.
fn shorten(label: &str, max_chars: usize) -> String {
    let count = label.chars().count();
    if count <= max_chars {
        label.to_owned()
    } else {
        let tail: String = label.chars().skip(count - (max_chars - 1)).collect();
        format!("…{tail}")
    }
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for char in text.chars() {
        match char {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(char),
        }
    }
    escaped
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#1f2328}\
h1.pass{color:#1a7f37}h1.fail{color:#cf222e}code,pre{font-family:ui-monospace,monospace}\
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;white-space:pre-wrap}\
table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:left}\
td.pass{color:#1a7f37;font-weight:600}td.fail{color:#cf222e;font-weight:600}td.skip{color:#6e7781}\
svg .label,svg .value{font-size:12px;fill:#1f2328}rect.passed{fill:#54aeff}rect.failed{fill:#cf222e}\
rect.flaky{fill:#d4a72c}rect.p95{fill:#8250df}section.failure{border-left:3px solid #cf222e;padding-left:1rem}p.over{color:#9a6700;font-weight:600}";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn the_page_is_self_contained_and_escapes_test_names() {
        let html = render(&fixtures::report());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("src=\"http"));
        assert!(!html.contains("href=\"http"));
        assert_eq!(html.matches("<svg").count(), 2);
        assert!(html.contains("sync::inventory &lt;hangs&gt; &amp; &quot;quotes&quot;"));
        assert!(!html.contains("<hangs>"));
        assert!(html.contains("<td class=\"fail\">FAIL</td>"));
        assert!(html.contains("Over budget: 4.2 s of 1.0 s."));
        assert!(html.contains(">all tests (5)</text>"));
    }

    #[test]
    fn the_page_of_a_run_with_every_outcome() {
        insta::assert_snapshot!(render(&fixtures::analysed_report()));
    }

    #[test]
    fn long_labels_keep_their_end() {
        assert_eq!(shorten("abcdef", 4), "…def");
        assert_eq!(shorten("abc", 4), "abc");
    }
}
