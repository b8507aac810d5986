//! What a client asks of the transport under it besides frames: the HTTP client needs to know
//! the era and the tools' header annotations, and every transport has its own way to end
//! (a child process is stopped, an HTTP session deleted). Transports implement
//! [`Connection`]; the client never names one.

use futures_util::future::BoxFuture;
use spate_protocol::Tool;

/// The transport-specific side of a client connection.
pub trait Connection: Send + Sync + std::fmt::Debug + 'static {
    /// The server's origin (`scheme://host[:port]`), under which the era found by an
    /// [`EraChoice::Auto`](super::EraChoice::Auto) probe is remembered; `None` when the
    /// transport has none.
    fn origin(&self) -> Option<String> {
        None
    }

    /// The era the client speaks from now on: 2026-07-28 (`true`) or a legacy version.
    fn set_modern(&self, _modern: bool) {}

    /// A tool the server listed, seen in the modern era. `Err(why)` when it cannot be called
    /// correctly over this connection; the client then leaves it out of the list.
    fn learn_tool(&self, _tool: &Tool) -> Result<(), String> {
        Ok(())
    }

    /// Ends the connection (a child process: close its stdin, then SIGTERM, then SIGKILL;
    /// HTTP: stop the streams and DELETE the session).
    fn close(self: Box<Self>) -> BoxFuture<'static, ()>;

    /// The concrete connection, to reach what only it offers (see
    /// `Client::http` with the `http-client` feature).
    fn as_any(&self) -> &dyn std::any::Any;
}
