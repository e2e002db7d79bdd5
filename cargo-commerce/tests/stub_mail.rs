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
    fn stop(self) -> (std::process::ExitStatus, String) {
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
    let stub = Stub::start(&["--max-message-size", "20000", "--smtp-auth-accept-any"]);
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

/// The npm SDK directory; a missing install fails with the install hint.
fn sdk_node() -> PathBuf {
    let dir = workspace_root().join("target/commerce/sdk-node");
    assert!(
        dir.join("node_modules/mailpit-api").exists(),
        "{} has no mailpit-api: run bash scripts/install-deps.sh (it installs the npm client SDKs \
         of scripts/sdk/package.json)",
        dir.display()
    );
    dir
}

/// Sends `data` over SMTP by hand (the protocol is what is under test elsewhere).
fn smtp_send(addr: &str, to: &str, data: &str) {
    use std::io::{BufRead as _, Write as _};
    let stream = std::net::TcpStream::connect(addr).expect("the SMTP server accepts");
    let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
    let mut writer = stream;
    let mut expect = |code: &str| {
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("a reply");
            assert!(line.starts_with(code), "expected {code}, got {line}");
            if line.as_bytes().get(3) != Some(&b'-') {
                break;
            }
        }
    };
    expect("220");
    for (command, code) in [
        ("EHLO test".to_owned(), "250"),
        ("MAIL FROM:<shop@example.com>".to_owned(), "250"),
        (format!("RCPT TO:<{to}>"), "250"),
        ("DATA".to_owned(), "354"),
        (format!("{data}\r\n."), "250"),
        ("QUIT".to_owned(), "221"),
    ] {
        writer
            .write_all(format!("{command}\r\n").as_bytes())
            .expect("the server reads");
        expect(code);
    }
}

#[test]
fn the_mailpit_api_npm_client_reads_the_mailbox() {
    let sdk = sdk_node();
    let stub = Stub::start(&[]);
    smtp_send(
        &stub.smtp,
        "ana@example.com",
        "From: Shop <shop@example.com>\r\nTo: ana@example.com\r\nSubject: Welcome\r\n\
         X-Message-Key: welcome-ana\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n\
         Content-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\n\
         Content-Type: text/plain\r\n\r\nHello Ana\r\n--a\r\nContent-Type: text/html\r\n\r\n\
         <p>Hello <b>Ana</b></p>\r\n--a--\r\n--m\r\nContent-Type: application/pdf\r\n\
         Content-Disposition: attachment; filename=invoice.pdf\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQ=\r\n--m--",
    );
    smtp_send(
        &stub.smtp,
        "bob@example.com",
        "From: shop@example.com\r\nTo: bob@example.com\r\nSubject: Receipt\r\n\r\nPaid.",
    );
    let output = Command::new("node")
        .arg(script("mail_mailpit_api.mjs"))
        .arg(&sdk)
        .arg(format!("http://{}", stub.http))
        .output()
        .expect("node runs (install Node.js 18 or later)");
    let (status, stderr) = stub.stop();
    check(&output);
    assert!(status.success(), "{status} {stderr}");
}
