//! What the stub tests share: a webhook receiver on loopback.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;

/// Every POST a [`receiver`] got: its headers and raw body, in arrival order.
pub type Received = Arc<Mutex<Vec<(http::HeaderMap, Bytes)>>>;

/// A receiver on loopback answering 200 to POSTs at `path` and keeping each one; returns the
/// URL to give a stub as its webhook URL.
pub async fn receiver(path: &str) -> (String, Received) {
    let got: Received = Arc::default();
    let keep = got.clone();
    let app = Router::new().route(
        path,
        post(move |headers: http::HeaderMap, body: Bytes| {
            let keep = keep.clone();
            async move {
                keep.lock().unwrap().push((headers, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}{path}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}
