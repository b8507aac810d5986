//! Connect to an MCP server: negotiate, call what it offers, receive its notifications and
//! answer its requests (sampling, elicitation, roots).
//!
//! ```no_run
//! use spate::client::{Client, StdioCommand};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::builder("my-agent", "1.0")
//!     .connect_stdio(StdioCommand::new("spate", ["serve", "--stdio"]))
//!     .await?;
//! let tools = client.list_all_tools().await?;
//! let result = client
//!     .call_tool("calculate", serde_json::json!({"a": 10, "b": 20}), Default::default())
//!     .await?;
//! client.close().await;
//! # Ok(()) }
//! ```

mod calls;
mod handlers;
mod session;
mod stdio_process;

use std::sync::Arc;

use spate_protocol::{
    ClientCapabilities, ElicitationCapability, Implementation, InitializeRequestParams,
    InitializeResult, JsonObject, Notification, ProtocolVersion, RootsCapability,
    SamplingCapability, methods,
};
use tokio::sync::broadcast;

pub use calls::CallOptions;
pub use handlers::ClientHandlers;
pub use stdio_process::{ChildServer, StderrMode, StdioCommand};

use crate::engine::{Peer, PeerConfig, PeerError, PeerHandle, RequestOptions};
use crate::http_client::{HttpClientHandle, HttpClientOptions};
use crate::transport::Transport;
use session::ClientSession;

/// Why connecting failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The server process could not be started.
    #[error("could not start the server: {0}")]
    Spawn(#[from] std::io::Error),
    /// `initialize` failed.
    #[error("initialize failed: {0}")]
    Initialize(#[from] PeerError),
    /// The server answered with a protocol version this client does not speak.
    #[error("the server chose protocol version {0:?}, which this client does not support")]
    UnsupportedVersion(String),
    /// The server's answer to `initialize` was not an InitializeResult.
    #[error("malformed initialize result: {0}")]
    Malformed(String),
    /// The HTTP transport could not be set up (bad URL, header or TLS setup).
    #[error(transparent)]
    Http(#[from] crate::http_client::HttpClientError),
}

/// Notifications from the server, as they arrive (bounded; a slow reader misses the oldest).
pub type NotificationStream = broadcast::Receiver<Notification>;

/// How many notifications wait for a slow reader before the oldest are dropped.
const NOTIFICATION_BACKLOG: usize = 1024;

/// Builds a client connection.
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    info: Implementation,
    handlers: ClientHandlers,
    config: PeerConfig,
    offer: ProtocolVersion,
}

impl ClientBuilder {
    /// Sets the handlers for server requests (and thereby the declared capabilities).
    pub fn handlers(mut self, handlers: ClientHandlers) -> Self {
        self.handlers = handlers;
        self
    }

    /// Sets engine limits and timeouts.
    pub fn config(mut self, config: PeerConfig) -> Self {
        self.config = config;
        self
    }

    /// The protocol version to offer (default 2025-11-25, the newest handshake version).
    pub fn offer(mut self, version: ProtocolVersion) -> Self {
        self.offer = version;
        self
    }

    /// Launches a server process and connects to it over stdio.
    pub async fn connect_stdio(self, command: StdioCommand) -> Result<Client, ConnectError> {
        let (child, transport) = ChildServer::spawn(&command)?;
        let mut client = self.connect(transport).await?;
        client.child = Some(child);
        Ok(client)
    }

    /// Connects to an MCP server over HTTP (Streamable HTTP, falling back to HTTP+SSE for
    /// old servers; see [`crate::http_client`]) and runs `initialize`.
    pub async fn connect_http(
        self,
        url: &str,
        options: HttpClientOptions,
    ) -> Result<Client, ConnectError> {
        let (transport, http) = crate::http_client::open(url, options)?;
        let mut client = self.connect(transport).await?;
        client.http = Some(http);
        Ok(client)
    }

    /// Connects over an already open transport and runs `initialize`.
    pub async fn connect(self, transport: Transport) -> Result<Client, ConnectError> {
        let (notifications, _) = broadcast::channel(NOTIFICATION_BACKLOG);
        let session = ClientSession {
            handlers: self.handlers.clone(),
            notifications: notifications.clone(),
        };
        let peer = Peer::spawn(transport, Arc::new(session), self.config.clone());
        let params = InitializeRequestParams {
            protocol_version: self.offer.as_str().to_owned(),
            capabilities: capabilities_of(&self.handlers),
            client_info: self.info.clone(),
            ..Default::default()
        };
        let raw = peer
            .handle
            .request(methods::INITIALIZE, &params, RequestOptions::default())
            .await?;
        let init: InitializeResult =
            serde_json::from_str(raw.get()).map_err(|e| ConnectError::Malformed(e.to_string()))?;
        let version = match ProtocolVersion::parse(&init.protocol_version) {
            Some(v) if v <= ProtocolVersion::LATEST_LEGACY => v,
            _ => return Err(ConnectError::UnsupportedVersion(init.protocol_version)),
        };
        peer.handle
            .notify(methods::NOTIFICATIONS_INITIALIZED, &serde_json::json!({}))
            .await?;
        Ok(Client {
            peer: peer.handle,
            task: Some(peer.task),
            init,
            version,
            handlers: self.handlers,
            notifications,
            child: None,
            http: None,
        })
    }
}

/// What the handlers imply the client can do.
fn capabilities_of(handlers: &ClientHandlers) -> ClientCapabilities {
    ClientCapabilities {
        sampling: handlers.sampling.as_ref().map(|_| SamplingCapability {
            tools: handlers.sampling_tools.then(JsonObject::new),
            ..Default::default()
        }),
        elicitation: handlers
            .elicitation
            .as_ref()
            .map(|_| ElicitationCapability {
                form: Some(JsonObject::new()),
                url: handlers.elicitation_url.then(JsonObject::new),
            }),
        roots: handlers.roots.as_ref().map(|_| RootsCapability {
            list_changed: Some(true),
        }),
        ..Default::default()
    }
}

/// A connected, initialized client.
#[derive(Debug)]
pub struct Client {
    peer: PeerHandle,
    task: Option<tokio::task::JoinHandle<()>>,
    init: InitializeResult,
    version: ProtocolVersion,
    handlers: ClientHandlers,
    notifications: broadcast::Sender<Notification>,
    child: Option<ChildServer>,
    http: Option<HttpClientHandle>,
}

impl Client {
    /// Starts building a client with its name and version (`clientInfo`).
    pub fn builder(name: impl Into<String>, version: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            info: Implementation::new(name, version),
            handlers: ClientHandlers::default(),
            config: PeerConfig::default(),
            offer: ProtocolVersion::LATEST_LEGACY,
        }
    }

    /// The server's answer to `initialize` (capabilities, info, instructions).
    pub fn server(&self) -> &InitializeResult {
        &self.init
    }

    /// The negotiated protocol version.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.version
    }

    /// A new stream of the server's notifications from now on.
    pub fn notifications(&self) -> NotificationStream {
        self.notifications.subscribe()
    }

    /// The HTTP connection (session id, transport in use), for clients made by
    /// [`ClientBuilder::connect_http`].
    pub fn http(&self) -> Option<&HttpClientHandle> {
        self.http.as_ref()
    }

    /// The engine handle, for raw requests.
    pub fn peer(&self) -> &PeerHandle {
        &self.peer
    }

    /// Replaces the roots and tells the server (`notifications/roots/list_changed`).
    pub async fn set_roots(&self, roots: Vec<spate_protocol::Root>) -> Result<(), PeerError> {
        let Some(slot) = &self.handlers.roots else {
            return Ok(());
        };
        *slot
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = roots;
        self.peer
            .notify(
                methods::NOTIFICATIONS_ROOTS_LIST_CHANGED,
                &serde_json::json!({}),
            )
            .await
    }

    /// Ends the connection: for a child process, closes its stdin, then SIGTERM, then SIGKILL;
    /// over HTTP, stops the streams and DELETEs the session.
    pub async fn close(mut self) {
        if let Some(child) = self.child.take() {
            let _ = child.shutdown().await;
        }
        if let Some(http) = self.http.take() {
            http.close().await;
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), task).await;
        }
    }
}
