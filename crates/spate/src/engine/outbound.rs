//! Where a peer's outgoing frames go: a bounded channel to a writer task (stdio, HTTP client,
//! in-memory pairs), or a [`FrameSink`] that stores each frame where it belongs at once
//! (HTTP sessions, whose frames go into the event log), with no task or queue of its own.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use tokio::sync::mpsc;

use crate::engine::OutboundFrame;

/// Takes a peer's outgoing frames without a queue of its own: each `send` puts the frame where
/// it belongs (an event log, a socket) before resolving, so the sender's order is kept.
pub trait FrameSink: Send + Sync + 'static {
    /// Stores one frame; `false` when the connection has gone and it never will be written.
    fn send(&self, frame: OutboundFrame) -> BoxFuture<'_, bool>;
}

/// The outgoing side of a peer.
#[derive(Clone)]
pub(crate) enum Outbound {
    /// A bounded channel; sending waits while the writer is behind.
    Channel(mpsc::Sender<OutboundFrame>),
    /// A sink that stores frames itself.
    Sink(Arc<dyn FrameSink>),
}

impl Outbound {
    /// Sends a frame, waiting while a channel is full; `false` once the connection has gone.
    pub(crate) async fn send(&self, frame: OutboundFrame) -> bool {
        match self {
            Self::Channel(tx) => tx.send(frame).await.is_ok(),
            Self::Sink(sink) => {
                let stored = sink.send(frame).await;
                // A sink never makes the sender wait, so a handler could store a whole burst
                // before any reader of it runs, and a burst longer than the stream's retention
                // would lose its first events. Yielding once the task's cooperative budget is
                // spent lets readers take each part of a burst as it comes.
                tokio::task::consume_budget().await;
                stored
            }
        }
    }

    /// Sends without waiting for room, best effort (a full channel drops the frame). Usable
    /// where awaiting is not (drop guards); a sink finishes the store on a task of its own.
    pub(crate) fn send_now(&self, frame: OutboundFrame) {
        match self {
            Self::Channel(tx) => {
                let _ = tx.try_send(frame);
            }
            Self::Sink(sink) => {
                let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                    return; // no runtime left (process shutdown): the peer will not hear it
                };
                let sink = sink.clone();
                runtime.spawn(async move {
                    sink.send(frame).await;
                });
            }
        }
    }
}
