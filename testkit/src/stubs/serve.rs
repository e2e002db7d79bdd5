//! Serving a stub over loopback until SIGINT or SIGTERM, for `cargo commerce stub <name>`.

use std::net::SocketAddr;

use axum::Router;

/// Why a stub could not serve.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error(
        "cannot listen on {addr}: {source}\n  help: pick a free port, or port 0 for any (the stub prints the one it got)"
    )]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot wait for SIGINT/SIGTERM: {0}")]
    Signal(#[source] std::io::Error),
    #[error("the server on {addr} stopped: {source}")]
    Serve {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Binds `addr`, calls `listening` with the bound address (port 0 resolved), serves the
/// router `build` returns (called inside the runtime, so it may spawn background tasks such
/// as webhook delivery) until SIGINT or SIGTERM, then returns.
///
/// # Errors
/// When the address cannot be bound, or the runtime or signal handlers cannot start.
pub fn serve_until_signal(
    addr: &str,
    build: impl FnOnce() -> Router,
    listening: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind {
                addr: addr.to_owned(),
                source,
            })?;
        let bound = listener.local_addr().map_err(|source| ServeError::Bind {
            addr: addr.to_owned(),
            source,
        })?;
        let stop = shutdown_signal()?;
        let router = build();
        listening(bound);
        axum::serve(listener, router)
            .with_graceful_shutdown(stop)
            .await
            .map_err(|source| ServeError::Serve {
                addr: bound,
                source,
            })
    })?;
    // Background tasks (webhook retries) end with the runtime.
    runtime.shutdown_background();
    Ok(())
}

/// A future that resolves at SIGINT or SIGTERM (the handlers are installed now, so a signal
/// sent right after this returns is not lost).
///
/// # Errors
/// When the signal handlers cannot be installed.
#[cfg(unix)]
pub fn shutdown_signal() -> Result<impl Future<Output = ()>, ServeError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).map_err(ServeError::Signal)?;
    let mut terminate = signal(SignalKind::terminate()).map_err(ServeError::Signal)?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// A future that resolves at Ctrl-C.
///
/// # Errors
/// Never on this platform; the signature matches the unix one.
#[cfg(not(unix))]
pub fn shutdown_signal() -> Result<impl Future<Output = ()>, ServeError> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
