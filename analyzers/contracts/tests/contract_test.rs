//! Contract tests against the drifted demo shop of `fixtures/rules/contracts/contract-test`
//! (the same drifts as its `drifted_service.py`), through a hand-written `Exchange` and over
//! HTTP through `HttpExchange`: every planted drift is found, nothing else. (`in_process.rs`
//! runs the same spec against axum services through `TowerExchange`.)

mod demo_shop;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use commerce_contracts::conformance::ObservedResponse;
use commerce_contracts::contract_test::{
    Exchange, HttpExchange, HttpOptions, ProbeRequest, TestOptions, run_contract_tests,
};
use commerce_contracts::load::Loaded;

const ORDER: &str = r#"{"id": 1, "sku": "SKU-1", "total": 12.5, "coupon": null}"#;

/// The drifted shop: what `drifted_service.py` answers.
fn drifted_shop(method: &str, target: &str) -> (u16, &'static str, String, Vec<(String, String)>) {
    let path = target.split('?').next().unwrap_or(target);
    match (method, path) {
        ("GET", "/orders") => (200, "application/json", format!("[{ORDER}]"), Vec::new()),
        ("POST", "/orders") => (201, "application/json", ORDER.to_owned(), Vec::new()),
        ("GET", _) if path.starts_with("/orders/") => (
            200,
            "application/json",
            ORDER.replace("12.5", "\"12.50\""),
            Vec::new(),
        ),
        ("DELETE", _) => (
            500,
            "application/json",
            r#"{"error": "boom"}"#.to_owned(),
            Vec::new(),
        ),
        ("GET", "/health") => (200, "text/html", "<p>ok</p>".to_owned(), Vec::new()),
        ("GET", "/products") => (200, "application/json", "[{".to_owned(), Vec::new()),
        _ => (404, "application/json", "{}".to_owned(), Vec::new()),
    }
}

/// The shop called in process, recording what it was sent.
#[derive(Default)]
struct InProcess {
    seen: Vec<ProbeRequest>,
}

impl Exchange for InProcess {
    fn exchange(&mut self, request: &ProbeRequest) -> Result<ObservedResponse, String> {
        self.seen.push(request.clone());
        let (status, content_type, body, mut headers) =
            drifted_shop(&request.method, &request.target);
        headers.push(("content-type".to_owned(), content_type.to_owned()));
        Ok(ObservedResponse {
            status,
            headers,
            body: body.into_bytes(),
        })
    }
}

/// `kind method path` of each finding, sorted.
fn findings(loaded: &Loaded, exchange: &mut dyn Exchange) -> (usize, Vec<String>) {
    let options = TestOptions {
        headers: vec![("authorization".to_owned(), "Bearer test-token".to_owned())],
    };
    let report = run_contract_tests(loaded, exchange, &options);
    let mut found: Vec<String> = report
        .diagnostics
        .iter()
        .map(|diagnostic| {
            assert_eq!(diagnostic.rule, "contracts/response-conformance");
            assert_eq!(diagnostic.path, Path::new("openapi.yaml"));
            format!(
                "{} {} {}",
                diagnostic.data["kind"].as_str().unwrap_or("?"),
                diagnostic.data["method"].as_str().unwrap_or("?"),
                diagnostic.data["path"].as_str().unwrap_or("?")
            )
        })
        .collect();
    found.sort();
    (report.requests, found)
}

/// Drift 2 (invalid requests accepted) once per invalid request the spec allows to build.
const PLANTED: [&str; 18] = [
    "body-invalid GET /orders/{id}",
    "body-not-json GET /products",
    "invalid-request-accepted DELETE /orders/{id}",
    "invalid-request-accepted DELETE /orders/{id}",
    "invalid-request-accepted GET /orders",
    "invalid-request-accepted GET /orders",
    "invalid-request-accepted GET /orders/{id}",
    "invalid-request-accepted GET /orders/{id}",
    "invalid-request-accepted GET /products",
    "invalid-request-accepted GET /products",
    "invalid-request-accepted POST /orders",
    "invalid-request-accepted POST /orders",
    "invalid-request-accepted POST /orders",
    "invalid-request-accepted POST /orders",
    "invalid-request-accepted POST /orders",
    "missing-header GET /orders",
    "undeclared-content-type GET /health",
    "undeclared-status DELETE /orders/{id}",
];

/// Six valid requests, one per operation, and thirteen invalid ones.
const REQUESTS: usize = 19;

#[test]
fn every_planted_drift_is_found_in_process() {
    let loaded = demo_shop::spec();
    let mut shop = InProcess::default();
    let (requests, found) = findings(&loaded, &mut shop);
    assert_eq!(found, PLANTED);
    assert_eq!(requests, REQUESTS);
    // The valid requests come from the spec's examples: the parameter's (`id: 42`), the
    // schema's (`currency: GBP`) and the media type's (the order).
    let sent: Vec<String> = shop
        .seen
        .iter()
        .map(|request| {
            let body = String::from_utf8_lossy(request.body.as_deref().unwrap_or_default());
            format!("{} {} {body}", request.method, request.target)
        })
        .collect();
    insta::assert_snapshot!(sent.join("\n"));
    assert!(shop.seen.iter().all(|request| {
        request
            .headers
            .contains(&("authorization".to_owned(), "Bearer test-token".to_owned()))
    }));
}

/// Serves the drifted shop on a loopback port for exactly `requests` requests.
fn serve(requests: usize) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().expect("an address").port();
    let server = std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let mut parts = line.split_whitespace();
            let (method, target) = (
                parts.next().unwrap_or("").to_owned(),
                parts.next().unwrap_or("").to_owned(),
            );
            let mut length = 0;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                    break;
                }
                if let Some((name, value)) = header.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let (status, content_type, body, _) = drifted_shop(&method, &target);
            let response = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (port, server)
}

#[test]
fn every_planted_drift_is_found_over_http() {
    let loaded = demo_shop::spec();
    let (port, server) = serve(REQUESTS);
    let options = HttpOptions {
        timeout: Duration::from_secs(5),
        ca_file: None,
    };
    let mut http =
        HttpExchange::new(&format!("http://127.0.0.1:{port}"), &options).expect("a base URL");
    let (requests, found) = findings(&loaded, &mut http);
    server.join().expect("the server thread ends");
    assert_eq!(requests, REQUESTS);
    assert_eq!(found, PLANTED);
}

#[test]
fn an_unreachable_service_is_a_finding_per_request_not_a_panic() {
    let loaded = demo_shop::spec();
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("a port")
        .local_addr()
        .expect("addr")
        .port();
    let options = HttpOptions {
        timeout: Duration::from_millis(200),
        ca_file: None,
    };
    let mut http =
        HttpExchange::new(&format!("http://127.0.0.1:{port}"), &options).expect("a base URL");
    let (requests, found) = findings(&loaded, &mut http);
    assert_eq!(found.len(), requests);
    assert!(
        found
            .iter()
            .all(|finding| finding.starts_with("no-response")),
        "{found:?}"
    );
}
