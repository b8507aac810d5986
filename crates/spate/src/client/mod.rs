//! Connect to an MCP server in either era, call what it offers, receive its notifications
//! and answer its questions (sampling, elicitation, roots).
//!
//! **Eras.** With [`EraChoice::Auto`] the client probes with `server/discover` in the
//! 2026-07-28 envelope and falls back to the legacy `initialize` handshake when the server
//! does not speak it (see [`EraChoice`] for the rules); [`EraChoice::Legacy`] (the default)
//! and [`EraChoice::Modern`] force one. The typed calls are the same in both eras. In the modern era every request
//! carries the protocol version, the client's capabilities and identity (and the log level,
//! once one is set) in `params._meta`; an `input_required` result is answered with the
//! registered handlers and the request sent again, round after round (bounded by
//! [`ClientBuilder::max_input_rounds`]); results with cache hints are kept for their
//! `ttlMs` ([`ClientBuilder::result_cache`]); [`Client::listen`] opens a
//! `subscriptions/listen` stream; and a client that declares the tasks extension
//! ([`ClientBuilder::tasks`]) follows a call the server runs as a task to its end.
//!
//! **Events.** [`Client::subscribe_events`] opens an [`EventSubscription`] to an event type
//! over webhook, push or poll (whichever the server offers and the client can receive),
//! resuming from a [`CursorStore`]; [`EventPoller`], [`EventStream`] and
//! [`Client::keep_webhook`] are the single-mode pieces. (Not to be confused with
//! [`Subscription`], the `subscriptions/listen` stream.)
//!
//! ```no_run
//! use spate::client::{Client, EraChoice};
//! use spate::transport::stdio::StdioCommand;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::builder("my-agent", "1.0")
//!     .era(EraChoice::Auto)
//!     .connect_stdio(StdioCommand::new("spate", ["serve", "--stdio"]))
//!     .await?;
//! println!("speaking {} ({:?})", client.protocol_version(), client.era());
//! let tools = client.list_all_tools().await?;
//! let result = client
//!     .call_tool("calculate", serde_json::json!({"a": 10, "b": 20}), Default::default())
//!     .await?;
//! client.close().await;
//! # Ok(()) }
//! ```

mod calls;
mod connect;
mod connection;
mod cursor_store;
mod era;
mod event_stream;
mod event_subscription;
mod events;
mod handlers;
mod inbound;
mod input_rounds;
mod listen;
mod result_cache;
mod stamp;
mod task_follow;
mod webhook_inbox;
mod webhooks;

use std::sync::Arc;

use spate_protocol::{
    DiscoverResult, Era, InitializeResult, Notification, ProtocolVersion, methods,
};
use tokio::sync::broadcast;

pub use calls::CallOptions;
pub use connect::{ClientBuilder, ConnectError};
pub use connection::Connection;
pub use cursor_store::{
    CursorStore, CursorStoreError, FileCursorStore, MemoryCursorStore, cursor_key,
};
pub use era::{EraChoice, EraMemory};
pub use event_stream::EventStream;
pub use event_subscription::{
    EventSubscription, EventSubscriptionBuilder, SubscriptionError, SubscriptionItem,
    SubscriptionMode,
};
pub use events::EventPoller;
pub use handlers::ClientHandlers;
pub use listen::{ListenOutcome, Subscription, SubscriptionEvent};
pub use webhook_inbox::{InboxItem, InboxRegistration, WebhookInbox};
pub use webhooks::{KeeperStatus, WebhookBinding, WebhookKeeper};

use crate::engine::{PeerError, PeerHandle};
use inbound::Routing;
use stamp::RequestStamp;

/// Notifications from the server, as they arrive (bounded; a slow reader misses the oldest).
pub type NotificationStream = broadcast::Receiver<Notification>;

/// Per-connection limits of the modern era.
#[derive(Debug, Clone, Copy)]
struct Limits {
    max_input_rounds: usize,
    listen_buffer: usize,
    /// How long a call may follow its task.
    task_wait: std::time::Duration,
}

/// A connected client: initialized (legacy) or having discovered the server (modern).
pub struct Client {
    peer: PeerHandle,
    task: Option<tokio::task::JoinHandle<()>>,
    init: InitializeResult,
    discover: Option<DiscoverResult>,
    version: ProtocolVersion,
    handlers: ClientHandlers,
    routing: Arc<Routing>,
    /// Set in the modern era: what every request is stamped with.
    envelope: Option<Arc<RequestStamp>>,
    limits: Limits,
    /// One subscription is set up at a time (see the `listen` module).
    listen_setup: tokio::sync::Mutex<()>,
    /// The transport's side of the connection (a child process, an HTTP session).
    connection: Option<Box<dyn Connection>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("version", &self.version)
            .field("server", &self.init.server_info)
            .field("connection", &self.connection)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts building a client with its name and version (`clientInfo`).
    pub fn builder(name: impl Into<String>, version: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(spate_protocol::Implementation::new(name, version))
    }

    /// What the server said about itself: its answer to `initialize`, or, in the modern
    /// era, the same facts from its `DiscoverResult` (capabilities, `serverInfo` from the
    /// result's `_meta`, instructions; `protocolVersion` is the version requests use).
    pub fn server(&self) -> &InitializeResult {
        &self.init
    }

    /// The server's answer to `server/discover` (modern era only).
    pub fn discover_result(&self) -> Option<&DiscoverResult> {
        self.discover.as_ref()
    }

    /// The era this connection speaks.
    pub fn era(&self) -> Era {
        self.version.era()
    }

    /// The negotiated protocol version.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.version
    }

    /// A new stream of the server's notifications from now on (subscription notifications
    /// included: they also arrive on their [`Subscription`]).
    pub fn notifications(&self) -> NotificationStream {
        self.routing.notifications.subscribe()
    }

    /// The transport's side of the connection, when it has one (a child process, an HTTP
    /// session).
    pub fn connection(&self) -> Option<&dyn Connection> {
        self.connection.as_deref()
    }

    /// The engine handle, for raw requests.
    pub fn peer(&self) -> &PeerHandle {
        &self.peer
    }

    /// Replaces the roots and, in the legacy era, tells the server
    /// (`notifications/roots/list_changed`; 2026-07-28 has no such notification: the server
    /// asks again when it needs them).
    pub async fn set_roots(&self, roots: Vec<spate_protocol::Root>) -> Result<(), PeerError> {
        let Some(slot) = &self.handlers.roots else {
            return Ok(());
        };
        *slot
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = roots;
        if self.envelope.is_some() {
            return Ok(());
        }
        self.peer
            .notify(
                methods::NOTIFICATIONS_ROOTS_LIST_CHANGED,
                &serde_json::json!({}),
            )
            .await
    }

    /// Ends the connection: for a child process, closes its stdin, then SIGTERM, then SIGKILL;
    /// over HTTP, stops the streams and DELETEs the session (if there is one).
    pub async fn close(mut self) {
        if let Some(connection) = self.connection.take() {
            connection.close().await;
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), task).await;
        }
    }
}
