//! `cargo commerce stub mail` over loopback, driven by real clients: Python's smtplib and
//! boto3's SESv2 client (installed by scripts/install-deps.sh into target/commerce/sdk-venv),
//! then SIGTERM and exit 0.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

/// The SDK venv's Python; a missing venv fails with the install hint.
fn sdk_python() -> PathBuf {
    let python = workspace_root().join("target/commerce/sdk-venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run bash scripts/install-deps.sh (it installs the pinned client SDKs of \
         scripts/sdk-requirements.txt)",
        python.display()
    );
    python
}

struct Stub {
    child: Child,
    http: String,
    smtp: String,
}

impl Stub {
    fn start(extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cargo-commerce"))
            .args([
                "stub",
                "mail",
                "--listen",
                "127.0.0.1:0",
                "--smtp",
                "127.0.0.1:0",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cargo-commerce starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut line = |prefix: &str| {
            let line = lines
                .next()
                .expect("the stub prints its addresses")
                .expect("stdout is text");
            line.strip_prefix(prefix)
                .unwrap_or_else(|| panic!("`{line}` does not start with `{prefix}`"))
                .to_owned()
        };
        let http = line("listening on http://");
        let smtp = line("listening on smtp://");
        Self { child, http, smtp }
    }

    /// SIGTERM, then the exit status and stderr.
    fn stop(mut self) -> (std::process::ExitStatus, String) {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(killed.success());
        let output = self.child.wait_with_output().expect("the stub exits");
        (
            output.status,
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

fn script(name: &str) -> PathBuf {
    workspace_root().join("testkit/tests/sdk").join(name)
}

fn check(output: &Output) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "the client script failed:\n{text}");
    assert!(!text.contains("FAILED"), "{text}");
}

#[test]
fn smtplib_sends_and_the_mailpit_api_shows_it() {
    let python = sdk_python();
    let stub = Stub::start(&["--max-message-size", "20000"]);
    let output = Command::new(python)
        .arg(script("mail_smtplib.py"))
        .args([&stub.smtp, &format!("http://{}", stub.http), "20000"])
        .output()
        .expect("python runs");
    let (status, stderr) = stub.stop();
    check(&output);
    assert!(
        status.success(),
        "SIGTERM ends the stub with 0: {status} {stderr}"
    );
}

#[test]
fn boto3_sesv2_sends_and_a_simulator_bounce_arrives_as_sns() {
    let python = sdk_python();
    // A free port for the script's receiver.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let webhook = format!("http://127.0.0.1:{port}/sns");
    let stub = Stub::start(&["--webhook-url", &webhook, "--seed", "7"]);
    let output = Command::new(python)
        .arg(script("mail_ses_boto3.py"))
        .args([&format!("http://{}", stub.http), &port.to_string()])
        .output()
        .expect("python runs");
    let (status, stderr) = stub.stop();
    check(&output);
    assert!(status.success(), "{status} {stderr}");
}

#[test]
fn a_taken_address_is_a_setup_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let addr = taken.local_addr().expect("its address").to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-commerce"))
        .args(["stub", "mail", "--listen", &addr, "--smtp", "127.0.0.1:0"])
        .output()
        .expect("cargo-commerce runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "cannot listen on {addr} for the mail stub's HTTP API"
        )),
        "{stderr}"
    );
}
