//! Typed calls for every server method, in either era.
//!
//! A legacy connection sends each call as it is. A modern one stamps the envelope on it,
//! serves list and read results from the cache while they are fresh, drives
//! `input_required` rounds to the end (see the `input_rounds` module) and follows a call
//! the server turned into a task (see `task_follow`).

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use spate_protocol::{
    CallToolRequestParams, CallToolResult, CompleteRequestParams, CompleteResult, EmptyResult,
    GetPromptRequestParams, GetPromptResult, JsonObject, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, LoggingLevel,
    PaginatedRequestParams, Prompt, ReadResourceRequestParams, ReadResourceResult, Resource,
    ResourceTemplate, SetLevelRequestParams, SubscribeRequestParams, Tool,
    UnsubscribeRequestParams, methods,
};
use tokio_util::sync::CancellationToken;

use super::Client;
use super::input_rounds::{Round, prepare_retry, round_of};
use super::result_cache::ResultCache;
use crate::engine::{PeerError, ProgressUpdate, RequestOptions};

/// Options of one call: progress, timeout, cancellation.
#[derive(Clone, Default)]
pub struct CallOptions {
    /// Called for each progress notification; asking for progress sends a progress token.
    pub on_progress: Option<Arc<dyn Fn(ProgressUpdate) + Send + Sync>>,
    /// Overrides the idle timeout of this call.
    pub timeout: Option<Duration>,
    /// Cancelling it cancels the call at the server.
    pub cancel: Option<CancellationToken>,
    /// The request id, reserved with [`PeerHandle::reserve_id`](crate::engine::PeerHandle::reserve_id)
    /// (default: the next one).
    pub id: Option<spate_protocol::RequestId>,
}

impl std::fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallOptions")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl CallOptions {
    /// Options with a progress callback.
    pub fn with_progress(callback: impl Fn(ProgressUpdate) + Send + Sync + 'static) -> Self {
        Self {
            on_progress: Some(Arc::new(callback)),
            ..Default::default()
        }
    }
}

/// How many pages the `list_all_*` helpers follow before giving up on a server that never
/// stops paginating.
pub(super) const MAX_PAGES: usize = 1000;

impl Client {
    pub(super) async fn call<P: Serialize, R: DeserializeOwned>(
        &self,
        method: &str,
        params: &P,
        options: CallOptions,
    ) -> Result<R, PeerError> {
        let raw = self.request(method, params, options).await?;
        serde_json::from_str(raw.get()).map_err(|e| PeerError::Malformed(format!("{method}: {e}")))
    }

    /// Sends any request (an extension's method, say) in the connection's era, with the
    /// 2026-07-28 envelope when that is the era, and returns its raw result.
    pub async fn call_method<P: Serialize>(
        &self,
        method: &str,
        params: &P,
        options: CallOptions,
    ) -> Result<Box<RawValue>, PeerError> {
        self.request(method, params, options).await
    }

    /// Sends one call in the connection's era and returns its final result.
    async fn request<P: Serialize>(
        &self,
        method: &str,
        params: &P,
        options: CallOptions,
    ) -> Result<Box<RawValue>, PeerError> {
        let options = RequestOptions {
            timeout: options.timeout,
            progress: options.on_progress,
            cancel: options.cancel,
            related: None,
            id: options.id,
        };
        let Some(envelope) = &self.envelope else {
            return self.peer.request(method, params, options).await;
        };
        let mut params = match serde_json::to_value(params) {
            Ok(serde_json::Value::Object(map)) => map,
            Ok(serde_json::Value::Null) => JsonObject::new(),
            Ok(other) => {
                return Err(PeerError::Malformed(format!(
                    "{method}: params must be an object, not {other}"
                )));
            }
            Err(e) => return Err(PeerError::Malformed(format!("{method}: {e}"))),
        };
        let key = ResultCache::key(method, &params);
        if let Some(hit) = key.as_ref().and_then(|k| self.routing.cache.get(k)) {
            return Ok(hit);
        }
        let mut rounds = 0;
        loop {
            let raw = envelope
                .request(&self.peer, method, &params, options.clone())
                .await?;
            match round_of(method, &raw)? {
                Round::Complete => {
                    if let (0, Some(key)) = (rounds, key) {
                        self.routing.cache.put(key, &raw);
                    }
                    return Ok(raw);
                }
                Round::Task => return self.follow_task(envelope, &raw, &options).await,
                Round::InputRequired => {
                    rounds += 1;
                    let limit = self.limits.max_input_rounds;
                    if rounds > limit {
                        return Err(PeerError::Malformed(format!(
                            "{method}: the server still asked for input after {limit} rounds"
                        )));
                    }
                    let version = envelope.version();
                    let answering =
                        prepare_retry(&self.handlers, version, method, &raw, &mut params);
                    // A handler may wait for a person: cancelling the call stops waiting.
                    match &options.cancel {
                        Some(cancel) => tokio::select! {
                            answered = answering => answered?,
                            () = cancel.cancelled() => return Err(PeerError::Cancelled),
                        },
                        None => answering.await?,
                    }
                }
            }
        }
    }

    /// `ping` (legacy); in the modern era, where `ping` is gone, `server/discover`.
    pub async fn ping(&self) -> Result<(), PeerError> {
        let method = match self.envelope {
            Some(_) => methods::SERVER_DISCOVER,
            None => methods::PING,
        };
        self.request(method, &serde_json::json!({}), CallOptions::default())
            .await
            .map(|_| ())
    }

    /// One page of `tools/list`. Over HTTP in the modern era, a tool whose `x-mcp-header`
    /// annotations are invalid is left out (it could not be called correctly), and the
    /// others' annotations are remembered so their calls carry `Mcp-Param-*` headers.
    pub async fn list_tools(&self, cursor: Option<String>) -> Result<ListToolsResult, PeerError> {
        let mut result: ListToolsResult = self
            .call(methods::TOOLS_LIST, &page(cursor), CallOptions::default())
            .await?;
        if let (Some(connection), Some(_)) = (&self.connection, &self.envelope) {
            result
                .tools
                .retain(|tool| match connection.learn_tool(tool) {
                    Ok(()) => true,
                    Err(why) => {
                        tracing::warn!("leaving out tool {:?}: {why}", tool.name);
                        false
                    }
                });
        }
        Ok(result)
    }

    /// Every tool, following cursors.
    pub async fn list_all_tools(&self) -> Result<Vec<Tool>, PeerError> {
        let mut all = Vec::new();
        let mut cursor = None;
        for _ in 0..MAX_PAGES {
            let page = self.list_tools(cursor).await?;
            all.extend(page.tools);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
        Err(PeerError::Malformed(format!(
            "tools/list did not end after {MAX_PAGES} pages"
        )))
    }

    /// `tools/call` with JSON arguments (an object, or `null` for none).
    pub async fn call_tool(
        &self,
        name: &str,
        arguments: serde_json::Value,
        options: CallOptions,
    ) -> Result<CallToolResult, PeerError> {
        let arguments: Option<JsonObject> = match arguments {
            serde_json::Value::Object(map) => Some(map),
            serde_json::Value::Null => None,
            other => {
                return Err(PeerError::Malformed(format!(
                    "tool arguments must be an object, not {other}"
                )));
            }
        };
        let params = CallToolRequestParams {
            name: name.to_owned(),
            arguments,
            ..Default::default()
        };
        self.call(methods::TOOLS_CALL, &params, options).await
    }

    /// One page of `resources/list`.
    pub async fn list_resources(
        &self,
        cursor: Option<String>,
    ) -> Result<ListResourcesResult, PeerError> {
        self.call(
            methods::RESOURCES_LIST,
            &page(cursor),
            CallOptions::default(),
        )
        .await
    }

    /// Every resource, following cursors.
    pub async fn list_all_resources(&self) -> Result<Vec<Resource>, PeerError> {
        let mut all = Vec::new();
        let mut cursor = None;
        for _ in 0..MAX_PAGES {
            let page = self.list_resources(cursor).await?;
            all.extend(page.resources);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
        Err(PeerError::Malformed(format!(
            "resources/list did not end after {MAX_PAGES} pages"
        )))
    }

    /// One page of `resources/templates/list`.
    pub async fn list_resource_templates(
        &self,
        cursor: Option<String>,
    ) -> Result<ListResourceTemplatesResult, PeerError> {
        self.call(
            methods::RESOURCES_TEMPLATES_LIST,
            &page(cursor),
            CallOptions::default(),
        )
        .await
    }

    /// Every resource template on the first page … last page.
    pub async fn list_all_resource_templates(&self) -> Result<Vec<ResourceTemplate>, PeerError> {
        let mut all = Vec::new();
        let mut cursor = None;
        for _ in 0..MAX_PAGES {
            let page = self.list_resource_templates(cursor).await?;
            all.extend(page.resource_templates);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
        Err(PeerError::Malformed(format!(
            "resources/templates/list did not end after {MAX_PAGES} pages"
        )))
    }

    /// `resources/read`.
    pub async fn read_resource(&self, uri: &str) -> Result<ReadResourceResult, PeerError> {
        let params = ReadResourceRequestParams {
            uri: uri.to_owned(),
            ..Default::default()
        };
        self.call(methods::RESOURCES_READ, &params, CallOptions::default())
            .await
    }

    /// `resources/subscribe`; updates arrive on [`Client::notifications`]. Legacy only:
    /// 2026-07-28 servers answer `-32601`; use [`Client::listen`] there.
    pub async fn subscribe(&self, uri: &str) -> Result<(), PeerError> {
        let params = SubscribeRequestParams {
            uri: uri.to_owned(),
            ..Default::default()
        };
        self.call::<_, EmptyResult>(
            methods::RESOURCES_SUBSCRIBE,
            &params,
            CallOptions::default(),
        )
        .await
        .map(|_| ())
    }

    /// `resources/unsubscribe`.
    pub async fn unsubscribe(&self, uri: &str) -> Result<(), PeerError> {
        let params = UnsubscribeRequestParams {
            uri: uri.to_owned(),
            ..Default::default()
        };
        self.call::<_, EmptyResult>(
            methods::RESOURCES_UNSUBSCRIBE,
            &params,
            CallOptions::default(),
        )
        .await
        .map(|_| ())
    }

    /// One page of `prompts/list`.
    pub async fn list_prompts(
        &self,
        cursor: Option<String>,
    ) -> Result<ListPromptsResult, PeerError> {
        self.call(methods::PROMPTS_LIST, &page(cursor), CallOptions::default())
            .await
    }

    /// Every prompt, following cursors.
    pub async fn list_all_prompts(&self) -> Result<Vec<Prompt>, PeerError> {
        let mut all = Vec::new();
        let mut cursor = None;
        for _ in 0..MAX_PAGES {
            let page = self.list_prompts(cursor).await?;
            all.extend(page.prompts);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
        Err(PeerError::Malformed(format!(
            "prompts/list did not end after {MAX_PAGES} pages"
        )))
    }

    /// `prompts/get` with string arguments.
    pub async fn get_prompt(
        &self,
        name: &str,
        arguments: impl IntoIterator<Item = (String, String)>,
    ) -> Result<GetPromptResult, PeerError> {
        let params = GetPromptRequestParams {
            name: name.to_owned(),
            arguments: Some(arguments.into_iter().collect()),
            ..Default::default()
        };
        self.call(methods::PROMPTS_GET, &params, CallOptions::default())
            .await
    }

    /// `completion/complete`.
    pub async fn complete(
        &self,
        params: CompleteRequestParams,
    ) -> Result<CompleteResult, PeerError> {
        self.call(
            methods::COMPLETION_COMPLETE,
            &params,
            CallOptions::default(),
        )
        .await
    }

    /// `logging/setLevel` (legacy); in the modern era the level is sent with every later
    /// request instead (`_meta` logLevel), as 2026-07-28 asks.
    pub async fn set_logging_level(&self, level: LoggingLevel) -> Result<(), PeerError> {
        if let Some(envelope) = &self.envelope {
            envelope.set_log_level(Some(level));
            return Ok(());
        }
        let params = SetLevelRequestParams {
            level,
            ..Default::default()
        };
        self.call::<_, EmptyResult>(methods::LOGGING_SET_LEVEL, &params, CallOptions::default())
            .await
            .map(|_| ())
    }
}

pub(super) fn page(cursor: Option<String>) -> PaginatedRequestParams {
    PaginatedRequestParams {
        cursor,
        ..Default::default()
    }
}
