//! `cargo commerce stub`: the stubs over loopback, driven by the providers' real SDKs
//! (testkit/tests/sdk/, installed by scripts/install-deps.sh into target/commerce/sdk-venv).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The SDK venv's Python; a missing venv fails with the install hint.
fn python() -> PathBuf {
    let python = repo().join("target/commerce/sdk-venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run bash scripts/install-deps.sh (it installs the client SDKs of \
         scripts/sdk-requirements.txt)",
        python.display()
    );
    python
}

/// A running `cargo commerce stub …` and the base URL it printed.
struct Stub {
    child: Child,
    base: String,
}

impl Stub {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cargo-commerce"))
            .arg("stub")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start cargo-commerce");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the first line");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the stub printed `{line}`, not `listening on http://ADDR`"))
            .to_owned();
        assert!(!base.ends_with(":0"), "port 0 is resolved: {base}");
        Self { child, base }
    }

    /// SIGTERM, then the exit status (0 expected).
    fn stop(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the stub did not exit on SIGTERM"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A webhook receiver on loopback (plain HTTP/1.1, one request per connection).
/// Each webhook's body and headers (names lowercased).
type Hooks = Arc<Mutex<Vec<(String, Vec<(String, String)>)>>>;

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.as_str())
}

fn receiver() -> (String, Hooks) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the receiver");
    let url = format!("http://{}/hooks", listener.local_addr().expect("addr"));
    let got: Hooks = Arc::default();
    let keep = got.clone();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if let Some(hook) = read_post(stream) {
                keep.lock().expect("lock").push(hook);
            }
        }
    });
    (url, got)
}

fn read_post(mut stream: TcpStream) -> Option<(String, Vec<(String, String)>)> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let (mut length, mut headers) = (0, Vec::new());
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.to_ascii_lowercase();
            if name == "content-length" {
                length = value.trim().parse().ok()?;
            }
            headers.push((name, value.trim().to_owned()));
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    stream
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        .ok()?;
    Some((String::from_utf8(body).ok()?, headers))
}

fn run_script(script: &str, args: &[&str]) -> String {
    let output = Command::new(python())
        .arg(repo().join("testkit/tests/sdk").join(script))
        .args(args)
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "{script} {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

#[test]
fn stripes_sdk_pays_declines_authenticates_captures_refunds_and_verifies_webhooks() {
    let (url, hooks) = receiver();
    let stub = Stub::start(&[
        "stripe",
        "--listen",
        "127.0.0.1:0",
        "--webhook-url",
        &url,
        "--webhook-secret",
        "whsec_old",
        "--webhook-secret",
        "whsec_new",
        "--seed",
        "7",
    ]);
    let summary: serde_json::Value =
        serde_json::from_str(&run_script("stripe_flows.py", &["flows", &stub.base]))
            .expect("the summary is JSON");
    for flow in [
        "succeeded",
        "declined",
        "three_d_secure",
        "captured",
        "refund",
        "idempotent",
    ] {
        assert!(summary[flow].is_string(), "{flow} missing from {summary}");
    }

    let wanted = [
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "charge.failed",
        "payment_intent.requires_action",
        "payment_intent.amount_capturable_updated",
        "charge.captured",
        "charge.refunded",
        "refund.created",
    ];
    let deadline = Instant::now() + Duration::from_secs(20);
    let received = loop {
        let received = hooks.lock().expect("lock").clone();
        let types: Vec<String> = received
            .iter()
            .filter_map(|(body, _)| {
                let event: serde_json::Value = serde_json::from_str(body).ok()?;
                Some(event["type"].as_str()?.to_owned())
            })
            .collect();
        if wanted.iter().all(|kind| types.iter().any(|t| t == kind)) {
            break received;
        }
        assert!(Instant::now() < deadline, "webhooks missing: got {types:?}");
        thread::sleep(Duration::from_millis(50));
    };
    let file = tempfile::NamedTempFile::new().expect("temp file");
    let hooks: Vec<serde_json::Value> = received
        .iter()
        .map(|(payload, headers)| {
            serde_json::json!({ "payload": payload, "signature": header(headers, "stripe-signature") })
        })
        .collect();
    std::fs::write(file.path(), serde_json::to_vec(&hooks).expect("json")).expect("write");
    let verified: Vec<String> = serde_json::from_str(&run_script(
        "stripe_flows.py",
        &[
            "verify",
            &file.path().to_string_lossy(),
            "whsec_old",
            "whsec_new",
        ],
    ))
    .expect("the verified types are JSON");
    assert_eq!(verified.len(), received.len(), "every webhook verified");

    let status = stub.stop();
    assert_eq!(status.code(), Some(0), "SIGTERM exits 0");
}

/// A form POST to the Stripe stub over a fresh connection; the whole raw answer.
fn stripe_post(stub: &Stub, path: &str, body: &str) -> String {
    let address = stub.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("the stub accepts");
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nhost: {address}\r\nauthorization: Bearer sk_test_x\r\n\
         content-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    answer
}

#[test]
fn a_refusing_webhook_url_does_not_stop_the_stub() {
    let refusing = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let stub = Stub::start(&[
        "stripe",
        "--listen",
        "127.0.0.1:0",
        "--webhook-url",
        &format!("http://{refusing}/hooks"),
        "--webhook-secret",
        "whsec_a",
    ]);
    for _ in 0..3 {
        let answer = stripe_post(
            &stub,
            "/v1/payment_intents",
            "amount=1000&currency=usd&payment_method=pm_card_visa&confirm=true",
        );
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(stub.stop().code(), Some(0));
}

#[test]
fn an_address_in_use_is_a_setup_error() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-commerce"))
        .args([
            "stub",
            "stripe",
            "--listen",
            &taken.local_addr().expect("addr").to_string(),
        ])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot listen on"), "{stderr}");
}

#[test]
fn paypals_sdk_creates_approves_captures_and_refunds_an_order() {
    let (url, hooks) = receiver();
    let stub = Stub::start(&["paypal", "--listen", "127.0.0.1:0", "--webhook-url", &url]);
    let summary: serde_json::Value =
        serde_json::from_str(&run_script("paypal_flows.py", &[&stub.base])).expect("JSON");
    for flow in ["captured_order", "refund", "authorized_order"] {
        assert!(summary[flow].is_string(), "{flow} missing from {summary}");
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let received = hooks.lock().expect("lock").clone();
        let completed = received
            .iter()
            .find(|(body, _)| body.contains("\"PAYMENT.CAPTURE.COMPLETED\""));
        if let Some((_, headers)) = completed {
            for name in [
                "paypal-transmission-id",
                "paypal-transmission-time",
                "paypal-transmission-sig",
                "paypal-cert-url",
                "paypal-auth-algo",
            ] {
                assert!(
                    !header(headers, name).is_empty(),
                    "{name} missing: {headers:?}"
                );
            }
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no PAYMENT.CAPTURE.COMPLETED webhook: {received:?}"
        );
        thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(stub.stop().code(), Some(0));
}

/// The operations the Stripe stub implements, as Stripe's spec names them.
const STRIPE_OPERATIONS: &[(&str, &[&str])] = &[
    ("/v1/payment_intents", &["get", "post"]),
    ("/v1/payment_intents/{intent}", &["get", "post"]),
    ("/v1/payment_intents/{intent}/confirm", &["post"]),
    ("/v1/payment_intents/{intent}/capture", &["post"]),
    ("/v1/payment_intents/{intent}/cancel", &["post"]),
    ("/v1/charges", &["get"]),
    ("/v1/charges/{charge}", &["get"]),
    ("/v1/refunds", &["get", "post"]),
    ("/v1/refunds/{refund}", &["get"]),
    ("/v1/disputes", &["get"]),
    ("/v1/disputes/{dispute}", &["get", "post"]),
    ("/v1/disputes/{dispute}/close", &["post"]),
    ("/v1/events", &["get"]),
    ("/v1/events/{id}", &["get"]),
];

#[test]
fn contracts_test_finds_nothing_on_the_stripe_stub_against_stripes_spec() {
    let real = commerce_project::testing::corpus("openapi/real")
        .join("stripe-spec3-2022-04-01-d412983.json");
    let mut spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&real).expect("read Stripe's spec")).expect("JSON");
    let mut paths = serde_json::Map::new();
    for (path, methods) in STRIPE_OPERATIONS {
        let item = spec["paths"][*path]
            .as_object()
            .expect("the spec has the path")
            .clone();
        let kept = item
            .into_iter()
            .filter(|(key, _)| key == "parameters" || methods.contains(&key.as_str()))
            .collect();
        paths.insert((*path).to_owned(), serde_json::Value::Object(kept));
    }
    spec["paths"] = serde_json::Value::Object(paths);
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("stripe.json"),
        serde_json::to_vec(&spec).expect("JSON"),
    )
    .expect("write the spec");
    std::fs::write(dir.path().join("commerce.toml"), "").expect("write commerce.toml");

    let stub = Stub::start(&["stripe", "--listen", "127.0.0.1:0", "--seed", "3"]);
    // Objects in every state, so the list answers carry them to the schema check.
    for card in [
        "pm_card_visa",
        "pm_card_chargeDeclined",
        "pm_card_createDispute",
        "pm_card_authenticationRequired",
    ] {
        stripe_post(
            &stub,
            "/v1/payment_intents",
            &format!("amount=2000&currency=usd&confirm=true&payment_method={card}&metadata[k]=v"),
        );
    }
    stripe_post(
        &stub,
        "/v1/payment_intents",
        "amount=2000&currency=usd&confirm=true&payment_method=pm_card_visa&capture_method=manual",
    );
    let paid = stripe_post(
        &stub,
        "/v1/payment_intents",
        "amount=2000&currency=usd&confirm=true&payment_method=pm_card_visa",
    );
    let id = paid
        .split("\"id\": \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an id");
    let refund = stripe_post(
        &stub,
        "/v1/refunds",
        &format!("payment_intent={id}&amount=300"),
    );
    assert!(refund.starts_with("HTTP/1.1 200"), "{refund}");

    let output = Command::new(env!("CARGO_BIN_EXE_cargo-commerce"))
        .args([
            "contracts",
            "test",
            "--spec",
            "stripe.json",
            "--base-url",
            &stub.base,
        ])
        .args(["--header", "Authorization: Bearer sk_test_x", "--project"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run contracts test");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("No problems found"), "{text}");
    assert_eq!(stub.stop().code(), Some(0));
}
