//! Build an MCP server: register tools, resources, templates and prompts, then serve
//! connections over any transport.
//!
//! ```no_run
//! use schemars::JsonSchema;
//! use serde::Deserialize;
//! use spate::server::{Args, Server};
//!
//! #[derive(Deserialize, JsonSchema)]
//! struct Add { a: f64, b: f64 }
//!
//! # async fn run() -> std::io::Result<()> {
//! Server::new("calc", "1.0")
//!     .tool("add", "Add two numbers", |Args(Add { a, b }): Args<Add>| async move {
//!         Ok(format!("{}", a + b))
//!     })
//!     .serve_stdio()
//!     .await
//! # }
//! ```

mod catalog;
mod completion;
mod context;
mod cursor;
mod events;
mod extract;
mod handler;
mod listen;
pub mod modern;
mod mrtr;
mod principal;
mod prompt;
pub mod request_state;
mod resource;
mod router;
mod schema;
mod session_record;
pub mod tasks;
mod tool;
mod tool_error;
mod triggers;
pub mod uri_template;

use std::sync::Arc;

use spate_protocol::{
    CacheScope, Implementation, JsonObject, PromptsCapability, ResourcesCapability,
    ServerCapabilities, ServerTaskRequests, ServerTasksCapability, ToolsCapability,
    ToolsTaskRequests,
};
use tokio::sync::broadcast;

pub use completion::{Completer, prefix_matches};
pub use context::{Context, ContextError, ElicitationCompleter};
pub use extract::{
    Args, FromRequest, PromptParams, Rejection, Request, ResourceParams, ToolParams, Uri, Vars,
};
pub use handler::HandlerFn;
pub use principal::Principal;
pub use prompt::PromptEntry;
pub use request_state::RequestStateKeys;
pub use resource::{IntoResourceContents, ResourceEntry, TemplateEntry};
pub use schema::schema_object;
pub use tasks::{TaskConfig, TaskSupport};
pub use tool::{IntoToolResult, Structured, ToolEntry};
pub use tool_error::ToolError;
pub use triggers::webhook::{
    CallbackRefusal, SendFailure, WebhookReply, WebhookSender, WebhookSettings,
};
pub use triggers::{
    Check, CheckError, Checked, CheckedEvent, EmitError, EventEntry, NoArguments, SubscriberChange,
};

use catalog::CatalogCell;
pub(crate) use events::ServerEvent;
use router::Session;
pub(crate) use router::SessionState;
#[cfg(feature = "http-server")]
pub(crate) use session_record::OnChange;

use crate::engine::Transport;
use crate::engine::{Peer, PeerConfig};

/// Limits and knobs of a server.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Items per page of the list methods (default 100).
    pub page_size: usize,
    /// Resource subscriptions one connection may hold (default 1000).
    pub max_subscriptions: usize,
    /// Engine limits and timeouts of each connection.
    pub peer: PeerConfig,
    /// Cache hints of 2026-07-28 results.
    pub cache: CacheConfig,
    /// The keys sealing `requestState` of 2026-07-28 multi-round-trip requests (default: a
    /// random key of this process; share keys between instances that serve one client).
    pub request_state_keys: RequestStateKeys,
    /// Tasks: their store, lifetimes and limits.
    pub tasks: TaskConfig,
    /// Events: where occurrences are kept, and the pace suggested to pollers.
    pub events: EventsConfig,
}

/// Where the occurrences of event types are kept, and how often pollers should come back.
#[derive(Clone)]
#[non_exhaustive]
pub struct EventsConfig {
    /// The per-type history every delivery mode reads (default: in memory, the newest
    /// 10 000 occurrences of each type).
    pub history: Arc<dyn crate::store::event_history::EventHistory>,
    /// `nextPollMs` when a poller has seen everything (default 1 s).
    pub poll_interval: std::time::Duration,
    /// How long an `events/stream` stays silent before a heartbeat (default and at most
    /// 30 s).
    pub heartbeat: std::time::Duration,
    /// How long after its last poll a poller still counts as a subscriber of its type, for
    /// [`EventEntry::on_subscribers`] (default 60 s; at least three poll intervals).
    pub poll_lease: std::time::Duration,
    /// Webhook delivery (`events/subscribe`); off until a sender is set.
    pub webhooks: WebhookSettings,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            history: Arc::new(crate::store::event_history::MemoryEventHistory::new(10_000)),
            poll_interval: std::time::Duration::from_secs(1),
            heartbeat: std::time::Duration::from_secs(30),
            poll_lease: std::time::Duration::from_secs(60),
            webhooks: WebhookSettings::default(),
        }
    }
}

impl std::fmt::Debug for EventsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventsConfig")
            .field("epoch", &self.history.epoch())
            .field("poll_interval", &self.poll_interval)
            .field("heartbeat", &self.heartbeat)
            .field("webhooks", &self.webhooks)
            .finish()
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            page_size: 100,
            max_subscriptions: 1000,
            peer: PeerConfig::default(),
            cache: CacheConfig::default(),
            request_state_keys: RequestStateKeys::default(),
            tasks: TaskConfig::default(),
            events: EventsConfig::default(),
        }
    }
}

/// How long a client may keep a result, and who may share it (`ttlMs`, `cacheScope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheHints {
    /// Milliseconds the result stays fresh; 0 = stale at once.
    pub ttl_ms: u64,
    /// Who may keep it.
    pub scope: CacheScope,
}

impl Default for CacheHints {
    /// Stale at once, private: never wrong, whatever changes or whoever asks.
    fn default() -> Self {
        Self {
            ttl_ms: 0,
            scope: CacheScope::Private,
        }
    }
}

/// Cache hints per kind of 2026-07-28 result. Every list change is also announced
/// (`list_changed` on `subscriptions/listen`), which invalidates a cached list early.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheConfig {
    /// `server/discover`.
    pub discover: CacheHints,
    /// `tools/list`.
    pub tools: CacheHints,
    /// `prompts/list`.
    pub prompts: CacheHints,
    /// `resources/list` and `resources/templates/list`.
    pub resources: CacheHints,
    /// `resources/read`.
    pub reads: CacheHints,
}

pub(crate) struct ServerShared {
    pub(crate) info: Implementation,
    pub(crate) instructions: Option<String>,
    pub(crate) config: ServerConfig,
    pub(crate) catalog: CatalogCell,
    pub(crate) events: broadcast::Sender<ServerEvent>,
    pub(crate) tasks: Arc<tasks::TaskManager>,
    pub(crate) webhooks: triggers::webhook::Webhooks,
    pub(crate) subscribers: triggers::Subscribers,
    pub(crate) nudges: triggers::check::Nudges,
    /// Bumped whenever the set of event types changes (push streams watch it to end when
    /// their type goes).
    pub(crate) event_types: tokio::sync::watch::Sender<u64>,
}

/// A handle to a running (or about to run) server: change what it offers and notify clients.
/// Cheap to clone.
#[derive(Clone)]
pub struct ServerHandle {
    pub(crate) shared: Arc<ServerShared>,
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle")
            .field("info", &self.shared.info)
            .finish_non_exhaustive()
    }
}

/// An MCP server under construction. Register what it offers, then serve.
#[derive(Debug, Clone)]
pub struct Server {
    handle: ServerHandle,
}

/// How many server events may queue for a slow connection before it misses some.
const EVENT_BACKLOG: usize = 1024;

impl Server {
    /// A server with a name and version (its `serverInfo`).
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self::with_info(
            Implementation::new(name, version),
            None,
            ServerConfig::default(),
        )
    }

    /// A server with full implementation info, optional instructions and a configuration.
    pub fn with_info(
        info: Implementation,
        instructions: Option<String>,
        config: ServerConfig,
    ) -> Self {
        let (events, _) = broadcast::channel(EVENT_BACKLOG);
        let tasks = Arc::new(tasks::TaskManager::new(config.tasks.clone()));
        tasks::start_sweeper(Arc::downgrade(&tasks));
        let webhooks = triggers::webhook::Webhooks::new(&config.events.webhooks);
        Self {
            handle: ServerHandle {
                shared: Arc::new(ServerShared {
                    info,
                    instructions,
                    config,
                    catalog: CatalogCell::default(),
                    events,
                    tasks,
                    webhooks,
                    subscribers: triggers::Subscribers::default(),
                    nudges: triggers::check::Nudges::default(),
                    event_types: tokio::sync::watch::channel(0).0,
                }),
            },
        }
    }

    /// Registers a tool from an async function of extractors (see [`HandlerFn`], [`Args`],
    /// [`Context`]) returning `Result<R, ToolError>`.
    pub fn tool<H, M, R>(self, name: &str, description: &str, handler: H) -> Self
    where
        H: HandlerFn<ToolParams, M, Output = Result<R, ToolError>>,
        R: IntoToolResult + 'static,
        M: 'static,
    {
        self.handle
            .add_tool(ToolEntry::new(name, description, handler));
        self
    }

    /// Registers a prepared tool entry.
    pub fn tool_entry(self, entry: ToolEntry) -> Self {
        self.handle.add_tool(entry);
        self
    }

    /// Registers a resource.
    pub fn resource(self, entry: ResourceEntry) -> Self {
        self.handle.add_resource(entry);
        self
    }

    /// Registers a resource template.
    pub fn resource_template(self, entry: TemplateEntry) -> Self {
        self.handle.add_template(entry);
        self
    }

    /// Registers a prompt.
    pub fn prompt(self, entry: PromptEntry) -> Self {
        self.handle.add_prompt(entry);
        self
    }

    /// Registers an event type (the events extension).
    pub fn event(self, entry: EventEntry) -> Self {
        self.handle.add_event(entry);
        self
    }

    /// The handle to change the server and notify clients while it runs.
    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }

    /// Serves one connection over a transport; returns the running peer.
    pub fn serve(&self, transport: Transport) -> Peer {
        self.serve_session(transport).0
    }

    /// Serves one connection and also returns what it negotiates, for transports that need
    /// the version (HTTP headers, priming events).
    pub(crate) fn serve_session(&self, transport: Transport) -> (Peer, Arc<SessionState>) {
        let state = Arc::new(SessionState::default());
        let session = Session {
            server: self.handle.clone(),
            state: state.clone(),
        };
        let config = self.handle.shared.config.peer.clone();
        let peer = Peer::spawn(transport, Arc::new(session), config);
        events::forward(self.handle.clone(), state.clone(), peer.handle.clone());
        (peer, state)
    }

    #[cfg(feature = "http-server")]
    /// Serves one connection driven by its transport (an HTTP session): no task, and no server
    /// events forwarded — the transport fans those out itself ([`Server::subscribe_events`]).
    /// A session restored from its stored `record` starts with the state it negotiated.
    pub(crate) fn serve_attached(
        &self,
        sink: Arc<dyn crate::engine::FrameSink>,
        record: Option<&crate::store::session_store::SessionRecord>,
    ) -> (crate::engine::AttachedPeer, Arc<SessionState>) {
        let state = Arc::new(record.map_or_else(SessionState::default, SessionState::from_record));
        let session = Session {
            server: self.handle.clone(),
            state: state.clone(),
        };
        let config = self.handle.shared.config.peer.clone();
        (Peer::attach(sink, Arc::new(session), config), state)
    }

    #[cfg(feature = "http-server")]
    /// Server events from now on, for a transport that fans them out to its connections.
    pub(crate) fn subscribe_events(&self) -> broadcast::Receiver<ServerEvent> {
        self.handle.shared.events.subscribe()
    }

    #[cfg(feature = "http-server")]
    /// Serves a connection that carries only 2026-07-28 requests (one HTTP request), driven by
    /// its transport like a session: no session, so no server events are forwarded to it
    /// outside `subscriptions/listen`.
    /// The transport has read and checked the request's `envelope` (its version is one this
    /// server speaks); the router takes it from the connection's state instead of reading the
    /// request's `_meta` again.
    pub(crate) fn serve_stateless(
        &self,
        sink: Arc<dyn crate::engine::FrameSink>,
        principal: Option<Principal>,
        envelope: &spate_protocol::envelope::RequestEnvelope,
    ) -> Result<crate::engine::AttachedPeer, spate_protocol::ErrorObject> {
        let state = SessionState::modern(modern::supported_version(envelope)?, envelope);
        if let Some(principal) = principal {
            state.set_principal(principal);
        }
        let session = Session {
            server: self.handle.clone(),
            state: Arc::new(state),
        };
        let config = self.handle.shared.config.peer.clone();
        Ok(Peer::attach(sink, Arc::new(session), config))
    }

    #[cfg(feature = "http-server")]
    /// The input schema of a tool, if the server has it now.
    pub(crate) fn tool_input_schema(&self, name: &str) -> Option<JsonObject> {
        let catalog = self.handle.shared.catalog.snapshot();
        catalog
            .tool(name)
            .map(|entry| entry.tool.input_schema.clone())
    }

    /// The configuration the server was built with.
    pub fn config(&self) -> &ServerConfig {
        &self.handle.shared.config
    }
}

/// Methods of [`ServerHandle`] that change the catalog and tell connected clients.
mod catalog_api {
    use super::catalog::{remove, upsert};
    use super::events::ServerEvent;
    use super::triggers::{self, EmitError, EventEntry};
    use super::{PromptEntry, ResourceEntry, ServerHandle, TemplateEntry, ToolEntry};

    impl ServerHandle {
        /// Adds or replaces a tool; clients get `notifications/tools/list_changed`.
        pub fn add_tool(&self, entry: ToolEntry) {
            self.shared
                .catalog
                .change(|c| upsert(&mut c.tools, entry, |t| &t.tool.name));
            self.announce(ServerEvent::ToolsChanged);
        }

        /// Removes a tool; whether it existed.
        pub fn remove_tool(&self, name: &str) -> bool {
            let gone = self
                .shared
                .catalog
                .change(|c| remove(&mut c.tools, name, |t| &t.tool.name));
            if gone {
                self.announce(ServerEvent::ToolsChanged);
            }
            gone
        }

        /// Adds or replaces a resource; clients get `notifications/resources/list_changed`.
        pub fn add_resource(&self, entry: ResourceEntry) {
            self.shared
                .catalog
                .change(|c| upsert(&mut c.resources, entry, |r| &r.resource.uri));
            self.announce(ServerEvent::ResourcesChanged);
        }

        /// Removes a resource by URI; whether it existed.
        pub fn remove_resource(&self, uri: &str) -> bool {
            let gone = self
                .shared
                .catalog
                .change(|c| remove(&mut c.resources, uri, |r| &r.resource.uri));
            if gone {
                self.announce(ServerEvent::ResourcesChanged);
            }
            gone
        }

        /// Adds or replaces a resource template.
        pub fn add_template(&self, entry: TemplateEntry) {
            self.shared
                .catalog
                .change(|c| upsert(&mut c.templates, entry, |t| &t.template.uri_template));
            self.announce(ServerEvent::ResourcesChanged);
        }

        /// Adds or replaces a prompt; clients get `notifications/prompts/list_changed`.
        pub fn add_prompt(&self, entry: PromptEntry) {
            self.shared
                .catalog
                .change(|c| upsert(&mut c.prompts, entry, |p| &p.prompt.name));
            self.announce(ServerEvent::PromptsChanged);
        }

        /// Removes a prompt; whether it existed.
        pub fn remove_prompt(&self, name: &str) -> bool {
            let gone = self
                .shared
                .catalog
                .change(|c| remove(&mut c.prompts, name, |p| &p.prompt.name));
            if gone {
                self.announce(ServerEvent::PromptsChanged);
            }
            gone
        }

        /// Adds or replaces an event type; clients get `notifications/events/list_changed`
        /// (legacy sessions directly, `subscriptions/listen` streams that asked for
        /// `eventsListChanged`).
        pub fn add_event(&self, entry: EventEntry) {
            self.shared
                .catalog
                .change(|c| upsert(&mut c.events, entry, |e| &e.descriptor.name));
            self.announce(ServerEvent::EventsChanged);
            self.shared
                .event_types
                .send_modify(|n| *n = n.wrapping_add(1));
        }

        /// Removes an event type; whether it existed. Pollers of it get `NotFound` next;
        /// its webhook subscriptions end (a SEP-3415 subscriber is sent a `terminated`
        /// envelope).
        pub fn remove_event(&self, name: &str) -> bool {
            let gone = self
                .shared
                .catalog
                .change(|c| remove(&mut c.events, name, |e| &e.descriptor.name));
            if gone {
                self.announce(ServerEvent::EventsChanged);
                self.shared
                    .event_types
                    .send_modify(|n| *n = n.wrapping_add(1));
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    let server = self.clone();
                    let name = name.to_owned();
                    runtime.spawn(async move {
                        server.shared.webhooks.type_removed(&server, &name).await;
                    });
                }
            }
            gone
        }

        /// Starts delivery to the webhook subscriptions a durable store kept from before a
        /// restart (those not running yet); returns how many. Call it once the event types
        /// are registered: a subscription whose type is unknown ends.
        pub async fn resume_webhooks(&self) -> Result<usize, spate_protocol::ErrorObject> {
            self.shared.webhooks.resume(self).await
        }

        /// Records an occurrence of the event type `name` with this payload (a JSON object),
        /// under `event_id` (the upstream's own id, so a redelivery stays one event) or a
        /// fresh one; every delivery mode then hands it to the subscriptions whose arguments
        /// it matches. Returns the event id.
        pub async fn emit(
            &self,
            name: &str,
            payload: &impl serde::Serialize,
            event_id: Option<String>,
        ) -> Result<String, EmitError> {
            match self.shared.catalog.snapshot().event(name) {
                None => return Err(EmitError::UnknownType(name.to_owned())),
                Some(entry) if entry.check_fn().is_some() => {
                    return Err(EmitError::Checkable(name.to_owned()));
                }
                Some(_) => {}
            }
            let data =
                serde_json::to_value(payload).map_err(|e| EmitError::NotAnObject(e.to_string()))?;
            if !data.is_object() {
                return Err(EmitError::NotAnObject(format!("got {data}")));
            }
            let event_id = match event_id {
                Some(id) if !triggers::valid_event_id(&id) => {
                    return Err(EmitError::BadEventId(id));
                }
                Some(id) => id,
                None => triggers::mint_event_id(),
            };
            let stored = self
                .shared
                .config
                .events
                .history
                .append(name, event_id, crate::store::now_ms(), data)
                .await?;
            Ok(stored.event_id)
        }

        /// Tells the subscriptions of the checkable type `name` that its source has news:
        /// push streams and webhook subscriptions ask it at once instead of at their next
        /// poll interval.
        pub fn nudge(&self, name: &str) {
            self.shared.nudges.nudge(name);
        }

        /// Tells every client subscribed to `uri` that it changed (`notifications/resources/updated`).
        pub fn resource_updated(&self, uri: impl Into<String>) {
            self.announce(ServerEvent::ResourceUpdated(uri.into()));
        }

        pub(crate) fn announce(&self, event: ServerEvent) {
            // No receivers just means no client is connected.
            let _ = self.shared.events.send(event);
        }
    }
}

/// What this server declares in `initialize` and `server/discover`: everything it
/// implements, and the events extension when it has event types.
fn capabilities(catalog: &catalog::Catalog) -> ServerCapabilities {
    let mut capabilities = ServerCapabilities {
        tools: Some(ToolsCapability {
            list_changed: Some(true),
        }),
        resources: Some(ResourcesCapability {
            subscribe: Some(true),
            list_changed: Some(true),
        }),
        prompts: Some(PromptsCapability {
            list_changed: Some(true),
        }),
        logging: Some(JsonObject::new()),
        completions: Some(JsonObject::new()),
        // 2025-11-25 experimental tasks; `FitVersion` keeps it for that version only.
        tasks: Some(ServerTasksCapability {
            list: Some(JsonObject::new()),
            cancel: Some(JsonObject::new()),
            requests: Some(ServerTaskRequests {
                tools: Some(ToolsTaskRequests {
                    call: Some(JsonObject::new()),
                }),
            }),
        }),
        // The 2026 tasks extension; kept from 2026-07-28 on.
        extensions: Some(
            [(
                spate_protocol::tasks::TASKS_EXTENSION_ID.to_owned(),
                JsonObject::new(),
            )]
            .into_iter()
            .collect(),
        ),
        ..Default::default()
    };
    if !catalog.events.is_empty() {
        let events = spate_protocol::events::EventsCapability {
            list_changed: Some(true),
        };
        events.advertise(&mut capabilities);
    }
    capabilities
}
