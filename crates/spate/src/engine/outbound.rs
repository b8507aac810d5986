//! Where a peer's outgoing frames go: one path for every transport. A [`FrameSink`] takes
//! each frame; a bounded channel to a writer task (stdio, the HTTP client, in-memory pairs)
//! is one sink, and HTTP sessions store frames in the event log through another, with no
//! task or queue of their own.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use tokio::sync::mpsc;

use super::OutboundFrame;

/// Takes a peer's outgoing frames: each `send` puts the frame where it belongs (a writer's
/// queue, an event log, a response stream) before resolving, so the sender's order is kept.
pub trait FrameSink: Send + Sync + 'static {
    /// Stores one frame, waiting while the writer is behind; `false` when the connection has
    /// gone and it never will be written.
    fn send(&self, frame: OutboundFrame) -> BoxFuture<'_, bool>;

    /// Sends without waiting, best effort, where awaiting is not possible (drop guards). By
    /// default the send finishes on a task of its own.
    fn send_now(self: Arc<Self>, frame: OutboundFrame) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return; // no runtime left (process shutdown): the peer will not hear it
        };
        runtime.spawn(async move {
            self.send(frame).await;
        });
    }
}

/// A bounded channel to a writer task: sending waits while the writer is behind.
impl FrameSink for mpsc::Sender<OutboundFrame> {
    fn send(&self, frame: OutboundFrame) -> BoxFuture<'_, bool> {
        Box::pin(async move { mpsc::Sender::send(self, frame).await.is_ok() })
    }

    /// A full channel drops the frame.
    fn send_now(self: Arc<Self>, frame: OutboundFrame) {
        let _ = self.try_send(frame);
    }
}

/// The outgoing side of a peer.
#[derive(Clone)]
pub(crate) struct Outbound(pub(crate) Arc<dyn FrameSink>);

impl Outbound {
    /// Sends a frame; `false` once the connection has gone.
    pub(crate) async fn send(&self, frame: OutboundFrame) -> bool {
        self.0.send(frame).await
    }

    /// Sends without waiting for room, best effort.
    pub(crate) fn send_now(&self, frame: OutboundFrame) {
        self.0.clone().send_now(frame);
    }
}
