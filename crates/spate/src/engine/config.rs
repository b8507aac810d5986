//! Limits and timeouts of a peer.

use std::time::Duration;

/// Limits and timeouts of one connection. Every queue and map the engine keeps is bounded here.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PeerConfig {
    /// How long a request to the other side may wait without news (default 60 s).
    /// A progress notification for the request starts the wait afresh.
    pub request_timeout: Duration,
    /// The longest a request may run in all, progress or not (default 10 min).
    pub max_request_timeout: Duration,
    /// Inbound requests handled at once; beyond this a request is answered with a busy error
    /// (default 256).
    pub max_in_flight: usize,
    /// Requests this side may have outstanding at once (default 1024).
    pub max_pending: usize,
    /// How long shutdown waits for running handlers to answer before cancelling them (default 5 s).
    pub shutdown_grace: Duration,
}

impl Default for PeerConfig {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(60),
            max_request_timeout: Duration::from_secs(600),
            max_in_flight: 256,
            max_pending: 1024,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}
