//! Baseline and gates: what fails the merge. Each `[gates] fail_on` entry is judged against
//! the baseline report (the base branch's `report.json`) and gets PASS, FAIL or SKIP with why.

use std::collections::{BTreeMap, BTreeSet};

use commerce_analysis::Analyzer;
use commerce_project::{Gate, GatesConfig};

use crate::report::{GateResult, GateStatus, Report, RouteResult, RouteStatus, Status};

/// A p95 must also grow by this much before it counts as a regression: the percentage of a
/// sub-millisecond p95 is noise.
pub const P95_NOISE_FLOOR_MS: f64 = 5.0;
/// How many names a verdict lists before "and N more".
const NAMES_SHOWN: usize = 5;

/// What the gates judge.
#[derive(Clone, Copy, Debug)]
pub struct GateInputs<'a> {
    pub config: &'a GatesConfig,
    pub baseline: Option<&'a Report>,
    /// `--flaky-fails`: a flaky test fails the run.
    pub flaky_fails: bool,
}

/// Every configured gate's verdict on `report`, in `fail_on` order, then `flaky` when asked.
pub fn evaluate(report: &Report, inputs: GateInputs<'_>) -> Vec<GateResult> {
    let mut seen = BTreeSet::new();
    let mut results: Vec<GateResult> = inputs
        .config
        .fail_on
        .iter()
        .filter(|gate| seen.insert(**gate))
        .map(|gate| match gate {
            Gate::Test => test_gate(report, inputs.baseline),
            Gate::P95 => p95_gate(report, inputs.baseline, inputs.config.p95_regression_pct),
            Gate::Analyzer => analyzer_gate(report, inputs.baseline),
            Gate::ContractDrift => drift_gate(report, inputs.baseline),
            Gate::Render => render_gate(report, inputs.baseline),
        })
        .collect();
    if inputs.flaky_fails {
        results.push(flaky_gate(report));
    }
    results
}

fn verdict(gate: &str, status: GateStatus, why: String) -> GateResult {
    GateResult {
        gate: gate.to_owned(),
        status,
        why,
    }
}

/// SKIP for a gate that judges the analyzers' findings when the run has none.
fn not_analysed(gate: &str, analysis: &str) -> GateResult {
    verdict(
        gate,
        GateStatus::Skip,
        format!("no {analysis} analysis in this run (`cargo commerce check` runs it)"),
    )
}

fn test_gate(report: &Report, baseline: Option<&Report>) -> GateResult {
    let failing: Vec<&str> = report
        .tests
        .iter()
        .filter(|test| test.status.is_failing())
        .map(|test| test.id.as_str())
        .collect();
    let Some(baseline) = baseline else {
        return if failing.is_empty() {
            verdict("test", GateStatus::Pass, passed_tests(report))
        } else {
            verdict(
                "test",
                GateStatus::Fail,
                format!(
                    "{} failing (no baseline, so every failure counts): {}",
                    count(failing.len(), "test", "tests"),
                    names(&failing)
                ),
            )
        };
    };
    let failing_before: BTreeSet<&str> = baseline
        .tests
        .iter()
        .filter(|test| test.status.is_failing())
        .map(|test| test.id.as_str())
        .collect();
    let (old, new): (Vec<&str>, Vec<&str>) =
        failing.iter().partition(|id| failing_before.contains(**id));
    if new.is_empty() {
        let why = if old.is_empty() {
            passed_tests(report)
        } else {
            format!(
                "no new failures ({} already failing on the baseline: {})",
                old.len(),
                names(&old)
            )
        };
        verdict("test", GateStatus::Pass, why)
    } else {
        verdict(
            "test",
            GateStatus::Fail,
            format!(
                "{} that passed or did not exist on the baseline: {}",
                count(new.len(), "new failing test", "new failing tests"),
                names(&new)
            ),
        )
    }
}

fn passed_tests(report: &Report) -> String {
    let ran = report
        .tests
        .iter()
        .filter(|test| matches!(test.status, Status::Passed | Status::Flaky))
        .count();
    format!("{} passed", count(ran, "test", "tests"))
}

/// Test durations and micro-load scenarios: a p95 that grew over the threshold against the
/// baseline, and (baseline or not) a scenario over its own `p95_ms`/`error_rate` or one that
/// could not run.
fn p95_gate(report: &Report, baseline: Option<&Report>, threshold_pct: f64) -> GateResult {
    let load_failures = load_threshold_failures(report);
    let Some(baseline) = baseline else {
        return match (&report.load, load_failures.is_empty()) {
            (_, false) => p95_failure(threshold_pct, Vec::new(), &load_failures),
            (Some(load), true) => verdict(
                "p95",
                GateStatus::Pass,
                format!(
                    "{} within {} thresholds; no baseline to compare p95 with",
                    count(load.scenarios.len(), "load scenario", "load scenarios"),
                    if load.scenarios.len() == 1 {
                        "its"
                    } else {
                        "their"
                    }
                ),
            ),
            (None, true) => verdict(
                "p95",
                GateStatus::Skip,
                "no baseline to compare with".to_owned(),
            ),
        };
    };
    let rows = |report: &'_ Report| -> Vec<(String, f64)> {
        let tests = report.p95.iter().map(|row| (row.group.clone(), row.p95_ms));
        let load = report
            .load
            .iter()
            .flat_map(|load| &load.scenarios)
            .map(|scenario| {
                (
                    format!("load {}", scenario.name),
                    scenario.warm.latency_ms.p95,
                )
            });
        tests.chain(load).collect()
    };
    let before: BTreeMap<String, f64> = rows(baseline).into_iter().collect();
    let regressions: Vec<(f64, String)> = rows(report)
        .into_iter()
        .filter_map(|(group, p95)| {
            let old = *before.get(&group)?;
            let grew = p95 - old;
            let pct = if old > 0.0 {
                grew / old * 100.0
            } else {
                f64::INFINITY
            };
            (grew > P95_NOISE_FLOOR_MS && pct > threshold_pct)
                .then(|| (pct, format!("{group} {old:.1} -> {p95:.1} ms (+{pct:.0}%)")))
        })
        .collect();
    if regressions.is_empty() && load_failures.is_empty() {
        return verdict(
            "p95",
            GateStatus::Pass,
            format!("no p95 grew by more than {threshold_pct}% (and {P95_NOISE_FLOOR_MS} ms)"),
        );
    }
    p95_failure(threshold_pct, regressions, &load_failures)
}

fn p95_failure(
    threshold_pct: f64,
    mut regressions: Vec<(f64, String)>,
    load_failures: &[String],
) -> GateResult {
    regressions.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut parts = Vec::new();
    if !regressions.is_empty() {
        let listed: Vec<&str> = regressions.iter().map(|(_, text)| text.as_str()).collect();
        parts.push(format!(
            "p95 regressed over {threshold_pct}%: {}",
            names(&listed)
        ));
    }
    if !load_failures.is_empty() {
        let listed: Vec<&str> = load_failures.iter().map(String::as_str).collect();
        parts.push(format!("load thresholds: {}", names(&listed)));
    }
    verdict("p95", GateStatus::Fail, parts.join("; "))
}

/// Scenarios over their own thresholds, and load that could not run at all.
fn load_threshold_failures(report: &Report) -> Vec<String> {
    let Some(load) = &report.load else {
        return Vec::new();
    };
    load.error
        .iter()
        .map(|error| format!("the load scenarios did not run: {error}"))
        .chain(
            load.scenarios
                .iter()
                .flat_map(|scenario| scenario.threshold_failures()),
        )
        .collect()
}

fn analyzer_gate(report: &Report, baseline: Option<&Report>) -> GateResult {
    let Some(analysis) = &report.analysis else {
        return not_analysed("analyzer", "static");
    };
    let known: BTreeSet<&str> = baseline
        .and_then(|baseline| baseline.analysis.as_ref())
        .map(|analysis| analysis.error_keys.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let new: Vec<&str> = analysis
        .error_keys
        .iter()
        .map(String::as_str)
        .filter(|key| !known.contains(key))
        .collect();
    if new.is_empty() {
        verdict(
            "analyzer",
            GateStatus::Pass,
            format!("no new analyzer errors ({} in total)", analysis.errors),
        )
    } else {
        verdict(
            "analyzer",
            GateStatus::Fail,
            format!(
                "{}: {}",
                count(new.len(), "new analyzer error", "new analyzer errors"),
                names(&new)
            ),
        )
    }
}

fn drift_gate(report: &Report, baseline: Option<&Report>) -> GateResult {
    if report.analysis.is_none() {
        return not_analysed("contract-drift", "static");
    }
    if !Analyzer::Contracts.is_available() {
        return verdict(
            "contract-drift",
            GateStatus::Skip,
            "the contracts analyzer is not built yet".to_owned(),
        );
    }
    let known: BTreeSet<(&str, &str, &str)> = baseline
        .map(|baseline| {
            baseline
                .drifts
                .iter()
                .map(|drift| {
                    (
                        drift.rule.as_str(),
                        drift.path.as_str(),
                        drift.message.as_str(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let new: Vec<String> = report
        .drifts
        .iter()
        .filter(|drift| drift.breaking)
        .filter(|drift| {
            !known.contains(&(
                drift.rule.as_str(),
                drift.path.as_str(),
                drift.message.as_str(),
            ))
        })
        .map(|drift| format!("{} in {}: {}", drift.rule, drift.path, drift.message))
        .collect();
    if new.is_empty() {
        verdict(
            "contract-drift",
            GateStatus::Pass,
            "no new breaking drift".to_owned(),
        )
    } else {
        let listed: Vec<&str> = new.iter().map(String::as_str).collect();
        verdict(
            "contract-drift",
            GateStatus::Fail,
            format!("new breaking drift: {}", names(&listed)),
        )
    }
}

/// New render failures: frontend routes that fail now and rendered (or did not exist) on the
/// baseline; without a baseline, every failing route.
fn render_gate(report: &Report, baseline: Option<&Report>) -> GateResult {
    let Some(routes) = &report.routes else {
        return not_analysed("render", "frontend");
    };
    let failing_before: Option<BTreeSet<String>> = baseline
        .and_then(|baseline| baseline.routes.as_ref())
        .map(|routes| {
            routes
                .iter()
                .filter(|route| route.status == RouteStatus::Fail)
                .map(RouteResult::key)
                .collect()
        });
    let failing: Vec<&RouteResult> = routes
        .iter()
        .filter(|route| route.status == RouteStatus::Fail)
        .collect();
    let (old, new): (Vec<&RouteResult>, Vec<&RouteResult>) = failing.iter().partition(|route| {
        failing_before
            .as_ref()
            .is_some_and(|before| before.contains(&route.key()))
    });
    if new.is_empty() {
        let why = if old.is_empty() {
            count(routes.len(), "route renders", "routes render")
        } else {
            format!(
                "no new render failures ({} already failing on the baseline: {})",
                old.len(),
                names(
                    &old.iter()
                        .map(|route| route.route.as_str())
                        .collect::<Vec<_>>()
                )
            )
        };
        return verdict("render", GateStatus::Pass, why);
    }
    let described: Vec<String> = new
        .iter()
        .map(|route| match &route.reason {
            Some(reason) => format!("{}: {reason}", route.key()),
            None => route.key(),
        })
        .collect();
    let listed: Vec<&str> = described.iter().map(String::as_str).collect();
    let what = if failing_before.is_some() {
        format!(
            "{} (routes that rendered or did not exist on the baseline)",
            count(new.len(), "new render failure", "new render failures")
        )
    } else {
        format!(
            "{} (no baseline routes, so every failure counts)",
            count(new.len(), "failing route", "failing routes")
        )
    };
    verdict(
        "render",
        GateStatus::Fail,
        format!("{what}: {}", names(&listed)),
    )
}

fn flaky_gate(report: &Report) -> GateResult {
    if report.flaky.is_empty() {
        return verdict("flaky", GateStatus::Pass, "no flaky tests".to_owned());
    }
    let flaky: Vec<&str> = report
        .flaky
        .iter()
        .map(|flaky| flaky.test.as_str())
        .collect();
    verdict(
        "flaky",
        GateStatus::Fail,
        format!(
            "{} (--flaky-fails): {}",
            count(flaky.len(), "flaky test", "flaky tests"),
            names(&flaky)
        ),
    )
}

fn count(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

fn names(names: &[&str]) -> String {
    let shown = names
        .iter()
        .take(NAMES_SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    match names.len().saturating_sub(NAMES_SHOWN) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{AnalysisSummary, fixtures};

    fn config(fail_on: &[Gate]) -> GatesConfig {
        GatesConfig {
            fail_on: fail_on.to_vec(),
            p95_regression_pct: 10.0,
        }
    }

    fn verdicts(report: &Report, baseline: Option<&Report>, fail_on: &[Gate]) -> Vec<GateResult> {
        let config = config(fail_on);
        evaluate(
            report,
            GateInputs {
                config: &config,
                baseline,
                flaky_fails: false,
            },
        )
    }

    fn judge(
        report: &Report,
        baseline: Option<&Report>,
        fail_on: &[Gate],
    ) -> Vec<(String, GateStatus)> {
        verdicts(report, baseline, fail_on)
            .into_iter()
            .map(|gate| (gate.gate, gate.status))
            .collect()
    }

    #[test]
    fn without_a_baseline_every_failure_counts_and_p95_is_skipped() {
        let report = fixtures::report();
        let config = config(&Gate::ALL);
        let gates = evaluate(
            &report,
            GateInputs {
                config: &config,
                baseline: None,
                flaky_fails: true,
            },
        );
        let summary: Vec<(&str, GateStatus)> = gates
            .iter()
            .map(|gate| (gate.gate.as_str(), gate.status))
            .collect();
        assert_eq!(
            summary,
            [
                ("test", GateStatus::Fail),
                ("contract-drift", GateStatus::Skip),
                ("render", GateStatus::Skip),
                ("p95", GateStatus::Skip),
                ("analyzer", GateStatus::Skip),
                ("flaky", GateStatus::Fail),
            ]
        );
        assert_eq!(
            gates[0].why,
            "2 tests failing (no baseline, so every failure counts): shop cart::discount_applies, shop sync::inventory <hangs> & \"quotes\""
        );
    }

    #[test]
    fn failures_already_on_the_baseline_are_not_new() {
        let report = fixtures::report();
        let gates = evaluate(
            &report,
            GateInputs {
                config: &config(&[Gate::Test]),
                baseline: Some(&report),
                flaky_fails: false,
            },
        );
        assert_eq!(gates[0].status, GateStatus::Pass);
        assert!(
            gates[0]
                .why
                .starts_with("no new failures (2 already failing"),
            "{}",
            gates[0].why
        );

        let mut baseline = report.clone();
        for test in &mut baseline.tests {
            test.status = Status::Passed;
        }
        assert_eq!(
            judge(&report, Some(&baseline), &[Gate::Test]),
            [("test".to_owned(), GateStatus::Fail)]
        );
    }

    fn p95_verdict(report: &Report, baseline: Option<&Report>) -> GateResult {
        verdicts(report, baseline, &[Gate::P95]).remove(0)
    }

    #[test]
    fn load_thresholds_are_judged_with_or_without_a_baseline() {
        let mut report = fixtures::report();
        report.load = Some(fixtures::load_section());
        let gate = p95_verdict(&report, None);
        assert_eq!(gate.status, GateStatus::Pass, "{}", gate.why);
        assert_eq!(
            gate.why,
            "2 load scenarios within their thresholds; no baseline to compare p95 with"
        );

        let load = report.load.as_mut().expect("load");
        load.scenarios[0].warm.latency_ms.p95 = 75.0;
        load.scenarios[0].warm.errors.rate = 0.02;
        let gate = p95_verdict(&report, None);
        assert_eq!(gate.status, GateStatus::Fail);
        assert_eq!(
            gate.why,
            "load thresholds: catalog: p95 75.0 ms is over its threshold of 50 ms, catalog: error rate 2.00% is over its threshold of 1.00%"
        );

        report.load = Some(crate::load::LoadSection {
            scenarios: Vec::new(),
            error: Some("the app did not start".to_owned()),
        });
        let gate = p95_verdict(&report, None);
        assert_eq!(gate.status, GateStatus::Fail);
        assert!(
            gate.why.contains("did not run: the app did not start"),
            "{}",
            gate.why
        );
    }

    /// A planted slowdown: the same scenario's warm p95 doubles against the baseline while
    /// staying under its own threshold, and only the regression check sees it.
    #[test]
    fn a_load_scenario_slower_than_on_the_baseline_fails_p95() {
        let mut baseline = fixtures::report();
        baseline.load = Some(fixtures::load_section());
        let mut report = baseline.clone();
        report.load.as_mut().expect("load").scenarios[0]
            .warm
            .latency_ms
            .p95 = 30.0;
        let gate = p95_verdict(&report, Some(&baseline));
        assert_eq!(gate.status, GateStatus::Fail, "{}", gate.why);
        assert_eq!(
            gate.why,
            "p95 regressed over 10%: load catalog 12.0 -> 30.0 ms (+150%)"
        );
        report.load.as_mut().expect("load").scenarios[0]
            .warm
            .latency_ms
            .p95 = 13.0;
        assert_eq!(
            p95_verdict(&report, Some(&baseline)).status,
            GateStatus::Pass
        );
    }

    #[test]
    fn p95_fails_only_above_the_threshold_and_the_noise_floor() {
        let baseline = fixtures::report();
        let mut slower = baseline.clone();
        for test in &mut slower.tests {
            test.duration_ms *= 1.5;
        }
        slower.refresh_derived();
        assert_eq!(
            judge(&slower, Some(&baseline), &[Gate::P95]),
            [("p95".to_owned(), GateStatus::Fail)]
        );
        // +5% is under the 10% threshold.
        let mut slightly = baseline.clone();
        for test in &mut slightly.tests {
            test.duration_ms *= 1.05;
        }
        slightly.refresh_derived();
        assert_eq!(
            judge(&slightly, Some(&baseline), &[Gate::P95]),
            [("p95".to_owned(), GateStatus::Pass)]
        );
        // Doubling a 2 ms p95 is under the noise floor.
        let mut tiny = baseline.clone();
        for test in &mut tiny.tests {
            test.duration_ms = 2.0;
        }
        tiny.refresh_derived();
        let mut doubled = tiny.clone();
        for test in &mut doubled.tests {
            test.duration_ms *= 2.0;
        }
        doubled.refresh_derived();
        assert_eq!(
            judge(&doubled, Some(&tiny), &[Gate::P95]),
            [("p95".to_owned(), GateStatus::Pass)]
        );
    }

    fn route(path: &str, status: RouteStatus) -> RouteResult {
        RouteResult {
            route: path.to_owned(),
            file: format!("web/app{path}/page.tsx"),
            kind: "page".to_owned(),
            status,
            reason: (status == RouteStatus::Fail).then(|| "no default export".to_owned()),
            render: None,
        }
    }

    #[test]
    fn render_fails_on_routes_that_fail_now_and_rendered_or_were_absent_before() {
        let mut report = fixtures::report();
        let render = |report: &Report, baseline: Option<&Report>| {
            verdicts(report, baseline, &[Gate::Render]).remove(0)
        };
        let skipped = render(&report, None);
        assert_eq!(skipped.status, GateStatus::Skip);
        assert!(
            skipped.why.starts_with("no frontend analysis"),
            "{}",
            skipped.why
        );

        report.routes = Some(vec![
            route("/", RouteStatus::Ok),
            route("/shop", RouteStatus::Fail),
        ]);
        let no_baseline = render(&report, None);
        assert_eq!(no_baseline.status, GateStatus::Fail);
        assert_eq!(
            no_baseline.why,
            "1 failing route (no baseline routes, so every failure counts): /shop (web/app/shop/page.tsx): no default export"
        );

        let mut baseline = report.clone();
        assert_eq!(render(&report, Some(&baseline)).status, GateStatus::Pass);
        assert_eq!(
            render(&report, Some(&baseline)).why,
            "no new render failures (1 already failing on the baseline: /shop)"
        );
        // It rendered on the baseline.
        baseline.routes = Some(vec![
            route("/", RouteStatus::Ok),
            route("/shop", RouteStatus::Ok),
        ]);
        let regressed = render(&report, Some(&baseline));
        assert_eq!(regressed.status, GateStatus::Fail);
        assert!(
            regressed.why.starts_with("1 new render failure (routes that rendered or did not exist on the baseline): /shop"),
            "{}",
            regressed.why
        );
        // It did not exist on the baseline.
        baseline.routes = Some(vec![route("/", RouteStatus::Ok)]);
        assert_eq!(render(&report, Some(&baseline)).status, GateStatus::Fail);

        report.routes = Some(vec![route("/", RouteStatus::Ok)]);
        let fine = render(&report, Some(&baseline));
        assert_eq!(
            (fine.status, fine.why.as_str()),
            (GateStatus::Pass, "1 route renders")
        );
    }

    #[test]
    fn only_new_analyzer_errors_fail() {
        let mut baseline = fixtures::report();
        baseline.analysis = Some(AnalysisSummary {
            errors: 1,
            warnings: 0,
            error_keys: vec!["tests/x|a.rs|old".to_owned()],
        });
        let mut report = baseline.clone();
        assert_eq!(
            judge(&report, Some(&baseline), &[Gate::Analyzer]),
            [("analyzer".to_owned(), GateStatus::Pass)]
        );
        if let Some(analysis) = report.analysis.as_mut() {
            analysis.error_keys.push("tests/x|b.rs|new".to_owned());
        }
        assert_eq!(
            judge(&report, Some(&baseline), &[Gate::Analyzer]),
            [("analyzer".to_owned(), GateStatus::Fail)]
        );
    }
}
