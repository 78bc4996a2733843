//! The accept loop: the router on hyper HTTP/1.1 connections, with the bounds a server facing
//! misbehaving clients needs and `axum::serve` does not set (it gives hyper no timer, so
//! hyper's header read timeout never fires there):
//! - a request head must arrive within [`HEADER_READ_TIMEOUT`] of its first byte, or the
//!   connection is closed (a client that sends its headers a byte a minute);
//! - at most [`MAX_CONNECTIONS`] connections at once; one more is closed as soon as it is
//!   accepted, before anything is read, so it costs no memory;
//! - an accept that fails (out of file descriptors) waits a moment and goes on, rather than
//!   ending the server.
//!
//! Request bodies have their own deadline and budget, in [`crate::limits`].

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// How long a client has to send a request's head, once it started.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections open at once. 10,000 long-polling activity workers and 1,000 API clients fit
/// with room to spare; the process's open-file limit must allow it (`switchback serve` raises
/// its soft limit to the hard one).
pub const MAX_CONNECTIONS: usize = 16_384;

/// Serves `router` on `listener` until `shutdown` completes, then lets the requests in flight
/// finish (a long poll answers when its wait ends) and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let (closing, closed) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                // EMFILE and friends: the connections open now must end first.
                tracing::warn!(%error, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            tracing::warn!(
                limit = MAX_CONNECTIONS,
                "too many connections: one closed at once"
            );
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let mut closed = closed.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                () = async { let _ = closed.wait_for(|closed| *closed).await; } => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    drop(listener);
    let _ = closing.send(true);
    // Every connection holds a permit until it ends.
    let _ = connections.acquire_many(MAX_CONNECTIONS as u32).await;
}
