//! The peer engine shared by servers and clients.
//!
//! One [`Peer`] runs per connection. It owns the read loop, matches responses to the requests
//! this side sent (with timeouts that reset on progress), routes progress notifications by
//! token, runs inbound requests concurrently with a cancellation token each, answers
//! `ping`, bounds everything it holds, and shuts down gracefully.

mod config;
mod error;
mod frame;
mod handler;
mod outbound;
mod peer;
mod run;

pub use config::PeerConfig;
pub use error::PeerError;
pub use frame::{InboundFrame, OutboundFrame, Route, Transport};
pub use handler::{Handler, RequestContext};
pub use outbound::FrameSink;
pub use peer::{AttachedPeer, Peer, PeerHandle, ProgressCallback, ProgressUpdate, RequestOptions};
#[cfg(feature = "http-server")]
pub(crate) use run::batches_refused;
