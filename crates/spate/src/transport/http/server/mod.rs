//! Serve MCP over HTTP: Streamable HTTP (2025-03-26 … 2025-11-25) on one endpoint, and the
//! 2024-11-05 HTTP+SSE transport beside it, with sessions, resumable streams backed by an
//! event log, and security checks on by default.
//!
//! ```no_run
//! use spate::transport::http::server::{HttpConfig, McpHttp};
//! use spate::server::Server;
//!
//! # async fn run() -> std::io::Result<()> {
//! let server = Server::new("demo", "1.0");
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! McpHttp::new(server, HttpConfig::default()).serve(listener).await
//! # }
//! ```
//!
//! Choices: a second `GET` stream while one is open gets `409`; a `Last-Event-ID` of another
//! session gets `400`, of a stream no longer kept `404`; the event log keeps 1000 events or
//! 10 minutes per stream (a resumption past that is told how many events it missed, in an SSE
//! comment).

mod config;
mod decimal;
mod fanout;
mod h1;
mod keep_alive;
mod legacy_sse;
mod modern;
mod rejection;
mod reply;
mod request_headers;
mod security;
mod sessions;
mod sse;
mod stream_reader;
mod streamable;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use crate::store::event_log::{EventLog, MemoryEventLog, Retention};
pub use crate::store::session_store::{MemorySessionStore, SessionStore};
pub use config::{HttpConfig, ResponseMode};

use security::Guard;
use sessions::SessionRegistry;

use crate::auth::resource_server as auth;
use crate::server::Server;

/// Shared state of the HTTP handlers.
struct App {
    config: HttpConfig,
    sessions: Arc<SessionRegistry>,
    /// Serves the 2026-07-28 requests, which belong to no session.
    server: Server,
    /// Bounds the 2026-07-28 requests in progress at once.
    stateless: Arc<tokio::sync::Semaphore>,
    /// The OAuth resource server, when configured.
    oauth: Option<Arc<auth::ResourceServer>>,
}

/// An MCP server over HTTP: build it, then take its axum [`Router`] or let it serve a listener.
pub struct McpHttp {
    app: Arc<App>,
    memory_log: Option<Arc<MemoryEventLog>>,
}

impl std::fmt::Debug for McpHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpHttp")
            .field("endpoint", &self.app.config.endpoint)
            .finish_non_exhaustive()
    }
}

impl McpHttp {
    /// An HTTP front for `server` with an in-memory event log.
    pub fn new(server: Server, config: HttpConfig) -> Self {
        let log = Arc::new(MemoryEventLog::new(config.retention));
        let mut this = Self::with_log(server, config, log.clone());
        this.memory_log = Some(log);
        this
    }

    /// An HTTP front for `server` storing its streams in `log`.
    pub fn with_log(server: Server, config: HttpConfig, log: Arc<dyn EventLog>) -> Self {
        Self::with_stores(server, config, log, None)
    }

    /// An HTTP front for `server` storing its streams in `log` and, with `sessions`, its
    /// Streamable HTTP sessions: a session the server does not hold (made before a restart)
    /// is rebuilt from its record when a request names it.
    pub fn with_stores(
        server: Server,
        config: HttpConfig,
        log: Arc<dyn EventLog>,
        sessions: Option<Arc<dyn SessionStore>>,
    ) -> Self {
        let stateless = Arc::new(tokio::sync::Semaphore::new(config.max_stateless_requests));
        let oauth = config
            .oauth
            .clone()
            .map(|o| auth::ResourceServer::new(o, &config.endpoint));
        let sessions = SessionRegistry::new(
            server.clone(),
            log,
            config.max_sessions,
            config.session_ttl,
            config.max_finished_streams_per_session,
            sessions,
        );
        Self {
            app: Arc::new(App {
                config,
                sessions,
                server,
                stateless,
                oauth,
            }),
            memory_log: None,
        }
    }

    /// Sessions alive now.
    pub fn session_count(&self) -> usize {
        self.app.sessions.count()
    }

    /// 2026-07-28 requests being answered now (open `subscriptions/listen` streams count).
    pub fn requests_in_progress(&self) -> usize {
        self.app.config.max_stateless_requests - self.app.stateless.available_permits()
    }

    /// Streams held by the in-memory event log (`None` with another log).
    pub fn stream_count(&self) -> Option<usize> {
        self.memory_log.as_ref().map(|l| l.stream_count())
    }

    /// Events held by the in-memory event log (`None` with another log).
    pub fn event_count(&self) -> Option<usize> {
        self.memory_log.as_ref().map(|l| l.event_count())
    }

    /// The routes (the MCP endpoint; `/sse` and `/message` when the old transport is on),
    /// guarded by the Host/Origin/token checks of the config. Mount it in any axum app.
    /// Must be called inside a tokio runtime (it starts the expiry sweeper).
    pub fn router(&self) -> Router {
        self.router_with_guard(self.guard(None))
    }

    fn guard(&self, bound: Option<std::net::SocketAddr>) -> Guard {
        let config = &self.app.config;
        let mut hosts: Vec<String> = config
            .allowed_hosts
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        if hosts.is_empty() {
            if let Some(addr) = bound {
                hosts = HttpConfig::hosts_for(addr);
            }
        }
        Guard {
            hosts,
            origins: config
                .allowed_origins
                .iter()
                .map(|o| o.to_ascii_lowercase())
                .collect(),
            tokens: config.bearer_tokens.clone(),
            oauth: self.app.oauth.clone(),
        }
    }

    fn router_with_guard(&self, guard: Guard) -> Router {
        self.start_sweeper();
        let config = &self.app.config;
        let mut router = Router::new().route(
            &config.endpoint,
            post(streamable::post)
                .get(streamable::get)
                .delete(streamable::delete),
        );
        if let Some(oauth) = &self.app.oauth {
            let document = oauth.metadata();
            let serve = move || {
                let document = document.clone();
                async move {
                    reply::json(
                        http::StatusCode::OK,
                        bytes::Bytes::from(document.to_string()),
                    )
                }
            };
            router = router
                .route(&auth::metadata_path(&config.endpoint), get(serve.clone()))
                .route(auth::ROOT_METADATA_PATH, get(serve));
        }
        if config.legacy_sse {
            router = router
                .route("/sse", get(legacy_sse::open))
                .route(legacy_sse::MESSAGE_PATH, post(legacy_sse::message));
        }
        router
            .layer(DefaultBodyLimit::max(config.max_body_bytes))
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(guard),
                security::guard,
            ))
            .with_state(self.app.clone())
    }

    fn start_sweeper(&self) {
        let sessions = Arc::downgrade(&self.app.sessions);
        let period = (self.app.config.session_ttl / 4)
            .clamp(Duration::from_millis(50), Duration::from_secs(30));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                let Some(sessions) = sessions.upgrade() else {
                    return;
                };
                sessions.expire_idle();
                sessions.log().sweep().await;
                sessions.expire_stored().await;
            }
        });
    }

    /// Serves on a bound listener until the process ends (or the future is dropped), over
    /// Spate's own HTTP/1.1
    /// connections (`h1`: no buffer held by an idle response stream): `TCP_NODELAY` on every
    /// connection, `Host` checked against the bound address unless configured.
    pub async fn serve(&self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        let bound = listener.local_addr()?;
        let router = self.router_with_guard(self.guard(Some(bound)));
        let config = &self.app.config;
        let limits = h1::Limits {
            max_body_bytes: config.max_body_bytes,
            request_timeout: config.request_timeout,
            idle_timeout: config.idle_connection_timeout,
            write_timeout: config.write_timeout,
        };
        h1::serve(listener, router, limits).await;
        Ok(())
    }
}
