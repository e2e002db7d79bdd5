//! The micro-load section of every report file: the p95 table (warm, cold and their delta),
//! the latency-over-time chart, and the Prometheus samples.

use std::fmt::Write as _;

use commerce_load::{PhaseReport, ScenarioReport, delta};

use super::Report;
use super::html::escape;
use super::markdown::cell;
use super::prometheus::{family, label, seconds};

const CHART_WIDTH: f64 = 720.0;
const CHART_HEIGHT: f64 = 180.0;
const MARGIN: f64 = 44.0;

/// `### Micro-load`: one row per scenario and phase, then the warm - cold delta.
pub(super) fn markdown(out: &mut String, report: &Report) {
    let Some(load) = &report.load else { return };
    let _ = writeln!(
        out,
        "### Micro-load (latency from the intended start, ms)\n"
    );
    if let Some(error) = &load.error {
        let _ = writeln!(out, "The scenarios did not run: {}\n", cell(error));
    }
    if load.scenarios.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "| scenario | phase | p50 | p90 | p95 | p99 | max | req/s (target) | requests | errors | p95 threshold |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for scenario in &load.scenarios {
        let threshold = scenario
            .thresholds
            .p95_ms
            .map_or_else(|| "—".to_owned(), |limit| format!("{limit}"));
        markdown_row(out, scenario, "warm", &scenario.warm, &threshold);
        if let Some(cold) = &scenario.cold {
            markdown_row(out, scenario, "cold", cold, "");
            let deltas: Vec<String> = delta(&scenario.warm.latency_ms, &cold.latency_ms)
                .iter()
                .map(|value| format!("{value:+.2}"))
                .collect();
            let _ = writeln!(
                out,
                "| {} | warm − cold | {} | | | | |",
                cell(&scenario.name),
                deltas.join(" | ")
            );
        }
    }
    out.push('\n');
    for scenario in &load.scenarios {
        for failure in scenario.threshold_failures() {
            let _ = writeln!(out, "- **FAIL** {}", cell(&failure));
        }
        if let Some(message) = &scenario.driver.message {
            let _ = writeln!(
                out,
                "- driver ({}): {}",
                cell(&scenario.name),
                cell(message)
            );
        }
        for problem in &scenario.problems {
            let _ = writeln!(
                out,
                "- {} ({}×): {}",
                cell(&scenario.name),
                problem.count,
                cell(&problem.message)
            );
        }
    }
    out.push('\n');
}

fn markdown_row(
    out: &mut String,
    scenario: &ScenarioReport,
    phase: &str,
    figures: &PhaseReport,
    threshold: &str,
) {
    let latency = &figures.latency_ms;
    let _ = writeln!(
        out,
        "| {} | {phase} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.1} ({}) | {} | {} | {threshold} |",
        cell(&scenario.name),
        latency.p50,
        latency.p90,
        latency.p95,
        latency.p99,
        latency.max,
        figures.achieved_rate,
        scenario.target_rate,
        figures.requests,
        figures.errors.total,
    );
}

/// A table like the Markdown one and, per scenario, p50/p95/max over time (SVG, no script).
pub(super) fn html(out: &mut String, report: &Report) {
    let Some(load) = &report.load else { return };
    out.push_str("<h2>Micro-load</h2>\n");
    if let Some(error) = &load.error {
        let _ = writeln!(
            out,
            "<p class=\"over\">The scenarios did not run: {}</p>",
            escape(error)
        );
    }
    for scenario in &load.scenarios {
        let latency = &scenario.warm.latency_ms;
        let _ = writeln!(
            out,
            "<h3>{}</h3>\n<p>{:.1} of {} req/s, {} requests, {} errors; p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms{}</p>",
            escape(&scenario.name),
            scenario.warm.achieved_rate,
            scenario.target_rate,
            scenario.warm.requests,
            scenario.warm.errors.total,
            latency.p50,
            latency.p95,
            latency.p99,
            latency.max,
            scenario
                .cold
                .as_ref()
                .map(|cold| format!(" (cold p95 {:.2} ms)", cold.latency_ms.p95))
                .unwrap_or_default()
        );
        out.push_str(&timeline_chart(scenario));
    }
}

/// Latency over time: the max, p95 and p50 of each window as lines, the cold phase shaded.
fn timeline_chart(scenario: &ScenarioReport) -> String {
    let points = &scenario.timeline;
    let end_ms = (scenario.warmup_ms + scenario.duration_ms).max(1.0);
    let top = points
        .iter()
        .map(|point| point.max_ms)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let plot_width = CHART_WIDTH - 2.0 * MARGIN;
    let plot_height = CHART_HEIGHT - 2.0 * MARGIN / 2.0;
    let x = |t_ms: f64| MARGIN + t_ms / end_ms * plot_width;
    let y = |ms: f64| MARGIN / 2.0 + plot_height - ms / top * plot_height;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{CHART_WIDTH}\" height=\"{CHART_HEIGHT}\" viewBox=\"0 0 {CHART_WIDTH} {CHART_HEIGHT}\"><title>{}: latency over time (ms)</title>\n",
        escape(&scenario.name)
    );
    if scenario.warmup_ms > 0.0 {
        let _ = writeln!(
            svg,
            "<rect x=\"{MARGIN}\" y=\"{}\" width=\"{:.1}\" height=\"{plot_height}\" fill=\"#eaeef2\"><title>cold phase</title></rect>",
            MARGIN / 2.0,
            x(scenario.warmup_ms) - MARGIN
        );
    }
    for (name, colour, value) in [
        (
            "max",
            "#cf222e",
            (|point: &commerce_load::TimelinePoint| point.max_ms) as fn(&_) -> f64,
        ),
        ("p95", "#8250df", |point| point.p95_ms),
        ("p50", "#54aeff", |point| point.p50_ms),
    ] {
        let path: Vec<String> = points
            .iter()
            .filter(|point| point.requests > 0)
            .map(|point| format!("{:.1},{:.1}", x(point.t_ms), y(value(point))))
            .collect();
        let _ = writeln!(
            svg,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{}\"><title>{name}</title></polyline>",
            path.join(" ")
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"4\" y=\"{:.1}\" class=\"label\">{top:.1} ms</text><text x=\"4\" y=\"{:.1}\" class=\"label\">0</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" class=\"label\">{:.1} s — max (red), p95 (purple), p50 (blue)</text>",
        MARGIN / 2.0 + 10.0,
        MARGIN / 2.0 + plot_height,
        CHART_WIDTH - 4.0,
        CHART_HEIGHT - 4.0,
        end_ms / 1000.0
    );
    svg.push_str("</svg>\n");
    svg
}

/// `commerce_load_latency_seconds{scenario,phase,quantile}` and friends.
pub(super) fn prometheus(out: &mut String, report: &Report) {
    let Some(load) = report
        .load
        .as_ref()
        .filter(|load| !load.scenarios.is_empty())
    else {
        return;
    };
    family(
        out,
        "commerce_load_latency_seconds",
        "gauge",
        "Micro-load latency from each request's intended start, by scenario, phase and quantile.",
    );
    for scenario in &load.scenarios {
        let phases = std::iter::once(("warm", &scenario.warm))
            .chain(scenario.cold.as_ref().map(|cold| ("cold", cold)));
        for (phase, figures) in phases {
            let latency = &figures.latency_ms;
            for (quantile, value) in [
                ("0.5", latency.p50),
                ("0.9", latency.p90),
                ("0.95", latency.p95),
                ("0.99", latency.p99),
                ("1", latency.max),
            ] {
                let _ = writeln!(
                    out,
                    "commerce_load_latency_seconds{{scenario=\"{}\",phase=\"{phase}\",quantile=\"{quantile}\"}} {}",
                    label(&scenario.name),
                    seconds(value)
                );
            }
        }
    }
    for (name, help, value) in [
        (
            "commerce_load_achieved_rate",
            "Responses per second in the warm phase.",
            (|scenario: &ScenarioReport| scenario.warm.achieved_rate) as fn(&_) -> f64,
        ),
        (
            "commerce_load_target_rate",
            "Requests per second asked for.",
            |scenario| scenario.target_rate,
        ),
        (
            "commerce_load_requests",
            "Requests in the warm phase.",
            |scenario| scenario.warm.requests as f64,
        ),
        (
            "commerce_load_errors",
            "Failed requests in the warm phase.",
            |scenario| scenario.warm.errors.total as f64,
        ),
        (
            "commerce_load_driver_saturated",
            "1 when the driver could not keep the rate.",
            |scenario| f64::from(u8::from(scenario.driver.saturated)),
        ),
    ] {
        family(out, name, "gauge", help);
        for scenario in &load.scenarios {
            let _ = writeln!(
                out,
                "{name}{{scenario=\"{}\"}} {}",
                label(&scenario.name),
                value(scenario)
            );
        }
    }
}

/// The driver's own table, under `load:` in the terminal summary.
pub(super) fn terminal(out: &mut String, report: &Report) {
    let Some(load) = &report.load else { return };
    out.push_str("load:\n");
    if let Some(error) = &load.error {
        let _ = writeln!(out, "  did not run: {error}");
    }
    for line in commerce_load::render_table(&load.scenarios).lines() {
        let _ = writeln!(out, "  {line}");
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use crate::report::fixtures;

    fn with_load() -> crate::report::Report {
        let mut report = fixtures::report();
        report.load = Some(fixtures::load_section());
        report
    }

    #[test]
    fn the_markdown_table_has_warm_cold_and_their_delta() {
        let mut out = String::new();
        super::markdown(&mut out, &with_load());
        insta::assert_snapshot!(out);
    }

    #[test]
    fn the_html_charts_latency_over_time_with_the_cold_phase_shaded() {
        let mut out = String::new();
        super::html(&mut out, &with_load());
        assert_eq!(out.matches("<svg").count(), 2);
        assert_eq!(out.matches("<polyline").count(), 6);
        assert!(out.contains("<title>cold phase</title>"));
        assert!(out.contains("<h3>cart &quot;quoted&quot;</h3>"));
        assert!(!out.contains("<script"));
    }

    #[test]
    fn the_terminal_shows_the_driver_table_and_a_load_error() {
        let mut report = with_load();
        let mut out = String::new();
        super::terminal(&mut out, &report);
        assert!(
            out.starts_with("load:\n  catalog: 100 req/s for 2.0 s (+1.0 s cold), 8 connections\n"),
            "{out}"
        );
        assert!(out.contains("  delta "), "{out}");
        assert!(
            out.contains("errors: 2× status 503, 1× timeout, 1 not sent"),
            "{out}"
        );
        report.load.as_mut().expect("load").error = Some("the app did not start".to_owned());
        let mut out = String::new();
        super::terminal(&mut out, &report);
        assert!(
            out.contains("  did not run: the app did not start\n"),
            "{out}"
        );
    }
}
