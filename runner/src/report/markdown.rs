//! `report.md`: the CI step summary (GitHub renders it on the run's page).

use std::fmt::Write as _;

use super::Report;

const SLOWEST: usize = 10;

pub(super) fn render(report: &Report) -> String {
    let mut out = String::new();
    let summary = &report.summary;
    let verdict = if report.passed() { "PASS" } else { "FAIL" };
    let _ = writeln!(out, "## cargo commerce test: {verdict}\n");
    let _ = writeln!(
        out,
        "{} passed, {} failed, {} timed out, {} flaky, {} skipped{} in {:.1} s (suite `{}`, seed {}{})\n",
        summary.passed,
        summary.failed,
        summary.timed_out,
        summary.flaky,
        summary.skipped,
        if summary.not_run > 0 {
            format!(", {} not run (interrupted)", summary.not_run)
        } else {
            String::new()
        },
        report.run.elapsed_ms as f64 / 1000.0,
        report.run.suite,
        report.run.seed,
        report
            .run
            .shard
            .map(|shard| format!(", shard {shard}"))
            .unwrap_or_default(),
    );
    gates(&mut out, report);
    failures(&mut out, report);
    flaky(&mut out, report);
    budget(&mut out, report);
    durations(&mut out, report);
    drifts(&mut out, report);
    analysis(&mut out, report);
    out
}

fn gates(out: &mut String, report: &Report) {
    if report.gates.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "### Gates\n\n| gate | result | why |\n| --- | --- | --- |"
    );
    for gate in &report.gates {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            gate.gate,
            gate.status.as_str(),
            cell(&gate.why)
        );
    }
    out.push('\n');
}

fn failures(out: &mut String, report: &Report) {
    if report.failures.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Failures\n");
    for failure in &report.failures {
        let location = failure
            .location
            .as_ref()
            .map(|location| {
                format!(
                    " at `{}:{}:{}`",
                    location.path, location.line, location.column
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "- **{}** ({}){location}\n\n  ```text\n{}\n  ```\n\n  Replay: `{}`\n",
            inline(&failure.test),
            serde_json::to_value(failure.classification)
                .ok()
                .and_then(|value| value.as_str().map(str::to_owned))
                .unwrap_or_default(),
            indent(&failure.message),
            failure.replay
        );
    }
}

fn flaky(out: &mut String, report: &Report) {
    if report.flaky.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Flaky\n");
    for flaky in &report.flaky {
        let _ = writeln!(
            out,
            "- {} passed on attempt {}",
            inline(&flaky.test),
            flaky.attempts
        );
    }
    out.push('\n');
}

fn budget(out: &mut String, report: &Report) {
    let Some(budget) = &report.budget else { return };
    if !budget.over {
        return;
    }
    let _ = writeln!(
        out,
        "### Over budget\n\nThe suite took {:.1} s, over its budget of {:.1} s. Slowest tests:\n",
        budget.elapsed_ms as f64 / 1000.0,
        budget.limit_ms as f64 / 1000.0
    );
    for timing in &budget.slowest {
        let _ = writeln!(
            out,
            "- {} {:.1} ms",
            inline(&timing.test),
            timing.duration_ms
        );
    }
    out.push('\n');
}

fn durations(out: &mut String, report: &Report) {
    if report.p95.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "### Durations (ms)\n\n| binary | tests | p50 | p95 | max |\n| --- | ---: | ---: | ---: | ---: |"
    );
    for row in &report.p95 {
        let _ = writeln!(
            out,
            "| {} | {} | {:.1} | {:.1} | {:.1} |",
            cell(&row.group),
            row.tests,
            row.p50_ms,
            row.p95_ms,
            row.max_ms
        );
    }
    let _ = writeln!(out, "\nSlowest:\n");
    for timing in report.slowest(SLOWEST) {
        let _ = writeln!(
            out,
            "- {} {:.1} ms",
            inline(&timing.test),
            timing.duration_ms
        );
    }
    out.push('\n');
}

fn drifts(out: &mut String, report: &Report) {
    if report.drifts.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Contract drift\n");
    for drift in &report.drifts {
        let _ = writeln!(
            out,
            "- {}`{}` in `{}`: {}",
            if drift.breaking { "**breaking** " } else { "" },
            drift.rule,
            drift.path,
            drift.message
        );
    }
    out.push('\n');
}

fn analysis(out: &mut String, report: &Report) {
    let Some(analysis) = &report.analysis else {
        return;
    };
    let _ = writeln!(
        out,
        "### Analyzers\n\n{} errors, {} warnings\n",
        analysis.errors, analysis.warnings
    );
    for key in analysis.error_keys.iter().take(SLOWEST) {
        let _ = writeln!(out, "- {}", inline(key));
    }
    if !analysis.error_keys.is_empty() {
        out.push('\n');
    }
}

/// Text inside a table cell: no pipes or line breaks.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Inline code that survives backticks in the text.
fn inline(text: &str) -> String {
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("  {}", line.replace("```", "'''")))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn the_summary_of_a_run_with_every_outcome() {
        insta::assert_snapshot!(render(&fixtures::analysed_report()));
    }

    #[test]
    fn the_summary_has_verdict_gates_failures_and_durations() {
        let markdown = render(&fixtures::report());
        assert!(markdown.starts_with("## cargo commerce test: FAIL\n"));
        assert!(
            markdown.contains("2 passed, 1 failed, 1 timed out, 1 flaky, 1 skipped"),
            "{markdown}"
        );
        assert!(markdown.contains("| test | FAIL | 2 new failing tests"));
        assert!(markdown.contains("at `src/cart.rs:2:5`"));
        assert!(markdown.contains("Replay: `COMMERCE_SEED=42 cargo commerce test --seed 42"));
        assert!(markdown.contains("| * | 5 |"));
        assert!(markdown.contains("### Over budget"));
        assert!(markdown.contains("- `shop sync::inventory <hangs> & \"quotes\"` 2003.0 ms"));
    }
}
