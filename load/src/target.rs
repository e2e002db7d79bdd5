//! Where requests go: a server over loopback HTTP/1.1 ([`HttpTarget`], keep-alive connections
//! of our own, no pool library) or an in-process tower service ([`ServiceTarget`], such as an
//! axum `Router`), behind one [`Target`] trait so both run on the same schedule.

use std::fmt::Display;
use std::future::Future;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, Uri};
use http_body::Body;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tower::Service;

/// A response as the driver needs it.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub status: StatusCode,
    pub body: Bytes,
    /// When the request was handed to a connection: the start a closed-loop tool measures from.
    pub sent_at: Instant,
}

/// Why a request got no response.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("no response within the timeout")]
    Timeout,
    #[error("the server closed the connection: {0}")]
    Closed(String),
    #[error("{0}")]
    Other(String),
}

impl Failure {
    /// The error kind in reports.
    pub const fn kind(&self) -> &'static str {
        match self {
            Failure::Connect(_) => "connect",
            Failure::Timeout => "timeout",
            Failure::Closed(_) => "closed",
            Failure::Other(_) => "other",
        }
    }
}

/// Something that answers requests: the driver's only view of the system under load.
pub trait Target: Clone + Send + Sync + 'static {
    /// Sends one request (path-only URI) and reads the whole response; `timeout` counts from
    /// the moment a connection takes it.
    fn send(
        &self,
        request: Request<Full<Bytes>>,
        timeout: Duration,
    ) -> impl Future<Output = Result<Exchange, Failure>> + Send;
}

/// Why an HTTP target cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("`{url}` is not an http:// URL with a host, e.g. http://127.0.0.1:3000")]
    BadUrl { url: String },
    #[error("`{url}`: only plain http:// is supported (no TLS); load a local server")]
    NotHttp { url: String },
    #[error("cannot resolve `{host}`: {reason}")]
    Resolve { host: String, reason: String },
    #[error(
        "`{host}` is not a loopback address; micro-load targets the local app. Pass --allow-remote to load another host on purpose"
    )]
    NotLoopback { host: String },
}

/// A server reached over HTTP/1.1 keep-alive connections, at most `connections` at once.
#[derive(Clone, Debug)]
pub struct HttpTarget {
    inner: Arc<HttpInner>,
}

#[derive(Debug)]
struct HttpInner {
    addr: SocketAddr,
    host: HeaderValue,
    /// The path prefix of the base URL (without a trailing `/`), put before every path.
    prefix: String,
    slots: Arc<Semaphore>,
    idle: Mutex<Vec<SendRequest<Full<Bytes>>>>,
    connect_timeout: Duration,
}

impl HttpTarget {
    /// A target for `base_url` (`http://host:port[/prefix]`).
    ///
    /// # Errors
    /// Not an `http://` URL, a host that does not resolve, or one that is not loopback
    /// without `allow_remote`.
    pub fn new(
        base_url: &str,
        connections: usize,
        allow_remote: bool,
    ) -> Result<Self, TargetError> {
        let bad = || TargetError::BadUrl {
            url: base_url.to_owned(),
        };
        let uri: Uri = base_url.parse().map_err(|_| bad())?;
        if uri.scheme_str() != Some("http") {
            return Err(if uri.scheme().is_some() {
                TargetError::NotHttp {
                    url: base_url.to_owned(),
                }
            } else {
                bad()
            });
        }
        let authority = uri.authority().ok_or_else(bad)?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let port = authority.port_u16().unwrap_or(80);
        let addrs: Vec<SocketAddr> = (host, port)
            .to_socket_addrs()
            .map_err(|error| TargetError::Resolve {
                host: host.to_owned(),
                reason: error.to_string(),
            })?
            .collect();
        let addr = addrs
            .iter()
            .find(|addr| addr.ip().is_loopback())
            .or_else(|| addrs.first().filter(|_| allow_remote))
            .copied();
        let addr = match addr {
            Some(addr) => addr,
            None if addrs.is_empty() => {
                return Err(TargetError::Resolve {
                    host: host.to_owned(),
                    reason: "no address".to_owned(),
                });
            }
            None => {
                return Err(TargetError::NotLoopback {
                    host: host.to_owned(),
                });
            }
        };
        Ok(Self {
            inner: Arc::new(HttpInner {
                addr,
                host: HeaderValue::from_str(authority.as_str()).map_err(|_| bad())?,
                prefix: uri.path().trim_end_matches('/').to_owned(),
                slots: Arc::new(Semaphore::new(connections.max(1))),
                idle: Mutex::new(Vec::new()),
                connect_timeout: Duration::from_secs(2),
            }),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }
}

impl HttpInner {
    async fn connection(&self) -> Result<SendRequest<Full<Bytes>>, Failure> {
        loop {
            let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
            let Some(mut sender) = idle else { break };
            // A connection the server closed while idle is replaced, not reported.
            if sender.ready().await.is_ok() {
                return Ok(sender);
            }
        }
        let stream = tokio::time::timeout(self.connect_timeout, TcpStream::connect(self.addr))
            .await
            .map_err(|_| Failure::Connect(format!("{} did not accept in time", self.addr)))?
            .map_err(|error| Failure::Connect(format!("{}: {error}", self.addr)))?;
        // Latency figures must not include Nagle's delay.
        stream
            .set_nodelay(true)
            .map_err(|error| Failure::Connect(error.to_string()))?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|error| Failure::Connect(error.to_string()))?;
        tokio::spawn(connection);
        Ok(sender)
    }
}

impl Target for HttpTarget {
    async fn send(
        &self,
        mut request: Request<Full<Bytes>>,
        timeout: Duration,
    ) -> Result<Exchange, Failure> {
        let inner = &self.inner;
        let _slot = inner
            .slots
            .acquire()
            .await
            .map_err(|_| Failure::Other("the connection pool is closed".to_owned()))?;
        if !inner.prefix.is_empty() {
            let path = format!("{}{}", inner.prefix, request.uri());
            *request.uri_mut() = path
                .parse()
                .map_err(|_| Failure::Other(format!("`{path}` is not a valid path")))?;
        }
        request
            .headers_mut()
            .entry(http::header::HOST)
            .or_insert_with(|| inner.host.clone());
        let mut sender = inner.connection().await?;
        let sent_at = Instant::now();
        let exchange = async {
            let response = sender.send_request(request).await.map_err(classify)?;
            read(response, sent_at, Failure::Closed).await
        };
        let result = tokio::time::timeout(timeout, exchange)
            .await
            .unwrap_or(Err(Failure::Timeout));
        // A timed-out or broken connection is dropped; a good one goes back for reuse.
        if result.is_ok()
            && !sender.is_closed()
            && let Ok(mut idle) = inner.idle.lock()
        {
            idle.push(sender);
        }
        result
    }
}

/// Reads the whole body; a body that breaks off is `broken`'s failure.
async fn read<B>(
    response: Response<B>,
    sent_at: Instant,
    broken: fn(String) -> Failure,
) -> Result<Exchange, Failure>
where
    B: Body,
    B::Error: Display,
{
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|error| broken(error.to_string()))?
        .to_bytes();
    Ok(Exchange {
        status,
        body,
        sent_at,
    })
}

/// A connection the server closed or reset is `closed`; anything else is `other`.
fn classify(error: hyper::Error) -> Failure {
    let reset = std::iter::successors(std::error::Error::source(&error), |source| source.source())
        .filter_map(|source| source.downcast_ref::<std::io::Error>())
        .any(|io| {
            matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::UnexpectedEof
            )
        });
    if reset || error.is_canceled() || error.is_incomplete_message() || error.is_closed() {
        Failure::Closed(error.to_string())
    } else {
        Failure::Other(error.to_string())
    }
}

/// An in-process tower service (an axum `Router`), called by at most `concurrency` requests at
/// once, like as many connections.
#[derive(Debug)]
pub struct ServiceTarget<S> {
    service: S,
    slots: Arc<Semaphore>,
}

impl<S: Clone> Clone for ServiceTarget<S> {
    fn clone(&self) -> Self {
        Self {
            service: self.service.clone(),
            slots: Arc::clone(&self.slots),
        }
    }
}

impl<S> ServiceTarget<S> {
    pub fn new(service: S, concurrency: usize) -> Self {
        Self {
            service,
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }
}

impl<S, B> Target for ServiceTarget<S>
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::Error: Display,
    B: Body + Send,
    B::Data: Send,
    B::Error: Display,
{
    async fn send(
        &self,
        request: Request<Full<Bytes>>,
        timeout: Duration,
    ) -> Result<Exchange, Failure> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| Failure::Other("the service is closed".to_owned()))?;
        let mut service = self.service.clone();
        std::future::poll_fn(|cx| service.poll_ready(cx))
            .await
            .map_err(|error| Failure::Other(error.to_string()))?;
        let sent_at = Instant::now();
        let exchange = async {
            let response = service
                .call(request)
                .await
                .map_err(|error| Failure::Other(error.to_string()))?;
            read(response, sent_at, Failure::Other).await
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .unwrap_or(Err(Failure::Timeout))
    }
}
