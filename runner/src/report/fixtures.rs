//! A report with one test of each outcome, shared by the renderers' tests.

use super::*;
use crate::failure::{Classification, Location};

fn test(binary_id: &str, kind: &str, name: &str, status: Status, duration_ms: f64) -> TestResult {
    TestResult {
        id: TestResult::id_of(binary_id, name),
        binary_id: binary_id.to_owned(),
        package: "shop".to_owned(),
        kind: kind.to_owned(),
        name: name.to_owned(),
        status,
        duration_ms,
        attempts: match status {
            Status::Flaky | Status::Failed | Status::TimedOut => 2,
            _ => 1,
        },
    }
}

pub(crate) fn report() -> Report {
    let mut report = Report {
        version: REPORT_VERSION,
        tool: Tool {
            name: "cargo-commerce".to_owned(),
            version: "0.1.0".to_owned(),
        },
        run: RunInfo {
            started_unix_ms: 1_700_000_000_000,
            elapsed_ms: 4_200,
            runner: RunnerKind::Nextest,
            suite: "fast".to_owned(),
            filterset: Some("kind(lib) | kind(bin) | kind(proc-macro)".to_owned()),
            seed: 42,
            retries: 1,
            shard: None,
            interrupted: false,
            replay: "cargo commerce test --seed 42 --retries 1".to_owned(),
            merged_from: 0,
        },
        summary: Counts::default(),
        tests: vec![
            test("shop", "lib", "cart::sums_prices", Status::Passed, 5.0),
            test("shop", "lib", "cart::flaky_checkout", Status::Flaky, 6.5),
            test("shop", "lib", "cart::discount_applies", Status::Failed, 95.25),
            test("shop", "lib", "sync::inventory <hangs> & \"quotes\"", Status::TimedOut, 2003.0),
            test("shop", "lib", "cart::ignored", Status::Skipped, 0.0),
            test("shop::checkout", "test", "pays", Status::Passed, 12.0),
        ],
        p95: Vec::new(),
        failures: vec![
            Failure {
                test: TestResult::id_of("shop", "cart::discount_applies"),
                binary_id: "shop".to_owned(),
                name: "cart::discount_applies".to_owned(),
                classification: Classification::Assertion,
                message: "assertion `left == right` failed: discount was not applied\n  left: 6\n right: 5".to_owned(),
                location: Some(Location {
                    path: "src/cart.rs".to_owned(),
                    line: 2,
                    column: 5,
                }),
                target_path: Some("src/lib.rs".to_owned()),
                output: "computing the discounted total\n".to_owned(),
                backtrace: Some("stack backtrace:\n   0: shop::cart::discount_applies".to_owned()),
                attempts: 2,
                replay: "COMMERCE_SEED=42 cargo commerce test --seed 42 -E 'binary_id(=shop) & test(=cart::discount_applies)'".to_owned(),
                diff: Some("diff --git a/src/cart.rs b/src/cart.rs\n-    6\n+    5\n".to_owned()),
                patch: None,
            },
            Failure {
                test: TestResult::id_of("shop", "sync::inventory <hangs> & \"quotes\""),
                binary_id: "shop".to_owned(),
                name: "sync::inventory <hangs> & \"quotes\"".to_owned(),
                classification: Classification::Timeout,
                message: "timed out (killed after the slow timeout)".to_owned(),
                location: None,
                target_path: Some("src/lib.rs".to_owned()),
                output: String::new(),
                backtrace: None,
                attempts: 2,
                replay: "cargo commerce test --seed 42 -E 'binary_id(=shop) & test(=sync::inventory)'".to_owned(),
                diff: None,
                patch: None,
            },
        ],
        flaky: vec![Flaky {
            test: TestResult::id_of("shop", "cart::flaky_checkout"),
            attempts: 2,
            failures: vec!["first attempt fails".to_owned()],
        }],
        budget: Some(Budget {
            limit_ms: 1_000,
            elapsed_ms: 4_200,
            over: true,
            slowest: Vec::new(),
        }),
        change: None,
        analysis: None,
        drifts: Vec::new(),
        routes: None,
        testkit: None,
        load: None,
        gates: vec![
            GateResult {
                gate: "test".to_owned(),
                status: GateStatus::Fail,
                why: "2 new failing tests: shop cart::discount_applies, shop sync::inventory".to_owned(),
            },
            GateResult {
                gate: "p95".to_owned(),
                status: GateStatus::Skip,
                why: "no baseline".to_owned(),
            },
        ],
        areas: Vec::new(),
    };
    report.set_areas(&std::collections::BTreeMap::from([
        ("cart".to_owned(), vec!["cart::".to_owned()]),
        ("checkout".to_owned(), vec!["shop::checkout".to_owned()]),
        ("returns".to_owned(), vec!["returns::".to_owned()]),
    ]));
    let slowest = report.slowest(3);
    if let Some(budget) = report.budget.as_mut() {
        budget.slowest = slowest;
    }
    report
}

/// [`report`] with the analyzers' findings of the same run, as `check` writes it.
pub(crate) fn analysed_report() -> Report {
    let mut report = report();
    report.analysis = Some(AnalysisSummary {
        errors: 1,
        warnings: 2,
        error_keys: vec![
            "migrations/ban-drop-table|migrations/0002.sql|dropping table `orders`".to_owned(),
        ],
    });
    report.drifts = vec![
        Drift {
            rule: "contracts/api-path-removed-without-deprecation".to_owned(),
            path: "openapi/shop.yaml".to_owned(),
            message: "GET /orders removed".to_owned(),
            breaking: true,
        },
        Drift {
            rule: "contracts/response-optional-property-added".to_owned(),
            path: "openapi/shop.yaml".to_owned(),
            message: "GET /cart: `note` added".to_owned(),
            breaking: false,
        },
    ];
    report.routes = Some(vec![
        RouteResult {
            route: "/".to_owned(),
            file: "web/app/page.tsx".to_owned(),
            kind: "page".to_owned(),
            status: RouteStatus::Ok,
            reason: None,
            render: None,
        },
        RouteResult {
            route: "/shop/[id]".to_owned(),
            file: "web/app/shop/[id]/page.tsx".to_owned(),
            kind: "page".to_owned(),
            status: RouteStatus::Fail,
            reason: Some("the module has no default export <Shop>".to_owned()),
            render: Some(RouteRender {
                status: RouteStatus::Fail,
                ms: 12,
            }),
        },
    ]);
    report
}

/// A micro-load section: `catalog` with a cold phase, a threshold and a stall in its
/// timeline, and `cart` with errors of every sort.
pub(crate) fn load_section() -> crate::load::LoadSection {
    use commerce_load::{
        DriverReport, Errors, Percentiles, PhaseReport, Problem, ScenarioReport, Thresholds,
        TimelinePoint,
    };
    let percentiles = |p95: f64| Percentiles {
        p50: p95 / 4.0,
        p90: p95 / 2.0,
        p95,
        p99: p95 * 1.5,
        max: p95 * 2.0,
    };
    let phase = |p95: f64, requests: u64| PhaseReport {
        achieved_rate: 100.0,
        requests,
        errors: Errors::default(),
        latency_ms: percentiles(p95),
        service_ms: percentiles(p95 / 2.0),
    };
    let point = |t_ms: f64, max_ms: f64| TimelinePoint {
        t_ms,
        requests: 10,
        errors: 0,
        p50_ms: max_ms / 4.0,
        p95_ms: max_ms / 2.0,
        max_ms,
    };
    let catalog = ScenarioReport {
        name: "catalog".to_owned(),
        target_rate: 100.0,
        warm: phase(12.0, 200),
        cold: Some(phase(40.0, 100)),
        duration_ms: 2000.0,
        warmup_ms: 1000.0,
        connections: 8,
        thresholds: Thresholds {
            p95_ms: Some(50.0),
            error_rate: Some(0.01),
        },
        driver: DriverReport::default(),
        timeline: vec![point(0.0, 80.0), point(1000.0, 30.0), point(2000.0, 20.0)],
        problems: Vec::new(),
    };
    let mut cart = ScenarioReport {
        name: "cart \"quoted\"".to_owned(),
        cold: None,
        warmup_ms: 0.0,
        thresholds: Thresholds::default(),
        ..catalog.clone()
    };
    cart.warm.errors = Errors {
        total: 3,
        rate: 0.015,
        by_status: [("503".to_owned(), 2)].into(),
        by_kind: [("timeout".to_owned(), 1)].into(),
        not_sent: 1,
    };
    cart.problems = vec![Problem {
        message: "`GET /carts/1`: no response within the timeout".to_owned(),
        count: 1,
    }];
    crate::load::LoadSection {
        scenarios: vec![catalog, cart],
        error: None,
    }
}
