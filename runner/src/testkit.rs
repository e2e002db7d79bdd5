//! The runner's side of `commerce_testkit`: one ephemeral Postgres for the whole run, passed
//! to every test process as `DATABASE_URL`, and the kit's telemetry (request latencies,
//! idempotency violations, N+1 findings, the log rows failing tests touched) folded into the
//! report; the kit's load bursts join the report's `load` section.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use commerce_load::ScenarioReport;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::workspace::Workspace;

/// The crate whose users get a database and a telemetry directory.
const KIT_CRATE: &str = "commerce_testkit";

/// Upper bounds (ms) of the latency histogram's buckets; `+Inf` follows.
pub const LATENCY_BUCKETS_MS: [f64; 10] =
    [1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0];

/// What the run gives the test kit; dropping it stops the cluster.
#[derive(Debug)]
pub(crate) struct KitRun {
    /// `None` when `DATABASE_URL` names a server already, or Postgres could not start (the
    /// kit then says why in each test that needs it).
    cluster: Option<commerce_pg::Cluster>,
    dir: PathBuf,
}

impl KitRun {
    /// For a workspace that uses the kit: a fresh telemetry directory under `report_dir`, and
    /// a cluster unless `DATABASE_URL` is set. `None` for a workspace that does not.
    pub(crate) fn start(workspace: &Workspace, report_dir: &Path) -> Option<Self> {
        if !uses_kit(&workspace.metadata_json) {
            return None;
        }
        let dir = report_dir.join("testkit");
        let _ = std::fs::remove_dir_all(&dir);
        let database_set = std::env::var("DATABASE_URL").is_ok_and(|url| !url.trim().is_empty());
        let cluster = if database_set {
            None
        } else {
            commerce_pg::Binaries::find()
                .and_then(|binaries| commerce_pg::Cluster::start(&binaries))
                .ok()
        };
        Some(Self { cluster, dir })
    }

    /// The variables every test process gets.
    pub(crate) fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            // The kit writes into `<COMMERCE_RUN_DIR>/testkit/`.
            (
                "COMMERCE_RUN_DIR",
                self.dir.parent().unwrap_or(&self.dir).display().to_string(),
            ),
            // One name for the run's per-worker temp dirs, users and queues.
            ("COMMERCE_RUN_ID", format!("r{}", std::process::id())),
        ];
        if let Some(cluster) = &self.cluster {
            env.push(("DATABASE_URL", cluster.url("postgres")));
        }
        env
    }

    /// The events the kit wrote during the run.
    pub(crate) fn summary(&self) -> KitEvents {
        summarise(&self.dir)
    }
}

/// Whether any package of the build graph is the kit.
fn uses_kit(metadata_json: &str) -> bool {
    let Ok(metadata) = serde_json::from_str::<Value>(metadata_json) else {
        return false;
    };
    metadata["packages"]
        .as_array()
        .is_some_and(|packages| packages.iter().any(|package| package["name"] == KIT_CRATE))
}

/// What the kit saw during the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TestkitSummary {
    /// Latency per route template and method, sorted.
    pub routes: Vec<RouteLatency>,
    pub idempotency_violations: Vec<IdempotencyViolation>,
    pub n_plus_one: Vec<NPlusOne>,
    /// The side-effect log rows (`test_log.seq`) each failing test had read.
    pub failed_test_rows: Vec<FailedTestRows>,
    /// Every call of each auth matrix a test ran.
    #[serde(default)]
    pub auth_matrix: Vec<AuthCell>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthCell {
    pub test: String,
    /// `GET /orders/{id}`.
    pub operation: String,
    /// `anonymous`, a role, or `<role> (other tenant)`.
    pub caller: String,
    /// `2xx` or a status code.
    pub expected: String,
    pub actual: u16,
}

impl AuthCell {
    pub fn ok(&self) -> bool {
        if self.expected == "2xx" {
            (200..300).contains(&self.actual)
        } else {
            self.expected == self.actual.to_string()
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouteLatency {
    pub method: String,
    pub route: String,
    pub count: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    pub sum_ms: f64,
    /// Cumulative counts at each bound of [`LATENCY_BUCKETS_MS`], then `+Inf`.
    pub buckets: Vec<u64>,
    /// Answers with a 4xx or 5xx status, by status code.
    pub errors: BTreeMap<u16, u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyViolation {
    pub test: String,
    pub route: String,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NPlusOne {
    pub test: String,
    pub method: String,
    pub route: String,
    pub statement: String,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedTestRows {
    pub test: String,
    pub schema: String,
    pub log_seqs: Vec<i64>,
}

impl TestkitSummary {
    /// Adds another run's (a shard's) summary. Counts, sums, buckets and errors add up; the
    /// percentiles of a route seen by both are the larger of the two (an upper bound: the
    /// samples themselves are not kept).
    pub fn merge(&mut self, other: TestkitSummary) {
        for route in other.routes {
            match self
                .routes
                .iter_mut()
                .find(|kept| kept.method == route.method && kept.route == route.route)
            {
                Some(kept) => {
                    kept.count += route.count;
                    kept.sum_ms += route.sum_ms;
                    kept.p50_ms = kept.p50_ms.max(route.p50_ms);
                    kept.p95_ms = kept.p95_ms.max(route.p95_ms);
                    kept.max_ms = kept.max_ms.max(route.max_ms);
                    for (kept, added) in kept.buckets.iter_mut().zip(&route.buckets) {
                        *kept += added;
                    }
                    for (status, count) in route.errors {
                        *kept.errors.entry(status).or_default() += count;
                    }
                }
                None => self.routes.push(route),
            }
        }
        self.routes
            .sort_by(|a, b| (&a.route, &a.method).cmp(&(&b.route, &b.method)));
        self.idempotency_violations
            .extend(other.idempotency_violations);
        self.n_plus_one.extend(other.n_plus_one);
        self.failed_test_rows.extend(other.failed_test_rows);
        self.auth_matrix.extend(other.auth_matrix);
    }
}

/// What the kit wrote: its findings, and the bursts (`commerce_testkit::load`) that join the
/// report's `load` section.
#[derive(Debug, Default)]
pub(crate) struct KitEvents {
    /// `None` when it wrote nothing but bursts.
    pub(crate) summary: Option<TestkitSummary>,
    /// Each named `<test>: <burst>`, in the order of the test and burst names.
    pub(crate) bursts: Vec<ScenarioReport>,
}

/// Reads every `*.jsonl` the kit wrote in `dir`.
fn summarise(dir: &Path) -> KitEvents {
    let mut bursts = Bursts::default();
    let summary = summarise_into(dir, &mut bursts);
    KitEvents {
        summary,
        bursts: bursts.into_reports(),
    }
}

/// The bursts of the kit's events, each test's burst once: a test nextest retried ran its
/// bursts again, and the report keeps those of its last attempt (a burst run twice by one
/// attempt keeps its last run). The thresholds a test asserted on a burst join it.
#[derive(Default)]
struct Bursts {
    /// (test, burst) -> (attempt, figures).
    runs: BTreeMap<(String, String), (u64, ScenarioReport)>,
    /// (test, burst, attempt) -> the thresholds asserted, in the order asserted.
    asserted: Vec<((String, String, u64), commerce_load::Thresholds)>,
}

impl Bursts {
    fn run(&mut self, test: String, attempt: u64, burst: ScenarioReport) {
        let key = (test, burst.name.clone());
        let later = self.runs.get(&key).is_none_or(|(kept, _)| attempt >= *kept);
        if later {
            self.runs.insert(key, (attempt, burst));
        }
    }

    /// Named `<test>: <burst>`, sorted by that name.
    fn into_reports(self) -> Vec<ScenarioReport> {
        let Bursts { mut runs, asserted } = self;
        for ((test, burst, attempt), thresholds) in asserted {
            if let Some((kept, report)) = runs.get_mut(&(test, burst))
                && *kept == attempt
            {
                let own = &mut report.thresholds;
                own.p95_ms = thresholds.p95_ms.or(own.p95_ms);
                own.error_rate = thresholds.error_rate.or(own.error_rate);
            }
        }
        runs.into_iter()
            .map(|((test, _), (_, mut report))| {
                report.name = format!("{test}: {}", report.name);
                report
            })
            .collect()
    }
}

fn summarise_into(dir: &Path, bursts: &mut Bursts) -> Option<TestkitSummary> {
    // (route, method) -> (latencies, error counts by status).
    type Samples = (Vec<f64>, BTreeMap<u16, u64>);
    let mut samples: BTreeMap<(String, String), Samples> = BTreeMap::new();
    let mut summary = TestkitSummary::default();
    let mut any = false;
    // In name order: which of two equal runs is kept must not depend on the directory's order.
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    files.sort();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for event in text
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        {
            let field = |name: &str| event[name].as_str().unwrap_or_default().to_owned();
            let attempt = event["attempt"].as_u64().unwrap_or(1);
            if event["kind"] == "load" {
                if let Ok(burst) =
                    serde_json::from_value::<ScenarioReport>(event["scenario"].clone())
                {
                    bursts.run(field("test"), attempt, burst);
                }
                continue;
            }
            if event["kind"] == "load_thresholds" {
                if let Ok(thresholds) = serde_json::from_value(event["thresholds"].clone()) {
                    let key = (field("test"), field("burst"), attempt);
                    bursts.asserted.push((key, thresholds));
                }
                continue;
            }
            any = true;
            match event["kind"].as_str() {
                Some("request") => {
                    let (latencies, errors) = samples
                        .entry((field("route"), field("method")))
                        .or_default();
                    latencies.push(event["ms"].as_f64().unwrap_or_default());
                    let status = event["status"].as_u64().unwrap_or_default() as u16;
                    if status >= 400 {
                        *errors.entry(status).or_default() += 1;
                    }
                }
                Some("idempotency_violation") => {
                    summary.idempotency_violations.push(IdempotencyViolation {
                        test: field("test"),
                        route: field("route"),
                        detail: field("detail"),
                    });
                }
                Some("n_plus_one") => summary.n_plus_one.push(NPlusOne {
                    test: field("test"),
                    method: field("method"),
                    route: field("route"),
                    statement: field("statement"),
                    count: event["count"].as_u64().unwrap_or_default(),
                }),
                Some("auth_matrix") => {
                    for cell in event["cells"].as_array().into_iter().flatten() {
                        let text = |name: &str| cell[name].as_str().unwrap_or_default().to_owned();
                        summary.auth_matrix.push(AuthCell {
                            test: field("test"),
                            operation: text("operation"),
                            caller: text("caller"),
                            expected: text("expected"),
                            actual: cell["actual"].as_u64().unwrap_or_default() as u16,
                        });
                    }
                }
                Some("failed_test_rows") => summary.failed_test_rows.push(FailedTestRows {
                    test: field("test"),
                    schema: field("schema"),
                    log_seqs: event["log_seqs"]
                        .as_array()
                        .map(|seqs| seqs.iter().filter_map(Value::as_i64).collect())
                        .unwrap_or_default(),
                }),
                _ => {}
            }
        }
    }
    summary.routes = samples
        .into_iter()
        .map(|((route, method), (mut latencies, errors))| {
            latencies.sort_by(f64::total_cmp);
            let at = |quantile: f64| {
                let rank = ((latencies.len() as f64) * quantile).ceil() as usize;
                latencies[rank.clamp(1, latencies.len()) - 1]
            };
            let mut buckets: Vec<u64> = LATENCY_BUCKETS_MS
                .iter()
                .map(|bound| latencies.iter().filter(|ms| *ms <= bound).count() as u64)
                .collect();
            buckets.push(latencies.len() as u64);
            RouteLatency {
                method,
                route,
                count: latencies.len() as u64,
                p50_ms: at(0.50),
                p95_ms: at(0.95),
                max_ms: latencies.last().copied().unwrap_or_default(),
                sum_ms: latencies.iter().sum(),
                buckets,
                errors,
            }
        })
        .collect();
    summary
        .idempotency_violations
        .sort_by(|a, b| (&a.test, &a.route).cmp(&(&b.test, &b.route)));
    summary
        .n_plus_one
        .sort_by(|a, b| (&a.test, &a.route).cmp(&(&b.test, &b.route)));
    summary.failed_test_rows.sort_by(|a, b| a.test.cmp(&b.test));
    any.then_some(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_fold_into_percentiles_histograms_and_findings() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut lines = String::new();
        for ms in 1..=20 {
            let status = if ms == 20 { 500 } else { 200 };
            lines.push_str(&format!(
                "{{\"kind\":\"request\",\"test\":\"t\",\"method\":\"GET\",\"route\":\"/products/{{id}}\",\"status\":{status},\"ms\":{ms}}}\n"
            ));
        }
        lines.push_str("{\"kind\":\"n_plus_one\",\"test\":\"t\",\"method\":\"GET\",\"route\":\"/catalog\",\"statement\":\"SELECT 1\",\"count\":5}\n");
        lines.push_str("{\"kind\":\"idempotency_violation\",\"test\":\"t\",\"route\":\"/orders\",\"detail\":\"two orders\"}\n");
        lines.push_str("{\"kind\":\"failed_test_rows\",\"test\":\"t\",\"schema\":\"public\",\"log_seqs\":[3,4]}\n");
        lines.push_str("not json\n");
        std::fs::write(dir.path().join("1.jsonl"), lines).expect("writes");

        let summary = summarise(dir.path()).summary.expect("events");
        let route = &summary.routes[0];
        assert_eq!((route.route.as_str(), route.count), ("/products/{id}", 20));
        assert_eq!(
            (route.p50_ms, route.p95_ms, route.max_ms),
            (10.0, 19.0, 20.0)
        );
        assert_eq!(route.buckets, vec![1, 2, 5, 10, 20, 20, 20, 20, 20, 20, 20]);
        assert_eq!(route.errors, BTreeMap::from([(500, 1)]));
        assert_eq!(summary.n_plus_one[0].count, 5);
        assert_eq!(summary.idempotency_violations[0].detail, "two orders");
        assert_eq!(summary.failed_test_rows[0].log_seqs, vec![3, 4]);
    }

    fn summary() -> TestkitSummary {
        TestkitSummary {
            routes: vec![RouteLatency {
                method: "POST".to_owned(),
                route: "/orders".to_owned(),
                count: 3,
                p50_ms: 2.0,
                p95_ms: 4.0,
                max_ms: 4.0,
                sum_ms: 7.5,
                buckets: vec![0, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3],
                errors: BTreeMap::from([(409, 1)]),
            }],
            idempotency_violations: vec![IdempotencyViolation {
                test: "orders::replay".to_owned(),
                route: "/orders".to_owned(),
                detail: "two orders".to_owned(),
            }],
            n_plus_one: vec![NPlusOne {
                test: "catalog::list".to_owned(),
                method: "GET".to_owned(),
                route: "/catalog".to_owned(),
                statement: "SELECT stock FROM inventory WHERE sku = $1".to_owned(),
                count: 5,
            }],
            failed_test_rows: vec![FailedTestRows {
                test: "orders::replay".to_owned(),
                schema: "public".to_owned(),
                log_seqs: vec![3, 4],
            }],
            auth_matrix: vec![
                AuthCell {
                    test: "auth::matrix".to_owned(),
                    operation: "GET /tenants/{tenant}/orders".to_owned(),
                    caller: "anonymous".to_owned(),
                    expected: "401".to_owned(),
                    actual: 401,
                },
                AuthCell {
                    test: "auth::matrix".to_owned(),
                    operation: "GET /tenants/{tenant}/orders".to_owned(),
                    caller: "buyer (other tenant)".to_owned(),
                    expected: "404".to_owned(),
                    actual: 200,
                },
            ],
        }
    }

    #[test]
    fn the_report_shows_the_kits_findings_in_every_format() {
        let mut report = crate::report::fixtures::report();
        report.testkit = Some(summary());
        let markdown = crate::report::render_markdown(&report);
        assert!(
            markdown.contains("| POST /orders | 3 | 2.00 | 4.00 | 4.00 | 409×1 |"),
            "{markdown}"
        );
        assert!(
            markdown
                .contains("- **Idempotency violation** in `orders::replay` (/orders): two orders")
        );
        assert!(markdown.contains("- **N+1** in `catalog::list`: GET /catalog ran `SELECT stock FROM inventory WHERE sku = $1` 5 times"));
        assert!(
            markdown
                .contains("- `orders::replay` failed after reading `public.test_log` rows 3, 4")
        );
        assert!(
            markdown.contains("| GET /tenants/{tenant}/orders | ✓ 401 | ✗ 200≠404 |"),
            "{markdown}"
        );
        let metrics = crate::report::render_prometheus(&report);
        assert!(metrics.contains("# TYPE api_latency_ms histogram\n"));
        assert!(
            metrics
                .contains("api_latency_ms_bucket{route=\"/orders\",method=\"POST\",le=\"2\"} 2\n"),
            "{metrics}"
        );
        assert!(
            metrics.contains(
                "api_latency_ms_bucket{route=\"/orders\",method=\"POST\",le=\"+Inf\"} 3\n"
            )
        );
        assert!(metrics.contains("api_latency_ms_count{route=\"/orders\",method=\"POST\"} 3\n"));
        assert!(metrics.contains("api_error_total{route=\"/orders\",code=\"409\"} 1\n"));

        let schema: Value =
            serde_json::from_str(include_str!("../report.schema.json")).expect("JSON");
        let validator = jsonschema::validator_for(&schema).expect("a valid schema");
        let json = serde_json::to_value(&report).expect("serialises");
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        let read: crate::report::Report = serde_json::from_value(json).expect("reads back");
        assert_eq!(read.testkit, report.testkit);
    }

    #[test]
    fn shard_summaries_merge() {
        let mut merged = summary();
        merged.merge(summary());
        let route = &merged.routes[0];
        assert_eq!((route.count, route.sum_ms, route.p95_ms), (6, 15.0, 4.0));
        assert_eq!(route.buckets[1], 4);
        assert_eq!(route.errors[&409], 2);
        assert_eq!(merged.n_plus_one.len(), 2);
    }

    #[test]
    fn the_kits_bursts_join_the_load_section_named_after_their_test() {
        let dir = tempfile::tempdir().expect("tempdir");
        let scenarios = crate::report::fixtures::load_section().scenarios;
        let lines: String = scenarios
            .iter()
            .zip(["shop::catalog_burst", "shop::cart_burst"])
            .map(|(scenario, test)| {
                format!(
                    "{}\n",
                    serde_json::json!({ "kind": "load", "test": test, "scenario": scenario })
                )
            })
            .collect();
        std::fs::write(dir.path().join("7.jsonl"), lines).expect("writes");

        let events = summarise(dir.path());
        assert_eq!(events.summary, None, "bursts alone are no kit findings");
        let names: Vec<&str> = events.bursts.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "shop::cart_burst: cart \"quoted\"",
                "shop::catalog_burst: catalog"
            ]
        );
        assert_eq!(events.bursts[1].warm.latency_ms.p95, 12.0);

        // Beside the `[load]` scenarios, in the report's p95 table; a second shard's bursts add up.
        let mut report = crate::report::fixtures::report();
        report.load = Some(crate::report::fixtures::load_section());
        crate::load::add_bursts(&mut report.load, events.bursts.clone());
        let mut shard = crate::report::fixtures::report();
        crate::load::add_bursts(&mut shard.load, events.bursts[..1].to_vec());
        let config = commerce_project::GatesConfig::default();
        let inputs = crate::gates::GateInputs {
            config: &config,
            baseline: None,
            flaky_fails: false,
        };
        let merged = crate::merge::merge(vec![report, shard], None, inputs).expect("merges");
        let load = merged.load.as_ref().expect("a load section");
        assert_eq!(load.scenarios.len(), 5);
        let markdown = crate::report::render_markdown(&merged);
        assert!(
            markdown.contains("shop::catalog_burst: catalog"),
            "{markdown}"
        );
    }

    #[test]
    fn a_retried_tests_bursts_are_its_last_attempts_with_the_thresholds_it_asserted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let catalog = crate::report::fixtures::load_section().scenarios[0].clone();
        let mut slow = catalog.clone();
        slow.warm.latency_ms.p95 = 90.0;
        slow.thresholds = commerce_load::Thresholds::default();
        let mut fast = slow.clone();
        fast.warm.latency_ms.p95 = 20.0;
        let test = "shop::catalog_burst";
        let lines = |attempt: u64, report: &ScenarioReport| {
            let run = serde_json::json!({
                "kind": "load", "test": test, "attempt": attempt, "scenario": report,
            });
            let asserted = serde_json::json!({
                "kind": "load_thresholds", "test": test, "burst": "catalog", "attempt": attempt,
                "thresholds": { "p95_ms": 50.0 },
            });
            format!("{run}\n{asserted}\n")
        };
        // The first attempt (one process) failed its assertion; the retry (another process,
        // whose file sorts first) passed it.
        std::fs::write(dir.path().join("200.jsonl"), lines(1, &slow)).expect("writes");
        std::fs::write(dir.path().join("100.jsonl"), lines(2, &fast)).expect("writes");

        let bursts = summarise(dir.path()).bursts;
        assert_eq!(bursts.len(), 1, "{bursts:#?}");
        let kept = &bursts[0];
        assert_eq!(kept.name, "shop::catalog_burst: catalog");
        assert_eq!(kept.warm.latency_ms.p95, 20.0);
        assert_eq!(kept.thresholds.p95_ms, Some(50.0));
        assert!(kept.threshold_failures().is_empty());

        // Without the retry the failed attempt is the one reported, judged by what it asserted.
        std::fs::remove_file(dir.path().join("100.jsonl")).expect("removes");
        let bursts = summarise(dir.path()).bursts;
        assert_eq!(bursts[0].warm.latency_ms.p95, 90.0);
        assert_eq!(
            bursts[0].threshold_failures(),
            ["shop::catalog_burst: catalog: p95 90.0 ms is over its threshold of 50 ms"]
        );
    }

    #[test]
    fn no_events_no_summary() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(summarise(dir.path()).summary, None);
        assert_eq!(summarise(&dir.path().join("absent")).summary, None);
    }

    #[test]
    fn only_workspaces_that_use_the_kit_get_a_database() {
        assert!(uses_kit(
            r#"{"packages":[{"name":"shop"},{"name":"commerce_testkit"}]}"#
        ));
        assert!(!uses_kit(r#"{"packages":[{"name":"shop"}]}"#));
        assert!(!uses_kit("not json"));
    }
}
