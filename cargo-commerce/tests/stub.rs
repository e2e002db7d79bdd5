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
    let address = stub.base.trim_start_matches("http://").to_owned();
    for _ in 0..3 {
        let mut stream = TcpStream::connect(&address).expect("the stub still accepts");
        let body = "amount=1000&currency=usd&payment_method=pm_card_visa&confirm=true";
        write!(
            stream,
            "POST /v1/payment_intents HTTP/1.1\r\nhost: {address}\r\nauthorization: Bearer sk_test_x\r\n\
             content-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("write");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
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
