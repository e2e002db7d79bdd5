//! [`HttpExchange`]: contract tests over HTTP/1.1 to a service listening on this machine, with
//! a client of a few lines (no TLS: a service under test listens on plain HTTP locally, and an
//! in-process one needs no socket at all, see `TowerExchange`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::{Exchange, ProbeRequest};
use crate::conformance::ObservedResponse;

/// HTTP/1.1 over plain TCP to a base URL (`http://127.0.0.1:3000/api`); one connection per
/// request, closed by the server after it answers.
#[derive(Clone, Debug)]
pub struct HttpExchange {
    host: String,
    port: u16,
    prefix: String,
    timeout: Duration,
}

/// Why a base URL cannot be used.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlError {
    #[error(
        "`{0}` is an https URL, and contract tests speak plain HTTP/1.1 only (https is not supported): use the service's plain-http listener on this machine, e.g. http://127.0.0.1:3000, or run the contract tests in process from a Rust test with `commerce_contracts::contract_test::TowerExchange` (feature `tower`)"
    )]
    Https(String),
    #[error("`{url}` is not a usable base URL: {reason}; write it like http://127.0.0.1:3000")]
    Malformed { url: String, reason: &'static str },
}

impl HttpExchange {
    /// # Errors
    /// When `base_url` is not an `http://host[:port][/prefix]` URL (HTTPS is not supported:
    /// contract tests run against a local service).
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, BaseUrlError> {
        let error = |reason| BaseUrlError::Malformed {
            url: base_url.to_owned(),
            reason,
        };
        if base_url.starts_with("https://") {
            return Err(BaseUrlError::Https(base_url.to_owned()));
        }
        let rest = base_url
            .strip_prefix("http://")
            .ok_or_else(|| error("it does not start with http://"))?;
        let (authority, prefix) = rest
            .split_once('/')
            .map_or((rest, ""), |(authority, prefix)| (authority, prefix));
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse()
                    .map_err(|_| error("the port is not a number"))?,
            ),
            None => (authority, 80),
        };
        if host.is_empty() {
            return Err(error("it names no host"));
        }
        Ok(Self {
            host: host.to_owned(),
            port,
            prefix: format!("/{}", prefix.trim_matches('/'))
                .trim_end_matches('/')
                .to_owned(),
            timeout,
        })
    }
}

impl Exchange for HttpExchange {
    fn exchange(&mut self, request: &ProbeRequest) -> Result<ObservedResponse, String> {
        let address = format!("{}:{}", self.host, self.port);
        let mut stream = TcpStream::connect(&address)
            .map_err(|error| format!("cannot connect to {address}: {error}"))?;
        let io = |error: std::io::Error| format!("talking to {address}: {error}");
        stream.set_read_timeout(Some(self.timeout)).map_err(io)?;
        stream.set_write_timeout(Some(self.timeout)).map_err(io)?;
        let body = request.body.as_deref().unwrap_or_default();
        let mut head = format!(
            "{} {}{} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: {}\r\n",
            request.method,
            self.prefix,
            request.target,
            self.host,
            body.len()
        );
        for (name, value) in &request.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).map_err(io)?;
        stream.write_all(body).map_err(io)?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).map_err(io)?;
        parse_response(&raw).ok_or_else(|| format!("{address} did not answer with HTTP/1.x"))
    }
}

/// An HTTP/1.x response: status line, headers, and a body by length, chunks or to the end.
fn parse_response(raw: &[u8]) -> Option<ObservedResponse> {
    let split = raw.windows(4).position(|window| window == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Some(ObservedResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|window| window == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let exchange =
            HttpExchange::new("http://127.0.0.1:3000/api/", Duration::from_secs(1)).expect("valid");
        assert_eq!(
            (
                exchange.host.as_str(),
                exchange.port,
                exchange.prefix.as_str()
            ),
            ("127.0.0.1", 3000, "/api")
        );
        let bare = HttpExchange::new("http://localhost", Duration::from_secs(1)).expect("valid");
        assert_eq!((bare.port, bare.prefix.as_str()), (80, ""));
        let error =
            HttpExchange::new("https://shop.example", Duration::from_secs(1)).expect_err("https");
        assert_eq!(
            error,
            BaseUrlError::Https("https://shop.example".to_owned())
        );
        assert!(
            error.to_string().contains("https is not supported"),
            "{error}"
        );
        assert_eq!(
            HttpExchange::new("ftp://shop", Duration::from_secs(1))
                .expect_err("not http")
                .to_string(),
            "`ftp://shop` is not a usable base URL: it does not start with http://; write it like http://127.0.0.1:3000"
        );
        assert!(HttpExchange::new("http://:80", Duration::from_secs(1)).is_err());
    }

    #[test]
    fn responses_parse_by_length_and_by_chunks() {
        let plain = parse_response(
            b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n\r\n{\"a\":1}",
        )
        .expect("parses");
        assert_eq!(plain.status, 201);
        assert_eq!(plain.body, b"{\"a\":1}");
        let chunked = parse_response(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n").expect("parses");
        assert_eq!(chunked.body, b"{\"a\":1}");
        assert_eq!(parse_response(b"garbage"), None);
    }
}
