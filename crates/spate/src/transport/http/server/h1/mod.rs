//! Spate's own HTTP/1.1 server side, which `McpHttp::serve` runs the router on.
//!
//! Why not hyper's: an MCP event hub holds thousands of response streams that are idle most
//! of the time, and hyper gives every connection an 8 KiB read buffer and an 8 KiB header
//! buffer for its whole life — more than the rest of an idle stream costs. Here a connection
//! whose response stream waits for its next event holds no buffer at all, and the events that
//! are ready are written together in one system call. The router is unchanged: requests are
//! `http::Request<axum::body::Body>`, so `McpHttp::router` still mounts in any axum server.
//!
//! Rules kept (RFC 9112): bodies by `Content-Length` or chunked, never both (400); any other
//! transfer coding 501; `Expect: 100-continue` answered before a body is read; requests on a
//! connection answered in order; `HEAD`, 1xx, 204 and 304 answered without a body; bodies of
//! unknown length chunked (HTTP/1.1) or ended by closing (HTTP/1.0); `Date` on every response.
//! Bounds: a head of at most 64 KiB and 100 fields (431), a body of at most
//! `HttpConfig::max_body_bytes` (413), the head and each body read within
//! `HttpConfig::request_timeout` (408), an idle connection closed after
//! `HttpConfig::idle_connection_timeout`. A client that closes its connection cancels the
//! request it waits on, as it did under hyper. HTTP/2 is not served (nor was it before).

mod chunked;
mod connection;
mod head;
mod response;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use http::StatusCode;

/// Largest request head accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// The bounds every connection keeps.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// Largest request body, decoded.
    pub max_body_bytes: usize,
    /// Longest wait for the rest of a head, or for more of a body, once it has begun.
    pub request_timeout: Duration,
    /// Longest wait for the next request on an idle connection.
    pub idle_timeout: Duration,
    /// Longest a write may make no progress before the connection is dropped.
    pub write_timeout: Duration,
}

/// Why a request was refused before it reached the router.
#[derive(Debug)]
pub(super) struct Rejection {
    /// The status answered.
    pub status: StatusCode,
    /// A short explanation, sent as the body.
    pub reason: &'static str,
}

impl Rejection {
    fn new(status: StatusCode, reason: &'static str) -> Self {
        Self { status, reason }
    }

    fn bad_request(reason: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, reason)
    }
}

/// Accepts connections on `listener` and serves each with `router` until the process ends;
/// `TCP_NODELAY` on every connection, so an event is never held back waiting for the next.
pub(super) async fn serve(listener: tokio::net::TcpListener, router: Router, limits: Limits) {
    let limits = Arc::new(limits);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                // Out of file descriptors, say: wait instead of spinning on the error.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("could not set TCP_NODELAY: {e}");
        }
        tokio::spawn(connection::run(stream, router.clone(), limits.clone()));
    }
}

/// Errors of one connection that leave the listener fine.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    )
}
