//! What the engine calls for inbound requests and notifications.

use futures_util::future::BoxFuture;
use serde_json::value::RawValue;
use spate_protocol::{ErrorObject, Notification, Request, RequestId};
use tokio_util::sync::CancellationToken;

use super::PeerHandle;

/// Everything the engine knows about one inbound request.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The connection, to send notifications and requests back.
    pub peer: PeerHandle,
    /// The id of the request being handled.
    pub id: RequestId,
    /// Cancelled when the peer sends `notifications/cancelled` for this request or the
    /// connection shuts down; the response is then dropped.
    pub cancel: CancellationToken,
}

/// The role-specific logic behind a peer: a server's router or a client's handlers.
pub trait Handler: Send + Sync + 'static {
    /// Answers one request. Runs concurrently with other requests.
    fn on_request(
        &self,
        request: Request,
        context: RequestContext,
    ) -> BoxFuture<'static, Result<Box<RawValue>, ErrorObject>>;

    /// Takes one notification (other than cancellation and progress, which the engine routes).
    /// Notifications are handled in arrival order; keep this quick.
    fn on_notification(
        &self,
        notification: Notification,
        peer: &PeerHandle,
    ) -> BoxFuture<'static, ()>;

    /// Whether a JSON-RPC batch is acceptable now (only under 2025-03-26).
    fn accepts_batches(&self) -> bool {
        false
    }

    /// Whether `ping` goes to [`Handler::on_request`] like any request; otherwise the engine
    /// answers it at once with `{}` (a server that also speaks 2026-07-28, where `ping` is
    /// gone, decides per request).
    fn handles_ping(&self) -> bool {
        false
    }

    /// Called once when the connection has ended.
    fn on_close(&self) {}
}
