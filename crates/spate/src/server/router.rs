//! One client connection to a server: negotiated state and request routing.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use futures_util::future::BoxFuture;
use serde::Serialize;
use serde_json::value::RawValue;
use spate_protocol::jsonrpc::to_raw;
use spate_protocol::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, CompleteRequestParams,
    CompletionReference, DiscoverResult, EmptyResult, ErrorObject, FitVersion,
    GetPromptRequestParams, Implementation, InitializeRequestParams, InitializeResult,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    LoggingLevel, Meta, Notification, PaginatedRequestParams, ProtocolVersion,
    ReadResourceRequestParams, ReadResourceResult, Request, SetLevelRequestParams,
    SubscribeRequestParams, UnsubscribeRequestParams, error_code, methods,
};

use super::completion::complete_result;
use super::context::{Context, ProgressState};
use super::cursor::paginate;
use super::modern::{SUPPORTED_MODERN, removed_in_modern, supported_version};
use super::mrtr::{Round, RoundOutcome};
use super::tasks::{self, TaskMode, TaskSlot, TaskSupport, call_as_task};
use super::tool::ToolEntry;
use super::{ServerHandle, capabilities};
use crate::engine::{Handler, PeerHandle, RequestContext};
use spate_protocol::envelope::{RequestEnvelope, claims_modern, request_meta};

/// What the server knows about one connection, negotiated at `initialize`.
#[derive(Default)]
pub(crate) struct SessionState {
    pub(super) version: OnceLock<ProtocolVersion>,
    pub(super) client_capabilities: OnceLock<ClientCapabilities>,
    pub(super) client_info: OnceLock<Implementation>,
    pub(super) initialized: AtomicBool,
    pub(super) log_level: Mutex<Option<LoggingLevel>>,
    /// A 2026-07-28 request's state, from its envelope: no logs unless the request asked for
    /// a level. Boxed: every legacy session holds this state, and the envelope is large.
    envelope: Option<Box<RequestEnvelope>>,
    /// Names this session as the owner of the 2025-11-25 tasks it creates.
    pub(super) task_owner: OnceLock<String>,
    /// Who the transport authenticated (OAuth), when it did.
    pub(super) principal: OnceLock<super::Principal>,
    pub(crate) subscriptions: Mutex<HashSet<String>>,
    /// Counts the changes worth storing (see [`super::session_record`]).
    pub(super) revision: std::sync::atomic::AtomicU64,
    /// Told of every such change, when the transport keeps sessions in a store.
    pub(super) on_change: OnceLock<super::session_record::OnChange>,
}

impl std::fmt::Debug for SessionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionState")
            .field("version", &self.version.get())
            .field("initialized", &self.is_initialized())
            .finish_non_exhaustive()
    }
}

impl SessionState {
    /// The state of one 2026-07-28 request, from its envelope: nothing outlives the request.
    pub(crate) fn modern(version: ProtocolVersion, envelope: &RequestEnvelope) -> Self {
        let state = Self {
            envelope: Some(Box::new(envelope.clone())),
            log_level: Mutex::new(envelope.log_level),
            initialized: AtomicBool::new(true),
            ..Self::default()
        };
        let _ = state.version.set(version);
        let _ = state.client_capabilities.set(envelope.capabilities.clone());
        if let Some(info) = &envelope.client_info {
            let _ = state.client_info.set(info.clone());
        }
        state
    }

    pub(crate) fn version(&self) -> Option<ProtocolVersion> {
        self.version.get().copied()
    }

    /// The envelope of the 2026-07-28 request this state was made for, if it was.
    pub(crate) fn envelope(&self) -> Option<&RequestEnvelope> {
        self.envelope.as_deref()
    }

    pub(crate) fn client_capabilities(&self) -> Option<ClientCapabilities> {
        self.client_capabilities.get().cloned()
    }

    pub(crate) fn client_info(&self) -> Option<Implementation> {
        self.client_info.get().cloned()
    }

    pub(crate) fn is_initialized(&self) -> bool {
        self.initialized.load(Ordering::Acquire)
    }

    /// Whether a message at `level` passes the client's level: `logging/setLevel` on a legacy
    /// session (all pass until set), the request's `_meta` logLevel on a modern request
    /// (none pass unless asked).
    pub(crate) fn logs(&self, level: LoggingLevel) -> bool {
        let min = *self
            .log_level
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match min {
            Some(min) => level >= min,
            None => self.envelope.is_none(),
        }
    }

    /// Who the transport authenticated for this connection or request.
    pub(crate) fn principal(&self) -> Option<super::Principal> {
        self.principal.get().cloned()
    }

    /// Records who the transport authenticated (once).
    pub(crate) fn set_principal(&self, principal: super::Principal) {
        let _ = self.principal.set(principal);
    }

    /// The random id that marks this session's tasks as its own.
    pub(crate) fn task_owner(&self) -> &str {
        let mut made = false;
        let owner = self.task_owner.get_or_init(|| {
            made = true;
            let mut bytes = [0u8; 16];
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        });
        if made && self.on_change.get().is_some() {
            // Stored in the background: the owner is only read back after a restart.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(self.changed());
            }
        }
        owner
    }

    /// Whether the tasks of `owner` are this session's (it never made one if it has no id).
    pub(crate) fn owns_tasks_of(&self, owner: &str) -> bool {
        self.task_owner.get().is_some_and(|mine| mine == owner)
    }

    pub(crate) fn is_subscribed(&self, uri: &str) -> bool {
        self.subscriptions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(uri)
    }
}

/// The engine handler of one server connection.
pub(crate) struct Session {
    pub(crate) server: ServerHandle,
    pub(crate) state: Arc<SessionState>,
}

impl Handler for Session {
    fn on_request(
        &self,
        request: Request,
        context: RequestContext,
    ) -> BoxFuture<'static, Result<Box<RawValue>, ErrorObject>> {
        let router = MethodRouter {
            server: self.server.clone(),
            state: self.state.clone(),
        };
        if request.method == methods::INITIALIZE
            && self.state.envelope().is_none()
            && modern_meta(&request).is_none()
        {
            // The handshake takes effect as it arrives, not when its task first runs: the
            // requests and `initialized` right behind it (a client need not wait for the
            // answer to send them) are dispatched as other tasks, and may run first.
            let answer = router.initialize(&request);
            // Stored before the answer goes out: a client that has its answer has a session
            // that survives a restart.
            let stored = answer.is_ok().then(|| self.state.changed());
            return Box::pin(async move {
                if let Some(stored) = stored {
                    stored.await;
                }
                answer
            });
        }
        Box::pin(async move { router.route(request, context).await })
    }

    fn on_notification(
        &self,
        notification: Notification,
        _peer: &PeerHandle,
    ) -> BoxFuture<'static, ()> {
        if notification.method == methods::NOTIFICATIONS_INITIALIZED
            && self.state.version().is_some()
            && !self.state.initialized.swap(true, Ordering::AcqRel)
        {
            return self.state.changed();
        }
        Box::pin(async {})
    }

    fn handles_ping(&self) -> bool {
        true
    }

    fn accepts_batches(&self) -> bool {
        self.state
            .version()
            .is_some_and(ProtocolVersion::allows_batches)
    }
}

struct MethodRouter {
    server: ServerHandle,
    state: Arc<SessionState>,
}

pub(super) type Answer = Result<Box<RawValue>, ErrorObject>;

impl MethodRouter {
    async fn route(self, request: Request, rc: RequestContext) -> Answer {
        // The era is decided once per request: by the transport, for a connection it made for
        // one 2026-07-28 request (its state holds the envelope the transport read); else, on
        // a connection that may carry both eras (stdio), here, from the request's `_meta`.
        if let Some(envelope) = self.state.envelope() {
            let envelope = envelope.clone();
            return self.route_modern(request, rc, envelope).await;
        }
        if let Some(meta) = modern_meta(&request) {
            let envelope = RequestEnvelope::read(Some(&meta))?;
            return self.route_modern(request, rc, envelope).await;
        }
        // A legacy `initialize` never gets here: `on_request` answers it as it arrives.
        let method = request.method.as_str();
        if method == methods::PING {
            return Ok(to_raw(&serde_json::json!({})));
        }
        let Some(version) = self.state.version() else {
            return Err(ErrorObject::new(
                error_code::INVALID_REQUEST,
                format!("Invalid Request: {method} before initialize; send initialize first"),
            ));
        };
        self.dispatch(version, request, rc).await
    }

    /// A 2026-07-28 request: its own envelope, no handshake, no session state.
    async fn route_modern(
        self,
        request: Request,
        rc: RequestContext,
        envelope: RequestEnvelope,
    ) -> Answer {
        let version = supported_version(&envelope)?;
        let method = request.method.as_str();
        if removed_in_modern(method) {
            return Err(ErrorObject::method_not_found(method));
        }
        let router = if self.state.envelope().is_some() {
            self
        } else {
            let state = SessionState::modern(version, &envelope);
            if let Some(principal) = self.state.principal() {
                state.set_principal(principal);
            }
            MethodRouter {
                server: self.server,
                state: Arc::new(state),
            }
        };
        if let Some(answer) =
            tasks::modern_method(&router.server, &request, &envelope.capabilities).await
        {
            return answer;
        }
        match method {
            methods::SERVER_DISCOVER => router.discover(version),
            methods::SUBSCRIPTIONS_LISTEN => {
                let with_tasks = tasks::declares_tasks(&envelope.capabilities);
                super::listen::listen(router.server, request, rc, version, with_tasks).await
            }
            _ => router.dispatch(version, request, rc).await,
        }
    }

    /// `tools/call`, synchronously or as a task.
    async fn call_tool(
        self,
        version: ProtocolVersion,
        request: Request,
        rc: RequestContext,
    ) -> Answer {
        let p: CallToolRequestParams = request.parse_params()?;
        let catalog = self.server.shared.catalog.snapshot();
        let Some(entry) = catalog.tool(&p.name) else {
            return Err(ErrorObject::invalid_params(format!(
                "Unknown tool: {}",
                p.name
            )));
        };
        let round = self.round(version, &request)?;
        let mut ctx = self.context(&rc, p.meta.as_ref(), round.clone());
        let Some(mode) = self.task_mode(version, entry, &p, &rc)? else {
            let outcome = entry.handler.call(ctx.clone(), p.arguments).await;
            ctx.finish();
            let result = outcome?;
            if let Some(early) = settle(version, round, result.is_error == Some(true)) {
                return early;
            }
            return fitted(version, result);
        };
        let slot = Arc::new(TaskSlot::new(self.server.clone(), mode, version));
        ctx.cancel = slot.cancel.clone();
        ctx.task = Some(slot.clone());
        let handler = entry.handler.clone();
        let arguments = p.arguments;
        let run_ctx = ctx.clone();
        let run = async move {
            let result = handler.call(run_ctx.clone(), arguments).await;
            run_ctx.finish();
            result
        };
        let sync = move |outcome: Result<CallToolResult, ErrorObject>| {
            let result = outcome?;
            settle(version, round, result.is_error == Some(true))
                .unwrap_or_else(|| fitted(version, result))
        };
        call_as_task(
            slot,
            rc.cancel.clone(),
            !entry.starts_task_itself,
            run,
            sync,
        )
        .await
    }

    /// Whether this call runs as a task, and of which generation: 2026 requests that declare
    /// the extension, for tools that support tasks; 2025-11-25 requests with `params.task`.
    fn task_mode(
        &self,
        version: ProtocolVersion,
        entry: &ToolEntry,
        p: &CallToolRequestParams,
        rc: &RequestContext,
    ) -> Result<Option<TaskMode>, ErrorObject> {
        let support = entry.tasks();
        if version.era() == spate_protocol::Era::Modern {
            let declared = self
                .state
                .client_capabilities()
                .is_some_and(|c| tasks::declares_tasks(&c));
            return match (support, declared) {
                (TaskSupport::Forbidden, _) => Ok(None),
                (_, true) => Ok(Some(TaskMode::Extension)),
                (TaskSupport::Required, false) => Err(tasks::tasks_required()),
                (TaskSupport::Optional, false) => Ok(None),
            };
        }
        if version != ProtocolVersion::V2025_11_25 {
            return Ok(None);
        }
        match (&p.task, support) {
            (Some(_), TaskSupport::Forbidden) => Err(ErrorObject::method_not_found(&format!(
                "tools/call of {} as a task (the tool does not support tasks)",
                p.name
            ))),
            (None, TaskSupport::Required) => Err(ErrorObject::method_not_found(&format!(
                "tools/call of {} without params.task (the tool runs only as a task)",
                p.name
            ))),
            (None, _) => Ok(None),
            (Some(task), _) => Ok(Some(TaskMode::Legacy {
                owner: self.state.task_owner().to_owned(),
                ttl_ms: task.ttl,
                peer: rc.peer.clone(),
            })),
        }
    }

    /// The methods both eras share, answered in `version`'s shape.
    async fn dispatch(
        self,
        version: ProtocolVersion,
        request: Request,
        rc: RequestContext,
    ) -> Answer {
        let method = request.method.as_str();
        let cache = &self.server.shared.config.cache;
        let catalog = self.server.shared.catalog.snapshot();
        let page = self.server.shared.config.page_size;
        match method {
            methods::TOOLS_LIST => {
                let p: PaginatedRequestParams = request.parse_params()?;
                let (tools, next_cursor) = paginate(&catalog.tools, p.cursor.as_deref(), page, 1)?;
                let tools = tools.into_iter().map(|t| t.tool).collect();
                fitted(
                    version,
                    ListToolsResult {
                        tools,
                        next_cursor,
                        ttl_ms: Some(cache.tools.ttl_ms),
                        cache_scope: Some(cache.tools.scope),
                        ..Default::default()
                    },
                )
            }
            methods::TOOLS_CALL => self.call_tool(version, request, rc).await,
            spate_protocol::events::methods::EVENTS_LIST => {
                super::triggers::list(&self.server, &request, version)
            }
            spate_protocol::events::methods::EVENTS_STREAM => {
                let capabilities = self.state.client_capabilities();
                super::triggers::stream(&self.server, &request, &rc, version, capabilities.as_ref())
                    .await
            }
            spate_protocol::events::methods::EVENTS_SUBSCRIBE
            | spate_protocol::events::methods::EVENTS_UNSUBSCRIBE => {
                let capabilities = self.state.client_capabilities();
                let principal = self.state.principal();
                super::triggers::webhook::answer(
                    &self.server,
                    &request,
                    version,
                    capabilities.as_ref(),
                    principal.as_ref(),
                )
                .await
            }
            spate_protocol::events::methods::EVENTS_POLL => {
                let capabilities = self.state.client_capabilities();
                super::triggers::poll(
                    &self.server,
                    &request,
                    version,
                    capabilities.as_ref(),
                    &rc.cancel,
                )
                .await
            }
            methods::RESOURCES_LIST => {
                let p: PaginatedRequestParams = request.parse_params()?;
                let (items, next_cursor) =
                    paginate(&catalog.resources, p.cursor.as_deref(), page, 2)?;
                let resources = items.into_iter().map(|r| r.resource).collect();
                fitted(
                    version,
                    ListResourcesResult {
                        resources,
                        next_cursor,
                        ttl_ms: Some(cache.resources.ttl_ms),
                        cache_scope: Some(cache.resources.scope),
                        ..Default::default()
                    },
                )
            }
            methods::RESOURCES_TEMPLATES_LIST => {
                let p: PaginatedRequestParams = request.parse_params()?;
                let (items, next_cursor) =
                    paginate(&catalog.templates, p.cursor.as_deref(), page, 3)?;
                let resource_templates = items.into_iter().map(|t| t.template).collect();
                fitted(
                    version,
                    ListResourceTemplatesResult {
                        resource_templates,
                        next_cursor,
                        ttl_ms: Some(cache.resources.ttl_ms),
                        cache_scope: Some(cache.resources.scope),
                        ..Default::default()
                    },
                )
            }
            methods::RESOURCES_READ => {
                let p: ReadResourceRequestParams = request.parse_params()?;
                let round = self.round(version, &request)?;
                let ctx = self.context(&rc, p.meta.as_ref(), round.clone());
                let read = if let Some(entry) =
                    catalog.resources.iter().find(|r| r.resource.uri == p.uri)
                {
                    (entry.read)(ctx.clone(), p.uri.clone(), BTreeMap::new()).await
                } else if let Some((entry, vars)) = catalog
                    .templates
                    .iter()
                    .find_map(|t| t.matcher.matches(&p.uri).map(|v| (t, v)))
                {
                    (entry.read)(ctx.clone(), p.uri.clone(), vars).await
                } else {
                    return Err(resource_not_found(version, &p.uri));
                };
                ctx.finish();
                if let Some(early) = settle(version, round, read.is_err()) {
                    return early;
                }
                fitted(
                    version,
                    ReadResourceResult {
                        contents: read?,
                        ttl_ms: Some(cache.reads.ttl_ms),
                        cache_scope: Some(cache.reads.scope),
                        ..Default::default()
                    },
                )
            }
            methods::RESOURCES_SUBSCRIBE => {
                let p: SubscribeRequestParams = request.parse_params()?;
                let limit = self.server.shared.config.max_subscriptions;
                let added = {
                    let mut subs = self
                        .state
                        .subscriptions
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    if subs.len() >= limit && !subs.contains(&p.uri) {
                        return Err(ErrorObject::invalid_params(format!(
                            "Too many subscriptions: at most {limit} per session"
                        )));
                    }
                    subs.insert(p.uri)
                };
                if added {
                    self.state.changed().await;
                }
                fitted(version, EmptyResult::default())
            }
            methods::RESOURCES_UNSUBSCRIBE => {
                let p: UnsubscribeRequestParams = request.parse_params()?;
                let removed = self
                    .state
                    .subscriptions
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .remove(&p.uri);
                if removed {
                    self.state.changed().await;
                }
                fitted(version, EmptyResult::default())
            }
            methods::PROMPTS_LIST => {
                let p: PaginatedRequestParams = request.parse_params()?;
                let (items, next_cursor) =
                    paginate(&catalog.prompts, p.cursor.as_deref(), page, 4)?;
                let prompts = items.into_iter().map(|p| p.prompt).collect();
                fitted(
                    version,
                    ListPromptsResult {
                        prompts,
                        next_cursor,
                        ttl_ms: Some(cache.prompts.ttl_ms),
                        cache_scope: Some(cache.prompts.scope),
                        ..Default::default()
                    },
                )
            }
            methods::PROMPTS_GET => {
                let p: GetPromptRequestParams = request.parse_params()?;
                let Some(entry) = catalog.prompt(&p.name) else {
                    return Err(ErrorObject::invalid_params(format!(
                        "Unknown prompt: {}",
                        p.name
                    )));
                };
                let args: BTreeMap<String, String> = p
                    .arguments
                    .clone()
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                entry.check_required(&args)?;
                let round = self.round(version, &request)?;
                let ctx = self.context(&rc, p.meta.as_ref(), round.clone());
                let result = (entry.get)(ctx.clone(), args).await;
                ctx.finish();
                if let Some(early) = settle(version, round, result.is_err()) {
                    return early;
                }
                fitted(version, result?)
            }
            methods::COMPLETION_COMPLETE => {
                let p: CompleteRequestParams = request.parse_params()?;
                let known: BTreeMap<String, String> = p
                    .context
                    .and_then(|c| c.arguments)
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                let completer = match &p.reference {
                    CompletionReference::Prompt(r) => {
                        let entry = catalog.prompt(&r.name).ok_or_else(|| {
                            ErrorObject::invalid_params(format!("Unknown prompt: {}", r.name))
                        })?;
                        entry.completers.get(&p.argument.name).cloned()
                    }
                    CompletionReference::Resource(r) => {
                        let entry = catalog
                            .templates
                            .iter()
                            .find(|t| t.template.uri_template == r.uri)
                            .ok_or_else(|| {
                                ErrorObject::invalid_params(format!(
                                    "Unknown resource template: {}",
                                    r.uri
                                ))
                            })?;
                        entry.completers.get(&p.argument.name).cloned()
                    }
                };
                let candidates = completer
                    .map(|c| c(&p.argument.value, &known))
                    .unwrap_or_default();
                fitted(version, complete_result(candidates))
            }
            methods::LOGGING_SET_LEVEL => {
                let p: SetLevelRequestParams = request.parse_params()?;
                *self
                    .state
                    .log_level
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(p.level);
                self.state.changed().await;
                fitted(version, EmptyResult::default())
            }
            methods::TASKS_GET
            | methods::TASKS_RESULT
            | methods::TASKS_LIST
            | methods::TASKS_CANCEL
                if version == ProtocolVersion::V2025_11_25 =>
            {
                let owner = self.state.task_owner().to_owned();
                tasks::legacy_method(&self.server, &request, &owner)
                    .await
                    .unwrap_or_else(|| Err(ErrorObject::method_not_found(method)))
            }
            other => Err(ErrorObject::method_not_found(other)),
        }
    }

    fn initialize(&self, request: &Request) -> Answer {
        let p: InitializeRequestParams = request.parse_params()?;
        let version = match ProtocolVersion::parse(&p.protocol_version) {
            Some(v) if v <= ProtocolVersion::LATEST_LEGACY => v,
            // Unknown or modern versions get our newest handshake version; the client decides.
            _ => ProtocolVersion::LATEST_LEGACY,
        };
        if self.state.version.set(version).is_err() {
            return Err(ErrorObject::new(
                error_code::INVALID_REQUEST,
                "Invalid Request: already initialized",
            ));
        }
        let _ = self.state.client_capabilities.set(p.capabilities);
        let _ = self.state.client_info.set(p.client_info);
        let shared = &self.server.shared;
        fitted(
            version,
            InitializeResult {
                protocol_version: version.as_str().to_owned(),
                capabilities: capabilities(&shared.catalog.snapshot()),
                server_info: shared.info.clone(),
                instructions: shared.instructions.clone(),
                ..Default::default()
            },
        )
    }

    /// The MRTR round of a modern request (its `requestState` verified), `None` on legacy.
    fn round(
        &self,
        version: ProtocolVersion,
        request: &Request,
    ) -> Result<Option<Arc<Round>>, ErrorObject> {
        if version.era() != spate_protocol::Era::Modern {
            return Ok(None);
        }
        let keys = &self.server.shared.config.request_state_keys;
        Round::open(keys, &request.method, request.params.as_deref()).map(|r| Some(Arc::new(r)))
    }

    /// `server/discover`: the versions, capabilities and identity of this server.
    fn discover(&self, version: ProtocolVersion) -> Answer {
        let shared = &self.server.shared;
        let mut meta = Meta::new();
        meta.insert(
            spate_protocol::meta::SERVER_INFO_KEY.to_owned(),
            serde_json::to_value(&shared.info).unwrap_or_default(),
        );
        let cache = shared.config.cache.discover;
        fitted(
            version,
            DiscoverResult {
                supported_versions: SUPPORTED_MODERN
                    .iter()
                    .map(|v| v.as_str().to_owned())
                    .collect(),
                capabilities: capabilities(&shared.catalog.snapshot()),
                instructions: shared.instructions.clone(),
                ttl_ms: Some(cache.ttl_ms),
                cache_scope: Some(cache.scope),
                result_type: None,
                meta: Some(meta),
            },
        )
    }

    fn context(
        &self,
        rc: &RequestContext,
        meta: Option<&spate_protocol::Meta>,
        round: Option<Arc<Round>>,
    ) -> Context {
        Context {
            round,
            task: None,
            unnamed_questions: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
            peer: rc.peer.clone(),
            request_id: rc.id.clone(),
            session: self.state.clone(),
            server: self.server.clone(),
            cancel: rc.cancel.clone(),
            progress_token: spate_protocol::progress_token(meta),
            progress: Arc::new(Mutex::new(ProgressState::default())),
        }
    }
}

fn resource_not_found(version: ProtocolVersion, uri: &str) -> ErrorObject {
    let code = if version >= ProtocolVersion::V2026_07_28 {
        error_code::INVALID_PARAMS
    } else {
        error_code::RESOURCE_NOT_FOUND
    };
    ErrorObject::new(code, format!("Resource not found: {uri}"))
        .with_data(serde_json::json!({ "uri": uri }))
}

/// The `_meta` of a request that claims the modern era, found without parsing the params of
/// the (far more common) requests that cannot.
fn modern_meta(request: &Request) -> Option<Meta> {
    let params = request.params.as_deref()?;
    if !params
        .get()
        .contains(spate_protocol::meta::PROTOCOL_VERSION_KEY)
    {
        return None;
    }
    request_meta(Some(params)).filter(|m| claims_modern(Some(m)))
}

/// What a handler's MRTR round overrides in its answer: `input_required`, or `-32021` when it
/// failed for want of a capability the request did not declare.
fn settle(version: ProtocolVersion, round: Option<Arc<Round>>, failed: bool) -> Option<Answer> {
    match round?.outcome(failed) {
        RoundOutcome::Complete => None,
        RoundOutcome::InputRequired(result) => Some(fitted(version, result)),
        RoundOutcome::MissingCapability(error) => Some(Err(error)),
    }
}

/// Shapes a result for the negotiated version and encodes it.
pub(super) fn fitted<T: Serialize + FitVersion>(version: ProtocolVersion, mut value: T) -> Answer {
    value.fit_version(version);
    Ok(to_raw(&value))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every legacy session holds one; the W5 benchmark counts its bytes. It is 752 B today;
    /// keeping a 2026-07-28 request envelope in it unboxed once made it ~1.3 KB.
    #[test]
    fn a_session_state_stays_small() {
        let size = std::mem::size_of::<SessionState>();
        assert!(size <= 800, "SessionState is {size} B");
    }
}
