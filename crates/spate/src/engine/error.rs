//! Errors of requests sent through the engine.

use spate_protocol::ErrorObject;

/// Why a request to the other side produced no result.
///
/// Local failures (timeout, closed connection) are distinct from the peer's own errors, so a
/// caller never mistakes one for the other.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum PeerError {
    /// The peer answered with a JSON-RPC error.
    #[error("peer error {0}")]
    Remote(ErrorObject),
    /// No answer in time; the request was cancelled at the peer.
    #[error("request timed out after {0:?}")]
    Timeout(std::time::Duration),
    /// The caller cancelled the request.
    #[error("request cancelled")]
    Cancelled,
    /// The connection closed before an answer arrived.
    #[error("connection closed")]
    Closed,
    /// Too many requests are already outstanding.
    #[error("too many outstanding requests ({0})")]
    Busy(usize),
    /// The result did not have the expected shape.
    #[error("malformed result: {0}")]
    Malformed(String),
}

impl PeerError {
    /// This error as a JSON-RPC error object, for handlers that pass it on.
    pub fn to_error_object(&self) -> ErrorObject {
        match self {
            Self::Remote(e) => e.clone(),
            other => ErrorObject::internal(other.to_string()),
        }
    }
}
