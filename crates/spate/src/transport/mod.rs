//! Transports: how frames travel between two peers. Each one turns its wire into the engine's
//! [`InboundFrame`](crate::engine::InboundFrame)s and writes its
//! [`OutboundFrame`](crate::engine::OutboundFrame)s back.
//!
//! - [`stdio`]: newline-delimited JSON-RPC over a child's or this process's stdin/stdout.
//! - [`http`]: Streamable HTTP and the old HTTP+SSE transport, as server and as client.

#[cfg(any(feature = "http-server", feature = "http-client"))]
pub mod http;
#[cfg(feature = "stdio")]
pub mod stdio;

/// How long a response waits, in a write of its own, when it directly follows a notification
/// of the same request (its last progress, typically).
///
/// The TypeScript SDK client handles a response at once but notifications a tick later, so a
/// progress notification that arrives in the same read as its response is dropped as
/// "unknown token": by the time the notification is handled, the response has already ended
/// the request and removed its progress handler. Giving the notification its own write and the
/// reader a moment costs only requests that reported something, and saves their last progress.
#[cfg(any(feature = "stdio", feature = "http-server"))]
pub(crate) const RESPONSE_SETTLE: std::time::Duration = std::time::Duration::from_millis(2);
