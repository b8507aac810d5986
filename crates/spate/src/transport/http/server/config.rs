//! Configuration of the Streamable HTTP server.

use std::net::SocketAddr;
use std::time::Duration;

use crate::store::event_log::Retention;

/// How the server answers a POSTed request when it could use either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    /// A JSON body, unless something (progress, a log, a request to the client) precedes the
    /// response: then an SSE stream, so nothing is lost.
    Json,
    /// Always an SSE stream.
    Sse,
}

/// Settings of the HTTP transport. `Default` is safe to expose on loopback.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpConfig {
    /// The MCP endpoint path (default `/mcp`).
    pub endpoint: String,
    /// JSON or SSE answers (default JSON with automatic switch to SSE).
    pub response_mode: ResponseMode,
    /// Idle sessions end after this long (default 30 min).
    pub session_ttl: Duration,
    /// Sessions held at once; at the cap the least recently used idle one is evicted, and if
    /// none is idle `initialize` gets 503 (default 10 000).
    pub max_sessions: usize,
    /// Request streams one session may have open at once (default 64); beyond, 429.
    /// `events/stream` subscriptions are counted apart (`max_event_streams_per_session`).
    pub max_streams_per_session: usize,
    /// `events/stream` subscriptions one session may hold at once (default 256); beyond,
    /// 429. Apart from the other requests, so long-lived subscriptions never take the room
    /// of calls.
    pub max_event_streams_per_session: usize,
    /// Request streams one session keeps resumable after their last event went out to a
    /// connection (default 64); beyond, the first delivered is dropped. Streams whose answer
    /// never reached a connection are not counted (the log's retention bounds them). Without
    /// it one busy session would fill the log and push every other session's streams out.
    pub max_finished_streams_per_session: usize,
    /// 2026-07-28 requests (which have no session) in progress at once, listen streams
    /// included (default 4096); beyond, 503 with Retry-After.
    pub max_stateless_requests: usize,
    /// Largest accepted request body (default 4 MiB); beyond, 413.
    pub max_body_bytes: usize,
    /// `serve` only: once a request has begun (an empty line before it counts), its whole
    /// head, and then its whole body, must each arrive within this (default 30 s); beyond,
    /// 408 and the connection closes. Slow-sending clients cannot hold a connection forever.
    pub request_timeout: Duration,
    /// `serve` only: a write to a connection that makes no progress for this long (the
    /// client stopped reading) closes it (default 30 s), so answers do not pile up for a
    /// reader that is gone; a resumable stream's events stay in the log for its resumption.
    pub write_timeout: Duration,
    /// `serve` only: a connection with no request in progress and no response streaming is
    /// closed after this long (default 2 min).
    pub idle_connection_timeout: Duration,
    /// SSE comment keep-alive period on idle streams (default 15 s).
    pub keep_alive: Duration,
    /// The `retry` hint, in milliseconds, sent with priming events (default 1000).
    pub retry_ms: u64,
    /// Allowed `Host` header values; empty = derived from the bind address at `serve`.
    pub allowed_hosts: Vec<String>,
    /// Allowed `Origin` header values; empty = loopback origins only.
    pub allowed_origins: Vec<String>,
    /// Accepted static bearer tokens; empty = none (see `oauth` for real authorization).
    pub bearer_tokens: Vec<String>,
    /// OAuth 2.1 resource-server checks (Protected Resource Metadata, validated access
    /// tokens, scopes); replaces `bearer_tokens` when set.
    pub oauth: Option<crate::auth::resource_server::OAuthConfig>,
    /// Retention of the event log behind resumable streams.
    pub retention: Retention,
    /// Serve the 2024-11-05 HTTP+SSE transport too (`GET /sse`, `POST /message`; default on).
    pub legacy_sse: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            endpoint: "/mcp".into(),
            response_mode: ResponseMode::Json,
            session_ttl: Duration::from_secs(30 * 60),
            max_sessions: 10_000,
            max_streams_per_session: 64,
            max_event_streams_per_session: 256,
            max_finished_streams_per_session: 64,
            max_stateless_requests: 4096,
            max_body_bytes: 4 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            idle_connection_timeout: Duration::from_secs(120),
            keep_alive: Duration::from_secs(15),
            retry_ms: 1000,
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            bearer_tokens: Vec::new(),
            oauth: None,
            retention: Retention::default(),
            legacy_sse: true,
        }
    }
}

impl HttpConfig {
    /// The `Host` values a server bound to `addr` answers: the address itself and, for
    /// loopback, `localhost` — each with and without the port. Unspecified addresses
    /// (0.0.0.0, ::) allow any host unless configured.
    pub fn hosts_for(addr: SocketAddr) -> Vec<String> {
        let port = addr.port();
        let ip = addr.ip();
        if ip.is_unspecified() {
            return Vec::new();
        }
        let mut names = vec![match ip {
            std::net::IpAddr::V4(v4) => v4.to_string(),
            std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        }];
        if ip.is_loopback() {
            names.extend([
                "localhost".to_owned(),
                "127.0.0.1".to_owned(),
                "[::1]".to_owned(),
            ]);
        }
        names.dedup();
        names
            .iter()
            .flat_map(|n| [n.clone(), format!("{n}:{port}")])
            .collect()
    }
}
