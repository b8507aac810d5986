//! Setting a connection up: the era (probe with `server/discover`, or `initialize`), the
//! handlers, limits and the result cache.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use spate_protocol::meta::SERVER_INFO_KEY;
use spate_protocol::tasks::TASKS_EXTENSION_ID;
use spate_protocol::{
    ClientCapabilities, DiscoverResult, ElicitationCapability, Era, Implementation,
    InitializeRequestParams, InitializeResult, JsonObject, LoggingLevel, ProtocolVersion,
    RootsCapability, SamplingCapability, methods,
};
use tokio::sync::broadcast;

use super::era::{self, EraChoice, EraMemory, ProbeVerdict};
use super::inbound::{ClientSession, Routing};
use super::input_rounds::{Round, round_of};
use super::listen::ListenRoutes;
use super::result_cache::ResultCache;
use super::stamp::RequestStamp;
use super::{Client, ClientHandlers, Connection, Limits};
use crate::engine::Transport;
use crate::engine::{Peer, PeerConfig, PeerError, PeerHandle, RequestOptions};

/// Why connecting failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The server process could not be started.
    #[error("could not start the server: {0}")]
    Spawn(#[from] std::io::Error),
    /// `initialize` failed.
    #[error("initialize failed: {0}")]
    Initialize(#[from] PeerError),
    /// `server/discover` failed on a server that speaks 2026-07-28 (or was told to).
    #[error("server/discover failed: {0}")]
    Discover(PeerError),
    /// The server answered with a protocol version this client does not speak.
    #[error("the server chose protocol version {0:?}, which this client does not support")]
    UnsupportedVersion(String),
    /// The server's answer to `initialize` was not an InitializeResult.
    #[error("malformed initialize result: {0}")]
    Malformed(String),
    /// The transport could not be set up (for HTTP: a bad URL, header or TLS setup).
    #[error(transparent)]
    Transport(Box<dyn std::error::Error + Send + Sync>),
}

/// How many notifications wait for a slow reader before the oldest are dropped.
const NOTIFICATION_BACKLOG: usize = 1024;

/// Builds a client connection.
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    info: Implementation,
    handlers: ClientHandlers,
    config: PeerConfig,
    offer: ProtocolVersion,
    era: EraChoice,
    probe_timeout: Duration,
    cache_capacity: usize,
    log_level: Option<LoggingLevel>,
    tasks: bool,
    events: bool,
    limits: Limits,
    era_memory: Arc<EraMemory>,
}

impl ClientBuilder {
    pub(super) fn new(info: Implementation) -> Self {
        Self {
            info,
            handlers: ClientHandlers::default(),
            config: PeerConfig::default(),
            offer: ProtocolVersion::LATEST_LEGACY,
            era: EraChoice::default(),
            probe_timeout: Duration::from_secs(5),
            cache_capacity: 256,
            log_level: None,
            tasks: false,
            events: true,
            era_memory: Arc::default(),
            limits: Limits {
                max_input_rounds: 8,
                listen_buffer: 256,
                task_wait: PeerConfig::default().max_request_timeout,
            },
        }
    }

    /// Sets the handlers for server requests (and thereby the declared capabilities).
    pub fn handlers(mut self, handlers: ClientHandlers) -> Self {
        self.handlers = handlers;
        self
    }

    /// Sets engine limits and timeouts (`max_request_timeout` also bounds how long a call
    /// follows its task).
    pub fn config(mut self, config: PeerConfig) -> Self {
        self.limits.task_wait = config.max_request_timeout;
        self.config = config;
        self
    }

    /// The protocol version to offer in `initialize` (default 2025-11-25, the newest
    /// handshake version).
    pub fn offer(mut self, version: ProtocolVersion) -> Self {
        self.offer = version;
        self
    }

    /// Which era to speak (default [`EraChoice::Legacy`]; [`EraChoice::Auto`] probes and
    /// falls back).
    pub fn era(mut self, era: EraChoice) -> Self {
        self.era = era;
        self
    }

    /// Where the era an [`EraChoice::Auto`] probe finds is remembered per HTTP origin (by
    /// default one memory per builder, shared by its clones).
    pub fn era_memory(mut self, memory: Arc<EraMemory>) -> Self {
        self.era_memory = memory;
        self
    }

    /// How long the `server/discover` probe may stay unanswered before the server counts as
    /// legacy (default 5 s; a legacy stdio server may ignore the probe).
    pub fn probe_timeout(mut self, timeout: Duration) -> Self {
        self.probe_timeout = timeout;
        self
    }

    /// The most `input_required` rounds one request may take before it fails (default 8).
    pub fn max_input_rounds(mut self, rounds: usize) -> Self {
        self.limits.max_input_rounds = rounds;
        self
    }

    /// How many results with cache hints are kept (default 256; 0 turns the cache off).
    pub fn result_cache(mut self, capacity: usize) -> Self {
        self.cache_capacity = capacity;
        self
    }

    /// The log level every 2026-07-28 request asks for (`_meta` logLevel; without one a
    /// modern server sends no logs). A legacy connection is unaffected: call
    /// [`Client::set_logging_level`] there.
    pub fn log_level(mut self, level: LoggingLevel) -> Self {
        self.log_level = Some(level);
        self
    }

    /// Declares the 2026 tasks extension (`io.modelcontextprotocol/tasks`, default off): the
    /// server may then run a `tools/call` as a task, which the call follows to its end
    /// (polling `tasks/get`, answering its questions with `tasks/update`).
    pub fn tasks(mut self, declare: bool) -> Self {
        self.tasks = declare;
        self
    }

    /// Declares the events extension (`io.modelcontextprotocol/events`, default on) in the
    /// 2026-07-28 era: a server then answers `events/*` on the SEP-3415 wire (its error
    /// numbers, per-message `webhook-id`, `gap` and `terminated` envelopes) rather than the
    /// older design sketch's.
    pub fn events(mut self, declare: bool) -> Self {
        self.events = declare;
        self
    }

    /// Notifications one subscription buffers for a slow reader before it drops new ones
    /// (default 256).
    pub fn listen_buffer(mut self, events: usize) -> Self {
        self.limits.listen_buffer = events.max(1);
        self
    }

    /// Connects over an already open transport in the chosen era.
    pub async fn connect(self, transport: Transport) -> Result<Client, ConnectError> {
        self.establish(transport, None).await
    }

    /// Connects over `transport`, whose own side (`connection`) the client keeps and ends on
    /// [`Client::close`].
    pub(crate) async fn establish(
        self,
        transport: Transport,
        connection: Option<Box<dyn Connection>>,
    ) -> Result<Client, ConnectError> {
        let (notifications, _) = broadcast::channel(NOTIFICATION_BACKLOG);
        let routing = Arc::new(Routing {
            notifications,
            listens: Arc::new(ListenRoutes::default()),
            cache: ResultCache::new(self.cache_capacity),
        });
        let session = ClientSession {
            handlers: self.handlers.clone(),
            routing: routing.clone(),
        };
        let peer = Peer::spawn(transport, Arc::new(session), self.config.clone());
        let origin = connection.as_ref().and_then(|c| c.origin());
        let mut client = Client {
            peer: peer.handle,
            task: Some(peer.task),
            init: InitializeResult::default(),
            discover: None,
            version: ProtocolVersion::LATEST_LEGACY,
            handlers: self.handlers.clone(),
            routing,
            envelope: None,
            limits: self.limits,
            listen_setup: tokio::sync::Mutex::new(()),
            connection,
        };
        let remembered = origin
            .as_deref()
            .and_then(|o| self.era_memory.remembered(o));
        let outcome = match (self.era, remembered) {
            (EraChoice::Legacy, _) | (EraChoice::Auto, Some(Era::Legacy)) => {
                self.initialize(&mut client).await
            }
            (EraChoice::Modern, _) => self.go_modern(&mut client).await,
            (EraChoice::Auto, _) => self.probe(&mut client).await,
        };
        if let Some(origin) = &origin {
            match (&outcome, self.era) {
                (Ok(()), EraChoice::Auto) => self.era_memory.remember(origin, client.era()),
                (Err(_), _) => self.era_memory.forget(origin),
                _ => {}
            }
        }
        outcome?;
        let server = &client.init.server_info;
        tracing::debug!(
            "connected to {} {}: protocol {} ({:?} era)",
            server.name,
            server.version,
            client.version,
            client.era()
        );
        Ok(client)
    }

    /// Tries `server/discover`; a legacy server gets `initialize` instead.
    async fn probe(&self, client: &mut Client) -> Result<(), ConnectError> {
        let envelope = self.envelope();
        match discover(client, &envelope, self.probe_timeout).await {
            Ok(found) => {
                self.adopt(client, envelope, found);
                Ok(())
            }
            Err(error) => match era::judge(error) {
                ProbeVerdict::Legacy => self.initialize(client).await,
                ProbeVerdict::Refused(error) => Err(ConnectError::Discover(error)),
            },
        }
    }

    /// 2026-07-28 without fallback: `server/discover` must succeed.
    async fn go_modern(&self, client: &mut Client) -> Result<(), ConnectError> {
        let envelope = self.envelope();
        let found = discover(client, &envelope, self.config.request_timeout)
            .await
            .map_err(ConnectError::Discover)?;
        self.adopt(client, envelope, found);
        Ok(())
    }

    fn envelope(&self) -> RequestStamp {
        let mut capabilities = capabilities_of(&self.handlers);
        if self.tasks {
            let mut extensions = std::collections::BTreeMap::new();
            extensions.insert(TASKS_EXTENSION_ID.to_owned(), JsonObject::new());
            capabilities.extensions = Some(extensions);
        }
        if self.events {
            spate_protocol::events::declare_client_events(&mut capabilities);
        }
        RequestStamp::new(
            ProtocolVersion::LATEST,
            capabilities,
            self.info.clone(),
            self.log_level,
        )
    }

    /// Settles the client on the modern era with what `server/discover` said.
    fn adopt(&self, client: &mut Client, envelope: RequestStamp, found: Discovered) {
        let version = envelope.version();
        client.init = InitializeResult {
            protocol_version: version.as_str().to_owned(),
            capabilities: found.result.capabilities.clone(),
            server_info: found.server_info,
            instructions: found.result.instructions.clone(),
            meta: None,
        };
        client.discover = Some(found.result);
        client.version = version;
        client.envelope = Some(Arc::new(envelope));
    }

    /// The legacy handshake: `initialize`, then `notifications/initialized`.
    async fn initialize(&self, client: &mut Client) -> Result<(), ConnectError> {
        if let Some(connection) = &client.connection {
            connection.set_modern(false);
        }
        let params = InitializeRequestParams {
            protocol_version: self.offer.as_str().to_owned(),
            capabilities: capabilities_of(&self.handlers),
            client_info: self.info.clone(),
            ..Default::default()
        };
        let raw = client
            .peer
            .request(methods::INITIALIZE, &params, RequestOptions::default())
            .await?;
        let init: InitializeResult =
            serde_json::from_str(raw.get()).map_err(|e| ConnectError::Malformed(e.to_string()))?;
        let version = match ProtocolVersion::parse(&init.protocol_version) {
            Some(v) if v <= ProtocolVersion::LATEST_LEGACY => v,
            _ => return Err(ConnectError::UnsupportedVersion(init.protocol_version)),
        };
        client
            .peer
            .notify(methods::NOTIFICATIONS_INITIALIZED, &serde_json::json!({}))
            .await?;
        client.init = init;
        client.version = version;
        Ok(())
    }
}

/// A `DiscoverResult` and the server's identity from it.
struct Discovered {
    result: DiscoverResult,
    server_info: Implementation,
}

/// `serverInfo` where servers put it: in `_meta` as the spec says, or (some test servers)
/// at the top level.
#[derive(Deserialize)]
struct TopLevelInfo {
    #[serde(rename = "serverInfo", default)]
    server_info: Option<Implementation>,
}

/// Sends `server/discover` in the modern envelope. A result that does not list our version
/// counts as a `-32022` naming what it lists.
async fn discover(
    client: &Client,
    envelope: &RequestStamp,
    timeout: Duration,
) -> Result<Discovered, PeerError> {
    if let Some(connection) = &client.connection {
        connection.set_modern(true);
    }
    let options = RequestOptions {
        timeout: Some(timeout),
        ..Default::default()
    };
    let peer: &PeerHandle = &client.peer;
    let raw = envelope
        .request(peer, methods::SERVER_DISCOVER, &JsonObject::new(), options)
        .await?;
    if round_of(methods::SERVER_DISCOVER, &raw)? != Round::Complete {
        return Err(PeerError::Malformed(
            "server/discover did not answer a complete result".into(),
        ));
    }
    let malformed = |e: serde_json::Error| PeerError::Malformed(format!("server/discover: {e}"));
    let result: DiscoverResult = serde_json::from_str(raw.get()).map_err(malformed)?;
    let ours = envelope.version().as_str();
    if !result.supported_versions.is_empty() && !result.supported_versions.iter().any(|v| v == ours)
    {
        return Err(PeerError::Remote(
            spate_protocol::ErrorObject::unsupported_protocol_version(
                ours,
                result.supported_versions,
            ),
        ));
    }
    let in_meta = result
        .meta
        .as_ref()
        .and_then(|m| m.get(SERVER_INFO_KEY))
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    let server_info = match in_meta {
        Some(info) => info,
        None => serde_json::from_str::<TopLevelInfo>(raw.get())
            .ok()
            .and_then(|t| t.server_info)
            .unwrap_or_else(|| Implementation::new("", "")),
    };
    Ok(Discovered {
        result,
        server_info,
    })
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
