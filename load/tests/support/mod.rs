//! A small HTTP/1.1 server for the driver's tests, on a thread and runtime of its own (as a
//! real server would be): it answers at once, stalls for a known time from a given request
//! on, or closes every connection it accepts.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::time::Instant;

/// What the server does.
#[derive(Clone, Copy, Debug)]
pub enum Behaviour {
    /// Answers every request at once.
    Fast,
    /// From the `from`-th request on (0-based), holds every request that arrives in the next
    /// `stall` until that time is over.
    StallAt { from: u64, stall: Duration },
    /// Accepts connections and closes them without reading.
    CloseConnections,
}

/// A running server; stopped when dropped.
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start(behaviour: Behaviour) -> Self {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("server runtime");
            runtime.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
                ready_tx
                    .send(listener.local_addr().expect("addr"))
                    .expect("ready");
                let state = Arc::new(State {
                    behaviour,
                    count: AtomicU64::new(0),
                    stall_until: Mutex::new(None),
                });
                let accept = async {
                    loop {
                        let Ok((stream, _)) = listener.accept().await else {
                            continue;
                        };
                        if matches!(behaviour, Behaviour::CloseConnections) {
                            drop(stream);
                            continue;
                        }
                        let _ = stream.set_nodelay(true);
                        let state = Arc::clone(&state);
                        tokio::spawn(async move {
                            let service = hyper::service::service_fn(move |request| {
                                let state = Arc::clone(&state);
                                async move { state.answer(request).await }
                            });
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        });
                    }
                };
                tokio::select! {
                    () = accept => {}
                    _ = stopped => {}
                }
            });
        });
        let addr = ready_rx.recv().expect("the server started");
        Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct State {
    behaviour: Behaviour,
    count: AtomicU64,
    stall_until: Mutex<Option<Instant>>,
}

impl State {
    async fn answer(
        &self,
        request: Request<Incoming>,
    ) -> Result<Response<Full<Bytes>>, Infallible> {
        let number = self.count.fetch_add(1, Ordering::SeqCst);
        if let Behaviour::StallAt { from, stall } = self.behaviour {
            let until = {
                let mut until = self.stall_until.lock().expect("lock");
                if number == from {
                    *until = Some(Instant::now() + stall);
                }
                *until
            };
            if let Some(until) = until.filter(|until| *until > Instant::now()) {
                tokio::time::sleep_until(until).await;
            }
        }
        let body = match request.uri().path() {
            "/carts" => format!("{{\"id\": \"c{number}\"}}"),
            "/missing" => return Ok(status(StatusCode::NOT_FOUND)),
            _ => "{}".to_owned(),
        };
        Ok(Response::new(Full::new(Bytes::from(body))))
    }
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = code;
    response
}

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr")
}
