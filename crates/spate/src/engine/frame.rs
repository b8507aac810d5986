//! Frames: what the engine reads and writes. One frame is one JSON-RPC message (or batch) as
//! bytes, plus the address of the exchange it belongs to. Transports turn their wire (a line on
//! stdio, a POST body or SSE event on HTTP) into these and back; the engine never sees sockets
//! or pipes, so stdio, HTTP streams and in-memory pipes look the same to it.

use spate_protocol::RequestId;
use spate_protocol::jsonrpc::Frame;
use tokio::sync::mpsc;

/// One unit read off a transport.
#[derive(Debug)]
pub enum InboundFrame {
    /// The bytes of one frame (without the newline on stdio).
    Bytes(Vec<u8>),
    /// A frame the transport already decoded (HTTP reads the body to route it), so the engine
    /// does not parse it twice.
    Decoded(Frame),
    /// A frame longer than the configured maximum was skipped.
    TooLarge {
        /// The limit it broke, in bytes.
        limit: usize,
    },
}

/// Which exchange an outgoing frame belongs to, so transports with several streams per
/// connection (Streamable HTTP) can put it on the right one. Single-stream transports (stdio)
/// ignore it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Sent while handling this inbound request: its progress, logs, and requests to the
    /// other side made on its behalf.
    Request(RequestId),
    /// The answer to this inbound request; nothing of its exchange follows.
    Response(RequestId),
    /// Not tied to any inbound request (list changes, resource updates, this side's own
    /// requests and notifications).
    Standalone,
    /// Not a message (the frame is empty): close the live connection carrying this request's
    /// stream, which goes on (SEP-1699 polling: the client resumes with `GET`). Transports
    /// without such connections ignore it.
    Disconnect(RequestId),
    /// Not a message: this inbound request ended without an answer (the peer cancelled it,
    /// and cancelled requests get none); a transport that gave it a stream of its own ends
    /// that stream.
    Abandoned(RequestId),
}

impl OutboundFrame {
    /// Whether this frame carries a message (as opposed to a transport instruction).
    pub fn is_message(&self) -> bool {
        !matches!(self.route, Route::Disconnect(_) | Route::Abandoned(_))
    }
}

/// One encoded frame to write, with where it belongs.
#[derive(Debug, Clone)]
pub struct OutboundFrame {
    /// The encoded JSON-RPC message or batch, without framing.
    pub bytes: Vec<u8>,
    /// The exchange it belongs to.
    pub route: Route,
}

/// Both directions of a connection, as bounded channels.
#[derive(Debug)]
pub struct Transport {
    /// Frames from the peer; `None` once the peer has gone.
    pub inbound: mpsc::Receiver<InboundFrame>,
    /// Encoded frames to the peer. Sending waits while the writer is behind (backpressure).
    pub outbound: mpsc::Sender<OutboundFrame>,
}

impl Transport {
    /// Two transports wired to each other in memory: what one sends, the other receives.
    ///
    /// Useful for tests and for embedding a server and a client in one process.
    pub fn pair(capacity: usize) -> (Transport, Transport) {
        let (a_tx, a_rx) = mpsc::channel::<OutboundFrame>(capacity);
        let (b_tx, b_rx) = mpsc::channel::<OutboundFrame>(capacity);
        (
            Self::bridge(a_tx, b_rx, capacity),
            Self::bridge(b_tx, a_rx, capacity),
        )
    }

    fn bridge(
        outbound: mpsc::Sender<OutboundFrame>,
        mut from_peer: mpsc::Receiver<OutboundFrame>,
        capacity: usize,
    ) -> Transport {
        let (in_tx, inbound) = mpsc::channel(capacity);
        tokio::spawn(async move {
            while let Some(frame) = from_peer.recv().await {
                if !frame.is_message() {
                    continue;
                }
                if in_tx.send(InboundFrame::Bytes(frame.bytes)).await.is_err() {
                    break;
                }
            }
        });
        Transport { inbound, outbound }
    }
}
