//! End-to-end tests of `cargo commerce contracts test`: the service's address and auth from
//! `[contracts]` in commerce.toml, flags over config, and setup errors that exit 2.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::JoinHandle;

const SPEC: &str = r#"openapi: 3.0.3
info: { title: Me, version: "1" }
paths:
  /me:
    get:
      responses:
        "200":
          description: The caller
          content:
            application/json:
              schema: { type: object, required: [name], properties: { name: { type: string } } }
"#;

/// A service that answers `GET /me` only to `Bearer s3cret` with `X-Api-Key: from-config`,
/// and 401 (which the spec does not declare) to anyone else; it serves one request.
fn serve_one() -> (u16, JoinHandle<()>) {
    serve_one_over(None)
}

/// [`serve_one`] over TLS with `tls`, or plain.
fn serve_one_over(tls: Option<native_tls::TlsAcceptor>) -> (u16, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().expect("an address").port();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("a connection");
        match tls {
            None => answer(stream),
            // A client that does not trust the certificate ends the handshake: nothing to
            // answer then.
            Some(tls) => {
                if let Ok(stream) = tls.accept(stream) {
                    answer(stream);
                }
            }
        }
    });
    (port, server)
}

fn answer(mut stream: impl Read + Write) {
    let mut headers = Vec::new();
    {
        let mut reader = BufReader::new(&mut stream);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            headers.push(line.trim().to_ascii_lowercase());
        }
    }
    let allowed = headers.contains(&"authorization: bearer s3cret".to_owned())
        && headers.contains(&"x-api-key: from-config".to_owned());
    let (status, body) = if allowed {
        ("200 OK", r#"{"name":"ada"}"#)
    } else {
        ("401 Unauthorized", r#"{"error":"who are you"}"#)
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).expect("answer");
    stream.flush().expect("flush");
}

/// A self-signed certificate for `127.0.0.1` (its own CA) made with the `openssl` command,
/// written to `dir` as `cert.pem` and `key.pem`, and a TLS acceptor serving it.
fn self_signed(dir: &Path) -> (PathBuf, native_tls::TlsAcceptor) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let status = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"])
        .args(["-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "the https tests make their certificate with the `openssl` command, which did not run ({error}): install it (Debian: apt-get install openssl)"
            )
        });
    assert!(
        status.status.success(),
        "openssl req failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let read = |path: &Path| std::fs::read(path).expect("openssl wrote it");
    let identity =
        native_tls::Identity::from_pkcs8(&read(&cert), &read(&key)).expect("a PKCS#8 identity");
    let acceptor = native_tls::TlsAcceptor::new(identity).expect("a TLS acceptor");
    (cert, acceptor)
}

fn project(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("openapi.yaml"), SPEC).expect("write spec");
    std::fs::write(dir.path().join("commerce.toml"), config).expect("write config");
    dir
}

/// Exit code and output of `contracts test`, the service's port (when there is one) masked.
fn contracts_test(dir: &Path, port: Option<u16>, extra: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-commerce"))
        .args(["contracts", "test", "--spec", "openapi.yaml", "--project"])
        .arg(dir)
        .args(extra)
        .env("SHOP_TOKEN", "s3cret")
        .env_remove("NOT_SET")
        .env("NO_COLOR", "1")
        .output()
        .expect("run cargo-commerce");
    let mut stderr = String::from_utf8(output.stderr).expect("UTF-8 stderr");
    if let Some(port) = port {
        stderr = stderr.replace(&format!(":{port}"), ":[port]");
    }
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 stdout");
    (
        output.status.code().expect("exited"),
        format!("{stderr}{stdout}"),
    )
}

fn config(port: u16) -> String {
    format!(
        "[contracts]\ntest_base_url = \"http://127.0.0.1:{port}\"\ntest_bearer_env = \"SHOP_TOKEN\"\ntest_headers = {{ \"X-Api-Key\" = \"from-config\" }}\n"
    )
}

#[test]
fn the_base_url_and_auth_come_from_commerce_toml() {
    let (port, server) = serve_one();
    let dir = project(&config(port));
    let (code, output) = contracts_test(dir.path(), Some(port), &[]);
    server.join().expect("the service thread ends");
    assert_eq!(code, 0, "{output}");
    assert!(
        output.contains("1 request(s) sent to http://127.0.0.1:[port]"),
        "{output}"
    );
}

#[test]
fn a_flag_overrides_its_config_key() {
    let (port, server) = serve_one();
    let dir = project(&config(port));
    let (code, output) = contracts_test(
        dir.path(),
        Some(port),
        &["--header", "X-Api-Key: from-flag"],
    );
    server.join().expect("the service thread ends");
    assert_eq!(code, 1, "the service refused the flag's key: {output}");
    insta::with_settings!({filters => vec![(r"\(\d+ ms\)", "([elapsed])")]}, {
        insta::assert_snapshot!(output);
    });
}

#[test]
fn setup_problems_exit_2_and_say_what_to_do() {
    let mut outputs = Vec::new();
    for (config, flags) in [
        ("[contracts]\nspecs = []\n", &[][..]),
        (
            "[contracts]\ntest_base_url = \"http://127.0.0.1:1\"\ntest_bearer_env = \"NOT_SET\"\n",
            &[],
        ),
        ("", &["--base-url", "ftp://shop.example"][..]),
        (
            "",
            &[
                "--base-url",
                "https://shop.example",
                "--cacert",
                "openapi.yaml",
            ][..],
        ),
        ("[contracts]\ntest_bearer = \"SHOP_TOKEN\"\n", &[]),
    ] {
        let dir = project(config);
        let (code, output) = contracts_test(dir.path(), None, flags);
        assert_eq!(code, 2, "{output}");
        outputs.push(output.replace(&dir.path().display().to_string(), "[project]"));
    }
    insta::assert_snapshot!(outputs.join("\n"));
}

#[test]
fn a_rule_turned_off_in_commerce_toml_is_off_for_contract_tests() {
    let (port, server) = serve_one();
    let dir = project(&format!(
        "[contracts]\ntest_base_url = \"http://127.0.0.1:{port}\"\n\n[rules]\n\"contracts/response-conformance\" = \"off\"\n"
    ));
    // No credentials: the service answers 401, which the spec does not declare.
    let (code, output) = contracts_test(dir.path(), Some(port), &["--format", "json"]);
    server.join().expect("the service thread ends");
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("\"diagnostics\": []"), "{output}");
}

fn https_config(port: u16) -> String {
    config(port).replace("http://", "https://")
}

#[test]
fn an_https_service_verifies_with_the_ca_from_cacert_or_ssl_cert_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, tls) = self_signed(dir.path());
    let project = project(&https_config(0));
    for via_env in [false, true] {
        let (port, server) = serve_one_over(Some(tls.clone()));
        std::fs::write(project.path().join("commerce.toml"), https_config(port)).expect("config");
        let mut command = Command::new(env!("CARGO_BIN_EXE_cargo-commerce"));
        command
            .args(["contracts", "test", "--spec", "openapi.yaml", "--project"])
            .arg(project.path())
            .env("SHOP_TOKEN", "s3cret");
        if via_env {
            command.env("SSL_CERT_FILE", &cert);
        } else {
            command.arg("--cacert").arg(&cert);
        }
        let output = command.output().expect("run cargo-commerce");
        server.join().expect("the service thread ends");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stderr),
            String::from_utf8_lossy(&output.stdout)
        );
        assert_eq!(output.status.code(), Some(0), "via_env {via_env}: {text}");
        assert!(
            text.contains(&format!("1 request(s) sent to https://127.0.0.1:{port}")),
            "{text}"
        );
    }
}

#[test]
fn a_certificate_that_does_not_verify_and_a_refused_connection_say_what_to_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_, tls) = self_signed(dir.path());
    let (port, server) = serve_one_over(Some(tls));
    let project = project(&https_config(port));
    // Trust no CA at all but the system's, which never signed this certificate.
    let (code, untrusted) = contracts_test(project.path(), Some(port), &[]);
    server.join().expect("the service thread ends");
    assert_eq!(code, 1, "{untrusted}");
    assert!(
        untrusted.contains(&format!("TLS with 127.0.0.1:{port} failed"))
            && untrusted.contains("certificate verify failed")
            && untrusted.contains("pass that CA with --cacert FILE (or SSL_CERT_FILE)"),
        "{untrusted}"
    );
    let closed = TcpListener::bind("127.0.0.1:0")
        .expect("a port")
        .local_addr()
        .expect("an address")
        .port();
    let project = project_with_port(closed);
    let (code, refused) = contracts_test(project.path(), Some(closed), &[]);
    assert_eq!(code, 1, "{refused}");
    assert!(
        refused.contains(&format!(
            "cannot connect to 127.0.0.1:{closed}: connection refused; is the service listening there?"
        )),
        "{refused}"
    );
}

fn project_with_port(port: u16) -> tempfile::TempDir {
    project(&config(port))
}
