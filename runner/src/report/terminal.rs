//! The summary `cargo commerce test` prints: verdict line, failures with their replay
//! commands, flaky tests, the budget warning and every gate.

use std::fmt::Write as _;

use super::Report;

/// How many of the slowest tests an over-budget summary lists.
const SLOWEST: usize = 5;

/// Plain text, ending in a newline; the last line is the `N passed, N failed` count.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    if !report.failures.is_empty() {
        out.push_str("failures:\n");
        for failure in &report.failures {
            let classification = failure.classification.as_str();
            let location = failure
                .location
                .as_ref()
                .map(|location| {
                    format!(
                        " at {}:{}:{}",
                        location.path, location.line, location.column
                    )
                })
                .unwrap_or_default();
            let _ = writeln!(out, "  {} ({classification}){location}", failure.test);
            for line in failure.message.lines().take(6) {
                let _ = writeln!(out, "    {line}");
            }
            let _ = writeln!(out, "    replay: {}", failure.replay);
        }
        out.push('\n');
    }
    if !report.flaky.is_empty() {
        out.push_str("flaky (passed on retry):\n");
        for flaky in &report.flaky {
            let _ = writeln!(out, "  {} (attempt {})", flaky.test, flaky.attempts);
        }
        out.push('\n');
    }
    if let Some(budget) = report.budget.as_ref().filter(|budget| budget.over) {
        let _ = writeln!(
            out,
            "over budget: {:.1} s of {:.1} s; slowest tests:",
            budget.elapsed_ms as f64 / 1000.0,
            budget.limit_ms as f64 / 1000.0
        );
        for timing in budget.slowest.iter().take(SLOWEST) {
            let _ = writeln!(out, "  {:>9.1} ms  {}", timing.duration_ms, timing.test);
        }
        out.push('\n');
    }
    super::load::terminal(&mut out, report);
    if !report.gates.is_empty() {
        out.push_str("gates:\n");
        let width = report
            .gates
            .iter()
            .map(|gate| gate.gate.len())
            .max()
            .unwrap_or(0);
        for gate in &report.gates {
            let _ = writeln!(
                out,
                "  {}  {:width$}  {}",
                gate.status.as_str(),
                gate.gate,
                gate.why
            );
        }
        out.push('\n');
    }
    let summary = &report.summary;
    let verdict = if report.passed() { "PASS" } else { "FAIL" };
    let _ = writeln!(
        out,
        "test result: {verdict}. {:.1} s, suite {}, seed {}{}",
        report.run.elapsed_ms as f64 / 1000.0,
        report.run.suite,
        report.run.seed,
        report
            .run
            .shard
            .map(|shard| format!(", shard {shard}"))
            .unwrap_or_default()
    );
    let mut counts = format!(
        "{} passed, {} failed",
        summary.passed + summary.flaky,
        summary.failing()
    );
    for (count, label) in [
        (summary.skipped, "skipped"),
        (summary.flaky, "flaky"),
        (summary.not_run, "not run"),
    ] {
        if count > 0 {
            let _ = write!(counts, ", {count} {label}");
        }
    }
    out.push_str(&counts);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn the_summary_ends_with_the_counts() {
        let text = render(&fixtures::report());
        assert!(text.starts_with(
            "failures:\n  shop cart::discount_applies (assertion) at src/cart.rs:2:5\n"
        ));
        assert!(text.contains("    replay: COMMERCE_SEED=42 cargo commerce test"));
        assert!(text.contains("  FAIL  test  2 new failing tests"));
        assert!(text.contains(
            "over budget: 4.2 s of 1.0 s; slowest tests:\n     2003.0 ms  shop sync::inventory"
        ));
        assert!(text.contains("test result: FAIL. 4.2 s, suite fast, seed 42\n"));
        assert!(
            text.ends_with("\n3 passed, 2 failed, 1 skipped, 1 flaky\n"),
            "{text}"
        );
    }
}
