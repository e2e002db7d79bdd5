//! `metrics.prom`: the run in the Prometheus text exposition format (0.0.4), for a
//! node-exporter textfile collector, a push gateway, or `watch --serve`'s `/metrics`.

use std::fmt::Write as _;

use super::{GateStatus, Report};

pub(super) fn render(report: &Report) -> String {
    let mut out = String::new();
    let summary = &report.summary;
    family(
        &mut out,
        "commerce_tests",
        "gauge",
        "Tests in the last run, by outcome.",
    );
    for (status, count) in [
        ("passed", summary.passed),
        ("failed", summary.failed),
        ("timed-out", summary.timed_out),
        ("flaky", summary.flaky),
        ("skipped", summary.skipped),
        ("not-run", summary.not_run),
    ] {
        let _ = writeln!(out, "commerce_tests{{status=\"{status}\"}} {count}");
    }
    family(
        &mut out,
        "commerce_test_run_duration_seconds",
        "gauge",
        "Wall-clock time of the last test run.",
    );
    let _ = writeln!(
        out,
        "commerce_test_run_duration_seconds {}",
        seconds(report.run.elapsed_ms as f64)
    );
    family(
        &mut out,
        "commerce_test_duration_p95_seconds",
        "gauge",
        "95th percentile of test durations per test binary (binary=\"*\" for all tests).",
    );
    for row in &report.p95 {
        let _ = writeln!(
            out,
            "commerce_test_duration_p95_seconds{{binary=\"{}\"}} {}",
            label(&row.group),
            seconds(row.p95_ms)
        );
    }
    family(
        &mut out,
        "commerce_test_duration_max_seconds",
        "gauge",
        "Slowest test duration per test binary (binary=\"*\" for all tests).",
    );
    for row in &report.p95 {
        let _ = writeln!(
            out,
            "commerce_test_duration_max_seconds{{binary=\"{}\"}} {}",
            label(&row.group),
            seconds(row.max_ms)
        );
    }
    if let Some(budget) = &report.budget {
        family(
            &mut out,
            "commerce_test_budget_seconds",
            "gauge",
            "The suite's time budget.",
        );
        let _ = writeln!(
            out,
            "commerce_test_budget_seconds {}",
            seconds(budget.limit_ms as f64)
        );
    }
    super::load::prometheus(&mut out, report);
    family(
        &mut out,
        "commerce_gate_passed",
        "gauge",
        "1 when the gate passed or was skipped, 0 when it failed.",
    );
    for gate in &report.gates {
        let _ = writeln!(
            out,
            "commerce_gate_passed{{gate=\"{}\"}} {}",
            label(&gate.gate),
            u8::from(gate.status != GateStatus::Fail)
        );
    }
    family(
        &mut out,
        "commerce_test_run_interrupted",
        "gauge",
        "1 when the last run was interrupted before every test finished.",
    );
    let _ = writeln!(
        out,
        "commerce_test_run_interrupted {}",
        u8::from(report.run.interrupted)
    );
    render_metrics(&mut out, report);
    if let Some(kit) = &report.testkit {
        api_metrics(&mut out, kit);
    }
    out
}

/// `frontend_render_fail_total{route}`: 1 for each route whose render failed in this run, 0
/// for each that rendered; nothing when the render step did not run.
fn render_metrics(out: &mut String, report: &Report) {
    let rendered: Vec<(&str, u8)> = report
        .routes
        .iter()
        .flatten()
        .filter_map(|route| {
            let render = route.render?;
            Some((
                route.route.as_str(),
                u8::from(render.status == super::RouteStatus::Fail),
            ))
        })
        .collect();
    if rendered.is_empty() {
        return;
    }
    family(
        out,
        "frontend_render_fail_total",
        "gauge",
        "Render failures of each frontend route in the last run (0 or 1).",
    );
    for (route, failed) in rendered {
        let _ = writeln!(
            out,
            "frontend_render_fail_total{{route=\"{}\"}} {failed}",
            label(route)
        );
    }
}

/// The test kit's in-process requests: a latency histogram and error counts per route.
fn api_metrics(out: &mut String, kit: &crate::testkit::TestkitSummary) {
    family(
        out,
        "api_latency_ms",
        "histogram",
        "Latency of the app's routes in the test kit's in-process requests, in milliseconds.",
    );
    for route in &kit.routes {
        let labels = format!(
            "route=\"{}\",method=\"{}\"",
            label(&route.route),
            label(&route.method)
        );
        let bounds = crate::testkit::LATENCY_BUCKETS_MS
            .iter()
            .map(f64::to_string)
            .chain(["+Inf".to_owned()]);
        for (bound, count) in bounds.zip(&route.buckets) {
            let _ = writeln!(
                out,
                "api_latency_ms_bucket{{{labels},le=\"{bound}\"}} {count}"
            );
        }
        let _ = writeln!(out, "api_latency_ms_sum{{{labels}}} {}", route.sum_ms);
        let _ = writeln!(out, "api_latency_ms_count{{{labels}}} {}", route.count);
    }
    family(
        out,
        "api_error_total",
        "counter",
        "The test kit's in-process requests answered with a 4xx or 5xx, by route and status.",
    );
    for route in &kit.routes {
        for (code, count) in &route.errors {
            let _ = writeln!(
                out,
                "api_error_total{{route=\"{}\",code=\"{code}\"}} {count}",
                label(&route.route)
            );
        }
    }
}

pub(super) fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {}", help.replace('\\', "\\\\"));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

pub(super) fn seconds(milliseconds: f64) -> f64 {
    milliseconds / 1000.0
}

/// A label value: backslash, double quote and line feed escaped.
pub(super) fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn every_sample_belongs_to_a_declared_family() {
        let mut report = fixtures::report();
        report.load = Some(fixtures::load_section());
        let text = render(&report);
        let mut declared = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                declared.push(rest.split(' ').next().unwrap_or_default().to_owned());
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap_or_default();
                assert!(declared.iter().any(|family| family == name), "{line}");
                let value = line.rsplit(' ').next().unwrap_or_default();
                assert!(value.parse::<f64>().is_ok(), "{line}");
            }
        }
        assert!(text.contains("commerce_tests{status=\"failed\"} 1\n"));
        assert!(text.contains("commerce_test_duration_p95_seconds{binary=\"*\"} 2.003\n"));
        assert!(text.contains("commerce_gate_passed{gate=\"test\"} 0\n"));
        assert!(text.contains(
            "commerce_load_latency_seconds{scenario=\"catalog\",phase=\"cold\",quantile=\"0.95\"} 0.04\n"
        ));
        assert!(text.contains("commerce_load_errors{scenario=\"cart \\\"quoted\\\"\"} 3\n"));
    }

    #[test]
    fn each_rendered_route_has_its_render_failure_count() {
        let text = render(&fixtures::analysed_report());
        let samples: Vec<&str> = text
            .lines()
            .filter(|line| line.starts_with("frontend_render_fail_total{"))
            .collect();
        // The fixture's `/` was not rendered, `/shop/[id]` failed to.
        assert_eq!(
            samples,
            ["frontend_render_fail_total{route=\"/shop/[id]\"} 1"]
        );
        assert!(!render(&fixtures::report()).contains("frontend_render_fail_total"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
