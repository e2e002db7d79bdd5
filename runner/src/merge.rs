//! `cargo commerce report merge`: shard reports combined into one, with counts, percentiles
//! and gates recomputed over every test.

use std::collections::BTreeMap;

use crate::error::RunnerError;
use crate::gates::{self, GateInputs};
use crate::report::{Findings, Report, RunnerKind, TestResult};

/// Combines `reports` (typically one per shard). A test in several reports keeps its worst
/// outcome. `findings`, when given, replace the shards' analysis (the analyzers run once, on
/// the whole project). Gates are judged again over the whole, against `inputs`.
///
/// # Errors
/// [`RunnerError::NothingToMerge`] for an empty list.
pub fn merge(
    reports: Vec<Report>,
    findings: Option<Findings>,
    inputs: GateInputs<'_>,
) -> Result<Report, RunnerError> {
    let mut reports = reports.into_iter();
    let mut merged = reports.next().ok_or(RunnerError::NothingToMerge)?;
    let mut count = 1;
    let mut tests: BTreeMap<String, TestResult> = merged
        .tests
        .drain(..)
        .map(|test| (test.id.clone(), test))
        .collect();
    for report in reports {
        count += 1;
        let run = &mut merged.run;
        run.elapsed_ms = run.elapsed_ms.max(report.run.elapsed_ms);
        run.started_unix_ms = run.started_unix_ms.min(report.run.started_unix_ms);
        run.interrupted |= report.run.interrupted;
        if run.runner == RunnerKind::None {
            run.runner = report.run.runner;
        }
        for test in report.tests {
            match tests.get(&test.id) {
                Some(kept) if kept.status >= test.status => {}
                _ => {
                    tests.insert(test.id.clone(), test);
                }
            }
        }
        merged.failures.extend(report.failures);
        merged.flaky.extend(report.flaky);
        merged.drifts.extend(report.drifts);
        // Only the first shard runs the `[load]` scenarios (see `run_tests`); any shard may
        // hold the test kit's bursts.
        if let Some(load) = report.load {
            match &mut merged.load {
                Some(kept) => kept.merge(load),
                None => merged.load = Some(load),
            }
        }
        if merged.routes.is_none() {
            merged.routes = report.routes;
        }
        match (&mut merged.testkit, report.testkit) {
            (Some(kept), Some(other)) => kept.merge(other),
            (kept @ None, other) => *kept = other,
            (Some(_), None) => {}
        }
        if merged.analysis.is_none() {
            merged.analysis = report.analysis;
        }
        if merged.change.is_none() {
            merged.change = report.change;
        }
        if let (Some(budget), Some(other)) = (merged.budget.as_mut(), report.budget) {
            budget.elapsed_ms = budget.elapsed_ms.max(other.elapsed_ms);
            budget.over |= other.over;
        }
    }
    merged.tests = tests.into_values().collect();
    // A failure reported by two shards (the same test selected twice) is listed once.
    merged.failures.sort_by(|a, b| a.test.cmp(&b.test));
    merged.failures.dedup_by(|a, b| a.test == b.test);
    merged.flaky.sort_by(|a, b| a.test.cmp(&b.test));
    merged.flaky.dedup_by(|a, b| a.test == b.test);
    merged.run.shard = None;
    merged.run.merged_from = count;
    merged.refresh_derived();
    let slowest = merged.slowest(10);
    if let Some(budget) = merged.budget.as_mut() {
        budget.slowest = slowest;
    }
    if let Some(findings) = findings {
        merged.apply(findings);
    }
    merged.gates = gates::evaluate(&merged, inputs);
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use commerce_project::{Gate, GatesConfig};

    use super::*;
    use crate::report::{GateStatus, Status, fixtures};
    use crate::shard::Shard;

    #[test]
    fn shards_merge_into_one_report_with_gates_judged_again() {
        let whole = fixtures::report();
        let (first_tests, second_tests): (Vec<_>, Vec<_>) = whole
            .tests
            .iter()
            .cloned()
            .partition(|test| test.name.starts_with("cart::"));
        let shard = |index, tests: Vec<TestResult>| {
            let mut report = whole.clone();
            report.run.shard = Some(Shard { index, total: 2 });
            report.run.elapsed_ms = 1000 * u64::from(index);
            report
                .failures
                .retain(|failure| tests.iter().any(|test| test.id == failure.test));
            report
                .flaky
                .retain(|flaky| tests.iter().any(|test| test.id == flaky.test));
            report.tests = tests;
            report.refresh_derived();
            report
        };
        let config = GatesConfig {
            fail_on: vec![Gate::Test],
            p95_regression_pct: 10.0,
        };
        let inputs = GateInputs {
            config: &config,
            baseline: None,
            flaky_fails: false,
        };
        let merged = merge(
            vec![shard(1, first_tests), shard(2, second_tests)],
            None,
            inputs,
        )
        .expect("merged");
        assert_eq!(merged.summary, whole.summary);
        assert_eq!(merged.tests, whole.tests);
        assert_eq!(merged.failures.len(), 2);
        assert_eq!(merged.p95, whole.p95);
        assert_eq!(merged.run.merged_from, 2);
        assert_eq!(merged.run.shard, None);
        assert_eq!(merged.run.elapsed_ms, 2000);
        assert_eq!(merged.gates[0].status, GateStatus::Fail);
    }

    #[test]
    fn a_test_in_two_reports_keeps_its_worst_outcome() {
        let passed = fixtures::report();
        let mut failed = passed.clone();
        for test in &mut failed.tests {
            test.status = Status::Failed;
        }
        let config = GatesConfig::default();
        let inputs = GateInputs {
            config: &config,
            baseline: None,
            flaky_fails: false,
        };
        let merged = merge(vec![passed, failed], None, inputs).expect("merged");
        assert!(merged.tests.iter().all(|test| test.status == Status::Failed
            || test.status == Status::TimedOut
            || test.status == Status::Skipped
            || test.status == Status::NotRun));
        assert!(matches!(
            merge(Vec::new(), None, inputs),
            Err(RunnerError::NothingToMerge)
        ));
    }

    #[test]
    fn the_analysis_of_the_merge_feeds_the_gates_the_shards_skipped() {
        let shard = fixtures::report();
        assert_eq!(shard.analysis, None);
        let config = GatesConfig {
            fail_on: vec![Gate::Analyzer, Gate::Render],
            p95_regression_pct: 10.0,
        };
        let inputs = GateInputs {
            config: &config,
            baseline: None,
            flaky_fails: false,
        };
        let analysed = fixtures::analysed_report();
        let findings = Findings {
            summary: analysed.analysis.clone().expect("analysis"),
            drifts: analysed.drifts.clone(),
            routes: analysed.routes.clone(),
        };
        let skipped = merge(vec![shard.clone()], None, inputs).expect("merged");
        assert!(
            skipped
                .gates
                .iter()
                .all(|gate| gate.status == GateStatus::Skip)
        );
        let merged = merge(vec![shard], Some(findings), inputs).expect("merged");
        assert_eq!(merged.routes, analysed.routes);
        assert_eq!(merged.drifts, analysed.drifts);
        let statuses: Vec<(&str, GateStatus)> = merged
            .gates
            .iter()
            .map(|gate| (gate.gate.as_str(), gate.status))
            .collect();
        assert_eq!(
            statuses,
            [("analyzer", GateStatus::Fail), ("render", GateStatus::Fail)]
        );
    }
}
