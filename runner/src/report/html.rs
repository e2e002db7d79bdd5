//! `report.html`: one self-contained page (inline CSS and SVG, no script, nothing fetched)
//! with the sections of [`View`]: the verdict, gates, charts of test durations and p95s,
//! failures, drifts, failing routes and the analyzers' errors.

use std::fmt::Write as _;

use super::view::View;
use super::{GateStatus, Report, Status};

const SLOWEST: usize = 15;
const CHART_WIDTH: f64 = 720.0;
const LABEL_WIDTH: f64 = 300.0;
const BAR_HEIGHT: f64 = 18.0;
const BAR_GAP: f64 = 6.0;

pub(super) fn render(report: &Report) -> String {
    let view = View::of(report, SLOWEST);
    let verdict = view.verdict;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>cargo commerce test: {verdict}</title><style>{STYLE}</style></head><body>\n"
    );
    let _ = write!(
        out,
        "<h1 class=\"{}\">cargo commerce test: {verdict}</h1>\n<p>{} — {:.1} s, suite <code>{}</code>, seed <code>{}</code>{}</p>\n",
        verdict.to_ascii_lowercase(),
        view.counts.join(" · "),
        view.elapsed_s,
        escape(view.suite),
        view.seed,
        view.shard
            .as_ref()
            .map(|shard| format!(", {shard}"))
            .unwrap_or_default(),
    );
    if let Some(budget) = &view.over_budget {
        let _ = writeln!(
            out,
            "<p class=\"over\">Over budget: {:.1} s of {:.1} s. The slowest tests are charted below.</p>",
            budget.elapsed_s, budget.limit_s
        );
    }
    gates(&mut out, &view);
    areas(&mut out, report);
    if !view.slowest.is_empty() {
        out.push_str("<h2>Slowest tests</h2>\n");
        out.push_str(&bar_chart(
            "Slowest tests (ms)",
            &view
                .slowest
                .iter()
                .map(|slow| Bar {
                    label: slow.timing.test.clone(),
                    value: slow.timing.duration_ms,
                    class: status_class(slow.status),
                })
                .collect::<Vec<_>>(),
        ));
    }
    if !view.durations.is_empty() {
        out.push_str("<h2>p95 per test binary</h2>\n");
        out.push_str(&bar_chart(
            "p95 test duration per binary (ms)",
            &view
                .durations
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
    super::load::html(&mut out, report);
    failures(&mut out, &view);
    drifts(&mut out, &view);
    routes(&mut out, &view);
    analysis(&mut out, &view);
    out.push_str("</body></html>\n");
    out
}

fn gates(out: &mut String, view: &View<'_>) {
    if view.gates.is_empty() {
        return;
    }
    out.push_str("<h2>Gates</h2>\n<table><tr><th>gate</th><th>result</th><th>why</th></tr>\n");
    for gate in view.gates {
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

/// The `[areas]` table: each area with its tests' counts.
fn areas(out: &mut String, report: &Report) {
    if report.areas.is_empty() {
        return;
    }
    out.push_str("<h2>Areas</h2>\n<table><tr><th>area</th><th>tests</th><th>passed</th><th>failed</th><th></th></tr>\n");
    for area in &report.areas {
        let class = match area.verdict() {
            "✓" => "pass",
            "✗" => "fail",
            _ => "skip",
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td></tr>",
            escape(&area.name),
            area.counts.total,
            area.counts.passed + area.counts.flaky,
            area.failed(),
            area.verdict(),
        );
    }
    out.push_str("</table>\n");
}

fn failures(out: &mut String, view: &View<'_>) {
    if view.failures.is_empty() {
        return;
    }
    out.push_str("<h2>Failures</h2>\n");
    for failure in &view.failures {
        let location = failure
            .location
            .as_ref()
            .map(|location| format!(" at <code>{}</code>", escape(location)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<section class=\"failure\"><h3>{}</h3><p>{}{location}</p><pre>{}</pre><p>Replay: <code>{}</code></p>",
            escape(failure.test),
            failure.classification,
            escape(failure.message),
            escape(failure.replay)
        );
        for (summary, text) in [
            ("captured output", failure.output),
            ("change under test", failure.diff),
        ] {
            if let Some(text) = text {
                let _ = writeln!(
                    out,
                    "<details><summary>{summary}</summary><pre>{}</pre></details>",
                    escape(text)
                );
            }
        }
        out.push_str("</section>\n");
    }
}

fn drifts(out: &mut String, view: &View<'_>) {
    if view.drifts.is_empty() {
        return;
    }
    out.push_str("<h2>Contract drift</h2>\n<ul>\n");
    for drift in view.drifts {
        let _ = writeln!(
            out,
            "<li>{}<code>{}</code> in <code>{}</code>: {}</li>",
            if drift.breaking {
                "<strong>breaking</strong> "
            } else {
                ""
            },
            escape(&drift.rule),
            escape(&drift.path),
            escape(&drift.message)
        );
    }
    out.push_str("</ul>\n");
}

fn routes(out: &mut String, view: &View<'_>) {
    if view.failing_routes.is_empty() {
        return;
    }
    out.push_str(
        "<h2>Failing routes</h2>\n<table><tr><th>route</th><th>file</th><th>why</th></tr>\n",
    );
    for route in &view.failing_routes {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
            escape(&route.route),
            escape(&route.file),
            escape(route.reason.as_deref().unwrap_or_default())
        );
    }
    out.push_str("</table>\n");
}

fn analysis(out: &mut String, view: &View<'_>) {
    let Some(analysis) = view.analysis else {
        return;
    };
    let _ = writeln!(
        out,
        "<h2>Analyzers</h2>\n<p>{} errors, {} warnings</p>",
        analysis.errors, analysis.warnings
    );
    if !analysis.error_keys.is_empty() {
        out.push_str("<ul>\n");
        for key in &analysis.error_keys {
            let _ = writeln!(out, "<li><code>{}</code></li>", escape(key));
        }
        out.push_str("</ul>\n");
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

fn status_class(status: Status) -> &'static str {
    match status {
        Status::Failed | Status::TimedOut => "failed",
        Status::Flaky => "flaky",
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

pub(super) fn escape(text: &str) -> String {
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
