//! [`HttpExchange`]: contract tests over HTTP/1.1, plain or TLS, to a service at a base URL, with
//! ureq and the system's TLS (native-tls on OpenSSL). Certificates verify against the system's
//! roots (which honour `SSL_CERT_FILE` and `SSL_CERT_DIR`), or against the CA certificates of
//! [`HttpOptions::ca_file`] alone, as curl's `--cacert` does.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig, TlsProvider};
use ureq::{Agent, Body};

use super::{Exchange, ProbeRequest};
use crate::conformance::ObservedResponse;

/// The largest response body read; past it the request fails rather than fill memory.
const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// How an [`HttpExchange`] connects.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    /// For each request, connection and answer together.
    pub timeout: Duration,
    /// A PEM file of CA certificates that alone verify an https service (say the CA of a
    /// staging service's self-signed certificate); `None`: the system's roots.
    pub ca_file: Option<PathBuf>,
}

/// Requests to a base URL (`https://staging.example.com/api`, `http://127.0.0.1:3000`).
#[derive(Debug)]
pub struct HttpExchange {
    agent: Agent,
    /// `scheme://authority/prefix`, without a trailing `/`; each request's target follows.
    base: String,
    /// `host:port`, for messages.
    authority: String,
    https: bool,
}

/// Why an [`HttpExchange`] cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum HttpSetupError {
    #[error(
        "`{url}` is not a usable base URL: {reason}; write it like http://127.0.0.1:3000 or https://staging.example.com/api"
    )]
    Malformed { url: String, reason: &'static str },
    #[error("cannot read the CA certificates `{}`: {source}", path.display())]
    CaFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "`{}` holds no PEM certificate (`-----BEGIN CERTIFICATE-----`): pass the CA certificate that signed the service's, in PEM", path.display()
    )]
    NoCertificate { path: PathBuf },
}

impl HttpExchange {
    /// # Errors
    /// When `base_url` is not an `http://` or `https://` URL with a host, or the CA file
    /// cannot be read or holds no certificate.
    pub fn new(base_url: &str, options: &HttpOptions) -> Result<Self, HttpSetupError> {
        let error = |reason| HttpSetupError::Malformed {
            url: base_url.to_owned(),
            reason,
        };
        let (https, rest) = if let Some(rest) = base_url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = base_url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(error("it does not start with http:// or https://"));
        };
        let (authority, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let host = match authority.rsplit_once(':') {
            Some((host, port)) => {
                port.parse::<u16>()
                    .map_err(|_| error("the port is not a number"))?;
                host
            }
            None => authority,
        };
        if host.is_empty() {
            return Err(error("it names no host"));
        }
        let prefix = prefix.trim_matches('/');
        let scheme = if https { "https" } else { "http" };
        let base = if prefix.is_empty() {
            format!("{scheme}://{authority}")
        } else {
            format!("{scheme}://{authority}/{prefix}")
        };
        let root_certs = match &options.ca_file {
            Some(path) => RootCerts::Specific(Arc::new(ca_certificates(path)?)),
            None => RootCerts::PlatformVerifier,
        };
        let tls = TlsConfig::builder()
            .provider(TlsProvider::NativeTls)
            .root_certs(root_certs)
            .build();
        let agent = Agent::config_builder()
            .tls_config(tls)
            .timeout_global(Some(options.timeout))
            // Every status and every redirect is an answer to check against the spec.
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .new_agent();
        Ok(Self {
            agent,
            base,
            authority: authority.to_owned(),
            https,
        })
    }

    fn send(&self, request: &ProbeRequest) -> Result<ureq::http::Response<Body>, ureq::Error> {
        let mut builder = ureq::http::Request::builder()
            .method(request.method.as_str())
            .uri(format!("{}{}", self.base, request.target));
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        match &request.body {
            Some(body) => self.agent.run(builder.body(body.as_slice())?),
            None => self.agent.run(builder.body(())?),
        }
    }

    /// What went wrong, in words that say what to do.
    fn describe(&self, error: &ureq::Error) -> String {
        let authority = &self.authority;
        match error {
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => format!(
                "cannot connect to {authority}: connection refused; is the service listening there?"
            ),
            ureq::Error::HostNotFound => {
                format!("cannot connect to {authority}: the host name does not resolve")
            }
            ureq::Error::Timeout(_) => format!("{authority} did not answer in time"),
            ureq::Error::NativeTls(tls) if self.https => format!(
                "TLS with {authority} failed: {tls}; if its certificate is not signed by a CA \
                 this machine trusts, pass that CA with --cacert FILE (or SSL_CERT_FILE)"
            ),
            other => format!("talking to {authority}: {other}"),
        }
    }
}

impl Exchange for HttpExchange {
    fn exchange(&mut self, request: &ProbeRequest) -> Result<ObservedResponse, String> {
        let mut response = self.send(request).map_err(|error| self.describe(&error))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), value)
            })
            .collect();
        let mut body = Vec::new();
        response
            .body_mut()
            .as_reader()
            .take(MAX_BODY_BYTES)
            .read_to_end(&mut body)
            .map_err(|error| format!("reading the answer of {}: {error}", self.authority))?;
        Ok(ObservedResponse {
            status,
            headers,
            body,
        })
    }
}

/// The certificates of a PEM file.
fn ca_certificates(path: &Path) -> Result<Vec<Certificate<'static>>, HttpSetupError> {
    let pem = std::fs::read(path).map_err(|source| HttpSetupError::CaFile {
        path: path.to_owned(),
        source,
    })?;
    let certificates: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(certificate)) => Some(certificate),
            _ => None,
        })
        .collect();
    if certificates.is_empty() {
        return Err(HttpSetupError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(certificates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> HttpOptions {
        HttpOptions {
            timeout: Duration::from_secs(1),
            ca_file: None,
        }
    }

    #[test]
    fn base_urls() {
        let exchange = HttpExchange::new("http://127.0.0.1:3000/api/", &options()).expect("valid");
        assert_eq!(exchange.base, "http://127.0.0.1:3000/api");
        assert_eq!(exchange.authority, "127.0.0.1:3000");
        let tls = HttpExchange::new("https://shop.example", &options()).expect("https is fine");
        assert_eq!(
            (tls.base.as_str(), tls.https),
            ("https://shop.example", true)
        );
        assert_eq!(
            HttpExchange::new("ftp://shop", &options())
                .expect_err("not http")
                .to_string(),
            "`ftp://shop` is not a usable base URL: it does not start with http:// or https://; write it like http://127.0.0.1:3000 or https://staging.example.com/api"
        );
        assert!(HttpExchange::new("http://:80", &options()).is_err());
        assert!(HttpExchange::new("http://shop:eighty", &options()).is_err());
    }

    #[test]
    fn a_ca_file_must_hold_a_certificate() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let missing = dir.path().join("missing.pem");
        let with = |path: &Path| HttpOptions {
            ca_file: Some(path.to_owned()),
            ..options()
        };
        let error = HttpExchange::new("https://shop", &with(&missing)).expect_err("no file");
        assert!(
            error
                .to_string()
                .starts_with("cannot read the CA certificates"),
            "{error}"
        );
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").expect("writes");
        let error = HttpExchange::new("https://shop", &with(&empty)).expect_err("no certificate");
        assert!(
            error.to_string().contains("holds no PEM certificate"),
            "{error}"
        );
    }
}
