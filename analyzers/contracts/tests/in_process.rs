//! Contract tests against axum services run in process through `TowerExchange` (feature
//! `tower`), on the demo spec of `fixtures/rules/contracts/contract-test`: a shop that keeps
//! the spec yields nothing, a drifted one yields every planted drift at its spec line.

mod demo_shop;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use commerce_contracts::contract_test::{
    TestOptions, TestReport, TowerExchange, run_contract_tests,
};
use commerce_contracts::load::Loaded;
use commerce_diagnostics::LineIndex;
use serde::Deserialize;
use serde_json::{Value, json};

fn order(id: u32, sku: &str, total: f64) -> Value {
    json!({"id": id, "sku": sku, "total": total, "coupon": null})
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Shipping {
    Standard,
    Express,
}

#[derive(Deserialize)]
struct NewOrder {
    sku: String,
    quantity: u32,
    shipping: Shipping,
}

#[derive(Deserialize)]
enum Currency {
    #[serde(rename = "EUR")]
    Euro,
    #[serde(rename = "GBP")]
    Pound,
}

#[derive(Deserialize)]
struct ProductsQuery {
    currency: Currency,
}

/// The shop as the spec describes it: axum's extractors refuse what the spec forbids with
/// the 400 and 422 it declares.
fn conforming_shop() -> Router {
    async fn list(Query(query): Query<ListQuery>) -> Result<impl IntoResponse, StatusCode> {
        let limit = query.limit.unwrap_or(1);
        if limit == 0 {
            return Err(StatusCode::BAD_REQUEST);
        }
        let orders: Vec<Value> = (1..=limit.min(3))
            .map(|id| order(id, "SKU-1", 12.5))
            .collect();
        Ok(([("x-total-count", orders.len().to_string())], Json(orders)))
    }
    async fn create(Json(new): Json<NewOrder>) -> Result<impl IntoResponse, StatusCode> {
        if new.quantity == 0 || new.sku.chars().count() < 3 {
            return Err(StatusCode::UNPROCESSABLE_ENTITY);
        }
        let shipping = match new.shipping {
            Shipping::Standard => 0.0,
            Shipping::Express => 5.0,
        };
        let total = f64::from(new.quantity) * 12.5 + shipping;
        Ok((StatusCode::CREATED, Json(order(1, &new.sku, total))))
    }
    async fn find(Path(id): Path<u32>) -> Result<Json<Value>, StatusCode> {
        if id == 0 {
            return Err(StatusCode::NOT_FOUND);
        }
        Ok(Json(order(id, "SKU-1", 12.5)))
    }
    async fn cancel(Path(id): Path<String>) -> StatusCode {
        match id.parse::<u32>() {
            Ok(1..) => StatusCode::NO_CONTENT,
            _ => StatusCode::NOT_FOUND,
        }
    }
    async fn products(Query(query): Query<ProductsQuery>) -> Json<Value> {
        let currency = match query.currency {
            Currency::Euro => "EUR",
            Currency::Pound => "GBP",
        };
        Json(json!([{"sku": "SKU-1", "currency": currency}]))
    }
    Router::new()
        .route("/orders", get(list).post(create))
        .route("/orders/{id}", get(find).delete(cancel))
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/products", get(products))
}

/// The shop with drifts planted: the five of `drifted_service.py` that are about responses,
/// invalid requests accepted (no extractor checks them), and a DELETE whose extractor refuses a
/// bad id with a 400 the operation does not declare.
fn drifted_shop() -> Router {
    async fn list() -> Json<Value> {
        Json(json!([order(1, "SKU-1", 12.5)]))
    }
    async fn create(_body: String) -> impl IntoResponse {
        (StatusCode::CREATED, Json(order(1, "SKU-1", 12.5)))
    }
    async fn find(Path(_id): Path<String>) -> Json<Value> {
        Json(json!({"id": 1, "sku": "SKU-1", "total": "12.50", "coupon": null}))
    }
    async fn cancel(Path(_id): Path<u32>) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }
    async fn products(Query(_query): Query<ProductsQuery>) -> impl IntoResponse {
        ([("content-type", "application/json")], "[{")
    }
    Router::new()
        .route("/orders", get(list).post(create))
        .route("/orders/{id}", get(find).delete(cancel))
        .route(
            "/health",
            get(|| async { ([("content-type", "text/html")], "<p>ok</p>") }),
        )
        .route("/products", get(products))
}

fn run(loaded: &Loaded, service: Router) -> TestReport {
    let mut exchange = TowerExchange::new(service).expect("a runtime");
    run_contract_tests(loaded, &mut exchange, &TestOptions::default())
}

/// `line kind: message` of each finding, sorted, for a snapshot.
fn findings(loaded: &Loaded, report: &TestReport) -> String {
    let index = LineIndex::new(&loaded.spec.documents[0].text);
    let mut lines: Vec<String> = report
        .diagnostics
        .iter()
        .map(|diagnostic| {
            format!(
                "{:>3} {}: {}",
                index.source_range(diagnostic.range).start.line,
                diagnostic.data["kind"].as_str().unwrap_or("?"),
                diagnostic.message
            )
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

#[test]
fn a_conforming_service_yields_nothing() {
    let loaded = demo_shop::spec();
    let report = run(&loaded, conforming_shop());
    assert_eq!(findings(&loaded, &report), "");
    assert_eq!(
        report.requests, 19,
        "six valid requests and thirteen invalid ones"
    );
}

#[test]
fn every_planted_drift_is_found_at_its_spec_line() {
    let loaded = demo_shop::spec();
    let report = run(&loaded, drifted_shop());
    insta::assert_snapshot!(findings(&loaded, &report));
}

#[test]
fn a_test_already_inside_a_tokio_runtime_can_run_it() {
    let loaded = demo_shop::spec();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    // As from a `#[tokio::test]`: `block_on` inside `block_on` would panic.
    let report = runtime.block_on(async { run(&loaded, conforming_shop()) });
    assert_eq!(report.diagnostics.len(), 0, "{:#?}", report.diagnostics);
}

#[test]
fn a_panicking_handler_is_a_finding_not_a_crash() {
    async fn exploding() -> &'static str {
        panic!("health check exploded")
    }
    let loaded = demo_shop::spec();
    let report = run(&loaded, Router::new().route("/health", get(exploding)));
    let health: Vec<&str> = report
        .diagnostics
        .iter()
        .map(|diagnostic| diagnostic.message.as_str())
        .filter(|message| message.starts_with("GET /health"))
        .collect();
    assert_eq!(
        health,
        ["GET /health: no response: the service panicked: health check exploded"]
    );
}
