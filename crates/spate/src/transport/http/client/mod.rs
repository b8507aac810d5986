//! Connect to MCP servers over HTTP: Streamable HTTP (protocol 2025-03-26 … 2025-11-25 with
//! sessions, and 2026-07-28 without) and, for old servers, the HTTP+SSE transport of
//! 2024-11-05.
//!
//! [`open`] returns a [`Transport`] for the engine and an [`HttpClientHandle`] to watch and
//! end the session; most users call [`ClientBuilder::connect_http`] instead, which does both
//! and runs `initialize`.
//!
//! ```no_run
//! use spate::client::Client;
//! use spate::transport::http::client::HttpClientOptions;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mut options = HttpClientOptions::default();
//! options.bearer_token = Some("secret".into());
//! let client = Client::builder("my-agent", "1.0")
//!     .connect_http("http://127.0.0.1:8080/mcp", options)
//!     .await?;
//! let tools = client.list_all_tools().await?;
//! client.close().await; // DELETEs the session
//! # Ok(()) }
//! ```
//!
//! What happens on the wire:
//!
//! - Every outgoing message is its own `POST` (several run at once, bounded), with
//!   `Accept: application/json, text/event-stream`, `MCP-Session-Id` once the server gave
//!   one, and `MCP-Protocol-Version` once `initialize` negotiated it. A JSON answer is one
//!   message; an SSE answer is read until it has answered the request.
//! - After `notifications/initialized` the client opens the standalone `GET` stream (a
//!   `405` means the server has none) and sends nothing else until the server has answered
//!   that `GET`, so a message the server sends while handling the next request cannot miss
//!   it. A server that assigned no session id gets no standalone stream: it could not tell
//!   whose stream it is.
//! - Every SSE stream remembers its last event id and `retry`. When a stream ends before it
//!   answered (or the connection drops), the client waits `retry` (default 1 s, doubling up
//!   to [`HttpClientOptions::max_retry`]) and resumes with `GET` + `Last-Event-ID`, at most
//!   [`HttpClientOptions::max_reconnect_attempts`] times in a row. Event ids already
//!   delivered on a stream are never delivered again, even if a server replays them.
//! - When an HTTP exchange fails, the request it carried fails with a JSON-RPC error made up
//!   here: [`HTTP_ERROR`] (status or network error; `data.httpStatus` holds the status) or
//!   [`STREAM_LOST`] (the answer stream was lost and could not be resumed).
//! - **Session expiry.** A `404` to a request sent with a session id means the server ended
//!   the session. The client then replays the original `initialize` once (without a session
//!   id), sends `notifications/initialized`, reopens the standalone stream, and retries the
//!   message that got the `404` with the new session: the server had refused it, so it never
//!   ran. Calls whose answer streams were open in the old session are *not* retried (they
//!   may have run): when their stream ends they fail with [`STREAM_LOST`]. What the old
//!   session held on the server (log level, subscriptions) is gone; [`Client::server`] still
//!   shows the first `initialize` result.
//! - **Fallback.** If the `initialize` POST gets `400`, `404` or `405`, the client GETs the
//!   URL as an HTTP+SSE stream, waits for its `endpoint` event (a URL of the same origin),
//!   POSTs every message there and reads every answer from the stream.
//!   [`HttpTransportMode::LegacySse`] skips the POST attempt.
//! - Closing (or dropping the handle) `DELETE`s the session (a `405` is fine).
//!
//! **2026-07-28.** A request whose `params._meta` names a protocol version (the client
//! stamps every modern request so) is sent the modern way: no session id, the
//! request-metadata headers `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` and
//! `Mcp-Param-{Name}` (for the `x-mcp-header` arguments of tools the client has listed;
//! values encoded as SEP-2243 says), an answer read as JSON or SSE but never resumed (a
//! stream that breaks fails its request with [`STREAM_LOST`]), and an HTTP error whose body
//! is a JSON-RPC error (`-32022` naming the supported versions, say) handed to the caller as
//! that error. Once the client has settled on the modern era, cancelling a request closes
//! its stream and sends nothing, and there is no standalone stream and no `DELETE`.
//!
//! [`webhook_sender`] (with the `server` feature) is the HTTPS client of webhook delivery:
//! the server's callback POSTs, hardened against SSRF.
//!
//! [`ClientBuilder::connect_http`]: crate::client::ClientBuilder::connect_http
//! [`Client::server`]: crate::client::Client::server
//! [`open`]: crate::transport::http::client::open
//! [`Transport`]: crate::engine::Transport
//! [`HttpClientHandle`]: crate::transport::http::client::HttpClientHandle
//! [`HttpClientOptions::max_retry`]: crate::transport::http::client::HttpClientOptions::max_retry
//! [`HttpClientOptions::max_reconnect_attempts`]: crate::transport::http::client::HttpClientOptions::max_reconnect_attempts
//! [`HTTP_ERROR`]: crate::transport::http::client::HTTP_ERROR
//! [`STREAM_LOST`]: crate::transport::http::client::STREAM_LOST
//! [`HttpTransportMode::LegacySse`]: crate::transport::http::client::HttpTransportMode::LegacySse

mod authorize;
mod frames;
mod legacy;
mod request_headers;
pub mod sse;
mod stream;
mod streamable;
pub(crate) mod tool_headers;
#[cfg(feature = "server")]
pub mod webhook_sender;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use spate_protocol::RequestId;
use spate_protocol::http_headers::{PROTOCOL_VERSION, SESSION_ID};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use url::Url;

use futures_util::future::BoxFuture;

use crate::auth::client::OAuthClient;
use crate::client::{Client, ClientBuilder, ConnectError, Connection};
use crate::engine::{InboundFrame, Transport};
use crate::mutex::lock;

/// JSON-RPC error code of a request whose HTTP exchange failed (an HTTP error status, a
/// network error, a body that was not an answer). Implementation-defined server-error range.
pub const HTTP_ERROR: i64 = -32050;
/// JSON-RPC error code of a request whose SSE answer stream ended or dropped and could not
/// be resumed (no event id, the server refused, the session ended, too many attempts). The
/// request may or may not have run on the server.
pub const STREAM_LOST: i64 = -32051;

/// Which HTTP transport to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpTransportMode {
    /// Streamable HTTP, falling back to HTTP+SSE when `initialize` gets 400, 404 or 405.
    #[default]
    Auto,
    /// Streamable HTTP only.
    Streamable,
    /// The 2024-11-05 HTTP+SSE transport only (the URL is the SSE endpoint).
    LegacySse,
}

/// The HTTP transport a connection ended up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpTransportKind {
    /// Streamable HTTP.
    Streamable,
    /// HTTP+SSE (2024-11-05).
    LegacySse,
}

/// Options of an HTTP client connection. Every queue and wait is bounded here.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpClientOptions {
    /// Sent as `Authorization: Bearer <token>` on every request.
    pub bearer_token: Option<String>,
    /// OAuth: its access token is sent on every request (instead of `bearer_token`), and a
    /// `401` or `403 insufficient_scope` runs [`OAuthClient::authorize`] and sends the
    /// request again.
    ///
    /// [`OAuthClient::authorize`]: crate::auth::client::OAuthClient::authorize
    pub oauth: Option<Arc<OAuthClient>>,
    /// Extra headers sent on every request.
    pub headers: HeaderMap,
    /// Which transport to speak (default: Streamable HTTP with fallback).
    pub mode: HttpTransportMode,
    /// The largest JSON body or SSE event accepted, in bytes (default 16 MiB).
    pub max_message_size: usize,
    /// POSTs of requests in flight at once; each may hold a long SSE answer (default 64).
    /// Further messages wait.
    pub max_concurrent_requests: usize,
    /// POSTs of notifications and responses in flight at once (default 16). Kept apart so
    /// answering a server's request never waits behind long calls.
    pub max_concurrent_sends: usize,
    /// Frames buffered in each direction between the engine and the transport (default 64).
    pub queue: usize,
    /// Wait before resuming a stream when the server sent no `retry` (default 1 s).
    pub default_retry: Duration,
    /// The longest wait between reconnection attempts (default 30 s).
    pub max_retry: Duration,
    /// Reconnection attempts in a row without receiving anything before a stream is given
    /// up (default 5).
    pub max_reconnect_attempts: u32,
    /// Event ids remembered per stream to drop replayed duplicates (default 1024).
    pub remembered_event_ids: usize,
    /// Open the standalone GET stream after initialization (default true).
    pub standalone_stream: bool,
    /// TCP connect timeout, and how long the HTTP+SSE `endpoint` event may take (default 10 s).
    pub connect_timeout: Duration,
    /// A stream silent this long counts as dropped and is resumed (default: never, as
    /// servers need not send keep-alives).
    pub stream_idle_timeout: Option<Duration>,
}

impl Default for HttpClientOptions {
    fn default() -> Self {
        Self {
            bearer_token: None,
            oauth: None,
            headers: HeaderMap::new(),
            mode: HttpTransportMode::Auto,
            max_message_size: 16 * 1024 * 1024,
            max_concurrent_requests: 64,
            max_concurrent_sends: 16,
            queue: 64,
            default_retry: Duration::from_secs(1),
            max_retry: Duration::from_secs(30),
            max_reconnect_attempts: 5,
            remembered_event_ids: 1024,
            standalone_stream: true,
            connect_timeout: Duration::from_secs(10),
            stream_idle_timeout: None,
        }
    }
}

/// Why an HTTP transport could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpClientError {
    /// The URL is not an absolute http(s) URL.
    #[error("invalid MCP endpoint URL {0:?}")]
    InvalidUrl(String),
    /// A header value (bearer token) is not valid in HTTP.
    #[error("invalid header value: {0}")]
    InvalidHeader(String),
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client: {0}")]
    Client(String),
}

/// What the connection knows, shared by its tasks.
#[derive(Debug, Default)]
struct State {
    kind: Option<HttpTransportKind>,
    session_id: Option<String>,
    protocol_version: Option<String>,
    /// The `initialize` request as sent, replayed when the session expires.
    init: Option<(RequestId, bytes::Bytes)>,
    /// Bumped with every new session.
    generation: u64,
    renewals: u64,
    legacy_endpoint: Option<Url>,
    /// Stops the standalone stream of the current session.
    standalone: Option<CancellationToken>,
}

/// One connection: configuration, state, and the token that stops all its tasks.
#[derive(Debug)]
struct Conn {
    http: reqwest::Client,
    url: Url,
    options: HttpClientOptions,
    headers: HeaderMap,
    state: Mutex<State>,
    /// Held while a new session is being set up.
    renewing: tokio::sync::Mutex<()>,
    /// Answer streams by request id, so a cancelled request stops its stream.
    live: Mutex<HashMap<RequestId, CancellationToken>>,
    /// The `x-mcp-header` annotations of the tools listed so far.
    tool_headers: Mutex<request_headers::ToolHeaders>,
    /// The client speaks 2026-07-28: notifications are not POSTed (cancelling a request
    /// closes its stream instead).
    modern: AtomicBool,
    cancel: CancellationToken,
    ended: AtomicBool,
}

impl Conn {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        lock(&self.state)
    }

    fn generation(&self) -> u64 {
        self.state().generation
    }

    /// A request with the connection's fixed headers (auth, extra headers) and the current
    /// OAuth access token.
    fn request(&self, method: reqwest::Method, url: &Url) -> reqwest::RequestBuilder {
        let rb = self
            .http
            .request(method, url.clone())
            .headers(self.headers.clone());
        match self.oauth_token() {
            Some(token) => match bearer(&token) {
                Ok(value) => rb.header(AUTHORIZATION, value),
                Err(_) => rb,
            },
            None => rb,
        }
    }

    /// The OAuth access token requests carry now.
    fn oauth_token(&self) -> Option<String> {
        self.options.oauth.as_ref().and_then(|o| o.access_token())
    }

    /// Adds the session and protocol-version headers; returns the generation they belong
    /// to and whether a session id was sent.
    fn with_session(&self, rb: reqwest::RequestBuilder) -> (reqwest::RequestBuilder, u64, bool) {
        let state = self.state();
        let mut rb = rb;
        if let Some(id) = &state.session_id {
            rb = rb.header(SESSION_ID, id);
        }
        if let Some(version) = &state.protocol_version {
            rb = rb.header(PROTOCOL_VERSION, version);
        }
        (rb, state.generation, state.session_id.is_some())
    }

    /// Stops every task and DELETEs the session (once; a `405` is fine).
    async fn end(&self) {
        if self.ended.swap(true, Ordering::SeqCst) {
            return;
        }
        self.cancel.cancel();
        let (kind, session) = {
            let state = self.state();
            (state.kind, state.session_id.clone())
        };
        let (Some(HttpTransportKind::Streamable), Some(_)) = (kind, session) else {
            return;
        };
        let (rb, _, _) = self.with_session(self.request(reqwest::Method::DELETE, &self.url));
        match tokio::time::timeout(Duration::from_secs(5), rb.send()).await {
            Ok(Ok(r)) => tracing::debug!("DELETE session: HTTP {}", r.status()),
            Ok(Err(e)) => tracing::debug!("DELETE session failed: {e}"),
            Err(_) => tracing::debug!("DELETE session timed out"),
        }
    }
}

/// A connection's tasks' view: the connection and the way to the engine.
#[derive(Clone)]
struct Link {
    conn: Arc<Conn>,
    inbound: mpsc::Sender<InboundFrame>,
}

impl Link {
    /// Hands a frame to the engine; false once the engine has gone.
    async fn send(&self, frame: InboundFrame) -> bool {
        self.inbound.send(frame).await.is_ok()
    }

    /// Fails requests with a made-up error response.
    async fn fail<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a RequestId>,
        code: i64,
        message: &str,
        data: serde_json::Value,
    ) {
        for id in ids {
            let frame = frames::failure(id.clone(), code, message.to_owned(), data.clone());
            if !self.send(frame).await {
                return;
            }
        }
    }

    /// Fails requests because the server answered with an error status.
    async fn fail_status(&self, ids: &[RequestId], response: reqwest::Response) {
        if ids.is_empty() {
            tracing::debug!("HTTP {} for a notification or response", response.status());
            return;
        }
        let status = response.status();
        let url = response.url().clone();
        let body = snippet(response).await;
        let message = format!("HTTP {status} from {url}: {body}");
        let data = serde_json::json!({"httpStatus": status.as_u16(), "body": body});
        self.fail(ids, HTTP_ERROR, &message, data).await;
    }

    /// Fails a modern request that got an HTTP error status: with the JSON-RPC error in the
    /// body when there is one, else as [`Link::fail_status`] does.
    async fn fail_modern(&self, id: &RequestId, mut response: reqwest::Response) {
        let is_json = response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
        if !is_json {
            return self.fail_status(std::slice::from_ref(id), response).await;
        }
        let status = response.status();
        let limit = self.conn.options.max_message_size;
        let body = streamable::read_body(&mut response, limit).await;
        let frame = body
            .as_ref()
            .ok()
            .and_then(|body| frames::error_in_body(body, id));
        match frame {
            Some(frame) => {
                self.send(frame).await;
            }
            None => {
                let text = body
                    .map(|b| String::from_utf8_lossy(&b[..b.len().min(512)]).into_owned())
                    .unwrap_or_else(|e| e);
                let message = format!("HTTP {status} from {}: {text}", self.conn.url);
                let data = serde_json::json!({"httpStatus": status.as_u16(), "body": text});
                self.fail([id], HTTP_ERROR, &message, data).await;
            }
        }
    }
}

/// An `Authorization: Bearer` value, marked sensitive.
fn bearer(token: &str) -> Result<HeaderValue, HttpClientError> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|e| HttpClientError::InvalidHeader(e.to_string()))?;
    value.set_sensitive(true);
    Ok(value)
}

/// The first few hundred bytes of an error body, as text.
async fn snippet(mut response: reqwest::Response) -> String {
    const MAX: usize = 512;
    let mut body = Vec::new();
    while body.len() < MAX {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk[..chunk.len().min(MAX - body.len())]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&body).trim().to_owned()
}

/// Runs a task until it ends or the token is cancelled.
fn spawn_until(
    cancel: &CancellationToken,
    task: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let cancel = cancel.clone();
    tokio::spawn(async move {
        tokio::select! {
            () = cancel.cancelled() => {}
            () = task => {}
        }
    });
}

/// Watches and ends an HTTP connection. Dropping it stops the connection (and DELETEs the
/// session in the background when a runtime is available).
#[derive(Debug)]
pub struct HttpClientHandle {
    conn: Arc<Conn>,
}

impl HttpClientHandle {
    /// The current session id, if the server assigned one.
    pub fn session_id(&self) -> Option<String> {
        self.conn.state().session_id.clone()
    }

    /// The protocol version negotiated by `initialize`, once known.
    pub fn protocol_version(&self) -> Option<String> {
        self.conn.state().protocol_version.clone()
    }

    /// The transport in use, once the first exchange decided it.
    pub fn kind(&self) -> Option<HttpTransportKind> {
        self.conn.state().kind
    }

    /// How many times the session expired and was set up again.
    pub fn session_renewals(&self) -> u64 {
        self.conn.state().renewals
    }

    /// The MCP endpoint URL.
    pub fn url(&self) -> &Url {
        &self.conn.url
    }

    /// Stops all streams and DELETEs the session. The engine then sees the connection close.
    pub async fn close(&self) {
        self.conn.end().await;
    }
}

impl Connection for HttpClientHandle {
    fn origin(&self) -> Option<String> {
        Some(self.url().origin().ascii_serialization())
    }

    fn set_modern(&self, modern: bool) {
        self.conn.modern.store(modern, Ordering::SeqCst);
    }

    fn learn_tool(&self, tool: &spate_protocol::Tool) -> Result<(), String> {
        let params = tool_headers::param_headers(&tool.input_schema)?;
        lock(&self.conn.tool_headers).set(&tool.name, params);
        Ok(())
    }

    fn close(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move { self.conn.end().await })
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl ClientBuilder {
    /// Connects to an MCP server over HTTP (Streamable HTTP, falling back to HTTP+SSE for
    /// old servers; see [`crate::transport::http::client`]) in the chosen era. In
    /// [`EraChoice::Auto`](crate::client::EraChoice::Auto) the era found is remembered for
    /// the URL's origin in the builder's
    /// [`EraMemory`](crate::client::EraMemory).
    pub async fn connect_http(
        self,
        url: &str,
        options: HttpClientOptions,
    ) -> Result<Client, ConnectError> {
        let (transport, http) =
            open(url, options).map_err(|e| ConnectError::Transport(e.into()))?;
        self.establish(transport, Some(Box::new(http))).await
    }
}

impl Client {
    /// The HTTP connection (session id, transport in use), for clients made by
    /// [`ClientBuilder::connect_http`].
    pub fn http(&self) -> Option<&HttpClientHandle> {
        self.connection()?.as_any().downcast_ref()
    }
}

impl Drop for HttpClientHandle {
    fn drop(&mut self) {
        if self.conn.ended.load(Ordering::SeqCst) {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let conn = self.conn.clone();
            runtime.spawn(async move { conn.end().await });
        } else {
            self.conn.cancel.cancel();
        }
    }
}

/// Sets up an HTTP transport to the MCP endpoint at `url`. Nothing is sent until the engine
/// writes its first message (normally `initialize`). Must be called inside a tokio runtime.
pub fn open(
    url: &str,
    options: HttpClientOptions,
) -> Result<(Transport, HttpClientHandle), HttpClientError> {
    let url = Url::parse(url).map_err(|_| HttpClientError::InvalidUrl(url.to_owned()))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(HttpClientError::InvalidUrl(url.to_string()));
    }
    let mut headers = options.headers.clone();
    if let Some(token) = &options.bearer_token {
        headers.insert(AUTHORIZATION, bearer(token)?);
    }
    let http = reqwest::Client::builder()
        .connect_timeout(options.connect_timeout)
        .tcp_nodelay(true)
        .build()
        .map_err(|e| HttpClientError::Client(e.to_string()))?;
    let queue = options.queue.max(1);
    let requests = Arc::new(Semaphore::new(options.max_concurrent_requests.max(1)));
    let sends = Arc::new(Semaphore::new(options.max_concurrent_sends.max(1)));
    let conn = Arc::new(Conn {
        http,
        url,
        options,
        headers,
        state: Mutex::new(State::default()),
        renewing: tokio::sync::Mutex::new(()),
        live: Mutex::new(HashMap::new()),
        tool_headers: Mutex::new(request_headers::ToolHeaders::default()),
        modern: AtomicBool::new(false),
        cancel: CancellationToken::new(),
        ended: AtomicBool::new(false),
    });
    let (in_tx, inbound) = mpsc::channel(queue);
    let (outbound, out_rx) = mpsc::channel(queue);
    let link = Link {
        conn: conn.clone(),
        inbound: in_tx,
    };
    tokio::spawn(streamable::drive(link, out_rx, requests, sends));
    Ok((Transport { inbound, outbound }, HttpClientHandle { conn }))
}
