//! `report.md`: the CI step summary (GitHub renders it on the run's page), the sections of
//! [`View`] in Markdown.

use std::fmt::Write as _;

use super::Report;
use super::view::View;

const SLOWEST: usize = 10;

pub(super) fn render(report: &Report) -> String {
    let view = View::of(report, SLOWEST);
    let mut out = String::new();
    let _ = writeln!(out, "## cargo commerce test: {}\n", view.verdict);
    let _ = writeln!(
        out,
        "{} in {:.1} s (suite `{}`, seed {}{})\n",
        view.counts.join(", "),
        view.elapsed_s,
        view.suite,
        view.seed,
        view.shard
            .as_ref()
            .map(|shard| format!(", {shard}"))
            .unwrap_or_default(),
    );
    gates(&mut out, &view);
    failures(&mut out, &view);
    flaky(&mut out, &view);
    budget(&mut out, &view);
    areas(&mut out, report);
    durations(&mut out, &view);
    super::load::markdown(&mut out, report);
    drifts(&mut out, &view);
    routes(&mut out, &view);
    testkit(&mut out, report);
    analysis(&mut out, &view);
    out
}

/// Each auth matrix a test ran: operations down, callers across, `✓ 200` or `✗ 200≠404`.
fn auth_matrix(out: &mut String, kit: &crate::testkit::TestkitSummary) {
    let mut tests: Vec<&str> = kit
        .auth_matrix
        .iter()
        .map(|cell| cell.test.as_str())
        .collect();
    tests.dedup();
    for test in tests {
        let cells: Vec<_> = kit
            .auth_matrix
            .iter()
            .filter(|cell| cell.test == test)
            .collect();
        let mut callers: Vec<&str> = Vec::new();
        let mut operations: Vec<&str> = Vec::new();
        for cell in &cells {
            if !callers.contains(&cell.caller.as_str()) {
                callers.push(&cell.caller);
            }
            if !operations.contains(&cell.operation.as_str()) {
                operations.push(&cell.operation);
            }
        }
        let _ = writeln!(
            out,
            "\n### Auth matrix (`{test}`)\n\n| operation | {} |\n| --- |{}",
            callers.join(" | "),
            " --- |".repeat(callers.len())
        );
        for operation in operations {
            let row: Vec<String> = callers
                .iter()
                .map(|caller| {
                    cells
                        .iter()
                        .find(|cell| cell.operation == operation && cell.caller == *caller)
                        .map_or_else(String::new, |cell| {
                            if cell.ok() {
                                format!("✓ {}", cell.actual)
                            } else {
                                format!("✗ {}≠{}", cell.actual, cell.expected)
                            }
                        })
                })
                .collect();
            let _ = writeln!(out, "| {} | {} |", cell(operation), row.join(" | "));
        }
    }
}

/// The `[areas]` table: each area with its tests' counts.
fn areas(out: &mut String, report: &Report) {
    if report.areas.is_empty() {
        return;
    }
    out.push_str(
        "### Areas\n\n| area | tests | passed | failed | |\n| --- | ---: | ---: | ---: | --- |\n",
    );
    for area in &report.areas {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(&area.name),
            area.counts.total,
            area.counts.passed + area.counts.flaky,
            area.failed(),
            area.verdict(),
        );
    }
    out.push('\n');
}

/// The test kit's findings and the latency of the app's routes in its requests.
fn testkit(out: &mut String, report: &Report) {
    let Some(kit) = &report.testkit else { return };
    for violation in &kit.idempotency_violations {
        let _ = writeln!(
            out,
            "- **Idempotency violation** in `{}` ({}): {}",
            violation.test,
            violation.route,
            cell(&violation.detail)
        );
    }
    for finding in &kit.n_plus_one {
        let _ = writeln!(
            out,
            "- **N+1** in `{}`: {} {} ran `{}` {} times",
            finding.test,
            finding.method,
            finding.route,
            cell(&finding.statement),
            finding.count
        );
    }
    for rows in &kit.failed_test_rows {
        let seqs: Vec<String> = rows.log_seqs.iter().map(i64::to_string).collect();
        let _ = writeln!(
            out,
            "- `{}` failed after reading `{}.test_log` rows {}",
            rows.test,
            rows.schema,
            seqs.join(", ")
        );
    }
    if kit.idempotency_violations.is_empty() {
        let _ = writeln!(out, "- Idempotency violations: none");
    }
    auth_matrix(out, kit);
    if kit.routes.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n### API latency (test kit)\n\n| route | requests | p50 ms | p95 ms | max ms | errors |\n| --- | ---: | ---: | ---: | ---: | --- |"
    );
    for route in &kit.routes {
        let errors: Vec<String> = route
            .errors
            .iter()
            .map(|(code, count)| format!("{code}×{count}"))
            .collect();
        let _ = writeln!(
            out,
            "| {} {} | {} | {:.2} | {:.2} | {:.2} | {} |",
            route.method,
            cell(&route.route),
            route.count,
            route.p50_ms,
            route.p95_ms,
            route.max_ms,
            errors.join(" ")
        );
    }
    out.push('\n');
}

fn gates(out: &mut String, view: &View<'_>) {
    if view.gates.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "### Gates\n\n| gate | result | why |\n| --- | --- | --- |"
    );
    for gate in view.gates {
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

fn failures(out: &mut String, view: &View<'_>) {
    if view.failures.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Failures\n");
    for failure in &view.failures {
        let location = failure
            .location
            .as_ref()
            .map(|location| format!(" at `{location}`"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "- **{}** ({}){location}\n\n  ```text\n{}\n  ```\n\n  Replay: `{}`\n",
            inline(failure.test),
            failure.classification,
            indent(failure.message),
            failure.replay
        );
    }
}

fn flaky(out: &mut String, view: &View<'_>) {
    if view.flaky.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Flaky\n");
    for (test, attempts) in &view.flaky {
        let _ = writeln!(out, "- {} passed on attempt {attempts}", inline(test));
    }
    out.push('\n');
}

fn budget(out: &mut String, view: &View<'_>) {
    let Some(budget) = &view.over_budget else {
        return;
    };
    let _ = writeln!(
        out,
        "### Over budget\n\nThe suite took {:.1} s, over its budget of {:.1} s. Slowest tests:\n",
        budget.elapsed_s, budget.limit_s
    );
    timings(out, budget.slowest.iter());
}

fn durations(out: &mut String, view: &View<'_>) {
    if view.durations.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "### Durations (ms)\n\n| binary | tests | p50 | p95 | max |\n| --- | ---: | ---: | ---: | ---: |"
    );
    for row in view.durations {
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
    timings(out, view.slowest.iter().map(|slow| &slow.timing));
}

/// One `- test 12.3 ms` line a test, then a blank line.
fn timings<'t>(out: &mut String, timings: impl Iterator<Item = &'t super::Timing>) {
    for timing in timings {
        let _ = writeln!(
            out,
            "- {} {:.1} ms",
            inline(&timing.test),
            timing.duration_ms
        );
    }
    out.push('\n');
}

fn drifts(out: &mut String, view: &View<'_>) {
    if view.drifts.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Contract drift\n");
    for drift in view.drifts {
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

fn routes(out: &mut String, view: &View<'_>) {
    if view.failing_routes.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "### Failing routes\n\n| route | file | why |\n| --- | --- | --- |"
    );
    for route in &view.failing_routes {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            inline(&route.route),
            inline(&route.file),
            cell(route.reason.as_deref().unwrap_or_default())
        );
    }
    out.push('\n');
}

fn analysis(out: &mut String, view: &View<'_>) {
    let Some(analysis) = view.analysis else {
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

/// Text inside a table cell: no pipes or line breaks, and no `<` that GitHub would take for
/// the start of an HTML tag.
pub(super) fn cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('\n', " ")
        .replace('<', "&lt;")
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
