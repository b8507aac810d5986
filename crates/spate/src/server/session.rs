//! One client connection to a server: negotiated state and request routing.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use futures_util::future::BoxFuture;
use serde::Serialize;
use serde_json::value::RawValue;
use spate_protocol::jsonrpc::to_raw;
use spate_protocol::{
    CallToolRequestParams, ClientCapabilities, CompleteRequestParams, CompletionReference,
    EmptyResult, ErrorObject, FitVersion, GetPromptRequestParams, Implementation,
    InitializeRequestParams, InitializeResult, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, LoggingLevel, Notification, PaginatedRequestParams,
    ProtocolVersion, ReadResourceRequestParams, ReadResourceResult, Request, SetLevelRequestParams,
    SubscribeRequestParams, UnsubscribeRequestParams, error_code, methods,
};

use super::completion::complete_result;
use super::context::{Context, ProgressState};
use super::cursor::paginate;
use super::{ServerHandle, capabilities};
use crate::engine::{Handler, PeerHandle, RequestContext};

/// What the server knows about one connection, negotiated at `initialize`.
#[derive(Debug, Default)]
pub(crate) struct SessionState {
    version: OnceLock<ProtocolVersion>,
    client_capabilities: OnceLock<ClientCapabilities>,
    client_info: OnceLock<Implementation>,
    initialized: AtomicBool,
    log_level: Mutex<Option<LoggingLevel>>,
    pub(crate) subscriptions: Mutex<HashSet<String>>,
}

impl SessionState {
    pub(crate) fn version(&self) -> Option<ProtocolVersion> {
        self.version.get().copied()
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

    /// Whether a message at `level` passes the client's `logging/setLevel` (all pass until set).
    pub(crate) fn logs(&self, level: LoggingLevel) -> bool {
        let min = *self
            .log_level
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        min.is_none_or(|min| level >= min)
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
        let router = Router {
            server: self.server.clone(),
            state: self.state.clone(),
        };
        Box::pin(async move { router.route(request, context).await })
    }

    fn on_notification(
        &self,
        notification: Notification,
        _peer: &PeerHandle,
    ) -> BoxFuture<'static, ()> {
        if notification.method == methods::NOTIFICATIONS_INITIALIZED
            && self.state.version().is_some()
        {
            self.state.initialized.store(true, Ordering::Release);
        }
        Box::pin(async {})
    }

    fn accepts_batches(&self) -> bool {
        self.state
            .version()
            .is_some_and(ProtocolVersion::allows_batches)
    }
}

struct Router {
    server: ServerHandle,
    state: Arc<SessionState>,
}

type Answer = Result<Box<RawValue>, ErrorObject>;

impl Router {
    async fn route(self, request: Request, rc: RequestContext) -> Answer {
        let method = request.method.as_str();
        if method == methods::INITIALIZE {
            return self.initialize(&request);
        }
        let Some(version) = self.state.version() else {
            return Err(ErrorObject::new(
                error_code::INVALID_REQUEST,
                format!("Invalid Request: {method} before initialize; send initialize first"),
            ));
        };
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
                        ..Default::default()
                    },
                )
            }
            methods::TOOLS_CALL => {
                let p: CallToolRequestParams = request.parse_params()?;
                let Some(entry) = catalog.tool(&p.name) else {
                    return Err(ErrorObject::invalid_params(format!(
                        "Unknown tool: {}",
                        p.name
                    )));
                };
                let ctx = self.context(&rc, p.meta.as_ref());
                let result = entry.handler.call(ctx.clone(), p.arguments).await;
                ctx.finish();
                fitted(version, result)
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
                        ..Default::default()
                    },
                )
            }
            methods::RESOURCES_READ => {
                let p: ReadResourceRequestParams = request.parse_params()?;
                let ctx = self.context(&rc, p.meta.as_ref());
                let contents = if let Some(entry) =
                    catalog.resources.iter().find(|r| r.resource.uri == p.uri)
                {
                    (entry.read)(ctx.clone(), p.uri.clone(), BTreeMap::new()).await?
                } else if let Some((entry, vars)) = catalog
                    .templates
                    .iter()
                    .find_map(|t| t.matcher.matches(&p.uri).map(|v| (t, v)))
                {
                    (entry.read)(ctx.clone(), p.uri.clone(), vars).await?
                } else {
                    return Err(resource_not_found(version, &p.uri));
                };
                ctx.finish();
                fitted(
                    version,
                    ReadResourceResult {
                        contents,
                        ..Default::default()
                    },
                )
            }
            methods::RESOURCES_SUBSCRIBE => {
                let p: SubscribeRequestParams = request.parse_params()?;
                let limit = self.server.shared.config.max_subscriptions;
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
                subs.insert(p.uri);
                fitted(version, EmptyResult::default())
            }
            methods::RESOURCES_UNSUBSCRIBE => {
                let p: UnsubscribeRequestParams = request.parse_params()?;
                self.state
                    .subscriptions
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .remove(&p.uri);
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
                let ctx = self.context(&rc, p.meta.as_ref());
                let result = (entry.get)(ctx.clone(), args).await?;
                ctx.finish();
                fitted(version, result)
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
                fitted(version, EmptyResult::default())
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
                capabilities: capabilities(),
                server_info: shared.info.clone(),
                instructions: shared.instructions.clone(),
                ..Default::default()
            },
        )
    }

    fn context(&self, rc: &RequestContext, meta: Option<&spate_protocol::Meta>) -> Context {
        Context {
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

/// Shapes a result for the negotiated version and encodes it.
fn fitted<T: Serialize + FitVersion>(version: ProtocolVersion, mut value: T) -> Answer {
    value.fit_version(version);
    Ok(to_raw(&value))
}
